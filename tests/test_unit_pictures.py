"""unit_pictures and network_strip: the pictures of one unit's computation and of the whole network."""

import numpy as np
import pytest
import torch

from cnnviz.models import build_model
from cnnviz.network_strip import LINK, Part, display_limit, network_strip
from cnnviz.render import MARK, diverging_rgb
from cnnviz.unit_paths import trace_unit
from cnnviz.unit_pictures import marked, numbered_pairs, pair_grid, plain, signed, vector_grid
from cnnviz.units import explain_unit


@pytest.fixture(scope="module")
def conv2_unit():
    torch.manual_seed(0)
    model = build_model("convnet").eval()
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    return model, image, explain_unit(model, image, "conv2", (5, 4, 7))


def test_numbers_read_with_a_real_minus_and_no_negative_zero():
    assert signed(0.254) == "+0.25" and signed(-1.026) == "−1.03" and signed(-0.001) == "0.00"
    assert plain(-0.5) == "−0.50" and plain(-0.004) == "0.00" and plain(2.0, 3) == "2.000"


def test_pair_grid_draws_one_tile_per_channel_with_the_window_in_its_shared_colours(conv2_unit):
    _, _, e = conv2_unit
    grid = pair_grid(e.inputs, e.weights, e.partial_sums, e.order, e.channels, columns=4)
    assert grid.dtype == np.uint8 and grid.ndim == 3
    one = pair_grid(e.inputs, e.weights, e.partial_sums, e.order[:1], e.channels, columns=4)
    eight = pair_grid(e.inputs, e.weights, e.partial_sums, e.order[:8], e.channels, columns=4)
    assert grid.shape[0] > eight.shape[0] > one.shape[0] and grid.shape[1] == eight.shape[1]  # 8 rows, 2 rows
    # The first tile's window: its top-left cell (inside the grid line) has the colour of that input value.
    strongest = e.inputs[e.order[0]]
    colours, _ = diverging_rgb(strongest, float(np.abs(e.inputs).max()))
    found = (grid == colours[0, 0]).all(axis=2)
    assert found.any()
    with pytest.raises(ValueError, match="one partial sum per channel"):
        pair_grid(e.inputs, e.weights[:3], e.partial_sums, e.order, e.channels)
    with pytest.raises(ValueError, match="at least one column"):
        pair_grid(e.inputs, e.weights, e.partial_sums, e.order, e.channels, columns=0)


def test_numbered_pairs_grow_with_the_pairs_and_refuse_nothing_to_show(conv2_unit):
    _, _, e = conv2_unit
    two = numbered_pairs(e.inputs, e.weights, e.partial_sums, e.order, e.channels, count=2)
    four = numbered_pairs(e.inputs, e.weights, e.partial_sums, e.order, e.channels, count=4)
    assert four.shape[1] == two.shape[1] and four.shape[0] - 8 == pytest.approx(2 * (two.shape[0] - 8), abs=2)
    with pytest.raises(ValueError, match="at least one pair"):
        numbered_pairs(e.inputs, e.weights, e.partial_sums, e.order, e.channels, count=0)


def test_marked_boxes_exactly_the_rows_and_columns_asked():
    rgb = np.full((10, 20, 3), 255, np.uint8)
    big = marked(rgb, ((2, 3), (5, 9)), side=200)  # scale 10
    assert big.shape == (100, 200, 3)
    red = (big == MARK).all(axis=2)
    rows, cols = np.nonzero(red)
    assert rows.min() >= 19 and rows.max() <= 40 and cols.min() >= 49 and cols.max() <= 100
    assert not red[30, 70]  # inside the box stays as it was
    assert not (marked(rgb, None, side=200) == MARK).all(axis=2).any()
    with pytest.raises(ValueError, match="not inside a 10 x 20 map"):
        marked(rgb, ((2, 10), (0, 1)))


def test_vector_grid_keeps_the_order_and_pads_with_nan():
    grid = vector_grid(np.arange(10), columns=4)
    assert grid.shape == (3, 4) and grid[2, 1] == 9 and np.isnan(grid[2, 2:]).all()
    assert grid[1, 0] == 4  # value j at row j // 4, column j % 4


def test_display_limit_is_the_percentile_of_the_non_zero_values():
    values = np.concatenate([np.zeros(1000), np.linspace(0.01, 1, 200), [50.0]])
    nonzero = np.abs(values[values != 0])
    assert display_limit(values) == pytest.approx(np.percentile(nonzero, 99.5))
    assert display_limit(np.zeros(5)) == 1.0


def test_the_strip_draws_every_layer_and_the_trace_of_a_unit(conv2_unit):
    model, image, _ = conv2_unit
    with torch.no_grad():
        outputs = dict(model.forward_layers(torch.from_numpy(image)[None, None]))
    names = ["conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "fc2"]
    layers = [("input", image[None])] + [(n, outputs[n][0].numpy()) for n in names]
    probs = torch.softmax(outputs["fc2"][0], 0).numpy()
    plain_strip = network_strip(layers, probs)
    assert plain_strip.ndim == 3 and plain_strip.shape[1] > plain_strip.shape[0]
    assert not (plain_strip == MARK).all(axis=2).any()
    steps = trace_unit(model, image, "conv2", (5, 4, 7))
    trace = {
        (s.layer or "input"): Part(
            s.channels, None if s.rows is None else s.spans[0], None if s.cols is None else s.spans[1]
        )
        for s in steps
    }
    traced = network_strip(layers, probs, trace=trace, unit_layer="conv2")
    assert traced.shape == plain_strip.shape
    assert (traced == MARK).all(axis=2).any() and (traced == LINK).all(axis=2).any()
    with pytest.raises(ValueError, match="at least one layer"):
        network_strip([])
    with pytest.raises(ValueError, match="maps \\(C, H, W\\) or a vector"):
        network_strip([("odd", np.zeros((2, 2)))])
