"""``summarize``: a Keras-style ``model.summary()`` for a PyTorch model, computed by arithmetic.

Shapes come from the rules in ``cnnviz.shapes`` (no forward pass, so VGG16 at 224x224 takes
milliseconds and a model on the "meta" device works); parameter counts come from the module's own
tensors, so they are what PyTorch really has. Tests check both against a real forward pass.

An ``nn.Sequential`` (nested ones too) is walked layer by layer. A model with its own ``forward``
(residual blocks, EfficientNet) is traced on the meta device (``cnnviz.trace``) to learn the order its
layers run in; each layer's row is then worked out by the same arithmetic. A residual addition is not a
layer and gets no row; the receptive field follows the main path, which contains the skipped one's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from torch import nn

from cnnviz.receptive import AxisField
from cnnviz.shapes import conv_output_size, pool_output_size, transposed_conv_output_size
from cnnviz.trace import TraceError, trace_leaves

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
SHAPE_KEEPING = (*ACTIVATIONS, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout)
CONVS = (nn.Conv1d, nn.Conv2d)
TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d)
POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)
ADAPTIVE = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d)
SUPPORTED = (
    "Conv1d/2d (grouped too), ConvTranspose1d/2d, MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, ZeroPad2d, "
    "BatchNorm1d/2d, Flatten, Linear, Dropout and activations"
)
NOT_APPLICABLE = "n/a: a transposed convolution's units read windows of different sizes"
Fields = tuple[AxisField, ...] | None | str  # per spatial axis; None: the whole input; str: why there is none


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
    # One AxisField per spatial axis, (rows, columns) or (length,); None: sees the whole input (or, when
    # field_note is set, has no fixed-size window: after a transposed convolution or an uneven adaptive pool).
    field: tuple[AxisField, ...] | None = None
    activation: str = ""  # set when activation rows are folded into this one
    field_note: str = ""
    variant: str = ""  # a convolution's kind: "depthwise", "4 groups" or "1x1" (pointwise)

    @property
    def keras_shape(self) -> tuple[int, ...]:
        """The output shape as Keras and the lecture print it: (H, W, C), (L, C) or (features,)."""
        shape = self.output_shape
        return (*shape[1:], shape[0]) if len(shape) > 1 else shape


@dataclass(frozen=True)
class Summary:
    """All rows plus totals; ``input_shape`` is (C, H, W) or, for 1-D models, (C, L)."""

    input_shape: tuple[int, ...]
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
    bias = " + 1" if getattr(module, "bias", None) is not None else ""
    if isinstance(module, CONVS + TRANSPOSED):
        taps = "·".join(str(k) for k in module.kernel_size)
        groups = f"/{module.groups}" if module.groups > 1 else ""
        return f"({taps}·{module.in_channels}{groups}{bias})·{module.out_channels}"
    if isinstance(module, nn.Linear):
        return f"({module.in_features:,}{bias})·{module.out_features:,}"
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        return f"4·{module.num_features} (γ, β trained; mean, variance not)"
    return ""


def _variant(module: nn.Module) -> str:
    """ "depthwise" (groups = C_in), "G groups", or "1x1" for a convolution; "" otherwise."""
    if not isinstance(module, CONVS + TRANSPOSED):
        return ""
    if module.groups > 1:
        return "depthwise" if module.groups == module.in_channels else f"{module.groups} groups"
    return "1x1" if set(module.kernel_size) == {1} else ""


def _dims(module: nn.Module) -> int:
    """How many spatial axes the layer works on (1 for ``Conv1d``, 2 for ``Conv2d``), from its class name."""
    return 1 if type(module).__name__.endswith("1d") else 2


def _tuple(value: int | tuple[int, ...], dims: int) -> tuple:
    return (value,) * dims if isinstance(value, int | str) or value is None else tuple(value)


def _text(values: tuple) -> str:
    return str(values[0]) if len(set(values)) == 1 else "x".join(str(v) for v in values)


def _spatial(module: nn.Module, shape: tuple[int, ...], fields: Fields) -> tuple:
    """Output shape, the new receptive fields and the kernel/stride/padding texts of a spatial layer."""
    kind, dims = type(module).__name__, _dims(module)
    if len(shape) != dims + 1:
        wanted = "a signal (C, L)" if dims == 1 else "an image (C, H, W)"
        got = "already flat " if len(shape) == 1 else ""
        raise ValueError(f"{kind} needs {wanted}, but its input is {got}{shape}")
    channels, sizes = shape[0], shape[1:]
    if isinstance(module, nn.ZeroPad2d):
        left, right, top, bottom = module.padding
        out = (channels, sizes[0] + top + bottom, sizes[1] + left + right)
        if min(out[1:]) < 1:
            raise ValueError(f"negative padding crops the {sizes[0]} x {sizes[1]} input to nothing")
        new = (fields[0].shift(top), fields[1].shift(left)) if isinstance(fields, tuple) else fields
        return out, new, "", "", f"{top},{bottom} / {left},{right}"
    if isinstance(module, ADAPTIVE):
        wanted = tuple(n if o is None else o for n, o in zip(sizes, _tuple(module.output_size, dims), strict=True))
        return (channels, *wanted), _adaptive_fields(sizes, wanted, fields), "", "", ""
    kernel, stride = _tuple(module.kernel_size, dims), _tuple(module.stride, dims)
    dilation, padding = _tuple(getattr(module, "dilation", 1), dims), _tuple(module.padding, dims)
    if isinstance(module, CONVS + TRANSPOSED) and module.in_channels != channels:
        raise ValueError(f"expects {module.in_channels} input channels, but the input has {channels}")
    axes = list(zip(sizes, kernel, stride, padding, dilation, strict=True))
    if isinstance(module, CONVS):
        out = [conv_output_size(*axis) for axis in axes]
    elif isinstance(module, TRANSPOSED):
        extra = _tuple(module.output_padding, dims)
        out = [transposed_conv_output_size(n, k, s, p, o, d) for (n, k, s, p, d), o in zip(axes, extra, strict=True)]
    else:
        out = [pool_output_size(n, k, s, p, module.ceil_mode, d) for n, k, s, p, d in axes]
    channels = getattr(module, "out_channels", channels)
    if isinstance(module, TRANSPOSED):
        fields = NOT_APPLICABLE
    elif isinstance(fields, tuple):
        before = [(d * (k - 1)) // 2 if p == "same" else (0 if p == "valid" else p) for _n, k, _s, p, d in axes]
        fields = tuple(
            f.grow(d * (k - 1) + 1, s, b) for f, (_n, k, s, _p, d), b in zip(fields, axes, before, strict=True)
        )
    return (channels, *out), fields, _text(kernel), _text(stride), _text(padding)


def _adaptive_fields(sizes: tuple[int, ...], wanted: tuple[int, ...], fields: Fields) -> Fields:
    """Global pooling sees everything; an even split is an ordinary pool; otherwise windows differ in size."""
    if all(w == 1 for w in wanted) or not isinstance(fields, tuple):
        return None if all(w == 1 for w in wanted) else fields
    if any(n % w for n, w in zip(sizes, wanted, strict=True)):
        return "n/a: adaptive pooling with uneven windows (the input does not divide by the output)"
    return tuple(f.grow(n // w, n // w, 0) for f, n, w in zip(fields, sizes, wanted, strict=True))


def _input_shape(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """(C, H, W), (C, L) or, for one-channel images given as (H, W), (1, H, W)."""
    shape = tuple(int(n) for n in input_shape)
    first = next((m for m in model.modules() if isinstance(m, CONVS + TRANSPOSED + POOLS + ADAPTIVE)), None)
    one_d = first is not None and _dims(first) == 1
    if len(shape) == 2 and not one_d:
        shape = (1, *shape)
    if len(shape) != (2 if one_d else 3) or min(shape) < 1:
        wanted = "(channels, length)" if one_d else "(channels, height, width)"
        raise ValueError(f"input shape must be {wanted} with each at least 1, got {input_shape}")
    return shape


def summarize(model: nn.Module, input_shape: tuple[int, ...]) -> Summary:
    """One row per layer: output shape, parameters, kernel/stride/padding, receptive field.

    Args:
        model: an ``nn.Sequential`` (nested ones are flattened), a single layer, or any module whose
            ``forward`` calls layers from ``SUPPORTED`` (its rows follow the order forward calls them);
            it may live on the "meta" device.
        input_shape: (C, H, W) of one input image, or (H, W) for one channel; (C, L) for a 1-D model.

    Raises:
        LayerError (a ValueError): a layer is not supported, or cannot take the shape that reaches it;
            ``index``/``name`` say which, the message says why.
    """
    start = shape = _input_shape(model, input_shape)
    fields: Fields = tuple(AxisField() for _ in shape[1:])
    rows: list[LayerRow] = []
    if _is_sequential(model):
        layers = [(name, module, None) for name, module in _leaves(model)]
    else:
        try:
            layers = [(c.name, c.module, c.input_shape) for c in trace_leaves(model, shape)]
        except TraceError as exc:
            kind = type(model).__name__
            reason = f"{exc}; summarize needs an nn.Sequential or a {kind} whose forward() runs on this shape"
            raise LayerError(exc.index, exc.name, reason) from None
    seen: set[int] = set()
    for index, (name, module, traced_input) in enumerate(layers):
        if traced_input is not None and traced_input != shape:  # reshaped in forward(): start from what arrives
            fields = fields if traced_input[1:] == shape[1:] else "n/a: forward() reshapes between layers"
            shape = traced_input
        try:
            shape, fields, row = _step(name, module, shape, fields)
        except ValueError as exc:
            raise LayerError(index, name, str(exc)) from None
        if id(module) in seen:  # a layer called again shares its weights: count them once
            row = replace(row, params=0, trainable=0, params_formula="(shared)")
        seen.add(id(module))
        rows.append(row)
    return Summary(start, rows)


def layer_output_shape(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Shape (without batch) that one supported layer produces from ``shape``: (C, H, W), (C, L) or (features,).

    Raises:
        ValueError: the layer is not supported or cannot take ``shape``.
    """
    return _step(type(module).__name__.lower(), module, tuple(shape), None)[0]


def _is_sequential(model: nn.Module) -> bool:
    """True when every container in the model is a plain ``nn.Sequential`` (its forward runs children in order)."""
    return all(
        type(m).forward is nn.Sequential.forward for m in model.modules() if next(m.children(), None) is not None
    )


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    if not isinstance(model, nn.Sequential):
        return [(type(model).__name__.lower(), model)]
    leaves = []
    for name, child in model.named_children():
        leaves += (
            [(f"{name}.{n}", m) for n, m in _leaves(child)] if isinstance(child, nn.Sequential) else [(name, child)]
        )
    return leaves


def _shown(fields: Fields) -> dict:
    return {
        "field": fields if isinstance(fields, tuple) else None,
        "field_note": fields if isinstance(fields, str) else "",
    }


def _step(name: str, module: nn.Module, shape: tuple[int, ...], fields: Fields) -> tuple:
    kind = type(module).__name__
    params, trainable = _param_counts(module)
    common = dict(name=name, kind=kind, params=params, trainable=trainable, params_formula=_formula(module))
    common["variant"] = _variant(module)
    shown = _shown(fields)
    if isinstance(module, CONVS + TRANSPOSED + POOLS + ADAPTIVE + (nn.ZeroPad2d,)):
        shape, fields, kernel, stride, padding = _spatial(module, shape, fields)
        row = LayerRow(output_shape=shape, kernel=kernel, stride=stride, padding=padding, **_shown(fields), **common)
        return shape, fields, row
    if isinstance(module, nn.Flatten):
        if (module.start_dim, module.end_dim) != (1, -1):
            raise ValueError("only Flatten() over everything but the batch is covered")
        shape = (math.prod(shape),)
        return shape, fields, LayerRow(output_shape=shape, **shown, **common)
    if isinstance(module, nn.Linear):
        if len(shape) != 1:
            raise ValueError(f"a dense layer needs a flat vector but gets {shape}: add a Flatten layer before it")
        if module.in_features != shape[0]:
            raise ValueError(f"expects {module.in_features:,} inputs, but the previous layer gives {shape[0]:,}")
        shape = (module.out_features,)
        return shape, None, LayerRow(output_shape=shape, **common)
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        wanted = (3,) if isinstance(module, nn.BatchNorm2d) else (1, 2)
        if len(shape) not in wanted:
            what = "an image (C, H, W)" if wanted == (3,) else "a flat vector or a signal (C, L)"
            raise ValueError(f"{kind} needs {what}, got {shape}")
        if module.num_features != shape[0]:
            raise ValueError(f"expects {module.num_features} channels, but the input has {shape[0]}")
        return shape, fields, LayerRow(output_shape=shape, **shown, **common)
    if isinstance(module, SHAPE_KEEPING):
        return shape, fields, LayerRow(output_shape=shape, **shown, **common)
    raise ValueError(f"{kind} is not supported; summarize understands {SUPPORTED}")
