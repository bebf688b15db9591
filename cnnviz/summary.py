"""``summarize``: a Keras-style ``model.summary()`` for a PyTorch ``nn.Sequential``, computed by arithmetic.

Shapes come from the rules in ``cnnviz.shapes`` (no forward pass, so VGG16 at 224x224 takes
milliseconds and a model on the "meta" device works); parameter counts come from the module's own
tensors, so they are what PyTorch really has. Tests check both against a real forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from torch import nn

from cnnviz.receptive import AxisField
from cnnviz.shapes import conv_output_size, pool_output_size

ACTIVATIONS = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Softplus,
    nn.Softmax,
    nn.LogSoftmax,
    nn.Identity,
)
SHAPE_KEEPING = (*ACTIVATIONS, nn.Dropout, nn.Dropout2d, nn.AlphaDropout)
SUPPORTED = "Conv2d, MaxPool2d, AvgPool2d, ZeroPad2d, BatchNorm2d/1d, Flatten, Linear, Dropout and activations"


class LayerError(ValueError):
    """A layer that cannot take the shape arriving at it; ``index`` and ``name`` say which one."""

    def __init__(self, index: int, name: str, reason: str) -> None:
        super().__init__(f"layer {index + 1} ({name}): {reason}")
        self.index, self.name, self.reason = index, name, reason


@dataclass(frozen=True)
class LayerRow:
    """One line of the summary. Shapes are PyTorch's (C, H, W) or (features,), without the batch."""

    name: str
    kind: str  # the module's class name, e.g. "Conv2d"
    output_shape: tuple[int, ...]
    params: int  # trainable + non-trainable, what Keras prints as "Param #"
    trainable: int
    params_formula: str = ""  # e.g. "(3·3·1 + 1)·32"
    kernel: str = ""
    stride: str = ""
    padding: str = ""
    field: tuple[AxisField, AxisField] | None = None  # (rows, columns); None: sees the whole input
    activation: str = ""  # set when activation rows are folded into this one

    @property
    def keras_shape(self) -> tuple[int, ...]:
        """The output shape as Keras and the lecture print it: (H, W, C) or (features,)."""
        return (*self.output_shape[1:], self.output_shape[0]) if len(self.output_shape) == 3 else self.output_shape


@dataclass(frozen=True)
class Summary:
    """All rows plus totals; ``input_shape`` is (C, H, W)."""

    input_shape: tuple[int, int, int]
    rows: list[LayerRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def trainable(self) -> int:
        return sum(r.trainable for r in self.rows)

    @property
    def non_trainable(self) -> int:
        return self.total - self.trainable

    def folded(self) -> Summary:
        """Activation rows merged into the layer before them, as Keras shows ``Dense(64, activation="relu")``."""
        rows: list[LayerRow] = []
        for row in self.rows:
            if row.kind in {a.__name__ for a in ACTIVATIONS} and rows and row.params == 0:
                rows[-1] = replace(rows[-1], activation=row.kind)
            else:
                rows.append(row)
        return Summary(self.input_shape, rows)


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _text(pair: tuple[int, int], sep: str = "x") -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}{sep}{pair[1]}"


def _param_counts(module: nn.Module) -> tuple[int, int]:
    """(all, trainable). BatchNorm's running mean and variance count as non-trainable, as in Keras."""
    trainable = sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters(recurse=False) if not p.requires_grad)
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d) and module.track_running_stats:
        frozen += module.running_mean.numel() + module.running_var.numel()
    return trainable + frozen, trainable


def _formula(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d) and module.groups == 1:
        kh, kw = module.kernel_size
        bias = " + 1" if module.bias is not None else ""
        return f"({kh}·{kw}·{module.in_channels}{bias})·{module.out_channels}"
    if isinstance(module, nn.Linear):
        bias = " + 1" if module.bias is not None else ""
        return f"({module.in_features:,}{bias})·{module.out_features:,}"
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        return f"4·{module.num_features} (γ, β trained; mean, variance not)"
    return ""


def _spatial(module: nn.Module, shape: tuple[int, ...], fields: tuple[AxisField, AxisField] | None) -> tuple:
    """Output (C, H, W), the new receptive fields and the kernel/stride/padding texts of a spatial layer."""
    if len(shape) != 3:
        raise ValueError(f"{type(module).__name__} needs an image (C, H, W), but its input is already flat {shape}")
    channels, height, width = shape
    if isinstance(module, nn.ZeroPad2d):
        left, right, top, bottom = module.padding
        out = (channels, height + top + bottom, width + left + right)
        if min(out[1:]) < 1:
            raise ValueError(f"negative padding crops the {height} x {width} input to nothing")
        new = (fields[0].shift(top), fields[1].shift(left)) if fields else None
        return out, new, "", "", f"{top},{bottom} / {left},{right}"
    kernel, stride = _pair(module.kernel_size), _pair(module.stride)
    dilation = _pair(getattr(module, "dilation", 1))
    if isinstance(module, nn.Conv2d):
        if module.in_channels != channels:
            raise ValueError(f"expects {module.in_channels} input channels, but the input has {channels}")
        padding = (module.padding, module.padding) if isinstance(module.padding, str) else _pair(module.padding)
        axes = zip((height, width), kernel, stride, padding, dilation, strict=True)
        sizes = [conv_output_size(n, k, s, p, d) for n, k, s, p, d in axes]
        out_channels = module.out_channels
    else:
        padding = _pair(module.padding)
        sizes = [
            pool_output_size(n, k, s, p, module.ceil_mode, d)
            for n, k, s, p, d in zip((height, width), kernel, stride, padding, dilation, strict=True)
        ]
        out_channels = channels
    new = None
    if fields:
        before = [
            (k * d - d + 1 - 1) // 2 if p == "same" else (0 if p == "valid" else p)
            for k, d, p in zip(kernel, dilation, padding, strict=True)
        ]
        new = tuple(
            f.grow(d * (k - 1) + 1, s, b)
            for f, k, s, b, d in zip(fields, kernel, stride, before, dilation, strict=True)
        )
    pad_text = padding[0] if isinstance(padding[0], str) else _text(padding)
    return (out_channels, *sizes), new, _text(kernel), _text(stride), str(pad_text)


def summarize(model: nn.Module, input_shape: tuple[int, ...]) -> Summary:
    """One row per layer of a sequential model: output shape, parameters, kernel/stride/padding, receptive field.

    Args:
        model: an ``nn.Sequential`` (nested ones are flattened) or a single layer, built from the
            layers in ``SUPPORTED``; it may live on the "meta" device.
        input_shape: (C, H, W) of one input image, or (H, W) for one channel.

    Raises:
        LayerError (a ValueError): a layer is not supported, or cannot take the shape that reaches it;
            ``index``/``name`` say which, the message says why.
    """
    shape = tuple(int(n) for n in input_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input shape must be (channels, height, width) with each at least 1, got {input_shape}")
    start, layers = shape, _leaves(model)
    fields: tuple[AxisField, AxisField] | None = (AxisField(), AxisField())
    rows: list[LayerRow] = []
    for index, (name, module) in enumerate(layers):
        try:
            shape, fields, row = _step(name, module, shape, fields)
        except ValueError as exc:
            raise LayerError(index, name, str(exc)) from None
        rows.append(row)
    return Summary(start, rows)


def layer_output_shape(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Shape (without batch) that one supported layer produces from ``shape``: (C, H, W) or (features,).

    Raises:
        ValueError: the layer is not supported or cannot take ``shape``.
    """
    return _step(type(module).__name__.lower(), module, tuple(shape), None)[0]


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    if not isinstance(model, nn.Sequential):
        if len(list(model.children())) > 0:
            raise LayerError(0, type(model).__name__, "summarize follows layers in order, so it needs an nn.Sequential")
        return [(type(model).__name__.lower(), model)]
    leaves = []
    for name, child in model.named_children():
        leaves += (
            [(f"{name}.{n}", m) for n, m in _leaves(child)] if isinstance(child, nn.Sequential) else [(name, child)]
        )
    return leaves


def _step(name: str, module: nn.Module, shape: tuple[int, ...], fields) -> tuple:
    kind = type(module).__name__
    params, trainable = _param_counts(module)
    common = dict(name=name, kind=kind, params=params, trainable=trainable, params_formula=_formula(module))
    if isinstance(module, nn.Conv2d | nn.MaxPool2d | nn.AvgPool2d | nn.ZeroPad2d):
        if isinstance(module, nn.Conv2d) and module.groups != 1:
            raise ValueError("grouped convolutions are not covered here")
        shape, fields, kernel, stride, padding = _spatial(module, shape, fields)
        return (
            shape,
            fields,
            LayerRow(output_shape=shape, kernel=kernel, stride=stride, padding=padding, field=fields, **common),
        )
    if isinstance(module, nn.Flatten):
        if (module.start_dim, module.end_dim) != (1, -1):
            raise ValueError("only Flatten() over everything but the batch is covered")
        shape = (prod(shape),)
        return shape, fields, LayerRow(output_shape=shape, field=fields, **common)
    if isinstance(module, nn.Linear):
        if len(shape) != 1:
            raise ValueError(f"a dense layer needs a flat vector but gets {shape}: add a Flatten layer before it")
        if module.in_features != shape[0]:
            raise ValueError(f"expects {module.in_features:,} inputs, but the previous layer gives {shape[0]:,}")
        shape = (module.out_features,)
        return shape, None, LayerRow(output_shape=shape, **common)
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        wanted = 3 if isinstance(module, nn.BatchNorm2d) else 1
        if len(shape) != wanted:
            raise ValueError(f"{kind} needs {'an image (C, H, W)' if wanted == 3 else 'a flat vector'}, got {shape}")
        if module.num_features != shape[0]:
            raise ValueError(f"expects {module.num_features} channels, but the input has {shape[0]}")
        return shape, fields, LayerRow(output_shape=shape, field=fields, **common)
    if isinstance(module, SHAPE_KEEPING):
        return shape, fields, LayerRow(output_shape=shape, field=fields, **common)
    raise ValueError(f"{kind} is not supported; summarize understands {SUPPORTED}")


def prod(numbers: tuple[int, ...]) -> int:
    """Product of the numbers (the length of a flattened tensor)."""
    out = 1
    for n in numbers:
        out *= n
    return out
