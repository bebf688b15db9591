"""Conv arithmetic: output sizes and parameter counts, exactly as PyTorch computes them.

The lecture's formula is ``W_o = floor((W - F + 2P) / S) + 1``; with dilation d the kernel
covers ``d*(F-1)+1`` input pixels, which replaces F.
"""

from __future__ import annotations

import math

Padding = int | str


def _check_at_least(name: str, value: int, minimum: int, rule: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        extra = f" ({rule})" if rule else ""
        raise ValueError(f"{name} must be at least {minimum}, got {value}{extra}")


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Padding (before, after) that TensorFlow/Keras 'same' adds so the output is ceil(size / stride).

    The extra pixel of an odd total goes at the end, as in TensorFlow.
    """
    effective = dilation * (kernel - 1) + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: Padding = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one axis: ``floor((W - d*(F-1) - 1 + 2P) / S) + 1``.

    Args:
        size: input length W (pixels).
        kernel: kernel length F.
        stride: step S between windows.
        padding: P zeros on each side, or "valid" (P = 0) or "same" (TensorFlow: ceil(W / S)).
        dilation: gap d between kernel taps (1 = no gap).

    Raises:
        ValueError: a parameter is out of range, or the (dilated) kernel is larger than the padded input.
    """
    _check_at_least("input size", size, 1)
    _check_at_least("kernel size", kernel, 1)
    _check_at_least("stride", stride, 1)
    _check_at_least("dilation", dilation, 1)
    effective = dilation * (kernel - 1) + 1
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            return math.ceil(size / stride)
        else:
            raise ValueError(f"padding must be a number, 'valid' or 'same', got {padding!r}")
    _check_at_least("padding", padding, 0)
    padded = size + 2 * int(padding)
    if effective > padded:
        raise ValueError(
            f"kernel ({effective} px with dilation) is larger than the padded input ({padded} px): "
            "the window does not fit even once"
        )
    return (padded - effective) // stride + 1


def pool_output_size(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False
) -> int:
    """Output length of PyTorch max/avg pooling along one axis (stride defaults to the kernel size).

    With ``ceil_mode`` PyTorch rounds up, but drops a last window that would start in the right padding.

    Raises:
        ValueError: a parameter is out of range, padding is more than half the kernel, or the window does
            not fit.
    """
    stride = kernel if stride is None else stride
    _check_at_least("input size", size, 1)
    _check_at_least("kernel size", kernel, 1)
    _check_at_least("stride", stride, 1)
    _check_at_least("padding", padding, 0)
    if padding > kernel // 2:
        raise ValueError(f"padding must be at most half the kernel size ({kernel // 2}), got {padding}")
    padded = size + 2 * padding
    if kernel > padded:
        raise ValueError(f"pooling window ({kernel} px) is larger than the padded input ({padded} px)")
    span = padded - kernel
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def conv_params(kernel: int | tuple[int, int], in_channels: int, out_channels: int, bias: bool = True) -> int:
    """Parameters of a conv layer: ``(F*F*C_in + 1) * C_out`` (without the +1 when there is no bias)."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return (kh * kw * in_channels + int(bias)) * out_channels


def dense_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a dense (fully connected) layer: ``(n_in + 1) * n_out``."""
    return (in_features + int(bias)) * out_features
