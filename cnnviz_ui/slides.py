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
from cnnviz_ui.presenting import page_script

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
    included, named after ``title``), "Download plot as an SVG" under it (``svg_downloads``) and Streamlit's
    "Fullscreen"; the plotly logo, zoom and pan buttons go, and the mouse wheel scrolls the page instead of
    zooming. The buttons are removed by name: plotly's ``modeBarButtons`` (a whole toolbar) would also drop
    the Fullscreen button Streamlit adds to it.
    """
    return {
        "displaylogo": False,
        "scrollZoom": False,
        "modeBarButtonsToRemove": list(PLOTLY_BUTTONS_REMOVED),
        "toImageButtonOptions": {"format": "png", "filename": slide_filename(title, "png")[:-4], "scale": scale},
    }


# plotly.js draws one image button per chart, for one format (config.toImageButtonOptions). This script, run in
# the page itself, adds a second button under it that saves the same chart as an SVG: it sets the chart's own
# toImage format to "svg" for one click of plotly's button, so the file is plotly's own export, named and
# titled like the PNG. A MutationObserver puts the button back whenever plotly redraws its toolbar.
SVG_BUTTON_JS = """<script>
(() => {
  const root = window.parent && window.parent.document ? window.parent : window, doc = root.document;
  if (root.__cnnvizSvg) return;
  const NS = "http://www.w3.org/2000/svg";
  const icon = () => {  // built node by node: Streamlit's sanitizer drops a script whose text holds markup
    const svg = doc.createElementNS(NS, "svg"), text = doc.createElementNS(NS, "text");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    for (const [name, value] of Object.entries({x: 12, y: 16, "text-anchor": "middle", "font-size": 9,
        "font-weight": 700, "font-family": "sans-serif", fill: "rgba(68,68,68,0.7)"})) text.setAttribute(name, value);
    text.textContent = "SVG";
    svg.append(text);
    return svg;
  };
  const save = (chart, png) => {
    const options = chart._context && chart._context.toImageButtonOptions;
    if (!options) return;
    const format = options.format;
    options.format = "svg";
    try { png.click(); } finally { options.format = format; }
  };
  const addButtons = () => {
    for (const group of doc.querySelectorAll(".js-plotly-plot .modebar-group")) {
      const png = [...group.querySelectorAll(".modebar-btn")].find(b => /download plot/i.test(b.dataset.title || ""));
      if (!png || group.querySelector(".cnnviz-svg")) continue;
      const button = doc.createElement("button");
      button.type = "button";
      button.className = "modebar-btn cnnviz-svg";
      button.setAttribute("rel", "tooltip");
      button.dataset.title = "Download plot as an SVG";
      button.dataset.gravity = png.dataset.gravity || "n";
      button.setAttribute("aria-label", "Download plot as an SVG");
      button.append(icon());
      button.addEventListener("click", () => save(group.closest(".js-plotly-plot"), png));
      png.after(button);
    }
  };
  let queued = false;
  root.__cnnvizSvg = new root.MutationObserver(() => {
    if (queued) return;
    queued = true;
    root.requestAnimationFrame(() => { queued = false; addButtons(); });
  });
  root.__cnnvizSvg.observe(doc.body, {childList: true, subtree: true});
  addButtons();
})();
</script>"""


def svg_downloads() -> None:
    """Give every plotly chart's toolbar (see ``plotly_config``) a "Download plot as an SVG" button too.

    Call once per run; it draws nothing visible and installs itself once per browser tab.
    """
    page_script("cnnviz_svg", SVG_BUTTON_JS)


def slide_figure(fig: go.Figure) -> go.Figure:
    """``fig`` ready for a phone and a slide: a finger's drag scrolls the page instead of zooming the chart,
    and the toolbar stands upright at the right edge, off the title. Changes ``fig`` and returns it."""
    fig.update_layout(dragmode=False, modebar={"orientation": "v"})
    return fig


def download_png_button(png: bytes | Callable[[], bytes], title: str, key: str, label: str = "Download PNG") -> None:
    """A button that saves ``png`` as "<title>.png" without rerunning the page. ``png`` may be a function that
    makes the bytes: it then runs only when the button is pressed."""
    _download_button(png, title, "png", key, label, "with its title, for a slide")


def download_gif_button(gif: bytes | Callable[[], bytes], title: str, key: str, label: str = "Download GIF") -> None:
    """A button that saves the animation ``gif`` as "<title>.gif" without rerunning the page (``gif`` may be a
    function that makes the bytes, as for ``download_png_button``)."""
    _download_button(gif, title, "gif", key, label, "one frame per output cell, for a slide")


def _download_button(data: bytes | Callable[[], bytes], title: str, ext: str, key: str, label: str, what: str) -> None:
    st.download_button(
        label,
        data,
        file_name=slide_filename(title, ext),
        mime=f"image/{ext}",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help=f"“{title}”, {what}",
    )
