"""cnnviz.epoch: one epoch reports its windows and stops cleanly; evaluate against torch by hand; augment shifts."""

import math

import pytest
import torch
import torch.nn.functional as F

from cnnviz.data import load_mnist
from cnnviz.devices import to_float_images
from cnnviz.epoch import augment_batch, evaluate, train_epoch
from cnnviz.models import build_model


@pytest.fixture(scope="module")
def small_data():
    x, y = load_mnist("train")
    xt, yt = load_mnist("test")
    return (x[:2000], y[:2000]), (xt[:1000], yt[:1000])


def _epoch(images, labels, **kwargs):
    torch.manual_seed(0)
    model = build_model("dense")
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = to_float_images(images, torch.device("cpu"))
    return train_epoch(
        model, x, labels, opt, epoch=1, batch_size=10, generator=torch.Generator().manual_seed(0), **kwargs
    )


def test_train_epoch_reports_windows_whose_means_make_the_epoch(small_data):
    """100 images in batches of 10, a report every 3 steps: points at 3, 6, 9 and the last batch at 10,
    counting on from ``first_step``; weighted by their batches they give the epoch's own means."""
    images, labels = small_data[0][0][:100], small_data[0][1][:100]
    reports = []
    result = _epoch(images, labels, first_step=40, report_every=3, report=lambda s, m: reports.append((s, m)))
    assert [s for s, _ in reports] == [42, 45, 48, 50]
    assert all(m["epoch"] == 1 for _, m in reports)
    assert (result.steps, result.images, result.stopped) == (10, 100, False)
    batches = [2, 3, 3, 2]
    for name in ("loss", "acc"):
        weighted = sum(n * m[name] for n, (_, m) in zip(batches, reports, strict=True)) / 10
        assert weighted == pytest.approx(getattr(result, name), rel=1e-5)


def test_train_epoch_stops_between_steps(small_data):
    images, labels = small_data[0][0][:100], small_data[0][1][:100]
    polls = []
    result = _epoch(images, labels, should_stop=lambda: polls.append(1) or len(polls) > 4)
    assert (result.steps, result.images, result.stopped) == (4, 40, True)
    nothing = _epoch(images, labels, should_stop=lambda: True)
    assert (nothing.steps, nothing.images, nothing.stopped) == (0, 0, True) and math.isnan(nothing.loss)


def test_evaluate_matches_a_hand_computation(small_data):
    model = build_model("convnet").eval()
    images, labels = small_data[1]
    with torch.no_grad():
        logits = model(images.unsqueeze(1).float() / 255)
    expected_top1 = (logits.argmax(1) == labels).float().mean().item()
    expected_top5 = sum(int(labels[i]) in logits[i].topk(5).indices.tolist() for i in range(len(labels))) / len(labels)
    scores = evaluate(model, (images, labels))
    assert scores["top1"] == pytest.approx(expected_top1)
    assert scores["top5"] == pytest.approx(expected_top5)
    assert scores["loss"] == pytest.approx(F.cross_entropy(logits, labels).item(), rel=1e-5)


def test_augment_identity_and_shape():
    x = torch.rand(4, 1, 28, 28)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(augment_batch(x, g, max_shift=0), x)
    shifted = augment_batch(x, g, max_shift=2)
    assert shifted.shape == x.shape and not torch.equal(shifted, x)
    # every output is the input moved by a whole (dy, dx) in [-2, 2]: find it and check exactly
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(4):
        matches = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if torch.equal(padded[i, 0, dy : dy + 28, dx : dx + 28], shifted[i, 0])
        ]
        assert matches, f"image {i} is not a whole-pixel shift of its input"
