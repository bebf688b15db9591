"""Session state that outlives a visit to another page: kept choices, tables and drawings.

Streamlit forgets a widget's state when the widget is not drawn in a run (another page, another tab), and
``persist_state`` cannot keep a value that may no longer fit the widget's range. These helpers keep the last
value under ``<key>__kept`` and hand it back when the widget is drawn afresh.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

_CANVASES, _LAST_PAGE = "lasting_canvases", "last_page"  # session keys: the canvas keys drawn, the last page


def lasting_data_editor(frame: object, key: str, **options: object) -> object:
    """``st.data_editor`` whose edits survive a visit to another page.

    ``data_editor`` has no ``persist_state``. So the last edited table is kept under ``<key>__kept`` and
    becomes the editor's starting table whenever the editor is created afresh; while the editor lives its
    starting table stays the same (``<key>__base``), as its edits are recorded against it.
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

    The value the control shows is kept under ``<key>__kept`` (on every run it lives, and ``on_change``), and
    on every run the control is given it through ``st.session_state`` when ``fits(kept)``, and no default
    (``value``, or ``index`` for a selectbox, which Streamlit would otherwise report as set twice); otherwise
    its state is dropped and it starts at ``default``. Always through the session state, because only a value
    set there is sent to the browser (after a run ended by ``st.stop()`` a hidden control keeps its old value
    in Streamlit while the browser shows the default).

    A selectbox (``value="index"``) is also ``required``: given ``index=None`` Streamlit would offer to clear it.
    The "(required)" beside its label is hidden (``layout.PAGE_CSS``). Use:
    ``st.slider(label, 0, n - 1, **lasting_args(key, lambda v: v < n, default))``.
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


def entered_page(title: str) -> None:
    """Note the page now drawn; on a page change every drawing canvas was taken down, so each starts anew."""
    if st.session_state.get(_LAST_PAGE) != title:
        for key in st.session_state.get(_CANVASES, ()):
            renew_canvas(key)
        st.session_state[_LAST_PAGE] = title


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

    ``options`` go to ``st_canvas`` (size, colours, mode). Like ``lasting_data_editor``: the last drawing
    (Fabric.js JSON and pixels) is kept under ``<key>__kept`` and is the canvas's ``initial_drawing`` whenever
    it is created afresh; while the canvas lives, that starting drawing stays the same (``<key>__base``: a
    changed one would redraw it). The browser sends a restored drawing's pixels only after the next stroke, so
    until then the kept pixels stand in for it. The canvas's own bin goes back to its starting drawing, which
    after a restore is not an empty box, so a "Clear" button below starts a new canvas (a new widget key).
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

    The canvas has a fixed size in pixels and was cut off in a narrow column; a container query on its box
    picks the largest step that fits, and the drawing library maps the pointer through the zoom.
    """
    rules = [f".{box} {{ container-type: inline-size; }}"]
    for zoom in np.arange(0.95, 0.54, -0.05):
        rules.append(
            f"@container (max-width: {width * (zoom + 0.05) - 0.01:.2f}px) {{ .{box} .{canvas} "
            f"{{ zoom: {zoom:.2f}; }} }}"
        )
    return "<style>" + "\n".join(rules) + "</style>"
