"""cnnviz.separable: a depthwise-separable block against a full convolution, counted on real torch layers."""

from __future__ import annotations

import doctest

from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import cnnviz.separable
from cnnviz.separable import compare_separable


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@settings(max_examples=50, deadline=None)
@given(kernel=st.integers(1, 7), c_in=st.integers(1, 64), c_out=st.integers(1, 64), bias=st.booleans())
def test_counts_match_torch_layers(kernel, c_in, c_out, bias):
    c = compare_separable(kernel, c_in, c_out, bias)
    assert c.full == _count(nn.Conv2d(c_in, c_out, kernel, bias=bias, device="meta"))
    assert c.depthwise == _count(nn.Conv2d(c_in, c_in, kernel, groups=c_in, bias=bias, device="meta"))
    assert c.pointwise == _count(nn.Conv2d(c_in, c_out, 1, bias=bias, device="meta"))
    assert c.separable == c.depthwise + c.pointwise


def test_three_by_three_saves_about_eight_times():
    # MobileNet's figure: 1 / (1/N + 1/9) -> close to 9 for many channels, ~8x at 256.
    assert 8 < compare_separable(3, 256, 256).ratio < 9
    assert compare_separable(3, 32, 32, bias=False).ratio == 9 * 32 * 32 / (9 * 32 + 32 * 32)


def test_doctests_pass():
    assert doctest.testmod(cnnviz.separable).failed == 0
