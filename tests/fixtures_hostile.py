"""Hostile uploads, built at test time (nothing binary is committed): what a lecture hall's phones produce.

Each ``HostileFile`` says what the app must do with it: ``refused`` files get a one-sentence ``st.error``
containing ``words``; accepted files are shown, with an ``st.info`` note containing ``words`` when the
loader had to change something. Shared by the unit tests (``tests/test_hostile_files.py``) and the
browser tests (``tests/e2e/test_hostile_uploads.py``).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024  # .streamlit/config.toml [server] maxUploadSize = 20 (MB)


@dataclass(frozen=True)
class HostileFile:
    """One upload: its file name, bytes, MIME type, and what the page must say about it."""

    name: str
    data: bytes
    mime: str
    refused: bool  # True: an st.error explains why; False: the image is used
    words: str  # a regular expression found in the explanation (error or note); "" = no note expected


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def digit_photo(digit_index: int = 0, side: int = 240) -> tuple[bytes, int]:
    """A 'photo' of an MNIST test digit: dark ink on light paper, upscaled, as PNG; and its true label."""
    from cnnviz.data import load_dataset

    images, labels = load_dataset("MNIST", "test")
    ink = images[digit_index].numpy()
    paper = Image.fromarray(255 - ink).resize((side, side), Image.Resampling.BILINEAR)
    return _save(paper, "PNG"), int(labels[digit_index])


def gradient_png(width: int = 96, height: int = 64) -> bytes:
    """A small valid RGB PNG (a colour gradient): the 'next valid upload'."""
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, 1)
    return _save(Image.fromarray(np.stack([x, y, 255 - x], axis=-1)), "PNG")


def png_header_only(width: int, height: int) -> bytes:
    """A 60-byte PNG whose IHDR claims width x height: a decompression bomb's calling card."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def _photo_like(width: int = 200, height: int = 150) -> Image.Image:
    rng = np.random.default_rng(0)
    base = np.linspace(40, 220, width)[None, :, None] + rng.normal(0, 20, (height, width, 3))
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def over_limit_file() -> HostileFile:
    """A 'PNG' 1 MB above the upload limit: Streamlit refuses it in the browser before sending it."""
    data = gradient_png() + b"\0" * (UPLOAD_LIMIT_BYTES + 1024 * 1024)
    return HostileFile("huge_photo.png", data, "image/png", True, r"File must be 20(\.0)? ?MB or smaller")


def hostile_files() -> list[HostileFile]:
    """Every hostile upload that reaches the server (the over-limit file does not: see ``over_limit_file``)."""
    png = _save(_photo_like(), "PNG")
    jpeg = _save(_photo_like(), "JPEG", quality=90)
    sixteen = Image.fromarray((np.linspace(0, 65535, 64 * 48).reshape(48, 64)).astype(np.uint16))
    frames = [Image.new("RGB", (40, 30), colour) for colour in [(200, 30, 30), (30, 200, 30), (30, 30, 200)]]
    strip = Image.fromarray(np.tile(np.linspace(0, 255, 10_000, dtype=np.uint8), (50, 1)))  # 10,000 wide, 50 high
    return [
        HostileFile("empty.png", b"", "image/png", True, "empty"),
        HostileFile(
            "notes.png", b"hello, I am a text file renamed photo.png\n" * 20, "image/png", True, "not an image"
        ),
        HostileFile("truncated.png", png[: len(png) // 2], "image/png", True, "truncated|damaged"),
        HostileFile("truncated.jpg", jpeg[: len(jpeg) // 2], "image/jpeg", True, "truncated|damaged"),
        HostileFile("bomb.png", png_header_only(30_000, 30_000), "image/png", True, "30,000 x 30,000|megapixels"),
        HostileFile("one_pixel.png", _save(Image.new("RGB", (1, 1), (90, 90, 90)), "PNG"), "image/png", False, ""),
        HostileFile("strip.png", _save(strip, "PNG"), "image/png", False, "downsized|10,000"),
        HostileFile("sixteen_bit.png", _save(sixteen, "PNG"), "image/png", False, "16-bit"),
        HostileFile("cmyk.jpg", _save(_photo_like().convert("CMYK"), "JPEG"), "image/jpeg", False, "CMYK"),
        HostileFile(
            "animated.gif",
            _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
            "image/gif",
            False,
            "3 frames",
        ),
    ]
