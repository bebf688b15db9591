"""The least a Streamlit upload-and-classify page can do: the load test's reference (not part of the app).

Same flow as cnnviz's Classify page (pick "Upload a photo", upload, read "Prediction: <digit>"), same
preprocessing and model, but the answer is one line: no steps, no top-5 bars, no Grad-CAM, no other
models. ``bench/load_test.py --reference`` drives it exactly like the real page, so the two are
measured on the same machine in the same run; the difference is what cnnviz's results cost. It has
cnnviz's page CSS, so its upload spinner stands still too (``common.PAGE_CSS``).
"""

import time

import streamlit as st

from cnnviz.checkpoints import load_checkpoint
from cnnviz.images import load_image
from cnnviz.predict import top_k
from cnnviz.preprocess import to_mnist
from cnnviz_ui.classify import log_time
from cnnviz_ui.layout import PAGE_CSS
from cnnviz_ui.resources import SHIPPED


@st.cache_resource
def model():
    loaded, _ = load_checkpoint(SHIPPED["Shipped convnet"])
    return loaded


st.html(PAGE_CSS)


@st.fragment
def classify() -> None:
    started = time.time()
    source = st.radio("Digit source", ("Draw", "Upload a photo"), horizontal=True)
    if source != "Upload a photo":
        return
    upload = st.file_uploader("Upload a photo of a digit", type=["png", "jpg", "jpeg"])
    if upload is None:
        return
    digit = top_k(model(), to_mnist(load_image(upload.getvalue())), k=1)[0][0]
    st.html(f"<div class='cnnviz-prediction' data-digit='{digit}'>Prediction: {digit}</div>")
    log_time("classify", started)


classify()
