"""The Translation invariance page's views: probabilities for every shift (cached), their charts, pooled maps."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from cnnviz.invariance import accuracy_vs_shift, relative_change, shift_offsets, shift_response
from cnnviz.render import shared_limit
from cnnviz_ui.charts import draw_box, square_layout
from cnnviz_ui.layout import show_layer
from cnnviz_ui.plots import ACCENT, ALERT, colour_bar, legend_html, plotly_literal
from cnnviz_ui.resources import dataset, run_key, run_network
from cnnviz_ui.text import literal

CONV_COLOUR, DENSE_COLOUR = ACCENT, ALERT
MAX_SHIFT = 10


@st.cache_data(max_entries=64, show_spinner="Shifting the digit 441 ways…")
def grid_probabilities(key: str, target: int, _model: torch.nn.Module, _image: torch.Tensor) -> np.ndarray:
    """Class probabilities for every shift: (dy, dx, classes), dy and dx from -MAX_SHIFT to MAX_SHIFT."""
    response = shift_response(_model, _image, shift_offsets(MAX_SHIFT, "xy"), target)
    return response.probabilities.reshape(2 * MAX_SHIFT + 1, 2 * MAX_SHIFT + 1, -1)


@st.cache_data(max_entries=8, show_spinner="Shifting 1,000 test digits 17 ways for each model…")
def accuracy_curve(key: str, _model: torch.nn.Module) -> np.ndarray:
    """Top-1 accuracy on the first 1,000 MNIST test digits for horizontal shifts -8 to 8, cached by ``key``."""
    images, labels = dataset("MNIST", "test")
    return accuracy_vs_shift(_model, images[:1000], labels[:1000], shift_offsets(8, "x"))


def shift_curves(steps: np.ndarray, curves: dict[str, np.ndarray], current: int, axis: str, target: int) -> go.Figure:
    """P(target) against a shift along one axis, one line per model, the current shift marked."""
    figure = go.Figure()
    for (name, values), colour in zip(curves.items(), (CONV_COLOUR, DENSE_COLOUR), strict=False):
        name = plotly_literal(name)
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                name=name,
                mode="lines+markers",
                line={"color": colour},
                showlegend=False,  # one legend for both charts: curve_legend
                hovertemplate=f"{axis}=%{{x}}: %{{y:.1%}}<extra>{name}</extra>",
            )
        )
    figure.add_vline(x=current, line={"color": "#6b7280", "dash": "dot"})
    figure.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
        title={"text": f"P({target}) as it moves {'right' if axis == 'dx' else 'down'}", "font": {"size": 14}},
        dragmode=False,
    )
    figure.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", gridcolor="#eee")
    figure.update_xaxes(title_text=f"{axis} (pixels)", gridcolor="#eee", zeroline=False)
    return figure


def curve_legend(names: list[str]) -> str:
    """One legend line for both shift charts (``plots.legend_html``), in the curves' colours."""
    return legend_html(list(zip(names, (CONV_COLOUR, DENSE_COLOUR), strict=False)))


def shift_grid(steps: np.ndarray, values: np.ndarray, title: str, current: tuple[int, int]) -> go.Figure:
    """P(target) over every (dx, dy) as a heatmap (row = dy, column = dx), the current shift boxed."""
    figure = go.Figure(
        go.Heatmap(
            x=steps,
            y=steps,
            z=values,
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            colorbar=colour_bar(0.0, 1.0, ".0%"),
            hovertemplate="dx=%{x}, dy=%{y}: %{z:.1%}<extra></extra>",
        )
    )
    draw_box(figure, current[1], current[0], 1, "white", 3)
    figure = square_layout(figure, title, 430)
    # Shown at its own fixed height with tick labels (not ``show_picture``): shrink the plot, not widen the axes.
    figure.update_xaxes(showticklabels=True, title_text="dx (right)", constrain="domain")
    figure.update_yaxes(showticklabels=True, title_text="dy (down)", constrain="domain")
    return figure


def pooled_maps(
    name: str, model: torch.nn.Module, key: str, image: np.ndarray, moved: np.ndarray, shift: tuple
) -> None:
    """The model's pooled feature maps on the digit as it was and shifted by ``shift`` (dx, dy), and how much each
    pooling layer's output changed (``invariance.relative_change``)."""
    layers = [n for n in ("pool1", "pool2") if hasattr(model, n)]
    if not layers:
        return
    st.subheader(f"Pooled feature maps of {literal(name)}: the digit as it was, and shifted")
    still = run_network(key, model, image)[0]
    shifted_key = run_key(model, moved)
    shifted = run_network(shifted_key, model, moved)[0]
    for layer in layers:
        limit = shared_limit(still[layer], shifted[layer])
        change = relative_change(still[layer], shifted[layer])
        a, b = st.columns(2, gap="large")
        with a:
            show_layer(key, f"{layer}", still[layer], limit, per_map=False)
        with b:
            show_layer(shifted_key, f"{layer} shifted by {shift}", shifted[layer], limit, per_map=False)
        st.caption(
            f"{layer} changed by {change:.0%} (relative L2 distance). The maps move with the digit: the same "
            "responses in other places, which this distance counts as change. Pooling absorbs a move only "
            "while a response stays inside its window."
        )
