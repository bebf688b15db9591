"""EfficientNet-Lite0 (Tan & Le 2019, the "Lite" variant for phones), written out layer by layer.

Two TensorFlow habits are kept, because the ImageNet weights (``cnnviz.imagenet``) were trained with them:

- "SAME" padding: a stride-2 layer pads its odd pixel at the end (right and bottom). It is an explicit
  ``nn.ZeroPad2d`` before the conv, so shapes worked out layer by layer (``summarize``) are the real ones. For an
  even input side that is exactly TF's rule, and inputs whose sides are multiples of 32 (224) keep every
  stride-2 input even;
- input scaling ``(pixel - 127) / 128`` on 0-255 pixels, done inside ``forward`` on [0, 1] input, as the
  MNIST nets normalise inside theirs.

Each block (MBConv) is an ``nn.Sequential`` of named layers plus a residual add, so a layer list shows its
1x1 expand, depthwise k x k and 1x1 project convs one by one. BatchNorm eps is TF's 1e-3; no conv has a bias.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from cnnviz.shapes import same_padding

NUM_IMAGENET_CLASSES = 1000
BN_EPS = 1e-3  # TensorFlow's BatchNorm epsilon; PyTorch's default 1e-5 shifts every answer a little


@dataclass(frozen=True)
class Stage:
    """One stage of MBConv blocks: expansion ratio, kernel side, stride of its first block, output channels."""

    expand: int
    kernel: int
    stride: int
    channels: int
    repeats: int


STAGES = (
    Stage(1, 3, 1, 16, 1),
    Stage(6, 3, 2, 24, 2),
    Stage(6, 5, 2, 40, 2),
    Stage(6, 3, 2, 80, 3),
    Stage(6, 5, 1, 112, 3),
    Stage(6, 5, 2, 192, 4),
    Stage(6, 3, 1, 320, 1),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


def tf_same_pads(kernel: int, stride: int) -> tuple[int, int, int, int]:
    """TensorFlow "SAME" padding (left, right, top, bottom) of a k x k conv on a side divisible by the stride.

    Every side in this network is (224, 112, 56, 28, 14, 7 for a 224 x 224 input), so the padding depends on
    the kernel and the stride alone; the rule itself is ``shapes.same_padding``.

    >>> tf_same_pads(3, 2), tf_same_pads(5, 2), tf_same_pads(3, 1)
    ((0, 1, 0, 1), (1, 2, 1, 2), (1, 1, 1, 1))
    """
    before, after = same_padding(32 * stride, kernel, stride)  # any side divisible by the stride gives these
    return before, after, before, after


def _padded_conv(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    """[ZeroPad2d, Conv2d] for a stride-2 conv (its uneven padding is a layer of its own), else [Conv2d]."""
    left, right, top, bottom = tf_same_pads(kernel, stride)
    if left == right and top == bottom:
        return [nn.Conv2d(c_in, c_out, kernel, stride, padding=left, groups=groups, bias=False)]
    pad = nn.ZeroPad2d((left, right, top, bottom))
    return [pad, nn.Conv2d(c_in, c_out, kernel, stride, groups=groups, bias=False)]


def _batchnorm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConv(nn.Sequential):
    """Mobile inverted bottleneck: 1x1 expand, depthwise k x k, 1x1 project, plus the input when shapes match.

    Children: ``expand_conv, bn0, act0`` (absent when ``expand`` is 1), ``pad`` (stride 2 only),
    ``depthwise_conv, bn1, act1, project_conv, bn2``. Input (N, c_in, H, W) -> (N, c_out, H / stride, W / stride).
    """

    def __init__(self, c_in: int, c_out: int, expand: int, kernel: int, stride: int) -> None:
        wide = c_in * expand
        layers: list[tuple[str, nn.Module]] = []
        if expand != 1:
            layers += [("expand_conv", nn.Conv2d(c_in, wide, 1, bias=False)), ("bn0", _batchnorm(wide))]
            layers.append(("act0", nn.ReLU6()))
        *pad, depthwise = _padded_conv(wide, wide, kernel, stride, groups=wide)
        layers += [("pad", p) for p in pad]
        layers += [("depthwise_conv", depthwise), ("bn1", _batchnorm(wide)), ("act1", nn.ReLU6())]
        layers += [("project_conv", nn.Conv2d(wide, c_out, 1, bias=False)), ("bn2", _batchnorm(c_out))]
        super().__init__(OrderedDict(layers))
        self.residual = stride == 1 and c_in == c_out  # no activation after the add (linear bottleneck)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        return x + out if self.residual else out


class EfficientNetLite0(nn.Sequential):
    """EfficientNet-Lite0 for (N, 3, H, W) RGB in [0, 1] -> (N, 1000) logits; H and W multiples of 32.

    Children: ``stem`` (pad, conv, bn, act), ``blocks`` (16 ``MBConv``, ``blocks.0`` ... ``blocks.15``),
    ``head`` (conv, bn, act), ``pool``, ``flatten``, ``dropout``, ``fc``. For a 224 x 224 input the stem gives
    32 x 112 x 112, the stages 16 x 112, 24 x 56, 40 x 28, 80 x 14, 112 x 14, 192 x 7, 320 x 7, the head 1280 x 7.
    """

    def __init__(self) -> None:
        stem = nn.Sequential(
            OrderedDict(
                zip(("pad", "conv"), _padded_conv(3, STEM_CHANNELS, 3, 2), strict=True),
                bn=_batchnorm(STEM_CHANNELS),
                act=nn.ReLU6(),
            )
        )
        blocks, c_in = [], STEM_CHANNELS
        for stage in STAGES:
            for repeat in range(stage.repeats):
                stride = stage.stride if repeat == 0 else 1
                blocks.append(MBConv(c_in, stage.channels, stage.expand, stage.kernel, stride))
                c_in = stage.channels
        head = nn.Sequential(
            OrderedDict(
                conv=nn.Conv2d(c_in, HEAD_CHANNELS, 1, bias=False), bn=_batchnorm(HEAD_CHANNELS), act=nn.ReLU6()
            )
        )
        super().__init__(
            OrderedDict(
                stem=stem,
                blocks=nn.Sequential(*blocks),
                head=head,
                pool=nn.AdaptiveAvgPool2d(1),
                flatten=nn.Flatten(),
                dropout=nn.Dropout(0.2),
                fc=nn.Linear(HEAD_CHANNELS, NUM_IMAGENET_CLASSES),
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) in [0, 1] -> (N, 1000)
        return self.forward_layers(x)[-1][1]

    def forward_layers(self, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """(name, output) of ``stem``, ``blocks.0`` ... ``blocks.15``, ``head``, ``pool``, ``flatten``, ``dropout``
        and ``fc`` in order; the last output is ``forward(x)``. Walks the layers instead of hooking them,
        so a model shared by every session is never changed (see ``cnnviz.inspect.layer_outputs``).

        Raises:
            ValueError: ``x`` is not (N, 3, H, W) with H and W multiples of 32.
        """
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] % 32 or x.shape[3] % 32 or min(x.shape[2:]) < 32:
            raise ValueError(
                f"the network takes RGB images shaped (N, 3, H, W) with H and W multiples of 32 (such as 224), "
                f"got {tuple(x.shape)}"
            )
        x = (x * 255.0 - 127.0) / 128.0  # the scaling the weights were trained with
        outputs = []
        for name, layer in self.named_children():
            if name == "blocks":
                for index, block in enumerate(layer):
                    x = block(x)
                    outputs.append((f"blocks.{index}", x))
                continue
            x = layer(x)
            outputs.append((name, x))
        return outputs


def fuse_for_speed(model: EfficientNetLite0) -> EfficientNetLite0:
    """A faster copy for answering only: each BatchNorm folded into the conv before it, ReLU6 in place, and the
    weights in channels-last memory order. Same outputs within float rounding (~1e-5 on the logits).

    The copy's layer list is no longer the lecture's (convs gain a bias, BatchNorms become ``Identity``): show
    and inspect the original, answer with the copy. ``model`` is left unchanged.

    Raises:
        ValueError: ``model`` is in training mode (BatchNorm uses batch statistics there and cannot be folded).
    """
    if model.training:
        raise ValueError("only a model in eval mode can have its BatchNorm folded into its convs: call model.eval()")
    fast = copy.deepcopy(model)
    for sequence in [module for module in fast.modules() if isinstance(module, nn.Sequential)]:
        names = list(sequence._modules)
        for conv_name, bn_name in zip(names, names[1:], strict=False):
            conv, bn = sequence._modules[conv_name], sequence._modules[bn_name]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                sequence._modules[conv_name] = fuse_conv_bn_eval(conv, bn)
                sequence._modules[bn_name] = nn.Identity()
    for module in fast.modules():
        if isinstance(module, nn.ReLU6):
            module.inplace = True  # after a conv, never on a tensor anyone else holds
    return fast.to(memory_format=torch.channels_last).eval().requires_grad_(False)
