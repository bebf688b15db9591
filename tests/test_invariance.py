"""cnnviz.invariance: whole-pixel shifts and how predictions follow them."""

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import load_mnist
from cnnviz.epoch import evaluate
from cnnviz.invariance import accuracy_vs_shift, shift_image, shift_offsets, shift_response
from cnnviz.models import build_model

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model("convnet").eval()


@settings(max_examples=80, deadline=None)
@given(dx=st.integers(-27, 27), dy=st.integers(-27, 27), seed=st.integers(0, 1000))
def test_shift_matches_scipy(dx, dy, seed):
    image = torch.rand(28, 28, generator=torch.Generator().manual_seed(seed))
    expected = ndimage.shift(image.numpy(), (dy, dx), order=0, mode="constant", cval=0.0)
    np.testing.assert_array_equal(shift_image(image, dx, dy).numpy(), expected)


def test_shift_keeps_batch_axes_and_dtype():
    images = torch.randint(0, 256, (3, 1, 28, 28), dtype=torch.uint8)
    moved = shift_image(images, 2, -1)
    assert moved.shape == images.shape and moved.dtype == torch.uint8
    assert torch.equal(moved[:, :, :27, 2:], images[:, :, 1:, :26])
    assert torch.equal(shift_image(images, 0, 0), images)


@pytest.mark.parametrize(
    ("dx", "dy", "message"),
    [
        (28, 0, "shift dx of 28 pixels moves the whole image out of its 28-pixel frame"),
        (0, -30, "shift dy of -30 pixels"),
        (1.5, 0, "dx must be a whole number"),
    ],
)
def test_shift_errors(dx, dy, message):
    with pytest.raises(ValueError, match=message):
        shift_image(torch.zeros(28, 28), dx, dy)


def test_shift_offsets():
    assert shift_offsets(2, "x") == [(-2, 0), (-1, 0), (0, 0), (1, 0), (2, 0)]
    assert shift_offsets(1, "y") == [(0, -1), (0, 0), (0, 1)]
    grid = shift_offsets(1, "xy")
    assert len(grid) == 9 and grid[1] == (0, -1) and grid[3] == (-1, 0)  # [dy, dx] row by row
    with pytest.raises(ValueError, match="axis must be"):
        shift_offsets(2, "z")
    with pytest.raises(ValueError, match="maximum shift must be at least 0"):
        shift_offsets(-1)


def test_shift_response_equals_one_forward_per_shift(model):
    image = load_mnist("test")[0][0]
    shifts = shift_offsets(3, "x")
    response = shift_response(model, image, shifts, target=7)
    assert response.probabilities.shape == (7, 10) and response.shifts.shape == (7, 2)
    np.testing.assert_allclose(response.probabilities.sum(1), 1, rtol=1e-5)
    for i, (dx, dy) in enumerate(shifts):
        x = shift_image(image.float() / 255, dx, dy)[None, None]
        with torch.no_grad():
            expected = torch.softmax(model(x), 1)[0].numpy()
        np.testing.assert_allclose(response.probabilities[i], expected, atol=1e-5)
    assert response.target_probability.shape == (7,)
    np.testing.assert_array_equal(response.predicted, response.probabilities.argmax(1))


def test_shift_response_follows_the_unshifted_prediction_by_default(model):
    image = torch.rand(28, 28)
    response = shift_response(model, image, [(0, 0), (2, 2)])
    assert response.target == response.predicted[0]


def test_shift_response_errors(model):
    with pytest.raises(ValueError, match="at least one shift"):
        shift_response(model, torch.rand(28, 28), [])
    with pytest.raises(ValueError, match="one digit"):
        shift_response(model, torch.rand(2, 28, 28), [(0, 0)])


def test_accuracy_at_no_shift_is_the_plain_accuracy(model):
    images, labels = load_mnist("test")
    images, labels = images[:300], labels[:300]
    accuracy = accuracy_vs_shift(model, images, labels, [(0, 0), (3, 0)], batch_size=128)
    assert accuracy[0] == pytest.approx(evaluate(model, (images, labels), device="cpu")["top1"])
    with pytest.raises(ValueError, match="as many labels"):
        accuracy_vs_shift(model, images, labels[:5], [(0, 0)])


@pytest.mark.skipif(
    not (ASSETS / "mnist_dense.pt").is_file() or not (ASSETS / "mnist_convnet.pt").is_file(),
    reason="the shipped checkpoints are not in assets/",
)
def test_the_shipped_convnet_copes_with_shifts_better_than_the_dense_baseline():
    images, labels = load_mnist("test")
    images, labels = images[:1000], labels[:1000]
    shifts = [(4, 0), (-4, 0), (0, 4), (0, -4)]
    convnet = accuracy_vs_shift(load_checkpoint(ASSETS / "mnist_convnet.pt")[0], images, labels, shifts)
    dense = accuracy_vs_shift(load_checkpoint(ASSETS / "mnist_dense.pt")[0], images, labels, shifts)
    assert convnet.mean() > dense.mean() + 0.1


def test_relative_change_is_the_l2_distance_over_the_first_outputs_norm():
    from cnnviz.invariance import relative_change

    before, after = np.array([[3.0, 0.0], [0.0, 4.0]]), np.array([[0.0, 3.0], [0.0, 4.0]])
    assert relative_change(before, after) == pytest.approx(np.sqrt(18) / 5)
    assert relative_change(before, before) == 0.0
    assert relative_change(np.zeros(3), np.ones(3)) == pytest.approx(np.sqrt(3))  # no norm to divide by: 1
    with pytest.raises(ValueError, match="one shape"):
        relative_change(np.zeros(3), np.zeros(4))
