"""Where a network looked: saliency (SmoothGrad) and Grad-CAM heat maps over the input.

Both take gradients with ``torch.autograd.grad`` with respect to a copy of the input (never ``.backward()``),
so they work on shared models whose parameters have ``requires_grad=False`` and leave no ``.grad`` behind.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.inspect import SPATIAL_LAYERS, as_batch, feature_map_layers, hooked_pass, layer_outputs
from cnnviz.receptive import AxisField, axis_steps
from cnnviz.shapes import whole_number


def _scores(model: nn.Module, x: torch.Tensor, target: int) -> torch.Tensor:
    """The ``target`` logit of each image in ``x``: (N,). The logit, not the softmax: what raises *this* class."""
    target = whole_number("target class", int(target) if isinstance(target, np.integer) else target, 0)
    logits = model(x)
    if target >= logits.shape[1]:
        raise ValueError(f"target class must be between 0 and {logits.shape[1] - 1}, got {target}")
    return logits[:, target]


def saliency(
    model: nn.Module, x: torch.Tensor | np.ndarray, target: int, samples: int = 1, noise: float = 0.0, seed: int = 0
) -> np.ndarray:
    """How much each input pixel moves the ``target`` logit: ``|d logit / d pixel|``, scaled to max 1.

    With ``samples > 1`` this is SmoothGrad (Smilkov et al. 2017): the gradient magnitude averaged over
    the input and ``samples - 1`` copies with Gaussian ``noise`` (std, in [0, 1] pixel units) added, which
    removes speckle. All copies go through the model as one batch.

    Returns:
        (H, W) float array in [0, 1] (all zeros if the gradient is zero everywhere).

    Raises:
        ValueError: ``x`` is not one image, ``target`` is not a class of the model, or ``samples`` < 1.
    """
    batch = as_batch(x)
    samples = whole_number("samples", samples, 1)
    generator = torch.Generator().manual_seed(seed)
    jitter = torch.randn((samples, *batch.shape[1:]), generator=generator) * noise
    jitter[0] = 0.0  # the first copy is the input itself
    with torch.enable_grad():
        copies = (batch + jitter).requires_grad_(True)  # (S, 1, H, W)
        # Each copy's score depends only on that copy, so the gradient of the sum holds every copy's own gradient.
        (grad,) = torch.autograd.grad(_scores(model, copies, target).sum(), copies)
    heat = grad.abs().sum(0)[0].numpy()
    peak = heat.max()
    return heat / peak if peak > 0 else heat


def _grid_geometry(model: nn.Module, layer: str) -> tuple[float, float]:
    """(start, jump): input coordinate of the centre of unit 0 of ``layer`` and the pixels between units.

    Walks the leaf layers in ``named_modules`` order (the order a sequential network runs them) up to the
    last one inside ``layer``, which may be nested ("blocks.3") or a block of layers; zero padding shifts.
    """
    field, inside = AxisField(), False
    for name, module in model.named_modules():
        if name == layer or name.startswith(f"{layer}."):
            inside = True
        elif inside:
            break
        if next(module.children(), None) is not None:
            continue  # a container: its layers follow
        if isinstance(module, nn.ZeroPad2d):
            field = field.shift(module.padding[2])  # (left, right, top, bottom): rows, like steps[0] below
        elif (steps := axis_steps(module)) is not None:
            field = field.grow(*steps[0])
    return field.start, float(field.jump)


def _logits_and_maps(model: nn.Module, batch: torch.Tensor, layer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits (1, classes), ``layer``'s output (1, C, h, w)) of one pass, the layer walked or else hooked."""
    outputs = layer_outputs(model, batch)
    found = dict(outputs).get(layer)
    if found is not None:
        return outputs[-1][1], found
    hooked, logits = hooked_pass(model, batch, [(layer, dict(model.named_modules())[layer])])
    return logits, hooked[0][1]


def grad_cam(model: nn.Module, x: torch.Tensor | np.ndarray, target: int, layer: str = "conv3") -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): where in the image ``layer``'s maps support class ``target``.

    Each map A_k of ``layer`` is weighted by the mean gradient of the target logit over it,
    ``cam = ReLU(sum_k w_k A_k)``, then resampled to the input grid. The resampling puts each unit at
    the centre of its receptive field (conv3 of the lecture net is 3x3 with centres at pixels 8.5,
    12.5 and 16.5), rather than stretching the small map over the whole image; beyond the outermost
    centres the heat fades to zero over one unit spacing instead of being extrapolated.

    Args:
        x: one image in [0, 1]: grey (H, W) or (1, 1, H, W), or colour (1, 3, H, W).
        layer: a name from ``feature_map_layers`` (nested names such as "blocks.15" work), or any nested
            conv/pool/ReLU layer before the flatten ("blocks.15.project_conv").

    Returns:
        (H, W) float array in [0, 1], the input's size (all zeros if no map supports the class).

    Raises:
        ValueError: ``layer`` is not a layer of feature maps (a dense model has none), ``x`` is not one
            image, or ``target`` is not a class of the model.
    """
    choices = feature_map_layers(model)
    modules = {name: module for name, module in model.named_modules() if name}
    nested_ok = isinstance(modules.get(layer), (*SPATIAL_LAYERS, nn.ReLU, nn.ReLU6)) and "." in layer
    if layer not in choices and not nested_ok:
        known = "" if layer in modules else f"the model has no layer called {layer!r}; "
        raise ValueError(
            f"{known}Grad-CAM needs a layer of feature maps (before the flatten): "
            + (f"choose one of {', '.join(choices)}" if choices else "this model has none, it has no conv layers")
        )
    batch = as_batch(x, channels=None)
    target = whole_number("target class", int(target) if isinstance(target, np.integer) else target, 0)
    with torch.enable_grad():
        copy = batch.clone().requires_grad_(True)  # makes the activation part of the graph
        logits, activation = _logits_and_maps(model, copy, layer)
        if target >= logits.shape[1]:
            raise ValueError(f"target class must be between 0 and {logits.shape[1] - 1}, got {target}")
        (grad,) = torch.autograd.grad(logits[0, target], activation)
    maps = activation.detach()[0]  # (C, h, w)
    weights = grad[0].mean(dim=(1, 2))  # (C,)
    cam = torch.relu((weights[:, None, None] * maps).sum(0))  # (h, w)
    height, width = batch.shape[-2:]
    start, jump = _grid_geometry(model, layer)
    h, w = cam.shape

    def coordinates(n_out: int, n_in: int) -> torch.Tensor:  # input pixel -> normalised position on the map
        units = (torch.arange(n_out, dtype=torch.float32) - start) / jump
        return units / max(n_in - 1, 1) * 2 - 1

    ys, xs = torch.meshgrid(coordinates(height, h), coordinates(width, w), indexing="ij")
    grid = torch.stack([xs, ys], -1)[None]  # (1, H, W, 2) as grid_sample wants (x, y)
    heat = F.grid_sample(cam[None, None], grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    heat = heat[0, 0].numpy()
    peak = heat.max()
    return heat / peak if peak > 0 else np.zeros_like(heat)
