"""A tiny page for tests/e2e/test_presentation.py: presentation mode, keyboard steps, downloads for slides.

It uses the shared pieces the way a page does; the real pages wire them in themselves.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from cnnviz.slides import gif_bytes, titled_png
from cnnviz.window_frames import window_frames
from cnnviz.windows import window_grid
from cnnviz_ui.conv_diagram import Drawing, diagram_html, prepare
from cnnviz_ui.presenting import explanation, keyboard_steps, presentation_css, presentation_toggle
from cnnviz_ui.slides import download_gif_button, download_png_button, plotly_config, slide_figure, svg_downloads

st.set_page_config(page_title="presentation test", layout="wide")
presentation_css()
st.sidebar.markdown("The sidebar's text")
st.title("Presentation test")
presentation_toggle()
st.markdown("Body text a lecturer projects.")
st.caption("A caption under it.")
with explanation("long"):
    st.markdown("A LONG EXPLANATION that presentation mode hides.")

st.session_state.setdefault("steps", 0)
with st.container(key="step_next"):
    if st.button("Next step"):
        st.session_state.steps += 1
st.markdown(f"Steps taken: {st.session_state.steps}")

grid = window_grid(5, 5, 3)
st.iframe(diagram_html(prepare(Drawing("conv", 5, 5, 3))), height="content")

fig = go.Figure(go.Heatmap(z=np.arange(12).reshape(3, 4)), layout={"title": {"text": "A heat map"}})
st.plotly_chart(slide_figure(fig), config=plotly_config("A heat map"), width=500, key="chart")
download_png_button(titled_png(np.zeros((60, 100), np.uint8), "A dark rectangle"), "A dark rectangle", key="png")
download_gif_button(gif_bytes(window_frames(grid)), "Window 3 x 3 on 5 x 5", key="gif")
keyboard_steps()
svg_downloads()
