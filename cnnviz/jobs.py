"""Training in a background thread, one job per server, with progress a page can poll.

A Streamlit script is rerun (and interrupted) whenever its user clicks something, so a long training
loop inside the script would die at the first click. Instead the page starts a ``TrainingJob`` in
a thread and redraws from ``job.snapshot()``. The job calls ``run_training``, the CLI's set-up too;
Stop sets a flag that its ``should_stop`` polls, so the run ends cleanly between two steps and keeps
what it learnt. ``TrainingSlot`` allows one job at a time on the server: two students training at
once on a 2-core machine would make both (and everyone else's pages) crawl.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import torch

from cnnviz.train import Diverged, run_training
from cnnviz.train_config import TrainConfig


@dataclass
class Snapshot:
    """A consistent copy of a job's progress, safe to read while the job runs."""

    state: str  # "running", "done", "stopped" or "failed"
    step: int
    total: int
    steps: list[dict]
    epochs: list[dict]
    device: str = ""
    error: str = ""
    images_per_s: float = 0.0
    started: float = 0.0


class TrainingJob:
    """One training run in a daemon thread. Read progress with ``snapshot()``; end it with ``stop()``."""

    def __init__(self, config: TrainConfig, owner: str = "") -> None:
        config.check()
        self.config = config
        self.owner = owner
        self.id = uuid.uuid4().hex[:8]
        self.model: torch.nn.Module | None = None
        self.meta: dict = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._state = "running"
        self._step, self._total = 0, 0
        self._steps: list[dict] = []
        self._epochs: list[dict] = []
        self._error = ""
        self._device = ""
        self._images_per_s = 0.0
        self.started = time.time()
        self._thread = threading.Thread(target=self._run, name=f"train-{self.id}", daemon=True)

    def start(self) -> TrainingJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the job to end after the current step; the partly trained model is kept."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def stop_requested(self) -> bool:
        """Stop was pressed: the job finishes its batch and tests the partly trained model, then ends."""
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() or self._state == "running"

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                self._state,
                self._step,
                self._total,
                list(self._steps),
                list(self._epochs),
                self._device,
                self._error,
                self._images_per_s,
                self.started,
            )

    def _on_step(self, step: int, total: int, metrics: dict) -> None:
        with self._lock:
            self._step, self._total = step, total
            if step == 0:  # set up, before the first batch: only the progress bar's length is news
                return
            if "test_top1" in metrics or "seconds" in metrics:
                self._epochs.append(dict(metrics, step=step))
                self._images_per_s = metrics.get("images_per_s", self._images_per_s)
            else:
                self._steps.append(dict(metrics, step=step))

    def _run(self) -> None:
        try:
            model, meta, history = run_training(self.config, self._on_step, self._stop.is_set)
            self.meta = meta
            self.model = model.cpu().eval()  # the pages serve it on the CPU, next to the shipped models
            with self._lock:
                self._device = history.device
                self._state = "stopped" if history.stopped else "done"
        except Exception as exc:  # noqa: BLE001 - a failed job must report, never kill the server thread
            with self._lock:
                self._state = "failed"  # a divergence is the learning rate, said in words; anything else a bug
                self._error = str(exc) if isinstance(exc, Diverged) else f"{type(exc).__name__}: {exc}"


@dataclass
class TrainingSlot:
    """At most one running ``TrainingJob`` per server; finished jobs stay readable by their id."""

    jobs: dict[str, TrainingJob] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self) -> TrainingJob | None:
        """The job that is running now, if any."""
        with self._lock:
            return next((job for job in self.jobs.values() if job.running), None)

    def try_start(self, config: TrainConfig, owner: str = "") -> TrainingJob | None:
        """Start a job unless one is running (then return None: the caller says "busy").

        Raises:
            ValueError: the config is invalid.
        """
        config.check()
        with self._lock:
            if any(job.running for job in self.jobs.values()):
                return None
            # Keep only the last few finished jobs: each holds a model.
            for old in list(self.jobs)[:-4]:
                del self.jobs[old]
            job = TrainingJob(config, owner)
            self.jobs[job.id] = job
            return job.start()

    def get(self, job_id: str) -> TrainingJob | None:
        with self._lock:
            return self.jobs.get(job_id)
