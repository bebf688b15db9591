"""Feature maps: every layer of the trained network on one digit, max pooling window by window, and why it decides."""

import streamlit as st

from cnnviz import inspect as net_inspect
from cnnviz.images import encode_png
from cnnviz.render import heat_overlay, shared_limit
from cnnviz_ui import feature_maps
from cnnviz_ui.charts import probability_chart
from cnnviz_ui.layout import friendly_errors, page_header, show_layer
from cnnviz_ui.picker import digit_input
from cnnviz_ui.plots import grey_png
from cnnviz_ui.presenting import figure_font_px
from cnnviz_ui.resources import (
    SHIPPED,
    class_names,
    explanation,
    figure_once,
    model_picker,
    run_key,
    run_network,
    test_set_picker,
)
from cnnviz_ui.slides import plotly_config, slide_figure
from cnnviz_ui.text import a_class, class_name, literal, percent

page_header(
    "Feature maps",
    "Follow one digit through the trained network: each **conv** layer makes one **feature map** per learned "
    "filter, **ReLU** zeroes the negatives, **max pooling** keeps each 2×2 window's largest value. Blue is "
    "negative, red positive.",
    icon="🧩",
)
feature_maps.restore_link()  # before the widgets: a link's model, digit and unit
note_box = st.container(key="fm_link_note")  # a link's stale layer or unit is noted here, where one looks first
# The controls flow in rows (model, input, how to pick, index) and the input and the prediction sit in one short
# row under them: stacked in columns they filled a 1024 x 768 screen with the sidebar open.
with st.container(horizontal=True, key="fm_controls", vertical_alignment="bottom", gap="small"):
    test_set = test_set_picker("fm_dataset", "Images")  # a Fashion-MNIST model sees clothes, never digits
    names = class_names(test_set)
    picked = model_picker(key="fm_model" if names is None else f"fm_model_{test_set}", dataset_name=test_set)
    digit = digit_input("fm", test_set) if picked else None
if picked is None or digit is None:
    st.stop()
label, model, _ = picked
image = digit.image
key = run_key(model, image)
acts, probs = run_network(key, model, image)
top = int(probs.argmax())
seen, verdict = st.columns([1, 3.2], gap="small")
with seen:
    st.image(grey_png(image), width=112, output_format="PNG")
with verdict:
    truth = None if digit.label is None else a_class(digit.label, names)
    verdict_text = "" if truth is None else ":green[correct]" if top == digit.label else f":red[wrong, it is {truth}]"
    st.markdown(
        f"**Prediction: {class_name(top, names)}** with probability **{percent(probs[top])}** {verdict_text}  \n"
        f":gray[{literal(digit.caption)}, 28×28 values in [0, 1]]"
    )
    font_px = figure_font_px(14)
    chart = figure_once(
        (key, "probs", names, font_px),
        lambda: probability_chart(probs, height=105, names=names, font_px=font_px).update_xaxes(title_text=None),
    )
    st.plotly_chart(slide_figure(chart), key="fm_probs", config=plotly_config(f"Probabilities, {digit.caption}"))
# Only a shipped model and an MNIST test digit go into a link (uploads and drawings stay in the browser).
linked = {"model": label if label in SHIPPED else "Shipped convnet"}
linked["digit"] = int(digit.image_id.split(":")[1]) if digit.image_id.startswith("MNIST:") else 0
feature_maps.link_note(note_box, model, acts)
feature_maps.inside_one_value(key, model, image, acts, probs, names, linked)

# Which pixels decide comes after the whole network: the top row stays short, so the network's strip starts
# within a 1024 x 768 projector's screen.
st.header("Which pixels decide?")
choice, heat_column = st.columns([1, 1.2], gap="medium")
with choice:
    method = st.radio(
        "Method",
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
        with friendly_errors(), heat_column:
            heat = explanation(key, method, target, model, image)
            st.image(
                encode_png(heat_overlay(image, heat)),
                width=210,
                output_format="PNG",
                caption=f"{method} for class {class_name(target, names)}: yellow = decides most",
            )


if not layers:
    st.info(
        f"{literal(label)} has no conv layers, so no feature maps: each of its fc1 units looks at all 784 pixels "
        "at once. Its 256 fc1 weight images below are the closest thing it has to filters."
    )
    weights = model.fc1.weight.detach().numpy().reshape(-1, 28, 28)
    show_layer(key, "fc1 weights", weights, shared_limit(weights), per_map=True, what="weight images")
    st.stop()

feature_maps.every_layer(key, model, acts, layers)
feature_maps.one_map(key, model, acts, layers)
feature_maps.pooling_section(key, model, acts, layers)
