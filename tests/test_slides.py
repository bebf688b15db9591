"""Pictures for slides (cnnviz.slides): titled PNGs with sharp pixels, GIFs that keep their frames and colours."""

from __future__ import annotations

import doctest
import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

from cnnviz import slides
from cnnviz import window_frames as wf
from cnnviz.slides import figure_font_px, gif_bytes, slide_filename, title_band_px, titled_image, titled_png
from cnnviz.window_frames import frame_layout, window_frames
from cnnviz.windows import window_grid

RNG = np.random.default_rng(26)


def centre(box):
    return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2


def inset(box):  # inside the cell, clear of its border and of a number written in its middle
    return box[0] + 4, box[1] + 4


def read_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# --- titled PNG -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(150, 200), (150, 200, 3), (40, 64, 4)])
def test_a_titled_png_is_exactly_twice_the_picture_plus_the_title_band(shape):
    picture = RNG.integers(0, 256, shape, dtype=np.uint8)
    png = titled_png(picture, "Output of Sobel x", scale=2)
    image = Image.open(io.BytesIO(png))
    band = title_band_px("Output of Sobel x", 2 * shape[1])
    assert band > 0
    assert image.size == (2 * shape[1], 2 * shape[0] + band)
    # Nearest neighbour: every pixel becomes a sharp 2 x 2 square of the same colour (oracle: np.repeat).
    expected = np.repeat(np.repeat(picture, 2, axis=0), 2, axis=1)
    drawn = np.asarray(image)[band:]
    if picture.ndim == 2:
        drawn = np.asarray(image.convert("L"))[band:]
    np.testing.assert_array_equal(drawn, expected)


def test_the_title_is_drawn_in_its_band():
    image = titled_image(np.full((100, 300), 255, np.uint8), "Feature map 3 of conv1")
    band = np.asarray(image.convert("L"))[: title_band_px("Feature map 3 of conv1", 600)]
    assert (band < 80).sum() > 200  # dark ink on white


def test_png_bytes_and_any_scale_are_taken_and_no_title_adds_no_band():
    picture = RNG.integers(0, 256, (28, 28), dtype=np.uint8)
    png = Image.fromarray(picture)
    buffer = io.BytesIO()
    png.save(buffer, format="PNG")
    image = Image.open(io.BytesIO(titled_png(buffer.getvalue(), "", scale=10)))
    assert image.size == (280, 280)
    np.testing.assert_array_equal(np.asarray(image.convert("L"))[::10, ::10], picture)


def test_a_long_title_wraps_instead_of_running_off_the_picture():
    title = "Grad-CAM of the shipped convnet for test digit 1234, which it reads as a 7 with 98 percent"
    image = titled_image(np.zeros((100, 150), np.uint8), title)
    assert image.width == 300
    assert title_band_px(title, 300) > 2 * title_band_px("Grad-CAM", 300)


@pytest.mark.parametrize(
    ("picture", "scale", "message"),
    [
        (np.zeros((4, 4), np.float32), 2, "uint8"),
        (np.zeros((4, 4, 2), np.uint8), 2, r"\(H, W\)"),
        (np.zeros((0, 4), np.uint8), 2, "empty"),
        (b"not a png", 2, "not a picture"),
        (np.zeros((4, 4), np.uint8), 0, "scale"),
        (np.zeros((4, 4), np.uint8), 2.5, "scale"),
    ],
)
def test_what_is_not_a_picture_gets_a_sentence(picture, scale, message):
    with pytest.raises(ValueError, match=message):
        titled_png(picture, "t", scale=scale)


def test_figure_font_sizes_meet_the_lecture_hall_minimums():
    for base in range(6, 40):
        assert figure_font_px(base) >= max(14, base)
        assert figure_font_px(base, presenting=True) >= max(18, figure_font_px(base))


def test_file_names_from_titles():
    assert slide_filename("Output of Sobel x (stride 2)", "png") == "output-of-sobel-x-stride-2.png"
    assert slide_filename("∗∗∗", ".gif") == "cnnviz.gif"


def test_the_docstring_examples():
    assert doctest.testmod(slides).failed == 0


def test_the_gif_has_a_frame_per_output_position_and_keeps_the_colours():
    grid = window_grid(5, 5, 3, 2, 1)
    frames = window_frames(grid, values=RNG.integers(0, 9, (5, 5)), kernel=np.ones((3, 3)), title="A 3 × 3 blur")
    gif = Image.open(io.BytesIO(gif_bytes(frames, ms=400)))
    assert gif.format == "GIF" and gif.n_frames == 9 == len(frames)
    assert gif.size == frames[0].size
    assert gif.info.get("loop") == 0
    layout = frame_layout(grid, 36, "A 3 × 3 blur")
    for k, decoded in enumerate(ImageSequence.Iterator(gif)):
        assert decoded.info["duration"] == 400
        rgb = decoded.convert("RGB")
        r0, c0 = divmod(k, 3)
        assert rgb.getpixel(inset(layout.input_cell(2 * r0, 2 * c0))) == wf.TAP
        assert rgb.getpixel(inset(layout.output_cell(r0, c0))) == wf.CURRENT


def test_gif_errors():
    with pytest.raises(ValueError, match="at least one frame"):
        gif_bytes([])
    with pytest.raises(ValueError, match="differ in size"):
        gif_bytes([Image.new("RGB", (4, 4)), Image.new("RGB", (5, 4))])
    with pytest.raises(ValueError, match="20 ms"):
        gif_bytes([Image.new("RGB", (4, 4))], ms=5)


def test_a_captioned_grid_puts_each_picture_in_reading_order_with_its_caption_under_it():
    # 13 distinct grey squares, 5 to a row: 3 rows, the last with 3 cells.
    pictures = [np.full((20, 20), 10 * (i + 1), np.uint8) for i in range(13)]
    captions = [[f"{i} → {i + 1}", "#1"] for i in range(13)]
    sheet = np.asarray(slides.captioned_grid(pictures, captions, columns=5, gap=6, caption_px=14))
    face = slides.font(14)
    cell_w = max(20, max(int(np.ceil(face.getlength(slides.slide_text(c[0], 14)))) for c in captions))
    cell_h = 20 + 2 * round(14 * 1.25)
    assert sheet.shape[:2][::-1] == slides.grid_size(13, 5, (cell_w, cell_h), gap=6)
    for i in range(13):
        x = 6 + (i % 5) * (cell_w + 6) + (cell_w - 20) // 2
        y = 6 + (i // 5) * (cell_h + 6)
        np.testing.assert_array_equal(sheet[y : y + 20, x : x + 20], 10 * (i + 1))  # the picture, exactly
        caption = sheet[y + 20 : y + cell_h, x - (cell_w - 20) // 2 : x - (cell_w - 20) // 2 + cell_w]
        assert (caption < 128).any(), f"no caption ink under picture {i}"
    # The rest of the last row is white paper.
    last = 6 + 3 * (cell_w + 6)
    assert (sheet[6 + 2 * (cell_h + 6) :, last:] == 255).all()


def test_a_grid_cell_is_as_wide_as_its_widest_caption():
    wide = slides.captioned_grid([np.zeros((8, 8), np.uint8)], [["Ankle boot → Sneaker"]], columns=3, gap=4)
    text = int(np.ceil(slides.font(14).getlength(slides.slide_text("Ankle boot → Sneaker", 14))))
    assert wide.size == (text + 8, 8 + round(14 * 1.25) + 8)


@pytest.mark.parametrize(
    ("pictures", "captions", "columns", "message"),
    [
        ([], [], 10, "at least one picture"),
        ([np.zeros((4, 4), np.uint8)], [], 10, "one caption list per picture"),
        ([np.zeros((4, 4), np.uint8), np.zeros((5, 4), np.uint8)], [[], []], 10, "differ in size"),
        ([np.zeros((4, 4), np.uint8)], [["a"]], 0, "at least one column"),
        ([np.zeros((4, 4), np.float32)], [["a"]], 2, "uint8"),
    ],
)
def test_grid_errors(pictures, captions, columns, message):
    with pytest.raises(ValueError, match=message):
        slides.captioned_grid(pictures, captions, columns=columns)
