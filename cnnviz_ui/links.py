"""Links to a view, in the page: the URL's query restores the widgets, the widgets write the query.

A page declares its settings once (``cnnviz.view_links.LinkParam``) and calls, in this order::

    params = [LinkParam("kernel", str, "sobel_x", choices=KERNELS, key="k_kernel"), ...]
    restore_from_link("kernels", params)            # before the widgets are created
    kernel = st.selectbox("Kernel", KERNELS, key="k_kernel")  # keyed widgets, no value=/index=
    ...
    write_link({"kernel": kernel, ...}, params)     # after every setting is known
    copy_link_button({"kernel": kernel, ...}, params)

The rules themselves (what is valid, what is written) live in ``cnnviz.view_links``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from cnnviz.view_links import LinkParam, is_secure_origin, link_query, read_link, view_url
from cnnviz_ui.text import literal

PRESENT = "present"  # presentation mode's key in the URL: the app's, not any page's setting
CAMERA_FALLBACK = "On a phone, **Upload a photo** opens the camera."
_SEEN = "_link_seen__"  # + page key: the page's part of the query as last read or written
_NOTES = "_link_notes__"  # + page key: notes of the last restore, shown until a setting changes
_RESTORED = "_link_restored__"  # + page key: the values the last restore put into the widgets
_PAGE = "_link_page"  # the page of the previous run: another one means a new visit


def _page_query(params: Sequence[LinkParam]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The page's own part of the URL's query, every value of a repeated key, in a comparable form."""
    return tuple((p.name, tuple(st.query_params.get_all(p.name))) for p in params if p.name in st.query_params)


def restore_from_link(page_key: str, params: Sequence[LinkParam], show_notes: bool = True) -> list[str]:
    """Put the link's settings into the widgets' session state; call before the widgets are created.

    Acts on the first run of a visit to the page (a fresh browser opening a link is one) and whenever the
    page's part of the query changed since it was last read or written; on other runs it leaves the widgets
    alone, so a student's changes stand. A value the link holds wrongly (``stride=0``, a unit the layer does
    not have) is not used: the widget keeps its default and a short note says why.

    Widgets restored this way must be keyed with ``LinkParam.key`` and be created without ``value=`` /
    ``index=`` (Streamlit would warn that the value was set twice); give their defaults through
    ``st.session_state.setdefault(key, default)`` instead.

    Args:
        page_key: a name for the page, unique in the app ("kernels").
        params: the page's settings.
        show_notes: draw the notes as a caption here, until the student changes a setting (which needs
            ``write_link(..., page_key=page_key)``).

    Returns:
        The notes, one sentence per ignored value (empty when the link was fine).
    """
    query = _page_query(params)
    new_visit = st.session_state.get(_PAGE) != page_key
    st.session_state[_PAGE] = page_key
    if new_visit or st.session_state.get(_SEEN + page_key) != query:
        values, notes = read_link({name: list(texts) for name, texts in query}, params)
        for param in params:
            if param.name in values:
                st.session_state[param.widget_key] = values[param.name]
        st.session_state[_SEEN + page_key] = query
        st.session_state[_NOTES + page_key] = notes
        st.session_state[_RESTORED + page_key] = None  # write_link notes the settings the page then shows
    else:
        # A widget changed since: its new value is in the session state before the widgets are drawn.
        shown = st.session_state.get(_RESTORED + page_key) or {}
        if any(st.session_state.get(key) != value for key, value in shown.items()):
            st.session_state[_NOTES + page_key] = []
    notes = st.session_state.get(_NOTES + page_key, [])
    if show_notes and notes:
        st.caption(" ".join(literal(note) for note in notes))
    return list(notes)


def write_link(
    values: Mapping[str, object], params: Sequence[LinkParam], page_key: str | None = None
) -> dict[str, str]:
    """Set the URL's query to the page's current settings; call on every run once they are known.

    Only keys whose text changes are touched (each write is a message to the browser), keys of other pages
    are removed when this page's ``params`` do not name them, and ``present`` (presentation mode) is kept.
    Settings equal to their defaults are left out, so an untouched page has a bare address.

    Args:
        values: name -> current value (``LinkParam.name``, not the widget key).
        params: the page's settings.
        page_key: the page's key given to ``restore_from_link``; when given, the next run is not taken for a
            new link, and the restore's notes are dropped once a setting differs from what this run showed.

    Returns:
        The query written (without ``present``).
    """
    wanted = link_query(values, params)
    for name in [name for name in st.query_params if name != PRESENT and name not in wanted]:
        del st.query_params[name]
    for name, text in wanted.items():
        if st.query_params.get_all(name) != [text]:
            st.query_params[name] = text
    if page_key is not None:
        st.session_state[_SEEN + page_key] = _page_query(params)
        if st.session_state.get(_RESTORED + page_key, {}) is None:  # the first run after a restore
            shown = {p.widget_key: values[p.name] for p in params if p.name in values}
            st.session_state[_RESTORED + page_key] = shown
    return wanted


def link_to_view(values: Mapping[str, object], params: Sequence[LinkParam], keep_present: bool = False) -> str:
    """The full address of this view: the page's address in the browser with the settings' query.

    ``st.context.url`` is the address without its query (Streamlit 1.67); before the browser has said it
    (tests without a browser), the link is relative ("?kernel=blur"). Presentation mode is left out unless
    ``keep_present``: a lecturer shares the view, not the projector's layout.
    """
    query = link_query(values, params)
    if keep_present and st.query_params.get(PRESENT):
        query[PRESENT] = st.query_params[PRESENT]
    return view_url(st.context.url or "", query)


def copy_link_button(
    values: Mapping[str, object],
    params: Sequence[LinkParam],
    label: str = "Copy link to this view",
    keep_present: bool = False,
) -> str:
    """A "Copy link to this view" popover: the link in a code box, whose copy button copies it.

    A popover, not a clipboard script: the clipboard needs a secure context, which a phone on the hall's
    http address is not, and a link shown can also be read out or typed. Returns the link.
    """
    url = link_to_view(values, params, keep_present)
    with st.popover(label, icon=":material/link:"):
        st.code(url, language=None, wrap_lines=True)
        st.caption("Anyone who opens it sees these settings. Uploaded pictures and drawings are not in the link.")
    return url


def camera_available() -> bool:
    """Whether the browser can offer a camera here: https, or the app opened on this machine.

    Unknown (no browser yet, as in AppTest) counts as available: the browser asks for permission itself.
    When False, hide the camera choice and show ``CAMERA_FALLBACK``.
    """
    url = st.context.url
    return url is None or is_secure_origin(url)
