"""One forward pass recorded layer by layer: what each leaf module received and returned, in call order.

``explain_unit`` and ``trace_unit`` need more than ``inspect.activations`` keeps: the real input of any
layer, nested ones included (``model.named_modules()``), and which layer produced it. PyTorch does not
say who produced a tensor, so ``producer`` follows object identity (Sequential and most ``forward``
methods hand one module's output straight to the next), and otherwise takes the latest earlier output
with as many values (a ``torch.flatten`` or an addition in ``forward`` breaks the identity chain).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
from torch import nn

from cnnviz.inspect import HOOK_LOCK


@dataclass(frozen=True)
class LayerCall:
    """One leaf module's call: its name, the module, and copies of its first input and its output (batch 1)."""

    name: str
    module: nn.Module
    input: torch.Tensor  # (1, ...) a copy: later in-place layers (ReLU(inplace=True)) cannot change it
    output: torch.Tensor  # (1, ...) a copy; the first element when the module returns a tuple
    input_id: int  # id() of the tensor object received, to find its producer
    output_id: int


def record_calls(model: nn.Module, batch: torch.Tensor) -> list[LayerCall]:
    """Run ``model`` on ``batch`` (1, C, H, W) without gradients and record every leaf module's call, in order.

    Thread-safe on a model shared by many sessions: the hooks keep only this thread's pass and are
    removed even when forward raises (see ``inspect.layer_outputs``). Copies every layer's input and
    output, so memory is about twice one forward pass.
    """
    owner = threading.get_ident()
    calls: list[LayerCall] = []
    alive: list[torch.Tensor] = []  # keeps every recorded tensor alive, so no id() is reused during the pass
    received: dict[int, torch.Tensor] = {}  # the input copied before the layer runs: an in-place layer changes it
    handles = []
    leaves = [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]

    def mine(inputs: tuple) -> bool:
        return threading.get_ident() == owner and bool(inputs) and isinstance(inputs[0], torch.Tensor)

    def copy_input(module, inputs):
        if mine(inputs):
            received[id(module)] = inputs[0].detach().cpu().clone()

    with HOOK_LOCK, torch.no_grad():
        try:
            for name, module in leaves:
                # A default argument binds this layer's name now, not the loop's last one.
                def keep(module, inputs, output, name=name):
                    if mine(inputs) and id(module) in received:
                        out = output[0] if isinstance(output, tuple | list) else output
                        alive.extend((inputs[0], out))
                        copies = received.pop(id(module)), out.detach().cpu().clone()
                        calls.append(LayerCall(name, module, *copies, id(inputs[0]), id(out)))

                handles.append(module.register_forward_pre_hook(copy_input))
                handles.append(module.register_forward_hook(keep))
            model(batch.to(next(model.parameters(), batch).device))
        finally:
            for handle in handles:
                handle.remove()
    return calls


def producer(calls: list[LayerCall], index: int) -> int | None:
    """Index of the call whose output call ``index`` read, or None when it read the model's input."""
    wanted = calls[index].input_id
    for j in range(index - 1, -1, -1):
        if calls[j].output_id == wanted:
            return j
    count = calls[index].input.numel()
    for j in range(index - 1, -1, -1):
        if calls[j].output.numel() == count:
            return j
    return None


def flattened_from(calls: list[LayerCall], index: int) -> tuple[tuple[int, int, int], int | None] | None:
    """(C, H, W) of the map a flat input was flattened from, and the index of the call that made that map.

    Walks back through shape-keeping layers (dropout, activations) to a layer that turned a map into a
    vector (``nn.Flatten``) or a map output of the same size; None when a Linear or another change comes
    first (the input was never a map). The index is None when the map is the model's input.
    """
    count = calls[index].input.numel()
    j = producer(calls, index)
    while j is not None:
        call = calls[j]
        if call.output.dim() == 4:
            return (tuple(call.output.shape[1:]), j) if call.output.numel() == count else None
        if call.input.dim() == 4 and call.input.numel() == count:
            return tuple(call.input.shape[1:]), producer(calls, j)
        if isinstance(call.module, nn.Linear) or call.input.shape != call.output.shape:
            return None
        j = producer(calls, j)
    return None


def find_call(calls: list[LayerCall], layer: str) -> int:
    """Index of the one call of ``layer`` in ``calls``.

    Raises:
        ValueError: the layer never runs in ``forward``, or runs more than once (its output is not one map).
    """
    found = [i for i, call in enumerate(calls) if call.name == layer]
    if not found:
        raise ValueError(f"{layer} is part of the model but its forward pass never runs it, so it has no values")
    if len(found) > 1:
        raise ValueError(
            f"{layer} runs {len(found)} times in one forward pass (the model reuses it), so it has no single "
            "output to explain; choose a layer that runs once"
        )
    return found[0]
