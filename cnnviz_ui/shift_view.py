"""Figures of the Translation invariance page: class probability against a shift of the digit."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz_ui.plots import ACCENT, ALERT, colour_bar, legend_html, plotly_literal
from cnnviz_ui.pooling_view import draw_box, square_layout

CONV_COLOUR, DENSE_COLOUR = ACCENT, ALERT


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
