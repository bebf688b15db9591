"""What a training run is: ``TrainConfig``, the one dataclass the CLI flags and the Train page map onto.

``cnnviz.train.run_training`` takes it; ``cnnviz.jobs`` runs it in the background.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.data import DATASETS
from cnnviz.devices import select_device
from cnnviz.models import MODEL_BUILDERS

OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "onecycle")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; the CLI flags and the Train page's widgets map onto it."""

    model: str = "convnet"
    dataset: str = "MNIST"
    epochs: int = 1
    batch_size: int = 128
    lr: float = 0.003
    optimizer: str = "adam"
    schedule: str = "onecycle"
    augment: bool = False
    limit: int = 0  # train on the first N images (0 = all)
    seed: int = 0
    device: str = "auto"

    def check(self) -> None:
        """Raises ValueError with a sentence when a setting is out of range."""
        if self.model not in MODEL_BUILDERS:
            raise ValueError(f"unknown model {self.model!r}")
        if self.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {self.dataset!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}")
        if not 1 <= self.epochs <= 50:
            raise ValueError(f"epochs must be between 1 and 50, got {self.epochs}")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"batch size must be between 1 and 4096, got {self.batch_size}")
        if not 0 < self.lr <= 10:
            raise ValueError(f"learning rate must be above 0 and at most 10, got {self.lr}")
        if self.limit < 0:
            raise ValueError(f"the number of training images cannot be negative, got {self.limit}")
        select_device(self.device)
