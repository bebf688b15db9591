"""The exact code line of a layer: PyTorch (``nn.Conv2d(...)``) and, where it is exact, Keras (``layers.Conv2D(...)``).

A student copies the PyTorch line, runs it on a tensor of the shown size, and gets the shape the page shows
(the tests do exactly that). Keras has no padding number, so a padding P becomes ``ZeroPadding2D(P)`` before
a "valid" layer, which is exact; where no Keras spelling gives PyTorch's numbers, ``keras`` is None and
``note`` says why. Keras expects (H, W, C) inputs, so the two differ in layout, never in values.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.shapes import conv_params, transposed_conv_output_size, whole_number


@dataclass(frozen=True)
class LayerCode:
    """One layer in both frameworks; ``keras`` may be several lines, or None with the reason in ``note``."""

    pytorch: str
    keras: str | None
    note: str = ""


def _value(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)  # Keras' and PyTorch's docs quote with "


def _args(*pairs: tuple[str, object, object]) -> str:
    """``name=value`` for each (name, value, default) whose value is not the default (default None: always)."""
    return "".join(f", {name}={_value(value)}" for name, value, default in pairs if default is None or value != default)


def _padding(padding: int | str, stride: int) -> int | str:
    """A number of zeros per side, or "same" (stride 1 only, as in PyTorch); "valid" is 0."""
    if padding == "valid":
        return 0
    if padding == "same":
        if stride != 1:
            raise ValueError("PyTorch's padding='same' works with stride 1 only; type the padding as a number")
        return "same"
    return whole_number("padding", padding, 0, "padding adds zeros around the input, it cannot remove pixels")


def _keras_conv_padding(padding: int | str, kernel: int, stride: int, dilation: int, dims: int) -> tuple[str, str]:
    """(lines before the layer, Keras padding word) that pad exactly as PyTorch does."""
    if padding == "same" or (stride == 1 and 2 * padding == dilation * (kernel - 1) and padding):
        return "", "same"  # with stride 1 both put an odd total's extra zero at the end
    if padding == 0:
        return "", "valid"
    return f"layers.ZeroPadding{dims}D({padding})\n", "valid"


def conv_code(
    in_channels: int,
    out_channels: int,
    kernel: int,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
    dims: int = 2,
) -> LayerCode:
    """``nn.Conv2d`` (or ``nn.Conv1d`` with ``dims=1``) and its Keras spelling (``DepthwiseConv2D`` when depthwise).

    Raises:
        ValueError: a count below 1, channels that do not divide by groups, padding="same" with a stride.

    Example:
        >>> print(conv_code(3, 32, 3, stride=2, padding=1).pytorch)
        nn.Conv2d(3, 32, kernel_size=3, stride=2, padding=1, groups=1)
        >>> print(conv_code(32, 32, 3, padding=1, groups=32).keras)
        layers.DepthwiseConv2D(3, padding="same")
    """
    conv_params((kernel,) * dims, in_channels, out_channels, bias, groups)  # checks counts and groups
    stride = whole_number("stride", stride, 1, "the window must move forward by at least one pixel")
    dilation = whole_number("dilation", dilation, 1, "1 means no gaps between kernel taps")
    pad = _padding(padding, stride)
    pytorch = f"nn.Conv{dims}d({in_channels}, {out_channels}, kernel_size={kernel}, stride={stride}, " + (
        f"padding={_value(pad)}"
        + _args(("dilation", dilation, 1), ("groups", groups, None), ("bias", bias, True))
        + ")"
    )
    if stride > 1 and dilation > 1:
        return LayerCode(pytorch, None, "Keras refuses a stride above 1 together with a dilation above 1")
    before, word = _keras_conv_padding(pad, kernel, stride, dilation, dims)
    rest = _args(("strides", stride, 1), ("padding", word, None), ("dilation_rate", dilation, 1))
    rest += _args(("use_bias", bias, True))
    if dims == 2 and groups == in_channels > 1:
        multiplier = _args(("depth_multiplier", out_channels // in_channels, 1))
        return LayerCode(pytorch, f"{before}layers.DepthwiseConv2D({kernel}{rest}{multiplier})")
    keras = f"{before}layers.Conv{dims}D({out_channels}, {kernel}{rest}{_args(('groups', groups, 1))})"
    return LayerCode(pytorch, keras)


def conv_transpose_code(
    in_channels: int,
    out_channels: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
) -> LayerCode:
    """``nn.ConvTranspose2d`` and Keras' ``Conv2DTranspose`` (plus ``Cropping2D(P)``, which is what P does).

    Raises:
        ValueError: as ``conv_params`` and ``transposed_conv_output_size`` (e.g. output_padding >= stride).

    Example:
        >>> code = conv_transpose_code(64, 32, 3, stride=2, padding=1, output_padding=1)
        >>> print(code.pytorch)
        nn.ConvTranspose2d(64, 32, kernel_size=3, stride=2, padding=1, output_padding=1, groups=1)
        >>> print(code.keras)
        layers.Conv2DTranspose(32, 3, strides=2, padding="valid", output_padding=1)
        layers.Cropping2D(1)
    """
    conv_params(kernel, in_channels, out_channels, bias, groups)
    # Any input size gives the same refusals of output_padding; 2P + 1 cells leave an output of at least 1.
    transposed_conv_output_size(max(kernel, 2 * padding + 1), kernel, stride, padding, output_padding, dilation)
    pytorch = (
        f"nn.ConvTranspose2d({in_channels}, {out_channels}, kernel_size={kernel}, stride={stride}, padding={padding}, "
        f"output_padding={output_padding}"
        + _args(("dilation", dilation, 1), ("groups", groups, None), ("bias", bias, True))
        + ")"
    )
    if groups > 1:
        return LayerCode(pytorch, None, "Keras' Conv2DTranspose has no groups")
    if output_padding >= stride:
        return LayerCode(pytorch, None, "Keras needs output_padding smaller than the stride (PyTorch: or the dilation)")
    keras = (
        f'layers.Conv2DTranspose({out_channels}, {kernel}{_args(("strides", stride, 1))}, padding="valid", '
        f"output_padding={output_padding}"
        + _args(("dilation_rate", dilation, 1), ("use_bias", bias, True))
        + ")"
        + (f"\nlayers.Cropping2D({padding})" if padding else "")
    )
    return LayerCode(pytorch, keras)


def max_pool_code(
    kernel: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False, dilation: int = 1
) -> LayerCode:
    """``nn.MaxPool2d`` and ``layers.MaxPooling2D`` (exact only without padding, ceil_mode or dilation).

    Example:
        >>> print(max_pool_code(2).pytorch, max_pool_code(2).keras)
        nn.MaxPool2d(kernel_size=2, stride=2, padding=0) layers.MaxPooling2D(pool_size=2)
    """
    stride = kernel if stride is None else stride
    _check_pool(kernel, stride, padding)
    extra = _args(("dilation", dilation, 1), ("ceil_mode", ceil_mode, False))
    pytorch = f"nn.MaxPool2d(kernel_size={kernel}, stride={stride}, padding={padding}{extra})"
    if padding or ceil_mode or dilation != 1:
        return LayerCode(
            pytorch, None, "Keras pads max pooling differently (or not at all) and has no ceil_mode or dilation"
        )
    return LayerCode(pytorch, f"layers.MaxPooling2D(pool_size={kernel}{_args(('strides', stride, kernel))})")


def avg_pool_code(
    kernel: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False, count_include_pad: bool = True
) -> LayerCode:
    """``nn.AvgPool2d`` and ``layers.AveragePooling2D`` (after ``ZeroPadding2D`` when the zeros count, as in PyTorch).

    Example:
        >>> print(avg_pool_code(3, 1, padding=1).keras)
        layers.ZeroPadding2D(1)
        layers.AveragePooling2D(pool_size=3, strides=1)
    """
    stride = kernel if stride is None else stride
    _check_pool(kernel, stride, padding)
    extra = _args(("ceil_mode", ceil_mode, False), ("count_include_pad", count_include_pad, True))
    pytorch = f"nn.AvgPool2d(kernel_size={kernel}, stride={stride}, padding={padding}{extra})"
    if ceil_mode:
        return LayerCode(pytorch, None, "Keras has no ceil_mode")
    if padding and not count_include_pad:
        return LayerCode(pytorch, None, "Keras cannot leave exactly P padding zeros out of the mean")
    before = f"layers.ZeroPadding2D({padding})\n" if padding else ""
    return LayerCode(
        pytorch, f"{before}layers.AveragePooling2D(pool_size={kernel}{_args(('strides', stride, kernel))})"
    )


def global_avg_pool_code() -> LayerCode:
    """Global average pooling: one mean per channel, (C, H, W) -> (C, 1, 1)."""
    return LayerCode("nn.AdaptiveAvgPool2d(1)", "layers.GlobalAveragePooling2D(keepdims=True)")


def _check_pool(kernel: int, stride: int, padding: int) -> None:
    kernel = whole_number("pooling window", kernel, 1, "a window covers at least one pixel")
    whole_number("stride", stride, 1, "the window must move forward by at least one pixel")
    padding = whole_number("padding", padding, 0, "padding adds zeros around the input, it cannot remove pixels")
    if padding > kernel // 2:
        raise ValueError(f"pooling padding must be at most half the window ({kernel // 2} px), got {padding}")
