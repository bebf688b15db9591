"""The Kernels page's widgets and views: kernel builder, sliding settings, output views, Sobel, pixel inspector."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

from cnnviz.filtering import (
    BOUNDARY_MODES,
    apply_kernel,
    gradient_magnitude,
    kernel_window,
    output_size_formula,
    padding_amounts,
)
from cnnviz.images import to_greyscale, to_uint8
from cnnviz.kernels import PRESET_NOTES, PRESETS, box_kernel, gaussian_kernel, normalise_kernel
from cnnviz.render import clicked_pixel, diverging_rgb, is_to_scale, pick_picture
from cnnviz_ui.layout import friendly_errors, show_picture, wrapping_columns
from cnnviz_ui.plots import CHART_MIN_WIDTH, DIVERGING, GREYS, heatmap, image_figure, picture_source
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


@dataclass(frozen=True)
class Sliding:
    """How the kernel slides: the keyword arguments of ``apply_kernel``."""

    stride: int
    padding: int | str
    boundary: str
    flip: bool

    def as_kwargs(self) -> dict:
        return {"stride": self.stride, "padding": self.padding, "boundary": self.boundary, "flip": self.flip}


def kernel_controls() -> tuple[np.ndarray, str]:
    """Draw the kernel builder; return (kernel, its name). Raises ValueError for impossible settings."""
    kind = st.radio(
        "Kernel", ["Preset", "Gaussian", "Box", "Custom"], key="kernels_kind", persist_state="session", horizontal=True
    )
    if kind == "Preset":
        name = st.selectbox("Kernel preset", list(PRESETS), key="kernels_preset", persist_state="session", index=1)
        st.caption(PRESET_NOTES[name])
        kernel = PRESETS[name]
    elif kind == "Gaussian":
        size = st.slider("Gaussian size", 1, MAX_CUSTOM, 5, step=2, key="kernels_gauss_size", persist_state="session")
        sigma = st.slider(
            "Gaussian sigma (px)", 0.2, 8.0, 1.0, step=0.1, key="kernels_gauss_sigma", persist_state="session"
        )
        kernel, name = gaussian_kernel(size, sigma), f"Gaussian {size}x{size}, sigma {sigma:g}"
    elif kind == "Box":
        size = int(
            st.number_input(
                "Box size",
                value=3,
                step=1,
                key="kernels_box_size",
                persist_state="session",
                help="1 to 99 px; lecture: 15",
            )
        )
        kernel, name = box_kernel(size), f"Box blur {size}x{size}"
    else:
        kernel, name = _custom_kernel(), "Custom kernel"
    if st.checkbox("Normalise to sum 1", key="kernels_normalise", persist_state="session", help=_NORMALISE_HELP):
        kernel = normalise_kernel(kernel)
    return kernel, name


_NORMALISE_HELP = "Divides by the sum of the weights, so flat areas keep their brightness. Edge kernels sum to 0: "
_NORMALISE_HELP += "their positive weights are scaled to sum to 1 instead."


def _custom_kernel() -> np.ndarray:
    left, right = st.columns(2)
    rows = int(left.number_input("Custom rows", value=3, step=1, key="kernels_custom_rows", persist_state="session"))
    cols = int(
        right.number_input("Custom columns", value=3, step=1, key="kernels_custom_cols", persist_state="session")
    )
    if not (1 <= rows <= MAX_CUSTOM and 1 <= cols <= MAX_CUSTOM):
        raise ValueError(f"a custom kernel has 1 to {MAX_CUSTOM} rows and columns, got {rows} x {cols}")
    start = np.zeros((rows, cols))
    start[rows // 2, cols // 2] = 1.0
    if rows >= 3 and cols >= 3:  # start from the lecture's edge filter, centred
        top, left_col = (rows - 3) // 2, (cols - 3) // 2
        start[top : top + 3, left_col : left_col + 3] = PRESETS["Vertical edge (lecture)"]
    st.caption("Click a cell and type a weight. An empty cell is an error, not a zero.")
    edited = lasting_data_editor(
        pd.DataFrame(start, columns=[str(c) for c in range(cols)]),
        key=f"kernels_custom_grid_{rows}x{cols}",  # a new size starts a new grid
        hide_index=True,
        column_config={str(c): st.column_config.NumberColumn(str(c), format="%.3g") for c in range(cols)},
    )
    kernel = edited.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isfinite(kernel).all() and not kernel.any():
        st.warning("Every weight is 0, so every output pixel will be 0: type some numbers into the grid.")
    return kernel


def sliding_controls() -> Sliding:
    """Stride, padding, boundary and the 180-degree rotation toggle."""
    stride = int(
        st.number_input(
            "Stride", value=1, step=1, key="kernels_stride", persist_state="session", help="Pixels per step, S"
        )
    )
    choice = st.selectbox(
        "Padding",
        list(PADDING_CHOICES),
        format_func=PADDING_CHOICES.get,
        key="kernels_padding",
        persist_state="session",
    )
    st.caption(PADDING_NOTES[choice])
    padding: int | str = choice
    if choice == "number":
        padding = int(
            st.number_input("Padding pixels (P)", value=1, step=1, key="kernels_padding_px", persist_state="session")
        )
    boundary = st.selectbox(
        "Boundary", list(BOUNDARY_MODES), index=2, key="kernels_boundary", persist_state="session", help=BOUNDARY_HELP
    )
    flip = st.toggle(
        "Rotate 180°",  # a longer label is cut off at 1024 px; the caption says what it means
        value=True,
        key="kernels_flip",
        persist_state="session",
        help="On: convolution, as scipy.signal.convolve2d and the lecture. Off: cross-correlation, "
        "what a CNN's conv layer computes. For symmetric kernels (blur, Laplacian) both are the same.",
    )
    st.caption("On: convolution. Off: cross-correlation, what a CNN layer computes.")
    return Sliding(stride, padding, boundary, flip)


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
        rgb, limit = diverging_rgb(output)
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


def show_inspector(image: np.ndarray, kernel: np.ndarray, sliding: Sliding, pixels: np.ndarray) -> None:
    """Pick one output pixel (click the output or type its row and column); show its input window, the
    kernel, the products and their sum. ``pixels``: the output as shown on the page."""
    out_shape = pixels.shape[:2]
    if st.session_state.get("kernels_inspect_shape") != out_shape:  # new image or settings: start centred
        st.session_state["kernels_inspect_shape"] = out_shape
        st.session_state["kernels_inspect_row"] = out_shape[0] // 2
        st.session_state["kernels_inspect_col"] = out_shape[1] // 2
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
    window = kernel_window(image, kernel, row, col, **sliding.as_kwargs())
    rows, cols = kernel.shape
    numbers.markdown(
        f"Output pixel (row {row}, column {col}) looks at input rows {window.top}…{window.top + rows - 1} and "
        f"columns {window.left}…{window.left + cols - 1} (negative or too-large indices are padding)."
    )
    height = 340 if max(rows, cols) <= 7 else 480
    if max(rows, cols) > 9:
        st.caption("Too many cells to print every number: hover over a cell to read it.")
    columns = wrapping_columns(3, "kernels_inspect_figures", CHART_MIN_WIDTH)
    figures = [
        heatmap(window.patch, "Input window", height=height, diverging=False, zmin=0, zmax=255),
        heatmap(window.weights, "Kernel as applied" + (" (rotated 180°)" if sliding.flip else ""), height=height),
        heatmap(window.products, "Products (window × kernel)", height=height),
    ]
    for column, figure, name in zip(columns, figures, ("window", "weights", "products"), strict=True):
        show_picture(column, figure, f"kernels_inspect_{name}", (rows, cols))
    st.markdown(f"**Sum of the {rows * cols} products = {window.total:.4g}**: that is the output pixel.")


@st.cache_data(max_entries=8, show_spinner=False)
def input_source(image_id: str, grey: bool, _image: np.ndarray) -> str:
    """The input picture's data URI, cached by the picked image's id and the greyscale choice."""
    return picture_source(to_uint8(_image, "clip"))  # keyed by id: hashing a megapixel array costs more


def guarded(build):
    """Run a builder; a ValueError is shown as st.error and gives None."""
    with friendly_errors():
        return build()
    return None


def sobel_view(image: np.ndarray, pixels: np.ndarray) -> None:
    """gx, gy and the edge magnitude of the picture (``image`` as processed, ``pixels`` as picked)."""
    grey = image if image.ndim == 2 else to_greyscale(pixels)
    gx, gy = (apply_kernel(grey, PRESETS[name], boundary="symmetric") for name in ("Sobel x", "Sobel y"))
    magnitude = gradient_magnitude(grey)
    columns = wrapping_columns(3, "kernels_sobel_figures", CHART_MIN_WIDTH)
    for column, values, name in zip(columns[:2], (gx, gy), ("gx", "gy"), strict=True):
        rgb, limit = diverging_rgb(values)
        title = f"{name} = Sobel {name[1]}"
        show_picture(
            column, image_figure(rgb, title, colorbar=(-limit, limit, DIVERGING)), f"kernels_sobel_{name}", grey.shape
        )
    show_picture(
        columns[2],
        image_figure(
            to_uint8(magnitude, "rescale"), "Edge strength sqrt(gx² + gy²)", colorbar=(0, float(magnitude.max()), GREYS)
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
def inspector(image: np.ndarray, kernel: np.ndarray, sliding: Sliding, pixels: np.ndarray) -> None:
    """The pixel inspector, a fragment: a click or a typed row reruns only this part."""
    channel = 0
    if image.ndim == 3:
        channel = st.radio(
            "Channel", [0, 1, 2], format_func="RGB".__getitem__, horizontal=True, key="kernels_inspect_channel"
        )
    with friendly_errors():
        show_inspector(image if image.ndim == 2 else image[..., channel], kernel, sliding, pixels)


def show_figures(
    image: np.ndarray,
    image_id: str,
    greyscale: bool,
    kernel: np.ndarray,
    kernel_name: str,
    flip: bool,
    output: np.ndarray,
    pixels: np.ndarray,
    colorbar: tuple | None,
) -> None:
    """Input, kernel and output side by side (``pixels``/``colorbar``: the output as ``output_picture`` shows it)."""
    left, middle, right = wrapping_columns(3, "kernels_figures", CHART_MIN_WIDTH)
    input_title = f"Input · {image.shape[0]} x {image.shape[1]}"
    show_picture(
        left,
        image_figure(None, input_title, source=input_source(image_id, greyscale, image)),
        "kernels_input_plot",
        image.shape[:2],
    )
    size = f"{kernel.shape[0]}x{kernel.shape[1]}"
    show_picture(
        middle,
        heatmap(kernel, kernel_name if size in kernel_name else f"{kernel_name} · {size}"),
        "kernels_kernel_plot",
        kernel.shape,
    )
    if flip and not np.array_equal(kernel, kernel[::-1, ::-1]):
        middle.caption(
            "The kernel as written. Convolution turns it 180° before multiplying (the pixel "
            "inspector shows it as applied); switch the rotation off for cross-correlation."
        )
    show_picture(
        right,
        image_figure(pixels, f"Output · {output.shape[0]} x {output.shape[1]}", colorbar=colorbar),
        "kernels_output_plot",
        output.shape[:2],
    )
