"""The Kernels page's widgets and views: kernel builder, sliding settings, output views, Sobel, pixel inspector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit_image_coordinates import streamlit_image_coordinates

from cnnviz.colour_filtering import CHANNEL_MIXES, PROCESS_MODES, ConvLayerWindow, conv_layer_window, filter_input
from cnnviz.filtering import (
    BOUNDARY_MODES,
    apply_kernel,
    gradient_magnitude,
    kernel_window,
    output_size_formula,
    padding_amounts,
)
from cnnviz.images import SAMPLE_PHOTOS, TEST_PATTERNS, to_uint8
from cnnviz.kernels import (
    PRESET_NOTES,
    PRESETS,
    box_kernel,
    gaussian_kernel,
    kernel_text,
    normalise_kernel,
    parse_kernel_text,
)
from cnnviz.render import (
    PROJECTOR_GAMMA,
    clicked_pixel,
    diverging_rgb,
    diverging_scale,
    hover_samples,
    hover_step,
    is_to_scale,
    pick_picture,
)
from cnnviz.slides import slide_filename, titled_png
from cnnviz.view_links import LinkParam
from cnnviz_ui.layout import friendly_errors, show_picture, wrapping_columns
from cnnviz_ui.links import copy_link_button, write_link
from cnnviz_ui.picker import SOURCES
from cnnviz_ui.plots import CHART_MIN_WIDTH, GREYS, PICTURE_MAX_HEIGHT, heatmap, image_figure, picture_source
from cnnviz_ui.presenting import figure_font_px
from cnnviz_ui.state import lasting_data_editor

MAX_CUSTOM = 15
# Short labels (a select box cuts its value off at the width of a 1024 px projector's column); the note
# under the box says what the choice does.
PADDING_CHOICES = {"same": "same", "valid": "valid (P = 0)", "full": "full (P = F - 1)", "number": "P pixels"}
PADDING_NOTES = {
    "same": "W_out = ceil(W / S): at stride 1 the output is as large as the input.",
    "valid": "No padding: the kernel stays inside the image, so the output is F - 1 smaller.",
    "full": "P = F - 1 on every side: every place where kernel and image overlap at all.",
    "number": "Type P: that many pixels are added on every side.",
}
BOUNDARY_HELP = (
    "What the padding pixels hold. zero: 0 · reflect: mirror image, edge pixel once (dcb|abcd) · "
    "symmetric: mirror, edge pixel repeated (cba|abcd, scipy's 'symm', the lecture's choice) · "
    "wrap: the opposite side of the image · edge: the edge pixel repeated (aaa|abcd)."
)
VIEWS = {
    "auto": "Automatic: a picture, or signed for edges",
    "signed": "Signed: blue negative, red positive",
    "absolute": "Absolute value |x|",
    "clip": "Clipped to 0-255",
    "rescale": "Rescaled: min → black, max → white",
}
KINDS = ("Preset", "Gaussian", "Box", "Custom")
PROCESS_LABELS = {
    "Greyscale": "Greyscale",
    "Colour (per channel)": "RGB, per channel",
    "Colour (conv layer)": "RGB, conv layer",
}
# Less blank above the title (the header's 6rem), so the output's picture is on a 768 px screen with its controls.
PAGE_CSS = "<style>[data-testid='stMainBlockContainer'] { padding-top: 3rem; }</style>"
DEFAULT_PRESET = "Vertical edge (lecture)"
DEFAULT_CUSTOM = kernel_text(PRESETS[DEFAULT_PRESET])  # the custom grid starts from the lecture's edge filter
DIVERGING = diverging_scale(PROJECTOR_GAMMA)  # the signed colours' bar: the picture's own colours
# The settings a link carries (issue 26): the picture (not an upload), the kernel and how it slides, the view,
# the inspected pixel. Widgets are keyed with these keys and get their defaults through the session state.
LINK_PARAMS = (
    LinkParam("image", str, "Sample photo", choices=SOURCES[:3], key="kernels_source", label="image source"),
    LinkParam("photo", str, "camera", choices=SAMPLE_PHOTOS, key="kernels_photo"),
    LinkParam("digit", int, 0, low=0, high=9999, key="kernels_digit", label="MNIST test image"),
    LinkParam("pattern", str, "stripes", choices=TEST_PATTERNS, key="kernels_pattern", label="test pattern"),
    LinkParam("process", str, PROCESS_MODES[0], choices=PROCESS_MODES, key="kernels_colour", label="process as"),
    LinkParam("kernel", str, "Preset", choices=KINDS, key="kernels_kind"),
    LinkParam("preset", str, DEFAULT_PRESET, choices=tuple(PRESETS), key="kernels_preset"),
    LinkParam(
        "size", int, 5, choices=tuple(range(1, MAX_CUSTOM + 1, 2)), key="kernels_gauss_size", label="Gaussian size"
    ),
    LinkParam("sigma", float, 1.0, low=0.2, high=8.0, key="kernels_gauss_sigma", label="Gaussian sigma"),
    LinkParam("box", int, 3, low=1, high=99, key="kernels_box_size", label="box size"),
    LinkParam("custom", str, DEFAULT_CUSTOM, key="kernels_custom_text", label="custom kernel"),
    LinkParam("normalise", bool, False, key="kernels_normalise"),
    LinkParam("mix", str, next(iter(CHANNEL_MIXES)), choices=tuple(CHANNEL_MIXES), key="kernels_mix", label="slices"),
    LinkParam("bias", float, 0.0, low=-1e6, high=1e6, key="kernels_bias"),
    LinkParam("stride", int, 1, low=1, high=512, key="kernels_stride"),
    LinkParam("padding", str, "same", choices=tuple(PADDING_CHOICES), key="kernels_padding"),
    LinkParam("pad", int, 1, low=0, high=256, key="kernels_padding_px", label="padding pixels"),
    LinkParam("boundary", str, "symmetric", choices=tuple(BOUNDARY_MODES), key="kernels_boundary"),
    LinkParam("conv", bool, False, key="kernels_flip", label="convolution"),
    LinkParam("view", str, "auto", choices=tuple(VIEWS), key="kernels_view"),
    LinkParam("sobel", bool, False, key="kernels_sobel"),
    LinkParam("row", int, 0, low=0, high=100_000, key="kernels_inspect_row", label="inspected row"),
    LinkParam("col", int, 0, low=0, high=100_000, key="kernels_inspect_col", label="inspected column"),
)


@dataclass(frozen=True)
class Sliding:
    """How the kernel slides: the keyword arguments of ``apply_kernel``."""

    stride: int
    padding: int | str
    boundary: str
    flip: bool

    def as_kwargs(self) -> dict:
        return {"stride": self.stride, "padding": self.padding, "boundary": self.boundary, "flip": self.flip}


def link_defaults() -> None:
    """Every linked widget's value, through the session state, on every run.

    The widgets are created without ``value=``/``index=`` (a link's value restored into the state would be
    reported as set twice), so their value must be sent from the state: a widget not drawn for a run (no
    picture yet, an error above it) would otherwise come back showing its first option or 0, and send that.
    """
    for param in LINK_PARAMS:
        key = param.widget_key
        if key in ("kernels_inspect_row", "kernels_inspect_col"):
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
        elif key != "kernels_custom_text":
            st.session_state[key] = st.session_state.get(key, param.default)
    for key in ("kernels_custom_rows", "kernels_custom_cols"):
        st.session_state[key] = st.session_state.get(key, 3)


def kernel_controls() -> tuple[np.ndarray, str]:
    """Draw the kernel builder; return (kernel, its name). Raises ValueError for impossible settings."""
    kind = st.radio("Kernel", KINDS, key="kernels_kind", persist_state="session", horizontal=True)
    if kind == "Preset":
        name = st.selectbox(
            "Kernel preset",
            list(PRESETS),
            key="kernels_preset",
            persist_state="session",
            label_visibility="collapsed",
            help=None,
        )
        kernel = PRESETS[name]
    elif kind == "Gaussian":
        size = st.slider("Gaussian size", 1, MAX_CUSTOM, step=2, key="kernels_gauss_size", persist_state="session")
        sigma = st.slider("Gaussian sigma (px)", 0.2, 8.0, step=0.1, key="kernels_gauss_sigma", persist_state="session")
        kernel, name = gaussian_kernel(size, sigma), f"Gaussian {size}x{size}, sigma {sigma:g}"
    elif kind == "Box":
        size = int(
            st.number_input(
                "Box size", step=1, key="kernels_box_size", persist_state="session", help="1 to 99 px; lecture: 15"
            )
        )
        kernel, name = box_kernel(size), f"Box blur {size}x{size}"
    else:
        kernel, name = _custom_kernel(), "Custom kernel"
    if st.checkbox("Normalise to sum 1", key="kernels_normalise", persist_state="session", help=_NORMALISE_HELP):
        kernel = normalise_kernel(kernel)
    return kernel, name


def preset_note() -> str:
    """What the chosen preset looks for (one sentence), or "" for the other kinds of kernel."""
    if st.session_state.get("kernels_kind") != "Preset":
        return ""
    return PRESET_NOTES.get(st.session_state.get("kernels_preset", ""), "")


_NORMALISE_HELP = "Divides by the sum of the weights, so flat areas keep their brightness. Edge kernels sum to 0: "
_NORMALISE_HELP += "their positive weights are scaled to sum to 1 instead."


def _grid_key(rows: int, cols: int) -> str:
    return f"kernels_custom_grid_{rows}x{cols}"  # a new size starts a new grid


def _custom_from_link() -> None:
    """A custom kernel written in a link ("-1,0,1;-2,0,2;-1,0,1") becomes the grid's size and numbers, once."""
    text = st.session_state.get("kernels_custom_text")
    if text is None or text == st.session_state.get("kernels_custom_applied"):
        return
    st.session_state["kernels_custom_applied"] = text
    try:
        kernel = parse_kernel_text(text, MAX_CUSTOM)
    except ValueError as why:
        st.caption(f"The link's custom kernel was ignored: {why}.")
        return
    rows, cols = kernel.shape
    st.session_state["kernels_custom_rows"], st.session_state["kernels_custom_cols"] = rows, cols
    key = _grid_key(rows, cols)
    st.session_state.pop(key, None)  # the editor starts afresh from the kept table (state.lasting_data_editor)
    st.session_state[f"{key}__kept"] = pd.DataFrame(kernel, columns=[str(c) for c in range(cols)])


def _custom_kernel() -> np.ndarray:
    _custom_from_link()
    left, right = st.columns(2)
    rows = int(left.number_input("Custom rows", step=1, key="kernels_custom_rows", persist_state="session"))
    cols = int(right.number_input("Custom columns", step=1, key="kernels_custom_cols", persist_state="session"))
    if not (1 <= rows <= MAX_CUSTOM and 1 <= cols <= MAX_CUSTOM):
        raise ValueError(f"a custom kernel has 1 to {MAX_CUSTOM} rows and columns, got {rows} x {cols}")
    start = np.zeros((rows, cols))
    start[rows // 2, cols // 2] = 1.0
    if rows >= 3 and cols >= 3:  # start from the lecture's edge filter, centred
        top, left_col = (rows - 3) // 2, (cols - 3) // 2
        start[top : top + 3, left_col : left_col + 3] = PRESETS[DEFAULT_PRESET]
    edited = lasting_data_editor(
        pd.DataFrame(start, columns=[str(c) for c in range(cols)]),
        key=_grid_key(rows, cols),
        hide_index=True,
        column_config={str(c): st.column_config.NumberColumn(str(c), format="%.3g") for c in range(cols)},
    )
    st.caption("Click a cell and type a weight. An empty cell is an error, not a zero.")
    kernel = edited.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isfinite(kernel).all():
        # What the link writes; marked applied, so it is not read back into the grid
        st.session_state["kernels_custom_text"] = st.session_state["kernels_custom_applied"] = kernel_text(kernel)
        if not kernel.any():
            st.warning("Every weight is 0, so every output pixel will be 0: type some numbers into the grid.")
    return kernel


def mix_controls() -> tuple[tuple[float, float, float], float]:
    """The conv-layer mode's settings: how the kernel becomes three slices (R, G, B), and the bias."""
    mix = st.selectbox(
        "Kernel slices (R, G, B)",
        list(CHANNEL_MIXES),
        key="kernels_mix",
        persist_state="session",
        help="A conv layer's filter has one kernel slice per input channel. Here slice c is a weight times "
        "the kernel: 'Same' sums the kernel's response on R, G and B; luminance weights give the greyscale "
        "filtering; red minus green responds where red and green differ.",
    )
    bias = float(st.number_input("Bias", step=1.0, key="kernels_bias", persist_state="session", format="%g"))
    return CHANNEL_MIXES[mix], bias


def sliding_controls() -> Sliding:
    """Stride, padding, boundary and correlation or convolution (off: correlation, what a CNN computes)."""
    # Boundary gets the wider part: at 1024 px in halves, its box showed "symmetri".
    left, right = st.columns([2, 3], gap="small")
    stride = int(
        left.number_input("Stride", step=1, key="kernels_stride", persist_state="session", help="Pixels per step, S")
    )
    boundary = right.selectbox(
        "Boundary", list(BOUNDARY_MODES), key="kernels_boundary", persist_state="session", help=BOUNDARY_HELP
    )
    choice = st.selectbox(
        "Padding",
        list(PADDING_CHOICES),
        format_func=PADDING_CHOICES.get,
        key="kernels_padding",
        persist_state="session",
        help=" ".join(f"{PADDING_CHOICES[k]}: {v}" for k, v in PADDING_NOTES.items()),
    )
    padding: int | str = choice
    if choice == "number":
        padding = int(st.number_input("Padding pixels (P)", step=1, key="kernels_padding_px", persist_state="session"))
    flip = st.toggle(
        "Convolution (rotate 180°)",
        key="kernels_flip",
        persist_state="session",
        help="Off: cross-correlation, what a CNN's conv layer (torch.nn.Conv2d) computes: the kernel is applied "
        "as written. On: convolution, as scipy.signal.convolve2d: the kernel is turned 180° first. For "
        "symmetric kernels (blur, Laplacian) both are the same.",
    )
    return Sliding(stride, padding, boundary, flip)


def view_control() -> str:
    """How the output is drawn (``VIEWS``)."""
    return st.selectbox(
        "Show output as",
        list(VIEWS),
        format_func=VIEWS.get,
        key="kernels_view",
        persist_state="session",
        help="Edge kernels (weights adding up to 0) give negative and positive numbers, but a picture needs "
        "0-255: signed colours keep the sign, |x| keeps the strength, clipping drops the negatives. Blur and "
        "sharpen (weights adding up to 1) give a picture.",
    )


def show_formula(image_shape: tuple[int, ...], kernel: np.ndarray, sliding: Sliding) -> None:
    """The lecture's output-size formula with this image's numbers, one line per axis."""
    pads = padding_amounts(kernel.shape, sliding.padding, sliding.flip)
    height, width = (output_size_formula(image_shape[i], kernel.shape[i], sliding.stride, pads[i]) for i in range(2))
    st.markdown(f"**Output size** `W_out = floor((W - F + 2P)/S) + 1` · height `{height}` · width `{width}`")


def output_picture(output: np.ndarray, view: str) -> tuple[np.ndarray, tuple | None]:
    """(uint8 pixels, colour bar or None) for a filter output shown the way ``view`` says.

    The bar is labelled in the output's own units: ±the signed limit, 0-255 when clipped, |x| from 0 to 255,
    or the output's minimum to maximum when rescaled (min → black, max → white). ``view`` is resolved
    (``resolved_view``, which needs the kernel to resolve "auto"), so the page and this agree on it.
    """
    if view == "signed":
        if output.ndim == 3:
            raise ValueError("signed colours need one channel: set 'Process as' to Greyscale, or pick another view")
        rgb, limit = diverging_rgb(output, gamma=PROJECTOR_GAMMA)
        return rgb, (-limit, limit, DIVERGING)
    if output.ndim == 3:
        return to_uint8(output, view), None
    if view == "rescale" and output.max() > output.min():
        return to_uint8(output, view), (float(output.min()), float(output.max()), GREYS)
    return to_uint8(output, view), (0, 255, GREYS)


def saturation_note(output: np.ndarray, view: str, colorbar: tuple | None) -> str:
    """ " · …" when some output values lie beyond the colour bar's ends (say so, or the bar contradicts the
    value range printed beside it), else "". A signed bar ends at the 99.5th percentile of |value|, so a
    few extreme pixels do not wash every other edge out to white; |x| is compared with its 0-255 bar; a
    rescaled picture has nothing beyond its bar. ``view``: resolved, as for ``output_picture``."""
    if colorbar is None or view == "rescale":
        return ""
    low, high = colorbar[0], colorbar[1]
    shown = np.abs(output) if view == "absolute" else output
    if shown.min() >= low and shown.max() <= high:
        return ""
    why = " (99.5% of the values)" if view == "signed" else ""
    what = "|x| from " if view == "absolute" else ""
    return f" · the colour bar covers {what}{low:.4g} to {high:.4g}{why}; values beyond get its end colours"


def centre_pixel(out_shape: tuple[int, int]) -> None:
    """A new image or new settings inspect the output's centre; the first time, a pixel from a link is kept."""
    seen = st.session_state.get("kernels_inspect_shape")
    st.session_state["kernels_inspect_shape"] = out_shape
    if seen == out_shape:
        return
    centre = {"kernels_inspect_row": out_shape[0] // 2, "kernels_inspect_col": out_shape[1] // 2}
    for key, value in centre.items():
        if seen is None:
            st.session_state.setdefault(key, value)
        else:
            st.session_state[key] = value


def _apply_click(out_shape: tuple[int, int]) -> None:
    """A new click on the picker (not one already applied) moves the inspected pixel there."""
    click = st.session_state.get("kernels_inspect_click")
    if not isinstance(click, dict) or click.get("unix_time") == st.session_state.get("kernels_inspect_clicked"):
        return
    st.session_state["kernels_inspect_clicked"] = click.get("unix_time")
    try:
        row, col = clicked_pixel(click, out_shape)
    except (KeyError, TypeError, ValueError, OverflowError):
        return  # not a click this version of the picker sends: keep the pixel
    st.session_state["kernels_inspect_row"], st.session_state["kernels_inspect_col"] = row, col


def _pick_widget(pixels: np.ndarray, row: int, col: int) -> None:
    """The output as a clickable picture (streamlit-image-coordinates) with the inspected pixel marked."""
    picture = pick_picture(pixels, row, col)
    # An enlarged small output is PNG (crisp squares, compresses well); a shrunk photo-sized one is JPEG:
    # a 320 px PNG of a detailed picture took 30-50 ms to encode and 250 KB per rerun, JPEG 3 ms and 25-70 KB.
    shrunk = picture.shape[0] < pixels.shape[0]
    # A landscape or square picture is stretched to the column (about PICK_PX on a laptop): wider than its
    # column it would be cut off. A portrait one keeps its size, at most the column's width: stretched to the
    # column, a 1024 x 68 output's 320 x 48 picture was 2,500 px tall.
    fit = "stretch" if picture.shape[1] >= picture.shape[0] else "content"
    streamlit_image_coordinates(
        picture,
        key="kernels_inspect_click",
        width=fit,
        cursor="crosshair",
        image_format="JPEG" if shrunk else "PNG",
        jpeg_quality=90,
        png_compression_level=6,
    )
    stretched = "" if is_to_scale(picture, pixels) else " (stretched on its short side so you can click it)"
    st.caption(
        f"The output, {pixels.shape[0]} x {pixels.shape[1]}{stretched}: click a pixel. The red square is "
        "the one explained here."
    )


def pick_pixel(pixels: np.ndarray) -> tuple[int, int]:
    """Pick one output pixel: click the output or type its row and column. ``pixels``: the output as shown."""
    out_shape = pixels.shape[:2]
    centre_pixel(out_shape)
    _apply_click(out_shape)
    picker, numbers = st.columns([1, 1.5], gap="medium")
    with numbers:
        left, right = st.columns(2)
        # Kept while the inspector is not drawn (an error above it, another page), like the other settings.
        row = int(left.number_input("Output row (y)", step=1, key="kernels_inspect_row", persist_state="session"))
        col = int(right.number_input("Output column (x)", step=1, key="kernels_inspect_col", persist_state="session"))
        if not (0 <= row < out_shape[0] and 0 <= col < out_shape[1]):
            st.warning(
                f"({row}, {col}) is outside the {out_shape[0]} x {out_shape[1]} output: rows go from 0 to "
                f"{out_shape[0] - 1} and columns from 0 to {out_shape[1] - 1}. Showing the nearest pixel."
            )
            row, col = min(max(row, 0), out_shape[0] - 1), min(max(col, 0), out_shape[1] - 1)
    with picker:
        _pick_widget(pixels, row, col)
    return row, col


def _window_figures(window, title: str, key: str, flip: bool, label: str = "") -> None:
    """Window, kernel (slice) as applied and their products as three numbered heatmaps side by side."""
    rows, cols = window.weights.shape
    height = 340 if max(rows, cols) <= 7 else 480
    columns = wrapping_columns(3, f"kernels_inspect_figures{key}", CHART_MIN_WIDTH)
    figures = [
        heatmap(window.patch, f"{label}Input window", height=height, diverging=False, zmin=0, zmax=255),
        heatmap(window.weights, title + (" (rotated 180°)" if flip else ""), height=height),
        heatmap(window.products, f"{label}Products (window × kernel)", height=height),
    ]
    for column, figure, name in zip(columns, figures, ("window", "weights", "products"), strict=True):
        show_picture(column, readable(figure), f"kernels_inspect_{name}{key}", (rows, cols))


def show_window(image: np.ndarray, kernel: np.ndarray, sliding: Sliding, row: int, col: int) -> None:
    """One channel's window behind output pixel (row, col): the numbers multiplied and their sum."""
    window = kernel_window(image, kernel, row, col, **sliding.as_kwargs())
    rows, cols = kernel.shape
    _where(row, col, window.top, window.left, rows, cols)
    if max(rows, cols) > 9:
        st.caption("Too many cells to print every number: hover over a cell to read it.")
    _window_figures(window, "Kernel as applied", "", sliding.flip)
    st.markdown(f"**Sum of the {rows * cols} products = {window.total:.4g}**: that is the output pixel.")


def show_layer_window(layer: ConvLayerWindow, row: int, col: int, flip: bool) -> None:
    """The conv layer's output pixel: R, G and B windows x their slices, three partial sums + bias = one value."""
    first = layer.channels[0]
    rows, cols = first.weights.shape
    _where(row, col, first.top, first.left, rows, cols)
    for name, window, key in zip(("Red", "Green", "Blue"), layer.channels, ("_r", "_g", "_b"), strict=True):
        _window_figures(window, f"{name} slice as applied", key, flip, label=f"{name}: ")
        st.markdown(f"**{name}**: sum of the {rows * cols} products = **{window.total:.4g}**")
    parts = " + ".join(f"{part:.4g}" for part in layer.partial_sums)
    st.markdown(
        f"**Output = {parts} (red + green + blue) + {layer.bias:g} (bias) = {layer.total:.4g}**: one value "
        "from three channels, as a conv layer with 3 input channels and 1 filter computes it."
    )


def _where(row: int, col: int, top: int, left: int, rows: int, cols: int) -> None:
    st.markdown(
        f"Output pixel (row {row}, column {col}) looks at input rows {top}…{top + rows - 1} and "
        f"columns {left}…{left + cols - 1} (negative or too-large indices are padding)."
    )


def sobel_view(image: np.ndarray, pixels: np.ndarray) -> None:
    """gx, gy and the edge magnitude of the picture (``image`` as processed, ``pixels`` as picked)."""
    grey = image if image.ndim == 2 else filter_input(pixels, "Greyscale")
    gx, gy = (apply_kernel(grey, PRESETS[name], boundary="symmetric") for name in ("Sobel x", "Sobel y"))
    magnitude = gradient_magnitude(grey)
    columns = wrapping_columns(3, "kernels_sobel_figures", CHART_MIN_WIDTH)
    for column, values, name in zip(columns[:2], (gx, gy), ("gx", "gy"), strict=True):
        rgb, limit = diverging_rgb(values, gamma=PROJECTOR_GAMMA)
        title = f"{name} = Sobel {name[1]}"
        show_picture(
            column,
            readable(image_figure(rgb, title, colorbar=(-limit, limit, DIVERGING))),
            f"kernels_sobel_{name}",
            grey.shape,
        )
    show_picture(
        columns[2],
        readable(
            image_figure(
                to_uint8(magnitude, "rescale"),
                "Edge strength sqrt(gx² + gy²)",
                colorbar=(0, float(magnitude.max()), GREYS),
            )
        ),
        "kernels_sobel_magnitude",
        grey.shape,
    )
    st.caption(
        "gx finds vertical edges, gy horizontal ones; the magnitude finds edges in every direction. The gx "
        "and gy colour bars stop at the 99.5th percentile of |value|; the few stronger pixels get the end "
        "colours."
    )


@st.fragment
def inspector(
    image: np.ndarray,
    kernel: np.ndarray,
    sliding: Sliding,
    pixels: np.ndarray,
    layer: tuple | None,
    link_box: DeltaGenerator,
) -> None:
    """The pixel inspector, a fragment: a click or a typed row reruns only this part.

    ``layer``: (slices (3, F, F), bias) in the conv-layer mode, where ``image`` is (H, W, 3); else None.
    The "Copy link to this view" popover goes into ``link_box`` (the output's buttons) from here, so that a
    click, which reruns only this fragment, shows the link to the new pixel too.
    """
    channel = 0
    if image.ndim == 3 and layer is None:
        channel = st.radio(
            "Channel", [0, 1, 2], format_func="RGB".__getitem__, horizontal=True, key="kernels_inspect_channel"
        )
    with friendly_errors():
        row, col = pick_pixel(pixels)
        if layer is not None:
            slices, bias = layer
            window = conv_layer_window(image, slices, row, col, bias, **sliding.as_kwargs())
            show_layer_window(window, row, col, sliding.flip)
        else:
            show_window(image if image.ndim == 2 else image[..., channel], kernel, sliding, row, col)
    update_link(pixels.shape[:2])  # the inspected pixel too: a click reruns only this fragment
    with link_box:
        copy_link_button(link_values(pixels.shape[:2]), link_params(pixels.shape[:2]))


def readable(figure: go.Figure) -> go.Figure:
    """Numbers and titles of a figure at the hall's sizes (``figure_font_px``: 14 px, 18 px presenting).

    A heatmap's numbers may still shrink to fit small cells (``plots.fitted_height_css``)."""
    font = figure_font_px(14)
    figure.update_annotations(font_size=font)
    figure.update_traces(textfont_size=figure_font_px(18), selector={"type": "heatmap"})
    figure.update_traces(marker_colorbar_tickfont_size=font, selector={"type": "scatter"})
    figure.update_layout(hoverlabel_font_size=font)
    return figure


def with_hover_values(figure: go.Figure, output: np.ndarray) -> go.Figure:
    """The output figure with its values on hover: an invisible heatmap over the picture, every pixel of a
    small output and one per k x k block of a large one (``render.hover_samples``), which names the pixel it
    reads. The heatmap's cells are the blocks, edge to edge with the picture, so it does not widen the axes.
    """
    rows, cols = hover_samples(output.shape[:2])
    step = hover_step(output.shape[:2])
    sampled = output[np.ix_(rows, cols)].astype(np.float32)  # (h, w) or (h, w, 3)
    where = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1).astype(np.float32)  # (h, w, 2): row, col
    text = "pixel (row %{customdata[0]}, column %{customdata[1]})<br>"
    if sampled.ndim == 3:
        custom, values = np.concatenate([where, sampled], axis=-1), sampled.mean(axis=2)
        text += "R %{customdata[2]:.4g} · G %{customdata[3]:.4g} · B %{customdata[4]:.4g}"
    else:
        custom, values = where, sampled
        text += "value %{z:.4g}"
    edges = [np.append(np.arange(0, n, step), n) - 0.5 for n in output.shape[:2]]
    figure.update_traces(hoverinfo="skip", hovertemplate=None, selector={"type": "image"})
    figure.add_trace(
        go.Heatmap(
            z=values,
            x=edges[1],
            y=edges[0],
            customdata=custom,
            opacity=0,
            showscale=False,
            hovertemplate=text + "<extra></extra>",
        )
    )
    return figure


def png_download(pixels: np.ndarray, title: str, key: str) -> None:
    """A "PNG" button saving ``pixels`` enlarged 2x (sharp) under ``title``; made only when clicked."""
    st.download_button(
        "PNG",
        lambda: titled_png(pixels, title, scale=2),
        file_name=slide_filename(title, "png"),
        mime="image/png",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help=f"“{title}”, 2x with its title, for a slide",
    )


def stage(key: str = "kernels_stage") -> tuple:
    """Three columns: (controls, input and kernel, output). The output is drawn second, right of the controls,
    and the input and kernel third (beside on a wide screen, under on a 1024 px projector); in the page's
    own order (what a screen reader reads) they stay input, kernel, output. Pictures are at least 320 px wide.
    """
    row = f".st-key-{key} > [data-testid='stLayoutWrapper'] > [data-testid='stHorizontalBlock']"
    side = "clamp(320px, calc((100cqw - 260px) / 2), 520px)"
    css = (
        f".st-key-{key} {{ container-type: inline-size; }}"
        f"{row} {{ flex-wrap: wrap; align-items: flex-start; }}"
        f"{row} > [data-testid='stColumn'] {{ width: auto !important; min-width: 0; }}"
        f"{row} > [data-testid='stColumn']:nth-child(1) {{ flex: 1 1 210px !important; max-width: 420px; }}"
        f"{row} > [data-testid='stColumn']:nth-child(2) {{ flex: 0 1 {side} !important; order: 2; }}"
        f"{row} > [data-testid='stColumn']:nth-child(3) {{ flex: 0 1 {side} !important; order: 1; }}"
    )
    box = st.container(key=key)
    box.html(f"<style>{css}</style>")
    return tuple(box.columns(3, gap="small"))


@st.cache_data(max_entries=8, show_spinner=False)
def input_source(image_id: str, mode: str, _image: np.ndarray) -> str:
    """The input picture's data URI, cached by the picked image's id and the process mode."""
    return picture_source(to_uint8(_image, "clip"))  # keyed by id: hashing a megapixel array costs more


def show_input_and_kernel(
    column, image: np.ndarray, image_id: str, mode: str, kernel: np.ndarray, kernel_name: str, flip: bool
) -> None:
    """The input picture and the kernel as written, one above the other in ``column``."""
    input_title = f"Input · {image.shape[0]} x {image.shape[1]}"
    show_picture(
        column,
        readable(image_figure(None, input_title, source=input_source(image_id, mode, image))),
        "kernels_input_plot",
        image.shape[:2],
    )
    size = f"{kernel.shape[0]}x{kernel.shape[1]}"
    title = kernel_name if size in kernel_name else f"{kernel_name} · {size}"
    show_picture(column, readable(heatmap(kernel, title)), "kernels_kernel_plot", kernel.shape)
    if flip and not np.array_equal(kernel, kernel[::-1, ::-1]):
        column.caption(
            "The kernel as written. Convolution turns it 180° before multiplying (the pixel "
            "inspector shows it as applied); switch convolution off for cross-correlation."
        )


def output_column(column) -> tuple[DeltaGenerator, str, DeltaGenerator]:
    """The output's column: (a box for the picture, the view chosen under it, a row for the buttons under that).

    The view's select box is created before the picture is made (the picture depends on it) but shown under it.
    """
    picture = column.container(key="kernels_output_top")
    with column:
        view = view_control()
    buttons = column.container(key="kernels_output_buttons", horizontal=True, gap="small")
    return picture, view, buttons


def show_output(
    picture: DeltaGenerator,
    buttons: DeltaGenerator,
    output: np.ndarray,
    pixels: np.ndarray,
    colorbar: tuple | None,
    caption: str,
) -> None:
    """The output, large, with its values on hover, a caption, and a PNG download among ``buttons``."""
    title = f"Output · {output.shape[0]} x {output.shape[1]}"
    # Drawn first at its own height, before the CSS that fits it to the column: make that the likely one
    height = min(PICTURE_MAX_HEIGHT, 98 + round(300 * output.shape[0] / output.shape[1]))
    figure = with_hover_values(readable(image_figure(pixels, title, colorbar=colorbar, height=height)), output)
    show_picture(picture, figure, "kernels_output_plot", output.shape[:2])
    picture.caption(caption)
    with buttons:
        png_download(pixels, title, "kernels_download")


def guarded(build: Callable):
    """Run a builder; a ValueError is shown as st.error and gives None."""
    with friendly_errors():
        return build()
    return None


def notes(sliding: Sliding, conv_layer: bool) -> None:
    """The long notes under the figures (the page hides them when presenting): the preset, the padding, the
    views, and what the conv-layer mode adds up."""
    padding = sliding.padding if isinstance(sliding.padding, str) else "number"
    lines = [preset_note(), f"Padding {PADDING_CHOICES[padding]}: {PADDING_NOTES[padding]}"]
    lines.append(
        "Edge kernels (weights adding up to 0) give negative *and* positive numbers, but a picture needs 0-255: "
        "signed colours keep the sign, |x| keeps the strength, clipping drops the negatives. Blur and sharpen "
        "(weights adding up to 1) give a picture."
    )
    if conv_layer:
        lines.append(
            "**Conv layer:** the kernel times each channel's weight is that channel's slice; each slice slides "
            "over its own colour and the three results are added, plus the bias, into ONE map. 'Colour (per "
            "channel)' keeps three maps instead."
        )
    st.caption("  \n".join(line for line in lines if line))


def link_params(out_shape: tuple[int, int] | None = None) -> tuple[LinkParam, ...]:
    """``LINK_PARAMS``, with the inspected pixel's default at the output's centre (then a link leaves it out)."""
    if out_shape is None:
        return LINK_PARAMS
    centre = {"row": out_shape[0] // 2, "col": out_shape[1] // 2}
    return tuple(
        LinkParam(p.name, p.kind, centre[p.name], p.choices, p.low, p.high, p.key, p.label) if p.name in centre else p
        for p in LINK_PARAMS
    )


def link_values(out_shape: tuple[int, int]) -> dict[str, object]:
    """The settings the page shows now, by link name: only those that matter (a preset only for "Preset")."""
    state = st.session_state
    value = {p.name: state.get(p.widget_key, p.default) for p in LINK_PARAMS}
    wanted = {"image", "process", "kernel", "normalise", "stride", "padding", "boundary", "conv", "view", "sobel"}
    wanted |= {"Sample photo": {"photo"}, "MNIST digit": {"digit"}, "Test pattern": {"pattern"}}.get(
        value["image"], set()
    )
    wanted |= {"Preset": {"preset"}, "Gaussian": {"size", "sigma"}, "Box": {"box"}, "Custom": {"custom"}}[
        value["kernel"]
    ]
    if value["process"] == PROCESS_MODES[2]:
        wanted |= {"mix", "bias"}
    if value["padding"] == "number":
        wanted.add("pad")
    if "kernels_inspect_row" in state:
        wanted |= {"row", "col"}
    return {name: value[name] for name in wanted}


def update_link(out_shape: tuple[int, int]) -> None:
    """Write the page's settings to the URL (``links.write_link``)."""
    write_link(link_values(out_shape), link_params(out_shape), page_key="kernels")
