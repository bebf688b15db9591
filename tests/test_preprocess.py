"""preprocess: photo/drawing -> MNIST input. Smoke, shapes, errors, values against MNIST itself and scipy,
and the quality bar: the shipped convnet reads >= 97 % of photo-like degraded MNIST test digits."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from cnnviz.data import load_mnist
from cnnviz.degrade import DEGRADATIONS, degrade
from cnnviz.images import load_image
from cnnviz.preprocess import BOX, NotADigit, to_mnist, to_mnist_steps

ROOT = Path(__file__).resolve().parent.parent
CONVNET = ROOT / "assets" / "mnist_convnet.pt"


def render_digit(digit: int, size: int = 300, dark_on_light: bool = True, font_size: int = 180) -> np.ndarray:
    """A digit typed with Pillow's scalable default font: uint8 (size, size)."""
    paper, ink = (255, 0) if dark_on_light else (0, 255)
    image = Image.new("L", (size, size), paper)
    draw = ImageDraw.Draw(image)
    draw.text((size / 2, size / 2), str(digit), fill=ink, font=ImageFont.load_default(size=font_size), anchor="mm")
    return np.asarray(image)


@pytest.fixture(scope="module")
def mnist_test():
    images, labels = load_mnist("test")
    return images.numpy(), labels.numpy()


@pytest.fixture(scope="module")
def convnet():
    if not CONVNET.is_file():
        pytest.skip(f"{CONVNET} is missing: run `make train-shipped`")
    from cnnviz.checkpoints import load_checkpoint

    return load_checkpoint(CONVNET)[0]


# --- smoke and shapes ---------------------------------------------------------------------------------------


def test_output_is_28x28_float_in_unit_range():
    out = to_mnist(render_digit(3))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() == pytest.approx(1.0)


def test_steps_end_with_the_network_input():
    steps = to_mnist_steps(render_digit(5))
    assert [s.name for s in steps][0] == "Greyscale" and len(steps) == 6
    np.testing.assert_array_equal(steps[-1].image, to_mnist(render_digit(5)))
    assert steps[-2].image.shape[0] == BOX or steps[-2].image.shape[1] == BOX  # the long side fits 20
    for step in steps:
        assert step.image.min() >= 0 and step.image.max() <= 1 and step.caption


@pytest.mark.parametrize("shape", [(300, 300), (300, 300, 3), (300, 300, 4), (300, 300, 1)])
def test_accepts_grey_rgb_rgba(shape):
    grey = render_digit(7)
    image = np.repeat(grey[..., None], shape[2], axis=2) if len(shape) == 3 else grey
    if len(shape) == 3 and shape[2] == 4:
        image[..., 3] = 255
    np.testing.assert_allclose(to_mnist(image), to_mnist(grey), atol=1e-5)


def test_float_and_uint16_inputs_match_uint8():
    grey = render_digit(2)
    np.testing.assert_allclose(to_mnist(grey.astype(np.float32) / 255), to_mnist(grey), atol=1e-4)
    np.testing.assert_allclose(to_mnist(grey.astype(np.uint16) * 257), to_mnist(grey), atol=1e-4)


# --- values ------------------------------------------------------------------------------------------------


def test_light_and_dark_backgrounds_give_the_same_digit():
    np.testing.assert_allclose(to_mnist(render_digit(4)), to_mnist(render_digit(4, dark_on_light=False)), atol=0.02)


def test_centre_of_mass_is_the_middle_like_mnist():
    for digit in (1, 4, 7):
        row, col = ndimage.center_of_mass(to_mnist(render_digit(digit)))
        assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_size_and_position_do_not_matter():
    big = render_digit(6, font_size=250)
    small = np.full((300, 300), 255, np.uint8)
    small[10:70, 200:260] = np.asarray(Image.fromarray(big).resize((60, 60), Image.LANCZOS))  # 5x smaller, in a corner
    fitted_big, fitted_small = to_mnist_steps(big)[-2].image, to_mnist_steps(small)[-2].image  # the 20 x 20 fits
    assert fitted_big.shape == fitted_small.shape
    assert np.corrcoef(fitted_big.ravel(), fitted_small.ravel())[0, 1] > 0.9


def test_mnist_digits_come_back_almost_unchanged(mnist_test):
    """MNIST was made by this very recipe, so a test digit should survive it (correlation against the original)."""
    images, _ = mnist_test
    scores = [np.corrcoef(images[i].ravel() / 255.0, to_mnist(images[i]).ravel())[0, 1] for i in range(50)]
    assert np.median(scores) > 0.9


def test_canvas_rgba_with_transparent_background():
    """A drawing canvas returns strokes on a transparent background: black or white strokes both work."""
    typed = render_digit(3, dark_on_light=False)  # white digit on black = the stroke's alpha
    for colour in (0, 255):
        rgba = np.zeros((300, 300, 4), np.uint8)
        rgba[..., :3] = colour
        rgba[..., 3] = typed
        np.testing.assert_allclose(to_mnist(rgba), to_mnist(typed), atol=0.02)


def test_gradient_lighting_and_noise_vanish():
    rng = np.random.default_rng(0)
    clean = to_mnist(render_digit(8))
    rows = np.linspace(0.45, 1.0, 300)[:, None]
    photo = render_digit(8) / 255.0 * rows + rng.normal(0, 0.04, (300, 300))
    out = to_mnist(np.clip(photo, 0, 1))
    assert np.corrcoef(clean.ravel(), out.ravel())[0, 1] > 0.9
    assert (out[:3] == 0).all() and (out[:, :3] == 0).all()  # the frame's edge stays black


# --- errors ------------------------------------------------------------------------------------------------


def faint_digit(contrast: float = 0.04, noise: float = 0.01) -> np.ndarray:
    """A typed 3 barely darker than its noisy paper: float (300, 300)."""
    rng = np.random.default_rng(0)
    return np.clip(0.8 - contrast * (render_digit(3) < 128) + rng.normal(0, noise, (300, 300)), 0, 1)


def a_speck() -> np.ndarray:
    paper = np.full((300, 300), 255, np.uint8)
    paper[150, 150] = 0  # one black pixel
    return paper


# Each failure, an image that causes it, and the start of its own sentence (after "no digit found: ").
NOT_DIGITS = {
    "white paper": (np.full((300, 300), 255, np.uint8), "blank", "the image is blank, one even colour all over"),
    "black": (np.zeros((64, 64), np.uint8), "blank", "the image is blank"),
    "grey": (np.full((50, 80, 3), 128, np.uint8), "blank", "the image is blank"),
    "empty canvas": (np.zeros((200, 200, 4), np.uint8), "transparent", "the picture is completely transparent"),
    "paper texture": (
        np.clip(np.random.default_rng(1).normal(0.8, 0.02, (300, 300)), 0, 1),
        "blank",
        "nothing stands out from the background but noise, texture or uneven lighting",
    ),
    "lighting": (
        (np.linspace(0.3, 1, 300)[None, :] * np.ones((300, 1))).astype(np.float32),
        "blank",
        "nothing stands out from the background",
    ),
    "faint digit": (faint_digit(), "faint", "the strongest mark is too faint to tell from the paper's grain"),
    "speck": (a_speck(), "speck", "the only mark is a speck of 9 pixels, too small to be a digit"),
}


@pytest.mark.parametrize("case", NOT_DIGITS)
def test_each_failure_says_what_it_found(case):
    image, kind, sentence = NOT_DIGITS[case]
    with pytest.raises(NotADigit) as raised:
        to_mnist(image)
    assert isinstance(raised.value, ValueError)  # pages that catch ValueError keep working
    assert raised.value.kind == kind
    assert str(raised.value).startswith(f"no digit found: {sentence}")


@pytest.mark.parametrize("name", ["chelsea", "coffee", "astronaut", "camera"])
def test_a_photo_is_called_a_photo_not_blank(name):
    from skimage import data

    with pytest.raises(NotADigit) as raised:
        to_mnist(getattr(data, name)())
    assert raised.value.kind == "photo"
    assert str(raised.value).startswith("no digit found: this looks like a photo, not a digit")
    assert "blank" not in str(raised.value)


def test_a_mark_with_no_stroke_core_cannot_be_cropped():
    from cnnviz.preprocess import _crop  # reached only when every kept pixel is below the crop's cut

    with pytest.raises(NotADigit, match="the mark found is too faint to crop") as raised:
        _crop(np.zeros((40, 40), np.float32))
    assert raised.value.kind == "faint"


def test_every_failure_has_its_own_sentence():
    sentences = set()
    for image, _, _ in NOT_DIGITS.values():
        with pytest.raises(NotADigit) as raised:
            to_mnist(image)
        sentences.add(str(raised.value).split(". ")[0])
    assert len(sentences) == 5  # blank, transparent, nothing stands out, faint, speck (photo: the test above)


def test_a_clear_digit_on_the_same_noisy_paper_is_read():
    assert to_mnist(faint_digit(contrast=0.1)).max() == pytest.approx(1.0)  # the faint case fails on contrast alone


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((1, 1), np.uint8), "too small"),
        (np.zeros((5, 1000), np.uint8), "too small"),
        (np.zeros((10, 10, 2)), "expected a greyscale"),
        (np.zeros((2, 10, 10, 3)), "expected a greyscale"),
        (np.full((20, 20), np.nan), "NaN"),
        ([[0, 1], [1, 0]], "numpy array"),
    ],
)
def test_bad_inputs_are_explained(image, message):
    with pytest.raises(ValueError, match=message):
        to_mnist(image)


def _png(image: Image.Image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_hostile_uploads_end_in_value_errors_not_crashes():
    """What load_image lets through, to_mnist either reads or refuses with a ValueError."""
    uploads = [
        _png(Image.new("L", (1, 1), 255)),  # 1 x 1
        _png(Image.new("L", (10_000, 50), 255)),  # a strip: downsized to 1024 x 5
        _png(Image.new("L", (640, 480), 250)),  # blank paper
    ]
    for data in uploads:
        with pytest.raises(ValueError):
            to_mnist(load_image(data))
    sixteen = Image.fromarray(render_digit(9).astype(np.uint16) * 257)
    assert to_mnist(load_image(_png(sixteen))).shape == (28, 28)


# --- quality ------------------------------------------------------------------------------------------------


def test_typed_digits_are_read_correctly(convnet):
    from cnnviz.predict import probabilities

    inputs = np.stack([to_mnist(render_digit(d)) for d in range(10)])
    assert (probabilities(convnet, inputs).argmax(axis=1) == np.arange(10)).sum() >= 8  # a font is not handwriting


@pytest.mark.parametrize("kind", DEGRADATIONS)
def test_degraded_mnist_digits_are_read_at_97_percent(kind, mnist_test, convnet):
    """The issue's quality bar, on a fixed-seed sample of 500 test digits per degradation."""
    from cnnviz.predict import probabilities

    images, labels = mnist_test
    pick = np.random.default_rng(0).choice(len(images), 500, replace=False)
    rng = np.random.default_rng(1)
    inputs = np.stack([to_mnist(degrade(images[i], kind, rng)) for i in pick])
    accuracy = (probabilities(convnet, inputs).argmax(axis=1) == labels[pick]).mean()
    assert accuracy >= 0.97, f"{kind}: {accuracy:.1%}"


def test_the_steps_give_sizes_as_height_x_width_like_the_rest_of_the_app():
    """A 1 is taller than wide: its box, its fitted size and the shrunk photo read height first (they read
    width first, while the upload note and every other size in the app read height x width)."""
    page = np.full((900, 600), 255, np.uint8)  # a portrait photo: shrunk to 600 x 400
    page[200:700, 280:330] = 0  # a plain 1: 500 tall, 50 wide, shrunk by 2/3
    steps = {step.name: step for step in to_mnist_steps(page)}
    assert "shrunk to 600 x 400" in steps["Greyscale"].caption
    crop = steps["Cropped"].image
    assert crop.shape[0] > crop.shape[1]
    assert steps["Cropped"].caption.startswith(f"{crop.shape[0]} x {crop.shape[1]} px bounding box")
    fitted = steps["Fit in 20 x 20"].image
    assert fitted.shape[0] == BOX > fitted.shape[1]
    assert steps["Fit in 20 x 20"].caption == f"{BOX} x {fitted.shape[1]}, aspect kept"
    with pytest.raises(ValueError, match="the image is 5 x 40 pixels: too small"):
        to_mnist(np.zeros((5, 40), np.uint8))
