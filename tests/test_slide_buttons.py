"""Chart settings and download buttons for slides (cnnviz_ui.slides)."""

from __future__ import annotations

import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from cnnviz_ui.slides import plotly_config, slide_figure


def test_the_toolbar_holds_only_the_png_download_at_twice_the_size():
    config = plotly_config("Training loss (batch 1 to 600)")
    # Removed by name: a "modeBarButtons" list would also drop Streamlit's Fullscreen button
    assert "modeBarButtons" not in config and "toImage" not in config["modeBarButtonsToRemove"]
    assert {"zoom2d", "pan2d", "autoScale2d", "resetScale2d"} <= set(config["modeBarButtonsToRemove"])
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "training-loss-batch-1-to-600", "scale": 2}
    assert config["scrollZoom"] is False and config["displaylogo"] is False
    assert plotly_config("x", scale=3)["toImageButtonOptions"]["scale"] == 3


def test_a_slide_figure_does_not_take_a_fingers_drag_and_keeps_its_toolbar_off_the_title():
    fig = slide_figure(go.Figure(go.Scatter(y=[1, 2, 3]), layout={"title": {"text": "Loss"}}))
    assert fig.layout.dragmode is False
    assert fig.layout.modebar.orientation == "v"
    assert fig.layout.title.text == "Loss"


SCRIPT = """
import numpy as np
import streamlit as st
from cnnviz.slides import gif_bytes, titled_png
from cnnviz.window_frames import window_frames
from cnnviz.windows import window_grid
from cnnviz_ui.slides import download_gif_button, download_png_button

download_png_button(titled_png(np.zeros((8, 8), np.uint8), "A dark square"), "A dark square", key="png")
download_gif_button(gif_bytes(window_frames(window_grid(4, 4, 3))), "Window 3 × 3", key="gif")
"""


def test_the_download_buttons_are_drawn_with_their_file_names():
    at = AppTest.from_string(SCRIPT, default_timeout=30).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Download PNG", "Download GIF"]
    assert "A dark square" in buttons[0].proto.help
