"""Page helpers for Classify and Evaluate: the digit sources, the prediction card, charts, cached test-set scores.

Drawn, uploaded and photographed digits go through ``cnnviz.preprocess.to_mnist_steps``; a digit from
the MNIST test set is already in MNIST's format and goes to the network as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import plotly.graph_objects as go
import streamlit as st
from torch import nn

from cnnviz.images import encode_png
from cnnviz.inspect import feature_map_layers
from cnnviz.predict import predict_dataset
from cnnviz.preprocess import PreprocessStep
from cnnviz_ui.common import lasting_canvas, message_text, renew_canvas
from cnnviz_ui.images import load_image, upload_image
from cnnviz_ui.inside import explanation, heat_overlay_png, mnist_steps, model_fingerprint, run_key
from cnnviz_ui.plots import ACCENT, ALERT, INK
from cnnviz_ui.resources import dataset

SOURCES = ("Draw", "Upload a photo", "Camera", "MNIST test digit")
CANVAS_SIDE = 280


@dataclass(frozen=True)
class DigitInput:
    """What the network gets: float32 (28, 28) in [0, 1], the steps that made it, a caption, the true label."""

    image: np.ndarray
    steps: tuple[PreprocessStep, ...]
    caption: str
    label: int | None = None


def _preprocess(pixels: np.ndarray, caption: str) -> DigitInput | None:
    steps = mnist_steps(pixels, caption)
    return None if steps is None else DigitInput(steps[-1].image, steps, caption)


def _drawing() -> DigitInput | None:
    try:  # a components-v2 widget: importing it needs a running Streamlit
        import streamlit_drawable_canvas  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means: no canvas, the other sources still work
        st.warning("The drawing canvas is not available here; upload a photo or pick an MNIST test digit instead.")
        return None
    pixels = lasting_canvas(
        "classify_canvas",
        stroke_width=22,
        stroke_color="#111111",
        background_color="#ffffff",
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        update_streamlit=True,
    )
    st.caption(
        "Draw one digit, big, with the mouse or a finger: the prediction updates when you lift the pen. "
        "Point at the box (or touch it) and arrows above it undo or redo a stroke; **Clear** empties it."
    )
    if pixels is None:
        st.info("Draw a digit in the white box to see what the network makes of it.")
        return None
    return _preprocess(pixels, "your drawing")


def _test_digit() -> DigitInput:
    images, labels = dataset("MNIST", "test")
    index = int(
        st.number_input(
            "MNIST test digit (0-9999)",
            min_value=0,
            max_value=len(images) - 1,
            value=0,
            step=1,
            key="classify_test_index",
            persist_state="session",
        )
    )
    label = int(labels[index])
    image = images[index].numpy().astype(np.float32) / 255.0
    step = PreprocessStep("MNIST test digit", image, "already centred 28 x 28: no preprocessing needed")
    return DigitInput(image, (step,), f"MNIST test digit #{index} (labelled {label})", label)


def source_picker() -> str:
    """The radio over ``SOURCES``: where the digit comes from."""
    return st.radio(
        "Digit source",
        SOURCES,
        key="classify_source",
        persist_state="session",
        horizontal=True,
        on_change=renew_canvas,
        args=("classify_canvas",),
    )


def digit_source(source: str) -> DigitInput | None:
    """The widget of ``source`` (one of ``SOURCES``); None (after saying why) while there is no usable digit."""
    if source == SOURCES[0]:
        return _drawing()
    if source == SOURCES[3]:
        return _test_digit()
    if source == SOURCES[2]:
        shot = st.camera_input(
            "Take a photo of a digit written on paper",
            key="classify_camera",
            help="Fill most of the picture with the digit; dark ink on light paper works best.",
        )
        if shot is None:
            return None
        try:
            return _preprocess(load_image(shot.getvalue()), "the camera photo")
        except ValueError as exc:
            st.error(f"The camera photo cannot be read: {message_text(exc)}")
            return None
    picked = upload_image(
        "classify_upload",
        "Upload a photo of a digit",
        hint="One digit per photo; dark ink on light paper or a light digit on dark works.",
    )
    return None if picked is None else _preprocess(picked.pixels, picked.caption)


def step_picture(step: PreprocessStep, size: int) -> bytes:
    """One preprocessing step as a square PNG ``size`` px wide: stretched to full contrast, letterboxed in grey.

    The grey margin and frame show each step's true shape and edges (a crop is rarely square).
    """
    image = step.image
    peak = float(image.max())
    pixels = np.round(np.clip(image / peak if peak > 0 else image, 0, 1) * 255).astype(np.uint8)
    height, width = pixels.shape
    inner = size - 4
    scale = inner / max(height, width)
    size_xy = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Small images are enlarged with nearest neighbour so MNIST's pixels stay square and sharp.
    method = cv2.INTER_NEAREST if scale >= 1 else cv2.INTER_AREA
    resized = cv2.resize(pixels, size_xy, interpolation=method)
    tile = np.full((size, size), 214, np.uint8)
    top, left = (size - size_xy[1]) // 2, (size - size_xy[0]) // 2
    tile[top : top + size_xy[1], left : left + size_xy[0]] = resized
    return encode_png(tile)


@st.cache_data(max_entries=16, show_spinner="Classifying the 10,000 test digits (once per model)…")
def test_probabilities(label: str, fingerprint: str, _model: nn.Module, dataset_name: str = "MNIST") -> np.ndarray:
    """float32 (10000, 10) class probabilities on a test set, cached per model label, weights and dataset."""
    images, _ = dataset(dataset_name, "test")
    return predict_dataset(_model, images).astype(np.float32)


def model_scores(label: str, model: nn.Module, dataset_name: str = "MNIST") -> np.ndarray:
    """``test_probabilities`` keyed by the label and a hash of the weights (session models can share a label)."""
    return test_probabilities(label, model_fingerprint(model), model, dataset_name)


def confusion_figure(matrix: np.ndarray, height: int = 480, names: Sequence[str] | None = None) -> go.Figure:
    """The confusion matrix as a heatmap: rows true class, columns predicted, every count printed.

    The colour scale stops at the largest off-diagonal count, so the mistakes stand out; the
    diagonal (correct answers, hundreds each) is simply the darkest colour. ``names``: the classes' names
    (Fashion-MNIST's "Trouser"…), else their numbers.
    """
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    classes = list(names) if names is not None else [str(c) for c in range(len(matrix))]
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=classes,
            y=classes,
            zmin=0,
            zmax=max(int(off.max()), 1),
            colorscale="Blues",
            texttemplate="%{z}",
            textfont={"size": 11},
            xgap=1,
            ygap=1,
            hovertemplate="true %{y}, predicted %{x}: %{z} images<extra></extra>",
            colorbar={
                "title": {"text": "images", "side": "right"},
                "thickness": 10,
                "orientation": "h",
                "y": -0.04,
                "yanchor": "top",
                "len": 0.8,
            },
        )
    )
    # The colour bar lies under the matrix, so on a phone the ten columns get the whole width (a 4-digit
    # diagonal count needs ~26 px per cell at 11 px).
    figure.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="white", dragmode=False
    )
    # Square cells by shrinking the plot area to the matrix ("domain"), not by widening an axis: in a wide
    # column the labels stayed far from the rows, with grid lines across the empty space. Named classes
    # (Fashion-MNIST) are slanted at a fixed angle so neighbouring names do not run into each other.
    figure.update_xaxes(
        title_text="predicted class",
        side="top",
        type="category",
        showgrid=False,
        constrain="domain",
        tickangle=-45 if names is not None else 0,
    )
    figure.update_yaxes(
        title_text="true class",
        autorange="reversed",
        type="category",
        scaleanchor="x",
        showgrid=False,
        constrain="domain",
    )
    return figure


def per_class_figure(accuracy: np.ndarray, height: int = 480, names: Sequence[str] | None = None) -> go.Figure:
    """Accuracy per true class as horizontal bars (labelled by ``names`` if given); the worst class in red.

    The axis starts 5 points below the worst class, so the differences show; the worst bar is then a
    sliver, and a number in it was cut to "%" (QA). A bar shorter than a quarter of the axis has its number
    outside, in dark ink; the others inside, in white.
    """
    worst = int(np.nanargmin(accuracy))
    colours = [ALERT if c == worst else ACCENT for c in range(len(accuracy))]
    classes = list(names) if names is not None else [str(c) for c in range(len(accuracy))]
    low = max(0.0, float(np.nanmin(accuracy)) - 0.05)
    short = (np.nan_to_num(accuracy, nan=low) - low) < 0.25 * (1.0 - low)
    figure = go.Figure(
        go.Bar(
            x=accuracy,
            y=classes,
            orientation="h",
            marker_color=colours,
            text=[f"{a:.1%}" for a in accuracy],
            textposition=["outside" if s else "inside" for s in short],
            insidetextanchor="end",
            insidetextfont={"color": "white"},
            outsidetextfont={"color": INK},
            cliponaxis=False,
            hovertemplate="class %{y}: %{x:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, plot_bgcolor="white", dragmode=False
    )
    figure.update_xaxes(
        range=[low, 1.0], tickformat=".0%", gridcolor="#eee", title_text=f"accuracy (the axis starts at {low:.0%})"
    )
    figure.update_yaxes(title_text="true class", autorange="reversed", type="category")
    return figure


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
    return heat_overlay_png(image, heat, 224), caption
