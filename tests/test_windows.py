"""cnnviz.windows: sliding-window taps and max-pool winners against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.windows import LECTURE_POOL_INPUT, max_pool_with_winners, window_grid, window_taps


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
