"""Links in the page (cnnviz_ui.links), driven by Streamlit's AppTest on a tiny page with four settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

SCRIPT = """
import streamlit as st
from cnnviz.view_links import LinkParam
from cnnviz_ui.links import copy_link_button, restore_from_link, write_link, camera_available, CAMERA_FALLBACK

KERNELS = ["sobel_x", "sobel_y", "blur"]
PARAMS = [
    LinkParam("kernel", str, "sobel_x", choices=tuple(KERNELS), key="t_kernel"),
    LinkParam("stride", int, 1, low=1, high=8, key="t_stride"),
    LinkParam("gain", float, 1.0, low=-5.0, high=5.0, key="t_gain"),
    LinkParam("rotate", bool, False, key="t_rotate"),
]
st.session_state["notes"] = restore_from_link("tiny", PARAMS)
for p in PARAMS:
    st.session_state.setdefault(p.widget_key, p.default)
kernel = st.selectbox("Kernel", KERNELS, key="t_kernel")
stride = st.number_input("Stride", 1, 8, step=1, key="t_stride")
gain = st.slider("Gain", -5.0, 5.0, step=0.5, key="t_gain")
rotate = st.toggle("Rotate 180°", key="t_rotate")
values = {"kernel": kernel, "stride": stride, "gain": gain, "rotate": rotate}
write_link(values, PARAMS, page_key="tiny")
st.session_state["url"] = copy_link_button(values, PARAMS)
st.session_state["camera"] = camera_available()
"""


def run(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def query_of(at: AppTest) -> dict[str, str]:
    return {key: at.query_params[key] for key in at.query_params}


def notes_shown(at: AppTest) -> list[str]:
    return [caption.value for caption in at.caption if "The link" in caption.value]


def widgets(at: AppTest) -> tuple[object, ...]:
    return at.selectbox[0].value, at.number_input[0].value, at.slider[0].value, at.toggle[0].value


def test_a_link_sets_the_widgets_before_they_are_drawn():
    at = run({"kernel": "blur", "stride": "3", "gain": "-2.5", "rotate": "1"})
    assert not at.exception
    assert widgets(at) == ("blur", 3, -2.5, True)
    assert at.session_state["notes"] == []
    assert not notes_shown(at)  # no note for a good link
    assert not at.warning  # no "value set twice" warning from Streamlit


def test_the_query_is_kept_as_the_link_had_it():
    at = run({"kernel": "blur", "stride": "3"})
    assert query_of(at) == {"kernel": "blur", "stride": "3"}


def test_a_bare_address_opens_the_defaults_and_stays_bare():
    at = run()
    assert widgets(at) == ("sobel_x", 1, 1.0, False)
    assert query_of(at) == {}
    assert at.session_state["url"] == ""  # no browser: a relative link with no query


def test_a_widget_change_is_written_to_the_url_and_not_undone_by_the_old_link():
    at = run({"kernel": "blur"})
    at.number_input[0].set_value(4).run()
    at.toggle[0].set_value(True).run()
    assert query_of(at) == {"kernel": "blur", "stride": "4", "rotate": "1"}
    assert widgets(at) == ("blur", 4, 1.0, True)
    at.selectbox[0].set_value("sobel_x").run()  # back to the default: the key leaves the URL
    assert query_of(at) == {"stride": "4", "rotate": "1"}
    assert at.session_state["url"] == "?stride=4&rotate=1"


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"stride": "0"}, "stride=0 was ignored: stride must be at least 1."),
        ({"kernel": "gauss"}, "kernel=gauss was ignored: kernel must be one of sobel\\_x, sobel\\_y, blur."),
        ({"gain": "abc"}, "gain=abc was ignored: gain must be a number."),
        ({"rotate": "2"}, "rotate=2 was ignored: rotate is on or off (1 or 0)."),
    ],
)
def test_a_wrong_value_gives_a_note_and_the_default(query, note):
    at = run({**query, "kernel": "blur"} if "kernel" not in query else query)
    assert not at.exception
    assert len(at.session_state["notes"]) == 1
    assert note in notes_shown(at)[0]
    name = next(iter(query))
    defaults = {"kernel": "sobel_x", "stride": 1, "gain": 1.0, "rotate": False}
    assert dict(zip(defaults, widgets(at), strict=True))[name] == defaults[name]
    assert name not in query_of(at)  # the wrong value leaves the URL


def test_the_note_stays_until_a_setting_changes():
    at = run({"stride": "0"})
    at.run()
    assert "stride=0" in notes_shown(at)[0]
    at.slider[0].set_value(2.0).run()
    assert not notes_shown(at)


def test_present_is_kept_and_strangers_are_removed():
    at = run({"present": "1", "kernel": "blur", "utm_source": "mail"})
    assert query_of(at) == {"present": "1", "kernel": "blur"}
    assert "present" not in at.session_state["url"]  # the shared link is the view, not the projector's layout


def test_without_a_browser_the_camera_is_not_hidden():
    assert run().session_state["camera"] is True


def test_camera_available_follows_the_browsers_address(monkeypatch):
    import streamlit as st

    from cnnviz_ui import links

    for url, expected in [("http://10.0.0.5:8501/Classify", False), ("https://10.0.0.5:8501/Classify", True)]:
        monkeypatch.setattr(type(st.context), "url", property(lambda self, url=url: url))
        assert links.camera_available() is expected
    assert "Upload a photo" in links.CAMERA_FALLBACK


def test_a_new_query_in_the_same_session_is_read_again():
    at = run({"kernel": "blur"})
    at.number_input[0].set_value(5).run()
    at.query_params["kernel"] = "sobel_y"  # e.g. a link opened in the same tab
    at.query_params["stride"] = "2"
    at.run()
    assert widgets(at)[:2] == ("sobel_y", 2)
