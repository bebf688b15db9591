"""cnnviz.shapes: output sizes and parameter counts against real PyTorch layers and the TensorFlow rule."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from cnnviz.shapes import (
    conv_output_size,
    conv_params,
    dense_params,
    explain_conv,
    parse_padding,
    pool_output_size,
    same_padding,
    transposed_conv_output_size,
)


def test_lecture_numbers():
    assert conv_output_size(28, 3) == 26
    assert pool_output_size(26, 2) == 13
    assert conv_params(3, 1, 32) == 320
    assert conv_params(3, 32, 64) == 18_496
    assert dense_params(576, 64) == 36_928
    assert dense_params(64, 10) == 650


def test_same_and_valid():
    assert conv_output_size(28, 3, padding="same") == 28
    assert conv_output_size(28, 3, stride=2, padding="same") == 14
    assert conv_output_size(28, 3, padding="valid") == 26
    assert same_padding(28, 3) == (1, 1)
    assert same_padding(28, 4) == (1, 2)  # odd total: the extra pixel goes at the end


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 7),
    stride=st.integers(1, 5),
    padding=st.integers(0, 4),
    dilation=st.integers(1, 3),
)
def test_conv_matches_pytorch(size, kernel, stride, padding, dilation):
    effective = dilation * (kernel - 1) + 1
    if effective > size + 2 * padding:
        with pytest.raises(ValueError, match="larger than the padded input"):
            conv_output_size(size, kernel, stride, padding, dilation)
        return
    layer = nn.Conv2d(1, 1, kernel, stride, padding, dilation)
    out = layer(torch.zeros(1, 1, size, size))
    assert conv_output_size(size, kernel, stride, padding, dilation) == out.shape[-1]


@settings(max_examples=100, deadline=None)
@given(size=st.integers(1, 60), kernel=st.integers(1, 7), stride=st.integers(1, 5), dilation=st.integers(1, 3))
def test_same_is_tensorflow_rule_and_really_reachable(size, kernel, stride, dilation):
    out = conv_output_size(size, kernel, stride, "same", dilation)
    assert out == math.ceil(size / stride)
    before, after = same_padding(size, kernel, stride, dilation)
    assert 0 <= after - before <= 1
    # Padding with exactly those zeros, a real conv gives the 'same' size.
    x = nn.functional.pad(torch.zeros(1, 1, size, size), (before, after, before, after))
    assert nn.Conv2d(1, 1, kernel, stride, 0, dilation)(x).shape[-1] == out


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 6),
    stride=st.integers(1, 5),
    padding=st.integers(0, 3),
    ceil_mode=st.booleans(),
    dilation=st.integers(1, 2),
)
def test_pool_matches_pytorch(size, kernel, stride, padding, ceil_mode, dilation):
    effective = dilation * (kernel - 1) + 1
    if padding > kernel // 2 or effective > size + 2 * padding:
        with pytest.raises(ValueError):
            pool_output_size(size, kernel, stride, padding, ceil_mode, dilation)
        return
    pool = nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
    out = pool(torch.zeros(1, 1, size, size))
    assert pool_output_size(size, kernel, stride, padding, ceil_mode, dilation) == out.shape[-1]
    if dilation == 1:
        avg = nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
        assert avg(torch.zeros(1, 1, size, size)).shape[-1] == out.shape[-1]


def test_explain_formula_and_leftover():
    e = explain_conv(28, 3)
    assert e.output == 26 and e.effective_kernel == 3 and e.leftover == 0
    assert "floor((28 − 3 + 2·0) / 1) + 1" in e.formula and e.formula.endswith("= 26")
    e = explain_conv(7, 3, stride=3)  # windows at 0 and 3 cover 0..5: pixel 6 is never read
    assert e.output == 2 and e.leftover == 1 and e.unused_input == 1
    e = explain_conv(7, 3, stride=2, dilation=2)
    assert e.effective_kernel == 5 and "F_eff = d·(F − 1) + 1 = 2·(3 − 1) + 1 = 5" in e.formula
    e = explain_conv(6, 3, stride=2, padding="same")  # pads 0 before, 1 after; 7 - 3 = 4: no leftover
    assert (e.pad_before, e.pad_after, e.output, e.leftover) == (0, 1, 3, 0)


def test_leftover_in_padding_is_not_unused_input():
    e = explain_conv(6, 3, stride=2, padding=1)  # padded 8, span 5, leftover 1: that pixel is padding
    assert e.leftover == 1 and e.unused_input == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((28, 3, 0), "stride must be at least 1, got 0"),
        ((28, 0), "kernel size must be at least 1, got 0"),
        ((28, 3, 1, -1), "padding must be at least 0, got -1"),
        ((28, 3, 1, 0, 0), "dilation must be at least 1, got 0"),
        ((0, 3), "input size must be at least 1"),
        ((5, 7), "larger than the padded input"),
        ((5, 3, 1, 0, 3), "7 px with dilation 3"),
        ((28, 2.5), "kernel size must be a whole number, got 2.5"),
        ((28, 3, 1, "banana"), "padding must be a number of pixels, 'valid' or 'same'"),
        ((28, 3, 1, "Full"), "'full' padding is not a PyTorch layer setting: it is P = F - 1"),  # Kernels offers it
        ((float("nan"), 3), "input size must be a whole number"),
    ],
)
def test_errors_name_the_parameter(args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explain_conv(*args)


def test_pool_errors():
    with pytest.raises(ValueError, match="at most half the window"):
        pool_output_size(10, 2, padding=2)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        pool_output_size(10, 2, stride=0)


def test_parse_padding():
    assert parse_padding(" Same ") == "same"
    assert parse_padding("2") == 2
    assert parse_padding(3.0) == 3
    with pytest.raises(ValueError, match="at least 0"):
        parse_padding("-1")


def test_huge_input_is_arithmetic_only():
    assert conv_output_size(10_000, 3) == 9_998
    assert conv_output_size(10**9, 3, 2, "same") == 5 * 10**8
    with pytest.raises(ValueError, match="input size must be at most 1,000,000,000"):  # a billion px is the limit
        conv_output_size(10**12, 3)


@given(st.integers(0, 400), st.integers(1, 60))
def test_divisors_below_match_brute_force(span, stride):
    from cnnviz.shapes import divisors_below

    brute = [s for s in range(1, stride) if span % s == 0]
    assert divisors_below(span, stride) == (brute[-2:] if span == 0 else brute)


@given(st.integers(-20, 400), st.integers(0, 6), st.integers(1, 60))
def test_padding_that_fits_matches_brute_force(bare, pad_before, stride):
    from cnnviz.shapes import padding_that_fits

    brute = next((p for p in range(pad_before + 1, pad_before + stride + 1) if (bare + 2 * p) % stride == 0), None)
    assert padding_that_fits(bare, pad_before, stride) == brute


def test_huge_strides_are_answered_at_once():
    from cnnviz.shapes import divisors_below, padding_that_fits

    assert padding_that_fits(7, 0, 10**9) is None  # odd W - F, even stride: no symmetric padding fits
    assert padding_that_fits(8, 0, 10**9) == 499_999_996  # 8 + 2 * 499,999,996 = 10^9
    assert divisors_below(10**12, 10**9)[-2:] == [800_000_000, 976_562_500]


# --- transposed convolution, groups, doctests --------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    size=st.integers(1, 12),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 6),
    output_padding=st.integers(0, 4),
    dilation=st.integers(1, 3),
)
def test_transposed_matches_pytorch_and_its_refusals(size, kernel, stride, padding, output_padding, dilation):
    layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding, dilation=dilation)
    try:  # on the CPU: the "meta" device skips torch's output_padding check
        expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
    except RuntimeError as exc:  # torch refuses: so must we, with the same reason
        reason = "output_padding must be smaller" if "output padding" in str(exc) else "the output would be"
        with pytest.raises(ValueError, match=reason):
            transposed_conv_output_size(size, kernel, stride, padding, output_padding, dilation)
        return
    if expected < 1:  # some of torch's kernels (dilated ones) return an empty tensor where others refuse: we refuse
        with pytest.raises(ValueError, match="the output would be 0 px"):
            transposed_conv_output_size(size, kernel, stride, padding, output_padding, dilation)
        return
    assert transposed_conv_output_size(size, kernel, stride, padding, output_padding, dilation) == expected


def test_transposed_refusals_are_sentences():
    with pytest.raises(ValueError, match=r"output_padding must be smaller than the stride \(2\) or the dilation"):
        transposed_conv_output_size(4, 3, stride=2, output_padding=2)
    assert transposed_conv_output_size(4, 3, stride=1, output_padding=1, dilation=2) == 9  # smaller than dilation
    with pytest.raises(ValueError, match="the output would be -4 px: padding 3 crops 6 px from the 2 px"):
        transposed_conv_output_size(2, 1, padding=3)


@settings(max_examples=50, deadline=None)
@given(
    groups=st.integers(1, 4),
    per_in=st.integers(1, 4),
    per_out=st.integers(1, 4),
    kernel=st.integers(1, 5),
    bias=st.booleans(),
    transposed=st.booleans(),
)
def test_grouped_params_match_pytorch(groups, per_in, per_out, kernel, bias, transposed):
    make = nn.ConvTranspose2d if transposed else nn.Conv2d
    layer = make(groups * per_in, groups * per_out, kernel, groups=groups, bias=bias, device="meta")
    expected = sum(p.numel() for p in layer.parameters())
    assert conv_params(kernel, groups * per_in, groups * per_out, bias, groups) == expected


@settings(max_examples=50, deadline=None)
@given(in_channels=st.integers(1, 12), out_channels=st.integers(1, 12), groups=st.integers(1, 12))
def test_groups_that_do_not_divide_are_refused_like_pytorch(in_channels, out_channels, groups):
    try:
        nn.Conv2d(in_channels, out_channels, 3, groups=groups, device="meta")
    except ValueError:
        with pytest.raises(ValueError, match=r"channels \(\d+\) must divide by groups"):
            conv_params(3, in_channels, out_channels, groups=groups)
        return
    assert conv_params(3, in_channels, out_channels, groups=groups) > 0


def test_depthwise_and_1x1_params():
    assert conv_params(3, 32, 32, groups=32) == 32 * (9 + 1)
    assert conv_params(1, 32, 64) == (32 + 1) * 64
    assert conv_params((5,), 2, 4) == nn.Conv1d(2, 4, 5).weight.numel() + 4


def test_shapes_doctests_pass():
    import doctest

    import cnnviz.shapes

    result = doctest.testmod(cnnviz.shapes)
    assert result.attempted >= 8 and result.failed == 0


def test_shapes_no_longer_offers_summarize():
    import cnnviz.shapes

    assert not hasattr(cnnviz.shapes, "summarize")
