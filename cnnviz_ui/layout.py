"""Page layout shared by every page: the header and CSS, friendly errors, columns that wrap, pictures and mosaics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import streamlit as st

from cnnviz.images import encode_png
from cnnviz.render import BLUE, MOSAIC_WIDTH, RED, WHITE, mosaic_rgb
from cnnviz_ui.navigation import use_app_navigation
from cnnviz_ui.plots import ACCENT, MUTED, fitted_height_css
from cnnviz_ui.presenting import explanation, keyboard_steps, page_script, presentation_css, presentation_toggle
from cnnviz_ui.slides import plotly_config, slide_figure, svg_downloads
from cnnviz_ui.state import entered_page
from cnnviz_ui.text import message_text

# Errors a student's input can cause; anything else is a bug and should not be dressed up as advice.
USER_ERRORS = (ValueError, FileNotFoundError)
# Readable from the back of a lecture hall: captions and plotly's labels in MUTED (7.6:1 on white, WCAG AA asks
# 4.5:1); a visible focus ring in the sidebar. Pictures shrink to a narrower column, and full screen fills the
# screen with square, sharp pixels. Nothing animates while a student waits (a browser without GPU compositing
# redraws the page at every frame, and thirty waiting pages share two cores; bench/load_test.py): an upload says
# "uploading…" beside a still ring, and what is recomputed dims in one step after 0.5 s instead of fading.
PAGE_CSS = f"""<style>
[data-testid="stCaptionContainer"] {{ color: {MUTED}; opacity: 1; }}
.stPlotlyChart :is(.xtick, .ytick, .g-xtitle, .g-x2title, .g-ytitle, .g-y2title, .cbaxis) text,
.stPlotlyChart :is(.gtitle, .legendtext, .legendtitletext, .cbtitle, .annotation-text) {{ fill: {MUTED} !important; }}
[data-testid="stImage"] img {{ max-width: 100%; height: auto; }}
[data-testid="stFullScreenFrame"] > div, [data-testid="stImage"], [data-testid="stImageContainer"] {{
  max-width: 100%; }}
:is([data-testid="stImage"], [data-testid="stImageContainer"]):has(img[style*="object-fit"]) {{ width: 100%; }}
[data-testid="stImage"] img[style*="object-fit"] {{ image-rendering: pixelated; }}
[data-testid="stFileChipIconSpinner"] {{ animation: none !important; }}
[data-stale="true"] {{ transition: opacity 0s linear 0.5s !important; }}
[data-testid="stFileChip"]:has([data-testid="stFileChipIconSpinner"]) [data-testid="stFileChipName"] + div::after {{
  content: " · uploading…"; }}
[data-testid="stSidebarNav"] a:focus-visible {{ outline: 2px solid {ACCENT}; outline-offset: 2px; }}
[data-testid="stWidgetLabelRequired"] {{ display: none; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 3rem; }}
img.cnnviz-zoom {{ cursor: zoom-in; }}
img.cnnviz-zoom:fullscreen {{ width: 100vw; height: 100vh; max-width: none; object-fit: contain;
  image-rendering: pixelated; background: #fff; cursor: zoom-out; }}
</style>"""
# Pictures inside HTML blocks (Classify's and Evaluate's cards) are not st.image, so Streamlit gives them no
# full-screen button: a click on one (class "cnnviz-zoom") shows it full screen, a second click or Esc leaves.
ZOOM_JS = """<script>
(() => {
  const root = window.parent && window.parent.document ? window.parent : window, doc = root.document;
  if (root.__cnnvizZoom) return;
  root.__cnnvizZoom = event => {
    const picture = event.target.closest && event.target.closest("img.cnnviz-zoom");
    if (!picture) return;
    if (doc.fullscreenElement) doc.exitFullscreen();
    else if (picture.requestFullscreen) picture.requestFullscreen();
  };
  doc.addEventListener("click", root.__cnnvizZoom);
})();
</script>"""
# The presentation switch keeps its label on one line and the title takes what is left of the row.
# A phone is never a projector: there the switch is hidden rather than stacked under the title.
TITLE_ROW_CSS = """<style>
@media (max-width: 639px) { .st-key-page_title_row [data-testid="stColumn"]:last-child { display: none; } }
@media (min-width: 640px) {
  .st-key-page_title_row [data-testid="stColumn"]:last-child { flex: 0 0 auto !important; width: auto !important; }
  .st-key-page_title_row [data-testid="stColumn"]:first-child { flex: 1 1 0 !important; min-width: 0; }
}
.st-key-page_title_row [data-testid="stWidgetLabel"] p { white-space: nowrap; }
</style>"""


def page_header(title: str, intro: str, icon: str = "🧠") -> bool:
    """set_page_config, title, the presentation-mode switch and a one-paragraph introduction (hidden when
    presenting); call first on every page. Returns whether the page is being presented."""
    use_app_navigation()
    st.set_page_config(page_title=f"{title} · cnnviz", page_icon=icon, layout="wide")
    st.html(PAGE_CSS)
    presenting = presentation_css()
    row = st.container(key="page_title_row")
    row.html(TITLE_ROW_CSS)
    heading, switch = row.columns([5, 1.3], vertical_alignment="center")
    heading.title(title)
    with switch:
        presentation_toggle()
    with explanation("intro"):
        st.markdown(intro)
    svg_downloads()
    page_script("cnnviz_zoom", ZOOM_JS)
    if presenting:  # the keys belong to the page's own widgets otherwise (a table's cells, a tab bar)
        keyboard_steps()
    entered_page(title)
    return presenting


@contextmanager
def friendly_errors(prefix: str = "") -> Iterator[None]:
    """Show a ValueError/FileNotFoundError raised inside the block as ``st.error`` and carry on.

    The rest of the page keeps rendering; nothing after the failing statement inside the block runs.
    """
    try:
        yield
    except USER_ERRORS as exc:
        st.error(f"{prefix}{message_text(exc)}")


def wrapping_columns(spec: int | list[float], key: str, min_px: int, **options: object) -> list:
    """``st.columns(spec, **options)`` that wrap onto more rows rather than get narrower than ``min_px``.

    Streamlit only stacks columns on a phone; on a projector at 150% zoom four figures were squeezed into
    120 px columns, where a plotly chart (never narrower than 150 px) covered its neighbour. Equal columns
    (an int ``spec``) become a grid of equal tracks, so a figure that wraps keeps its size; unequal ones wrap
    as they are (the wrapped one takes the row). The page order is kept: left to right, then down.
    """
    row = f".st-key-{key} > [data-testid='stLayoutWrapper'] > [data-testid='stHorizontalBlock']"
    if isinstance(spec, int):
        tracks = f"repeat(auto-fit, minmax({min_px}px, 1fr))"
        css = (
            f"{row} {{ display: grid !important; grid-template-columns: {tracks}; }}"
            f" {row} > [data-testid='stColumn'] {{ width: auto !important; min-width: 0; }}"
        )
    else:
        css = f"{row} {{ flex-wrap: wrap; }} {row} > [data-testid='stColumn'] {{ min-width: {min_px}px; }}"
    box = st.container(key=key)
    box.html(f"<style>{css}</style>")
    return box.columns(spec, **options)


def show_picture(column, figure, key: str, shape: tuple[int, int], config: dict | None = None) -> None:
    """Draw an image or heatmap figure in ``column`` as tall as its picture of ``shape`` (rows, columns) at the
    column's width, with no white band under it at any screen width (``plots.fitted_height_css``)."""
    box = column.container(key=f"{key}__box")
    box.html(fitted_height_css(f"st-key-{key}__box", f"st-key-{key}", figure, shape))
    title = figure.layout.title.text or key
    box.plotly_chart(slide_figure(figure), key=key, config=config or plotly_config(title), height="stretch")


@st.cache_data(max_entries=256, show_spinner=False)
def mosaic_png(key: str, layer: str, limit: float, columns: int, per_map: bool, _maps: np.ndarray) -> bytes:
    """``render.mosaic_rgb`` as PNG bytes, cached by the run's key and the layer: one layer's picture."""
    return encode_png(mosaic_rgb(_maps, limit, columns, per_map=per_map))


def show_layer(key: str, name: str, maps: np.ndarray, limit: float, per_map: bool, what: str = "maps") -> None:
    """Heading (name, shape, value range) and the layer's mosaic, one PNG (64 plotly figures would take seconds).

    ``what``: "maps" (a layer's output), "filters" (conv weights, one per output map), "slices" (one
    filter's weights, one 3x3 slice per input map) or "weight images" (a dense layer's weights as pictures).
    """
    count, h, w = maps.shape
    help_text = (
        f"Output shape ({count}, {h}, {w}): {count} feature maps (channels), each {h}×{w} values."
        if what == "maps"
        else f"Weights ({count}, {h}, {w}): {count} {what}, each {h}×{w} weights."
    )
    st.markdown(f"**{name}** · {count} {what} of {h}×{w} · values {maps.min():.2f} … {maps.max():.2f}", help=help_text)
    columns = 8 if count <= 64 else 16
    native = columns * (w + 1) - 1
    # Small maps (conv3 is 3x3) would be blown up to the column's width: cap them at 14 px per value.
    # PNG, never Streamlit's "auto": it re-encodes a PNG without alpha as a JPEG, which smears sharp pixels.
    st.image(
        mosaic_png(key, name, limit, columns, per_map, maps),
        width=min(MOSAIC_WIDTH, native * 14),
        output_format="PNG",
    )


def mosaic_legend(limit: float) -> None:
    """A one-line colour key for the mosaics."""
    st.markdown(
        f"<span style='background:rgb{BLUE};color:white;padding:1px 6px;border-radius:3px'>−{limit:.2f}</span>"
        f"<span style='background:rgb{WHITE};padding:1px 6px;border:1px solid #ddd'>0</span>"
        f"<span style='background:rgb{RED};color:white;padding:1px 6px;border-radius:3px'>+{limit:.2f}</span>"
        " &nbsp;colour key (negative blue, zero white, positive red; grey lines separate maps)",
        unsafe_allow_html=True,
    )
