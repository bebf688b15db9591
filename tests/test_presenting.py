"""Presentation mode (cnnviz_ui.presenting) in AppTest; the browser test is tests/e2e/test_presentation.py."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cnnviz_ui.presenting import KEYBOARD_JS, PRESENTATION_CSS

SCRIPT = """
import streamlit as st
from cnnviz_ui.presenting import explanation, figure_font_px, keyboard_steps, presentation_css, presentation_toggle

st.session_state["css"] = presentation_css()
st.session_state["toggle"] = presentation_toggle()
with explanation("why"):
    st.markdown("A long explanation of strides.")
st.session_state["font"] = figure_font_px(12)
keyboard_steps()
"""


def run(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def html_bodies(at: AppTest) -> list[str]:
    return [element.proto.body for element in at.get("html")]


def presenting(at: AppTest) -> bool:
    assert at.session_state["css"] == at.session_state["toggle"]
    return at.session_state["css"]


def test_off_by_default_with_normal_type_and_the_explanation_shown():
    at = run()
    assert not at.exception
    assert not presenting(at)
    assert PRESENTATION_CSS not in html_bodies(at)
    assert at.session_state["font"] == 14
    assert at.toggle(key="present").value is False
    assert "A long explanation of strides." in [m.value for m in at.markdown]
    assert "present" not in at.query_params


def test_present_1_in_the_url_turns_it_on():
    at = run({"present": "1"})
    assert presenting(at)
    assert PRESENTATION_CSS in html_bodies(at)
    assert at.toggle(key="present").value is True
    assert at.session_state["font"] == 18


def test_the_css_hides_the_sidebar_and_explanations_and_enlarges_type():
    assert '[data-testid="stSidebar"]' in PRESENTATION_CSS
    assert '[class*="st-key-explain_"] { display: none' in PRESENTATION_CSS
    assert "font-size: 22px" in PRESENTATION_CSS and "font-size: 18px" in PRESENTATION_CSS


def test_the_explanation_sits_in_a_container_the_css_hides():
    at = run({"present": "1"})
    (block,) = [b for b in at.main.children.values() if b.proto.id.endswith("-explain_why")]  # class st-key-explain_why
    assert [m.value for m in block.markdown] == ["A long explanation of strides."]


def test_the_toggle_turns_it_off_and_takes_present_out_of_the_url():
    at = run({"present": "1"})
    at.toggle(key="present").set_value(False).run()
    assert not presenting(at)
    assert "present" not in at.query_params
    assert PRESENTATION_CSS not in html_bodies(at)


def test_the_toggle_turns_it_on_and_writes_the_url():
    at = run()
    at.toggle(key="present").set_value(True).run()
    assert presenting(at)
    assert at.query_params["present"] == "1"


def test_it_lasts_when_a_page_link_drops_the_query_and_present_0_ends_it():
    at = run({"present": "1"})
    del at.query_params["present"]  # as after following a link in the page list
    at.run()
    assert presenting(at) and at.query_params["present"] == "1"
    at.query_params["present"] = "0"
    at.run()
    assert not presenting(at)


def test_a_wrong_present_value_changes_nothing():
    at = run({"present": "banana"})
    assert not at.exception and not presenting(at)


def test_the_keyboard_script_is_in_the_page_and_runs():
    at = run()
    scripts = [element.proto for element in at.get("html") if element.proto.body == KEYBOARD_JS]
    assert len(scripts) == 1 and scripts[0].unsafe_allow_javascript
    assert '{ArrowLeft: "prev", ArrowRight: "next", " ": "play"' in KEYBOARD_JS
    assert '[class*="st-key-step_${step}"] button' in KEYBOARD_JS
