"""cnnviz.units: explain_unit against torch, field by field (the oracle is the layer's own forward pass)."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.data import load_mnist
from cnnviz.inspect import activations
from cnnviz.units import explain_unit

ROOT = Path(__file__).resolve().parent.parent
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _oracle_window(x: torch.Tensor, conv: nn.Conv2d, unit: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The padded input (C, kh, kw) under the unit's window, and the padding mask, via F.pad and slicing."""
    (kh, kw), (sh, sw), (dh, dw) = conv.kernel_size, conv.stride, conv.dilation
    if conv.padding == "same":
        pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in ((kh, dh), (kw, dw))]
    else:
        pads = [(p, p) for p in ((0, 0) if conv.padding == "valid" else conv.padding)]
    amounts = (pads[1][0], pads[1][1], pads[0][0], pads[0][1])
    mode = "constant" if conv.padding_mode == "zeros" else conv.padding_mode
    padded = F.pad(x, amounts, mode=mode)[0]  # (C, H + pads, W + pads)
    marks = F.pad(torch.zeros(1, 1, *x.shape[2:]), amounts, value=1.0)[0, 0]
    _, row, col = unit
    rows = slice(row * sh, row * sh + dh * (kh - 1) + 1, dh)
    cols = slice(col * sw, col * sw + dw * (kw - 1) + 1, dw)
    return padded[:, rows, cols].numpy(), marks[rows, cols].numpy() > 0


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans())
    c_in = groups * draw(st.integers(1, 3))
    if depthwise:
        groups = c_in
    c_out = groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding_mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    height, width = draw(st.integers(span[0], 12)), draw(st.integers(span[1], 12))
    if stride == (1, 1) and draw(st.booleans()):
        padding = draw(st.sampled_from(["same", "valid"]))
    else:
        padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
        if padding_mode != "zeros":  # PyTorch pads reflect/circular by less than the map
            padding = (min(padding[0], height - 1), min(padding[1], width - 1))
    conv = nn.Conv2d(c_in, c_out, kernel, stride, padding, dilation, groups, draw(st.booleans()), padding_mode)
    seed = draw(st.integers(0, 2**16))
    torch.manual_seed(seed)
    nn.init.normal_(conv.weight)
    x = torch.rand(1, c_in, height, width)
    out_shape = conv(x).shape[1:]
    unit = tuple(draw(st.integers(0, n - 1)) for n in out_shape)
    return conv, x, unit


@FAST
@given(conv_cases())
def test_conv_unit_equals_torch_field_by_field(case):
    conv, x, unit = case
    model = nn.Sequential(conv)
    got = explain_unit(model, x, "0", unit)
    with torch.no_grad():
        real = conv(x)[0][unit].item()
    assert got.kind == "conv" and got.unit == unit and got.layer == "0" and got.source is None
    assert got.value == pytest.approx(real, rel=1e-6, abs=1e-6)
    assert got.total == pytest.approx(real, rel=1e-4, abs=1e-4)
    per_group, outputs = conv.in_channels // conv.groups, conv.out_channels // conv.groups
    group = unit[0] // outputs
    np.testing.assert_array_equal(got.channels, np.arange(group * per_group, (group + 1) * per_group))
    if conv.groups == conv.in_channels:
        assert got.channels.tolist() == [unit[0] // outputs]  # depthwise: one channel
    inputs, marks = _oracle_window(x[:, got.channels], conv, unit)
    np.testing.assert_allclose(got.inputs, inputs, rtol=0, atol=0)
    np.testing.assert_array_equal(got.padded, marks)
    np.testing.assert_array_equal(got.weights, conv.weight.detach()[unit[0]].numpy())
    np.testing.assert_allclose(got.partial_sums, (inputs * got.weights).sum(axis=(1, 2)), rtol=1e-5, atol=1e-5)
    assert got.bias == (0.0 if conv.bias is None else pytest.approx(conv.bias[unit[0]].item()))
    # The window: first tap at row * stride - padding before, then one every dilation step.
    assert len(got.window[0]) == conv.kernel_size[0] and len(got.window[1]) == conv.kernel_size[1]
    assert np.all(np.diff(got.window[0]) == conv.dilation[0]) and np.all(np.diff(got.window[1]) == conv.dilation[1])
    rows_real = (got.window[0] >= 0) & (got.window[0] < x.shape[2])
    cols_real = (got.window[1] >= 0) & (got.window[1] < x.shape[3])
    np.testing.assert_array_equal(got.padded, ~(rows_real[:, None] & cols_real[None, :]))
    order = got.order
    assert sorted(order.tolist()) == list(range(len(got.channels)))
    assert np.all(np.diff(np.abs(got.partial_sums[order])) <= 0)


@st.composite
def pool_cases(draw):
    kind = draw(st.sampled_from(["max", "avg"]))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    ceil_mode = draw(st.booleans())
    if kind == "max":
        dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        pool = nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    else:
        override = draw(st.sampled_from([None, None, 3]))
        pool = nn.AvgPool2d(kernel, stride, padding, ceil_mode, draw(st.booleans()), override)
        span = kernel
    height, width = draw(st.integers(span[0], 10)), draw(st.integers(span[1], 10))
    # Small whole numbers make ties common: the winner must still be PyTorch's.
    x = torch.randint(0, 4, (1, 2, height, width), generator=torch.Generator().manual_seed(draw(st.integers(0, 999))))
    x = x.float() / 4
    out_shape = pool(x).shape[1:]
    unit = tuple(draw(st.integers(0, n - 1)) for n in out_shape)
    return pool, x, unit


@FAST
@given(pool_cases())
def test_pool_unit_equals_torch(case):
    pool, x, unit = case
    got = explain_unit(nn.Sequential(pool), x, "0", unit)
    real = pool(x)[0][unit].item()
    assert got.value == pytest.approx(real, abs=1e-6)
    assert got.total == pytest.approx(real, abs=1e-6)
    assert got.channels.tolist() == [unit[0]] and got.inputs.shape[0] == 1
    if isinstance(pool, nn.MaxPool2d):
        assert got.kind == "max pool" and got.weights.sum() == 1.0
        _, indices = F.max_pool2d(
            x, pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode, return_indices=True
        )
        channel, row, col = got.winner
        assert channel == unit[0] and row * x.shape[3] + col == indices[0][unit].item()
    else:
        assert got.kind == "average pool" and got.winner is None


def test_linear_after_flatten_is_laid_out_as_the_map():
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 5), nn.ReLU(), nn.Linear(5, 2)
    )
    x = torch.rand(1, 2, 6, 6)
    with torch.no_grad():
        maps = model[1](model[0](x))[0]  # (3, 4, 4)
        hidden = model[4](model[3](model[2](maps[None])))[0]
        logits = model(x)[0]
    got = explain_unit(model, x, "3", (4,))
    assert got.kind == "linear" and got.source == "1" and got.activation == "4"
    np.testing.assert_array_equal(got.inputs, maps.numpy())
    np.testing.assert_array_equal(got.weights, model[3].weight.detach()[4].reshape(3, 4, 4).numpy())
    np.testing.assert_array_equal(got.channels, np.arange(3))
    assert [w.tolist() for w in got.window] == [list(range(4))] * 2
    assert got.total == pytest.approx(got.value, abs=1e-5) and got.activated == pytest.approx(hidden[4].item())
    top = explain_unit(model, x, "5", 1)  # a Linear after a Linear: one value per input, (5, 1, 1)
    assert top.inputs.shape == (5, 1, 1) and top.source == "4" and top.activation is None
    np.testing.assert_allclose(top.partial_sums, hidden.numpy() * model[5].weight.detach()[1].numpy(), rtol=1e-6)
    assert top.value == pytest.approx(logits[1].item()) and top.total == pytest.approx(top.value, abs=1e-5)


class _Nested(nn.Module):
    """Layers inside Sequentials, and a torch.flatten in forward (no Flatten module to hook)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU6(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Linear(4 * 3 * 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.body(x * 2 - 1), 1))


def test_nested_modules_and_a_functional_flatten():
    torch.manual_seed(2)
    model, x = _Nested(), torch.rand(6, 6)
    with torch.no_grad():
        pooled = model.body(x[None, None] * 2 - 1)[0]
        conv = model.body[0](x[None, None] * 2 - 1)[0]
    got = explain_unit(model, x, "body.0", (2, 0, 5))
    assert got.value == pytest.approx(conv[2, 0, 5].item()) and got.total == pytest.approx(got.value, abs=1e-5)
    assert got.padded[0].all() and got.padded[:, 2].all() and not got.padded[1:, :2].any()
    assert got.activation == "body.1" and got.activated == pytest.approx(min(max(got.value, 0.0), 6.0))
    head = explain_unit(model, x, "head.0", (2,))
    assert head.source == "body.2" and head.inputs.shape == (4, 3, 3)
    np.testing.assert_array_equal(head.inputs, pooled.numpy())
    relu = explain_unit(model, x, "body.1", (1, 2, 3))
    assert relu.kind == "activation" and relu.total == pytest.approx(conv[1, 2, 3].item())
    assert relu.value == pytest.approx(min(max(conv[1, 2, 3].item(), 0.0), 6.0))


@pytest.mark.parametrize("act", [nn.ReLU(), nn.LeakyReLU(0.1), nn.Tanh(), nn.Sigmoid(), nn.ReLU(inplace=True)])
def test_activations_give_the_value_before_and_after(act):
    torch.manual_seed(3)
    conv = nn.Conv2d(1, 2, 3)
    model = nn.Sequential(conv, act)
    x = torch.rand(1, 1, 5, 5)
    with torch.no_grad():
        before = conv(x)[0]
    for unit in [(0, 0, 0), (1, 2, 1), (1, 1, 1)]:
        got = explain_unit(model, x, "1", unit)
        assert got.total == pytest.approx(before[unit].item(), abs=1e-6)
        assert got.value == pytest.approx(act(before.clone())[unit].item())
        conv_unit = explain_unit(model, x, "0", unit)  # an in-place ReLU must not change the conv's value
        assert conv_unit.value == pytest.approx(before[unit].item()) and conv_unit.activated == pytest.approx(got.value)


def test_batch_norm_in_eval_mode_is_one_weight_and_bias():
    torch.manual_seed(4)
    norm = nn.BatchNorm2d(3)
    norm.running_mean.uniform_(-1, 1)
    norm.running_var.uniform_(0.5, 2)
    nn.init.normal_(norm.weight)
    nn.init.normal_(norm.bias)
    model = nn.Sequential(nn.Conv2d(1, 3, 1), norm).eval()
    x = torch.rand(1, 1, 4, 4)
    got = explain_unit(model, x, "1", (2, 1, 3))
    assert got.kind == "batch norm" and got.total == pytest.approx(got.value, abs=1e-5)
    with pytest.raises(ValueError, match="eval mode"):
        explain_unit(model.train(), x, "1", (2, 1, 3))


def test_the_shipped_convnet(shipped, digit):
    acts = activations(shipped, digit)
    assert [n for n, _ in shipped.named_children()][:5] == ["conv1", "relu1", "pool1", "conv2", "relu2"]
    got = explain_unit(shipped, digit, "conv2", (5, 4, 7))
    assert got.inputs.shape == (32, 3, 3) and got.partial_sums.shape == (32,) and got.source == "pool1"
    np.testing.assert_array_equal(got.inputs, acts["pool1"][:, 4:7, 7:10].numpy())
    np.testing.assert_array_equal(got.channels, np.arange(32))
    assert got.value == pytest.approx(acts["conv2"][5, 4, 7].item())
    assert got.total == pytest.approx(got.value, abs=1e-4)
    assert got.activation == "relu2" and got.activated == pytest.approx(acts["relu2"][5, 4, 7].item())
    fc1 = explain_unit(shipped, digit, "fc1", (3,))
    assert fc1.inputs.shape == (64, 3, 3) and fc1.source == "relu3"
    np.testing.assert_array_equal(fc1.inputs, acts["relu3"].numpy())
    assert fc1.total == pytest.approx(acts["fc1"][3].item(), abs=1e-4)
    fc2 = explain_unit(shipped, digit, "fc2", (7,))
    assert fc2.inputs.shape == (64, 1, 1) and fc2.partial_sums.shape == (64,)
    assert fc2.total == pytest.approx(acts["fc2"][7].item(), abs=1e-4)
    pool = explain_unit(shipped, digit, "pool1", (0, 6, 6))
    assert pool.value == acts["pool1"][0, 6, 6].item() == acts["relu1"][pool.winner].item()
    conv1 = explain_unit(shipped, digit, "conv1", (0, 10, 10))
    normalised = (digit - shipped.mean) / shipped.std  # the first conv reads the standardised image
    np.testing.assert_allclose(conv1.inputs[0], normalised[10:13, 10:13].numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    ("layer", "unit", "message"),
    [
        ("conv9", (0, 0, 0), "no layer called 'conv9'; its layers are: conv1, relu1, pool1, conv2"),
        ("", (0, 0, 0), "no layer called ''"),
        ("flatten", (0,), "flatten is a Flatten; units can be explained in Conv2d, Linear"),
        ("conv2", (64, 0, 0), "channel 64 is outside conv2's 64 maps of 11 x 11: it runs from 0 to 63"),
        ("conv2", (0, 11, 0), "row 11 is outside conv2's 64 maps of 11 x 11: it runs from 0 to 10"),
        ("conv2", (0, 0, -1), "column -1 is outside"),
        ("conv2", (3, 4), r"a unit is \(channel, row, column\), got \(3, 4\)"),
        ("fc2", (1, 2), r"fc2 gives 10 values: a unit is \(j,\)"),
        ("fc2", (10,), "unit 10 is outside fc2's 10 values: it runs from 0 to 9"),
        ("conv2", (0, 1.5, 0), "whole number"),
        ("conv2", (0, True, 0), "whole number"),
    ],
)
def test_errors_are_sentences(shipped, digit, layer, unit, message):
    with pytest.raises(ValueError, match=message):
        explain_unit(shipped, digit, layer, unit)


def test_layers_that_run_twice_or_never_and_bad_images(shipped, digit):
    relu = nn.ReLU()
    twice = nn.Sequential(nn.Conv2d(1, 1, 1), relu, nn.Conv2d(1, 1, 1), relu)
    with pytest.raises(ValueError, match="runs 2 times"):
        explain_unit(twice, digit, "1", (0, 0, 0))

    class Skips(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used, self.unused = nn.Conv2d(1, 1, 1), nn.Conv2d(1, 1, 1)

        def forward(self, x):
            return self.used(x)

    with pytest.raises(ValueError, match="never runs"):
        explain_unit(Skips(), digit, "unused", (0, 0, 0))
    with pytest.raises(ValueError, match="one image"):
        explain_unit(shipped, torch.rand(2, 1, 28, 28), "conv1", (0, 0, 0))
    with pytest.raises(ValueError, match="divide by 255"):
        explain_unit(shipped, (digit * 255).to(torch.uint8), "conv1", (0, 0, 0))


def test_many_threads_on_one_shared_model(shipped):
    images, _ = load_mnist("test")
    digits = [images[i].float() / 255 for i in range(6)]
    alone = [explain_unit(shipped, d, "conv3", (7, 1, 1)).partial_sums for d in digits]
    with ThreadPoolExecutor(6) as pool:
        work = list(range(6)) * 4
        together = list(pool.map(lambda i: explain_unit(shipped, digits[i], "conv3", (7, 1, 1)).partial_sums, work))
    for i, got in enumerate(together):
        np.testing.assert_allclose(got, alone[i % 6], rtol=1e-6)
    assert sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in shipped.modules()) == 0
