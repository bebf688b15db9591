"""cnnviz.receptive: receptive-field arithmetic against backprop through real layers."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.architectures import PRESETS, build_network, conv
from cnnviz.models import build_model
from cnnviz.receptive import AxisField, clip_window, measure_receptive_field, nested_windows
from cnnviz.summary import summarize


def _gradient_of_unit(model: nn.Sequential, upto: str, unit: tuple[int, int]) -> np.ndarray:
    """Backprop from one unit of a real model (max pools read as average pools, activations removed).

    A max pool sends gradient to one cell per window and a ReLU blocks negative units; with those
    swapped out every pixel the unit depends on gets a (generically) nonzero gradient.
    """
    layers = []
    for name, layer in copy.deepcopy(model).named_children():
        if isinstance(layer, nn.MaxPool2d):
            layer = nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding)
        if not isinstance(layer, nn.ReLU):
            layers.append(layer)
        if name == upto:
            break
    x = torch.randn(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
    out = nn.Sequential(*layers).double()(x)
    out[0, 0, unit[0], unit[1]].backward()
    return x.grad[0, 0].numpy()


@pytest.mark.parametrize("unit", [(0, 0), (1, 1), (2, 2), (0, 2)])
def test_lecture_conv3_field_matches_gradient(unit):
    torch.manual_seed(0)
    model = build_model("convnet")
    row = next(r for r in summarize(model, (1, 28, 28)).rows if r.name == "conv3")
    rows, cols = row.field
    assert (rows.size, rows.jump) == (18, 4)
    grad = _gradient_of_unit(model, "conv3", unit)
    touched = np.argwhere(grad != 0)
    assert len(touched) == 18 * 18
    assert tuple(touched.min(0)) == (rows.window(unit[0])[0], cols.window(unit[1])[0])
    assert tuple(touched.max(0)) == (rows.window(unit[0])[1], cols.window(unit[1])[1])
    # Pixels 26 and 27 are never seen by any conv3 unit: the floors of the two pools drop them.
    assert rows.window(2) == (8, 25)


def test_measure_matches_real_model_gradient():
    torch.manual_seed(1)
    model = build_model("convnet")
    layers = list(model.named_children())[:7]  # conv1 .. conv3
    measured = measure_receptive_field(layers, (28, 28), (1, 2))
    real = _gradient_of_unit(model, "conv3", (1, 2))
    assert np.array_equal(measured != 0, real != 0)
    assert measured.max() == measured[12, 16]  # the centre of the window has the most paths


def test_padding_clips_window_at_the_border():
    row = summarize(build_model("lenet"), (1, 28, 28)).rows[3]  # conv2 after pool1, 'same' padding
    rows, _ = row.field
    assert (rows.size, rows.jump) == (14, 2)  # 5, then 6 after the pool, then 6 + (5 - 1)·2
    assert rows.window(0) == (-6, 7) and clip_window(rows.window(0), 28) == (0, 7)
    grad = measure_receptive_field(list(build_model("lenet").named_children())[:4], (28, 28), (0, 0))
    assert np.argwhere(grad != 0).max(0).tolist() == [7, 7] and np.count_nonzero(grad) == 64


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.integers(1, 3), st.sampled_from([0, 1, "same"]), st.integers(1, 2)),
        min_size=1,
        max_size=4,
    ),
    st.integers(8, 30),
)
def test_arithmetic_equals_measurement_for_random_stacks(layers, size):
    try:
        model = build_network([conv(1, k, s, p, d) for k, s, p, d in layers], (1, size, size))
    except ValueError:
        return
    if any(p not in ("same", 0) and p >= k for k, _, p, _ in layers):
        return  # a window made only of padding sees no pixel at all
    last = summarize(model, (1, size, size)).rows[-1]
    height = last.output_shape[1]
    unit = height // 2
    grad = measure_receptive_field(list(model.named_children()), (size, size), (unit, unit))
    seen = np.argwhere(grad != 0)
    if len(seen) == 0:  # every tap of every window on the way lands on padding
        assert any(p != 0 for _, _, p, _ in layers)
        return
    first, last_pixel = clip_window(last.field[0].window(unit), size)
    # The arithmetic gives the span. Gaps (dilation, stride > kernel) and windows hanging over padding
    # of an inner layer can only make the pixels really reached fewer; without them it is exact.
    assert first <= seen[:, 0].min() and seen[:, 0].max() <= last_pixel
    if all(d == 1 and s <= k and p == 0 for k, s, p, d in layers):
        assert (seen[:, 0].min(), seen[:, 0].max()) == (first, last_pixel)


def test_vgg16_measurement_is_cheap_and_agrees():
    model = PRESETS["vgg16"].build()
    rows = summarize(model, (3, 224, 224)).rows
    index = next(i for i, r in enumerate(rows) if r.name == "pool5")
    grad = measure_receptive_field(list(model.named_children())[: index + 1], (224, 224), (3, 3))
    seen = np.argwhere(grad != 0)
    field = rows[index].field[0]
    assert field.size == 212
    assert (seen[:, 0].min(), seen[:, 0].max()) == clip_window(field.window(3), 224)


def test_axis_field_rules():
    f = AxisField().grow(3, 1, 0).grow(2, 2, 0)
    assert (f.size, f.jump, f.start) == (4, 2, 1.5)
    assert f.shift(1).window(0) == (-2, 1)


def test_dense_layers_are_refused():
    with pytest.raises(ValueError, match="dense unit sees the whole input"):
        measure_receptive_field([("fc", nn.Linear(4, 2))], (2, 2), (0, 0))
    with pytest.raises(ValueError, match="outside the 26 x 26 output map"):
        measure_receptive_field([("c", nn.Conv2d(1, 1, 3))], (28, 28), (26, 0))


def test_nested_windows_grow_for_the_lecture_convnet():
    rows = [r for r in summarize(build_model("convnet"), (1, 28, 28)).rows if r.kind in ("Conv2d", "MaxPool2d")]
    layers = [(r.name, r.field, r.output_shape[1:]) for r in rows]
    windows = nested_windows(layers, (1, 1), (28, 28))
    sizes = [(name, r1 - r0 + 1) for name, (r0, r1), _ in windows]
    assert sizes == [("conv1", 3), ("pool1", 4), ("conv2", 8), ("pool2", 10), ("conv3", 18)]
    assert windows[-1][1] == (4, 21)
    assert all(b[1][0] <= a[1][0] and b[1][1] >= a[1][1] for a, b in zip(windows, windows[1:], strict=False))
