"""Feature maps: every layer of the trained network on one digit, max pooling window by window, and why it decides."""

import numpy as np
import streamlit as st

from cnnviz import inspect as net_inspect
from cnnviz_ui import inside, pooling_view
from cnnviz_ui.common import (
    a_class,
    class_name,
    friendly_errors,
    lasting_args,
    literal,
    page_header,
    percent,
    show_picture,
    wrapping_columns,
)
from cnnviz_ui.plots import CHART_MIN_WIDTH
from cnnviz_ui.resources import class_names, model_picker, test_set_picker

page_header(
    "Feature maps",
    "Follow one digit (or, for a model you trained on Fashion-MNIST, one piece of clothing) through the trained "
    "network. Each **conv** layer slides its learned filters over the "
    "previous layer and produces one **feature map** per filter; **ReLU** sets the negative values to zero; "
    "**max pooling** keeps the largest value of every 2×2 window, halving the map. Blue is negative, red positive.",
    icon="🧩",
)
# Three columns, the two pictures (input, then what decides) stacked in the middle one: with four, a
# 1024 px screen with the sidebar open cut off the bar chart's last classes and the heat map.
controls, seen, verdict = st.columns([1.2, 1.0, 1.2], gap="medium")
with controls:
    test_set = test_set_picker("fm_dataset", "Images")  # a Fashion-MNIST model sees clothes, never digits
    names = class_names(test_set)
    picked = model_picker(key="fm_model" if names is None else f"fm_model_{test_set}", dataset_name=test_set)
    digit = inside.digit_input("fm", test_set) if picked else None
if picked is None or digit is None:
    st.stop()
label, model, _ = picked
image = digit.image
key = inside.run_key(model, image)
acts, probs = inside.run_network(key, model, image)
top = int(probs.argmax())
with seen:
    st.markdown("**The input as the network sees it**")
    st.image(inside.grey_png(image), width=210)
    st.caption(f"{literal(digit.caption)}, 28×28 values in [0, 1]")
with verdict:
    truth = None if digit.label is None else a_class(digit.label, names)
    verdict_text = "" if truth is None else ":green[correct]" if top == digit.label else f":red[wrong, it is {truth}]"
    st.markdown(f"**Prediction: {class_name(top, names)}** with probability **{percent(probs[top])}** {verdict_text}")
    chart = inside.figure_once((key, "probs", names), lambda: inside.probability_chart(probs, names=names))
    st.plotly_chart(chart, key="fm_probs", config={"displayModeBar": False})
with seen:  # under the input: which of its pixels decide
    method = st.radio(
        "Which pixels decide?",
        ["Saliency", "Grad-CAM"],
        key="fm_explain",
        persist_state="session",
        horizontal=True,
        help="Saliency: how much each pixel changes the class score (SmoothGrad, 16 noisy copies). "
        "Grad-CAM: which regions the last conv layer's maps use for the class.",
    )
    # Keyed by the input, so a new digit starts at its own top class instead of keeping the last choice.
    target = st.selectbox(
        "Class to explain",
        range(10),
        index=top,
        key=f"fm_target_{key}",
        persist_state="session",
        format_func=lambda c: class_name(c, names),
    )
    layers = net_inspect.feature_map_layers(model)
    if method == "Grad-CAM" and not layers:
        st.info(
            f"Grad-CAM weighs the maps of the last conv layer, and the {literal(label)} has no conv layers. "
            "Saliency works for any model."
        )
    else:
        with friendly_errors():
            heat = inside.explanation(key, method, target, model, image)
            st.image(
                inside.heat_overlay_png(image, heat),
                width=210,
                caption=f"{method} for class {class_name(target, names)}: yellow = decides most",
            )

if not layers:
    st.info(
        f"{literal(label)} has no conv layers, so no feature maps: each of its fc1 units looks at all 784 pixels "
        "at once. Its 256 fc1 weight images below are the closest thing it has to filters."
    )
    weights = model.fc1.weight.detach().numpy().reshape(-1, 28, 28)
    inside.show_layer(key, "fc1 weights", weights, float(np.abs(weights).max()), per_map=True, what="weight images")
    st.stop()

st.header("Every layer, map by map")
per_map = st.toggle(
    "Stretch each map to its own range (shows the shape of weak maps)", key="fm_per_map", persist_state="session"
)
blocks: list[list[str]] = []
for name in layers:  # a block starts at each conv: conv -> relu -> pool share one colour scale
    if name.startswith("conv") or not blocks:
        blocks.append([])
    blocks[-1].append(name)
for block in blocks:
    limit = float(max(np.abs(acts[name]).max() for name in block)) or 1.0
    st.subheader(" → ".join(block))
    inside.legend(limit)
    panels = (["filters"] if block[0] == "conv1" else []) + block
    for pair in (panels[i : i + 2] for i in range(0, len(panels), 2)):
        for column, name in zip(st.columns(2, gap="large"), pair, strict=False):
            with column:
                if name == "filters":  # filter k makes map k: same place in both grids
                    filters = net_inspect.conv_filters(model, "conv1")[:, 0].numpy()
                    peak = float(np.abs(filters).max())
                    inside.show_layer(key, "conv1 filters", filters, peak, per_map=False, what="filters")
                    count, rows, cols = filters.shape
                    st.caption(
                        f"The {count} learned {rows}×{cols} filters of conv1 (own colour scale). Filter k "
                        "makes map k: same place in the grid."
                    )
                else:
                    inside.show_layer(key, name, acts[name], limit, per_map)
flat = [name for name in acts if acts[name].ndim == 1]
st.caption(
    f"Then {' → '.join(flat)}: {acts[flat[0]].size} numbers become {acts[flat[-1]].size} class scores "
    f"(the bar chart above, after softmax)."
)


@st.fragment
def one_map() -> None:
    st.header("One map up close: before and after ReLU")
    convs = [n for n in layers if n.startswith("conv")]
    c1, c2 = st.columns([1, 3])
    conv = c1.selectbox("Conv layer", convs, **lasting_args("fm_zoom_layer", convs.__contains__, 0, "index"))
    count = acts[conv].shape[0]
    strongest = int(np.abs(acts[conv]).reshape(count, -1).max(1).argmax())
    index = c2.slider("Map number", 0, count - 1, **lasting_args(f"fm_zoom_map_{conv}", lambda v: v < count, strongest))
    block = next(b for b in blocks if b[0] == conv)
    limit = float(np.abs(acts[conv][index]).max()) or 1.0
    figures = wrapping_columns(len(block) + 1, "fm_zoom_figures", CHART_MIN_WIDTH)
    weights = net_inspect.conv_filters(model, conv)[index].numpy()  # (C_in, 3, 3)
    peak = float(np.abs(weights).max())
    with figures[0]:
        if len(weights) == 1:
            show_picture(
                st,
                inside.figure_once(
                    (key, "filter", conv, index),
                    lambda: pooling_view.map_figure(weights[0], f"filter {index}", peak, numbers=True),
                ),
                "fm_zoom_filter",
                weights[0].shape,
            )
        else:
            inside.show_layer(key, f"{conv} filter {index}", weights, peak, per_map=False, what="slices")
            st.caption(f"One 3×3 slice per input map: filter {index} adds up all {len(weights)} of them.")
    for column, name in zip(figures[1:], block, strict=True):
        figure = inside.figure_once(
            (key, name, index),
            lambda name=name: pooling_view.map_figure(
                acts[name][index], f"{name}, map {index}", limit, scale=name == block[-1]
            ),
        )
        show_picture(column, figure, f"fm_zoom_{name}", acts[name][index].shape)


one_map()
pooling_view.pooling_section(key, model, acts, layers)
