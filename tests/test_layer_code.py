"""cnnviz.layer_code: the generated PyTorch lines are run, and their output shapes equal cnnviz.shapes' formulas."""

from __future__ import annotations

import doctest

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import cnnviz.layer_code
from cnnviz.layer_code import (
    avg_pool_code,
    conv_code,
    conv_transpose_code,
    global_avg_pool_code,
    max_pool_code,
)
from cnnviz.shapes import conv_output_size, pool_output_size, transposed_conv_output_size


def run(line: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Evaluate a generated line with ``nn`` = torch.nn, as a student pasting it would, and run it."""
    layer = eval(line, {"nn": nn})  # noqa: S307 - the point of the test is to execute the generated code
    return tuple(layer(torch.zeros(1, *shape)).shape[1:])


def test_lecture_lines():
    code = conv_code(3, 32, 3, stride=2, padding=1)
    assert code.pytorch == "nn.Conv2d(3, 32, kernel_size=3, stride=2, padding=1, groups=1)"
    assert code.keras == 'layers.ZeroPadding2D(1)\nlayers.Conv2D(32, 3, strides=2, padding="valid")'
    assert conv_code(1, 32, 3, padding=1).keras == 'layers.Conv2D(32, 3, padding="same")'
    assert conv_code(1, 32, 3).keras == 'layers.Conv2D(32, 3, padding="valid")'
    assert conv_code(1, 4, 3, bias=False).pytorch.endswith("groups=1, bias=False)")
    assert conv_code(16, 32, 3, padding=1, groups=16).keras == (
        'layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)'
    )
    assert conv_code(8, 8, 3, groups=2).keras == 'layers.Conv2D(8, 3, padding="valid", groups=2)'
    assert global_avg_pool_code().pytorch == "nn.AdaptiveAvgPool2d(1)"
    assert max_pool_code(2).keras == "layers.MaxPooling2D(pool_size=2)"
    assert conv_code(1, 2, 5, dims=1).pytorch == "nn.Conv1d(1, 2, kernel_size=5, stride=1, padding=0, groups=1)"
    assert conv_code(1, 2, 5, padding=2, dims=1).keras == 'layers.Conv1D(2, 5, padding="same")'


def test_where_keras_has_no_exact_spelling_it_says_why():
    assert conv_code(1, 1, 3, stride=2, dilation=2).keras is None
    assert "stride above 1 together with a dilation" in conv_code(1, 1, 3, stride=2, dilation=2).note
    assert max_pool_code(3, padding=1).keras is None and "pads max pooling differently" in max_pool_code(3, 2, 1).note
    assert avg_pool_code(2, ceil_mode=True).keras is None
    assert avg_pool_code(3, 1, 1, count_include_pad=False).keras is None
    assert conv_transpose_code(4, 4, 3, groups=2).keras is None
    assert conv_transpose_code(1, 1, 3, stride=1, output_padding=1, dilation=2).keras is None


def test_refusals_are_sentences():
    with pytest.raises(ValueError, match=r"input channels \(3\) must divide by groups \(2\)"):
        conv_code(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="output_padding must be smaller than the stride"):
        conv_transpose_code(1, 1, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding='same' works with stride 1 only"):
        conv_code(1, 1, 3, stride=2, padding="same")


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(1, 16),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.one_of(st.integers(0, 3), st.just("same"), st.just("valid")),
    dilation=st.integers(1, 2),
    groups=st.integers(1, 3),
    per_group=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    dims=st.sampled_from([1, 2]),
)
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_conv_code_runs_and_gives_the_formula_shape(size, kernel, stride, padding, dilation, groups, per_group, dims):
    c_in, c_out = groups * per_group[0], groups * per_group[1]
    if padding == "same" and stride > 1:
        with pytest.raises(ValueError):
            conv_code(c_in, c_out, kernel, stride, padding, dilation, groups, dims=dims)
        return
    code = conv_code(c_in, c_out, kernel, stride, padding, dilation, groups, dims=dims)
    try:
        expected = conv_output_size(size, kernel, stride, padding, dilation)
    except ValueError:  # the kernel does not fit: torch refuses too
        with pytest.raises(RuntimeError):
            run(code.pytorch, (c_in, *(size,) * dims))
        return
    assert run(code.pytorch, (c_in, *(size,) * dims)) == (c_out, *(expected,) * dims)


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(1, 8),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 3),
    output_padding=st.integers(0, 2),
    dilation=st.integers(1, 2),
    groups=st.integers(1, 2),
)
def test_transposed_code_runs_and_gives_the_formula_shape(
    size, kernel, stride, padding, output_padding, dilation, groups
):
    try:
        expected = transposed_conv_output_size(size, kernel, stride, padding, output_padding, dilation)
    except ValueError:
        return  # refusals are compared with torch in test_shapes
    code = conv_transpose_code(2 * groups, 3 * groups, kernel, stride, padding, output_padding, dilation, groups)
    assert run(code.pytorch, (2 * groups, size, size)) == (3 * groups, expected, expected)


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(1, 12),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    ceil_mode=st.booleans(),
    count_include_pad=st.booleans(),
)
def test_pool_code_runs_and_gives_the_formula_shape(size, kernel, stride, padding, ceil_mode, count_include_pad):
    try:
        expected = pool_output_size(size, kernel, stride, padding, ceil_mode)
    except ValueError:
        return  # refusals are compared with torch in test_shapes
    avg = avg_pool_code(kernel, stride, padding, ceil_mode, count_include_pad)
    assert run(avg.pytorch, (2, size, size)) == (2, expected, expected)
    assert run(max_pool_code(kernel, stride, padding, ceil_mode).pytorch, (2, size, size)) == (2, expected, expected)
    assert run(global_avg_pool_code().pytorch, (2, size, size)) == (2, 1, 1)


def test_doctests_pass():
    assert doctest.testmod(cnnviz.layer_code).failed == 0
