"""Conv arithmetic: why 26 x 26, why 93,322 parameters, every layer type with its code, and what a deep unit sees."""

import numpy as np
import streamlit as st

from cnnviz.architectures import BUILDER_STARTS, PHOTO_NETWORK, PRESETS, build_network
from cnnviz.receptive import measure_receptive_field
from cnnviz.shapes import whole_number
from cnnviz.summary import LayerError, Summary, summarize
from cnnviz_ui import conv_1d, conv_links, conv_one_layer
from cnnviz_ui import conv_arithmetic as ui
from cnnviz_ui.layout import friendly_errors, page_header
from cnnviz_ui.state import lasting_data_editor
from cnnviz_ui.text import message_text

page_header(
    "Conv arithmetic",
    "Why is the output **26 x 26**? Why **93,322** parameters? Pick a layer or a whole network and see the "
    "numbers worked out as PyTorch computes them: `W_o = floor((W − F + 2P) / S) + 1` and "
    "`(F·F·C_in + 1)·C_out`.",
    icon="📐",
)
NETWORKS = {**PRESETS, "efficientnet_lite0": PHOTO_NETWORK}  # the photo network: its summary only


@st.cache_resource
def preset_model(name: str):
    return NETWORKS[name].build()  # VGG16 and EfficientNet on the "meta" device: shapes only, no weights


@st.cache_resource  # EfficientNet's summary traces its forward (about a second): once per server
def network_summary(name: str) -> Summary:
    return summarize(preset_model(name), NETWORKS[name].input_shape)


@st.cache_data(max_entries=64)  # shared by every session: one entry per network, layer, size and unit clicked
def measured_field(name: str, upto: int, hw: tuple[int, int], unit: tuple[int, int]) -> np.ndarray:
    return measure_receptive_field(list(preset_model(name).named_children())[: upto + 1], hw, unit)


link_params = conv_links.restore(list(NETWORKS), list(PRESETS))
one_layer_tab, one_d_tab, nets_tab, build_tab, field_tab = conv_links.tabs()

with one_layer_tab:
    conv_one_layer.one_layer()

if one_d_tab.open:  # drawn only when chosen: one diagram at a time
    with one_d_tab:
        conv_1d.one_d()

with nets_tab:
    name = st.selectbox("Network", list(NETWORKS), format_func=lambda n: NETWORKS[n].title, key="ar_preset")
    preset = NETWORKS[name]
    st.markdown(f"{preset.note} Input: {preset.input_shape[1]} x {preset.input_shape[2]} x {preset.input_shape[0]}.")
    separate = st.toggle("Show activations as their own rows", key="ar_separate_act", persist_state="session")
    summary = network_summary(name)
    ui.show_summary_table(
        summary if separate else summary.folded(), "ar_net_table", 560 if name not in PRESETS else "content"
    )
    st.markdown(ui.totals_text(summary))
    if summary.total == preset.expected_total:
        st.success(
            f"Same total as the network's source reports: {preset.expected_total:,}.", icon=":material/check_circle:"
        )
    if name == "efficientnet_lite0":
        ui.separable_comparison(summary)
    st.caption(
        "Shapes are written as Keras and the lecture print them, (height, width, channels), without the batch; "
        "PyTorch stores (channels, height, width). Parameters are counted from the real PyTorch module."
    )

with build_tab:
    start = st.selectbox("Start from", list(BUILDER_STARTS), key="ar_build_start", persist_state="session")
    shape, specs = BUILDER_STARTS[start]
    st.caption("Edit any cell, add rows at the bottom, select rows and press Delete to remove them.")
    c1, c2, c3 = st.columns(3)
    with c1:
        size = {"height": ui.number_input("Image height", "ar_b_h", shape[1])}
    with c2:
        size["width"] = ui.number_input("Image width", "ar_b_w", shape[2])
    with c3:
        size["channels"] = ui.number_input("Image channels", "ar_b_c", shape[0])
    edited = lasting_data_editor(
        ui.specs_frame(specs),
        num_rows="dynamic",
        hide_index=True,
        key=f"ar_builder_{start}",
        column_config=ui.builder_columns(),
        placeholder="",
    )
    with friendly_errors():
        in_shape = tuple(whole_number(f"image {n}", size[n], 1) for n in ("channels", "height", "width"))
        specs = ui.specs_from_frame(edited)
        try:
            summary, failure = summarize(build_network(specs, in_shape, device="meta"), in_shape), None
        except LayerError as exc:
            summary, failure = summarize(build_network(specs[: exc.index], in_shape, device="meta"), in_shape), exc
        if summary.rows:  # none when the first row is already invalid: no empty table above the reason
            ui.show_summary_table(summary.folded(), "ar_build_table")
        if failure:
            stops = "The table stops there." if failure.index else "Nothing to summarise before it."
            st.error(
                f"**Row {failure.index + 1} ({failure.name}) goes invalid:** {message_text(failure.reason)}. {stops}"
            )
        else:
            st.markdown(ui.totals_text(summary))

with field_tab:
    name = st.selectbox(
        "Network to look into", list(PRESETS), format_func=lambda n: PRESETS[n].title, key="ar_rf_preset"
    )
    ui.show_receptive_field(name, network_summary(name), measured_field)

conv_links.write(link_params)
