"""The Classify page's views: Grad-CAM, the preprocessing pictures, the link's settings, the Photos page offered for a
photo, the timing log (the prediction and its details are HTML cards: ``cards``)."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException
from torch import nn

from cnnviz.images import encode_png
from cnnviz.inspect import feature_map_layers
from cnnviz.preprocess import NotADigit, PreprocessStep
from cnnviz.render import grey_picture, heat_overlay, step_tile
from cnnviz.slides import titled_png
from cnnviz.view_links import LinkParam
from cnnviz_ui.picker import CLASSIFY_SOURCES
from cnnviz_ui.resources import SHIPPED, explanation, run_key
from cnnviz_ui.slides import download_png_button

# When set (bench/load_test.py sets it for its server), the page appends how long its work took to this file.
TIMING_LOG = os.environ.get("CNNVIZ_TIMING_LOG")
_TIMING_LOCK = threading.Lock()


def step_picture(step: PreprocessStep, size: int) -> bytes:
    """One preprocessing step as a square PNG ``size`` px wide (``render.step_tile``)."""
    return encode_png(step_tile(step.image, size))


def grad_cam_picture(model: nn.Module, model_label: str, image: np.ndarray, target: int) -> tuple[bytes | None, str]:
    """(Grad-CAM on the last conv layer over the digit as a 224 px PNG, its caption), or (None, why there is none)."""
    if not feature_map_layers(model):
        return None, (
            f"The {model_label} has no convolution layers, so there are no feature maps for Grad-CAM to "
            "weigh: each of its hidden units looks at all 784 pixels at once."
        )
    try:
        heat = explanation(run_key(model, image), "Grad-CAM", target, model, image)
    except ValueError as exc:
        return None, f"No Grad-CAM: {exc}"
    caption = f"Grad-CAM on conv3 for class {target}: yellow regions push the score of {target} up most"
    return encode_png(heat_overlay(image, heat, 224)), caption


def log_time(what: str, started: float) -> None:
    """Append "<start> <seconds> <what>" (wall clock since ``started = time.time()``) to $CNNVIZ_TIMING_LOG.

    A no-op unless the variable is set: the load test uses it to tell the server's share of a prediction's
    time from the browsers'.
    """
    if not TIMING_LOG:
        return
    line = f"{started:.4f} {time.time() - started:.4f} {what}\n"
    with _TIMING_LOCK, open(TIMING_LOG, "a", encoding="utf-8") as log:
        log.write(line)


PHOTOS_PAGE = "pages/8_Photos.py"
PHOTOS_LABEL = "Photos: what an ImageNet network sees"
# What a link to Classify carries: where the digit comes from, a test digit's index and a shipped model.
# Uploads, drawings and camera photos stay in the browser that made them.
LINK_PARAMS = [
    LinkParam("source", str, CLASSIFY_SOURCES[0], choices=CLASSIFY_SOURCES, key="classify_source"),
    LinkParam("digit", int, 0, low=0, high=9999, key="classify_test_index", label="test digit"),
    LinkParam("model", str, "Shipped convnet", choices=tuple(SHIPPED), key="classify_model"),
]


def offer_photos_page(problem: NotADigit) -> None:
    """Under "no digit found" for a photo (``problem.kind == "photo"``): a link to the Photos page, where an
    ImageNet network says what the photo shows. Other kinds (blank, faint, a speck) need a better digit, not
    another page, so they get nothing more."""
    if problem.kind != "photo":
        return
    st.markdown("This network knows only the ten digits. A photo of a cat, a cup or a street goes here:")
    try:
        st.page_link(PHOTOS_PAGE, label=PHOTOS_LABEL, icon=":material/photo_camera:")
    except StreamlitAPIException:  # the page run on its own (a test), where app.py's navigation is not known
        st.markdown(f"[{PHOTOS_LABEL}](/Photos)")


def download_buttons(image: np.ndarray, model_label: str, predicted: int, grad_cam_png: bytes | None) -> None:
    """ "Download PNG" for the network's input and for Grad-CAM, titled for a slide (``cnnviz.slides.titled_png``).

    The PNGs are made only when a button is pressed (a callable ``data``): thirty students predicting at once
    must not pay for pictures nobody downloads.
    """
    with st.container(horizontal=True, key="classify_downloads"):
        title = f"The {model_label} reads {predicted}: its 28x28 input"
        download_png_button(
            lambda: titled_png(grey_picture(image, 280), title), title, key="classify_png_input", label="Input as PNG"
        )
        if grad_cam_png is not None:
            cam_title = f"Grad-CAM of the {model_label} for {predicted}"
            download_png_button(
                lambda: titled_png(grad_cam_png, cam_title), cam_title, key="classify_png_cam", label="Grad-CAM as PNG"
            )
