"""Conv arithmetic page with Streamlit's AppTest: calculator, diagram, presets, builder, receptive field, errors."""

import json
from pathlib import Path

import pytest
from page_text import page_text
from streamlit.testing.v1 import AppTest

from cnnviz.architectures import PRESETS

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "2_Conv_arithmetic.py")


@pytest.fixture(scope="module")
def first_run() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def _fresh() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def _iframes(at: AppTest) -> list:
    return [e for e in at.get("iframe")]


def test_renders_lecture_defaults(first_run):
    at = first_run
    assert not at.exception and not at.error
    assert at.subheader[0].value == "Output: 26 x 26 x 32"
    text = page_text(at)
    assert "(3·3·1 + 1)·32 = 320" in text
    assert "floor((28 − 3 + 2·0) / 1) + 1 = floor(25 / 1) + 1 = 26" in text
    assert "Total params: 93,322" in text
    assert "uses a 12 x 12 input" in text  # 28 x 28 is drawn on a smaller input
    assert len(_iframes(at)) == 1  # the sliding-window diagram


def test_diagram_data_reflects_the_layer():
    at = _fresh()
    at.number_input(key="ar_conv_h").set_value(7.0)
    at.number_input(key="ar_conv_w").set_value(5.0)
    at.number_input(key="ar_conv_s").set_value(2.0)
    at.text_input(key="ar_conv_p").set_value("same")
    at.number_input(key="ar_conv_d").set_value(2.0)
    at.run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "Output: 4 x 3 x 32"
    html = _iframes(at)[0].proto.srcdoc
    assert '"H": 7, "W": 5' in html and '"dilation": 2' in html and '"outH": 4, "outW": 3' in html


def test_same_with_a_stride_says_pytorch_refuses_it_and_how_to_pad_instead():
    import re

    import torch
    from torch import nn

    at = _fresh()
    for key, value in (("ar_conv_h", 7.0), ("ar_conv_w", 5.0), ("ar_conv_s", 2.0), ("ar_conv_d", 2.0)):
        at.number_input(key=key).set_value(value)
    at.text_input(key="ar_conv_p").set_value("same").run()
    note = next(i.value for i in at.info if "refuses" in i.value)
    with pytest.raises(ValueError):  # torch is the oracle: the note is right that PyTorch refuses it
        nn.Conv2d(1, 1, 3, stride=2, padding="same", dilation=2)
    pads = tuple(int(n) for n in re.search(r"ZeroPad2d\(\((\d+), (\d+), (\d+), (\d+)\)\)", note).groups())
    out = nn.Conv2d(1, 1, 3, stride=2, dilation=2)(nn.ZeroPad2d(pads)(torch.zeros(1, 1, 7, 5)))
    assert at.subheader[0].value == f"Output: {out.shape[2]} x {out.shape[3]} x 32"  # the explicit padding agrees
    at.number_input(key="ar_conv_s").set_value(1.0).run()
    assert not any("refuses" in i.value for i in at.info)  # stride 1: PyTorch's own "same" does this


def test_stride_leftover_warning():
    at = _fresh()
    for key, value in (("ar_conv_h", 7.0), ("ar_conv_w", 7.0), ("ar_conv_s", 3.0)):
        at.number_input(key=key).set_value(value)
    at.run()
    assert at.subheader[0].value == "Output: 2 x 2 x 32"
    assert "leaves the last 1 row and the last 1 column of the input unused" in at.warning[0].value
    assert "stride 1 or 2, or padding 1" in at.warning[0].value


@pytest.mark.parametrize(("stride", "skipped"), [(5, 2), (7, 4)])
def test_a_stride_longer_than_the_kernel_says_pixels_are_skipped_between_windows(stride, skipped):
    """28 x 28, kernel 3: stride 5 or 7 jumps over pixels between every two windows. The note used to speak only
    of the last rows (stride 7) or say nothing (stride 5), and advised "stride 1 or 5", which skips too."""
    at = _fresh()
    at.number_input(key="ar_conv_s").set_value(float(stride)).run()
    windows = (28 - 3) // stride + 1
    read = windows * 3  # rows that some window covers
    assert 28 - read >= (windows - 1) * skipped  # the oracle: the gaps alone leave this many rows unread
    note = " ".join(w.value for w in at.warning)
    assert f"{skipped} of every {stride} rows and columns are never read" in note
    assert "stride 3 or less" in note and "stride 1 or 5" not in note


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("ar_conv_s", 0.0, "stride must be at least 1, got 0"),
        ("ar_conv_k", 0.0, "kernel size must be at least 1, got 0"),
        ("ar_conv_k", 2.5, "kernel size must be a whole number, got 2.5"),
        ("ar_conv_k", 40.0, "larger than the padded input"),
        ("ar_conv_h", -3.0, "input size must be at least 1, got -3"),
        ("ar_conv_d", 0.0, "dilation must be at least 1, got 0"),
        ("ar_conv_cin", 0.0, "input channels must be at least 1"),
        ("ar_conv_cout", -1.0, "filters must be at least 1"),
        ("ar_conv_p", "-1", "padding must be at least 0, got -1"),
        ("ar_conv_p", "full", "'full' padding is not a PyTorch layer setting: it is P = F - 1"),
    ],
)
def test_invalid_entries_show_an_error(key, value, message):
    at = _fresh()
    widget = at.text_input(key=key) if key == "ar_conv_p" else at.number_input(key=key)
    widget.set_value(value).run()
    assert not at.exception
    assert at.error and message in at.error[0].value
    assert "Total params: 93,322" in page_text(at)  # the rest of the page keeps working


def test_astronomical_sizes_are_refused_not_computed():
    """1e20 with a stride that leaves pixels unread used to hang the server (the stride advice looked for
    divisors up to sqrt(1e20)); in the builder it crashed torch (a Linear layer of 1e27 inputs)."""
    at = _fresh()
    at.number_input(key="ar_conv_s").set_value(3.0)
    at.number_input(key="ar_conv_h").set_value(1e20).run(timeout=10)
    assert not at.exception
    assert any("input size must be at most 1,000,000,000, got 1e+20" in e.value for e in at.error)
    at.number_input(key="ar_conv_h").set_value(999_999_997.0).run(timeout=10)  # the largest allowed: still quick
    assert not at.exception and any("unused" in w.value for w in at.warning)
    for key in ("ar_b_h", "ar_b_w", "ar_b_c"):
        at.number_input(key=key).set_value(1e9)
    at.run(timeout=10)
    assert not at.exception
    assert any("more than any computer holds" in e.value for e in at.error), [e.value for e in at.error]


def test_huge_input_is_instant_and_not_drawn_full_size():
    at = _fresh()
    at.number_input(key="ar_conv_h").set_value(10_000.0)
    at.number_input(key="ar_conv_w").set_value(10_000.0).run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "Output: 9,998 x 9,998 x 32"
    assert "Your 10,000 x 10,000 input is too big to draw" in page_text(at)


@pytest.mark.parametrize(
    ("size", "kernel", "dilation", "padding", "why"),
    [
        (28, 3, 1, "8", "the padding alone adds 16 cells (8 + 8)"),  # it said "this kernel alone is larger"
        (28, 3, 1, "1000000000", "the padding alone adds 2,000,000,000 cells (1,000,000,000 + 1,000,000,000)"),
        (40, 17, 1, "0", "the kernel alone spans 17 cells"),
        (40, 3, 8, "0", "the kernel alone spans 17 cells (dilation 8)"),
    ],
)
def test_a_layer_too_big_to_draw_says_what_is_too_big(size, kernel, dilation, padding, why):
    at = _fresh()
    at.number_input(key="ar_conv_h").set_value(float(size))
    at.number_input(key="ar_conv_w").set_value(float(size))
    at.number_input(key="ar_conv_k").set_value(float(kernel))
    at.number_input(key="ar_conv_d").set_value(float(dilation))
    at.text_input(key="ar_conv_p").set_value(padding).run()
    assert not at.exception and not at.error
    note = next(i.value for i in at.info if "The diagram is drawn for inputs up to 16 x 16 cells" in i.value)
    assert f"padding included; {why}. The numbers above hold at any size." in note


def test_a_kernel_wider_than_twelve_cells_on_a_big_input_is_drawn_at_its_own_width():
    at = _fresh()
    at.number_input(key="ar_conv_h").set_value(100.0)
    at.number_input(key="ar_conv_w").set_value(100.0)
    at.number_input(key="ar_conv_k").set_value(13.0).run()  # no padding: a 12 x 12 input cannot hold it
    assert not at.exception and not at.error
    assert "the diagram uses a 13 x 13 input" in page_text(at)
    assert not any("The diagram is drawn for inputs up to" in i.value for i in at.info)


def test_pooling_mode_shows_the_lecture_example():
    at = _fresh()
    at.session_state["ar_mode"] = "Max pooling"
    at.run()
    assert not at.exception and not at.error
    assert at.subheader[0].value == "Output: 2 x 2 x 1"
    html = _iframes(at)[0].proto.srcdoc
    assert '"outValues": [[6, 8], [3, 4]]' in html
    assert '"winners": [[[1, 1], [1, 3]], [[2, 0], [3, 3]]]' in html
    assert "each channel on its own" in page_text(at) and "F x F x C_in" not in page_text(at)


def test_pooling_padding_rule():
    at = _fresh()
    at.session_state["ar_mode"] = "Max pooling"
    at.run()
    at.text_input(key="ar_pool_p").set_value("2").run()
    assert at.error and "at most half the window" in at.error[0].value


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_table_renders(name):
    at = _fresh()
    at.selectbox(key="ar_preset").set_value(name).run()
    assert not at.exception
    assert f"Total params: {PRESETS[name].expected_total:,}" in page_text(at)
    assert at.table  # the summary table


def test_lecture_table_rows():
    at = _fresh()
    table = at.table[0].value
    assert list(table["Output shape (H, W, C)"]) == [
        "(26, 26, 32)",
        "(13, 13, 32)",
        "(11, 11, 64)",
        "(5, 5, 64)",
        "(3, 3, 64)",
        "(576)",
        "(64)",
        "(10)",
    ]
    assert list(table["Param #"]) == ["320", "0", "18,496", "0", "36,928", "0", "36,928", "650"]
    assert list(table["Receptive field"])[:5] == ["3 x 3", "4 x 4", "8 x 8", "10 x 10", "18 x 18"]


def test_builder_marks_first_invalid_layer():
    at = _fresh()
    at.selectbox(key="ar_build_start").set_value("Too deep for 28x28 (goes invalid)").run()
    assert not at.exception
    assert any(
        "Row 7 (conv) goes invalid" in e.value and "larger than the padded input (1 px)" in e.value for e in at.error
    )


def test_a_first_row_that_is_already_invalid_shows_no_empty_table():
    at = _fresh()
    tables = len(at.table)
    at.number_input(key="ar_b_h").set_value(2.0).run()  # 2 rows of input: conv1's 3 x 3 window does not fit
    assert not at.exception
    error = next(e.value for e in at.error if "Row 1 (conv) goes invalid" in e.value)
    assert error.endswith("Nothing to summarise before it.")
    assert len(at.table) == tables - 1  # the builder's summary is left out, not drawn "empty" (browser QA)


def test_builder_invalid_input_size():
    at = _fresh()
    at.number_input(key="ar_b_h").set_value(0.0).run()
    assert not at.exception
    assert any("image height must be at least 1, got 0" in e.value for e in at.error)


@pytest.mark.parametrize("name", list(PRESETS))
def test_receptive_field_tab_for_each_preset(name):
    at = _fresh()
    at.selectbox(key="ar_rf_preset").set_value(name).run()
    assert not at.exception
    text = page_text(at)
    if name == "dense":
        assert "every dense unit sees the whole input" in text
    else:
        assert "receptive field" in text and "Backprop" in text


def test_receptive_field_of_lecture_conv3():
    at = _fresh()
    assert "**conv3** unit (1, 1): receptive field **18 x 18**, jump 4" in page_text(at)
    assert "exactly these **324** pixels" in page_text(at)


def test_the_receptive_field_picture_has_its_legend_above_it_and_the_inputs_shape():
    """Plotly's legend beside the picture covered it on a phone and left it a small square (browser QA): the
    windows are named in a line above, and the plot gets the 28 x 28 input's shape (``show_picture``)."""
    from cnnviz_ui.plots import INK

    at = _fresh()
    legend = next(h.proto.body for h in at.get("html") if "conv3: 18 x 18" in h.proto.body)
    assert [name in legend for name in ("conv1: 3 x 3", "pool1: 4 x 4", "conv2: 8 x 8", "pool2: 10 x 10")] == [True] * 4
    assert legend.index(INK) < legend.index("conv3: 18 x 18")  # the chosen layer's window is the black one
    figure = next(c for c in at.get("plotly_chart") if "ar_rf_fig" in c.proto.id)
    layout = json.loads(figure.proto.spec)["layout"]
    assert layout["showlegend"] is False and layout["yaxis"]["automargin"] is False
    fitted = next(h.proto.body for h in at.get("html") if ".st-key-ar_rf_fig__box .st-key-ar_rf_fig" in h.proto.body)
    assert "* 1.0000 +" in fitted  # a square input, a square plot


def test_builder_table_round_trip_and_defaults():
    import pandas as pd

    from cnnviz.architectures import LECTURE_CONVNET, TF_LAB, build_network
    from cnnviz_ui.conv_arithmetic import BUILDER_COLUMNS, specs_frame, specs_from_frame

    for specs in (LECTURE_CONVNET, TF_LAB):
        again = specs_from_frame(specs_frame(specs))
        a, b = build_network(specs, (1, 28, 28)), build_network(again, (1, 28, 28))
        assert [type(m) for m in a] == [type(m) for m in b]
        assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())
    # A row added in the editor has only its type: Keras defaults fill the rest.
    added = pd.DataFrame([["conv"] + [None] * 6, ["max pool"] + [None] * 6], columns=BUILDER_COLUMNS)
    model = build_network(specs_from_frame(added), (1, 28, 28))
    assert model(__import__("torch").zeros(1, 1, 28, 28)).shape == (1, 32, 13, 13)
    with pytest.raises(ValueError, match="row 1 has no layer type"):
        specs_from_frame(pd.DataFrame([[None] * 7], columns=BUILDER_COLUMNS))


def test_the_receptive_field_layer_follows_the_network():
    """The layer slider was keyed the same for every network, and its value is a row index: after LeNet
    (pool2 is row 5) VGG16's slider said "pool2" while the page explained VGG16's row 5, conv3 (QA)."""
    from cnnviz.architectures import PRESETS as NETWORKS
    from cnnviz.summary import summarize

    at = _fresh()
    for name in ("lenet", "vgg16"):
        at.selectbox(key="ar_rf_preset").set_value(name).run()
        assert not at.exception
        rows = summarize(NETWORKS[name].build(), NETWORKS[name].input_shape).rows
        last = [r.name for r in rows if r.kind in ("Conv2d", "MaxPool2d", "AvgPool2d")][-1]
        assert f"**{last}** unit" in page_text(at), (name, last)


def test_the_receptive_field_layer_comes_back_after_another_network():
    """Each network's layer choice is kept: TF lab at pool1, a look at LeNet, back to TF lab at pool1 (QA:
    it was back at the last layer, as Streamlit forgets a control that is not drawn)."""
    at = _fresh()
    at.selectbox(key="ar_rf_preset").set_value("tf_lab").run()
    slider = at.select_slider(key="ar_rf_l_tf_lab")  # its options are shown by name, its value is a row index
    assert slider.options == ["conv1", "pool1", "conv2", "pool2"] and slider.value == 5  # the last, pool2
    pool1 = 2  # TF lab's rows: conv1, relu1, pool1, …
    slider.set_value(pool1).run()
    assert "**pool1** unit" in page_text(at)
    at.selectbox(key="ar_rf_preset").set_value("lenet").run()
    at.selectbox(key="ar_rf_preset").set_value("tf_lab").run()
    assert not at.exception
    assert at.select_slider(key="ar_rf_l_tf_lab").value == pool1 and "**pool1** unit" in page_text(at)


# --- the convolution zoo (issue 27), the slide's 23 x 23, links and EfficientNet's summary (issues 25, 26) ---

LAYER_SETTINGS = {
    "Convolution": {
        "ar_conv_h": 9.0,
        "ar_conv_w": 7.0,
        "ar_conv_k": 3.0,
        "ar_conv_s": 2.0,
        "ar_conv_p": "1",
        "ar_conv_cin": 6.0,
        "ar_conv_cout": 4.0,
        "ar_conv_g": 2.0,
    },
    "Transposed convolution": {
        "ar_tconv_h": 4.0,
        "ar_tconv_w": 3.0,
        "ar_tconv_s": 3.0,
        "ar_tconv_op": 2.0,
        "ar_tconv_cin": 4.0,
        "ar_tconv_cout": 6.0,
        "ar_tconv_g": 2.0,
    },
    "Max pooling": {"ar_pool_h": 7.0, "ar_pool_w": 6.0, "ar_pool_k": 3.0, "ar_pool_s": 2.0, "ar_pool_cin": 5.0},
    "Average pooling": {
        "ar_avg_h": 7.0,
        "ar_avg_w": 5.0,
        "ar_avg_k": 3.0,
        "ar_avg_s": 2.0,
        "ar_avg_p": "1",
        "ar_avg_cin": 3.0,
    },
    "Global average pooling": {"ar_gap_h": 5.0, "ar_gap_w": 3.0, "ar_gap_cin": 8.0},
}


def _layer(name: str, settings: dict) -> AppTest:
    at = _fresh()
    at.session_state["ar_mode"] = name
    at.run()
    for key, value in settings.items():
        (at.text_input(key=key) if isinstance(value, str) else at.number_input(key=key)).set_value(value)
    return at.run()


def _shown_pytorch_code(at: AppTest) -> str:
    return next(c.value for c in at.code if c.value.startswith("layer = nn."))


def _run_shown_code(code: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Execute the page's code as a student would paste it; (input shape, output shape)."""
    import torch
    from torch import nn

    scope = {"torch": torch, "nn": nn, "print": lambda *args: None}
    exec(code, scope)  # noqa: S102 - the code the page shows, which is the point
    return tuple(scope["x"].shape), tuple(scope["layer"](scope["x"]).shape)


@pytest.mark.parametrize("name", list(LAYER_SETTINGS))
def test_each_layer_types_code_runs_on_the_shown_input_and_gives_the_shown_output(name):
    import re

    settings = LAYER_SETTINGS[name]
    at = _layer(name, settings)
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = tuple(int(n.replace(",", "")) for n in re.findall(r"[\d,]+", at.subheader[0].value))  # H, W, C
    code = _shown_pytorch_code(at)
    in_shape, out_shape = _run_shown_code(code)
    prefix = (
        "ar_"
        + {
            "Convolution": "conv",
            "Transposed convolution": "tconv",
            "Max pooling": "pool",
            "Average pooling": "avg",
            "Global average pooling": "gap",
        }[name]
    )
    typed_h, typed_w = settings[f"{prefix}_h"], settings[f"{prefix}_w"]
    assert in_shape[2:] == (typed_h, typed_w)  # the input size the page was given
    assert out_shape[1:] == (shown[2], shown[0], shown[1])  # torch's output = the page's "Output: H x W x C"
    assert code.splitlines()[-1].endswith(f"torch.Size({list(out_shape)})")  # the comment tells the truth
    assert len(_iframes(at)) == 1  # a sliding-window diagram for every type


def test_transposed_convolution_is_drawn_spread_out_as_torch_computes_it():
    import torch
    from torch import nn

    at = _fresh()
    at.session_state["ar_mode"] = "Transposed convolution"
    at.run()
    assert at.subheader[0].value == "Output: 5 x 5 x 8"
    data = json.loads(_iframes(at)[0].proto.srcdoc.split("const D = ")[1].split(";\nconst NS")[0])
    assert data["mode"] == "weighted" and (data["H"], data["pt"], data["pb"]) == (5, 1, 1)  # 3 cells, 1 zero between
    assert sum(map(sum, data["inserted"])) == 25 - 9
    values, weights = torch.arange(1.0, 10).reshape(1, 1, 3, 3), torch.arange(1.0, 10).reshape(1, 1, 3, 3)
    expected = nn.functional.conv_transpose2d(values, weights, stride=2, padding=1)[0, 0]
    assert data["outValues"] == expected.tolist()
    assert data["kernelValues"] == weights[0, 0].flip(0, 1).tolist()  # drawn rotated 180°


def test_average_pooling_draws_the_mean_of_each_window():
    at = _fresh()
    at.session_state["ar_mode"] = "Average pooling"
    at.run()
    html = _iframes(at)[0].proto.srcdoc
    assert '"mode": "mean"' in html and '"outValues": [[3.25, 5.25], [2.0, 2.0]]' in html  # the lecture's 4 x 4
    assert "**Parameters: 0**" in page_text(at)


def test_groups_show_their_parameters_beside_the_standard_convolutions_and_which_channels_a_filter_reads():
    from torch import nn

    at = _layer("Convolution", {"ar_conv_cin": 32.0, "ar_conv_cout": 32.0, "ar_conv_g": 32.0, "ar_conv_p": "1"})
    assert not at.exception and not at.error
    text = page_text(at)
    depthwise = sum(p.numel() for p in nn.Conv2d(32, 32, 3, groups=32).parameters())
    standard = sum(p.numel() for p in nn.Conv2d(32, 32, 3).parameters())
    assert f"(3·3·32/32 + 1)·32 = {depthwise:,}" in text and "depthwise" in text
    assert f"= **{standard:,}**, {standard / depthwise:.1f} times as many" in text
    figure = next(c for c in at.get("plotly_chart") if "ar_groups_fig" in c.proto.id)
    z = json.loads(figure.proto.spec)["data"][0]["z"]
    read = [[cell is not None for cell in row] for row in z]
    assert read == [[i == j for j in range(32)] for i in range(32)]  # depthwise: filter i reads channel i
    assert 'layers.DepthwiseConv2D(3, padding="same")' in [c.value for c in at.code]


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        ("Transposed convolution", {"ar_tconv_op": 2.0}, "output_padding must be smaller than the stride (2)"),
        ("Transposed convolution", {"ar_tconv_p": 5.0}, "the output would be"),
        ("Convolution", {"ar_conv_cin": 3.0, "ar_conv_g": 2.0}, "input channels (3) must divide by groups (2)"),
        ("Convolution", {"ar_conv_k": 29.0}, "larger than the padded input"),
        ("Average pooling", {"ar_avg_k": 5.0}, "larger than the padded input"),
    ],
)
def test_bad_layer_settings_get_their_own_sentence(name, settings, message):
    at = _layer(name, settings)
    assert not at.exception
    assert at.error and message in at.error[0].value.replace("\\_", "_"), [e.value for e in at.error]


def _one_d(**settings) -> AppTest:
    at = _fresh()
    at.session_state["ar_tab"] = "1-D"
    at.run()
    for key, value in settings.items():
        widget = at.text_input(key=key) if isinstance(value, str) else at.number_input(key=key)
        widget.set_value(value)
    return at.run()


def test_the_1d_tab_slides_correlation_and_convolution_as_numpy_and_torch_do():
    import numpy as np
    import torch

    at = _one_d(ar_1d_s=2.0, ar_1d_p=1.0)
    assert not at.exception and not at.error
    signal, kernel = np.array([0.0] * 6 + [1.0] * 6), np.array([1.0, 0.0, -1.0])
    correlation = torch.nn.functional.conv1d(
        torch.tensor(signal)[None, None], torch.tensor(kernel)[None, None], stride=2, padding=1
    )[0, 0].tolist()
    assert at.subheader[-1].value == f"Output: {len(correlation)} numbers"
    text = page_text(at)
    assert (
        "**Cross-correlation** (kernel as typed, what `nn.Conv1d` computes): "
        + ", ".join(f"{v:g}" for v in correlation)
        in text
    )
    convolution = np.convolve(np.pad(signal, 1), kernel, "valid")[::2]  # numpy flips the kernel
    assert "as `numpy.convolve`): " + ", ".join(f"{v:g}" for v in convolution) in text
    diagram = json.loads(_iframes(at)[-1].proto.srcdoc.split("const D = ")[1].split(";\nconst NS")[0])
    assert diagram["oneD"] and diagram["values"] == [signal.tolist()] and diagram["outValues"] == [correlation]
    conv1d = next(c.value for c in at.code if c.value.startswith("layer = nn.Conv1d"))
    in_shape, out_shape = _run_shown_code(conv1d)
    assert in_shape == (1, 1, 12) and out_shape == (1, 1, len(correlation))
    at.segmented_control(key="ar_1d_op").set_value("Convolution").run()
    diagram = json.loads(_iframes(at)[-1].proto.srcdoc.split("const D = ")[1].split(";\nconst NS")[0])
    assert diagram["kernelValues"] == [[-1.0, 0.0, 1.0]] and diagram["outValues"] == [convolution.tolist()]


def test_1d_presets_and_bad_input():
    at = _one_d()
    at.button(key="ar_1d_pulse").click().run()
    assert at.text_input(key="ar_1d_signal").value.replace(" ", "").split(",").count("1") == 1
    at = _one_d(ar_1d_signal="1, 2", ar_1d_kernel="1, 1, 1, 1, 1")
    assert not at.exception
    assert any("the kernel (5 numbers) is longer than the padded signal (2 numbers)" in e.value for e in at.error)
    at = _one_d(ar_1d_signal="1, two, 3")
    assert any("'two' in the signal is not a number" in e.value for e in at.error)


def test_every_diagram_downloads_as_a_gif_with_one_frame_per_output_cell_and_a_png():
    import io

    from PIL import Image

    from cnnviz_ui.conv_diagram import Drawing, drawing_frame_png, drawing_frames_gif

    for drawing, frames in [
        (Drawing("transposed", 3, 3, 3, 2, 1), 25),
        (Drawing("conv", 6, 6, 3, 1, 0), 16),
        (Drawing("max", 4, 4, 2, 2), 4),
        (Drawing("mean", 4, 4, 2, 2), 4),
        (Drawing("global", 7, 7), 1),
        (Drawing("1d", 1, 5, 3, signal=(1, 2, 3, 4, 5), weights=(1, 0, -1)), 3),
    ]:
        gif = Image.open(io.BytesIO(drawing_frames_gif(drawing)))
        assert gif.n_frames == frames, drawing
        png = Image.open(io.BytesIO(drawing_frame_png(drawing, frames - 1)))
        assert png.format == "PNG" and png.width >= 2 * gif.width  # 2x, with its title band


def test_the_slides_23_by_23_sets_its_numbers_and_says_which_slip_it_made():
    at = _fresh()
    button = next(b for b in at.button if b.label == "The slide's 23 × 23")
    button.click().run()
    assert not at.exception
    assert at.subheader[0].value == "Output: 5 x 5 x 32"  # 28 x 28, 5 x 5 kernel, stride 5
    text = page_text(at)
    assert "forgot the **+ 1**" in text and "**24 × 24** at stride 1" in text
    assert (28 - 5) // 1 + 1 == 24 and (28 - 5) // 5 + 1 == 5  # the formula's answers the box states


def test_a_link_restores_tab_layer_and_numbers_and_a_wrong_value_gets_a_note():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"layer": "Transposed convolution", "tconv_s": "3", "tconv_op": "2", "tconv_h": "0"})
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "Output: 9 x 9 x 8"  # 3 x 3 (tconv_h=0 ignored), stride 3, output_padding 2
    assert any("tconv_h=0 was ignored" in c.value.replace("\\_", "_") for c in at.caption)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"tab": "1-D", "signal": "1, 2, 3, 4", "kernel_1d": "1, 1"})
    at.run()
    assert not at.exception and at.subheader[-1].value == "Output: 3 numbers"


def test_the_efficientnet_summary_counts_its_trained_weights_and_explains_separable_blocks():
    from cnnviz.imagenet import load_imagenet_net
    from cnnviz.separable import compare_separable

    at = _fresh()
    at.selectbox(key="ar_preset").set_value("efficientnet_lite0").run()
    assert not at.exception and not at.error
    model, _ = load_imagenet_net()  # the real weights are the oracle
    trained = sum(p.numel() for p in model.parameters())
    statistics = sum(m.running_mean.numel() * 2 for m in model.modules() if hasattr(m, "running_mean"))
    assert trained == 4_652_008
    text = page_text(at)
    assert f"Trainable params: {trained:,}" in text and f"Total params: {trained + statistics:,}" in text
    table = at.table[0].value
    assert "Conv2d depthwise" in set(table["Type"]) and "Conv2d 1x1" in set(table["Type"])
    c = compare_separable(3, 256, 256, bias=False)
    assert f"**{c.full:,}**" in text and f"**{c.separable:,}** in all, **8.7 times fewer**" in text
