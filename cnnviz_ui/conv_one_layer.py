"""The Conv arithmetic page's "One layer" tab: a layer's output size, parameters, code and sliding window.

Layer types: convolution (grouped and depthwise too), transposed convolution, max, average and global average
pooling. The diagrams are in ``conv_diagram``, the 1-D tab in ``conv_1d``. Everything computed comes from
``cnnviz``; this module reads the widgets and shows the results.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from cnnviz.layer_code import (
    LayerCode,
    avg_pool_code,
    conv_code,
    conv_transpose_code,
    global_avg_pool_code,
    max_pool_code,
)
from cnnviz.render import DIAGRAM_LIMIT, drawable_size
from cnnviz.shapes import (
    ConvExplanation,
    conv_params,
    divisors_below,
    explain_conv,
    padding_that_fits,
    parse_padding,
    pool_output_size,
    whole_number,
)
from cnnviz.windows import (
    grouped_input_channels,
    transposed_axis,
)
from cnnviz_ui.conv_diagram import Drawing, show_drawing
from cnnviz_ui.layout import friendly_errors
from cnnviz_ui.presenting import explanation, figure_font_px, presentation_mode
from cnnviz_ui.slides import plotly_config, slide_figure

# Layer type -> the prefix of its widgets' keys (each type keeps its own numbers: pooling starts at the
# lecture's 4 x 4 example, the transposed convolution at conv_arithmetic's 3 x 3 one).
LAYER_TYPES = {
    "Convolution": "conv",
    "Transposed convolution": "tconv",
    "Max pooling": "pool",
    "Average pooling": "avg",
    "Global average pooling": "gap",
}
# One row of buttons at 1024 px, so that the diagram starts on a projector's first screen.
SHORT_NAMES = {
    "Convolution": "Conv",
    "Transposed convolution": "Transposed",
    "Max pooling": "Max pool",
    "Average pooling": "Avg pool",
    "Global average pooling": "Global avg pool",
}
# (field, label, default per type, help); a type without a default has no such field.
FIELDS = {
    "h": ("Input height", {"conv": 28, "tconv": 3, "pool": 4, "avg": 4, "gap": 7}, None),
    "w": ("Input width", {"conv": 28, "tconv": 3, "pool": 4, "avg": 4, "gap": 7}, None),
    "k": ("Kernel size", {"conv": 3, "tconv": 3, "pool": 2, "avg": 2}, "F: the window is F x F"),
    "s": ("Stride", {"conv": 1, "tconv": 2, "pool": 2, "avg": 2}, "S: how far the window moves"),
    "p": ("Padding", {"conv": "0", "tconv": 1, "pool": "0", "avg": "0"}, None),
    "op": (
        "Out padding",
        {"tconv": 0},
        "output_padding: cells added at the end, to pick one of the sizes a stride allows",
    ),
    "d": ("Dilation", {"conv": 1, "tconv": 1}, "d: gap between kernel taps"),
    "cin": ("Channels", {"conv": 1, "tconv": 16, "pool": 1, "avg": 1, "gap": 1280}, "C_in: the input's channels"),
    "cout": ("Filters", {"conv": 32, "tconv": 8}, "C_out: output channels, one per filter"),
    "g": ("Groups", {"conv": 1, "tconv": 1}, "1 to C_in: each filter reads C_in / groups channels; C_in = depthwise"),
}
PADDING_HELP = {
    "tconv": "P crops P cells from each side of the output",
    "default": "P zeros on each side, or valid or same",
}


def widget_key(kind: str, field: str) -> str:
    return f"ar_{kind}_{field}"


def field_default(kind: str, field: str) -> object:
    default = FIELDS[field][1][kind]
    return default if isinstance(default, str) else float(default)


def number_input(label: str, key: str, value: float, help: str | None = None, width: int | str = "stretch") -> float:
    """A number box that accepts anything (0, -1, 2.5, 10,000), so the library can explain what is wrong.

    Its default goes in through the session state, so a link (``restore_from_link``) may set it first."""
    st.session_state.setdefault(key, float(value))
    return st.number_input(label, step=1.0, format="%g", key=key, help=help, persist_state="session", width=width)


def text_input(label: str, key: str, value: str, help: str | None = None, width: int | str = "stretch") -> str:
    st.session_state.setdefault(key, value)
    return st.text_input(label, key=key, help=help, persist_state="session", width=width)


def too_big_to_draw(rows: ConvExplanation) -> str:
    """Why no input fits the diagram (``drawable_size`` None): the kernel's span, else the padding.

    A span and a padding that each fit always fit together (a smaller input is drawn), so it is one of them."""
    span, padding = rows.effective_kernel, rows.pad_before + rows.pad_after
    if span > DIAGRAM_LIMIT:
        return f"the kernel alone spans {span} cells" + (f" (dilation {rows.dilation})" if rows.dilation > 1 else "")
    return f"the padding alone adds {padding:,} cells ({rows.pad_before:,} + {rows.pad_after:,})"


def stride_note(rows: ConvExplanation, cols: ConvExplanation) -> str:
    """A warning when the stride leaves real input rows/columns unread, with the ways to fix it ("" if none).

    A stride longer than the window skips pixels between every two windows; a stride that does not
    divide W - F + 2P leaves the last pixels out.
    """
    axes = ((rows, "row"), (cols, "column"))
    gaps = [(e, axis) for e, axis in axes if e.stride > e.effective_kernel and e.output > 1]
    if gaps:
        e = gaps[0][0]
        skipped = e.stride - e.effective_kernel
        which = " and ".join(f"{axis}s" for _, axis in gaps)
        return (
            f"**Stride {e.stride} is longer than the {e.effective_kernel}-pixel window, so {skipped} of every "
            f"{e.stride} {which} are never read:** each window starts {e.stride} px after the last one, "
            f"{skipped} px past its end, and those pixels never reach the output. To read every pixel: stride "
            f"{e.effective_kernel} or less (pooling usually takes stride = window)."
        )
    unused = [f"{e.unused_input} {axis}{'s' if e.unused_input > 1 else ''}" for e, axis in axes if e.unused_input]
    if not unused:
        return ""
    e = rows if rows.unused_input else cols
    span = e.padded - e.effective_kernel
    # Only strides up to the window: a longer one would skip pixels between windows instead.
    strides = [str(s) for s in divisors_below(span, min(e.stride, e.effective_kernel + 1))][-2:]
    bare = e.size - e.effective_kernel  # W - F without padding; symmetric padding P adds 2P
    pad = padding_that_fits(bare, e.pad_before, e.stride)
    fixes = ([f"stride {' or '.join(strides)}"] if strides else []) + ([f"padding {pad}"] if pad is not None else [])
    return (
        f"**Stride {e.stride} leaves the last {' and the last '.join(unused)} of the input unused.** Windows start "
        f"every {e.stride} px and {span} (= W − F + 2P) is not a multiple of {e.stride}, so the last window stops "
        f"{e.leftover} px short of the edge and those pixels never reach the output: that is the floor in the formula. "
        f"CNN Explainer calls such a stride invalid; PyTorch and Keras simply drop the pixels."
        + (f" To use every pixel: {', or '.join(fixes)}." if fixes else "")
    )


# The boxes of each layer type: those that shape the window (and the diagram) above it, the channels under
# it beside the parameters they count. One row of narrow boxes at 1024 px with the sidebar open, so the
# diagram starts on a projector's first screen; they wrap, three or four to a row, on a phone.
WINDOW_FIELDS = {
    "conv": ("h", "w", "k", "s", "p", "d"),
    "tconv": ("h", "w", "k", "s", "p", "op", "d"),
    "pool": ("h", "w", "k", "s", "p"),
    "avg": ("h", "w", "k", "s", "p"),
    "gap": ("h", "w"),
}
CHANNEL_FIELDS = {"conv": ("cin", "cout", "g"), "tconv": ("cin", "cout", "g")}
BOX_PX, PRESENTING_BOX_PX = 72, 112  # labels at 14 px, and at 22 px when presenting (a long one wraps)
WIDER = {"k": 20}  # "Kernel size" and its help icon on one line
# The output heading sits close to its boxes and its diagram (Streamlit gives an h3 ~1.5rem of padding).
RESULT_CSS = "<style>[class*='st-key-ar_result'] h3 { padding-top: 0; padding-bottom: 0.25rem; }</style>"


def layer_controls(kind: str, fields: tuple[str, ...], key: str) -> dict[str, object]:
    """The number boxes ``fields`` of layer type ``kind`` in one wrapping row (container ``key``), as typed."""
    typed = {}
    width = PRESENTING_BOX_PX if presentation_mode() else BOX_PX
    with st.container(horizontal=True, gap="xxsmall", vertical_alignment="bottom", key=key):
        for field in fields:
            label, defaults, help_text = FIELDS[field]
            key = widget_key(kind, field)
            if field == "p" and kind != "tconv":
                typed[field] = text_input(label, key, defaults[kind], PADDING_HELP["default"], width)
            else:
                help_text = PADDING_HELP["tconv"] if field == "p" else help_text
                typed[field] = number_input(label, key, float(defaults[kind]), help_text, width + WIDER.get(field, 0))
    return typed


def one_layer() -> None:
    """The "One layer" tab: a layer's output size, parameters, code and its sliding-window diagram."""
    st.session_state.setdefault("ar_mode", "Convolution")
    name = st.segmented_control(
        "Layer",
        list(LAYER_TYPES),
        format_func=SHORT_NAMES.get,
        key="ar_mode",
        persist_state="session",
        label_visibility="collapsed",  # the buttons say what they choose; the row it saves lifts the diagram
    )
    name = name or "Convolution"  # a second click on the chosen segment clears it
    kind = LAYER_TYPES[name]
    typed = layer_controls(kind, WINDOW_FIELDS[kind], "ar_window_boxes")
    st.html(RESULT_CSS)
    result = st.container(key="ar_result")  # the output's size and the diagram, filled once the channels are read
    typed |= layer_controls(kind, CHANNEL_FIELDS.get(kind, ("cin",)), "ar_channel_boxes")
    with friendly_errors():
        show = {"conv": show_conv, "tconv": show_transposed, "pool": show_pool, "avg": show_pool, "gap": show_global}
        show[kind](kind, typed, result)
    if kind == "conv":
        slide_box()


def _channels(typed: dict, groups: bool = True) -> tuple[int, int, int]:
    in_ch = whole_number("input channels", typed["cin"], 1, "an image has at least one channel")
    out_ch = whole_number("filters", typed.get("cout", in_ch), 1, "a conv layer has at least one filter")
    count = whole_number("groups", typed.get("g", 1), 1, "1 means every filter reads every input channel")
    if groups:
        conv_params(1, in_ch, out_ch, groups=count)  # channels that do not divide by groups: its sentence
    return in_ch, out_ch, count


def params_text(kernel: int, in_ch: int, out_ch: int, groups: int) -> str:
    """The parameter count with its formula, and beside it the standard (groups 1) convolution's."""
    params = conv_params(kernel, in_ch, out_ch, groups=groups)
    per = f"{in_ch:,}/{groups}" if groups > 1 else f"{in_ch:,}"
    text = f"**Parameters: ({kernel}·{kernel}·{per} + 1)·{out_ch:,} = {params:,}**"
    if groups > 1:
        full = conv_params(kernel, in_ch, out_ch)
        what = "depthwise: one channel per filter" if groups == in_ch else f"{groups} groups"
        text += (
            f" ({what}). A standard convolution (groups 1) has ({kernel}·{kernel}·{in_ch:,} + 1)·{out_ch:,} = "
            f"**{full:,}**, {full / params:.1f} times as many."
        )
    return text


def show_conv(kind: str, typed: dict, result: DeltaGenerator) -> None:
    in_ch, out_ch, groups = _channels(typed)
    padding = typed["p"]
    rows, cols = (explain_conv(n, typed["k"], typed["s"], padding, typed["d"]) for n in (typed["h"], typed["w"]))
    with result:
        st.subheader(f"Output: {rows.output:,} x {cols.output:,} x {out_ch:,}")
        show_conv_diagram(rows, cols, padding, "conv")
    st.markdown(params_text(rows.kernel, in_ch, out_ch, groups))
    formula_block(rows, cols)
    if note := stride_note(rows, cols):
        st.warning(note)
    if parse_padding(padding) == "same" and rows.stride > 1:
        st.info(
            f"PyTorch's `nn.Conv2d` refuses `padding='same'` with a stride above 1; these are the numbers "
            f"Keras and TensorFlow use (output ceil(W / S), the odd pixel of padding at the end). In PyTorch, "
            f"pad explicitly: `nn.ZeroPad2d(({cols.pad_before}, {cols.pad_after}, {rows.pad_before}, "
            f"{rows.pad_after}))` before a conv with `padding=0`."
        )
    else:
        pad = parse_padding(padding)
        code = conv_code(in_ch, out_ch, rows.kernel, rows.stride, pad, rows.dilation, groups)
        code_block(code, (in_ch, rows.size, cols.size), (out_ch, rows.output, cols.output))
    if 1 < in_ch <= 64 and out_ch <= 128:
        groups_figure(in_ch, out_ch, groups)


def formula_block(rows: ConvExplanation | object, cols: ConvExplanation | object) -> None:
    lines = [f"{axis:8}" + e.formula.replace("\n", "\n" + " " * 8) for axis, e in (("height:", rows), ("width:", cols))]
    st.code("\n".join(lines), language=None, wrap_lines=True)  # the result at the end stays in view


def show_conv_diagram(rows: ConvExplanation, cols: ConvExplanation, padding: object, kind: str) -> None:
    """The sliding-window diagram of a conv or pooling layer, on a smaller input when it is too big to draw."""
    dilation = rows.dilation
    args = (rows.kernel, rows.stride, padding, dilation)
    shape = (drawable_size(rows.size, *args), drawable_size(cols.size, *args))
    if None in shape:
        st.info(
            f"The diagram is drawn for inputs up to {DIAGRAM_LIMIT} x {DIAGRAM_LIMIT} cells, padding "
            f"included; {too_big_to_draw(rows)}. The numbers above hold at any size."
        )
        return
    if kind == "max" and rows.pad_before:
        st.info("The max-pooling diagram is drawn without padding (PyTorch pads it with −∞); set Padding to 0.")
        return
    pad = rows.pad_before if kind == "mean" else padding
    show_drawing(Drawing(kind, *shape, rows.kernel, rows.stride, pad, dilation))  # first: in view on a projector
    if shape != (rows.size, cols.size):
        st.caption(
            f"Your {rows.size:,} x {cols.size:,} input is too big to draw cell by cell, so the diagram "
            f"uses a {shape[0]} x {shape[1]} input: the window moves exactly the same way."
        )
    st.caption(
        "One channel shown. Pooling works on each channel on its own: C channels in, the same C out."
        if kind in ("max", "mean")
        else "One channel shown. With C_in channels the kernel is F x F x C_in/groups, one per output channel."
    )


def show_pool(kind: str, typed: dict, result: DeltaGenerator) -> None:
    in_ch, _, _ = _channels(typed, groups=False)
    padding = typed["p"]
    if parse_padding(padding) in ("valid", "same"):
        raise ValueError("PyTorch pooling takes a number of padding pixels, not 'valid' or 'same'")
    rows, cols = (explain_conv(n, typed["k"], typed["s"], padding) for n in (typed["h"], typed["w"]))
    for e in (rows, cols):  # PyTorch's pooling rules (padding at most half the window) on top of the formula
        pool_output_size(e.size, e.kernel, e.stride, e.pad_before)
    with result:
        st.subheader(f"Output: {rows.output:,} x {cols.output:,} x {in_ch:,}")
        show_conv_diagram(rows, cols, padding, "max" if kind == "pool" else "mean")
    if kind == "pool":
        st.markdown("**Parameters: 0**: pooling only picks the largest value; it learns nothing.")
    else:
        st.markdown("**Parameters: 0**: each output is the mean of its window (padding zeros count); nothing to learn.")
    formula_block(rows, cols)
    if note := stride_note(rows, cols):
        st.warning(note)
    code = (max_pool_code if kind == "pool" else avg_pool_code)(rows.kernel, rows.stride, rows.pad_before)
    code_block(code, (in_ch, rows.size, cols.size), (in_ch, rows.output, cols.output))


def show_global(kind: str, typed: dict, result: DeltaGenerator) -> None:
    in_ch, _, _ = _channels(typed, groups=False)
    height = whole_number("input height", typed["h"], 1, "an image has at least one pixel")
    width = whole_number("input width", typed["w"], 1, "an image has at least one pixel")
    shape = (min(height, 12), min(width, 12))
    with result:
        st.subheader(f"Output: 1 x 1 x {in_ch:,}")
        show_drawing(Drawing("global", *shape))
        if shape != (height, width):
            st.caption(
                f"Your {height:,} x {width:,} input is drawn as {shape[0]} x {shape[1]}: one window covers it all."
            )
    st.markdown(
        f"**Parameters: 0**: each of the {in_ch:,} channels becomes one number, the mean of its "
        f"{height:,} x {width:,} = {height * width:,} values. A classifier head (VGG-style, EfficientNet) then "
        "needs no Flatten of a huge map."
    )
    code_block(global_avg_pool_code(), (in_ch, height, width), (in_ch, 1, 1))


def show_transposed(kind: str, typed: dict, result: DeltaGenerator) -> None:
    in_ch, out_ch, groups = _channels(typed)
    settings = {
        "kernel": whole_number("kernel size", typed["k"], 1, "a window covers at least one pixel"),
        "stride": typed["s"],
        "padding": typed["p"],
        "output_padding": typed["op"],
        "dilation": typed["d"],
    }
    rows, cols = (transposed_axis(n, **settings) for n in (typed["h"], typed["w"]))
    result.subheader(f"Output: {rows.output:,} x {cols.output:,} x {out_ch:,}")
    drawn = min(rows.size, cols.size, 16)
    while drawn > 1 and transposed_axis(drawn, **settings).pad_after + transposed_axis(drawn, **settings).spread > 16:
        drawn -= 1
    shape = (min(rows.size, drawn), min(cols.size, drawn))
    d = Drawing("transposed", *shape, rows.kernel, rows.stride, rows.padding, rows.dilation, rows.output_padding)
    spread = transposed_axis(shape[0], **settings)
    titles = {
        "inputTitle": f"Input {shape[0]} x {shape[1]} spread out",
        "inputSub": f"{rows.stride - 1} zero{'s' * (rows.stride != 2)} between cells, padding {spread.pad_before}",
        "kernelTitle": f"Kernel {rows.kernel} x {rows.kernel}, flipped",
        "kernelSub": "stride 1",
    }
    with result:
        try:
            show_drawing(d, titles=titles)
        except ValueError as exc:
            st.info(f"Nothing to draw: {exc}.")
        if shape != (rows.size, cols.size):
            st.caption(
                f"Your {rows.size:,} x {cols.size:,} input is too big to draw cell by cell, so the diagram uses a "
                f"{shape[0]} x {shape[1]} input: the kernel moves exactly the same way."
            )
    st.markdown(params_text(rows.kernel, in_ch, out_ch, groups))
    with explanation("transposed"):
        st.caption(
            f"Drawn as the stride-1 convolution it equals (as in Dumoulin & Visin's conv_arithmetic): the input "
            f"spread out with stride − 1 = {rows.stride - 1} zeros between its cells, padded by d·(F − 1) − P = "
            f"{rows.pad_before} on each side{' (a negative pad crops)' if rows.pad_before < 0 else ''}"
            f"{' plus output_padding at the end' if rows.output_padding else ''}, and the kernel rotated 180°. "
            "The numbers are torch's `conv_transpose2d` of this one channel."
        )
    formula_block(rows, cols)
    code = conv_transpose_code(
        in_ch, out_ch, rows.kernel, rows.stride, rows.padding, rows.output_padding, rows.dilation, groups
    )
    code_block(code, (in_ch, rows.size, cols.size), (out_ch, rows.output, cols.output))


def code_block(code: LayerCode, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> None:
    """The layer's PyTorch line, run on a tensor of the shown input size, and its Keras spelling."""
    size = ", ".join(str(n) for n in in_shape)
    layout = "(N, C, L): one signal" if len(in_shape) == 2 else "(N, C, H, W): one image"
    torch_shape = ", ".join(str(n) for n in (1, *out_shape))
    st.code(
        f"layer = {code.pytorch}\nx = torch.zeros(1, {size})  # {layout}\n"
        f"print(layer(x).shape)  # torch.Size([{torch_shape}])",
        language="python",
        wrap_lines=True,
    )
    if code.keras:
        st.code(code.keras, language="python", wrap_lines=True)
        st.caption(
            "Above: PyTorch (`import torch; from torch import nn`). Below: Keras (`from keras import layers`), "
            "whose images are (H, W, C)."
        )
    else:
        st.caption(f"PyTorch (`import torch; from torch import nn`). No exact Keras spelling: {code.note}.")


def groups_figure(in_ch: int, out_ch: int, groups: int) -> None:
    """Which input channels each filter reads: a filter x channel grid, one colour per group."""
    reads = grouped_input_channels(in_ch, out_ch, groups)
    per_out = out_ch // groups
    # None (not NaN) where a filter does not read a channel: plotly leaves the cell empty.
    z = [[j // per_out if i in channels else None for i in range(in_ch)] for j, channels in enumerate(reads)]
    palette = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777", "#0891b2", "#ca8a04", "#475569"]
    scale = (
        [[i / max(groups - 1, 1), palette[i % 8]] for i in range(groups)]
        if groups > 1
        else [[0, palette[0]], [1, palette[0]]]
    )
    title = f"Which input channels each filter reads (groups {groups})"
    font = figure_font_px(14)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(in_ch)),
            y=list(range(out_ch)),
            colorscale=scale,
            zmin=0,
            zmax=max(groups - 1, 1),
            showscale=False,
            xgap=1,
            ygap=1,
            hoverongaps=False,
            hovertemplate="filter %{y} reads input channel %{x} (group %{z})<extra></extra>",
        )
    )
    fig.update_yaxes(title="filter (output channel)", autorange="reversed", showgrid=False, zeroline=False)
    fig.update_xaxes(title="input channel", showgrid=False, zeroline=False, side="top")
    fig.update_layout(
        title=dict(text=title, font=dict(size=font + 2)),
        height=int(np.clip(18 * out_ch + 140, 260, 560)),
        margin=dict(l=60, r=10, t=90, b=10),
        plot_bgcolor="#ffffff",
        font=dict(size=font),
    )
    with explanation("groups"):
        st.caption(
            f"Each filter reads C_in / groups = {in_ch // groups} of the {in_ch} input channels: those of its group. "
            + ("Depthwise (groups = C_in): every filter reads one channel." if groups == in_ch else "")
        )
    st.plotly_chart(slide_figure(fig), config=plotly_config(title), key="ar_groups_fig")


def set_slide_example() -> None:
    """The lecture slide's numbers: 28 x 28, a 5 x 5 kernel, stride 5."""
    for field, value in (("h", 28.0), ("w", 28.0), ("k", 5.0), ("s", 5.0), ("d", 1.0)):
        st.session_state[widget_key("conv", field)] = value
    st.session_state[widget_key("conv", "p")] = "0"


def slide_box() -> None:
    """The lecture slide's "23 x 23" (5 x 5 kernel, stride 5 on 28 x 28), and which slip it made."""
    with st.container(border=True, key="ar_slide_23"):
        st.button("The slide's 23 × 23", on_click=set_slide_example, help="Sets 28 x 28, kernel 5, stride 5")
        st.markdown(
            "A lecture slide puts a 5 × 5 kernel with stride 5 on a 28 × 28 image and gets **23 × 23**. The formula "
            "says **24 × 24** at stride 1 (floor((28 − 5)/1) + 1) and **5 × 5** at stride 5 (floor(23/5) + 1). "
            "The slide computed 28 − 5 = 23 and stopped: it forgot the **+ 1** (23 is how many steps the window "
            "takes; it stands in 24 places, counting the first) and it divided by stride 1, not 5."
        )
