"""cnnviz_ui.navigation: what it relies on in Streamlit still holds, and a page opened first gets app.py's navigation.

These fail the day Streamlit changes its legacy pages/ mode: then look again for a supported way (a config
option, or st.navigation governing from the first request) and drop the workaround.
"""

from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_flag():
    """Streamlit's global pages/ flag as on a fresh server, restored after the test."""
    saved = PagesManager.uses_pages_directory
    PagesManager.uses_pages_directory = None
    yield
    PagesManager.uses_pages_directory = saved


def test_a_fresh_server_with_a_pages_folder_starts_in_the_legacy_mode(fresh_flag):
    PagesManager(str(ROOT / "app.py"), setup_watcher=False)
    assert PagesManager.uses_pages_directory is True  # False one day: then the workaround can go


@pytest.fixture
def tiny_app(tmp_path, fresh_flag):
    """app.py with st.navigation and a pages/ folder whose page calls the workaround (or not)."""
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text(
        "import streamlit as st\n"
        "st.markdown('drawn by app.py')\n"
        "st.navigation([st.Page(lambda: None, title='Home', default=True), st.Page('pages/1_One.py')]).run()\n"
    )

    def page(with_workaround: bool) -> AppTest:
        call = "from cnnviz_ui.navigation import use_app_navigation\nuse_app_navigation()\n"
        (tmp_path / "pages" / "1_One.py").write_text(
            f"import streamlit as st\n{call if with_workaround else ''}st.markdown('page one')\n"
        )
        return AppTest.from_file(str(tmp_path / "app.py")).switch_page("pages/1_One.py")

    return page


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_without_the_workaround_a_page_opened_first_runs_without_app_py(tiny_app):
    at = tiny_app(with_workaround=False).run()
    assert not at.exception
    assert _texts(at) == ["page one"]  # the legacy mode: app.py (and its st.navigation) never ran


def test_with_the_workaround_a_page_opened_first_runs_inside_app_py(tiny_app):
    at = tiny_app(with_workaround=True).run()
    assert not at.exception
    assert _texts(at) == ["drawn by app.py", "page one"]
    assert PagesManager.uses_pages_directory is False
