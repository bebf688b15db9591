"""Depthwise-separable convolution against a full one: the parameter (and multiply-add) budget.

MobileNet and EfficientNet replace a k x k convolution from C_in to C_out channels by a depthwise
k x k convolution (``groups = C_in``, one filter per channel) followed by a 1 x 1 "pointwise" one.
Weights drop from ``k*k*C_in*C_out`` to ``k*k*C_in + C_in*C_out``: about ``1 / (1/C_out + 1/k²)`` times
fewer, so roughly 8-9x for 3 x 3 kernels once C_out is in the hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.shapes import conv_params


@dataclass(frozen=True)
class SeparableComparison:
    """Parameter counts of a full k x k conv and its depthwise-separable replacement (biases included)."""

    kernel: int
    in_channels: int
    out_channels: int
    full: int  # nn.Conv2d(C_in, C_out, k)
    depthwise: int  # nn.Conv2d(C_in, C_in, k, groups=C_in)
    pointwise: int  # nn.Conv2d(C_in, C_out, 1)

    @property
    def separable(self) -> int:
        """Depthwise plus pointwise."""
        return self.depthwise + self.pointwise

    @property
    def ratio(self) -> float:
        """How many times fewer parameters the separable block has (also its saving in multiply-adds per pixel)."""
        return self.full / self.separable


def compare_separable(kernel: int, in_channels: int, out_channels: int, bias: bool = True) -> SeparableComparison:
    """The parameters of a full k x k convolution beside a depthwise k x k + pointwise 1 x 1 pair.

    Raises:
        ValueError: a size or channel count below 1.

    Example:
        >>> c = compare_separable(3, 256, 256, bias=False)
        >>> c.full, c.depthwise, c.pointwise, round(c.ratio, 1)
        (589824, 2304, 65536, 8.7)
    """
    return SeparableComparison(
        kernel,
        in_channels,
        out_channels,
        conv_params(kernel, in_channels, out_channels, bias),
        conv_params(kernel, in_channels, in_channels, bias, groups=in_channels),
        conv_params(1, in_channels, out_channels, bias),
    )
