"""network_strip in rows: the layers wrapped into rows of about equal width, in order, lines kept inside a row."""

import itertools

import numpy as np
import pytest
import torch

from cnnviz.models import build_model
from cnnviz.network_strip import LINK, Part, _split_rows, network_strip
from cnnviz.render import MARK
from cnnviz.unit_paths import trace_unit


@pytest.mark.parametrize("rows", [1, 2, 3])
@pytest.mark.parametrize("widths", [[196, 110, 110, 100, 136, 160, 160, 40, 190], [5, 1, 1, 1, 5], [7, 7]])
def test_rows_are_cut_in_order_with_the_widest_row_as_narrow_as_a_brute_force_finds(widths, rows):
    lines = _split_rows(widths, rows)
    assert [i for line in lines for i in line] == list(range(len(widths)))  # every layer once, in order
    assert len(lines) == min(rows, len(widths)) and all(lines)
    best = min(
        max(sum(widths[a:b]) for a, b in itertools.pairwise((0, *cuts, len(widths))))
        for cuts in itertools.combinations(range(1, len(widths)), len(lines) - 1)
    )
    widest = max(sum(widths[i] for i in line) for line in lines)
    assert widest <= best + max(widths)  # a greedy cut is off the best by at most one layer


def test_two_rows_make_a_narrower_taller_strip_with_the_trace_still_drawn():
    torch.manual_seed(0)
    model = build_model("convnet").eval()
    image = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    with torch.no_grad():
        outputs = dict(model.forward_layers(torch.from_numpy(image)[None, None]))
    names = ["conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "fc2"]
    layers = [("input", image[None])] + [(n, outputs[n][0].numpy()) for n in names]
    probs = torch.softmax(outputs["fc2"][0], 0).numpy()
    steps = trace_unit(model, image, "conv2", (5, 4, 7))
    trace = {
        (s.layer or "input"): Part(
            s.channels, None if s.rows is None else s.spans[0], None if s.cols is None else s.spans[1]
        )
        for s in steps
    }
    one = network_strip(layers, probs, trace=trace, unit_layer="conv2", height=160, font_px=28)
    two = network_strip(layers, probs, trace=trace, unit_layer="conv2", height=160, font_px=28, rows=2)
    assert two.shape[1] < 0.65 * one.shape[1] and two.shape[0] > 1.8 * one.shape[0]
    assert (two == MARK).all(axis=2).any() and (two == LINK).all(axis=2).any()
    with pytest.raises(ValueError, match="at least one row"):
        network_strip(layers, rows=0)
