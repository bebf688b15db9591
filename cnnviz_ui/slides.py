"""Figures for slides, in the page: the plotly chart settings every chart uses, and download buttons.

A chart::

    st.plotly_chart(slide_figure(fig), config=plotly_config("Output of Sobel x"))

A picture (mosaic, digit, map) or an animation::

    download_png_button(titled_png(pixels, "Feature maps of conv1", scale=4), "Feature maps of conv1", key="fm_png")
    download_gif_button(gif_bytes(window_frames(grid, ...)), "Sliding window, stride 2", key="ar_gif")
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from cnnviz.slides import slide_filename

# Every button plotly puts on a 2-D chart's toolbar but "toImage" (plotly.js's modebar/manage.js).
PLOTLY_BUTTONS_REMOVED = (
    "zoom2d",
    "pan2d",
    "select2d",
    "lasso2d",
    "zoomIn2d",
    "zoomOut2d",
    "autoScale2d",
    "resetScale2d",
    "hoverClosestCartesian",
    "hoverCompareCartesian",
    "toggleSpikelines",
    "toggleHover",
    "resetViews",
    "hoverClosestPie",
)


def plotly_config(title: str, scale: int = 2) -> dict:
    """The ``config`` of ``st.plotly_chart`` for a chart called ``title``.

    The toolbar holds "Download plot as a PNG" (at ``scale`` times the drawn size, the chart's title
    included, named after ``title``) and Streamlit's "Fullscreen"; the plotly logo, zoom and pan buttons go,
    and the mouse wheel scrolls the page instead of zooming. The buttons are removed by name: plotly's
    ``modeBarButtons`` (a whole toolbar) would also drop the Fullscreen button Streamlit adds to it.
    """
    return {
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtonsToRemove": list(PLOTLY_BUTTONS_REMOVED),
        "toImageButtonOptions": {"format": "png", "filename": slide_filename(title, "png")[:-4], "scale": scale},
    }


def slide_figure(fig: go.Figure) -> go.Figure:
    """``fig`` ready for a phone and a slide: a finger's drag scrolls the page instead of zooming the chart,
    and the toolbar stands upright at the right edge, off the title. Changes ``fig`` and returns it."""
    fig.update_layout(dragmode=False, modebar={"orientation": "v"})
    return fig


def download_png_button(png: bytes | Callable[[], bytes], title: str, key: str, label: str = "Download PNG") -> None:
    """A button that saves ``png`` as "<title>.png" without rerunning the page. ``png`` may be a function that
    makes the bytes: it then runs only when the button is pressed."""
    st.download_button(
        label,
        png,
        file_name=slide_filename(title, "png"),
        mime="image/png",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help=f"“{title}”, with its title, for a slide",
    )


def download_gif_button(gif: bytes, title: str, key: str, label: str = "Download GIF") -> None:
    """A button that saves the animation ``gif`` as "<title>.gif" without rerunning the page."""
    st.download_button(
        label,
        gif,
        file_name=slide_filename(title, "gif"),
        mime="image/gif",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help=f"“{title}”, one frame per output cell, for a slide",
    )
