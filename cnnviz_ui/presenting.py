"""Presentation mode: the page as a lecturer projects it, and arrow keys that step the sliding windows.

``?present=1`` in the URL or the "Presentation mode" toggle turns it on; it then lasts for the session
(every page) until the toggle or ``?present=0`` turns it off. A page calls, near its top::

    presentation_css()                  # hides the sidebar, enlarges type, when presenting
    with explanation("why_stride"):     # long text: hidden when presenting
        st.markdown(LONG_TEXT)
    fig = figure(..., font_px=figure_font_px(14))
    keyboard_steps()                    # once; ← → and Space click step_prev / step_next / step_play

and the page header draws ``presentation_toggle()`` somewhere visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cnnviz import slides

PRESENT = "present"  # the URL's key and the toggle's widget key
_STATE = "_presenting"  # the mode itself, kept apart from the toggle (whose state Streamlit drops off-page)
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
BODY_PX, CAPTION_PX = 22, 18

# Streamlit 1.67's own test ids. The sidebar and its open/close buttons go; the header (the toolbar's
# row) is hidden and the ~6rem above the title removed, so the figure rises into view.
PRESENTATION_CSS = f"""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarCollapseButton"], [data-testid="stHeader"] {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ padding-top: 1rem !important; max-width: 100% !important; }}
[data-testid="stMain"] :is([data-testid="stMarkdownContainer"], [data-testid="stWidgetLabel"]) :is(p, li, td, th) {{
  font-size: {BODY_PX}px !important; line-height: 1.4; }}
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] :is(p, li) {{ font-size: {CAPTION_PX}px !important; }}
[data-testid="stMain"] h1 {{ font-size: 2.4rem !important; padding-top: 0 !important; }}
[class*="st-key-explain_"] {{ display: none !important; }}
[data-testid="stMain"] :is(input, textarea, [data-baseweb="select"] div, [data-testid="stMarkdownContainer"] code) {{
  font-size: {CAPTION_PX + 2}px !important; }}
[data-testid="stMain"] :is([data-baseweb="checkbox"], [data-testid="stCheckbox"]) :is(p, span) {{
  font-size: {BODY_PX}px !important; }}
</style>"""


def presentation_mode() -> bool:
    """Whether the page is being presented: ``?present=1`` (or 0) in the URL, else the session's last choice.

    While on, it keeps ``present=1`` in the URL (page links drop the query), so a reload stays presenting.
    """
    said = (st.query_params.get(PRESENT) or "").strip().lower()
    if said in _TRUE:
        st.session_state[_STATE] = True
    elif said in _FALSE:
        st.session_state[_STATE] = False
    presenting = bool(st.session_state.get(_STATE, False))
    if presenting and said not in _TRUE:
        st.query_params[PRESENT] = "1"
    return presenting


def _toggled() -> None:
    st.session_state[_STATE] = bool(st.session_state[PRESENT])
    if st.session_state[_STATE]:
        st.query_params[PRESENT] = "1"
    elif PRESENT in st.query_params:
        del st.query_params[PRESENT]


def presentation_toggle(label: str = "Presentation mode") -> bool:
    """The switch for presentation mode (widget key ``present``); returns whether the page is presented."""
    st.session_state[PRESENT] = presentation_mode()  # before the widget: the URL or another page may have set it
    st.toggle(
        label,
        key=PRESENT,
        on_change=_toggled,
        help="Hides the sidebar and long explanations and enlarges the type, for a projector. "
        "Arrow keys and Space step and play the sliding windows. Also `?present=1` in the address.",
    )
    return bool(st.session_state.get(_STATE, False))


def presentation_css() -> bool:
    """When presenting, draw ``PRESENTATION_CSS``; returns whether presenting. Call once per run, near the top."""
    presenting = presentation_mode()
    if presenting:
        st.html(PRESENTATION_CSS)
    return presenting


@contextmanager
def explanation(name: str) -> Iterator[DeltaGenerator]:
    """A container for a long explanation (``st.container(key="explain_<name>")``), hidden when presenting.

    Python runs the body either way, so the text is still built; the container is hidden by
    ``PRESENTATION_CSS`` and a screen reader skips it too (``display: none``). ``name`` is unique per page.
    """
    with st.container(key=f"explain_{name}") as box:
        yield box


def figure_font_px(base: int = slides.FIGURE_MIN_PX) -> int:
    """The font size (px) a figure builder should use for numbers drawn at ``base`` px (see ``slides``)."""
    return slides.figure_font_px(base, presentation_mode())


# Runs in the page itself (st.html with JavaScript is not in an iframe). It installs one keydown listener on
# the page, replacing an earlier one, and reaches the sliding-window diagrams, which are same-origin
# iframes, by postMessage (``window_diagram.html`` listens).
KEYBOARD_JS = """<script>
(() => {
  const root = window.parent && window.parent.document ? window.parent : window, doc = root.document;
  const STEPS = {ArrowLeft: "prev", ArrowRight: "next", " ": "play", Spacebar: "play"};
  const typing = t => t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)
    || (t.closest && t.closest('[role="slider"], [role="listbox"], [role="combobox"], [role="spinbutton"], '
      + '[role="grid"], [role="tablist"], [role="tab"], [data-testid="stDataFrame"]')));
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
    && r.bottom > 0 && r.top < root.innerHeight; };
  if (root.__cnnvizSteps) doc.removeEventListener("keydown", root.__cnnvizSteps, true);
  root.__cnnvizSteps = event => {
    const step = STEPS[event.key];
    if (!step || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target)) return;
    // Space on a focused button or link presses it already.
    if (step === "play" && event.target.closest && event.target.closest("button, a, [role=button]")) return;
    const button = [...doc.querySelectorAll(`[class*="st-key-step_${step}"] button`)].find(seen);
    const diagrams = [...doc.querySelectorAll("iframe")].filter(seen);
    if (!button && !diagrams.length) return;
    event.preventDefault();  // Space would scroll the page, arrows too
    if (button) button.click();
    for (const frame of diagrams) frame.contentWindow.postMessage({cnnvizStep: step}, "*");
  };
  doc.addEventListener("keydown", root.__cnnvizSteps, true);
})();
</script>"""


def keyboard_steps() -> None:
    """← / → / Space click the buttons in containers keyed ``step_prev…`` / ``step_next…`` / ``step_play…``
    (the first in view) and step / play every sliding-window diagram in view. Keys typed into a text box,
    number box, select box or slider are left alone. Call once per run; it draws nothing visible.
    """
    page_script("cnnviz_keyboard", KEYBOARD_JS)


def page_script(key: str, script: str) -> None:
    """Run ``script`` (a ``<script>`` element) in the page itself, from a container keyed ``key`` that takes no
    room: the container and its wrapper are hidden (a zero-height block still takes a 1rem gap in the column)."""
    with st.container(key=key):
        st.html(script, unsafe_allow_javascript=True)
    st.html(f"<style>.st-key-{key}, :has(> .st-key-{key}) {{ display: none; }}</style>")
