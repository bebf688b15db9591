"""Kernels page: slide edge, blur and custom kernels over any image and see the multiply-and-sum."""

import time

import numpy as np
import streamlit as st

from cnnviz.filtering import apply_kernel
from cnnviz.images import encode_png, to_greyscale
from cnnviz.render import resolved_view
from cnnviz_ui import kernels as ui
from cnnviz_ui.kernels import VIEWS, kernel_controls, output_picture, saturation_note, show_formula, sliding_controls
from cnnviz_ui.layout import friendly_errors, page_header, wrapping_columns
from cnnviz_ui.picker import image_input

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


@st.fragment
def kernel_lab() -> None:
    # The kernel column is wider: the default preset's name fits its box at 1024 px
    kernel_column, sliding_column, view_column = wrapping_columns([1.35, 1, 1], "kernels_settings", 180, gap="medium")
    with kernel_column:
        built = ui.guarded(kernel_controls)
    with sliding_column:
        sliding = ui.guarded(sliding_controls)
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
        ui.show_figures(image, picked.image_id, greyscale, kernel, kernel_name, sliding.flip, output, pixels, colorbar)
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
            ui.sobel_view(image, picked.pixels)
        st.subheader("Pixel inspector")
        st.caption(
            "Click a pixel of the output (or type its row and column) and see exactly which numbers "
            "were multiplied and added to make it."
        )
        ui.inspector(image, kernel, sliding, pixels)


kernel_lab()
