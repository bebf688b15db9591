"""cnnviz.windows: sliding-window taps and max-pool winners against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.windows import (
    LECTURE_POOL_INPUT,
    adaptive_pool_windows,
    avg_pool_with_windows,
    grouped_input_channels,
    max_pool_with_winners,
    transposed_conv_diagram,
    transposed_window_grid,
    whole_input_grid,
    window_grid,
    window_taps,
)


def test_lecture_max_pool_example():
    pooled, winners = max_pool_with_winners(LECTURE_POOL_INPUT, 2, 2)
    assert pooled.tolist() == [[6, 8], [3, 4]]
    assert winners.tolist() == [[[1, 1], [1, 3]], [[2, 0], [3, 3]]]


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 3), st.integers(1, 3), st.integers(0, 10_000))
def test_winners_match_pytorch_indices(h, w, kernel, stride, seed):
    if kernel > min(h, w):
        return
    values = np.random.default_rng(seed).permutation(h * w).reshape(h, w).astype(np.float32)
    pooled, winners = max_pool_with_winners(values, kernel, stride)
    out, index = nn.MaxPool2d(kernel, stride, return_indices=True)(torch.from_numpy(values)[None, None])
    assert np.array_equal(pooled, out[0, 0].numpy())
    assert np.array_equal(winners[..., 0] * w + winners[..., 1], index[0, 0].numpy())


def test_taps_with_dilation_and_stride():
    assert window_taps(2, 3, stride=2, dilation=2) == [4, 6, 8]
    grid = window_grid(5, 5, 3, stride=1, padding=1, dilation=2)
    assert grid.output_hw == (3, 3)
    assert grid.taps(0, 0)[:3] == [(0, 0), (0, 2), (0, 4)]


def test_never_read_marks_stride_leftovers():
    grid = window_grid(7, 7, 3, stride=3)
    mask = grid.never_read()
    assert mask[6].all() and mask[:, 6].all() and not mask[:6, :6].any()


def test_conv_taps_agree_with_conv2d():
    # Output cell (1, 2) of a strided, dilated, padded conv: a one-hot input at a tap changes it.
    grid = window_grid(6, 7, 2, stride=2, padding=1, dilation=2)
    layer = nn.Conv2d(1, 1, 2, 2, 1, 2, bias=False)
    nn.init.ones_(layer.weight)
    x = torch.zeros(1, 1, 6, 7, requires_grad=True)
    layer(x)[0, 0, 1, 2].backward()
    real = {tuple(int(v) + 1 for v in p) for p in torch.nonzero(x.grad[0, 0])}  # to padded coordinates
    assert real == {t for t in grid.taps(1, 2) if 1 <= t[0] <= 6 and 1 <= t[1] <= 7}


def test_errors():
    with pytest.raises(ValueError, match="2-D grid"):
        max_pool_with_winners(np.zeros(3), 2)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        max_pool_with_winners(LECTURE_POOL_INPUT, 2, 0)


# --- average and adaptive pooling, grouped and transposed convolution ----------------------------


def test_lecture_average_pool_example():
    pooled = avg_pool_with_windows(LECTURE_POOL_INPUT, 2)
    assert pooled.output.tolist() == [[3.25, 5.25], [2.0, 2.0]]
    assert pooled.windows[1][0] == (2, 4, 0, 2) and pooled.divisors.tolist() == [[4, 4], [4, 4]]


@settings(max_examples=50, deadline=None)
@given(
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    ceil_mode=st.booleans(),
    count_include_pad=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_average_pool_matches_pytorch(h, w, kernel, stride, padding, ceil_mode, count_include_pad, seed):
    values = np.random.default_rng(seed).integers(-9, 10, (h, w)).astype(np.float64)
    settings_ = dict(stride=stride, padding=padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    if kernel > min(h, w) + 2 * padding:  # torch's ceil_mode takes it; the lessons refuse a window that never fits
        with pytest.raises(ValueError, match="does not fit"):
            avg_pool_with_windows(values, kernel, **settings_)
        return
    try:
        expected = nn.functional.avg_pool2d(torch.from_numpy(values)[None, None], kernel, **settings_)[0, 0]
    except RuntimeError:
        with pytest.raises(ValueError):
            avg_pool_with_windows(values, kernel, **settings_)
        return
    pooled = avg_pool_with_windows(values, kernel, **settings_)
    np.testing.assert_allclose(pooled.output, expected.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pooled.sums / pooled.divisors, pooled.output)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.integers(1, 8))
def test_adaptive_windows_match_pytorch(size, output):
    values = torch.arange(float(size)) ** 2  # distinct values: any wrong window changes a mean
    expected = nn.functional.adaptive_avg_pool1d(values[None, None], output)[0, 0]
    means = [values[a:b].mean() for a, b in adaptive_pool_windows(size, output)]
    torch.testing.assert_close(torch.stack(means), expected)


def test_global_pooling_is_one_window():
    assert adaptive_pool_windows(7, 1) == [(0, 7)]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 10_000))
def test_grouped_channels_match_conv2d_weights(groups, per_in, per_out, seed):
    in_channels, out_channels = groups * per_in, groups * per_out
    reads = grouped_input_channels(in_channels, out_channels, groups)
    # Oracle: an input channel influences filter j exactly when it is in j's list.
    layer = nn.Conv2d(in_channels, out_channels, 1, groups=groups, bias=False)
    nn.init.constant_(layer.weight, 1.0)
    for channel in range(in_channels):
        x = torch.zeros(1, in_channels, 1, 1)
        x[0, channel] = 1.0
        touched = layer(x)[0, :, 0, 0].nonzero().flatten().tolist()
        assert touched == [j for j in range(out_channels) if channel in reads[j]]
    assert all(len(r) == per_in for r in reads)


def test_depthwise_filters_read_one_channel_each():
    assert grouped_input_channels(3, 6, 3) == [[0], [0], [1], [1], [2], [2]]
    with pytest.raises(ValueError, match=r"input channels \(3\) must divide by groups \(2\)"):
        grouped_input_channels(3, 4, 2)


def test_conv_arithmetic_figure_transposed_geometry():
    # Dumoulin & Visin, figure 4.5-ish: 3x3 input, 3x3 kernel, stride 2, no padding -> 7x7 output.
    diagram = transposed_conv_diagram(np.ones((3, 3)), np.ones((3, 3)), stride=2)
    assert (diagram.rows.pad_before, diagram.rows.pad_after, diagram.rows.spread) == (2, 2, 5)
    assert diagram.spread_input.shape == (9, 9) and diagram.output.shape == (7, 7)
    assert diagram.rows.positions == [2, 4, 6]
    assert diagram.spread_input[2, :].tolist() == [0, 0, 1, 0, 1, 0, 1, 0, 0]
    assert diagram.taps(0, 0)[:3] == [(0, 0), (0, 1), (0, 2)]


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 5),
    w=st.integers(1, 5),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 4),
    output_padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_transposed_diagram_equals_conv_transpose2d(h, w, kh, kw, stride, padding, output_padding, dilation, seed):
    rng = np.random.default_rng(seed)
    values, kernel = rng.integers(-9, 10, (h, w)).astype(np.float64), rng.integers(-9, 10, (kh, kw)).astype(np.float64)
    settings_ = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    try:
        expected = nn.functional.conv_transpose2d(
            torch.from_numpy(values)[None, None], torch.from_numpy(kernel)[None, None], **settings_
        )[0, 0].numpy()
    except RuntimeError:  # torch refuses: so must we
        expected = np.zeros((0, 0))
    if expected.size == 0:  # refused, or an empty output from torch's dilated kernel: we refuse both
        with pytest.raises(ValueError):
            transposed_conv_diagram(values, kernel, **settings_)
        return
    diagram = transposed_conv_diagram(values, kernel, **settings_)
    np.testing.assert_array_equal(diagram.output, expected)  # integers: exact, not approximately
    for i, row in enumerate(diagram.rows.positions):
        for j, col in enumerate(diagram.cols.positions):
            if 0 <= row < diagram.spread_input.shape[0] and 0 <= col < diagram.spread_input.shape[1]:
                assert diagram.spread_input[row, col] == values[i, j]
    assert diagram.spread_input.sum() == values.sum() or padding > dilation * (min(kh, kw) - 1)  # only crops lose


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 4),
    w=st.integers(1, 4),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 3),
    output_padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    seed=st.integers(0, 10_000),
)
def test_the_transposed_window_grid_slides_to_torchs_output(
    h, w, kernel, stride, padding, output_padding, dilation, seed
):
    """The page's and the GIF's picture: the flipped kernel, stride 1, over the grid's cells, is torch's output."""
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 10, (h, w)).astype(np.float64)  # no zeros: an input cell is told from an inserted zero
    weights = rng.integers(-9, 10, (kernel, kernel)).astype(np.float64)
    options = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    try:
        diagram = transposed_conv_diagram(values, weights, **options)
        window = transposed_window_grid(diagram)
    except ValueError:
        return  # refusals are tested above
    expected = nn.functional.conv_transpose2d(
        torch.from_numpy(values)[None, None], torch.from_numpy(weights)[None, None], **options
    )[0, 0].numpy()
    grid = window.grid
    assert grid.output_hw == expected.shape
    padded = np.pad(
        window.values, ((grid.rows.pad_before, grid.rows.pad_after), (grid.cols.pad_before, grid.cols.pad_after))
    )
    flipped = diagram.flipped_kernel
    for r in range(expected.shape[0]):
        for c in range(expected.shape[1]):
            taps = grid.taps(r, c)
            total = sum(padded[i, j] * flipped[k // kernel, k % kernel] for k, (i, j) in enumerate(taps))
            assert total == expected[r, c]
    assert (window.values[window.inserted] == 0).all() and (window.values[~window.inserted] > 0).all()
    if stride == 1:
        assert not window.inserted.any()


def test_the_transposed_window_of_the_conv_arithmetic_figure():
    # 3 x 3 input, 3 x 3 kernel, stride 2, padding 1: spread to 5 x 5, padded by 1, a 5 x 5 output.
    window = transposed_window_grid(transposed_conv_diagram(np.arange(1, 10).reshape(3, 3), np.ones((3, 3)), 2, 1))
    assert window.values.shape == (5, 5) and window.grid.output_hw == (5, 5)
    assert (window.grid.rows.pad_before, window.grid.rows.pad_after, window.grid.rows.padded) == (1, 1, 7)
    assert window.inserted.sum() == 25 - 9
    assert window.values[0].tolist() == [1, 0, 2, 0, 3]
    assert window.grid.rows.output == 5
    formula = transposed_conv_diagram(np.ones((3, 3)), np.ones((3, 3)), 2, 1).rows.formula
    assert formula.endswith("= (3 − 1)·2 − 2·1 + 1·(3 − 1) + 0 + 1 = 5")


def test_a_crop_that_leaves_no_input_cell_is_refused_in_a_sentence():
    diagram = transposed_conv_diagram(np.ones((1, 1)), np.ones((1, 1)), stride=3, padding=1, output_padding=2)
    assert diagram.output.shape == (1, 1)  # torch agrees: one cell of output_padding's zeros
    with pytest.raises(ValueError, match="crops away every input cell"):
        transposed_window_grid(diagram)


def test_global_pooling_grid_reads_every_cell_once():
    grid = whole_input_grid(3, 5)
    assert grid.output_hw == (1, 1)
    assert sorted(grid.taps(0, 0)) == [(i, j) for i in range(3) for j in range(5)]


def test_doctests_pass():
    import doctest

    import cnnviz.windows

    assert doctest.testmod(cnnviz.windows).failed == 0
