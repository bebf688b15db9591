"""Settings for the whole suite.

Hypothesis runs with no per-example deadline: its default (200 ms) is a wall-clock assertion, which a
first example that pays for an import, or a busy 2-core machine, fails at random (it did once, on
``text.literal``'s property test importing Streamlit). Speed is measured in bench/, not asserted here.
"""

import os

# As `make run` starts the app: idle OpenMP threads sleep instead of spinning. On a shared 2-core machine a
# spinning torch is many times slower (an EfficientNet forward pass: ~2 s instead of ~0.1 s). Read when
# torch loads, which is after this file.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import settings  # noqa: E402
from torch import nn  # noqa: E402

from cnnviz.checkpoints import load_checkpoint  # noqa: E402
from cnnviz.data import load_mnist  # noqa: E402

settings.register_profile("cnnviz", deadline=None)
settings.load_profile("cnnviz")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> nn.Module:
    """The shipped MNIST convnet (assets/mnist_convnet.pt), loaded once per test module."""
    model, _ = load_checkpoint(ROOT / "assets" / "mnist_convnet.pt")
    return model


@pytest.fixture(scope="module")
def digit() -> torch.Tensor:
    """MNIST test digit #0 (a 7) as a (28, 28) float tensor in [0, 1]."""
    images, _ = load_mnist("test")
    return images[0].float() / 255.0
