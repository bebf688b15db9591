"""Translation invariance: shift a digit and compare how the convnet and the dense baseline cope."""

import streamlit as st
import torch

from cnnviz_ui.layout import page_header
from cnnviz_ui.links import restore_from_link
from cnnviz_ui.picker import digit_input
from cnnviz_ui.resources import model_picker, run_key, run_network
from cnnviz_ui.translation_invariance import (
    LINK_PARAMS,
    accuracy_section,
    digit_from_link,
    grid_probabilities,
    shifted_view,
)

page_header(
    "Translation invariance",
    "Move the digit a few pixels and watch both networks. A convolution slides the same filters everywhere and "
    "max pooling absorbs small moves; the dense baseline gives every pixel its own weights.",
    icon="↔️",
)
restore_from_link("translation", LINK_PARAMS)
digit_from_link()
# The shifted digit and its controls come first, so that at 1024x768 they fit one screen; the networks and the
# digit are chosen under them (created first in the page, filled once the digit is known).
view = st.container()
with st.container(key="ti_setup"):
    st.markdown("**The networks and the digit**")
    # Two columns, the digit under them: in three, a 1024 px projector cut "Shipped dense baseline" to 85 px.
    conv_col, dense_col = st.columns(2, gap="medium")
    with conv_col:
        conv_pick = model_picker("Network (the convnet, say)", key="ti_conv", default="Shipped convnet")
    with dense_col:
        dense_pick = model_picker("Compared with (the baseline)", key="ti_dense", default="Shipped dense baseline")
    digit = digit_input("ti") if conv_pick and dense_pick else None
details = st.container()
if conv_pick is None or dense_pick is None or digit is None:
    st.stop()
models = {conv_pick[0]: conv_pick[1], dense_pick[0]: dense_pick[1]}
if len(models) < 2:
    view.info("Pick two different models to compare them.")
image = torch.from_numpy(digit.image)
keys = {name: run_key(model, digit.image) for name, model in models.items()}
target = (
    digit.label
    if digit.label is not None
    else int(run_network(keys[conv_pick[0]], conv_pick[1], digit.image)[1].argmax())
)

grids = {name: grid_probabilities(keys[name], target, model, image) for name, model in models.items()}
shifted_view(view, details, digit, grids, keys, target, (conv_pick, dense_pick))
accuracy_section(models, keys, target)
