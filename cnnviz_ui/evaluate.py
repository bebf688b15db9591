"""The Evaluate page's views: the models table, cached test-set scores, the confusion matrix and per-class charts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from torch import nn

from cnnviz.evaluation import RIGHT_SCALE, Scores, confusion_layers, filter_mistakes, mistake_scale
from cnnviz.predict import mistakes, predict_dataset, top_k_batch
from cnnviz.render import upscale
from cnnviz.slides import captioned_grid, titled_png
from cnnviz.view_links import LinkParam
from cnnviz_ui import cards
from cnnviz_ui.plots import ACCENT, ALERT, INK, grey_png
from cnnviz_ui.presenting import explanation
from cnnviz_ui.resources import SHIPPED, dataset, model_fingerprint
from cnnviz_ui.slides import download_png_button
from cnnviz_ui.text import bar_label, test_item
from cnnviz_ui.text import class_name as common_class_name

MISTAKE_SCALE, MISTAKE_COLUMNS = 3, 10  # the mistakes' slide: 84 px digits (168 px at 2x), ten to a row
PERCENT_COLUMNS = ("Top-1 accuracy", "Top-1 error", "Top-5 accuracy", "Top-5 error")
FILTER_CHOICES = ("any", *(str(c) for c in range(10)))  # the mistakes' filters as a link writes them
_LINK_FILTER = "_evaluate_link_"  # + "true" / "predicted": a filter read from a link, before its widget


def link_params(test_set: str) -> list[LinkParam]:
    """What a link to Evaluate carries: a shipped model and the mistakes' two filters, on the MNIST test set.

    A model trained on another test set lives in one browser session only, so a link could not open it
    elsewhere; there the link stays bare. The filters' widgets hold "any" or a class number, which a link
    writes as text: they go through ``filters_from_link``.
    """
    if test_set != "MNIST":
        return []
    return [
        LinkParam("model", str, "Shipped convnet", choices=tuple(SHIPPED), key="evaluate_model_MNIST"),
        LinkParam("true", str, "any", choices=FILTER_CHOICES, key=_LINK_FILTER + "true", label="true digit"),
        LinkParam("predicted", str, "any", choices=FILTER_CHOICES, key=_LINK_FILTER + "predicted"),
    ]


def filters_from_link(test_set: str) -> None:
    """Move the filters a link held (``restore_from_link`` put them under keys of their own) into the filter
    widgets' state: "any" stays "any", "4" becomes the class 4. Call after the restore, before the widgets."""
    for which in ("true", "predicted"):
        text = st.session_state.pop(_LINK_FILTER + which, None)
        if text is not None:
            st.session_state[f"evaluate_{which}_{test_set}"] = text if text == "any" else int(text)


def link_values(test_set: str, model: str, true_filter: int | str, predicted_filter: int | str) -> dict[str, str]:
    """The settings ``link_params`` names, as the page shows them."""
    if test_set != "MNIST":
        return {}
    return {"model": model, "true": str(true_filter), "predicted": str(predicted_filter)}


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


def matrix_shape(classes: int) -> tuple[int, int]:
    """The (rows, columns) ``layout.show_picture`` fits the confusion matrix to: ``classes`` columns (the counts'
    type is fitted to their width), cells 4/5 as tall as they are wide. The counts need the width (1128 is four
    digits), not the height, so on a 1024 x 768 projector the whole matrix fits the screen with 18 px counts."""
    return max(1, round(0.8 * classes)), classes


def confusion_figure(
    matrix: np.ndarray, names: Sequence[str] | None = None, title: str = "", font_px: int = 14, kind: str = "digit"
) -> go.Figure:
    """The confusion matrix as two heatmaps on one grid: rows the true class, columns the network's answer.

    The right answers (the diagonal) are blue on their own scale and the mistakes orange to dark red on theirs
    (``cnnviz.evaluation.confusion_layers``), each with its colour bar under the matrix, so "5 read as 3"
    (5 images) no longer looks like the 978 right answers beside it; a cell with no mistake is white and
    blank. Counts, labels and colour-bar numbers are printed at ``font_px`` (``presenting.figure_font_px``); drawn
    with ``layout.show_picture`` and ``matrix_shape``, the matrix takes the column's width and the counts shrink
    only where a cell is too narrow for them (a phone). ``names``: the classes' names (Fashion-MNIST's
    "Trouser"…), else their numbers.
    """
    layers = confusion_layers(matrix)
    classes = list(names) if names is not None else [str(c) for c in range(len(matrix))]
    bar = {"orientation": "h", "thickness": 10, "y": -0.03, "yanchor": "top", "len": 0.46, "xanchor": "center"}
    bar_font = {"size": font_px}

    def text(layer: np.ndarray) -> list[list[str]]:
        return [["" if np.isnan(v) or v == 0 else f"{int(v)}" for v in row] for row in layer]

    common = {
        "x": classes,
        "y": classes,
        "zmin": 0,
        "xgap": 1,
        "ygap": 1,
        "texttemplate": "%{text}",
        "textfont": {"size": font_px},
    }
    wrong_max = layers.wrong_max
    figure = go.Figure(
        [
            go.Heatmap(
                z=layers.right,
                text=text(layers.right),
                zmax=layers.right_max,
                colorscale=[list(stop) for stop in RIGHT_SCALE],
                hovertemplate="true %{y}, answered %{x}: %{z} images, right<extra></extra>",
                colorbar={
                    **bar,
                    "x": 0.25,
                    "title": {"text": "right answers", "side": "top", "font": bar_font},
                    "tickfont": bar_font,
                    "tickvals": [0, layers.right_max],
                },
                name="right",
                **common,
            ),
            go.Heatmap(
                z=layers.wrong,
                text=text(layers.wrong),
                zmax=wrong_max,
                colorscale=[list(stop) for stop in mistake_scale(wrong_max)],
                hovertemplate="true %{y}, answered %{x}: %{z} images<extra></extra>",
                colorbar={
                    **bar,
                    "x": 0.75,
                    "title": {"text": "mistakes", "side": "top", "font": bar_font},
                    "tickfont": bar_font,
                    "tickvals": [0, wrong_max],
                },
                name="mistakes",
                **common,
            ),
        ]
    )
    figure.update_layout(
        title={"text": title, "font": {"size": font_px + 2}, "x": 0, "xanchor": "left", "y": 0.995, "yanchor": "top"},
        height=560,
        margin={"l": 56, "r": 8, "t": 96 if names is None else 150, "b": 70},
        plot_bgcolor="#f3f4f6",
        font={"size": font_px},
        dragmode=False,
    )
    # The cells fill the plot area, which ``layout.show_picture`` makes CELL_ASPECT times as tall as it is wide
    # (``matrix_shape``). Named classes (Fashion-MNIST) are slanted at a fixed angle so neighbouring names do
    # not run into each other.
    figure.update_xaxes(
        title={"text": "the network's answer", "font": {"size": font_px}},
        side="top",
        type="category",
        showgrid=False,
        constrain="domain",
        tickangle=-45 if names is not None else 0,
        tickfont={"size": font_px},
    )
    figure.update_yaxes(
        title={"text": f"true {kind}", "font": {"size": font_px}},
        autorange="reversed",
        type="category",
        showgrid=False,
        tickfont={"size": font_px},
    )
    return figure


def per_class_figure(
    accuracy: np.ndarray, height: int = 480, names: Sequence[str] | None = None, title: str = "", font_px: int = 14
) -> go.Figure:
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
            constraintext="none",  # plotly would shrink the numbers to the bars' thickness
            textfont={"size": font_px},
            insidetextfont={"color": "white", "size": font_px},
            outsidetextfont={"color": INK, "size": font_px},
            cliponaxis=False,
            hovertemplate="class %{y}: %{x:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": title, "font": {"size": font_px + 2}, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        plot_bgcolor="white",
        font={"size": font_px},
        dragmode=False,
    )
    figure.update_xaxes(
        range=[low, 1.0],
        tickformat=".0%",
        gridcolor="#eee",
        title={"text": f"accuracy (the axis starts at {low:.0%})", "font": {"size": font_px}},
        tickfont={"size": font_px},
    )
    figure.update_yaxes(
        title={"text": "true class", "font": {"size": font_px}},
        autorange="reversed",
        type="category",
        tickfont={"size": font_px},
    )
    return figure


def mistakes_title(model: str, thing: str, true_class: str, predicted_class: str) -> str:
    """The title of the mistakes' slide: "Misclassified test digits of the Shipped convnet (true 9, read as 4),
    most confident first"; a filter that is "any" is left out."""
    which = [f"true {true_class}"] if true_class != "any" else []
    if predicted_class != "any":
        which.append(f"read as {predicted_class}")
    filters = f" ({', '.join(which)})" if which else ""
    return f"Misclassified test {thing}s of the {model}{filters}, most confident first"


def mistakes_png(pictures: np.ndarray, captions: list[list[str]], title: str) -> bytes:
    """The mistakes (n, 28, 28) uint8 as a slide: each picture ``MISTAKE_SCALE`` times enlarged with its caption
    lines, ``MISTAKE_COLUMNS`` to a row, under ``title``, all at 2x (sharp pixels)."""
    enlarged = [upscale(picture, picture.shape[0] * MISTAKE_SCALE) for picture in pictures]
    return titled_png(captioned_grid(enlarged, captions, columns=MISTAKE_COLUMNS), title, scale=2)


def mistakes_section(
    probs: np.ndarray, labels: np.ndarray, predicted: np.ndarray, images, names, test_set: str, model: str = ""
) -> tuple[object, object]:
    """The misclassified test images, most confident first, with a true-class and a predicted-class filter, and
    the shown ones as a PNG for a slide (made when its button is pressed).

    ``probs`` (N, 10), ``labels`` and ``predicted`` (N,), ``images`` the test set's (N, 28, 28) uint8 pictures;
    ``model`` the model's label, for the PNG's title. Returns the two filters' values ("any" or a class), which
    the page's link carries.
    """
    kind, thing = ("digit" if names is None else "class"), test_item(names)

    def class_name(c: int | str) -> str:
        return c if c == "any" else common_class_name(c, names)

    st.subheader("The mistakes, most confident first")
    wrong = mistakes(probs, labels)
    f1, f2, f3 = st.columns([1, 1, 2])
    choices = ["any", *range(10)]
    # Each test set has its own filters: a "Bag → Trouser" filter must not silently become "8 → 1".
    true_filter = f1.selectbox(
        f"True {kind}", choices, key=f"evaluate_true_{test_set}", persist_state="session", format_func=class_name
    )
    pred_filter = f2.selectbox(
        "Predicted as", choices, key=f"evaluate_predicted_{test_set}", persist_state="session", format_func=class_name
    )
    wrong = filter_mistakes(wrong, labels, predicted, *(None if f == "any" else f for f in (true_filter, pred_filter)))
    shown = wrong[:30]
    with f3:
        st.caption(f"{len(wrong):,} misclassified test {thing}s match; showing {len(shown)}.")
        with explanation("mistakes"):
            st.caption(
                "Under each: **true → answer** with the answer's probability, then the top-5 classes (the true one in "
                "bold, if it made the top-5) and the test image's index."
            )
    if len(shown) == 0:
        st.info(f"No mistakes match these filters: pick another pair of {'digits' if names is None else 'classes'}.")
    rankings = top_k_batch(probs[shown], 5)
    if len(shown):
        title = mistakes_title(model, thing, class_name(true_filter), class_name(pred_filter))
        pictures = np.stack([images[index].numpy() for index in shown])  # (n, 28, 28) uint8
        captions = [
            [f"{class_name(int(labels[i]))} → {class_name(r[0][0])}", bar_label(r[0][1]), f"#{i}"]
            for i, r in zip(shown, rankings, strict=True)
        ]
        with f3:
            download_png_button(partial(mistakes_png, pictures, captions, title), title, key="evaluate_mistakes_png")
    st.html(
        cards.mistake_grid(
            [
                (
                    grey_png(images[index].numpy() / 255.0, cards.MISTAKE_PX),
                    int(labels[index]),
                    ranking,
                    bar_label(ranking[0][1]),
                    int(index),
                )
                for index, ranking in zip(shown, rankings, strict=True)
            ],
            names,
        )
    )
    return true_filter, pred_filter
