"""Conv arithmetic: output sizes and parameter counts, exactly as PyTorch computes them.

The lecture's formula is ``W_o = floor((W - F + 2P) / S) + 1``; with dilation d the kernel
covers ``d*(F-1)+1`` input pixels, which replaces F. ``summarize`` (in ``cnnviz.summary``) applies
these rules layer by layer to a whole ``nn.Module``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Padding = int | str


LARGEST = 10**9  # no size, stride, padding or count in a CNN lesson is larger; beyond it the arithmetic only slows


def whole_number(name: str, value: object, minimum: int, rule: str = "", maximum: int = LARGEST) -> int:
    """``value`` as an int, checked to be a whole number from ``minimum`` to ``maximum`` (a billion by default).

    Raises:
        ValueError: it is not a finite whole number, or it is out of range (the message names ``name``
            and, if given, the ``rule``).
    """
    number_like = isinstance(value, int | float) and not isinstance(value, bool)
    if not number_like or not math.isfinite(value) or value != int(value):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        extra = f" ({rule})" if rule else ""
        raise ValueError(f"{name} must be at least {minimum}, got {int(value)}{extra}")
    if value > maximum:
        raise ValueError(f"{name} must be at most {maximum:,}, got {value:,.4g}: no image or layer is that large")
    return int(value)


def parse_padding(value: object) -> Padding:
    """A padding as typed by a person: a whole number of pixels, "valid" or "same" (any case).

    Raises:
        ValueError: it is none of these, or a negative number.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("valid", "same"):
            return text
        if text == "full":  # the Kernels page offers it; PyTorch's layers do not: say what number it is
            raise ValueError(
                "'full' padding is not a PyTorch layer setting: it is P = F - 1 (d·(F - 1) with "
                "dilation), every position where the kernel overlaps the input; type that number"
            )
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"padding must be a number of pixels, 'valid' or 'same', got {value!r}") from None
    return whole_number("padding", value, 0, "padding adds zeros around the input, it cannot remove pixels")


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Padding (before, after) that TensorFlow/Keras 'same' adds so the output is ceil(size / stride).

    The extra pixel of an odd total goes at the end, as in TensorFlow (and PyTorch's padding="same").
    """
    effective = dilation * (kernel - 1) + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _check_window(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int, int, int]:
    size = whole_number("input size", size, 1, "an image has at least one pixel")
    kernel = whole_number("kernel size", kernel, 1, "a window covers at least one pixel")
    stride = whole_number("stride", stride, 1, "the window must move forward by at least one pixel")
    dilation = whole_number("dilation", dilation, 1, "1 means no gaps between kernel taps")
    return size, kernel, stride, dilation


def padding_pair(size: int, kernel: int, stride: int = 1, padding: Padding = 0, dilation: int = 1) -> tuple[int, int]:
    """Zeros added (before, after) along one axis for a number, "valid" or "same".

    Raises:
        ValueError: the padding is not a whole number >= 0, "valid" or "same".
    """
    padding = parse_padding(padding)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return same_padding(size, kernel, stride, dilation)
    return padding, padding


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
    return explain_conv(size, kernel, stride, padding, dilation).output


@dataclass(frozen=True)
class ConvExplanation:
    """Why a conv layer's output has the size it has, along one axis (all lengths in pixels)."""

    size: int  # W
    kernel: int  # F
    stride: int  # S
    dilation: int  # d
    pad_before: int
    pad_after: int
    effective_kernel: int  # d*(F-1)+1, the span one window covers
    output: int
    formula: str  # the formula with the numbers put in (one step per line)
    leftover: int  # padded pixels at the end that no window reaches: (W + P_b + P_a - F_eff) mod S
    unused_input: int  # of those, real input pixels (not padding) that never influence the output

    @property
    def padded(self) -> int:
        """Length of the input after padding."""
        return self.size + self.pad_before + self.pad_after


def explain_conv(size: int, kernel: int, stride: int = 1, padding: Padding = 0, dilation: int = 1) -> ConvExplanation:
    """Output size of a convolution along one axis, with the formula filled in and what the stride leaves out.

    Raises:
        ValueError: a parameter is out of range (the message names it and the rule), or the dilated
            kernel is larger than the padded input.
    """
    size, kernel, stride, dilation = _check_window(size, kernel, stride, dilation)
    mode = parse_padding(padding)
    before, after = padding_pair(size, kernel, stride, mode, dilation)
    effective = dilation * (kernel - 1) + 1
    padded = size + before + after
    if effective > padded:
        what = f"kernel ({kernel} px" + (f", {effective} px with dilation {dilation})" if dilation > 1 else ")")
        raise ValueError(
            f"{what} is larger than the padded input ({padded} px): the window does not fit even once; "
            "use a smaller kernel or more padding"
        )
    span = padded - effective
    output, leftover = span // stride + 1, span % stride
    f = "F_eff" if dilation > 1 else "F"
    if before == after:
        pad_text, pad_symbol = f"2·{before}", "2P"
    else:
        pad_text, pad_symbol = f"{before}+{after}", "P_before+P_after"
    formula = (
        f"W_o = floor((W − {f} + {pad_symbol}) / S) + 1 = floor(({size} − {effective} + {pad_text}) / {stride}) + 1"
        f" = floor({span} / {stride}) + 1 = {output}"
    )
    if dilation > 1:
        formula = f"F_eff = d·(F − 1) + 1 = {dilation}·({kernel} − 1) + 1 = {effective}\n" + formula
    if mode == "same":
        formula = f"'same': ceil(W / S) = ceil({size} / {stride}) = {output}, so it pads {before} + {after}\n" + formula
    return ConvExplanation(
        size,
        kernel,
        stride,
        dilation,
        before,
        after,
        effective,
        output,
        formula,
        leftover,
        max(leftover - after, 0),
    )


def pool_output_size(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False, dilation: int = 1
) -> int:
    """Output length of PyTorch max/avg pooling along one axis (stride defaults to the kernel size).

    With ``ceil_mode`` PyTorch rounds up, but drops a last window that would start in the right padding.

    Raises:
        ValueError: a parameter is out of range, padding is more than half the kernel, or the window does
            not fit.
    """
    stride = kernel if stride is None else stride
    size, kernel, stride, dilation = _check_window(size, kernel, stride, dilation)
    padding = whole_number("padding", padding, 0, "padding adds zeros around the input, it cannot remove pixels")
    if padding > kernel // 2:
        raise ValueError(
            f"pooling padding must be at most half the window ({kernel // 2} px for a {kernel} px window), "
            f"got {padding}: otherwise a window could hold nothing but padding"
        )
    padded = size + 2 * padding
    effective = dilation * (kernel - 1) + 1
    if effective > padded:
        raise ValueError(
            f"pooling window ({effective} px) is larger than the padded input ({padded} px): it does not fit"
        )
    span = padded - effective
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


def __getattr__(name: str) -> object:
    # ``summarize`` lives in cnnviz.summary (it needs torch); offered here too, loaded on first use.
    if name in ("summarize", "Summary", "LayerRow", "LayerError"):
        from cnnviz import summary

        return getattr(summary, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def divisors_below(n: int, limit: int) -> list[int]:
    """Divisors of ``n`` below ``limit``, ascending, in O(sqrt(n)) steps (a stride of 10^9 must not hang).

    Every number divides 0, so for ``n = 0`` only the two largest below ``limit`` are returned.
    """
    if n == 0:
        return list(range(max(1, limit - 2), limit))
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(d for d in {*small, *(n // d for d in small)} if d < limit)


def padding_that_fits(bare: int, pad_before: int, stride: int) -> int | None:
    """The smallest padding P > pad_before with (bare + 2P) divisible by stride, or None if none exists.

    ``bare`` is W - F (the input minus the effective kernel, before padding).

    Solved with modular arithmetic rather than by trying every P (stride may be huge).
    """
    g = 2 if stride % 2 == 0 else 1  # 2P is even: with an even stride, bare must be even too
    if bare % g:
        return None
    modulus = stride // g
    if modulus == 1:
        return pad_before + 1
    target = (-(bare // g) * pow(2 // g, -1, modulus)) % modulus  # P ≡ target (mod modulus)
    first = pad_before + 1
    return first + (target - first) % modulus
