"""Looking inside a trained network: activations, max-pooling windows, filters, saliency and Grad-CAM.

Import it as ``from cnnviz import inspect as net_inspect`` (or ``from cnnviz.inspect import ...``):
the module name is the lecture's word, not the standard library's ``inspect``.

Nothing here trains or changes a model. Saliency and Grad-CAM take gradients with
``torch.autograd.grad`` with respect to a copy of the input (never ``.backward()``), so they work
on shared models whose parameters have ``requires_grad=False`` and leave no ``.grad`` behind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.receptive import AxisField, axis_steps
from cnnviz.shapes import pool_output_size, whole_number

SPATIAL_LAYERS = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def as_batch(
    x: torch.Tensor | np.ndarray, *, single: bool = True, side: int | None = None, channels: int | None = 1
) -> torch.Tensor:
    """Images in [0, 1] as the float batch (N, C, H, W) a model takes, on the CPU.

    (H, W) is one grey image, (N, H, W) N grey images, (N, C, H, W) a batch as it is.

    Args:
        single: exactly one image is expected (N = 1).
        side: if given, every image must be ``side`` x ``side`` pixels.
        channels: the colour channels C expected (1 for grey), or None for any.

    Raises:
        ValueError: uint8 pixels (0-255), another shape, more than one image where one is expected, the wrong
            size, NaN or infinite values, or values outside [0, 1].
    """
    tensor = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).detach().cpu()
    if tensor.dtype == torch.uint8:
        raise ValueError("expected float pixels in [0, 1], got uint8 (0-255): divide by 255 first")
    tensor = tensor.float()
    if tensor.ndim == 2:
        tensor = tensor[None, None]
    elif tensor.ndim == 3:
        tensor = tensor[:, None]
    size = "(H, W)" if side is None else f"({side}, {side})"
    fits = tensor.ndim == 4 and (channels is None or tensor.shape[1] == channels)
    if single and not (fits and tensor.shape[0] == 1):
        kind = "grey image" if channels == 1 else "image"
        raise ValueError(f"expected one {kind} of shape {size}, got a tensor of shape {tuple(tensor.shape)}")
    if not fits or (side is not None and tuple(tensor.shape[2:]) != (side, side)):
        what = "images" if side is None else f"{side} x {side} images"
        shapes = f"{size}, (N, {size[1:-1]}) or (N, {channels or 'C'}, {size[1:-1]})"
        raise ValueError(f"expected {what} shaped {shapes}, got {tuple(tensor.shape)}")
    if tensor.numel() and not torch.isfinite(tensor).all():
        raise ValueError("the image contains NaN or infinite values")
    if tensor.numel() and (tensor.min() < 0 or tensor.max() > 1):
        raise ValueError(f"pixel values must be in [0, 1], got {tensor.min():.3g} to {tensor.max():.3g}")
    return tensor


def _named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return list(model.named_children())


HOOK_LOCK = threading.Lock()  # held by every helper that hooks a shared model (here and in forward_calls)


def layer_outputs(model: nn.Module, batch: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """(name, output) of every child layer of ``model`` for ``batch``, in order; thread-safe.

    Models are shared by every session of the server, each in its own thread, so hooks (state on the
    shared module) would catch other sessions' forward passes. ``MnistNet`` walks its own layers
    (``forward_layers``) and a plain ``nn.Sequential`` is walked here, with no hooks at all; any other
    module falls back to forward hooks that record only this thread's pass, one such pass at a time,
    and are removed even when forward raises.
    """
    if hasattr(model, "forward_layers"):
        return model.forward_layers(batch)
    if type(model) is nn.Sequential:
        outputs, x = [], batch
        for name, layer in model.named_children():
            x = layer(x)
            outputs.append((name, x))
        return outputs
    return hooked_pass(model, batch, _named_layers(model))[0]


def hooked_pass(
    model: nn.Module, batch: torch.Tensor, layers: list[tuple[str, nn.Module]]
) -> tuple[list[tuple[str, torch.Tensor]], torch.Tensor]:
    """((name, output) of each of ``layers`` in the order they ran, the model's output) for ``batch``.

    The layers may be nested anywhere in ``model``. Forward hooks record only this thread's pass, one such
    pass at a time (``HOOK_LOCK``), and are removed even when forward raises.
    """
    owner = threading.get_ident()
    outputs: list[tuple[str, torch.Tensor]] = []
    handles = []
    with HOOK_LOCK:
        try:
            for name, layer in layers:
                # A default argument binds this layer's name now, not the loop's last one.
                def keep(_module, _inputs, output, name=name):
                    if threading.get_ident() == owner:
                        outputs.append((name, output))

                handles.append(layer.register_forward_hook(keep))
            result = model(batch)
        finally:
            for handle in handles:
                handle.remove()
    return outputs, result


def activations(model: nn.Module, x: torch.Tensor | np.ndarray) -> dict[str, torch.Tensor]:
    """Every layer's output for one input image, in layer order, keyed by layer name.

    Args:
        model: a sequential model such as ``build_model("convnet")`` (children conv1, relu1, pool1, ...).
        x: one image in [0, 1], (28, 28), (1, 28, 28) or (1, 1, 28, 28).

    Returns:
        ``{"conv1": (32, 26, 26), "relu1": ..., "fc2": (10,)}``: detached CPU tensors without the batch
        axis, so the shapes are the ones ``summarize`` prints. The model is left unchanged (no hooks
        remain; see ``layer_outputs`` for why shared models are walked rather than hooked).

    Raises:
        ValueError: ``x`` is not one grey image.
    """
    batch = as_batch(x)
    with torch.no_grad():
        return {name: output.detach()[0].cpu().clone() for name, output in layer_outputs(model, batch)}


@dataclass(frozen=True)
class PoolingWindows:
    """Max pooling cell by cell. ``H_o, W_o`` is the pooled size, ``k`` the window.

    ``output``: (H_o, W_o) the pooled map; ``windows``: (H_o, W_o, k, k) the input each cell reads;
    ``winners``: (H_o, W_o, 2) row and column, in the input map, of the maximum each cell keeps.
    """

    output: np.ndarray
    windows: np.ndarray
    winners: np.ndarray
    kernel: int
    stride: int

    @property
    def covered(self) -> tuple[int, int]:
        """(rows, columns) of the input that some window reaches: (H_o - 1) * stride + k each way. Beyond them
        (relu2's 11th row under 2x2 pooling) the input is dropped, as the output-size formula's floor says."""
        rows, cols = self.output.shape
        return (rows - 1) * self.stride + self.kernel, (cols - 1) * self.stride + self.kernel


def pooling_windows(
    feature_map: torch.Tensor | np.ndarray, kernel: int = 2, stride: int | None = None
) -> PoolingWindows:
    """Max pooling of one (H, W) feature map, keeping each window and where its maximum sits.

    Same as ``F.max_pool2d(..., return_indices=True)`` (floor mode, no padding; a tie goes to the first
    maximum in reading order). ``stride`` defaults to ``kernel``.

    Raises:
        ValueError: the map is not 2-D, or kernel/stride are not whole numbers >= 1, or the window is larger
            than the map.
    """
    values = np.asarray(feature_map.detach().cpu() if isinstance(feature_map, torch.Tensor) else feature_map)
    if values.ndim != 2:
        raise ValueError(f"pooling_windows takes one feature map (H, W), got shape {values.shape}")
    kernel = whole_number("pooling window", kernel, 1)
    stride = kernel if stride is None else whole_number("stride", stride, 1)
    out_h = pool_output_size(values.shape[0], kernel, stride)
    out_w = pool_output_size(values.shape[1], kernel, stride)
    views = np.lib.stride_tricks.sliding_window_view(values, (kernel, kernel))
    windows = views[::stride, ::stride][:out_h, :out_w]  # (H_o, W_o, k, k)
    flat = windows.reshape(out_h, out_w, -1)
    best = flat.argmax(-1)  # first maximum in reading order, as PyTorch
    rows = np.arange(out_h)[:, None] * stride + best // kernel
    cols = np.arange(out_w)[None, :] * stride + best % kernel
    output = np.take_along_axis(flat, best[..., None], -1)[..., 0]
    return PoolingWindows(output, windows.copy(), np.stack([rows, cols], -1), kernel, stride)


def feature_map_layers(model: nn.Module) -> list[str]:
    """Names of the layers whose outputs are feature maps (C, H, W), in order, up to the first Flatten or Linear:
    conv, pooling and ReLU layers, and blocks of layers holding a conv (EfficientNet's ``stem``, ``blocks.0``
    ... ``blocks.15``, ``head``: a container whose children are all such blocks lists its children)."""
    names: list[str] = []

    def holds_conv(module: nn.Module) -> bool:
        return any(isinstance(m, nn.Conv2d) for m in module.modules())

    def walk(prefix: str, module: nn.Module) -> bool:  # False once the flatten is reached
        for name, layer in module.named_children():
            if isinstance(layer, nn.Flatten | nn.Linear):
                return False
            if isinstance(layer, (*SPATIAL_LAYERS, nn.ReLU, nn.ReLU6)):
                names.append(prefix + name)
            elif holds_conv(layer):
                blocks = list(layer.children())
                if all(holds_conv(b) and list(b.children()) for b in blocks):
                    if not walk(f"{prefix}{name}.", layer):
                        return False
                else:
                    names.append(prefix + name)
        return True

    walk("", model)
    return names


def _describe_choices(model: nn.Module, kinds: tuple[type, ...]) -> str:
    names = [name for name, layer in model.named_modules() if name and isinstance(layer, kinds)]
    return ", ".join(names) if names else "none: this model has no such layer"


def _layer(model: nn.Module, name: str, kinds: tuple[type, ...], purpose: str) -> nn.Module:
    layers = {key: layer for key, layer in model.named_modules() if key}  # nested names: "stem.conv"
    if name not in layers:
        raise ValueError(f"the model has no layer called {name!r}; {purpose}: {_describe_choices(model, kinds)}")
    if not isinstance(layers[name], kinds):
        raise ValueError(
            f"{name} is a {type(layers[name]).__name__} layer: {purpose}; "
            f"choose one of: {_describe_choices(model, kinds)}"
        )
    return layers[name]


def conv_filters(model: nn.Module, layer: str = "conv1") -> torch.Tensor:
    """The learned kernels of conv layer ``layer``: (C_out, C_in, kH, kW), a detached copy.

    Raises:
        ValueError: no layer has that name, or it is not a convolution (only conv layers have filters).
    """
    conv = _layer(model, layer, (nn.Conv2d,), "filters exist only in conv layers")
    return conv.weight.detach().cpu().clone()


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


def tile_maps(maps: torch.Tensor | np.ndarray, columns: int = 8, gap: int = 1) -> np.ndarray:
    """Lay (C, H, W) feature maps out as one mosaic, row by row; the gaps between them are NaN.

    Drawing a layer as one image instead of C small figures is what keeps the page fast.

    Returns:
        (rows * (H + gap) - gap, columns * (W + gap) - gap) float array, rows = ceil(C / columns).

    Raises:
        ValueError: ``maps`` is not 3-D, or ``columns`` < 1, or ``gap`` < 0.
    """
    maps = np.asarray(maps.detach().cpu() if isinstance(maps, torch.Tensor) else maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"tile_maps takes a stack of maps (C, H, W), got shape {maps.shape}")
    columns = min(whole_number("columns", columns, 1), maps.shape[0])
    gap = whole_number("gap", gap, 0)
    count, h, w = maps.shape
    rows = -(-count // columns)
    mosaic = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), np.nan, dtype=np.float32)
    for i in range(count):
        r, c = divmod(i, columns)
        mosaic[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = maps[i]
    return mosaic
