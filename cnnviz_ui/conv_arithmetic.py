"""The Conv arithmetic page's views of whole networks: the summary tables, the builder, the receptive field.

The page's other part is ``conv_one_layer`` (the "One layer" and "1-D" tabs: every layer type, its code and
its sliding-window diagram, drawn by ``window_diagram.html``). Everything computed comes from ``cnnviz``;
these modules only turn it into HTML, tables and figures.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnviz.architectures import KINDS, LayerSpec
from cnnviz.receptive import AxisField, nested_windows
from cnnviz.separable import compare_separable
from cnnviz.summary import LayerRow, Summary
from cnnviz_ui.layout import show_picture
from cnnviz_ui.plots import INK, legend_html
from cnnviz_ui.presenting import BODY_PX, presentation_mode
from cnnviz_ui.state import lasting_args


def number_input(label: str, key: str, value: float, help: str | None = None) -> float:
    """A number box that accepts anything (0, -1, 2.5, 10,000), so the library can explain what is wrong."""
    return st.number_input(
        label, value=float(value), step=1.0, format="%g", key=key, help=help, persist_state="session"
    )


def show_receptive_field(name: str, summary: Summary, measured: Callable) -> None:
    """Pick a conv/pool layer of network ``name`` and one of its units; draw the input region it sees.

    ``summary``: the network's; ``measured(name, upto, hw, unit)``: the field measured by a gradient.
    """
    rows, hw = summary.rows, summary.input_shape[1:]
    spatial = [i for i, r in enumerate(rows) if r.kind in ("Conv2d", "MaxPool2d", "AvgPool2d")]
    if not spatial:
        st.info("This network has no conv or pool layers: every dense unit sees the whole input at once.")
        return
    # Per network (a row index means another layer in another net), and it comes back after a visit to
    # another network or page (``lasting_args``: Streamlit forgets a control that is not drawn).
    upto = st.select_slider(
        "Layer",
        spatial,
        format_func=lambda i: rows[i].name,
        **lasting_args(f"ar_rf_l_{name}", spatial.__contains__, spatial[-1]),
    )
    out_h, out_w = rows[upto].output_shape[1:]
    c1, c2 = st.columns(2)
    unit = (
        c1.slider("Unit row", 0, out_h - 1, out_h // 2, key=f"ar_rf_r_{name}_{upto}"),
        c2.slider("Unit column", 0, out_w - 1, out_w // 2, key=f"ar_rf_c_{name}_{upto}"),
    )
    layers = [(rows[i].name, rows[i].field, rows[i].output_shape[1:]) for i in spatial if i <= upto]
    windows = nested_windows(layers, unit, hw)
    gradient = measured(name, upto, hw, unit)
    st.markdown(field_caption(rows[upto], unit, windows, gradient))
    # The windows' legend is a line of text above the picture (plotly's, beside it, squeezed it on a phone).
    # The picture has the input's shape at any width up to 560 px.
    st.caption("Each layer's window on the input, the chosen layer's in black:")
    st.html("<style>.st-key-ar_rf_fig__box { max-width: 560px; }</style>" + legend_html(window_legend(windows)))
    show_picture(st, receptive_figure(gradient, windows), "ar_rf_fig", gradient.shape, {"displayModeBar": False})


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(f"{n:,}" for n in shape) + ")"


def _field_text(field: tuple[AxisField, AxisField] | None) -> tuple[str, str]:
    if field is None:
        return "whole input", "–"
    rows, cols = field
    return f"{rows.size} x {cols.size}", f"{rows.jump}" if rows.jump == cols.jump else f"{rows.jump} x {cols.jump}"


def summary_frame(summary: Summary) -> pd.DataFrame:
    """The summary as a table: Keras-style (H, W, C) shapes, parameters with their formula, receptive field.

    Kernel, stride and padding share one column ("3 / 1 / 0"), so the table fits a 1024 px screen."""
    records = []
    for row in summary.rows:
        field, jump = _field_text(row.field)
        kind = row.kind + (f" {row.variant}" if row.variant else "")
        windows = " / ".join(v for v in (row.kernel, row.stride, row.padding)) if row.kernel else row.padding
        records.append(
            {
                "Layer": row.name,
                "Type": kind + (f" + {row.activation}" if row.activation else ""),
                "Output shape (H, W, C)": _shape_text(row.keras_shape),
                "Param #": f"{row.params:,}",
                "= formula": row.params_formula,
                "Kernel / stride / padding": windows,
                "Receptive field": field,
                "Jump": jump,
            }
        )
    return pd.DataFrame(records)


COLUMN_GROUPS = {
    "Parameters": ("Param #", "= formula"),
    "Windows": ("Kernel / stride / padding", "Receptive field", "Jump"),
}
# An HTML table (``st.table``), not a canvas grid: its cells wrap, so at 1024 px every column is in view with
# nothing cut ("Conv2d + Re"), and its type can be measured and grows when presenting. Long networks scroll.
TABLE_CSS = """<style>
[class*="st-key-ar_table_"] :is(td, th) {{ font-size: {px}px !important; padding: 0.3rem 0.45rem !important;
  line-height: 1.3; }}
[class*="st-key-ar_table_"] th {{ white-space: normal !important; }}
@media (max-width: 640px) {{  /* a phone: more columns in view; the layer's name stays while the rest scrolls */
  [class*="st-key-ar_table_"] :is(td, th) {{ font-size: 14px !important; padding: 0.25rem 0.3rem !important; }}
  [class*="st-key-ar_table_"] :is(td, th):first-child {{ position: sticky; left: 0; z-index: 1;
    background: #ffffff; }}
}}
</style>"""


def show_summary_table(summary: Summary, key: str, height: int | str = "content") -> None:
    """The summary table with a choice of column groups (a phone shows the shapes alone without a scroll)."""
    shown = st.pills(
        "Columns", list(COLUMN_GROUPS), selection_mode="multi", default=list(COLUMN_GROUPS), key=f"{key}_columns"
    )
    hidden = [c for group, columns in COLUMN_GROUPS.items() if group not in shown for c in columns]
    frame = summary_frame(summary)
    st.html(TABLE_CSS.format(px=BODY_PX if presentation_mode() else 15))
    with st.container(key=f"ar_table_{key}"):
        st.table(frame.drop(columns=hidden), hide_index=True, height=height)


def totals_text(summary: Summary) -> str:
    """The three total lines Keras prints under its table."""
    return (
        f"Total params: {summary.total:,}  \nTrainable params: {summary.trainable:,}  \n"
        f"Non-trainable params: {summary.non_trainable:,}"
    )


# --- the layer builder's table <-> specs ------------------------------------------------------------

BUILDER_COLUMNS = ["type", "filters / units", "kernel", "stride", "padding", "dilation", "ReLU"]
NUMBER_COLUMNS = ("filters / units", "kernel", "stride", "dilation")


def specs_frame(specs: list[LayerSpec]) -> pd.DataFrame:
    """Specs as the rows the builder's data editor shows; cells that do not apply to a layer type stay empty."""
    rows = []
    for s in specs:
        spatial, conv = s.kind in ("conv", "max pool", "avg pool"), s.kind == "conv"
        stride = s.stride or s.kernel
        rows.append(
            [
                s.kind,
                s.width if s.kind in ("conv", "dense") else None,
                s.kernel if spatial else None,
                stride if spatial else None,
                str(s.padding) if spatial else None,
                s.dilation if conv else None,
                s.relu,
            ]
        )
    # Float columns: an integer column's cell takes no decimal point, so a typed 2.5 became 25, not an explanation.
    return pd.DataFrame(rows, columns=BUILDER_COLUMNS).astype({c: "float64" for c in NUMBER_COLUMNS})


def specs_from_frame(frame: pd.DataFrame) -> list[LayerSpec]:
    """The data editor's rows as specs; empty cells get the Keras defaults, nonsense is left for the builder to explain.

    Raises:
        ValueError: a row has no layer type.
    """
    specs = []
    for index, row in enumerate(frame.to_dict("records")):
        kind = row.get("type")
        if not isinstance(kind, str) or kind not in KINDS:
            raise ValueError(f"row {index + 1} has no layer type: pick one of {', '.join(KINDS)}")

        def get(column: str, default: object, row: dict = row) -> object:
            value = row.get(column)
            return default if value is None or (isinstance(value, float) and np.isnan(value)) else value

        pooling = kind in ("max pool", "avg pool")
        specs.append(
            LayerSpec(
                kind,
                get("filters / units", 32 if kind == "conv" else 64),
                get("kernel", 2 if pooling else 3),
                get("stride", 0 if pooling else 1),
                get("padding", "0" if pooling else "valid"),
                get("dilation", 1),
                bool(get("ReLU", kind in ("conv", "dense"))),
            )
        )
    return specs


# --- receptive field picture --------------------------------------------------------------------------


def receptive_figure(gradient: np.ndarray, windows: list[tuple[str, tuple[int, int], tuple[int, int]]]) -> go.Figure:
    """The input with the chosen unit's measured gradient as a heat map and each layer's window as a box.

    ``windows`` holds (label, (first row, last row), (first col, last col)) from the first layer to the chosen one.
    """
    height, width = gradient.shape
    shown = np.where(gradient > 0, gradient / gradient.max(), np.nan)
    fig = go.Figure(
        go.Heatmap(
            z=shown,
            colorscale=[[0, "#fff7ed"], [1, "#c2410c"]],
            zmin=0,
            zmax=1,
            showscale=False,
            hoverongaps=False,
            hovertemplate="input row %{y}, column %{x}<br>influence %{z:.2f} of the maximum<extra></extra>",
        )
    )
    for (_, (r0, r1), (c0, c1)), (label, colour) in zip(windows, window_legend(windows), strict=True):
        fig.add_trace(
            go.Scatter(
                x=[c0 - 0.5, c1 + 0.5, c1 + 0.5, c0 - 0.5, c0 - 0.5],
                y=[r0 - 0.5, r0 - 0.5, r1 + 0.5, r1 + 0.5, r0 - 0.5],
                mode="lines",
                name=label,
                hoverinfo="name",
                line=dict(color=colour, width=3.5 if colour == INK else 2),
            )
        )
    fig.add_shape(type="rect", x0=-0.5, x1=width - 0.5, y0=-0.5, y1=height - 0.5, line=dict(color="#9ca3af", width=1))
    # The axes' labels in fixed margins (no automargin), so that ``show_picture`` can give the plot the input's shape.
    fig.update_yaxes(
        range=[height - 0.5, -0.5],
        showgrid=False,
        zeroline=False,
        title="input row",  # row 0 on top
        automargin=False,
    )
    fig.update_xaxes(showgrid=False, zeroline=False, title="input column", automargin=False, range=[-0.5, width - 0.5])
    fig.update_layout(height=520, margin=dict(l=55, r=10, t=10, b=50), plot_bgcolor="#ffffff", showlegend=False)
    return fig


def window_legend(windows: list[tuple[str, tuple[int, int], tuple[int, int]]]) -> list[tuple[str, str]]:
    """(label, colour) of each layer's window: "conv2: 5 x 5" in its own colour, the chosen layer's in ink."""
    palette = ["#2563eb", "#7c3aed", "#0d9488", "#db2777", "#65a30d", "#0891b2", "#4f46e5", "#475569"]
    return [
        (f"{name}: {r1 - r0 + 1} x {c1 - c0 + 1}", INK if index == len(windows) - 1 else palette[index % 8])
        for index, (name, (r0, r1), (c0, c1)) in enumerate(windows)
    ]


def field_caption(row: LayerRow, unit: tuple[int, int], windows: list, gradient: np.ndarray) -> str:
    """What the chosen unit sees, in words, and whether backprop agrees with the arithmetic."""
    rows, cols = row.field
    head = f"**{row.name}** unit {unit}: receptive field **{rows.size} x {cols.size}**, jump {rows.jump}."
    if not windows or windows[-1][0] != row.name:
        return head + " Its whole window lies in the padding: it sees no pixel at all."
    _, (r0, r1), (c0, c1) = windows[-1]
    area, reached = (r1 - r0 + 1) * (c1 - c0 + 1), int(np.count_nonzero(gradient))
    text = f"{head} On the image it reads rows {r0}–{r1} and columns {c0}–{c1}"
    text += (
        " (cut at the border; the rest is padding)." if (r1 - r0 + 1, c1 - c0 + 1) != (rows.size, cols.size) else "."
    )
    if reached == area:
        text += f" Backprop from this unit reaches exactly these **{reached:,}** pixels."
    else:
        text += (
            f" Backprop reaches **{reached:,}** of those {area:,} pixels: gaps from dilation or from a stride "
            "larger than the kernel, or windows hanging over padding, skip the rest."
        )
    return text + " Central pixels feed the unit through more paths (darker): its *effective* field is smaller."


def builder_columns() -> dict:
    """Column settings of the layer builder's data editor (any number allowed, so mistakes get explained:
    2.5 filters is refused in words, not read as 25)."""

    # Narrow columns: all seven, ReLU included, fit a 1024 px projector's column with the sidebar open (564 px,
    # 33 of them the row selector); each width holds its header and Streamlit's edit icon.
    def number(label: str, help: str, width: int) -> st.column_config.NumberColumn:  # noqa: A002
        return st.column_config.NumberColumn(label, help=help, format="%g", width=width)

    return {
        "type": st.column_config.SelectboxColumn("type", options=list(KINDS), required=True, width=80),
        "filters / units": number("filters", "filters / units: conv filters or dense units", 82),
        "kernel": number("kernel", "F (conv) or window size (pool)", 70),
        "stride": number("stride", "S; for pools 0 = same as the window", 66),
        "padding": st.column_config.TextColumn("padding", help="a number, valid or same", width=80),
        "dilation": number("dilation", "1 = no gaps", 80),
        "ReLU": st.column_config.CheckboxColumn("ReLU", width=62),
    }


def separable_comparison(summary: Summary) -> None:
    """Why a depthwise-separable block needs about 8 times fewer parameters than a full 3 x 3 convolution."""
    depthwise = [r for r in summary.rows if r.variant == "depthwise"]
    pointwise = [r for r in summary.rows if r.variant == "1x1"]
    st.markdown(
        f"**Depthwise and 1x1.** Of its {summary.trainable:,} trainable parameters, {len(depthwise)} depthwise "
        f"layers hold {sum(r.params for r in depthwise):,} and {len(pointwise)} 1x1 (pointwise) layers "
        f"{sum(r.params for r in pointwise):,}."
    )
    channels = st.select_slider(
        "Channels in and out", [16, 32, 64, 128, 256, 512, 1024], key="ar_sep_channels", value=256
    )
    c = compare_separable(3, channels, channels, bias=False)  # EfficientNet's convs have no bias
    ratio = f"{c.ratio:.1f}"
    st.markdown(
        f"A full 3x3 convolution from {channels} to {channels} channels: 3·3·{channels}·{channels} = **{c.full:,}** "
        f"weights. Depthwise-separable, as in each MBConv block: a depthwise 3x3 (groups = {channels}, one 3x3 "
        f"filter per channel) 3·3·{channels} = {c.depthwise:,}, then a 1x1 mixing the channels "
        f"{channels}·{channels} = {c.pointwise:,}: **{c.separable:,}** in all, **{ratio} times fewer** "
        f"(1 / (1/C_out + 1/9): never more than 9, about 8 once there are a few hundred channels). The "
        f"multiply-adds per pixel shrink by the same factor."
    )
