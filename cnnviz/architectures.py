"""Networks written Keras-style as a list of layer specs, built into real ``nn.Sequential`` modules.

A spec says only what a student writes in Keras (``Conv2D(32, 3, padding="same")``); the builder
works out input channels and flattened sizes by walking the shapes, exactly what ``nn.Linear(9216, 128)``
in pytorch/examples makes you do by hand. Also the lecture's presets, including VGG16.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cnnviz.efficientnet import EfficientNetLite0
from cnnviz.models import build_model
from cnnviz.shapes import Padding, padding_pair, parse_padding, whole_number
from cnnviz.summary import LayerError, layer_output_shape

KINDS = ("conv", "max pool", "avg pool", "dense", "flatten")


@dataclass(frozen=True)
class LayerSpec:
    """One Keras-style layer. ``width`` is the number of conv filters or dense units.

    For pools ``kernel`` is the window and ``stride`` 0 means "same as the window", as in Keras.
    """

    kind: str
    width: int = 0
    kernel: int = 3
    stride: int = 1
    padding: Padding = "valid"
    dilation: int = 1
    relu: bool = True


def conv(filters: int, kernel: int = 3, stride: int = 1, padding: Padding = "valid", dilation: int = 1) -> LayerSpec:
    """``Conv2D(filters, kernel, strides=stride, padding=padding, activation="relu")``."""
    return LayerSpec("conv", filters, kernel, stride, padding, dilation)


def max_pool(size: int = 2, stride: int = 0) -> LayerSpec:
    """``MaxPooling2D(size)``; stride 0 means the window size."""
    return LayerSpec("max pool", 0, size, stride, 0, relu=False)


def dense(units: int, relu: bool = True) -> LayerSpec:
    """``Dense(units, activation="relu" if relu else None)``."""
    return LayerSpec("dense", units, relu=relu)


def flatten() -> LayerSpec:
    """``Flatten()``."""
    return LayerSpec("flatten", relu=False)


def _layers_for(spec: LayerSpec, shape: tuple[int, ...]) -> list[tuple[str, nn.Module]]:
    """PyTorch layers for one spec given the shape (C, H, W) or (features,) that reaches it."""
    if spec.kind not in KINDS:
        raise ValueError(f"layer type must be one of {', '.join(KINDS)}, got {spec.kind!r}")
    relu = [("relu", nn.ReLU())] if spec.relu else []
    if spec.kind == "flatten":
        return [("flatten", nn.Flatten())]
    if spec.kind == "dense":
        units = whole_number("units", spec.width, 1, "a dense layer has at least one unit")
        if len(shape) != 1:
            raise ValueError(
                f"a dense layer needs a flat vector but gets {_keras(shape)}: add a Flatten layer before it"
            )
        _check_weights(shape[0] * units, f"a dense layer from {shape[0]:,} inputs to {units:,} units")
        return [("fc", nn.Linear(shape[0], units)), *relu]
    if len(shape) != 1:
        _channels, height, width = shape
    else:
        raise ValueError(f"a {spec.kind} layer needs an image (H, W, C), but its input is already flat {_keras(shape)}")
    kernel = whole_number("kernel size", spec.kernel, 1, "a window covers at least one pixel")
    if spec.kind == "conv":
        filters = whole_number("filters", spec.width, 1, "a conv layer has at least one filter")
        stride = whole_number("stride", spec.stride, 1, "the window must move forward by at least one pixel")
        dilation = whole_number("dilation", spec.dilation, 1, "1 means no gaps between kernel taps")
        rows = padding_pair(height, kernel, stride, spec.padding, dilation)
        cols = padding_pair(width, kernel, stride, spec.padding, dilation)
        layers: list[tuple[str, nn.Module]] = []
        if rows[0] != rows[1] or cols[0] != cols[1]:
            # PyTorch pads both sides equally; TensorFlow's 'same' may put one extra pixel at the end.
            layers.append(("pad", nn.ZeroPad2d((cols[0], cols[1], rows[0], rows[1]))))
            rows, cols = (0, 0), (0, 0)
        _check_weights(filters * shape[0] * kernel**2, f"{filters:,} filters of {kernel} x {kernel} x {shape[0]:,}")
        layer = nn.Conv2d(shape[0], filters, kernel, stride, (rows[0], cols[0]), dilation)
        return [*layers, ("conv", layer), *relu]
    stride = spec.stride if spec.stride != 0 else kernel
    stride = whole_number("stride", stride, 1, "the window must move forward by at least one pixel")
    padding = parse_padding(spec.padding)
    if padding == "same":
        raise ValueError(
            "'same' padding is not offered for pooling here; use a number (PyTorch pooling pads both sides)"
        )
    padding = 0 if padding == "valid" else padding
    pool = nn.MaxPool2d if spec.kind == "max pool" else nn.AvgPool2d
    return [("pool", pool(kernel, stride, padding))]


MAX_WEIGHTS = 10**15  # a petabyte of float32: no computer holds one layer of that (and torch's sizes are int64)


def _check_weights(count: int, what: str) -> None:
    if count > MAX_WEIGHTS:
        raise ValueError(
            f"{what} would need {count:.3g} weights, more than any computer holds: use a smaller "
            "image, fewer channels, or pool before this layer"
        )


def _keras(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (*shape[1:], shape[0]) if len(shape) == 3 else shape


def build_network(
    specs: list[LayerSpec], input_shape: tuple[int, int, int], device: str | None = None
) -> nn.Sequential:
    """An ``nn.Sequential`` for the specs on an input of shape (C, H, W); layers named conv1, relu1, pool1, fc1...

    Args:
        specs: the layers in order.
        input_shape: (C, H, W) of one input image.
        device: "meta" builds the shapes without allocating weights (fast for VGG16).

    Raises:
        LayerError (a ValueError): the first spec that is invalid or cannot take its input shape;
            ``index`` is its position in ``specs``.
    """
    counts: dict[str, int] = {}
    named: OrderedDict[str, nn.Module] = OrderedDict()
    shape: tuple[int, ...] = tuple(input_shape)
    with torch.device(device or "cpu"):
        for index, spec in enumerate(specs):
            try:
                for role, layer in _layers_for(spec, shape):
                    counts[role] = counts.get(role, 0) + 1
                    named[role if role == "flatten" and counts[role] == 1 else f"{role}{counts[role]}"] = layer
                    shape = layer_output_shape(layer, shape)
            except ValueError as exc:
                reason = exc.reason if isinstance(exc, LayerError) else str(exc)
                raise LayerError(index, spec.kind, reason) from None
    return nn.Sequential(named)


# --- Presets: the networks the lectures and labs use ------------------------------------------------

TF_LAB = [
    conv(32, 3, padding="same"),
    max_pool(2),
    conv(64, 3, padding="same"),
    max_pool(2),
    flatten(),
    dense(100),
    dense(10, relu=False),
]
_VGG_BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
VGG16 = [
    *[spec for filters, n in _VGG_BLOCKS for spec in [*[conv(filters, 3, padding=1)] * n, max_pool(2)]],
    flatten(),
    dense(4096),
    dense(4096),
    dense(1000, relu=False),
]
LECTURE_CONVNET = [conv(32), max_pool(), conv(64), max_pool(), conv(64), flatten(), dense(64), dense(10, relu=False)]
TOO_DEEP = [
    conv(32),
    max_pool(),
    conv(64),
    max_pool(),
    conv(64),
    max_pool(),
    conv(64),
    flatten(),
    dense(10, relu=False),
]


@dataclass(frozen=True)
class Preset:
    """A named network with the input it is meant for, (C, H, W), and the total its source reports."""

    title: str
    note: str
    input_shape: tuple[int, int, int]
    build: Callable[[], nn.Module]
    expected_total: int


PRESETS: dict[str, Preset] = {
    "convnet": Preset(
        "Lecture MNIST convnet",
        "The Keras network of the lecture; its model.summary() reports 93,322 parameters.",
        (1, 28, 28),
        lambda: build_model("convnet"),
        93_322,
    ),
    "tf_lab": Preset(
        "TensorFlow lab net",
        "3x3 'SAME' convs (32, 64), 2x2 pools: 28 → 14 → 7, flatten 7·7·64 = 3136, dense 100, 10.",
        (1, 28, 28),
        lambda: build_network(TF_LAB, (1, 28, 28)),
        333_526,
    ),
    "lenet": Preset(
        "LeNet (as taught)",
        "20 and 50 filters of 5x5 ('same'), 2x2 max pools, dense 500, dense 10.",
        (1, 28, 28),
        lambda: build_model("lenet"),
        1_256_080,
    ),
    "dense": Preset(
        "Dense baseline", "No convolutions: 784 pixels → 256 → 10.", (1, 28, 28), lambda: build_model("dense"), 203_530
    ),
    "vgg16": Preset(
        "VGG16 (ImageNet)",
        "13 3x3 convs in 5 blocks, 5 max pools, dense 4096, 4096, 1000 (Simonyan & Zisserman 2014).",
        (3, 224, 224),
        lambda: build_network(VGG16, (3, 224, 224), device="meta"),
        138_357_544,
    ),
}


def _photo_network() -> nn.Module:
    with torch.device("meta"):  # shapes and counts only: the real weights are loaded by the photo page
        return EfficientNetLite0()


# The ImageNet network of the photo page, for its summary; its requires_grad stays on (a fresh build), so its
# 4,652,008 weights count as trainable, as in training. Not in PRESETS: the receptive-field tab walks a
# network's children in order, which EfficientNet's residual blocks do not allow.
PHOTO_NETWORK = Preset(
    "EfficientNet-Lite0 (ImageNet photos)",
    "The photo page's network: a 3x3 stem, 16 MBConv blocks (1x1 expand, depthwise kxk, 1x1 project), a 1x1 head "
    "to 1280 channels, global average pooling and dense 1000.",
    (3, 224, 224),
    _photo_network,
    4_694_024,
)

BUILDER_STARTS: dict[str, tuple[tuple[int, int, int], list[LayerSpec]]] = {
    "Lecture MNIST convnet": ((1, 28, 28), LECTURE_CONVNET),
    "TensorFlow lab net": ((1, 28, 28), TF_LAB),
    "Too deep for 28x28 (goes invalid)": ((1, 28, 28), TOO_DEEP),
    "Dense baseline": ((1, 28, 28), [flatten(), dense(256), dense(10, relu=False)]),
}
