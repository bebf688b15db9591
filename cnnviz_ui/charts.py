"""Plotly charts shared by several pages: a class-probability bar chart and a feature map as a heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz_ui.plots import ACCENT, DIVERGING, colour_bar, layout
from cnnviz_ui.text import bar_label, class_name

ZOOM = "#f59e0b"  # the box round a zoomed region or the current shift


def probability_chart(
    probabilities: np.ndarray,
    title: str = "",
    height: int = 260,
    names: Sequence[str] | None = None,
    font_px: int | None = None,
) -> go.Figure:
    """A bar per class, the top class highlighted, probabilities printed beside the bars.

    ``font_px``: the size of the probabilities and the axes' labels (``presenting.figure_font_px``); plotly's
    12 px labels when None.

    ``names``: the classes' names (Fashion-MNIST), read across as horizontal bars: slanted under upright
    bars they ran into each other in a narrow column.
    """
    top = int(probabilities.argmax())
    colours = [ACCENT if c == top else "#9ca3af" for c in range(len(probabilities))]
    classes = [class_name(c, names) for c in range(len(probabilities))]
    across = names is not None
    values = {"x": probabilities, "y": classes, "orientation": "h"} if across else {"x": classes, "y": probabilities}
    hover = "%{y}: %{x:.2%}<extra></extra>" if across else "class %{x}: %{y:.2%}<extra></extra>"
    figure = go.Figure(
        go.Bar(
            **values,
            marker_color=colours,
            text=[bar_label(p) for p in probabilities],
            textposition="outside",
            textfont={"size": font_px or 12},
            constraintext="none",
            cliponaxis=False,
            hovertemplate=hover,
        )
    )
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height + (40 if across else 0),
        dragmode=False,
        margin={"l": 10, "r": 30 if across else 10, "t": 36 if title else 10, "b": 10},
        plot_bgcolor="white",
    )
    share, classes_axis = (
        (figure.update_xaxes, figure.update_yaxes) if across else (figure.update_yaxes, figure.update_xaxes)
    )
    share(range=[0, 1.15], tickformat=".0%", gridcolor="#eee")
    # Every class named, however narrow (dtick 1); the first class on top when they are listed down.
    classes_axis(
        type="category", dtick=1, title_text=None if across else "class", autorange="reversed" if across else None
    )
    if font_px:
        figure.update_xaxes(tickfont={"size": font_px}, title_font={"size": font_px})
        figure.update_yaxes(tickfont={"size": font_px}, title_font={"size": font_px})
    return figure


def map_figure(
    values: np.ndarray,
    title: str,
    limit: float,
    numbers: bool = False,
    height: int = 330,
    scale: bool = True,
    gap: int = 1,
) -> go.Figure:
    """One feature map as a hoverable heatmap on the shared blue-white-red scale."""
    figure = go.Figure(
        go.Heatmap(
            z=values,
            colorscale=DIVERGING,
            zmin=-limit,
            zmax=limit,
            xgap=gap,
            ygap=gap,
            hovertemplate="row %{y}, column %{x}: %{z:.3f}<extra></extra>",
            showscale=scale,
            colorbar=colour_bar(-limit, limit),
        )
    )
    if numbers:
        figure.data[0].update(texttemplate="%{z:.2f}", textfont={"size": 11})
    return square_layout(figure, title, height)


def square_layout(figure: go.Figure, title: str, height: int) -> go.Figure:
    """``plots.layout`` (title, colour bar across the top, square cells) with row 0 at the top."""
    figure = layout(figure, title, height)
    figure.update_yaxes(autorange="reversed")
    return figure


def draw_box(figure: go.Figure, row: float, col: float, size: float, colour: str = ZOOM, width: int = 3) -> None:
    """A square outline round ``size`` x ``size`` cells from (``row``, ``col``) (cell centres at integers)."""
    figure.add_shape(
        type="rect",
        x0=col - 0.5,
        x1=col + size - 0.5,
        y0=row - 0.5,
        y1=row + size - 0.5,
        line={"color": colour, "width": width},
    )
