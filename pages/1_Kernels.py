"""Kernels page: slide edge, blur and custom kernels over any image and see the multiply-and-sum."""

import time

import streamlit as st

from cnnviz.colour_filtering import PROCESS_MODES, apply_conv_layer, channel_kernels, filter_input
from cnnviz.filtering import apply_kernel
from cnnviz.render import resolved_view
from cnnviz_ui import kernels as ui
from cnnviz_ui.kernels import VIEWS, output_picture, saturation_note
from cnnviz_ui.layout import friendly_errors, page_header
from cnnviz_ui.links import restore_from_link
from cnnviz_ui.picker import image_input
from cnnviz_ui.presenting import explanation

page_header(
    "Kernels",
    "A **kernel** is a small grid of weights: lay it over the image, multiply, add, and that sum is one output "
    "pixel; then slide it one **stride** further.",
    icon="🔍",
)
st.html(ui.PAGE_CSS)
restore_from_link("kernels", ui.LINK_PARAMS)
ui.link_defaults()

source_column, choice_column, process_column = st.columns([1.2, 0.75, 0.75], gap="small")
picked = image_input("kernels", beside=(source_column, choice_column))
mode = process_column.selectbox(
    "Process as",
    PROCESS_MODES,
    format_func=ui.PROCESS_LABELS.get,
    key="kernels_colour",
    persist_state="session",
    help="Greyscale: one channel. Colour (per channel): each of R, G, B filtered on its own, three maps shown "
    "as a colour picture. Colour (conv layer): one kernel slice per channel, the three results added into ONE "
    "map, as a conv layer with 3 input channels and 1 filter computes it.",
)
if picked is None:
    st.info("Choose a sample image or upload your own above.")
    st.stop()
if mode == PROCESS_MODES[2] and picked.pixels.ndim == 2:
    process_column.caption(
        "This picture has no colour, so its grey is used as R, G and B alike and the three slices add up. "
        "Pick a colour photo (Astronaut, Coffee, Chelsea) to see the channels differ."
    )
elif mode != "Greyscale" and picked.pixels.ndim == 2:
    process_column.caption("This picture has no colour: its one channel is filtered either way.")
image = filter_input(picked.pixels, mode)  # (H, W), or (H, W, 3) in colour
conv_layer = mode == PROCESS_MODES[2]


@st.fragment
def kernel_lab() -> None:
    controls, inputs, outputs = ui.stage()
    with controls:
        built = ui.guarded(ui.kernel_controls)
        mix = ui.mix_controls() if conv_layer else None
        sliding = ui.guarded(ui.sliding_controls)
    picture, view, buttons = ui.output_column(outputs)
    if built is None or sliding is None:
        return  # the reason is already on screen
    kernel, kernel_name = built
    with friendly_errors():  # one block: a setting that breaks the formula is said once, not again by the output
        started = time.perf_counter()
        layer = None
        if mix is None:
            output = apply_kernel(image, kernel, **sliding.as_kwargs())
            applied = kernel
        else:
            layer = (channel_kernels(kernel, mix[0]), mix[1])
            output = apply_conv_layer(image, *layer, **sliding.as_kwargs())
            applied = layer[0].sum(axis=0)  # the layer on a grey picture: what "Automatic" goes by
        elapsed = time.perf_counter() - started
        shown = resolved_view(output, view, applied)
        if shown == "signed" and output.ndim == 3:  # said, and the pictures stay (an error took them all away)
            picture.warning(
                "Signed colours need one channel: shown as |x| in each colour instead. Set 'Process as' "
                "to Greyscale or Colour (conv layer) to see the signs in blue and red."
            )
            shown = "absolute"
        pixels, colorbar = output_picture(output, shown)
        shown_as = f" · shown as: {VIEWS[shown].split(':')[0]}" if view == "auto" else ""
        ui.show_output(
            picture,
            buttons,
            output,
            pixels,
            colorbar,
            f"Output values from {output.min():.4g} to {output.max():.4g}{shown_as}"
            f"{saturation_note(output, shown, colorbar)} · {output.size:,} multiply-and-sums done in "
            f"{elapsed * 1000:.0f} ms",
        )
        ui.show_input_and_kernel(inputs, image, picked.image_id, mode, kernel, kernel_name, sliding.flip)
        ui.show_formula(image.shape, kernel, sliding)
        with explanation("kernels_notes"):
            ui.notes(sliding, layer is not None)
        if st.toggle("Show the Sobel edge magnitude sqrt(gx² + gy²)", key="kernels_sobel", persist_state="session"):
            ui.sobel_view(image, picked.pixels)
        st.subheader("Pixel inspector")
        st.caption(
            "Click a pixel of the output (or type its row and column) and see exactly which numbers "
            "were multiplied and added to make it."
        )
        ui.inspector(image, kernel, sliding, pixels, layer, buttons)  # it adds the link: a click moves it


kernel_lab()
