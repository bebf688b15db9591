"""The Kernels page through Streamlit's AppTest: every preset and builder renders; bad settings are explained."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
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
    ],
)
def test_invalid_settings_are_explained_not_raised(state, words):
    app = run_page(**state)
    assert words in errors(app)
    assert len(app.error) == 1, [e.value for e in app.error]  # said once, not once per place that noticed


def test_signed_colours_on_a_colour_output_fall_back_to_magnitudes_and_keep_the_pictures():
    """Blue-white-red needs one channel. The error it raised took the input, the kernel and the output off the
    page (browser QA); now the output is drawn as |x| per channel and a warning says why and what to change."""
    app = run_page(
        kernels_colour="Colour (per channel)",
        kernels_source="Sample photo",
        kernels_photo="astronaut",
        kernels_preset="Vertical edge (lecture)",
        kernels_view="signed",
    )
    assert_clean(app)
    assert "Signed colours need one channel: shown as |x| in each colour" in app.warning[0].value
    charts = {c.proto.id.split("-")[-1] for c in app.get("plotly_chart")}
    assert any("kernels_input_plot" in c for c in charts) and any("kernels_output_plot" in c for c in charts), charts


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


def test_a_click_moves_the_inspector_and_a_repeated_click_does_not_override_typing():
    app = run_page()
    app.session_state["kernels_inspect_click"] = {"x": 45, "y": 255, "width": 280, "height": 280, "unix_time": 1}
    # (the picture of the 28 x 28 output as a browser shown 280 px wide would report it)
    app.run()
    assert_clean(app)
    assert "Output pixel (row 25, column 4)" in " ".join(m.value for m in app.markdown)
    app.number_input(key="kernels_inspect_row").set_value(3).run()  # typing wins over the old click
    assert "Output pixel (row 3, column 4)" in " ".join(m.value for m in app.markdown)


@pytest.mark.parametrize(
    "click",
    [
        {"x": "left", "y": 3, "width": 280, "height": 280, "unix_time": 2},
        {"x": float("nan"), "y": 3, "width": 280, "height": 280, "unix_time": 3},
        {"y": 3, "unix_time": 4},
        "not a click",
    ],
)
def test_a_malformed_click_leaves_the_inspected_pixel_alone(click):
    app = run_page()
    app.session_state["kernels_inspect_click"] = click
    app.run()
    assert_clean(app)
    assert "Output pixel (row 14, column 14)" in " ".join(m.value for m in app.markdown)  # still the centre


@pytest.mark.parametrize(
    ("state", "said"),
    [({"kernels_flip": True}, True), ({}, False), ({"kernels_flip": True, "kernels_kind": "Box"}, False)],
)
def test_an_asymmetric_kernel_is_said_to_be_turned_round_by_convolution(state, said):
    """The page starts with cross-correlation (issue 26): only convolution turns the kernel round."""
    app = run_page(**state)
    assert_clean(app)
    text = " ".join(c.value for c in app.caption)
    assert ("Convolution turns it 180°" in text) is said


def test_automatic_view_says_what_it_chose():
    """A signed colour output cannot be blue-white-red per channel; "Automatic" then shows |x| and now says so
    (it did silently). A greyscale photo processed "in colour" is said to have one channel."""
    colour = run_page(
        kernels_colour="Colour (per channel)",
        kernels_source="Sample photo",
        kernels_photo="astronaut",
        kernels_preset="Vertical edge (lecture)",
    )
    assert_clean(colour)
    assert any("shown as: Absolute value |x|" in c.value for c in colour.caption)
    grey = run_page(kernels_preset="Vertical edge (lecture)")
    assert any("shown as: Signed" in c.value for c in grey.caption)
    flat = run_page(kernels_colour="Colour (per channel)", kernels_source="Sample photo", kernels_photo="camera")
    assert any("no colour: its one channel" in c.value for c in flat.caption)  # the picker is in the page now


@pytest.mark.parametrize(
    ("preset", "shown"),
    [("Sharpen", "Clipped to 0-255"), ("Box blur 3x3", "Clipped to 0-255"), ("Vertical edge (lecture)", "Signed")],
)
def test_automatic_shows_a_sharpened_photo_as_a_photo_and_edges_in_signed_colours(preset, shown):
    """Sharpen's weights add up to 1: its output is a photo with a few negative pixels at strong edges, which
    "Automatic" drew as a pink signed-colour map (browser QA). Weights adding up to 0 give an edge map."""
    kernel = PRESETS[preset]
    app = run_page(kernels_source="Sample photo", kernels_photo="camera", kernels_preset=preset)
    assert_clean(app)
    caption = next(c.value for c in app.caption if "Output values from" in c.value)
    low = float(caption.split("Output values from ")[1].split(" to ")[0])
    assert (low < 0) == (preset != "Box blur 3x3")  # sharpen and the edge kernel both go negative on the photo
    assert abs(kernel.sum() - 1) < 1e-9 if shown.startswith("Clipped") else abs(kernel.sum()) < 1e-9
    assert f"shown as: {shown}" in caption


@pytest.mark.parametrize(
    ("padding", "formula", "size"),
    [("same", "W_out = ceil(W / S)", "28"), ("valid", "F - 1 smaller", "26"), ("full", "P = F - 1", "30")],
)
def test_the_padding_box_is_short_and_the_note_under_it_says_what_the_choice_does(padding, formula, size):
    """The box's labels are short (a 1024 px column cut "same: W_out = ceil(W / S)" off); the note says it."""
    app = run_page(kernels_padding=padding)
    assert_clean(app)
    box = app.selectbox(key="kernels_padding")
    assert all(len(option) <= 16 for option in box.options), box.options
    assert any(formula in caption.value for caption in app.caption), [c.value for c in app.caption]
    assert f"= {size}`" in " ".join(m.value for m in app.markdown)  # the 28 x 28 digit's output size


def test_the_caption_says_when_values_lie_beyond_the_colour_bar():
    """The camera photo's edge output runs from -638 to 644 while its bar stops at about +-358 (the 99.5th
    percentile): the caption must say so, or bar and caption contradict each other (QA)."""
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert_clean(app)
    caption = next(c.value for c in app.caption if c.value.startswith("Output values from"))
    low, high = (float(v) for v in re.search(r"Output values from (\S+) to (\S+?) ·", caption).groups())
    limit = float(re.search(r"the colour bar covers (\S+) to (\S+) \(99.5% of the values\)", caption)[2])
    assert 0 < limit < max(-low, high)


@pytest.mark.parametrize(
    ("values", "view", "said"),
    [
        ([0.0, 5.0, 10.0], "clip", ""),  # 0-255 holds them all
        ([0.0, 500.0, 1000.0], "clip", "covers 0 to 255;"),
        ([-212.7, 0.0, 214.7], "clip", "covers 0 to 255;"),  # the negatives are cut to black
        ([-212.7, 0.0, 214.7], "absolute", ""),  # every |x| is under 255 (QA: it said otherwise)
        ([-638.0, 0.0, 644.0], "absolute", "covers |x| from 0 to 255;"),
        ([-638.0, 0.0, 644.0], "rescale", ""),  # min → black, max → white: nothing lies beyond
    ],
)
def test_the_colour_bar_note_follows_what_each_view_draws(values, view, said):
    """Oracle: to_uint8 itself. The note is given exactly when some pixel is drawn at the bar's end colour
    although its value lies beyond it (a clipped pixel), and a rescaled bar runs from the minimum to the maximum."""
    from cnnviz.images import to_uint8
    from cnnviz_ui.kernels import output_picture, saturation_note

    output = np.array([values])
    pixels, colorbar = output_picture(output, view)
    note = saturation_note(output, view, colorbar)
    assert (said in note) if said else note == "", note
    shown = np.abs(output) if view == "absolute" else output
    clipped = (shown < colorbar[0]) | (shown > colorbar[1])
    assert bool(note) == bool(clipped.any())
    assert np.array_equal(pixels, to_uint8(output, view))
    if view == "rescale":
        assert colorbar[:2] == (min(values), max(values))


# --- issue 26 and issue 25 point 4 -------------------------------------------------------------------------


def test_the_page_starts_with_cross_correlation_what_a_cnn_computes():
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    assert_clean(app)
    assert app.toggle(key="kernels_flip").value is False
    weights = next(c for c in app.get("plotly_chart") if "kernels_inspect_weights" in c.proto.id)
    assert "rotated" not in weights.proto.spec  # the kernel as applied is the kernel as written


def _figure(app: AppTest, key: str) -> dict:
    chart = next(c for c in app.get("plotly_chart") if key in c.proto.id)
    return json.loads(chart.proto.spec)


def _array(value) -> np.ndarray:
    """A plotly array as the browser gets it: a list, or numpy's bytes in base64 ({"dtype", "bdata", "shape"})."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")] if shape else -1).astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def _inspector_numbers(app: AppTest, name: str = "window") -> np.ndarray:
    return _array(_figure(app, f"kernels_inspect_{name}")["data"][0]["z"])


def _hover_layer(app: AppTest) -> dict:
    return next(t for t in _figure(app, "kernels_output_plot")["data"] if t["type"] == "heatmap")


def test_the_inspector_window_holds_the_integers_of_a_greyscale_picture():
    """A colour photo processed as greyscale showed 155.84 in the window: it holds Pillow's "L" integers now."""
    from PIL import Image

    from cnnviz.images import sample_photo

    app = run_page(kernels_source="Sample photo", kernels_photo="astronaut")
    assert_clean(app)
    window = _inspector_numbers(app)
    assert np.array_equal(window, np.round(window)), window
    grey = np.asarray(Image.fromarray(sample_photo("astronaut")).convert("L"))
    np.testing.assert_array_equal(window, grey[255:258, 255:258])  # the centre pixel (256, 256)'s 3 x 3 window


def test_the_output_figure_says_its_value_on_hover():
    from cnnviz.filtering import apply_kernel
    from cnnviz_ui.picker import _test_pixels

    app = run_page()
    assert_clean(app)
    hover = _hover_layer(app)
    assert "value %{z" in hover["hovertemplate"] and "row %{customdata[0]}" in hover["hovertemplate"]
    digit, _ = _test_pixels("MNIST", 0)
    expected = apply_kernel(digit, PRESETS["Vertical edge (lecture)"], boundary="symmetric", flip=False)
    np.testing.assert_allclose(_array(hover["z"]), expected, atol=1e-3)  # every pixel of a small output


@pytest.mark.parametrize(
    ("query", "widgets", "text"),
    [
        (
            {"image": "MNIST digit", "digit": "7", "kernel": "Gaussian", "size": "7", "sigma": "1.5", "stride": "2"},
            {"kernels_source": "MNIST digit", "kernels_digit": 7, "kernels_gauss_size": 7, "kernels_stride": 2},
            "floor((28 - 7 + 2*3)/2) + 1 = 14",
        ),
        (
            {"preset": "Sobel y", "conv": "1", "padding": "valid", "boundary": "wrap", "view": "rescale"},
            {"kernels_preset": "Sobel y", "kernels_flip": True, "kernels_padding": "valid", "kernels_view": "rescale"},
            "floor((512 - 3 + 2*0)/1) + 1 = 510",
        ),
        (
            {"image": "Test pattern", "pattern": "circle", "kernel": "Custom", "custom": "1,2;3,4;5,6", "row": "3"},
            {"kernels_custom_rows": 3, "kernels_custom_cols": 2, "kernels_inspect_row": 3},
            "Sum of the 6 products",
        ),
    ],
)
def test_a_link_sets_the_widgets(query, widgets, text):
    app = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    assert_clean(app)
    for key, value in widgets.items():
        assert app.session_state[key] == value, key
    assert text in " ".join(m.value for m in app.markdown)
    assert not any("was ignored" in c.value for c in app.caption)


def test_a_custom_kernel_from_a_link_is_the_kernel_applied():
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params["kernel"] = "Custom"
    app.query_params["custom"] = "0,0,0;0,2,0;0,0,0"
    app.query_params["image"] = "MNIST digit"
    app.run()
    assert_clean(app)
    np.testing.assert_array_equal(_inspector_numbers(app, "weights"), [[0, 0, 0], [0, 2, 0], [0, 0, 0]])


@pytest.mark.parametrize(
    ("name", "value", "note"),
    [
        ("stride", "0", "stride must be at least 1"),
        ("preset", "Blurry", "preset must be one of"),
        ("image", "Upload", "image source must be one of"),
        ("sigma", "abc", "Gaussian sigma must be a number"),
        ("conv", "maybe", "convolution is on or off"),
        ("digit", "10000", "MNIST test image must be at most 9999"),
    ],
)
def test_a_wrong_value_in_a_link_gets_a_note_and_the_default(name, value, note):
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params[name] = value
    app.run()
    assert_clean(app)
    captions = " ".join(c.value for c in app.caption)
    assert f"The link's {name}=" in captions and note in captions, captions
    assert "Sum of the 9 products" in " ".join(m.value for m in app.markdown)  # the page still works


def test_a_broken_custom_kernel_in_a_link_gets_a_note():
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.query_params["kernel"] = "Custom"
    app.query_params["custom"] = "1,2;3"
    app.run()
    assert not app.exception
    assert any("custom kernel was ignored: every row" in c.value for c in app.caption)


def test_the_page_writes_its_settings_to_the_link():
    app = run_page(kernels_preset="Sobel x", kernels_stride=2, kernels_flip=True)
    assert_clean(app)
    assert app.query_params["preset"] == ["Sobel x"] or app.query_params["preset"] == "Sobel x"
    written = {k: (v if isinstance(v, str) else v[-1]) for k, v in app.query_params.items()}
    assert written["stride"] == "2" and written["conv"] == "1" and written["image"] == "MNIST digit"
    assert "photo" not in written and "size" not in written  # only what this view uses


def test_the_conv_layer_mode_is_one_map_equal_to_torch_conv2d():
    """Issue 25 point 4: one kernel slice per R, G, B, summed (+ bias) into ONE output map, beside per-channel
    filtering, which keeps three. Oracle: torch.nn.functional.conv2d on the photo."""
    import torch
    import torch.nn.functional as F

    from cnnviz.colour_filtering import CHANNEL_MIXES
    from cnnviz.images import sample_photo

    app = run_page(
        kernels_source="Sample photo",
        kernels_photo="coffee",
        kernels_colour="Colour (conv layer)",
        kernels_mix="Red minus green",
        kernels_bias=10.0,
        kernels_padding="number",
        kernels_padding_px=1,
        kernels_boundary="zero",
        kernels_stride=4,
    )
    assert_clean(app)
    photo = sample_photo("coffee").astype(np.float64)
    kernel = PRESETS["Vertical edge (lecture)"]
    weights = np.stack([w * kernel for w in CHANNEL_MIXES["Red minus green"]])[None]  # (1, 3, 3, 3)
    x = torch.from_numpy(photo.transpose(2, 0, 1)[None].copy())
    expected = F.conv2d(x, torch.from_numpy(weights), torch.tensor([10.0], dtype=torch.float64), stride=4, padding=1)
    expected = expected[0, 0].numpy()
    figure = _figure(app, "kernels_output_plot")
    assert f"Output · {expected.shape[0]} x {expected.shape[1]}" in figure["layout"]["annotations"][0]["text"]
    hover = _hover_layer(app)
    rows, cols = (_array(c).astype(int) for c in np.moveaxis(_array(hover["customdata"]), -1, 0))
    rows, cols = rows[:, 0], cols[0]
    np.testing.assert_allclose(_array(hover["z"]), expected[np.ix_(rows, cols)], rtol=1e-5, atol=1e-2)
    markdown = " ".join(m.value for m in app.markdown)
    assert "(red + green + blue) + 10 (bias)" in markdown
    row, col = app.session_state["kernels_inspect_row"], app.session_state["kernels_inspect_col"]
    total = float(re.search(r"\(bias\) = (\S+?)\*\*", markdown)[1])
    assert total == pytest.approx(expected[row, col], rel=1e-3)
    per_channel = run_page(kernels_source="Sample photo", kernels_photo="coffee", kernels_colour="Colour (per channel)")
    assert_clean(per_channel)
    assert "(bias)" not in " ".join(m.value for m in per_channel.markdown)  # three maps, no sum
