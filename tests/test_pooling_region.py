"""pooling_region: a few windows of a real map, checked against torch's max pooling of the whole map."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.inspect import pooling_windows
from cnnviz.pooling_region import busiest_region, pooling_region
from cnnviz.window_frames import _readout, window_frames


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(4, 13),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    windows=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_the_region_pools_as_torch_pools_the_whole_map(size, kernel, stride, windows, seed, data):
    feature_map = np.random.default_rng(seed).normal(size=(size, size)).astype(np.float32)
    pooled = pooling_windows(feature_map, kernel, stride)
    out = pooled.output.shape[0]
    if windows > out:
        return
    first_row = data.draw(st.integers(0, out - windows))
    first_col = data.draw(st.integers(0, out - windows))
    region = pooling_region(pooled, feature_map, first_row, first_col, windows)
    expected, where = F.max_pool2d(torch.from_numpy(feature_map)[None, None], kernel, stride, return_indices=True)
    rows = slice(first_row, first_row + windows)
    cols = slice(first_col, first_col + windows)
    np.testing.assert_array_equal(region.outputs, expected[0, 0, rows, cols].numpy())
    # The winners, inside the region, are the cells torch took the maxima from (flat indices of the whole map).
    flat = where[0, 0, rows, cols].numpy()
    absolute = region.winners + np.array([region.top, region.left])
    np.testing.assert_array_equal(absolute[..., 0] * size + absolute[..., 1], flat)
    side = (windows - 1) * stride + kernel
    assert region.values.shape == (side, side) and region.grid.output_hw == (windows, windows)
    picked = region.values[region.winners[..., 0], region.winners[..., 1]]
    np.testing.assert_array_equal(picked, region.outputs)


def test_a_region_outside_the_pooled_map_is_refused_with_a_sentence():
    feature_map = np.arange(36, dtype=np.float32).reshape(6, 6)
    pooled = pooling_windows(feature_map, 2, 2)  # 3 x 3
    with pytest.raises(ValueError, match="do not fit in the pooled 3×3 map"):
        pooling_region(pooled, feature_map, 1, 0, 3)
    with pytest.raises(ValueError, match="at least one pooling window"):
        pooling_region(pooled, feature_map, 0, 0, 0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), height=st.integers(3, 9), width=st.integers(3, 9), windows=st.integers(1, 3))
def test_the_busiest_region_has_the_largest_sum_of_any_block(seed, height, width, windows):
    output = np.maximum(np.random.default_rng(seed).normal(size=(height, width)), 0)
    row, col = busiest_region(output, windows)
    best = max(
        output[r : r + windows, c : c + windows].sum()
        for r in range(height - windows + 1)
        for c in range(width - windows + 1)
    )
    assert output[row : row + windows, col : col + windows].sum() == pytest.approx(best)
    with pytest.raises(ValueError, match="does not fit"):
        busiest_region(output, 10)


def test_the_slides_name_the_cells_by_their_place_in_the_whole_map():
    feature_map = np.arange(26 * 26, dtype=np.float32).reshape(26, 26)
    region = pooling_region(pooling_windows(feature_map, 2, 2), feature_map, 10, 4, 3)
    offset = (region.first_row, region.first_col, region.top, region.left)
    assert _readout(region.grid, 4, offset) == "Output (11, 5) reads input rows 22 to 23 and columns 10 to 11"
    assert _readout(region.grid, 4) == "Output (1, 1) reads input rows 2 to 3 and columns 2 to 3"
    frames = window_frames(region.grid, region.values, None, region.outputs, region.winners, offset=offset)
    assert len(frames) == 9
