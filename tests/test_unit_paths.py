"""cnnviz.unit_paths: strongest units, pooling fates (against torch's own winners) and traces back to the pixels
(against the receptive field measured by backprop)."""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.inspect import activations
from cnnviz.receptive import measure_receptive_field
from cnnviz.unit_paths import pooling_fate, strongest_unit, trace_unit

ROOT = Path(__file__).resolve().parent.parent


def test_strongest_unit_is_the_argmax(shipped, digit):
    acts = activations(shipped, digit)
    channel, row, col = strongest_unit(acts, "conv2", 5)
    assert channel == 5 and acts["conv2"][5, row, col] == acts["conv2"][5].max()
    c, r, q = strongest_unit(acts, "relu3")
    assert acts["relu3"][c, r, q] == acts["relu3"].max()
    (j,) = strongest_unit(acts, "fc2")
    assert j == int(acts["fc2"].argmax())
    with pytest.raises(ValueError, match="no activations of a layer called 'conv9'"):
        strongest_unit(acts, "conv9")
    with pytest.raises(ValueError, match="they run from 0 to 63"):
        strongest_unit(acts, "conv2", 64)
    with pytest.raises(ValueError, match="leave the channel out"):
        strongest_unit(acts, "fc1", 0)


def test_pooling_fate_agrees_with_torch_winners(shipped, digit):
    acts = activations(shipped, digit)
    _, indices = F.max_pool2d(acts["relu2"][None], 2, return_indices=True)  # (1, 64, 5, 5) flat input positions
    kept = {(c, int(i) // 11, int(i) % 11) for c in range(64) for i in indices[0, c].flatten()}
    for unit in [(5, 4, 7), strongest_unit(acts, "conv2", 5), (0, 0, 0), (9, 9, 9)]:
        fate = pooling_fate(shipped, digit, "conv2", unit)  # conv2 -> relu2 -> pool2
        assert (
            fate.pool == "pool2" and fate.kind == "max pool" and fate.cells == ((unit[0], unit[1] // 2, unit[2] // 2),)
        )
        assert fate.value == pytest.approx(acts["relu2"][unit].item())
        assert fate.kept == (unit in kept)
    assert pooling_fate(shipped, digit, "conv2", (0, 10, 3)) is None  # row 10: the 2x2 pool drops it
    assert pooling_fate(shipped, digit, "conv3", (0, 1, 1)) is None  # flatten comes next
    assert pooling_fate(shipped, digit, "fc1", (0,)) is None


def test_overlapping_and_average_pools_list_every_window():
    torch.manual_seed(0)
    x = torch.rand(1, 1, 9, 9)
    overlapping = nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU(), nn.MaxPool2d(3, 2))
    fate = pooling_fate(overlapping, x, "0", (1, 4, 2))
    assert fate.cells == ((1, 1, 0), (1, 1, 1), (1, 2, 0), (1, 2, 1))  # rows 2-4 / 4-6 and cols 0-2 / 2-4
    with torch.no_grad():
        maps = overlapping[1](overlapping[0](x))
    _, indices = F.max_pool2d(maps, 3, 2, return_indices=True)
    expected = tuple(indices[0, 1, r, c].item() == 4 * 9 + 2 for _, r, c in fate.cells)
    assert fate.wins == expected
    average = pooling_fate(nn.Sequential(nn.Conv2d(1, 2, 1), nn.AvgPool2d(2)), x, "0", (0, 3, 3))
    assert average.kind == "average pool" and average.cells == ((0, 1, 1),) and average.wins == (True,)


def test_trace_of_the_shipped_convnet(shipped, digit):
    steps = trace_unit(shipped, digit, "conv3", (3, 1, 2))
    assert [s.layer for s in steps] == ["conv3", "pool2", "relu2", "conv2", "pool1", "relu1", "conv1", None]
    assert steps[0].channels.tolist() == [3] and steps[0].spans == ((1, 1), (2, 2))
    assert steps[1].spans == ((1, 3), (2, 4)) and len(steps[1].channels) == 64
    assert steps[-1].shape == (1, 28, 28) and steps[-1].spans == ((4, 21), (8, 25))  # 18 pixels
    assert steps[-1].rows.tolist() == list(range(4, 22))
    fc2 = trace_unit(shipped, digit, "fc2", (3,))
    assert [s.layer for s in fc2[:5]] == ["fc2", "relu4", "fc1", "flatten", "relu3"]
    assert fc2[3].spans is None and len(fc2[3].channels) == 576 and fc2[4].spans == ((0, 2), (0, 2))
    assert fc2[-1].spans == ((0, 25), (0, 25))  # the 2x2 pools drop the last two rows and cols


@st.composite
def stacks(draw):
    layers, channels = [], 1
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            groups = draw(st.sampled_from([1, channels]))
            out = channels * draw(st.integers(1, 2))
            k, s, p, d = (
                draw(st.integers(1, 3)),
                draw(st.integers(1, 2)),
                draw(st.integers(0, 1)),
                draw(st.integers(1, 2)),
            )
            layers.append(nn.Conv2d(channels, out, k, s, p, d, groups=groups))
            channels = out
        else:
            layers += [nn.ReLU(), nn.MaxPool2d(2)] if draw(st.booleans()) else [nn.AvgPool2d(2, 1)]
    return nn.Sequential(*layers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks(), st.integers(0, 10**6))
def test_trace_reaches_the_pixels_the_gradient_reaches(model, seed):
    x = torch.rand(1, 1, 16, 16)
    try:
        with torch.no_grad():
            out = model(x)[0]
    except RuntimeError:  # the stack shrinks 16 x 16 below one pixel: torch refuses, and so there is no unit
        assume(False)
    rng = np.random.default_rng(seed)
    unit = tuple(int(rng.integers(n)) for n in out.shape)
    steps = trace_unit(model, x, str(len(model) - 1), unit)
    field = measure_receptive_field(list(model.named_children()), (16, 16), unit[1:])
    rows, cols = np.nonzero(field.any(axis=1))[0], np.nonzero(field.any(axis=0))[0]
    last = steps[-1]
    if last.spans is None:  # the window lies wholly in padding: the gradient reaches no pixel either
        assert field.sum() == 0
    else:
        assert last.layer is None and last.rows.tolist() == rows.tolist() and last.cols.tolist() == cols.tolist()
    depthwise = all(not isinstance(m, nn.Conv2d) or m.groups == m.in_channels == m.out_channels for m in model)
    assert not depthwise or all(len(s.channels) == 1 for s in steps)
