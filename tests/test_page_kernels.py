"""The Kernels page through Streamlit's AppTest: every preset and builder renders; bad settings are explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.kernels import PRESETS

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "1_Kernels.py")


def run_page(**state) -> AppTest:
    """Run the page once with widget values set by key (on an MNIST digit unless told otherwise)."""
    app = AppTest.from_file(PAGE, default_timeout=60)
    state = {"kernels_source": "MNIST digit"} | state
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def errors(app: AppTest) -> str:
    assert not app.exception, [e.value for e in app.exception]
    return " ".join(e.value for e in app.error)


def test_default_page_shows_input_kernel_output_and_inspector():
    app = AppTest.from_file(PAGE, default_timeout=60).run()  # the camera photo, lecture edge filter
    assert_clean(app)
    assert len(app.get("plotly_chart")) == 6  # input | kernel | output, then window | kernel | products
    text = " ".join(m.value for m in app.markdown)
    assert "floor((512 - 3 + 2*1)/1) + 1 = 512" in text
    assert "Sum of the 9 products" in text


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_renders(name):
    assert_clean(run_page(kernels_preset=name))


@pytest.mark.parametrize(
    "state",
    [
        {"kernels_kind": "Gaussian", "kernels_gauss_size": 15, "kernels_gauss_sigma": 3.0},
        {"kernels_kind": "Box", "kernels_box_size": 4},
        {"kernels_kind": "Custom"},
        {"kernels_kind": "Custom", "kernels_custom_rows": 2, "kernels_custom_cols": 5, "kernels_normalise": True},
        {"kernels_colour": "Colour (per channel)", "kernels_source": "Sample photo", "kernels_photo": "chelsea"},
        {"kernels_source": "Test pattern", "kernels_pattern": "circle", "kernels_sobel": True},
        {"kernels_stride": 3, "kernels_padding": "full", "kernels_boundary": "wrap", "kernels_flip": False},
        {"kernels_padding": "number", "kernels_padding_px": 4, "kernels_view": "rescale"},
    ],
)
def test_builders_and_settings_render(state):
    assert_clean(run_page(**state))


def test_custom_kernel_shows_the_grid_editor():
    app = run_page(kernels_kind="Custom", kernels_custom_rows=4, kernels_custom_cols=4)
    assert_clean(app)
    assert "Sum of the 16 products" in " ".join(m.value for m in app.markdown)


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ({"kernels_stride": 0}, "stride must be at least 1"),
        ({"kernels_stride": -2}, "stride must be at least 1"),
        ({"kernels_padding": "number", "kernels_padding_px": -1}, "padding must be 0 or more"),
        ({"kernels_kind": "Box", "kernels_box_size": 0}, "at least 1"),
        ({"kernels_kind": "Custom", "kernels_custom_rows": 0}, "1 to 15 rows"),
        ({"kernels_kind": "Custom", "kernels_custom_cols": 16}, "1 to 15 rows"),
        ({"kernels_kind": "Box", "kernels_box_size": 29, "kernels_padding": "valid"}, "does not fit"),
        ({"kernels_colour": "Colour (per channel)", "kernels_source": "Sample photo", "kernels_photo": "astronaut",
          "kernels_view": "signed"},
         "signed colours need one channel"),
    ],
)  # fmt: skip
def test_invalid_settings_are_explained_not_raised(state, words):
    app = run_page(**state)
    assert words in errors(app)


def test_inspector_outside_the_output_shows_the_nearest_pixel():
    app = run_page()
    app.number_input(key="kernels_inspect_row").set_value(500).run()
    assert_clean(app)
    assert any("outside the 28 x 28 output" in w.value for w in app.warning)
    assert "row 27" in " ".join(m.value for m in app.markdown)


def test_page_keeps_working_after_an_error():
    app = run_page(kernels_stride=0)
    assert "stride" in errors(app)
    app.number_input(key="kernels_stride").set_value(2).run()
    assert_clean(app)
    assert "floor((28 - 3 + 2*1)/2) + 1 = 14" in " ".join(m.value for m in app.markdown)


def test_upload_limit_is_stated():
    app = run_page(kernels_source="Upload")
    assert_clean(app)
    assert any("20 MB" in c.value for c in app.caption)
    assert any("Choose a sample" in i.value for i in app.info)
