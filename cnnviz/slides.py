"""Pictures for a lecturer's slides: sharp upscaled PNGs with a title, GIFs, and type sizes for figures.

Text is drawn in DejaVu Sans when the system has it (Debian's fonts-dejavu-core, which Chromium pulls in:
it has ×, → and ∗), else in Pillow's own font (``ImageFont.load_default(size=...)``, Pillow >= 10), whose
few glyphs need those signs spelled in ASCII (``slide_text``).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

INK = (17, 24, 39)  # the titles' colour: #111827, as in the sliding-window diagram
PAPER = (255, 255, 255)
FIGURE_MIN_PX = 14  # numbers in figures, normally (issue 26)
PRESENTING_MIN_PX = 18  # ... and in presentation mode
PRESENTING_GROWTH = 1.3


def figure_font_px(base: int = FIGURE_MIN_PX, presenting: bool = False) -> int:
    """The font size (px) a figure should use for numbers and labels it would draw at ``base`` px.

    At least 14 px, and in presentation mode 1.3 times bigger and at least 18 px, so numbers read from the
    back of a lecture hall.

    Example:
        >>> figure_font_px(12), figure_font_px(12, presenting=True), figure_font_px(20, presenting=True)
        (14, 18, 26)
    """
    if presenting:
        return max(PRESENTING_MIN_PX, round(base * PRESENTING_GROWTH))
    return max(FIGURE_MIN_PX, int(base))


_ASCII = str.maketrans({"×": "x", "→": "->", "–": "-", "—": "-", "∗": "*", "−": "-", "’": "'", "…": "..."})


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at ``size`` px, or Pillow's built-in font where the system has no DejaVu."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def slide_text(text: str, size: int = 20) -> str:
    """``text`` as ``font(size)`` can draw it: the signs Pillow's own font lacks (×, →, ∗, –) in ASCII."""
    return text if "DejaVu" in (font(size).getname()[0] or "") else text.translate(_ASCII)


def slide_filename(title: str, extension: str) -> str:
    """A download's file name from its title: "Output of Sobel x (stride 2)" -> "output-of-sobel-x-stride-2.png"."""
    stem = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80].strip("-")
    return f"{stem or 'cnnviz'}.{extension.lstrip('.')}"


def as_image(picture: np.ndarray | bytes | Image.Image) -> Image.Image:
    """An RGB(A) PIL image from a (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA uint8 array, PNG bytes or an image.

    Raises:
        ValueError: an array that is not 0-255 integers of one of those shapes, or bytes that are no picture.
    """
    if isinstance(picture, Image.Image):
        image = picture
    elif isinstance(picture, bytes | bytearray):
        try:
            image = Image.open(io.BytesIO(picture))
            image.load()
        except OSError:
            raise ValueError("these bytes are not a picture Pillow can read") from None
    else:
        array = np.asarray(picture)
        if array.dtype == bool:
            array = array.astype(np.uint8) * 255
        if array.dtype != np.uint8:
            raise ValueError(f"a picture for a slide is 0-255 integers (uint8), got {array.dtype}")
        if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
            raise ValueError(f"a picture is (H, W), (H, W, 3) or (H, W, 4), got shape {array.shape}")
        if min(array.shape[:2]) == 0:
            raise ValueError(f"the picture is empty (shape {array.shape})")
        image = Image.fromarray(array)
    return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def title_font_px(width: int) -> int:
    """The title's size for a picture ``width`` px wide: 1/20 of it, between 16 and 36 px."""
    return int(np.clip(round(width / 20), 16, 36))


def titled_image(picture: np.ndarray | bytes | Image.Image, title: str, scale: int = 2) -> Image.Image:
    """``picture`` enlarged ``scale`` times with square, sharp pixels (nearest neighbour), under ``title``.

    The result is exactly the enlarged picture's width (unless one word of the title is wider, then the
    picture is centred) and its height plus the title band (``title_band_px``). An empty title adds no band.

    Raises:
        ValueError: ``scale`` is not a whole number from 1 to 32, or the picture is not one (``as_image``).
    """
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or not 1 <= scale <= 32:
        raise ValueError(f"scale is a whole number from 1 to 32, got {scale!r}")
    image = as_image(picture)
    big = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    lines, size = title_lines(title, big.width)
    face = font(size)
    width = max([big.width] + [int(np.ceil(face.getlength(line))) + 2 * _margin(size) for line in lines])
    band = title_band_px(title, big.width)
    sheet = Image.new(big.mode, (width, band + big.height), PAPER + ((255,) if big.mode == "RGBA" else ()))
    draw = ImageDraw.Draw(sheet)
    for i, line in enumerate(lines):
        draw.text((_margin(size), _margin(size) + i * round(size * 1.25)), line, font=face, fill=INK)
    sheet.paste(big, ((width - big.width) // 2, band))
    return sheet


def titled_png(picture: np.ndarray | bytes | Image.Image, title: str, scale: int = 2) -> bytes:
    """``titled_image`` as PNG bytes, ready for ``st.download_button``.

    Raises:
        ValueError: as ``titled_image``.
    """
    out = io.BytesIO()
    titled_image(picture, title, scale).save(out, format="PNG", optimize=True)
    return out.getvalue()


def captioned_grid(
    pictures: Sequence[np.ndarray | bytes | Image.Image],
    captions: Sequence[Sequence[str]],
    columns: int = 10,
    gap: int = 12,
    caption_px: int = 14,
) -> Image.Image:
    """Pictures of one size in a grid on white, ``columns`` to a row in reading order, each with its caption lines
    under it (e.g. the misclassified digits: "9 → 4", "97.5%", "#1234"), for ``titled_png``.

    Every cell is as wide as the picture or its widest caption line, whichever is wider (the picture centred), and
    as tall as the picture plus a line per caption line; ``gap`` px of white between cells and around them. The
    grid is ``grid_size`` px; a caption line is ``caption_px`` px type.

    Raises:
        ValueError: no pictures, not one caption list per picture, pictures of different sizes, fewer than one
            column, or a picture that is not one (``as_image``).
    """
    if not pictures:
        raise ValueError("a grid needs at least one picture")
    if len(captions) != len(pictures):
        raise ValueError(f"one caption list per picture: {len(pictures)} pictures, {len(captions)} captions")
    if columns < 1:
        raise ValueError(f"a grid has at least one column, got {columns}")
    images = [as_image(picture).convert("RGB") for picture in pictures]
    if len({image.size for image in images}) > 1:
        raise ValueError(f"the pictures differ in size: {sorted({image.size for image in images})}")
    face, lines = font(caption_px), max(len(caption) for caption in captions)
    texts = [[slide_text(line, caption_px) for line in caption] for caption in captions]
    widest = max((int(np.ceil(face.getlength(line))) for caption in texts for line in caption), default=0)
    cell_w, cell_h = max(images[0].width, widest), images[0].height + lines * round(caption_px * 1.25)
    sheet = Image.new("RGB", grid_size(len(images), columns, (cell_w, cell_h), gap), PAPER)
    draw = ImageDraw.Draw(sheet)
    for i, (image, caption) in enumerate(zip(images, texts, strict=True)):
        x, y = gap + (i % columns) * (cell_w + gap), gap + (i // columns) * (cell_h + gap)
        sheet.paste(image, (x + (cell_w - image.width) // 2, y))
        for k, line in enumerate(caption):
            left = x + (cell_w - face.getlength(line)) / 2
            draw.text((left, y + image.height + k * round(caption_px * 1.25)), line, font=face, fill=INK)
    return sheet


def grid_size(count: int, columns: int, cell: tuple[int, int], gap: int = 12) -> tuple[int, int]:
    """(width, height) px of ``captioned_grid``'s sheet: ``count`` cells of ``cell`` (width, height), ``columns``
    to a row (fewer if there are fewer cells), ``gap`` px between and around them.

    Example:
        >>> grid_size(30, 10, (84, 126), gap=12), grid_size(3, 10, (84, 126), gap=12)
        ((972, 426), (300, 150))
    """
    across, down = min(count, columns), -(-count // columns)
    return across * cell[0] + (across + 1) * gap, down * cell[1] + (down + 1) * gap


def title_lines(title: str, width: int) -> tuple[list[str], int]:
    """The title wrapped to ``width`` px, and its font size."""
    size = title_font_px(width)
    if not title.strip():
        return [], size
    face, room = font(size), width - 2 * _margin(size)
    words, lines = " ".join(slide_text(title, size).split()), []
    # Wrap by measured width: try the most characters a line can take, fewer until it fits.
    for chars in range(max(1, len(words)), 0, -1):
        lines = textwrap.wrap(words, chars, break_long_words=False)
        if all(face.getlength(line) <= room for line in lines):
            break
    return lines, size


def title_band_px(title: str, width: int) -> int:
    """Height (px) of the band ``titled_image`` puts above a picture ``width`` px wide (0 without a title)."""
    lines, size = title_lines(title, width)
    return 0 if not lines else 2 * _margin(size) + len(lines) * round(size * 1.25)


def gif_bytes(frames: Sequence[Image.Image], ms: int = 600, loop: bool = True) -> bytes:
    """An animated GIF of ``frames`` (all the same size), ``ms`` milliseconds each.

    Two equal neighbouring frames become one frame lasting twice as long (Pillow's GIF writer does that);
    the frames of ``window_frames`` always differ.

    Raises:
        ValueError: no frames, frames of different sizes, or ``ms`` below 20 (browsers slow faster GIFs down).
    """
    if not frames:
        raise ValueError("a GIF needs at least one frame")
    if len({frame.size for frame in frames}) > 1:
        raise ValueError(f"the frames differ in size: {sorted({frame.size for frame in frames})}")
    if ms < 20:
        raise ValueError(f"a GIF frame lasts at least 20 ms, got {ms}")
    # One palette for all frames, from the first, middle and last (which hold every colour a window animation
    # uses): flat colours survive exactly and nothing flickers between frames.
    rgb = [frame.convert("RGB") for frame in frames]
    sample = [rgb[0], rgb[len(rgb) // 2], rgb[-1]]
    strip = Image.new("RGB", (rgb[0].width, rgb[0].height * len(sample)))
    for i, frame in enumerate(sample):
        strip.paste(frame, (0, i * frame.height))
    palette = strip.quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    paletted = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in rgb]
    out = io.BytesIO()
    extra = {"loop": 0} if loop else {}
    paletted[0].save(
        out, format="GIF", save_all=True, append_images=paletted[1:], duration=ms, disposal=1, optimize=False, **extra
    )
    return out.getvalue()


def _margin(size: int) -> int:
    return max(4, size // 2)
