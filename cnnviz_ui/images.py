"""The shared image picker: upload (decoded once, cached) or a bundled sample, with friendly errors.

Other pages reuse it::

    picked = image_input("classify", sources=("Upload", "MNIST digit"))
    if picked is not None:
        pixels = picked.pixels  # uint8 (H, W) or (H, W, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz.images import (
    MAX_SIDE,
    SAMPLE_PHOTOS,
    TEST_PATTERNS,
    UPLOAD_TYPES,
    DecodedImage,
    decode_image,
    draw_test_pattern,
    sample_photo,
)
from cnnviz_ui.common import UPLOAD_LIMIT_MB, a_digit, literal, message_text

SOURCES = ("Sample photo", "MNIST digit", "Test pattern", "Upload")
PATTERN_LABELS = {
    "stripes": "Stripes (vertical | horizontal)",
    "checkerboard": "Checkerboard",
    "circle": "Circle",
}


@dataclass(frozen=True)
class PickedImage:
    """The chosen image: uint8 pixels (H, W) or (H, W, 3), a stable id for caching, a caption."""

    pixels: np.ndarray
    image_id: str  # e.g. "photo:camera", "upload:<file id>": equal ids mean equal pixels
    caption: str


@st.cache_data(max_entries=16, show_spinner="Decoding the image…")
def load_image(data: bytes) -> np.ndarray:
    """``cnnviz.images.load_image`` cached by content: uint8 (H, W) or (H, W, 3), long side <= 1024.

    Raises:
        ValueError: empty, damaged, non-image or oversized file (show it with ``friendly_errors``).
    """
    return decode_image(data).pixels


@st.cache_data(max_entries=16, show_spinner="Decoding the image…")
def _decode_upload(file_id: str, _data: bytes) -> DecodedImage:
    # Keyed by Streamlit's upload id, so a rerun never re-hashes up to 20 MB of bytes.
    return decode_image(_data)


@st.cache_data(max_entries=8, show_spinner=False)
def _sample_photo(name: str) -> np.ndarray:
    return sample_photo(name)


@st.cache_data(max_entries=64, show_spinner=False)
def _mnist_digit(index: int) -> tuple[np.ndarray, int]:
    from cnnviz_ui.resources import dataset

    images, labels = dataset("MNIST", "test")
    return images[index].numpy(), int(labels[index])


def upload_image(key: str, label: str = "Upload an image", hint: str = "") -> PickedImage | None:
    """A file uploader whose file is decoded safely; problems are shown as ``st.error``, never raised.

    Under it, one caption: the formats and limits, then ``hint`` (what makes a good picture) on a line of its own.

    The last good image is kept (``<key>__kept``): when the uploader comes back empty because it was not
    drawn for a while (another page, another source), the kept image is used again and the page says so,
    with a button to forget it. Streamlit itself forgets the file. Removing the file with the uploader's
    own cross still means no image.
    """
    kept, restored = f"{key}__kept", f"{key}__restored"
    if key not in st.session_state and kept in st.session_state:  # the uploader is drawn afresh
        st.session_state[restored] = True
    upload = st.file_uploader(
        label,
        type=list(UPLOAD_TYPES),
        key=key,
        help=f"PNG, JPEG, BMP, GIF, WebP or TIFF, up to {UPLOAD_LIMIT_MB} MB. "
        f"Images longer than {MAX_SIDE} px are downsized.",
    )
    limits = (
        f"PNG, JPEG, BMP, GIF, WebP or TIFF · up to {UPLOAD_LIMIT_MB} MB · "
        f"pictures over {MAX_SIDE} px are shrunk to fit"
    )
    st.caption(f"{limits}  \n{hint}" if hint else limits)
    if upload is None:
        return _kept_upload(key, kept, restored)
    st.session_state[restored] = False
    try:
        decoded = _decode_upload(upload.file_id, upload.getvalue())
    except ValueError as exc:
        st.error(f"**{literal(upload.name)}**: {message_text(exc)}")
        return None
    for note in decoded.notes:
        st.info(f"{literal(upload.name)}: {note}.", icon="ℹ️")
    picked = PickedImage(decoded.pixels, f"upload:{upload.file_id}", upload.name)
    st.session_state[kept] = picked
    return picked


def _kept_upload(key: str, kept: str, restored: str) -> PickedImage | None:
    """The image uploaded earlier, if the uploader was drawn afresh since (see ``upload_image``)."""
    if not st.session_state.get(restored) or kept not in st.session_state:
        return None
    picked = st.session_state[kept]
    if st.button(f"Forget {literal(picked.caption)}", key=f"{key}_forget", help="Back to an empty uploader."):
        st.session_state[restored] = False
        del st.session_state[kept]
        return None
    st.caption(f"Still using **{literal(picked.caption)}**, uploaded earlier; upload another file to replace it.")
    return picked


def image_input(
    key_prefix: str,
    sources: Sequence[str] = SOURCES,
    default_photo: str = "camera",
) -> PickedImage | None:
    """Pick an image: a bundled photo, an MNIST test digit, a test pattern or an upload.

    Widgets are keyed ``{key_prefix}_source``, ``_photo``, ``_digit``, ``_pattern``, ``_upload``.
    Returns None while nothing usable is chosen (no upload yet, or a bad file, already explained).
    """
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown image sources {sorted(unknown)}; choose from {SOURCES}")
    source = st.radio(
        "Image source", list(sources), key=f"{key_prefix}_source", persist_state="session", horizontal=True
    )
    if source == "Sample photo":
        name = st.selectbox(
            "Sample photo",
            SAMPLE_PHOTOS,
            index=SAMPLE_PHOTOS.index(default_photo),
            key=f"{key_prefix}_photo",
            persist_state="session",
            format_func=str.capitalize,
            help="Photos that ship with scikit-image: nothing is downloaded.",
        )
        return PickedImage(_sample_photo(name), f"photo:{name}", f"scikit-image sample: {name}")
    if source == "MNIST digit":
        index = st.number_input(
            "MNIST test image (0-9999)",
            0,
            9999,
            0,
            key=f"{key_prefix}_digit",
            persist_state="session",
            help="28 x 28 pixels",
        )
        pixels, label = _mnist_digit(int(index))
        return PickedImage(pixels, f"mnist:{index}", f"MNIST test image {index} ({a_digit(label)})")
    if source == "Test pattern":
        kind = st.selectbox(
            "Test pattern",
            TEST_PATTERNS,
            key=f"{key_prefix}_pattern",
            persist_state="session",
            format_func=PATTERN_LABELS.get,
        )
        return PickedImage(draw_test_pattern(kind, 256), f"pattern:{kind}", PATTERN_LABELS[kind])
    return upload_image(f"{key_prefix}_upload")
