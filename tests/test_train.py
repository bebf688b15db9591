"""cnnviz.train: the loop learns, reports, stops, stays on its device; the CLI and the Train page's job
share one set-up (``run_training``), checked against each other and against today's recipe by hand."""

import re
from pathlib import Path

import pytest
import torch

from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import load_mnist
from cnnviz.jobs import TrainingJob
from cnnviz.models import build_model
from cnnviz.train import Diverged, build_parser, config_from_args, count_steps, main, run_training, train
from cnnviz.train_config import TrainConfig


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


@pytest.fixture
def host_copies(monkeypatch):
    """Records every .cpu()/.numpy()/.tolist() on a tensor (each a hidden host-device sync on a GPU)."""
    calls = []
    for name in ("cpu", "numpy", "tolist"):
        original = getattr(torch.Tensor, name)
        monkeypatch.setattr(
            torch.Tensor, name, lambda self, *a, _o=original, _n=name, **k: (calls.append(_n), _o(self, *a, **k))[1]
        )
    return calls


def test_no_host_copies_inside_the_loop(small_data, host_copies):
    """GPU-correct by construction: the loop never calls .cpu()/.numpy() on a tensor (no hidden syncs)."""
    subset = (small_data[0][0][:256], small_data[0][1][:256])
    train(build_model("convnet"), subset, epochs=1, batch_size=64, augment=True)
    assert host_copies == []


def test_no_host_copies_in_the_whole_set_up(host_copies):
    """Data, model and test set go to one device in run_training; nothing comes back to the host on the way."""
    run_training(TrainConfig(model="dense", limit=128, batch_size=64), on_step=lambda s, t, m: None)
    assert host_copies == []


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
    model, meta = load_checkpoint(out)
    assert meta["architecture"] == "dense" and meta["optimizer"] == "sgd" and 0 <= meta["test_top1"] <= 1


# One set-up for the CLI and the Train page's job: run_training.

RECIPE = TrainConfig(
    model="convnet", epochs=2, batch_size=64, lr=0.003, schedule="onecycle", augment=True, limit=256, seed=1
)


def _no_timing(records):
    return [{k: v for k, v in r.items() if k not in ("seconds", "images_per_s")} for r in records]


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert torch.equal(sa[name].cpu(), sb[name].cpu()), name


@pytest.fixture(scope="module")
def direct_run():
    reports = []
    model, meta, history = run_training(RECIPE, on_step=lambda s, t, m: reports.append((s, t, m)))
    return model, meta, history, reports


def test_run_training_is_todays_recipe_written_out_by_hand(direct_run):
    """The seeds are drawn in the order the shipped checkpoints were made with: seed, build, then train."""
    model, meta, history, _ = direct_run
    images, labels = load_mnist("train")
    torch.manual_seed(RECIPE.seed)
    by_hand = build_model(RECIPE.model)
    by_hand_history = train(
        by_hand,
        (images[: RECIPE.limit], labels[: RECIPE.limit]),
        epochs=RECIPE.epochs,
        batch_size=RECIPE.batch_size,
        lr=RECIPE.lr,
        schedule=RECIPE.schedule,
        augment=RECIPE.augment,
        seed=RECIPE.seed,
        eval_data=load_mnist("test"),
    )
    _same_weights(model, by_hand)
    # The train loss is summed over report windows of another size here, so it may differ in the last bits.
    for ours, theirs in zip(_no_timing(history.epochs), _no_timing(by_hand_history.epochs), strict=True):
        assert ours.pop("loss") == pytest.approx(theirs.pop("loss"), rel=1e-6)
        assert ours == theirs
    assert meta["test_top1"] == by_hand_history.epochs[-1]["test_top1"]


def test_run_training_reports_its_set_up_then_the_steps(direct_run):
    _, meta, history, reports = direct_run
    total = count_steps(RECIPE.limit, RECIPE.batch_size, RECIPE.epochs)
    assert total == 8
    assert reports[0] == (0, 8, {"images": 256, "device": history.device})
    assert all(t == total for _, t, _ in reports) and reports[-1][0] == total
    points = [(s, m) for s, _, m in reports[1:] if "seconds" not in m]
    assert [{"step": s, **m} for s, m in points] == history.steps
    assert meta["epochs_done"] == 2.0 and meta["architecture"] == "convnet" and meta["limit"] == 256


def test_the_cli_and_the_job_train_the_same_network_as_run_training(direct_run, tmp_path, monkeypatch, capsys):
    """Same config, same seed: the CLI's checkpoint, the job's model and a direct call hold the same weights,
    curves, scores and metadata (all but the seconds), and the CLI hands run_training the config its flags say."""
    model, meta, history, _ = direct_run
    import cnnviz.train

    configs = []
    real = cnnviz.train.run_training
    monkeypatch.setattr(
        cnnviz.train, "run_training", lambda config, **kw: (configs.append(config), real(config, **kw))[1]
    )
    out = tmp_path / "cli.pt"
    flags = ["--model", "convnet", "--epochs", "2", "--batch-size", "64", "--lr", "0.003", "--schedule", "onecycle"]
    main([*flags, "--augment", "--limit", "256", "--seed", "1", "--out", str(out)])
    assert configs == [RECIPE]
    cli_model, cli_meta = load_checkpoint(out)
    _same_weights(model, cli_model)
    assert "training convnet on MNIST (256 images) on CPU" in capsys.readouterr().out

    job = TrainingJob(RECIPE).start()
    job.join(300)
    snap = job.snapshot()
    assert snap.state == "done"
    _same_weights(model, job.model)
    assert snap.steps == history.steps and _no_timing(snap.epochs) == _no_timing(
        [dict(e, step=s) for e, s in zip(history.epochs, (4, 8), strict=True)]
    )
    without_seconds = {k: v for k, v in meta.items() if k != "seconds"}
    assert {k: v for k, v in job.meta.items() if k != "seconds"} == without_seconds
    assert {k: v for k, v in cli_meta.items() if k != "seconds"} == without_seconds


def test_cli_flags_map_onto_the_config():
    """Every TrainConfig field has its flag; the defaults and the Makefile's shipped recipes parse as they say."""
    assert config_from_args(build_parser().parse_args([])) == TrainConfig(
        epochs=5, lr=1e-3, schedule="constant", augment=False, seed=0, limit=0, device="auto"
    )
    flags = "--model lenet --dataset Fashion-MNIST --epochs 3 --batch-size 32 --optimizer sgd --lr 0.05"
    flags += " --schedule onecycle --augment --device cpu --seed 7 --limit 500"
    assert config_from_args(build_parser().parse_args(flags.split())) == TrainConfig(
        model="lenet",
        dataset="Fashion-MNIST",
        epochs=3,
        batch_size=32,
        optimizer="sgd",
        lr=0.05,
        schedule="onecycle",
        augment=True,
        device="cpu",
        seed=7,
        limit=500,
    )
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text().replace("\\\n", " ")
    shipped = re.findall(r"-m cnnviz\.train (.*)", makefile)
    configs = [config_from_args(build_parser().parse_args(line.split())) for line in shipped]
    assert configs == [
        TrainConfig(epochs=5, batch_size=128, lr=0.003, schedule="onecycle", augment=True, seed=1),
        TrainConfig(model="dense", epochs=5, batch_size=128, lr=0.001, schedule="constant", seed=1),
    ]


def test_cli_says_which_setting_is_out_of_range(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--epochs", "0"])
    assert stopped.value.code == 2
    assert "epochs must be between 1 and 50, got 0" in capsys.readouterr().err
