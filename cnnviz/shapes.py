"""Conv arithmetic: output sizes and parameter counts, exactly as PyTorch computes them.

The lecture's formula is ``W_o = floor((W - F + 2P) / S) + 1``; with dilation d the kernel
covers ``d*(F-1)+1`` input pixels, which replaces F. ``sliding_output_size`` is the one place that
rule is written; convolution, pooling, the Kernels page's filtering and 1-D convolution all call it.
``summarize`` (in ``cnnviz.summary``) applies these rules layer by layer to a whole ``nn.Module``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

Padding = int | str


LARGEST = 10**9  # no size, stride, padding or count in a CNN lesson is larger; beyond it the arithmetic only slows


def whole_number(name: str, value: object, minimum: int, rule: str = "", maximum: int = LARGEST) -> int:
    """``value`` as an int, checked to be a whole number from ``minimum`` to ``maximum`` (a billion by default).

    Raises:
        ValueError: it is not a finite whole number, or it is out of range (the message names ``name``
            and, if given, the ``rule``).
    """
    number_like = isinstance(value, numbers.Real) and not isinstance(value, bool)
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

    Example:
        >>> same_padding(28, 3), same_padding(28, 4), same_padding(28, 3, stride=2)
        ((1, 1), (1, 2), (0, 1))
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


def sliding_output_size(
    size: int, kernel: int, stride: int = 1, pads: int | tuple[int, int] = 0, dilation: int = 1
) -> int:
    """How many windows fit along one axis: ``floor((W - d*(F-1) - 1 + P_before + P_after) / S) + 1``.

    The one place the output-size rule is written: convolution, pooling, filtering and 1-D convolution use it.

    Args:
        size: input length W; kernel: F taps; stride: S; dilation: d (1 = no gaps).
        pads: zeros added, as P on each side or as (P_before, P_after).

    Raises:
        ValueError: a parameter is out of range, or the (dilated) kernel is larger than the padded input.

    Example:
        >>> sliding_output_size(28, 3), sliding_output_size(28, 3, 2, pads=1), sliding_output_size(7, 2, 2, (1, 0))
        (26, 14, 4)
        >>> sliding_output_size(5, 7)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: kernel (7 px) is larger than the padded input (5 px): the window does not fit even once; ...
    """
    size, kernel, stride, dilation = _check_window(size, kernel, stride, dilation)
    before, after = (pads, pads) if isinstance(pads, int | float) else pads
    rule = "padding adds zeros around the input, it cannot remove pixels"
    before, after = whole_number("padding", before, 0, rule), whole_number("padding", after, 0, rule)
    effective, padded = dilation * (kernel - 1) + 1, size + before + after
    if effective > padded:
        what = f"kernel ({kernel} px" + (f", {effective} px with dilation {dilation})" if dilation > 1 else ")")
        raise ValueError(
            f"{what} is larger than the padded input ({padded} px): the window does not fit even once; "
            "use a smaller kernel or more padding"
        )
    return (padded - effective) // stride + 1


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

    Example:
        >>> conv_output_size(28, 3), conv_output_size(28, 3, padding="same"), conv_output_size(28, 3, 2, 1, 2)
        (26, 28, 13)
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
    output = sliding_output_size(size, kernel, stride, (before, after), dilation)
    effective = dilation * (kernel - 1) + 1
    span = size + before + after - effective
    leftover = span - (output - 1) * stride
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


def transposed_conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution (``nn.ConvTranspose2d``) along one axis, as PyTorch computes it.

    ``W_o = (W - 1)*S - 2P + d*(F - 1) + output_padding + 1``: each input cell stamps the kernel onto the
    output, S cells apart; P crops the result on each side, ``output_padding`` adds cells at the end.

    Raises:
        ValueError: a parameter is out of range; ``output_padding`` is not smaller than the stride or the
            dilation (PyTorch refuses it too); or the output would be smaller than 1 pixel.

    Example:
        >>> transposed_conv_output_size(4, 3, stride=2), transposed_conv_output_size(4, 3, 2, 1, output_padding=1)
        (9, 8)
        >>> transposed_conv_output_size(4, 3, stride=2, output_padding=2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: output_padding must be smaller than the stride (2) or the dilation (1), got 2: ...
    """
    size, kernel, stride, dilation = _check_window(size, kernel, stride, dilation)
    padding = whole_number("padding", padding, 0, "a transposed convolution's padding crops its output")
    output_padding = whole_number("output_padding", output_padding, 0, "it adds cells at the end of the output")
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(
            f"output_padding must be smaller than the stride ({stride}) or the dilation ({dilation}), "
            f"got {output_padding}: it only picks which of the stride's possible sizes you get"
        )
    full = (size - 1) * stride + dilation * (kernel - 1) + 1
    output = full - 2 * padding + output_padding
    if output < 1:
        raise ValueError(
            f"the output would be {output} px: padding {padding} crops {2 * padding} px from the {full} px "
            "the kernel stamps cover; use less padding or a larger input"
        )
    return output


def pool_output_size(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False, dilation: int = 1
) -> int:
    """Output length of PyTorch max/avg pooling along one axis (stride defaults to the kernel size).

    With ``ceil_mode`` PyTorch rounds up, but drops a last window that would start in the right padding.
    Average pooling's ``count_include_pad`` changes the divisor, not the size.

    Raises:
        ValueError: a parameter is out of range, padding is more than half the kernel, or the window does
            not fit.

    Example:
        >>> pool_output_size(26, 2), pool_output_size(5, 2, ceil_mode=True), pool_output_size(7, 3, 2, padding=1)
        (13, 3, 4)
    """
    stride = kernel if stride is None else stride
    size, kernel, stride, dilation = _check_window(size, kernel, stride, dilation)
    padding = whole_number("padding", padding, 0, "padding adds zeros around the input, it cannot remove pixels")
    if padding > kernel // 2:
        raise ValueError(
            f"pooling padding must be at most half the window ({kernel // 2} px for a {kernel} px window), "
            f"got {padding}: otherwise a window could hold nothing but padding"
        )
    out = sliding_output_size(size, kernel, stride, padding, dilation)
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode and span % stride and out * stride < size + padding:
        out += 1  # the rounded-up window, unless it would start in the right padding
    return out


def conv_params(
    kernel: int | tuple[int, ...], in_channels: int, out_channels: int, bias: bool = True, groups: int = 1
) -> int:
    """Parameters of a conv layer: ``(F*F*C_in/groups + 1) * C_out`` (without the +1 when there is no bias).

    Each filter reads only its group's ``C_in/groups`` channels; the same count holds for a transposed
    convolution and, with a 1-tuple kernel, for ``Conv1d``.

    Raises:
        ValueError: a count below 1, or channels that do not divide by ``groups``.

    Example:
        >>> conv_params(3, 1, 32), conv_params(3, 32, 64), conv_params(3, 32, 32, groups=32)
        (320, 18496, 320)
    """
    sizes = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    taps = math.prod(whole_number("kernel size", k, 1, "a window covers at least one pixel") for k in sizes)
    in_channels = whole_number("input channels", in_channels, 1)
    out_channels = whole_number("output channels", out_channels, 1, "a layer has at least one filter")
    groups = whole_number("groups", groups, 1, "1 means every filter reads every input channel")
    for name, channels in (("input", in_channels), ("output", out_channels)):
        if channels % groups:
            raise ValueError(
                f"{name} channels ({channels}) must divide by groups ({groups}): every group gets the same number"
            )
    return (taps * in_channels // groups + int(bias)) * out_channels


def dense_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a dense (fully connected) layer: ``(n_in + 1) * n_out``.

    Example:
        >>> dense_params(576, 64)
        36928
    """
    return (in_features + int(bias)) * out_features


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
