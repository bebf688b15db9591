"""Which layers a model's ``forward`` calls, in order, with the shapes going in and out, without computing.

``summarize`` walks an ``nn.Sequential`` by arithmetic; a model with its own ``forward`` (a residual
block adds its input back, EfficientNet's MBConv) can only be followed by running it. Here it runs on
PyTorch's "meta" device: the parameters are swapped for meta tensors (``torch.func.functional_call``),
so no number is computed, the model is left untouched, and a 224 x 224 network is traced in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class LeafCall:
    """One call of a leaf module (a module without children) during ``forward``; shapes without the batch."""

    name: str  # qualified name, e.g. "blocks.0.depthwise"
    module: nn.Module
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]


class TraceError(ValueError):
    """``forward`` failed; ``index`` is the number of leaf calls that finished, ``name`` the leaf that failed."""

    def __init__(self, index: int, name: str, reason: str) -> None:
        super().__init__(reason)
        self.index, self.name = index, name


def trace_leaves(model: nn.Module, input_shape: tuple[int, ...]) -> list[LeafCall]:
    """The leaf calls of ``model(x)`` for one input of ``input_shape`` (without batch), in the order they run.

    A leaf called twice appears twice. Operations written in ``forward`` itself (``x + y``,
    ``torch.flatten``) are not modules and do not appear; their effect shows in the next leaf's input shape.

    Raises:
        TraceError (a ValueError): the model has no ``forward``, or its ``forward`` fails on this shape.
    """
    names = {id(module): name for name, module in model.named_modules()}
    calls: list[LeafCall] = []
    started: list[str] = []

    def before(module: nn.Module, args: tuple) -> None:
        started.append(names[id(module)])

    def after(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        shape_in = tuple(args[0].shape[1:]) if args and isinstance(args[0], torch.Tensor) else ()
        calls.append(LeafCall(names[id(module)], module, shape_in, tuple(output.shape[1:])))

    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    handles = [h for m in leaves for h in (m.register_forward_pre_hook(before), m.register_forward_hook(after))]
    tensors = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    meta = {name: torch.empty_like(t, device="meta") for name, t in tensors.items()}
    x = torch.empty((2, *input_shape), device="meta")  # batch 2: BatchNorm refuses one value per channel
    try:
        with torch.no_grad():
            torch.func.functional_call(model, meta, (x,))
    except NotImplementedError:
        raise TraceError(0, type(model).__name__, f"{type(model).__name__} has no forward() to follow") from None
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        name = started[-1] if len(started) > len(calls) else type(model).__name__
        raise TraceError(len(calls), name, str(exc).split("\n")[0]) from None
    finally:
        for handle in handles:
            handle.remove()
    return calls
