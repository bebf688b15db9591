"""Photos page with Streamlit's AppTest: bundled photos give the network's own top-1, each bad input its sentence,
the true-class picker changes the error statement, and links restore (or note) their settings."""

import io
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "8_Photos.py")
sys.path.insert(0, str(ROOT / "tests"))

from fixtures_hostile import digit_photo, hostile_files  # noqa: E402

from cnnviz.imagenet import imagenet_top_k, load_imagenet_net, photo_to_input, weights_path  # noqa: E402
from cnnviz.images import sample_photo  # noqa: E402


def _weights_installed() -> bool:
    try:
        weights_path()
    except FileNotFoundError:
        if os.environ.get("CI", "").lower() == "true":
            raise  # in CI a missing weight package is a failure, never a skip
        return False
    return True


pytestmark = pytest.mark.skipif(not _weights_installed(), reason="the ImageNet weights package is not installed")
HOSTILE = {f.name: f for f in hostile_files()}


@pytest.fixture(scope="module")
def net():
    return load_imagenet_net()


def save(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def sentence(at: AppTest) -> str:
    """The slide's line: "Egyptian cat (0.77), tiger cat (0.10), …"."""
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


def upload(at: AppTest, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    at.radio(key="photos_source").set_value("Upload a photo").run()
    at.file_uploader(key="photos_upload").upload(name, data, mime).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("photo", ["chelsea", "coffee"])
def test_a_bundled_photo_shows_the_networks_own_top5(net, photo):
    model, names = net
    at = open_page() if photo == "chelsea" else open_page(photo=photo)
    expected = imagenet_top_k(model, photo_to_input(sample_photo(photo), fit="squash"), 5)  # the library is the oracle
    line = sentence(at)
    shown = [(name, float(p)) for name, p in re.findall(r"([^,#]+?) \((\d\.\d\d)\)", line.removeprefix("#### "))]
    assert [name.strip() for name, _ in shown] == [names[c] for c, _ in expected]
    np.testing.assert_allclose([p for _, p in shown], [p for _, p in expected], atol=0.006)
    if photo == "chelsea":
        assert line.startswith("#### Egyptian cat (0.77), tiger cat (0.10), tabby (0.08)")  # the numbers
    else:
        assert line.startswith("#### espresso (0.90)")


def test_the_true_class_picker_changes_the_error_statement():
    at = open_page()
    text = " ".join(m.value for m in at.markdown)
    assert "**tabby** is answer 3 of 5: top-1 **error** (wrong), but top-5 **correct**" in text  # chelsea's default
    at.selectbox(key="photos_truth").set_value(285).run()  # Egyptian cat
    text = " ".join(m.value for m in at.markdown)
    assert "**Egyptian cat** is the top-1 answer: top-1 error 0 and top-5 error 0" in text
    at.selectbox(key="photos_truth").set_value(0).run()  # tench: nowhere near
    text = " ".join(m.value for m in at.markdown)
    assert "**tench** is answer" in text and "top-1 and top-5 **error** (both wrong)" in text
    assert at.query_params["truth"] in ("0", ["0"])
    # The two ImageNet classes called "crane" are told apart by their index in the picker.
    labels = at.selectbox(key="photos_truth").options
    assert "crane (134)" in labels and "crane (517)" in labels and "maillot (638)" in labels


def test_changing_only_the_true_class_runs_no_network_and_makes_no_png(monkeypatch):
    """Issue 25: a class change redraws from the cache. The network's forward passes and the PNG encoder
    (the download buttons' titled PNGs, once 90% of such a rerun) are counted while only the class changes."""
    from cnnviz.efficientnet import EfficientNetLite0
    from cnnviz_ui import photos

    at = open_page()
    calls = {"forward": 0, "forward_layers": 0, "titled_png": 0, "photo_to_input_steps": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    for name in ("forward", "forward_layers"):
        monkeypatch.setattr(EfficientNetLite0, name, counted(name, getattr(EfficientNetLite0, name)))
    for name in ("titled_png", "photo_to_input_steps"):
        monkeypatch.setattr(photos, name, counted(name, getattr(photos, name)))
    before = sentence(at)
    for truth, words in ((285, "**Egyptian cat** is the top-1 answer"), (0, "**tench** is answer")):
        at.selectbox(key="photos_truth").set_value(truth).run()
        assert not at.exception
        assert words in " ".join(m.value for m in at.markdown)
    assert sentence(at) == before
    assert calls == {"forward": 0, "forward_layers": 0, "titled_png": 0, "photo_to_input_steps": 0}
    at.radio(key="photos_source").set_value("Upload a photo").run()  # the counters do count: a new photo
    at.file_uploader(key="photos_upload").upload("coffee.jpg", save(Image.fromarray(sample_photo("coffee")), "JPEG"))
    at.run()
    assert calls["forward"] and calls["forward_layers"] and calls["photo_to_input_steps"] == 1


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("one_pixel.png", r"1 x 1 pixels: too small to recognise anything"),
        ("bomb.png", r"30,000 x 30,000|megapixels"),
        ("notes.png", r"not an image"),
        ("truncated.jpg", r"truncated|damaged"),
    ],
)
def test_each_bad_upload_gets_its_sentence_and_the_page_keeps_working(name, words):
    at = upload(open_page(), name, HOSTILE[name].data, HOSTILE[name].mime)
    assert any(re.search(words, e.value) for e in at.error), [e.value for e in at.error]
    at.radio(key="photos_source").set_value("Bundled photo").run()  # and the page still answers
    assert not at.exception and sentence(at).startswith("#### Egyptian cat")


def test_a_transparent_image_is_answered_with_a_warning():
    at = upload(open_page(), "clear.png", save(Image.new("RGBA", (120, 90), (0, 0, 0, 0))))
    assert any("one flat colour" in w.value for w in at.warning)
    assert sentence(at)  # an answer all the same


def test_a_grey_photo_is_answered_and_says_so():
    grey = Image.fromarray(sample_photo("camera"))  # the cameraman, 512 x 512 grey
    at = upload(open_page(), "cameraman.png", save(grey))
    assert sentence(at).startswith("#### tripod")
    assert any("grey copied into R, G and B" in c.value for c in at.caption)


def test_a_photo_of_a_digit_is_answered_with_a_note_that_points_to_classify():
    data, _ = digit_photo(0)
    at = upload(open_page(), "seven.png", data)
    assert any("handwritten digit" in w.value and "Classify" in w.value for w in at.warning)
    assert sentence(at)


def test_a_link_restores_its_settings_and_a_wrong_one_gets_a_note():
    at = open_page(photo="coffee", fit="crop", truth="967", cam="2", view="Colour filters")
    assert at.selectbox(key="photos_photo").value == "coffee"
    assert at.segmented_control(key="photos_fit").value == "crop"
    assert at.selectbox(key="photos_truth").value == 967
    assert at.segmented_control(key="photos_cam").value == 2
    assert "espresso** is the top-1 answer" in " ".join(m.value for m in at.markdown)
    at = open_page(photo="unicorn", truth="5000", fit="stretch")
    notes = " ".join(c.value for c in at.caption)
    assert "photo=unicorn" in notes and "truth=5000" in notes and "fit=stretch" in notes
    assert sentence(at).startswith("#### Egyptian cat")


def test_inside_the_network_views():
    at = open_page()
    assert any("stem: edges and colours" in m.value for m in at.markdown)  # feature maps open first
    at.select_slider(key="photos_depth").set_value("blocks.15").run()
    assert any("block 15: object parts: 32 of 320 maps of 7×7" in m.value for m in at.markdown)
    at.segmented_control(key="photos_view").set_value("Colour convolution").run()
    block = next(h.value for h in at.get("html") if "cnnviz-colour" in h.value)
    numbers = re.search(r"R \+ G \+ B = \((\S+)\) \+ \((\S+)\) \+ \((\S+)\) \+ bias 0.*?<b>(\S+)</b>", block)
    parts, total = [float(v) for v in numbers.groups()[:3]], float(numbers.group(4))
    assert abs(sum(parts) - total) < 0.002  # three partial sums make the one value
    assert "BatchNorm" in block and "ReLU6" in block
    at.number_input(key="photos_ch").set_value(5).run()
    assert not at.exception
