"""cnnviz.train: the loop learns, reports, stops, stays on its device; evaluate against torch by hand."""

import pytest
import torch
import torch.nn.functional as F

from cnnviz.data import load_mnist
from cnnviz.models import build_model
from cnnviz.train import Diverged, augment_batch, evaluate, main, select_device, train


@pytest.fixture(scope="module")
def small_data():
    x, y = load_mnist("train")
    xt, yt = load_mnist("test")
    return (x[:2000], y[:2000]), (xt[:1000], yt[:1000])


def test_loss_falls_and_accuracy_passes_90_percent(small_data):
    train_data, test_data = small_data
    model = build_model("convnet")
    reports = []
    history = train(
        model,
        train_data,
        epochs=3,
        batch_size=64,
        lr=3e-3,
        schedule="onecycle",
        seed=0,
        eval_data=test_data,
        on_step=lambda s, t, m: reports.append((s, t, m)),
        report_every=5,
    )
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"] < 2.3
    assert history.epochs[-1]["test_top1"] > 0.90
    assert history.epochs[-1]["test_top5"] >= history.epochs[-1]["test_top1"]
    steps = [s for s, _, _ in reports]
    assert steps == sorted(steps) and reports[-1][0] == reports[-1][1] == 3 * 32
    assert sum("test_top1" in m for _, _, m in reports) == 3  # one evaluated report per epoch
    assert history.images_per_s > 0 and history.device.startswith("CPU")
    assert not model.training


def test_curve_points_are_means_of_their_own_batches_and_add_up_to_the_epoch(small_data):
    """Each reported point averages the batches since the previous one (no reset jump at a new epoch):
    weighted by their batches, an epoch's points give exactly the epoch's own mean."""
    reports = []
    history = train(
        build_model("dense"),
        small_data[0],
        epochs=2,
        batch_size=50,
        lr=1e-3,
        seed=0,
        on_step=lambda s, t, m: reports.append((s, m)),
        report_every=7,
    )
    points = [(s, m) for s, m in reports if "seconds" not in m]
    assert [s for s, _ in points] == [7, 14, 21, 28, 35, 40, 42, 49, 56, 63, 70, 77, 80]
    assert [(p["step"], p["loss"]) for p in history.steps] == [(s, m["loss"]) for s, m in points]
    previous = 0
    for epoch in (1, 2):
        window = [(s, m) for s, m in points if m["epoch"] == epoch]
        batches = [s - b for (s, _), b in zip(window, [previous] + [s for s, _ in window[:-1]], strict=True)]
        previous = window[-1][0]
        for name in ("loss", "acc"):
            weighted = sum(n * m[name] for n, (_, m) in zip(batches, window, strict=True)) / sum(batches)
            assert weighted == pytest.approx(history.epochs[epoch - 1][name], rel=1e-5)


def test_should_stop_ends_cleanly(small_data):
    calls = []

    def stop_after_ten():
        calls.append(1)
        return len(calls) > 10

    history = train(build_model("dense"), small_data[0], epochs=5, batch_size=32, should_stop=stop_after_ten)
    assert history.stopped
    assert len(history.epochs) == 1 and history.steps[-1]["step"] == 10


def test_a_diverging_run_stops_with_the_reason(small_data):
    """SGD at learning rate 10 blows the convnet's weights up within a few steps: ``train`` stops at the first
    report whose loss is not a number, says why, and the curve holds only finite points."""
    reports = []
    with pytest.raises(
        Diverged,
        match=r"loss became (not a number \(NaN\)|infinite) by step \d+.*learning rate "
        r"of 10 is too large for sgd.*e\.g\. 1\)",
    ):
        train(
            build_model("convnet"),
            small_data[0],
            epochs=2,
            lr=10,
            optimizer="sgd",
            report_every=2,
            on_step=lambda step, total, metrics: reports.append(metrics["loss"]),
        )
    assert all(torch.isfinite(torch.tensor(reports)))
    assert len(reports) < 16  # 16 steps in an epoch of 2000 images: it stopped in the first epoch


def test_cli_says_when_training_diverged(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--model", "convnet", "--epochs", "1", "--limit", "2000", "--optimizer", "sgd", "--lr", "10"])
    assert stopped.value.code == 1
    assert "training stopped: the loss became" in capsys.readouterr().err


def test_same_seed_same_weights(small_data):
    subset = (small_data[0][0][:256], small_data[0][1][:256])
    torch.manual_seed(0)
    a = build_model("dense")
    torch.manual_seed(0)
    b = build_model("dense")
    train(a, subset, epochs=1, batch_size=64, seed=3, augment=True)
    train(b, subset, epochs=1, batch_size=64, seed=3, augment=True)
    torch.testing.assert_close(a.fc2.weight, b.fc2.weight)


def test_no_host_copies_inside_the_loop(small_data, monkeypatch):
    """GPU-correct by construction: the loop never calls .cpu()/.numpy() on a tensor (no hidden syncs)."""
    subset = (small_data[0][0][:256], small_data[0][1][:256])
    calls = []
    for name in ("cpu", "numpy", "tolist"):
        original = getattr(torch.Tensor, name)
        monkeypatch.setattr(
            torch.Tensor, name, lambda self, *a, _o=original, _n=name, **k: (calls.append(_n), _o(self, *a, **k))[1]
        )
    train(build_model("convnet"), subset, epochs=1, batch_size=64, augment=True)
    assert calls == []


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


def test_device_selection():
    assert select_device("auto").type in ("cuda", "mps", "cpu")
    assert select_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            select_device("cuda")
    with pytest.raises(ValueError, match="device must be"):
        select_device("tpu")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1"),
        ({"batch_size": 0}, "batch size"),
        ({"lr": 0.0}, "learning rate"),
        ({"optimizer": "adagrad"}, "optimizer must be one of"),
        ({"schedule": "cosine"}, "schedule"),
    ],
)
def test_bad_settings_raise_clear_errors(small_data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(build_model("dense"), small_data[0], **kwargs)


def test_cli_trains_and_saves(tmp_path, capsys):
    out = tmp_path / "dense.pt"
    main(
        ["--model", "dense", "--epochs", "1", "--limit", "600", "--optimizer", "sgd", "--lr", "0.05", "--out", str(out)]
    )
    printed = capsys.readouterr().out
    assert "epoch 1/1" in printed and "images/s" in printed and "CPU" in printed
    from cnnviz.checkpoints import load_checkpoint

    model, meta = load_checkpoint(out)
    assert meta["architecture"] == "dense" and meta["optimizer"] == "sgd" and 0 <= meta["test_top1"] <= 1
