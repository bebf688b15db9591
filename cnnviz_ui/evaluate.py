"""The Evaluate page's views: the models table, cached test-set scores, the confusion matrix and per-class charts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from torch import nn

from cnnviz.evaluation import Scores, mistake_counts
from cnnviz.predict import predict_dataset
from cnnviz_ui.plots import ACCENT, ALERT, INK
from cnnviz_ui.resources import dataset, model_fingerprint

PERCENT_COLUMNS = ("Top-1 accuracy", "Top-1 error", "Top-5 accuracy", "Top-5 error")


@st.cache_data(max_entries=16, show_spinner="Classifying the 10,000 test digits (once per model)…")
def test_probabilities(label: str, fingerprint: str, _model: nn.Module, dataset_name: str = "MNIST") -> np.ndarray:
    """float32 (10000, 10) class probabilities on a test set, cached per model label, weights and dataset."""
    images, _ = dataset(dataset_name, "test")
    return predict_dataset(_model, images).astype(np.float32)


def model_scores(label: str, model: nn.Module, dataset_name: str = "MNIST") -> np.ndarray:
    """``test_probabilities`` keyed by the label and a hash of the weights (session models can share a label)."""
    return test_probabilities(label, model_fingerprint(model), model, dataset_name)


def models_table(rows: Sequence[tuple[str, int, Scores]]) -> None:
    """Every model's (name, parameters, scores) as a plain table, whose cells wrap so every column shows on a
    projector and a phone (a data grid cut columns off); on a phone the accuracy columns are hidden, as each is
    100% minus the error beside it, which the caption says."""
    frame = pd.DataFrame(
        [
            {
                "Model": name,
                "Parameters": parameters,
                "Top-1 accuracy": scores.top1_accuracy,
                "Top-1 error": scores.top1_error,
                "Top-5 accuracy": scores.top5_accuracy,
                "Top-5 error": scores.top5_error,
                "Mistakes": scores.mistakes,
            }
            for name, parameters, scores in rows
        ]
    )
    hidden = ", ".join(
        f":nth-child({list(frame.columns).index(name) + 1})" for name in ("Top-1 accuracy", "Top-5 accuracy")
    )
    with st.container(key="evaluate_models"):
        st.html(
            f"<style>@media (max-width: 640px) {{ .st-key-evaluate_models table :is(th, td):is({hidden}) {{ "
            "display: none; } }</style>"
        )
        percents = dict.fromkeys(PERCENT_COLUMNS, "{:.2%}")
        st.table(frame.style.format({"Parameters": "{:,}", "Mistakes": "{:,}"} | percents).hide(axis="index"))
        st.caption(
            "Accuracy = 100% − error: the share of test images whose true class is the top-1 guess (or "
            "among the top-5). Mistakes: the images the top-1 guess gets wrong."
        )


def confusion_figure(matrix: np.ndarray, height: int = 480, names: Sequence[str] | None = None) -> go.Figure:
    """The confusion matrix as a heatmap: rows true class, columns predicted, every count printed.

    The colour scale stops at the largest off-diagonal count, so the mistakes stand out; the
    diagonal (correct answers, hundreds each) is simply the darkest colour. ``names``: the classes' names
    (Fashion-MNIST's "Trouser"…), else their numbers.
    """
    off = mistake_counts(matrix)
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

    The axis starts 5 points below the worst class, so the differences show; a bar shorter than a quarter
    of the axis has its number outside, in dark ink (inside a sliver it was cut), the others inside, in white.
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
