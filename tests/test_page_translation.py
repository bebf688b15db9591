"""Translation invariance page (AppTest): both models side by side, sliders, bad input explained."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from page_text import page_text
from streamlit.testing.v1 import AppTest

from cnnviz_ui.translation_invariance import CONV_COLOUR, DENSE_COLOUR, MAX_SHIFT, curve_legend, shift_curves

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "6_Translation_invariance.py")
ASSETS = Path(__file__).resolve().parent.parent / "assets"
pytestmark = pytest.mark.skipif(
    not (ASSETS / "mnist_convnet.pt").is_file() or not (ASSETS / "mnist_dense.pt").is_file(),
    reason="the shipped checkpoints are not in assets/",
)


@pytest.fixture(scope="module")
def app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    return at


def test_first_launch_compares_both_models(app):
    assert not app.exception and not app.error
    text = page_text(app)
    assert "**Shipped convnet**: says" in text and "**Shipped dense baseline**: says" in text
    assert "pool2 shifted by (0, 0)" in text


def test_shifting_moves_the_digit_and_updates_everything(app):
    app.slider(key="ti_dx").set_value(4).run()
    app.slider(key="ti_dy").set_value(-3).run()
    assert not app.exception and not app.error
    text = page_text(app)
    assert "shifted by dx=4, dy=-3" in text and "pool1 shifted by (4, -3)" in text
    app.slider(key="ti_dx").set_value(0).run()
    app.slider(key="ti_dy").set_value(0).run()


@pytest.mark.parametrize("index", [-1, 99999])
def test_an_index_out_of_range_is_explained(app, index):
    app.number_input(key="ti_index").set_value(index).run()
    assert not app.exception
    assert "between 0 and 9,999" in app.error[0].value
    app.number_input(key="ti_index").set_value(0).run()
    assert not app.error


def test_accuracy_over_many_digits(app):
    def legends() -> int:
        bodies = [h.proto.body for h in app.get("html")]
        return sum("Shipped convnet" in body and "Shipped dense baseline" in body for body in bodies)

    before = legends()
    app.toggle(key="ti_many").set_value(True).run()
    assert not app.exception and not app.error
    assert legends() == before + 1, "the accuracy chart says which curve is which network (browser QA: it did not)"
    app.toggle(key="ti_many").set_value(False).run()


def test_missing_checkpoints_are_reported_not_raised(tmp_path, monkeypatch):
    from cnnviz_ui import resources

    missing = {"Shipped convnet": tmp_path / "a.pt", "Shipped dense baseline": tmp_path / "b.pt"}
    monkeypatch.setattr(resources, "SHIPPED", missing)
    resources.shipped_model.clear()
    try:
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.run()
        assert not at.exception
        assert "make train-shipped" in " ".join(e.value for e in at.error)
    finally:
        resources.shipped_model.clear()


def test_an_upload_has_no_true_label_so_nothing_is_called_right():
    """An upload or a drawing has no label: the page follows the convnet's unshifted answer and says so."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    paper = Image.new("L", (300, 300), 235)
    ImageDraw.Draw(paper).text((150, 150), "3", fill=20, anchor="mm", font=ImageFont.load_default(size=220))
    data = io.BytesIO()
    paper.save(data, format="PNG")
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.radio(key="ti_source").set_value("Upload an image").run()
    at.file_uploader(key="ti_upload").upload("three.png", data.getvalue(), "image/png").run()
    assert not at.exception and not at.error
    text = page_text(at)
    assert "no true label" in text
    assert ":green[right]" not in text and ":red[wrong]" not in text
    assert re.search(r"\(.*\) :(green|red)\[(still|no longer) a \d\]", text)


def test_the_shift_curves_share_one_legend_that_wraps_and_escapes_names():
    """Plotly's legend under each ~150 px chart cut "Shipped dense baseline" off at 1024 px; one HTML line
    above both charts wraps like text. A model's name can be an uploaded file's name: it is escaped."""
    steps = np.arange(-2, 3)
    curves = {"<b>my</b> net": np.full(5, 0.9), "Shipped dense baseline": np.full(5, 0.1)}
    figure = shift_curves(steps, curves, 0, "dx", 7)
    assert [trace.showlegend for trace in figure.data] == [False, False]
    legend = curve_legend(list(curves))
    assert "&lt;b&gt;my&lt;/b&gt; net" in legend and "<b>my</b>" not in legend
    assert [trace.line.color for trace in figure.data] == [CONV_COLOUR, DENSE_COLOUR]
    assert legend.index(CONV_COLOUR) < legend.index("my") < legend.index(DENSE_COLOUR) < legend.index("Shipped")


def test_a_copy_of_a_model_under_another_name_is_named_in_every_chart():
    """A student who downloads the shipped convnet and uploads it back has the same weights under another
    name: the charts, cached by the weights' fingerprint, kept the first name's titles and legends (QA)."""
    import torch

    from cnnviz.checkpoints import load_checkpoint
    from cnnviz_ui.resources import SESSION_MODELS_KEY
    from cnnviz_ui.text import literal

    copy, meta = load_checkpoint(ASSETS / "mnist_convnet.pt")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[SESSION_MODELS_KEY] = {"My <b>copy</b>": (copy, {**meta, "dataset": "MNIST"})}
    at.run()  # draws, and caches, the charts of the shipped convnet
    at.selectbox(key="ti_conv").set_value("My <b>copy</b>").run()
    assert not at.exception and not at.error
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert len(specs) == 6  # two bar charts, two shift curves, two grids of every shift
    assert not [spec for spec in specs if "Shipped convnet" in spec]
    # Named as typed (plotly would draw <b> as bold): in both shift curves and its grid; its bar chart has its
    # name in the markdown over it, escaped, as in the verdicts.
    assert sum("My &lt;b&gt;copy&lt;/b&gt;" in str(json.loads(spec)) for spec in specs) == 3
    assert [m.value for m in at.markdown].count(f"**{literal('My <b>copy</b>')}**") == 1
    assert not [spec for spec in specs if "<b>copy" in str(json.loads(spec))]
    assert torch.equal(copy.conv1.weight, load_checkpoint(ASSETS / "mnist_convnet.pt")[0].conv1.weight)


def test_the_two_shift_grids_have_titles_of_the_same_height(app):
    """Titled "<model>: P(7) for every shift", the dense baseline's grid took three lines to the convnet's two
    and came out smaller (browser QA): the title is the model's name, the rest is said once above both."""
    titles = []
    for chart in app.get("plotly_chart"):
        if "ti_grid_" in chart.proto.id:
            layout = json.loads(chart.proto.spec)["layout"]
            titles.append(layout["annotations"][0]["text"])
    assert titles == ["Shipped convnet", "Shipped dense baseline"]
    assert any("Each cell is P(" in c.value for c in app.caption)


def test_a_link_opens_the_digit_the_shift_and_the_axis_it_names():
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in {"digit": "1", "dx": "3", "dy": "-2", "axis": "dy", "baseline": "Shipped convnet"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error
    assert (at.slider(key="ti_dx").value, at.slider(key="ti_dy").value) == (3, -2)
    assert at.radio(key="ti_axis").value == "dy" and at.number_input(key="ti_index").value == 1
    assert at.selectbox(key="ti_dense").value == "Shipped convnet"
    assert "test digit #1 (a 2), shifted by dx=3, dy=-2" in page_text(at)


def test_the_step_buttons_move_the_digit_along_the_chosen_axis_and_write_the_link():
    """← and → press the buttons in the step_prev_ / step_next_ containers (presenting.keyboard_steps)."""
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.button(key="ti_step_forth").click().run()
    at.button(key="ti_step_forth").click().run()
    assert at.slider(key="ti_dx").value == 2 and at.query_params["dx"] == "2"
    at.radio(key="ti_axis").set_value("dy").run()
    at.button(key="ti_step_back").click().run()
    assert (at.slider(key="ti_dx").value, at.slider(key="ti_dy").value) == (2, -1)
    assert "shifted by dx=2, dy=-1" in page_text(at)
    for _ in range(12):  # the edge of the frame: the button stops there
        if at.button(key="ti_step_back").disabled:
            break
        at.button(key="ti_step_back").click().run()
    assert at.slider(key="ti_dy").value == -MAX_SHIFT and not at.exception


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"dx": "11"}, "dx=11 was ignored: dx must be at most 10."),
        ({"digit": "-4"}, "digit=-4 was ignored: test digit must be at least 0."),
        ({"axis": "dz"}, "axis=dz was ignored: axis must be one of dx, dy."),
    ],
)
def test_a_wrong_value_in_a_link_gives_a_note(query, note):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error
    assert any(note in c.value for c in at.caption), [c.value for c in at.caption]
    assert at.slider(key="ti_dx").value == 0 and at.number_input(key="ti_index").value == 0


def test_presenting_draws_the_charts_numbers_at_18_px():
    def sizes(at: AppTest) -> set[int]:
        found = set()
        for chart in at.get("plotly_chart"):
            spec = json.loads(chart.proto.spec)
            found |= {trace["textfont"]["size"] for trace in spec["data"] if "textfont" in trace}
            found |= {spec["layout"][axis]["tickfont"]["size"] for axis in ("xaxis", "yaxis")}
        return found

    assert sizes(AppTest.from_file(PAGE, default_timeout=120).run()) == {14}
    presenting = AppTest.from_file(PAGE, default_timeout=120)
    presenting.query_params["present"] = "1"
    assert sizes(presenting.run()) == {18}


def test_play_steps_a_pixel_per_tick_and_stops_at_the_edge():
    """Play (the step_play_ti control, which Space presses) moves the digit one pixel per rerun of the view's
    clock; at the edge of the frame it stops by itself, and Play there starts again from the other edge."""
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.button_group(key="ti_play").set_value("play").run()  # pressing Play starts from where the digit is
    assert at.slider(key="ti_dx").value == 0 and at.button_group(key="ti_play").value == "play"
    for expected in (1, 2):
        at.session_state["_ti_play_last"] = 0.0  # a tick of the clock ago (AppTest has no browser clock)
        at.run()
        assert at.slider(key="ti_dx").value == expected and at.query_params["dx"] == str(expected)
    at.slider(key="ti_dx").set_value(MAX_SHIFT).run()
    at.session_state["_ti_play_last"] = 0.0
    at.run()
    assert at.button_group(key="ti_play").value is None and at.slider(key="ti_dx").value == MAX_SHIFT
    at.button_group(key="ti_play").set_value("play").run()
    assert at.slider(key="ti_dx").value == -MAX_SHIFT and not at.exception
