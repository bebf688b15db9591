"""The one place cnnviz touches Streamlit's internals: app.py's navigation from a fresh server's first request.

Streamlit starts in its legacy "pages/ folder" mode whenever a ``pages/`` folder sits next to app.py, and
leaves it only once some session has run ``st.navigation`` (documented: "As soon as any session of your app
executes the st.navigation command, your app will ignore the pages/ directory"). A fresh server whose first
request is a page's URL (/Kernels) would run that page alone, with the legacy sidebar ("app" instead of
"Home", no icons). No config option changes this (see docs/decisions), so every page header calls
``use_app_navigation``; tests/test_navigation.py fails the day Streamlit changes what it relies on.
"""

from __future__ import annotations

import streamlit as st


def use_app_navigation() -> None:
    """Leave the legacy pages/ mode and rerun, so app.py's ``st.navigation`` draws this page and the sidebar.

    A no-op once any session has run app.py (Streamlit's flag is global), and in a Streamlit without that mode.
    The URL paths are the same in both modes, so the rerun lands on the page that was asked for.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
