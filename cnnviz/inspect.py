"""Looking inside a trained network: activations, max-pooling windows, filters and mosaics of maps.

Import it as ``from cnnviz import inspect as net_inspect`` (or ``from cnnviz.inspect import ...``):
the module name is the lecture's word, not the standard library's ``inspect``.

Nothing here trains or changes a model. Where a network looked (saliency, Grad-CAM) is in
``cnnviz.attribution``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

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
