"""The one input picker of every page: test digits, drawings, uploads, camera photos and bundled pictures.

Each page offers its own choice of sources (``image_input`` on Kernels, ``digit_input`` on Feature maps and
Translation invariance, ``classify_source`` + ``classify_input`` on Classify), and each returns a
``PickedImage``, or None after saying on the page why there is nothing to use yet. Photos and drawings go
through ``cnnviz.preprocess.to_mnist_steps``; a test digit is already in MNIST's format.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch
from streamlit.delta_generator import DeltaGenerator

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
from cnnviz.preprocess import NotADigit, PreprocessStep, to_mnist_steps
from cnnviz_ui import links
from cnnviz_ui.resources import class_names, dataset, test_images
from cnnviz_ui.state import lasting_canvas, renew_canvas
from cnnviz_ui.text import a_class, a_digit, class_name, literal, message_text, test_item

UPLOAD_LIMIT_MB = 20  # keep in step with .streamlit/config.toml [server] maxUploadSize
SOURCES = ("Sample photo", "MNIST digit", "Test pattern", "Upload")  # Kernels
PATTERN_LABELS = {
    "stripes": "Stripes (vertical | horizontal)",
    "checkerboard": "Checkerboard",
    "circle": "Circle",
}
INPUTS = ("Test digit", "Upload an image", "Draw a digit")  # Feature maps, Translation invariance
PICK_BY = ("By index", "By class", "Random")
CLASSIFY_SOURCES = ("Draw", "Upload a photo", "Camera", "MNIST test digit")
CANVAS_SIDE = 320  # Classify's drawing box: 304 px or more in its column at 1024 px with the sidebar open


@dataclass(frozen=True)
class PickedImage:
    """What the student picked.

    ``pixels``: the picture as chosen, uint8 (H, W) or (H, W, 3). ``image_id``: equal ids mean equal pixels
    ("photo:camera", "upload:<file id>", "MNIST:7"). ``label``: the true class, when known (a test image).
    ``steps``: how it became the network's 28 x 28 input (``to_mnist_steps``, or one step for a test image);
    empty for a picture that only gets filtered (Kernels).
    """

    pixels: np.ndarray
    image_id: str
    caption: str
    label: int | None = None
    steps: tuple[PreprocessStep, ...] = ()

    @property
    def image(self) -> np.ndarray:
        """The network's input: float32 (28, 28) in [0, 1], the last preprocessing step."""
        return np.asarray(self.steps[-1].image, dtype=np.float32)


@st.cache_data(max_entries=16, show_spinner="Decoding the image…")
def load_image(data: bytes) -> np.ndarray:
    """``cnnviz.images.decode_image`` cached by content: uint8 (H, W) or (H, W, 3), long side <= 1024.

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
def _test_pixels(dataset_name: str, index: int) -> tuple[np.ndarray, int]:
    """(uint8 (28, 28) pixels, label) of one test image."""
    images, labels = dataset(dataset_name, "test")
    return images[index].numpy(), int(labels[index])


def _test_digit(dataset_name: str, index: int, caption: str, step: str) -> PickedImage:
    """A test image as the network's input as it is (``step`` names the one step), ``caption`` with its label."""
    pixels, label = _test_pixels(dataset_name, index)
    image = pixels.astype(np.float32) / 255.0
    steps = (PreprocessStep(step, image, "already centred 28 x 28: no preprocessing needed"),)
    return PickedImage(pixels, f"{dataset_name}:{index}", caption.format(label=label), label, steps)


def preprocessed(
    pixels: np.ndarray, caption: str, image_id: str = "", on_not_a_digit: Callable[[NotADigit], None] | None = None
) -> PickedImage | None:
    """A photo or drawing made into MNIST's format; or None after a one-line warning that starts with
    ``caption`` (an image with no digit in it): the same words on every page, each failure with its own
    sentence (``NotADigit``). ``on_not_a_digit`` is then called with the exception, for a page to offer
    more (Classify offers the Photos page for a photo)."""
    try:
        steps = tuple(to_mnist_steps(pixels))
    except ValueError as exc:
        st.warning(f"{literal(caption)}: {message_text(exc)}.")
        if on_not_a_digit is not None and isinstance(exc, NotADigit):
            on_not_a_digit(exc)
        return None
    return PickedImage(np.asarray(pixels), image_id, caption, None, steps)


def upload_image(key: str, label: str = "Upload an image", hint: str = "") -> PickedImage | None:
    """A file uploader whose file is decoded safely; problems are shown as ``st.error``, never raised.

    Under it, one caption: the formats and limits, then ``hint`` (what makes a good picture) on a line of its own.
    The last good image is kept (``<key>__kept``): when the uploader comes back empty because it was not
    drawn for a while (another page, another source), the kept image is used again and the page says so,
    with a button to forget it. Removing the file with the uploader's own cross still means no image.
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


def bundled_photo(name: str) -> PickedImage:
    """A photo that ships with scikit-image (``cnnviz.images.sample_photo``), cached; id ``photo:<name>``."""
    return PickedImage(_sample_photo(name), f"photo:{name}", f"scikit-image sample: {name}")


def camera_photo(key: str, label: str, help: str | None = None) -> PickedImage | None:
    """``st.camera_input`` decoded safely (``load_image``); None while no photo is taken, or after an ``st.error``
    that says why it cannot be read. Its id hashes the photo, so equal shots share cached results."""
    shot = st.camera_input(label, key=key, help=help)
    if shot is None:
        return None
    data = shot.getvalue()
    try:
        pixels = load_image(data)
    except ValueError as exc:
        st.error(f"The camera photo cannot be read: {message_text(exc)}")
        return None
    return PickedImage(pixels, f"camera:{hashlib.blake2b(data, digest_size=8).hexdigest()}", "the camera photo")


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


def _uploaded_digit(
    key: str, label: str, hint: str = "", on_not_a_digit: Callable[[NotADigit], None] | None = None
) -> PickedImage | None:
    picked = upload_image(key, label, hint)
    if picked is None:
        return None
    return preprocessed(picked.pixels, picked.caption, picked.image_id, on_not_a_digit)


def _drawn_digit(key: str, side: int, ink: str, paper: str, stroke: int, **options: object) -> np.ndarray | None:
    """The drawing canvas (``state.lasting_canvas``): uint8 RGBA pixels of the drawing, None while the box is empty."""
    return lasting_canvas(
        key,
        stroke_width=stroke,
        stroke_color=ink,
        background_color=paper,
        height=side,
        width=side,
        drawing_mode="freedraw",
        **options,
    )


def image_input(
    key_prefix: str,
    sources: Sequence[str] = SOURCES,
    default_photo: str = "camera",
    beside: tuple[DeltaGenerator, DeltaGenerator] | None = None,
) -> PickedImage | None:
    """Kernels' picker: a bundled photo, an MNIST test digit, a test pattern or an upload.

    Widgets are keyed ``{key_prefix}_source``, ``_photo``, ``_digit``, ``_pattern``, ``_upload``; their defaults
    go through the session state (no ``value=``/``index=``), so a link may set them before they are drawn.
    ``beside``: two containers (say columns of one row in the page): the source's choices go in the first, the
    picture's own widget (photo, index, pattern, uploader) in the second. By default both go where this is called.
    Returns None while nothing usable is chosen (no upload yet, or a bad file, already explained).
    """
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown image sources {sorted(unknown)}; choose from {SOURCES}")
    # Through the state on every run: a widget not drawn for a while (another source) comes back showing it
    for name, default in (("photo", default_photo), ("digit", 0), ("pattern", TEST_PATTERNS[0])):
        st.session_state[f"{key_prefix}_{name}"] = st.session_state.get(f"{key_prefix}_{name}", default)
    left, right = beside if beside is not None else (st.container(), st.container())
    source = left.radio(
        "Image source", list(sources), key=f"{key_prefix}_source", persist_state="session", horizontal=True
    )
    with right:
        return _picked_image(key_prefix, source)


def _picked_image(key_prefix: str, source: str) -> PickedImage | None:
    if source == "Sample photo":
        name = st.selectbox(
            "Sample photo",
            SAMPLE_PHOTOS,
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
            key=f"{key_prefix}_digit",
            persist_state="session",
            help="28 x 28 pixels",
        )
        pixels, label = _test_pixels("MNIST", int(index))
        return PickedImage(pixels, f"mnist:{index}", f"MNIST test image {index} ({a_digit(label)})", label)
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


def _chosen_test_image(prefix: str, dataset_name: str = "MNIST") -> PickedImage | None:
    """A test image by index, by class or at random; for MNIST the words are "digit", else the class names."""
    loaded = test_images(dataset_name)
    if loaded is None:
        return None
    images, labels = loaded
    names = class_names(dataset_name)
    thing, kind = test_item(names), ("Digit class" if names is None else "Class")
    count = len(images)
    how = st.radio(
        f"Choose the test {thing}", PICK_BY, key=f"{prefix}_pick_by", persist_state="session", horizontal=True
    )
    if how == "By index":
        # No help icon: its "Help for ..." label would make the widget's label ambiguous for browser tests.
        index = st.number_input(f"Test {thing} index", value=0, step=1, key=f"{prefix}_index", persist_state="session")
        if not 0 <= index < count:
            st.error(
                f"Test {thing} index must be between 0 and {count - 1:,} (the test set has {count:,} {thing}s); "
                f"got {int(index):,}."
            )
            return None
    elif how == "By class":
        chosen = st.selectbox(
            kind, range(10), key=f"{prefix}_class", persist_state="session", format_func=lambda c: class_name(c, names)
        )
        shown = class_name(chosen, names)
        of_class = torch.nonzero(labels == chosen).flatten()
        nth = st.number_input(
            f"Which {shown} (1 to {len(of_class):,})", value=1, step=1, key=f"{prefix}_nth", persist_state="session"
        )
        if not 1 <= nth <= len(of_class):
            st.error(
                f"There are {len(of_class):,} test {thing}s labelled {shown}: choose 1 to {len(of_class):,}, "
                f"got {int(nth):,}."
            )
            return None
        index = int(of_class[int(nth) - 1])
    else:
        chosen = f"{prefix}_random_index"
        if st.button(f"Another random {thing}", key=f"{prefix}_random") or chosen not in st.session_state:
            st.session_state[chosen] = int(np.random.default_rng().integers(count))
        index = st.session_state[chosen]
    index = int(index)
    label = int(labels[index])
    return _test_digit(
        dataset_name, index, f"test {thing} #{index:,} ({a_class(label, names)})", f"{dataset_name} test {thing}"
    )


def digit_input(prefix: str, dataset_name: str = "MNIST") -> PickedImage | None:
    """Feature maps' and Translation invariance's picker: a test digit (by index, by class or random), an
    upload, or a drawing. None, after explaining why, while there is no usable digit.

    Another ``dataset_name`` (Fashion-MNIST) offers its test images only, under keys of their own: its
    images were not made the way ``to_mnist`` makes a photo (they fill the 28x28 square, grey levels and
    all), so an uploaded photo would show the network something unlike what it learnt.
    """
    if dataset_name != "MNIST":
        st.caption(
            f"{dataset_name} test images only: photos and drawings go through MNIST's digit preprocessing, "
            "which a model trained on clothes never saw."
        )
        return _chosen_test_image(f"{prefix}_{dataset_name.lower().replace('-', '_')}", dataset_name)
    source = st.radio(
        "Input",
        INPUTS,
        key=f"{prefix}_source",
        persist_state="session",
        horizontal=True,
        on_change=renew_canvas,
        args=(f"{prefix}_canvas",),
    )  # a canvas taken down starts anew
    if source == "Test digit":
        return _chosen_test_image(prefix)
    if source == "Upload an image":
        return _uploaded_digit(f"{prefix}_upload", "Upload a photo of one digit")
    pixels = _drawn_digit(f"{prefix}_canvas", 224, "#ffffff", "#000000", 18)
    st.caption("Draw one digit, large, in the middle of the box (**Clear** empties it).")
    if pixels is None or pixels[..., :3].max() == 0:
        st.info("Draw a digit in the black box to see how the network reacts.")
        return None
    return preprocessed(pixels[..., :3], "your drawing", "drawing")


def classify_sources() -> tuple[str, ...]:
    """``CLASSIFY_SOURCES`` this browser can use: without "Camera" where the page is not a secure context
    (a student's phone on the hall's http://<lecturer's address>:8501 gets no camera, whatever it allows)."""
    if links.camera_available():
        return CLASSIFY_SOURCES
    return tuple(source for source in CLASSIFY_SOURCES if source != "Camera")


def classify_source() -> str:
    """Classify's radio over ``classify_sources()``: where the digit comes from. Where the camera is hidden,
    a caption says that a phone's **Upload a photo** opens its camera (``links.CAMERA_FALLBACK``)."""
    sources = classify_sources()
    if st.session_state.get("classify_source", sources[0]) not in sources:  # "Camera", chosen on another address
        st.session_state["classify_source"] = "Upload a photo"
    source = st.radio(
        "Digit source",
        sources,
        key="classify_source",
        persist_state="session",
        horizontal=True,
        on_change=renew_canvas,
        args=("classify_canvas",),
    )
    if "Camera" not in sources:
        st.caption(links.CAMERA_FALLBACK)
    return source


def classify_test_index() -> int:
    """Classify's number box for an MNIST test digit's index (key ``classify_test_index``, 0 at first)."""
    images, _ = dataset("MNIST", "test")
    st.session_state.setdefault("classify_test_index", 0)  # no value=: a link may have set it (``links``)
    return int(
        st.number_input(
            "MNIST test digit (0-9999)",
            min_value=0,
            max_value=len(images) - 1,
            step=1,
            key="classify_test_index",
            persist_state="session",
        )
    )


def classify_input(
    source: str, on_not_a_digit: Callable[[NotADigit], None] | None = None, test_index: int | None = None
) -> PickedImage | None:
    """The widget of Classify's ``source`` (one of ``CLASSIFY_SOURCES``); None (after saying why) while there is
    no usable digit. ``on_not_a_digit``: as in ``preprocessed``, for photos and uploads; ``test_index``: the
    test digit's index when the page drew ``classify_test_index`` itself (else it is drawn here)."""
    if source == "Draw":
        return _classify_drawing()
    if source == "MNIST test digit":
        index = classify_test_index() if test_index is None else test_index
        return _test_digit("MNIST", index, f"MNIST test digit #{index} (labelled {{label}})", "MNIST test digit")
    if source == "Camera":
        shot = st.camera_input(
            "Take a photo of a digit written on paper",
            key="classify_camera",
            help="Fill most of the picture with the digit; dark ink on light paper works best.",
        )
        if shot is None:
            return None
        try:
            return preprocessed(load_image(shot.getvalue()), "the camera photo", "camera", on_not_a_digit)
        except ValueError as exc:
            st.error(f"The camera photo cannot be read: {message_text(exc)}")
            return None
    return _uploaded_digit(
        "classify_upload",
        "Upload a photo of a digit",
        hint="One digit per photo; dark ink on light paper or a light digit on dark works.",
        on_not_a_digit=on_not_a_digit,
    )


def _classify_drawing() -> PickedImage | None:
    try:  # a components-v2 widget: importing it needs a running Streamlit
        import streamlit_drawable_canvas  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means: no canvas, the other sources still work
        st.warning("The drawing canvas is not available here; upload a photo or pick an MNIST test digit instead.")
        return None
    pixels = _drawn_digit("classify_canvas", CANVAS_SIDE, "#111111", "#ffffff", 22, update_streamlit=True)
    st.caption(
        "Draw one digit, big: the answer updates when you lift the pen. Arrows above the box undo a stroke; "
        "**Clear** empties it."
    )
    if pixels is None:
        st.info("Draw a digit in the white box to see what the network makes of it.")
        return None
    return preprocessed(pixels, "your drawing", "drawing")
