"""Classify: draw, upload or photograph a digit; see the preprocessing, the top-5, Grad-CAM and every model's answer."""

import streamlit as st

from cnnviz import inspect as net_inspect
from cnnviz.predict import top_k
from cnnviz_ui import classify, inside
from cnnviz_ui.common import friendly_errors, page_header, percent
from cnnviz_ui.resources import available_models, model_picker

page_header(
    "Classify",
    "Draw a digit, upload a photo of one, or take a picture. Before the network sees it, the picture is made to "
    "look like MNIST: white digit on black, cropped, scaled to fit 20×20 and centred in 28×28 by its centre of "
    "mass, exactly how the 70,000 MNIST digits were made. The network then gives a probability for each of the "
    "10 digits (softmax); the **top-5** are the five most likely.",
    icon="✍️",
)
source_col, result_col = st.columns([1.1, 1.0], gap="large")
with source_col:
    picked = model_picker("Model", key="classify_model")
    digit = classify.digit_source() if picked else None
if picked is None or digit is None:
    st.stop()
label, model, _ = picked
ranking = top_k(model, digit.image, k=5)

with result_col:
    left, right = st.columns([0.9, 1.1])
    with left:
        classify.prediction_card(ranking, digit.label)
    with right:
        st.image(inside.grey_png(digit.image, 168), caption="The network's input: 28×28", width=168)
    st.markdown(f"**Top-5** of the {label}")
    st.plotly_chart(classify.top5_figure(ranking), key="classify_top5", config={"displayModeBar": False})

st.subheader("From picture to network input")
columns = st.columns(max(len(digit.steps), 4))
for column, number, step in zip(columns, range(1, len(digit.steps) + 1), digit.steps, strict=False):
    with column:
        st.image(classify.step_picture(step), width=150)
        st.markdown(f"**{number}. {step.name}**")
        st.caption(step.caption)

top = ranking[0][0]
cam_col, compare_col = st.columns([1.0, 1.6], gap="large")
with cam_col:
    st.subheader(f"Where it looked for a {top}")
    if not net_inspect.feature_map_layers(model):
        st.info(f"The {label} has no convolution layers, so there are no feature maps for Grad-CAM to weigh: "
                "each of its hidden units looks at all 784 pixels at once.")  # fmt: skip
    else:
        with friendly_errors("No Grad-CAM: "):
            heat = inside.explanation(inside.run_key(model, digit.image), "Grad-CAM", top, model, digit.image)
            st.image(inside.heat_overlay_png(digit.image, heat, 224), width=224,
                     caption=f"Grad-CAM on conv3 for class {top}: yellow regions push the score of {top} up most")
with compare_col:
    st.subheader("Every model on this digit")
    models, _ = available_models()
    cards = st.columns(min(len(models), 3))
    for i, (name, (other, _meta)) in enumerate(models.items()):
        best = top_k(other, digit.image, k=3)
        with cards[i % len(cards)].container(border=True):
            st.markdown(f"**{name}**")
            st.markdown(f"<span style='font-size:2.4rem;font-weight:700'>{best[0][0]}</span> "
                        f"&nbsp;{percent(best[0][1])}", unsafe_allow_html=True)  # fmt: skip
            st.caption(" · ".join(f"{c}: {percent(p)}" for c, p in best[1:]) + " (runners-up)")
    st.caption("A session model appears here after you train one on the Train page and press "
               "\"Use this model in the other pages\".")  # fmt: skip
