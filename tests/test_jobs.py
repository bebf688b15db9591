"""cnnviz.jobs: background training with one job per server, progress snapshots and clean stops."""

import time

import pytest

from cnnviz.jobs import TrainingJob, TrainingSlot
from cnnviz.train_config import TrainConfig


def wait_for(job, timeout=120):
    job.join(timeout)
    assert not job.running, "job did not finish"
    return job.snapshot()


def test_job_trains_and_reports_progress():
    job = TrainingJob(TrainConfig(model="dense", epochs=2, limit=640, batch_size=64)).start()
    snap = wait_for(job)
    assert snap.state == "done" and snap.step == snap.total == 20
    assert [e["epoch"] for e in snap.epochs] == [1, 2]
    assert all(0 <= e["test_top1"] <= 1 for e in snap.epochs)
    assert job.model is not None and job.meta["epochs_done"] == 2 and job.meta["architecture"] == "dense"


def test_stop_keeps_the_partial_model():
    job = TrainingJob(TrainConfig(model="convnet", epochs=3, limit=6400, batch_size=32)).start()
    while job.snapshot().step < 5:
        time.sleep(0.05)
    job.stop()
    snap = wait_for(job)
    assert snap.state == "stopped" and snap.step < snap.total
    assert job.model is not None
    # What was trained, in epochs: the steps done over the 200 of an epoch (it said "1 ep" for any stop).
    assert job.meta["epochs_done"] == pytest.approx(snap.step / 200, abs=0.01) and job.meta["epochs_done"] < 1


def test_one_job_at_a_time():
    slot = TrainingSlot()
    first = slot.try_start(TrainConfig(model="convnet", epochs=2, limit=6400, batch_size=32))
    assert first is not None
    assert slot.try_start(TrainConfig(model="dense")) is None  # busy
    assert slot.current() is first
    first.stop()
    wait_for(first)
    second = slot.try_start(TrainConfig(model="dense", limit=256, batch_size=128))
    assert second is not None and second is not first
    wait_for(second)
    assert slot.get(first.id) is first and slot.current() is None


def test_failure_is_reported_not_raised():
    job = TrainingJob(TrainConfig(model="dense", limit=64))
    job.config = TrainConfig(model="dense", limit=64, dataset="nope")  # bypasses check(): fails inside the thread
    job.start()
    snap = wait_for(job)
    assert snap.state == "failed" and "nope" in snap.error


def test_a_diverged_run_fails_in_words_and_offers_no_model():
    job = TrainingJob(TrainConfig(model="convnet", limit=2000, optimizer="sgd", lr=10, schedule="constant")).start()
    snap = wait_for(job)
    assert snap.state == "failed" and job.model is None
    assert snap.error.startswith("the loss became") and "learning rate of 10 is too large" in snap.error


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (TrainConfig(epochs=0), "epochs"),
        (TrainConfig(batch_size=0), "batch size"),
        (TrainConfig(lr=-1), "learning rate"),
        (TrainConfig(model="vgg"), "unknown model"),
        (TrainConfig(limit=-5), "negative"),
    ],
)
def test_invalid_config(config, message):
    with pytest.raises(ValueError, match=message):
        TrainingSlot().try_start(config)
