"""Safe image loading and the sample images: every upload goes through ``load_image``.

An upload can be anything: a phone photo lying on its side (EXIF orientation), a transparent logo,
a 16-bit scan, a CMYK print file, an animated GIF, a damaged file, a text file renamed .png, or a tiny file
whose header claims 30,000 x 30,000 pixels (a "decompression bomb" that would fill memory).
``decode_image`` turns all of them into a plain uint8 greyscale (H, W) or RGB (H, W, 3) array, or
raises a ``ValueError`` that says in one sentence what is wrong.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")  # JPEG also opens MPO (phone) files
UPLOAD_TYPES = ("png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff")
MAX_SIDE = 1024  # longer images are downsized: filtering and drawing stay interactive
MAX_PIXELS = 50_000_000  # refuse headers beyond this before decoding anything
SAMPLE_PHOTOS = ("camera", "astronaut", "coffee", "chelsea")  # bundled in the scikit-image wheel
# Colour photos of things, also in the wheel, for the ImageNet network (the Photos page); camera is grey.
OBJECT_PHOTOS = ("chelsea", "coffee", "rocket", "motorcycle", "astronaut", "camera")
TEST_PATTERNS = ("stripes", "checkerboard", "circle")
DISPLAY_MODES = ("clip", "absolute", "rescale")
_WHITE = (255, 255, 255, 255)


@dataclass(frozen=True)
class DecodedImage:
    """A decoded upload: uint8 pixels (H, W) or (H, W, 3), its size in the file, and what was changed."""

    pixels: np.ndarray
    original_size: tuple[int, int]  # (width, height) as stored in the file
    notes: tuple[str, ...]  # one sentence per change, e.g. "downsized from 3024 x 4032 to 768 x 1024 pixels, …"


def load_image(data: bytes, max_side: int = MAX_SIDE) -> np.ndarray:
    """Decode image bytes into uint8 greyscale (H, W) or RGB (H, W, 3), long side at most ``max_side``.

    Raises:
        ValueError: empty file, not an image, damaged or truncated file, or too many pixels.
    """
    return decode_image(data, max_side).pixels


def decode_image(data: bytes, max_side: int = MAX_SIDE) -> DecodedImage:
    """Decode image bytes like ``load_image`` and also report what was changed to get there.

    Applies EXIF orientation, flattens transparency onto white, converts palette/CMYK/16-bit/float/
    greyscale-with-alpha to RGB or greyscale, takes the first frame of an animation, downsizes.

    Raises:
        ValueError: empty file, not an image, damaged or truncated file, or too many pixels.
    """
    if not data:
        raise ValueError("the file is empty (0 bytes): choose an image file")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 89 and 179 megapixels; we refuse, see MAX_PIXELS below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.init()  # registers every plugin, so ``formats`` below can name WebP and TIFF
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        raise ValueError(
            "this file is not an image we can read: upload a PNG, JPEG, BMP, GIF, WebP or TIFF file"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        claimed = re.search(r"\((\d+) pixels\)", str(exc))  # Pillow: "Image size (900000000 pixels) exceeds..."
        raise ValueError(_too_big_message(int(claimed.group(1)) if claimed else None)) from None
    except Exception:  # Pillow's parsers raise many types for a malformed header
        raise ValueError("the image file is damaged and cannot be opened") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValueError(_too_big_message(width * height, (height, width)))
    if width < 1 or height < 1:
        raise ValueError(f"the image has no pixels ({height} x {width})")
    notes: list[str] = []
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        notes.append(f"the file holds {frames} frames (animation or pages): showing the first one")
    try:
        if image.format in ("JPEG", "MPO") and max(width, height) > 2 * max_side:
            # Decode a JPEG at 1/2, 1/4 or 1/8 scale straight away: much faster than full size then shrink.
            scale = max_side / max(width, height)
            image.draft(image.mode, (max(1, int(width * scale)), max(1, int(height * scale))))
        image.load()
        orientation = image.getexif().get(0x0112, 1)  # EXIF tag 274: 1 = upright
        rotated = ImageOps.exif_transpose(image)
    except Exception:  # truncated data, bad compressed stream, corrupt EXIF
        raise ValueError("the image file is truncated or damaged and cannot be decoded") from None
    if orientation not in (1, None):
        notes.append("turned upright as the camera's EXIF orientation tag says")
    pixels = _to_plain_array(rotated, notes)
    # The note names the file's own size: a large JPEG was already decoded at 1/2 to 1/8 of it (draft).
    upright = (width, height) if orientation in (5, 6, 7, 8) else (height, width)  # EXIF 5-8: a quarter turn
    pixels = _downsize(pixels, max_side, notes, upright)
    return DecodedImage(pixels, (width, height), tuple(notes))


def _too_big_message(pixels: int | None, size: tuple[int, int] | None = None) -> str:
    """``size``: (height, width), as every size the app shows."""
    if size:
        claim = f"{size[0]:,} x {size[1]:,} pixels"
    else:
        claim = f"{pixels / 1e6:,.0f} megapixels" if pixels else "far too many pixels"
    return (
        f"the file claims {claim}; images over {MAX_PIXELS // 1_000_000} megapixels are refused "
        "(such a file could fill the server's memory)"
    )


def _to_plain_array(image: Image.Image, notes: list[str]) -> np.ndarray:
    """uint8 (H, W) for greyscale modes, (H, W, 3) for everything else."""
    mode = image.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        if mode == "F" or values.max() > 65535 or values.min() < 0:
            low, high = values.min(), values.max()
            values = (values - low) / (high - low) * 255 if high > low else np.zeros_like(values)
            notes.append("high-precision pixel values rescaled to 0-255")
        else:
            values = values / 257.0  # 65535 -> 255
            notes.append("16-bit image reduced to 8 bits per pixel")
        return np.round(values).astype(np.uint8)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode == "1":
        image = image.convert("L")
    if image.mode == "CMYK":
        notes.append("CMYK (print) colours converted to RGB")
    if image.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        grey = image.mode in ("LA", "La")
        rgba = image.convert("RGBA")
        if rgba.getextrema()[3][0] < 255:
            notes.append("transparent areas filled with white")
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba)
        image = flat.convert("L" if grey else "RGB")
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(image, dtype=np.uint8).copy()


def _downsize(pixels: np.ndarray, max_side: int, notes: list[str], original_hw: tuple[int, int]) -> np.ndarray:
    """Shrink to ``max_side`` on the long side; the note is about ``original_hw``, the file's upright size."""
    height, width = original_hw
    if max(height, width) <= max_side:
        return pixels
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if pixels.shape[:2] != size[::-1]:
        smaller = Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        pixels = np.asarray(smaller, dtype=np.uint8).copy()
    # Height x width, as everywhere in the app (the Kernels titles, the conv arithmetic, (C, H, W) shapes).
    notes.append(
        f"downsized from {height} x {width} to {size[1]} x {size[0]} pixels, height x width (long side {max_side})"
    )
    return pixels


def to_greyscale(pixels: np.ndarray) -> np.ndarray:
    """Luminance ``0.299 R + 0.587 G + 0.114 B`` (as Pillow's "L"): (H, W, 3) -> float32 (H, W).

    A 2-D array is returned as float32 unchanged.

    Raises:
        ValueError: the array is not (H, W) or (H, W, 3).
    """
    array = np.asarray(pixels)
    if array.ndim == 2:
        return array.astype(np.float32)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected a greyscale (H, W) or RGB (H, W, 3) image, got shape {array.shape}")
    return array.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_uint8(values: np.ndarray, mode: str = "clip") -> np.ndarray:
    """Turn filter output (any sign, any range) into displayable 0-255 pixels.

    Modes: "clip" cuts below 0 and above 255; "absolute" takes |x| and then clips (edges of either
    sign become bright); "rescale" maps the smallest value to 0 and the largest to 255.

    Raises:
        ValueError: an unknown mode.
    """
    array = np.asarray(values, dtype=np.float32)  # float32: a megapixel RGB image in a few ms
    if mode == "clip":
        scaled = array.copy()
    elif mode == "absolute":
        scaled = np.abs(array)
    elif mode == "rescale":
        low, high = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
        scaled = (array - low) * np.float32(255.0 / (high - low)) if high > low else np.zeros_like(array)
    else:
        raise ValueError(f"display mode must be one of {DISPLAY_MODES}, got {mode!r}")
    np.rint(scaled, out=scaled)
    return np.clip(scaled, 0, 255, out=scaled).astype(np.uint8)


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG file bytes of a uint8 (H, W) or (H, W, 3) array (for downloads).

    Raises:
        ValueError: the array is not uint8 greyscale or RGB.
    """
    array = np.asarray(pixels)
    if array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise ValueError(f"a PNG needs uint8 (H, W) or (H, W, 3) pixels, got {array.dtype} {array.shape}")
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def sample_photo(name: str) -> np.ndarray:
    """A photo bundled with scikit-image (nothing is downloaded): uint8 (H, W) or (H, W, 3).

    Raises:
        ValueError: the name is in neither ``SAMPLE_PHOTOS`` nor ``OBJECT_PHOTOS``.
    """
    if name not in SAMPLE_PHOTOS + OBJECT_PHOTOS:
        raise ValueError(
            f"sample photo must be one of {tuple(dict.fromkeys(SAMPLE_PHOTOS + OBJECT_PHOTOS))}, got {name!r}"
        )
    from skimage import data  # imported here: it takes a moment and only this function needs it

    pixels = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()  # left of a stereo pair
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def draw_test_pattern(kind: str, size: int = 256) -> np.ndarray:
    """A synthetic greyscale uint8 (size, size) image whose edges have obvious directions.

    "stripes": vertical stripes on the left half, horizontal stripes on the right half;
    "checkerboard": 8 x 8 squares; "circle": a white disc on black (edges in every direction).

    Raises:
        ValueError: an unknown kind, or a size below 16.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise ValueError(f"test pattern size must be a whole number of at least 16, got {size!r}")
    rows, cols = np.mgrid[0:size, 0:size]  # (size, size) each
    period = max(size // 16, 2)
    if kind == "stripes":
        vertical = (cols // period) % 2
        horizontal = (rows // period) % 2
        pattern = np.where(cols < size // 2, vertical, horizontal)
    elif kind == "checkerboard":
        pattern = ((rows // (size // 8)) + (cols // (size // 8))) % 2
    elif kind == "circle":
        centre, radius = (size - 1) / 2, size * 0.3
        pattern = (rows - centre) ** 2 + (cols - centre) ** 2 <= radius**2
    else:
        raise ValueError(f"test pattern must be one of {TEST_PATTERNS}, got {kind!r}")
    return (pattern * 255).astype(np.uint8)
