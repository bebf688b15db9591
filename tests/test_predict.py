"""predict: top-k, batched probabilities and the evaluation metrics, checked against torch and hand counts."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.models import build_model
from cnnviz.predict import (
    confusion_matrix,
    mistakes,
    per_class_accuracy,
    predict_dataset,
    probabilities,
    top_k,
    top_k_batch,
    topk_accuracy,
)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model("convnet").eval()


@pytest.fixture(scope="module")
def images():
    return torch.rand(7, 28, 28, generator=torch.Generator().manual_seed(1))


# --- smoke and shapes ----------------------------------------------------------------------------------------


def test_top_k_is_sorted_and_probabilities_sum_to_one(model, images):
    ranking = top_k(model, images[0], k=5)
    assert len(ranking) == 5 and all(isinstance(c, int) and isinstance(p, float) for c, p in ranking)
    assert [p for _, p in ranking] == sorted((p for _, p in ranking), reverse=True)
    assert len({c for c, _ in ranking}) == 5
    assert sum(p for _, p in top_k(model, images[0], k=10)) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("shape", [(28, 28), (1, 28, 28), (1, 1, 28, 28)])
def test_one_image_in_any_layout(model, images, shape):
    assert top_k(model, images[0].reshape(shape).numpy(), 3) == top_k(model, images[0], 3)


def test_batched_probabilities_match_torch_softmax(model, images):
    probs = probabilities(model, images, batch_size=3)  # 3 batches, the last one short
    assert probs.shape == (7, 10)
    with torch.no_grad():
        expected = torch.softmax(model(images[:, None]).double(), dim=1).numpy()
    np.testing.assert_allclose(probs, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_no_gradient_is_recorded(model, images):
    before = [p.grad for p in model.parameters()]
    probabilities(model, images)
    assert all(p.grad is None for p in model.parameters()) and all(b is None for b in before)


def test_predict_dataset_scales_uint8(model, images):
    pixels = (images * 255).round().to(torch.uint8)
    np.testing.assert_allclose(predict_dataset(model, pixels), probabilities(model, pixels.float() / 255), atol=1e-12)


# --- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 11, -1, 2.5, True])
def test_bad_k(model, images, k):
    with pytest.raises(ValueError, match="k must be"):
        top_k(model, images[0], k)


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (torch.rand(28, 27), "28 x 28"),
        (torch.rand(2, 3, 28, 28), "28 x 28"),
        (torch.full((28, 28), 2.0), r"\[0, 1\]"),
        (torch.full((28, 28), float("nan")), "NaN"),
        (torch.zeros(28, 28, dtype=torch.uint8), "divide by 255"),
    ],
)
def test_bad_images(model, x, message):
    with pytest.raises(ValueError, match=message):
        top_k(model, x)


def test_top_k_takes_one_image(model, images):
    with pytest.raises(ValueError, match="one image"):
        top_k(model, images)


def test_metric_errors():
    with pytest.raises(ValueError, match="no images"):
        topk_accuracy(np.zeros((0, 10)), np.zeros(0))
    with pytest.raises(ValueError, match="N labels"):
        topk_accuracy(np.zeros((3, 10)), np.zeros(2))
    with pytest.raises(ValueError, match="from 0 to 9"):
        confusion_matrix(np.array([0, 10]), np.array([0, 1]))
    with pytest.raises(ValueError, match="one length"):
        confusion_matrix(np.array([0, 1]), np.array([0]))


# --- values against hand counts and torch ----------------------------------------------------------------------


def test_metrics_on_a_hand_made_example():
    probs = np.array(
        [
            [0.7, 0.2, 0.1],  # true 0: right
            [0.5, 0.3, 0.2],  # true 1: wrong (second)
            [0.1, 0.6, 0.3],  # true 2: wrong (second)
            [0.2, 0.3, 0.5],  # true 2: right
        ]
    )
    labels = np.array([0, 1, 2, 2])
    assert topk_accuracy(probs, labels, 1) == 0.5
    assert topk_accuracy(probs, labels, 2) == 1.0
    matrix = confusion_matrix(labels, probs.argmax(1), classes=3)
    np.testing.assert_array_equal(matrix, [[1, 0, 0], [1, 0, 0], [0, 1, 1]])
    np.testing.assert_allclose(per_class_accuracy(matrix), [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(mistakes(probs, labels), [2, 1])  # 0.6 sure before 0.5 sure
    best_two = [[(0, 0.7), (1, 0.2)], [(0, 0.5), (1, 0.3)], [(1, 0.6), (2, 0.3)], [(2, 0.5), (1, 0.3)]]
    assert top_k_batch(probs, 2) == best_two


def test_an_image_with_nan_scores_is_never_right():
    """A diverged network's NaN scores: every comparison with NaN is False, which once ranked the true class
    first and showed 100% accuracy (Evaluate, found by a browser QA pass)."""
    probs = np.full((4, 10), np.nan)
    probs[0] = np.eye(10)[3]  # a finite row, right: the only hit
    probs[1, 5] = 1.0  # the true class finite and highest, the others NaN: still not a number to trust
    labels = np.array([3, 5, 0, 9])
    for k in (1, 5, 10):
        assert topk_accuracy(probs, labels, k) == 0.25


def test_empty_class_has_nan_accuracy():
    assert np.isnan(per_class_accuracy(confusion_matrix(np.array([0]), np.array([0]), classes=2))[1])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(1, 10), st.integers(0, 2**31 - 1))
def test_topk_accuracy_matches_torch_topk(n, k, seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(10), size=n)
    labels = rng.integers(0, 10, n)
    hits = (torch.topk(torch.as_tensor(probs), k, dim=1).indices == torch.as_tensor(labels)[:, None]).any(1)
    assert topk_accuracy(probs, labels, k) == pytest.approx(hits.double().mean().item())


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200), st.integers(0, 2**31 - 1))
def test_confusion_matrix_counts_every_image_once(n, seed):
    rng = np.random.default_rng(seed)
    labels, predicted = rng.integers(0, 10, n), rng.integers(0, 10, n)
    matrix = confusion_matrix(labels, predicted)
    assert matrix.sum() == n and np.trace(matrix) == (labels == predicted).sum()
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(labels, minlength=10))
