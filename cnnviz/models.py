"""The networks the lectures teach, as PyTorch modules with readable layer names.

Every model takes float images in [0, 1] of shape (N, 1, 28, 28) and returns logits (N, 10).
Normalisation happens inside ``forward`` (not as a layer), so a checkpoint is self-contained and
the layer list, which the visual pages show, is exactly the lecture's.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from cnnviz.shapes import conv_output_size, pool_output_size

# MNIST pixel statistics over the 60,000 training images (pixels scaled to [0, 1]).
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
IMAGE_SIZE = 28
NUM_CLASSES = 10


class MnistNet(nn.Sequential):
    """A named stack of layers that standardises its [0, 1] input before the first layer.

    ``name`` is the key ``build_model`` knows it by, stored in checkpoints so they can be rebuilt.
    """

    def __init__(self, name: str, layers: OrderedDict[str, nn.Module]) -> None:
        super().__init__(layers)
        self.name = name
        # Buffers, not parameters: saved in the state dict, never trained, moved by .to(device).
        self.register_buffer("mean", torch.tensor(MNIST_MEAN))
        self.register_buffer("std", torch.tensor(MNIST_STD))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 1, 28, 28) in [0, 1] -> (N, 10)
        return super().forward((x - self.mean) / self.std)

    def forward_layers(self, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """(name, output) of every layer in order for input ``x``; the last output is ``forward(x)``.

        The visual pages read layers through this instead of forward hooks: hooks live on the module,
        so on a model shared by every student's session a hook registered by one session would catch
        (and could be removed during) another session's forward pass.
        """
        outputs = []
        x = (x - self.mean) / self.std
        for name, layer in self.named_children():
            x = layer(x)
            outputs.append((name, x))
        return outputs


def _convnet() -> MnistNet:
    """The lecture's net: three 3x3 convs (32, 64, 64) with two 2x2 max pools, dense 64, dense 10."""
    size = IMAGE_SIZE
    size = conv_output_size(size, 3)  # 26
    size = pool_output_size(size, 2)  # 13
    size = conv_output_size(size, 3)  # 11
    size = pool_output_size(size, 2)  # 5
    size = conv_output_size(size, 3)  # 3
    flat = 64 * size * size  # 576, the number Keras prints for Flatten
    return MnistNet(
        "convnet",
        OrderedDict(
            conv1=nn.Conv2d(1, 32, 3),
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(32, 64, 3),
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),
            conv3=nn.Conv2d(64, 64, 3),
            relu3=nn.ReLU(),
            flatten=nn.Flatten(),
            fc1=nn.Linear(flat, 64),
            relu4=nn.ReLU(),
            fc2=nn.Linear(64, NUM_CLASSES),
        ),
    )


def _dense() -> MnistNet:
    """The lecture's baseline: 784 pixels -> 256 hidden (ReLU) -> 10 (203,530 parameters)."""
    return MnistNet(
        "dense",
        OrderedDict(
            flatten=nn.Flatten(),
            fc1=nn.Linear(IMAGE_SIZE * IMAGE_SIZE, 256),
            relu1=nn.ReLU(),
            fc2=nn.Linear(256, NUM_CLASSES),
        ),
    )


def _lenet() -> MnistNet:
    """LeNet as taught: 20 then 50 filters of 5x5 with 'same' padding, 2x2 max pools, dense 500, dense 10."""
    size = IMAGE_SIZE
    for _ in range(2):
        size = conv_output_size(size, 5, padding="same")
        size = pool_output_size(size, 2)
    flat = 50 * size * size  # 50 * 7 * 7 = 2450
    return MnistNet(
        "lenet",
        OrderedDict(
            conv1=nn.Conv2d(1, 20, 5, padding=2),
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(20, 50, 5, padding=2),
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc1=nn.Linear(flat, 500),
            relu3=nn.ReLU(),
            fc2=nn.Linear(500, NUM_CLASSES),
        ),
    )


MODEL_BUILDERS = {"convnet": _convnet, "dense": _dense, "lenet": _lenet}
MODEL_DESCRIPTIONS = {
    "convnet": "Lecture convnet: Conv32-Pool-Conv64-Pool-Conv64-Dense64-Dense10 (93,322 parameters)",
    "dense": "Dense baseline: 784-256-10 (203,530 parameters)",
    "lenet": "LeNet: Conv20 5x5-Pool-Conv50 5x5-Pool-Dense500-Dense10",
}


def build_model(name: str) -> MnistNet:
    """A freshly initialised model by name: "convnet", "dense" or "lenet".

    Raises:
        ValueError: the name is not one of ``MODEL_BUILDERS``.
    """
    if name not in MODEL_BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_BUILDERS)}")
    return MODEL_BUILDERS[name]()


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (buffers such as the normalisation constants do not count)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
