"""Page set-up and error display shared by every page."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import streamlit as st

from cnnviz_ui.navigation import use_app_navigation
from cnnviz_ui.plots import ACCENT, MUTED, fitted_height_css

# Errors a student's input can cause; anything else is a bug and should not be dressed up as advice.
USER_ERRORS = (ValueError, FileNotFoundError)
UPLOAD_LIMIT_MB = 20  # keep in step with .streamlit/config.toml [server] maxUploadSize
# When set (bench/load_test.py sets it for its server), pages append how long their work took to this file.
TIMING_LOG = os.environ.get("CNNVIZ_TIMING_LOG")
_TIMING_LOCK = threading.Lock()
# What Streamlit's markdown reads as markup anywhere in a line (emphasis, code, links, HTML, entities, tables,
# strikethrough, LaTeX's $ and the ":red[…]" directives), and at a line's start only (a heading, a quote, a list).
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>|~&$]|:(?=[\w/]))")  # a colon only where a directive name follows
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_LINE_START_MARKUP = re.compile(r"^(\s*(?:\d+)?)([#>+\-=.)])")


# Readable from the back of a lecture hall: Streamlit draws captions at 60% opacity (3.9:1 on white) and
# plotly's tick labels and titles in a light grey (3.7:1); WCAG AA asks 4.5:1. Much of the teaching is in
# captions (MUTED is 7.6:1). A keyboard user also gets a visible focus ring in the sidebar. A picture given
# a width in pixels (st.image) shrinks to a narrower column instead of spilling into the next one; so do
# the boxes around it, one of which sometimes kept a width measured before the column had its own (QA: the
# 210 px saliency picture reached 66 px into the next column at 1024 px, not on every load). Opened full
# screen (the only time Streamlit gives a picture "object-fit"), a picture fills the screen with its pixels
# square and sharp: Streamlit kept a picture given a width at that width, a 210 px digit on a projector.
# Nothing animates while a student waits, because a browser without GPU compositing draws the page again
# at every frame of an animation, and in the lecture-hall load test thirty waiting pages share two cores:
# - an upload's chip says "uploading…" beside a still ring instead of Streamlit's spinning one. The thirty
#   spinners cost about a quarter of the browsers' CPU (bench/load_test.py, CPU per prediction 0.32-0.35 s
#   with them, 0.20-0.26 s without; a page whose upload takes 5 s: 0.78 s with, 0.36 s without);
# - what is being recomputed (``data-stale``) dims in one step after 0.5 s instead of fading over the next
#   second (a page waiting 3 s for its script: 0.41 s of CPU with the fade, 0.33 s without). A quick rerun
#   still does not flicker. Classify dims nothing and labels its answer "Working on it…" (``cards.WORKING_CSS``).
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
</style>"""


def page_header(title: str, intro: str, icon: str = "🧠") -> None:
    """set_page_config, title and a one-paragraph introduction; call first on every page."""
    use_app_navigation()
    st.set_page_config(page_title=f"{title} · cnnviz", page_icon=icon, layout="wide")
    st.html(PAGE_CSS)
    st.title(title)
    st.markdown(intro)
    if st.session_state.get(_LAST_PAGE) != title:  # another page: every drawing canvas was taken down
        for key in st.session_state.get(_CANVASES, ()):
            renew_canvas(key)
        st.session_state[_LAST_PAGE] = title


@contextmanager
def friendly_errors(prefix: str = "") -> Iterator[None]:
    """Show a ValueError/FileNotFoundError raised inside the block as ``st.error`` and carry on.

    The rest of the page keeps rendering; nothing after the failing statement inside the block runs.
    """
    try:
        yield
    except USER_ERRORS as exc:
        st.error(f"{prefix}{message_text(exc)}")


def lasting_data_editor(frame: object, key: str, **options: object) -> object:
    """``st.data_editor`` whose edits survive a visit to another page.

    Streamlit forgets a widget's state when it is not drawn in a run (another page, another tab of
    choices), and ``data_editor`` has no ``persist_state``. So the last edited table is kept under
    ``<key>__kept`` and becomes the editor's starting table whenever the editor is created afresh;
    while the editor lives its starting table stays the same (``<key>__base``), as its edits are
    recorded against it.
    """
    base, kept = f"{key}__base", f"{key}__kept"
    if key not in st.session_state:  # first drawn, or drawn again after its state was dropped
        st.session_state[base] = st.session_state.get(kept, frame)
    edited = st.data_editor(st.session_state[base], key=key, **options)
    st.session_state[kept] = edited
    return edited


def lasting_args(key: str, fits: Callable[[object], bool], default: object, value: str = "value") -> dict:
    """Keyword arguments for a control whose range depends on the model or the layer (a map slider, a layer
    picker), so that the student's last choice comes back after a visit to another page when it still fits.

    ``persist_state`` cannot do it: a kept value outside the control's new range raises. Here the value
    the control shows is kept under ``<key>__kept`` (on every run it lives, and ``on_change``), and on
    every run the control is given it through ``st.session_state`` when ``fits(kept)``, and no default
    (``value``, or ``index`` for a selectbox, which Streamlit would otherwise report as set twice);
    otherwise its state is dropped and it starts at ``default``.

    Always through the session state, because a value held only by the control is not always the value
    the browser shows: after a run that ended in ``st.stop()`` (Feature maps with the dense baseline) the
    hidden control keeps its old value in Streamlit, but a browser that draws it again shows the default,
    so the slider said map 17 while the figures drew map 21 (QA). A value set through the session state
    is sent to the browser. Use: ``st.slider(label, 0, n - 1, **lasting_args(key, lambda v: v < n, default))``.

    A selectbox (``value="index"``) is also ``required``: given ``index=None`` Streamlit offers to clear it,
    and a cleared layer picker said "Choose an option" over the figures of the layer still drawn (QA). The
    "(required)" Streamlit writes beside its label is hidden (``PAGE_CSS``): there is nothing to fill in.
    """
    kept = f"{key}__kept"
    if key in st.session_state:  # what the control computes with is the choice (also one left unchanged
        st.session_state[kept] = st.session_state[key]  # while another control moved, e.g. the map)
    restored = kept in st.session_state and fits(st.session_state[kept])
    if restored:
        st.session_state[key] = st.session_state[kept]
    else:
        st.session_state.pop(key, None)
    arguments = {"key": key, value: None if restored else default, "on_change": keep_choice, "args": (key,)}
    return {**arguments, "required": True} if value == "index" else arguments


def keep_choice(key: str) -> None:
    """``on_change`` callback: copy control ``key``'s value to ``<key>__kept``, which outlives the control."""
    st.session_state[f"{key}__kept"] = st.session_state[key]


_CANVASES, _LAST_PAGE = "lasting_canvases", "last_page"  # session keys: the canvas keys drawn, the last page


def renew_canvas(key: str) -> None:
    """Start the canvas ``key`` with a new widget key the next time it is drawn (its kept drawing comes back).

    For when the canvas has been taken down in the browser: Streamlit drops an unseen widget's state only
    at the end of a run that completes, not of one ended by ``st.stop()``, and a stale state would give
    the drawing's old pixels next to an empty box. Called on a page change and when a digit source
    picker changes (``on_change``).
    """
    st.session_state[f"{key}__generation"] = st.session_state.get(f"{key}__generation", 0) + 1


def lasting_canvas(key: str, **options: object) -> np.ndarray | None:
    """A drawing canvas whose drawing survives a visit to another page: uint8 RGBA pixels, None while empty.

    ``options`` go to ``st_canvas`` (size, colours, mode). Like ``lasting_data_editor``: Streamlit drops
    the canvas's state when it is not drawn, so the last drawing (Fabric.js JSON and pixels) is kept
    under ``<key>__kept`` and is the canvas's ``initial_drawing`` whenever it is created afresh; while
    the canvas lives, that starting drawing stays the same (``<key>__base``: a changed one would redraw
    it). The browser sends a restored drawing's pixels only after the next stroke, so until then the
    kept pixels stand in for it. The canvas's own bin goes back to its starting drawing, which after a
    restore is not an empty box, so a "Clear" button below starts a new canvas (a new widget key).
    """
    from streamlit_drawable_canvas import st_canvas  # a components-v2 widget: it needs a running Streamlit

    base, kept = f"{key}__base", f"{key}__kept"
    st.session_state.setdefault(_CANVASES, set()).add(key)
    widget = f"{key}_{st.session_state.get(f'{key}__generation', 0)}"
    if widget not in st.session_state:  # first drawn, drawn again after its state was dropped, or cleared
        st.session_state[base] = st.session_state.get(kept)
    start = st.session_state[base]  # (drawing JSON, pixels) or None
    st.markdown("<div style='height:2.2rem'></div>", unsafe_allow_html=True)  # the toolbar is drawn over this
    with st.container(key=f"{key}__box"):
        st.html(_canvas_fit_css(f"st-key-{key}__box", f"st-key-{widget}", int(options.get("width", 600))))
        canvas = st_canvas(
            initial_drawing=None if start is None else start[0], return_image_data=True, key=widget, **options
        )
    objects = (canvas.json_data or {}).get("objects") or []
    pixels = canvas.image_data
    if pixels is None and start is not None and objects == start[0].get("objects"):
        pixels = start[1]  # the restored drawing, not sent back by the browser yet
    drawn = pixels is not None and bool(objects)
    if drawn:
        st.session_state[kept] = (canvas.json_data, np.asarray(pixels))
    elif canvas.json_data is not None and not objects:
        st.session_state[kept] = None  # emptied with undo: nothing to bring back

    def clear() -> None:
        renew_canvas(key)
        st.session_state[kept] = None

    st.button("Clear", key=f"{key}__clear", on_click=clear, disabled=not objects, help="Empty the box and start again")
    if start is not None and objects:
        st.caption(
            "Your drawing from before is back. The bin above the box (point at the box to see it) goes back "
            "to it; **Clear** empties it."
        )
    return st.session_state[kept][1] if drawn else None


def _canvas_fit_css(box: str, canvas: str, width: int) -> str:
    """CSS that zooms the canvas (class ``canvas``, ``width`` px) out in 5% steps to fit its box (class ``box``).

    The canvas has a fixed size in pixels; in a narrow column (a 1024 px projector with the sidebar open)
    it was cut off. A container query on its box picks the largest step that fits; the drawing library
    maps the pointer through the zoom (tested by drawing in Chromium at 1024 px).
    """
    rules = [f".{box} {{ container-type: inline-size; }}"]
    for zoom in np.arange(0.95, 0.54, -0.05):
        rules.append(
            f"@container (max-width: {width * (zoom + 0.05) - 0.01:.2f}px) {{ .{box} .{canvas} "
            f"{{ zoom: {zoom:.2f}; }} }}"
        )
    return "<style>" + "\n".join(rules) + "</style>"


def wrapping_columns(spec: int | list[float], key: str, min_px: int, **options: object) -> list:
    """``st.columns(spec, **options)`` that wrap onto more rows rather than get narrower than ``min_px``.

    Streamlit only stacks columns on a phone; a 1280 x 720 projector at 150% browser zoom (853 px with the
    sidebar open) squeezed four figures into 120 px columns, where a plotly chart (never narrower than
    150 px) covered its neighbour and ran off the screen. Equal columns (an int ``spec``) become a grid of
    equal tracks, so a figure that wraps keeps its size; unequal ones wrap as they are (the wrapped one
    takes the row). The page order is kept: left to right, then down.
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
    box.plotly_chart(figure, key=key, config=config or {"displayModeBar": False}, height="stretch")


def a_digit(digit: int) -> str:
    """ "a 7", but "an 8" (and "an 11", "an 18" for class numbers beyond the digits)."""
    return f"an {digit}" if str(digit).startswith("8") or digit in (11, 18) else f"a {digit}"


def class_name(index: int, names: Sequence[str] | None = None) -> str:
    """A class as the student knows it: the digit itself (``names`` None, MNIST), or its name (a piece of clothing)."""
    return str(index) if names is None else names[index]


def test_item(names: Sequence[str] | None = None) -> str:
    """What one test image is called: "digit" (``names`` None, MNIST), else "image" (a photo of clothes)."""
    return "digit" if names is None else "image"


def a_class(index: int, names: Sequence[str] | None = None) -> str:
    """A class in a sentence: "a 7" (``a_digit``), or its name, "Sneaker"."""
    return a_digit(index) if names is None else names[index]


def literal(text: str) -> str:
    """``text`` as it was typed, for a name the user chose inside Streamlit markdown (an alert, a caption, a
    button label): each markup character is backslash-escaped, so an upload called ``$a^2$_*b*.png`` is
    shown as that, not as maths and italics. Only what is markup where it stands is escaped, so the page's
    own names ("test digit #3 (a 4)") read the same in the markdown as on the page. The HTML cards escape with
    ``html.escape`` instead."""
    text = _INLINE_MARKUP.sub(r"\\\1", " ".join(text.splitlines()))
    return _LINE_START_MARKUP.sub(r"\1\\\2", text)


def message_text(message: object) -> str:
    """An error's message (an exception, or its text) for Streamlit markdown: its `code` spans (a command to
    run) stay code, the rest is ``literal``, because it can quote what the student typed (padding "$x$" →
    "… got '$x$'")."""
    parts = _CODE_SPAN.split(str(message))
    return "".join(part if _CODE_SPAN.fullmatch(part) else literal(part) for part in parts)


def percent(p: float) -> str:
    """A probability for people: never "100.0%" for a softmax that is merely very sure."""
    return ">99.9%" if 0.999 <= p < 1 else "<0.1%" if 0 < p < 0.0005 else f"{p:.1%}"


def log_time(what: str, started: float) -> None:
    """Append "<start> <seconds> <what>" (wall clock since ``started = time.time()``) to $CNNVIZ_TIMING_LOG.

    A no-op unless the variable is set: the load test uses it to tell the server's share of a prediction's
    time from the browsers'.
    """
    if not TIMING_LOG:
        return
    line = f"{started:.4f} {time.time() - started:.4f} {what}\n"
    with _TIMING_LOCK, open(TIMING_LOG, "a", encoding="utf-8") as log:
        log.write(line)
