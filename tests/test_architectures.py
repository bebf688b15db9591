"""cnnviz.summary and cnnviz.architectures: summaries against the lecture's tables and real forward passes."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.architectures import (
    BUILDER_STARTS,
    LECTURE_CONVNET,
    PRESETS,
    TF_LAB,
    LayerSpec,
    build_network,
    conv,
    dense,
    flatten,
    max_pool,
)
from cnnviz.models import build_model
from cnnviz.summary import LayerError, summarize

# The lecture's Keras model.summary(), row by row: (output shape (H, W, C), Param #).
LECTURE_TABLE = [
    ((26, 26, 32), 320),
    ((13, 13, 32), 0),
    ((11, 11, 64), 18_496),
    ((5, 5, 64), 0),
    ((3, 3, 64), 36_928),
    ((576,), 0),
    ((64,), 36_928),
    ((10,), 650),
]


def test_lecture_convnet_matches_keras_summary():
    summary = summarize(build_model("convnet"), (1, 28, 28)).folded()
    assert [(r.keras_shape, r.params) for r in summary.rows] == LECTURE_TABLE
    assert summary.total == summary.trainable == 93_322 and summary.non_trainable == 0
    assert [r.activation for r in summary.rows] == ["ReLU", "", "ReLU", "", "ReLU", "", "ReLU", ""]
    assert summary.rows[0].params_formula == "(3·3·1 + 1)·32"


def test_spec_built_convnet_equals_models_convnet():
    mine = summarize(build_network(LECTURE_CONVNET, (1, 28, 28)), (1, 28, 28))
    theirs = summarize(build_model("convnet"), (1, 28, 28))
    assert [(r.kind, r.output_shape, r.params) for r in mine.rows] == [
        (r.kind, r.output_shape, r.params) for r in theirs.rows
    ]


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_matches_its_source(name):
    preset = PRESETS[name]
    model = preset.build()
    summary = summarize(model, preset.input_shape)
    assert summary.total == preset.expected_total
    assert summary.total == sum(p.numel() for p in model.parameters())


def test_tf_lab_shapes():
    summary = summarize(build_network(TF_LAB, (1, 28, 28)), (1, 28, 28)).folded()
    shapes = [r.keras_shape for r in summary.rows]
    assert shapes == [(28, 28, 32), (14, 14, 32), (14, 14, 64), (7, 7, 64), (3136,), (100,), (10,)]


def test_vgg16_is_on_meta_device_and_right_shape():
    model = PRESETS["vgg16"].build()
    assert next(model.parameters()).device.type == "meta"
    rows = summarize(model, (3, 224, 224)).folded().rows
    assert rows[-5].keras_shape == (7, 7, 512) and rows[-4].keras_shape == (25_088,)
    assert rows[-5].field[0].size == 212  # VGG16's well-known receptive field at pool5


def test_batchnorm_counts_running_stats_as_non_trainable():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.5))
    summary = summarize(model, (3, 10, 10))
    assert summary.rows[1].params == 32 and summary.rows[1].trainable == 16
    assert summary.non_trainable == 16  # as Keras reports moving mean and variance


def test_zero_pad_and_nested_sequential():
    model = nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Sequential(nn.Conv2d(1, 2, 2, 2)), nn.Flatten())
    summary = summarize(model, (1, 5, 5))
    assert [r.output_shape for r in summary.rows] == [(1, 6, 6), (2, 3, 3), (18,)]
    assert summary.rows[1].name == "1.0"


@pytest.mark.parametrize(
    ("model", "shape", "message"),
    [
        (nn.Sequential(nn.Conv2d(3, 8, 3)), (1, 28, 28), "layer 1 .*expects 3 input channels"),
        (nn.Sequential(nn.Conv2d(1, 8, 3), nn.Linear(8, 2)), (1, 5, 5), "add a Flatten layer before it"),
        (
            nn.Sequential(nn.Flatten(), nn.Linear(10, 2)),
            (1, 5, 5),
            "expects 10 inputs, but the previous layer gives 25",
        ),
        (nn.Sequential(nn.Conv2d(1, 8, 7)), (1, 5, 5), "larger than the padded input"),
        (nn.Sequential(nn.LSTM(3, 3)), (1, 5, 5), "LSTM is not supported"),
        (nn.Sequential(nn.Flatten(), nn.Conv2d(1, 1, 1)), (1, 5, 5), "already flat"),
    ],
)
def test_refuses_with_a_clear_message(model, shape, message):
    with pytest.raises(LayerError, match=message):
        summarize(model, shape)


def test_refuses_non_sequential_containers():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, 1, 3)

    with pytest.raises(ValueError, match="needs an nn.Sequential"):
        summarize(Custom(), (1, 8, 8))


def test_builder_marks_first_invalid_layer():
    shape, specs = BUILDER_STARTS["Too deep for 28x28 (goes invalid)"]
    with pytest.raises(LayerError) as info:
        build_network(specs, shape)
    assert info.value.index == 6 and "larger than the padded input (1 px)" in str(info.value)
    build_network(specs[: info.value.index], shape)  # everything before it is fine


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([dense(10)], "needs a flat vector"),
        ([flatten(), conv(3)], "already flat"),
        ([conv(0)], "filters must be at least 1, got 0"),
        ([conv(8, stride=0)], "stride must be at least 1, got 0"),
        ([conv(8, padding=-1)], "padding must be at least 0"),
        ([LayerSpec("lstm")], "layer type must be one of"),
        ([max_pool(2, stride=-1)], "stride must be at least 1"),
    ],
)
def test_builder_errors(specs, message):
    with pytest.raises(LayerError, match=message):
        build_network(specs, (1, 28, 28))


def test_builder_same_padding_with_stride_adds_asymmetric_zero_pad():
    model = build_network([conv(4, 3, stride=2, padding="same")], (1, 28, 28))
    assert isinstance(model[0], nn.ZeroPad2d) and model[0].padding == (0, 1, 0, 1)
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 4, 14, 14)


@st.composite
def random_stack(draw):
    """A random valid-or-not stack of specs and an input shape."""
    specs = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            specs.append(
                conv(
                    draw(st.integers(1, 4)),
                    draw(st.integers(1, 4)),
                    draw(st.integers(1, 3)),
                    draw(st.sampled_from([0, 1, 2, "same", "valid"])),
                    draw(st.integers(1, 2)),
                )
            )
        else:
            specs.append(
                LayerSpec(
                    draw(st.sampled_from(["max pool", "avg pool"])),
                    0,
                    draw(st.integers(1, 3)),
                    draw(st.integers(0, 3)),
                    draw(st.integers(0, 1)),
                    relu=False,
                )
            )
    if draw(st.booleans()):
        specs += [flatten(), dense(draw(st.integers(1, 5)))]
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 24)), draw(st.integers(1, 24)))
    return specs, shape


@settings(max_examples=120, deadline=None)
@given(random_stack())
def test_summary_shapes_equal_a_real_forward_pass(stack):
    specs, shape = stack
    try:
        model = build_network(specs, shape)
    except LayerError:
        return  # invalid stacks are covered by the error tests
    summary = summarize(model, shape)
    x = torch.zeros(2, *shape)
    for row, layer in zip(summary.rows, model, strict=True):
        x = layer(x)
        assert tuple(x.shape[1:]) == row.output_shape, row.name
    assert summary.total == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("specs", "shape", "index"),
    [
        ([flatten(), dense(10)], (10**9, 10**9, 10**9), 1),  # 1e27 inputs: torch's int64 overflowed (TypeError)
        ([conv(10**9, 3)], (10**9, 28, 28), 0),  # 9e18 weights
    ],
)
def test_layers_no_computer_could_hold_are_refused(specs, shape, index):
    with pytest.raises(LayerError, match="more than any computer holds") as info:
        build_network(specs, shape, device="meta")
    assert info.value.index == index
