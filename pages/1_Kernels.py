"""Kernels page: slide edge, blur and custom kernels over any image and see the multiply-and-sum."""

import time

import numpy as np
import streamlit as st

from cnnviz.filtering import apply_kernel, gradient_magnitude
from cnnviz.images import encode_png, to_greyscale, to_uint8
from cnnviz.kernels import PRESETS
from cnnviz_ui.common import friendly_errors, page_header, show_picture, wrapping_columns
from cnnviz_ui.images import image_input
from cnnviz_ui.kernels import (
    VIEWS,
    kernel_controls,
    output_picture,
    resolved_view,
    saturation_note,
    show_formula,
    show_inspector,
    sliding_controls,
)
from cnnviz_ui.plots import CHART_MIN_WIDTH, DIVERGING, GREYS, diverging_rgb, heatmap, image_figure, picture_source

page_header(
    "Kernels",
    "A **kernel** is a small grid of weights. Lay it over a patch of the image, multiply each pixel by "
    "the weight on top of it and add everything up: that sum is one pixel of the output. Slide the kernel "
    "one **stride** further and repeat. Edge kernels answer *is there a change here?*, blur kernels "
    "*what is the average here?*. A CNN's first layer learns kernels like these from data.",
    icon="🔍",
)

with st.sidebar:
    st.header("Image")
    picked = image_input("kernels")
    greyscale = (
        st.radio("Process as", ["Greyscale", "Colour (per channel)"], key="kernels_colour", persist_state="session")
        == "Greyscale"
    )
if picked is None:
    st.info("Choose a sample image or upload your own in the sidebar.")
    st.stop()
if not greyscale and picked.pixels.ndim == 2:
    st.sidebar.caption("This picture has no colour: its one channel is filtered either way.")
image = to_greyscale(picked.pixels) if greyscale else picked.pixels.astype(np.float32)  # (H, W) or (H, W, 3)


@st.cache_data(max_entries=8, show_spinner=False)
def input_source(image_id: str, grey: bool, _image: np.ndarray) -> str:
    return picture_source(to_uint8(_image, "clip"))  # keyed by id: hashing a megapixel array costs more


def guarded(build):
    """Run a builder; a ValueError is shown as st.error and gives None."""
    with friendly_errors():
        return build()
    return None


@st.fragment
def kernel_lab() -> None:
    # The kernel column is wider: the default preset's name fits its box at 1024 px
    kernel_column, sliding_column, view_column = wrapping_columns([1.35, 1, 1], "kernels_settings", 180, gap="medium")
    with kernel_column:
        built = guarded(kernel_controls)
    with sliding_column:
        sliding = guarded(sliding_controls)
    with view_column:
        view = st.radio(
            "Show output as", list(VIEWS), format_func=VIEWS.get, key="kernels_view", persist_state="session"
        )
        st.caption(
            "Edge kernels (weights adding up to 0) give negative *and* positive numbers, but a picture "
            "needs 0-255: signed colours keep the sign, |x| keeps the strength, clipping drops the "
            "negatives. Blur and sharpen (weights adding up to 1) give a picture."
        )
    if built is None or sliding is None:
        return  # the reason is already on screen
    kernel, kernel_name = built
    with friendly_errors():  # one block: a setting that breaks the formula is said once, not again by the output
        show_formula(image.shape, kernel, sliding)
        started = time.perf_counter()
        output = apply_kernel(image, kernel, **sliding.as_kwargs())
        elapsed = time.perf_counter() - started
        shown = resolved_view(output, view, kernel)
        if shown == "signed" and output.ndim == 3:  # said, and the pictures stay (an error took them all away)
            st.warning(
                "Signed colours need one channel: shown as |x| in each colour instead. Set 'Process as' "
                "to Greyscale to see the signs in blue and red."
            )
            shown = "absolute"
        pixels, colorbar = output_picture(output, shown)
        left, middle, right = wrapping_columns(3, "kernels_figures", CHART_MIN_WIDTH)
        input_title = f"Input · {image.shape[0]} x {image.shape[1]}"
        show_picture(
            left,
            image_figure(None, input_title, source=input_source(picked.image_id, greyscale, image)),
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
        if sliding.flip and not np.array_equal(kernel, kernel[::-1, ::-1]):
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
        shown_as = ""
        if view == "auto":  # say what "Automatic" chose: for a colour output it is not the signed colours
            shown_as = f" · shown as: {VIEWS[shown].split(':')[0]}"
        st.caption(
            f"Output values from {output.min():.4g} to {output.max():.4g}{shown_as}"
            f"{saturation_note(output, shown, colorbar)} · {output.size:,} multiply-and-sums done in "
            f"{elapsed * 1000:.0f} ms"
        )
        st.download_button(
            "Download output (PNG)",
            lambda: encode_png(pixels),
            file_name="kernel_output.png",
            mime="image/png",
            key="kernels_download",
            on_click="ignore",
        )
        if st.toggle("Show the Sobel edge magnitude sqrt(gx² + gy²)", key="kernels_sobel", persist_state="session"):
            sobel_view()
        st.subheader("Pixel inspector")
        st.caption(
            "Click a pixel of the output (or type its row and column) and see exactly which numbers "
            "were multiplied and added to make it."
        )
        inspector(kernel, sliding, pixels)


def sobel_view() -> None:
    grey = image if image.ndim == 2 else to_greyscale(picked.pixels)
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
def inspector(kernel: np.ndarray, sliding, pixels: np.ndarray) -> None:
    channel = 0
    if image.ndim == 3:
        channel = st.radio(
            "Channel", [0, 1, 2], format_func="RGB".__getitem__, horizontal=True, key="kernels_inspect_channel"
        )
    with friendly_errors():
        show_inspector(image if image.ndim == 2 else image[..., channel], kernel, sliding, pixels)


kernel_lab()
