"""Plotly figures shared by the pages: small arrays as numbered heatmaps, big images as PNG pictures.

Large images are sent to the browser as one PNG (a few hundred kB) instead of a million numbers
(tens of MB of JSON); small grids (kernels, pixel windows) are real heatmaps with their numbers printed.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from cnnviz.images import encode_png
from cnnviz.render import BLUE, RED, WHITE, grey_picture

# The app's own colours, as CSS: one blue for the network's answer and the training curves, one red for the
# other model or a warning, the grey of secondary text (7.6:1 on white, readable on a projector), and ink.
ACCENT, ALERT, MUTED, INK = "#2563eb", "#dc2626", "#4b5563", "#111827"
DIVERGING = [[0.0, f"rgb{BLUE}"], [0.5, f"rgb{WHITE}"], [1.0, f"rgb{RED}"]]
GREYS = [[0.0, "rgb(0,0,0)"], [1.0, "rgb(255,255,255)"]]
FIGURE_HEIGHT = 340
LABEL_CHARS = 5  # a heatmap's numbers: 0.003, -0.013, 113.4 (a 5 x 5 kernel's cell is ~31 px at 1024 px)
LABEL_MIN_PX = 8  # labels that would be smaller than this are hidden (their values stay on hover)
CHART_MIN_WIDTH = 150  # px: Streamlit's plotly element is never narrower
PICTURE_MAX_HEIGHT = 560  # px: a fitted figure on a very wide screen stops growing here (fits a 900 px window)
TITLE_CHARS = 22  # a title wraps onto a second line beyond this: a figure may be 150 px wide (three at 150% zoom)
BAR_ROOM = 40  # px between every figure's title and its plot, where an image's colour bar lies
# A colour bar across the top of the plot, in the room ``layout`` keeps for it.
BAR = {
    "orientation": "h",
    "thickness": 10,
    "len": 0.8,
    "x": 0.5,
    "xanchor": "center",
    "y": 1.0,
    "yanchor": "bottom",
    "ypad": 6,
    "ticklabelposition": "outside top",
    "tickangle": 0,
}


def colour_bar(low: float, high: float, number_format: str = ".3g") -> dict:
    """``BAR`` labelled at its two ends and at 0 (or its middle): three upright numbers fit a 150 px bar,
    where plotly's own ticks crowded into each other or turned sideways."""
    ticks = [low, 0.0, high] if low < 0 < high else [low, (low + high) / 2, high]

    def label(tick: float) -> str:  # 1,030 rather than the "1.03e+03" of .3g (a Sobel magnitude's bar)
        return f"{tick:,.0f}" if number_format == ".3g" and abs(tick) >= 1000 else format(tick, number_format)

    return {**BAR, "tickvals": ticks, "ticktext": [label(t) for t in ticks]}


def grey_png(image: np.ndarray, size: int = 224) -> bytes:
    """A [0, 1] (H, W) image as a crisp upscaled grey PNG (``render.grey_picture``)."""
    return encode_png(grey_picture(image, size))


def picture_source(pixels: np.ndarray) -> str:
    """A data URI for a uint8 (H, W) or (H, W, 3) image: lossless PNG up to 512 x 512, JPEG above.

    A megapixel PNG takes a few hundred ms to compress; a JPEG at quality 92 takes about 10 ms and looks
    the same on screen. Downloads stay PNG.
    """
    array = np.asarray(pixels, dtype=np.uint8)
    if array.shape[0] * array.shape[1] <= 512 * 512:
        return "data:image/png;base64," + base64.b64encode(encode_png(array)).decode("ascii")
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=92)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_figure(
    pixels: np.ndarray | None,
    title: str = "",
    *,
    height: int = FIGURE_HEIGHT,
    colorbar: tuple[float, float, list] | None = None,
    source: str | None = None,
) -> go.Figure:
    """A uint8 greyscale (H, W) or RGB (H, W, 3) image as a figure with pixel axes (row 0 at the top).

    ``colorbar=(low, high, colorscale)`` adds a colour bar explaining what the colours mean; ``source``
    is a ready ``picture_source`` (then ``pixels`` may be None).
    """
    source = picture_source(pixels) if source is None else source
    figure = go.Figure(go.Image(source=source, hovertemplate="x=%{x}, y=%{y}<extra></extra>"))
    if colorbar is not None:
        low, high, scale = colorbar
        figure.add_trace(  # an invisible point whose only job is to draw the colour bar
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                showlegend=False,
                marker={
                    "colorscale": scale,
                    "cmin": low,
                    "cmax": high,
                    "color": [low],
                    "showscale": True,
                    "colorbar": colour_bar(low, high),
                },
            )
        )
    figure = layout(figure, title, height)
    # A thin frame, so white parts of a picture do not melt into the white page. Drawn round the plot area,
    # which ``show_picture`` gives the picture's shape.
    figure.add_shape(
        type="rect",
        xref="paper",
        yref="paper",
        x0=0,
        y0=0,
        x1=1,
        y1=1,
        line={"color": "#d1d5db", "width": 1},
        layer="above",
    )
    return figure


def heatmap(
    values: np.ndarray,
    title: str = "",
    *,
    height: int = FIGURE_HEIGHT,
    diverging: bool = True,
    numbers: bool = True,
    zmin: float | None = None,
    zmax: float | None = None,
) -> go.Figure:
    """A small 2-D array as a heatmap, row 0 at the top, each cell labelled with its value (``compact``).

    Diverging (blue-white-red around 0) suits signed weights; otherwise black-to-white greys. Shown with
    ``common.show_picture``, the labels shrink to fit their cells at any width (``fitted_height_css``).
    """
    array = np.asarray(values, dtype=np.float64)
    rows, cols = array.shape
    if diverging:
        bound = float(np.abs(array).max()) or 1.0
        zmin, zmax = -bound, bound
    trace = go.Heatmap(
        z=array,
        colorscale=DIVERGING if diverging else GREYS,
        zmin=zmin,
        zmax=zmax,
        showscale=False,
        xgap=1,
        ygap=1,
        hovertemplate="row %{y}, column %{x}: %{z:.4g}<extra></extra>",
    )
    if numbers and max(rows, cols) <= 9:  # beyond 9 x 9 the numbers no longer fit: hover instead
        chars = LABEL_CHARS if max(rows, cols) > 3 else LABEL_CHARS + 1
        labels = [[compact(float(v), chars) for v in row] for row in array]
        trace.update(text=labels, texttemplate="%{text}", textfont={"size": _font_size(max(rows, cols))})
    figure = layout(go.Figure(trace), title, height)
    figure.update_yaxes(autorange="reversed")
    return figure


def _font_size(cells: int) -> int:
    return int(np.clip(36 / cells**0.6, 8, 18))


def compact(value: float, chars: int = LABEL_CHARS) -> str:
    """``value`` in at most ``chars`` characters besides a minus sign where possible, as precise as that allows
    (at most 3 decimals): 0.00297 → "0.003", -0.0133 → "-0.013", 113.4 → "113.4"; a longer whole number stays
    whole. A value that is not zero but would round to "0" is written as a power of ten ("2e-05"), never as 0.
    """
    if not np.isfinite(value):
        return str(value)
    value += 0.0  # no "-0"
    for decimals in range(3, -1, -1):
        text = f"{value:.{decimals}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        if text in ("0", "-0") and value != 0:
            break
        if len(text.lstrip("-")) <= chars:
            return text
    return f"{value:.0f}" if abs(value) >= 1 else f"{value:.0e}"  # a long whole number stays whole


def layout(figure: go.Figure, title: str, height: int) -> go.Figure:
    """A title of up to two lines, then the colour bar, then the picture, drawn from the top down.

    Three figures side by side on a 1024 px projector are ~200 px wide: a bar beside each picture would
    take 80 of them, so it lies across. Every figure keeps room for two title lines and a bar, so figures
    side by side have plot areas of the same size and equal pictures come out equal, with or without a bar.
    Shown with ``common.show_picture`` the plot area has the picture's shape at any width
    (``fitted_height_css``). The square pixels are kept by widening an axis' range (``constrain="range"``),
    hanging from the top, rather than by shrinking the plot area: plotly keeps a shrunken area when the
    chart is resized on a rerun (a 3x3 heatmap stayed at the size it had at the fallback height).
    ``title`` is plain text (it can hold an uploaded file's or a model's name): wrapped, then escaped.
    """
    lines = textwrap.wrap(title, TITLE_CHARS)
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": (20 * max(len(lines), 2) + 8 if title else 0) + BAR_ROOM, "b": 10},
        plot_bgcolor="white",
        dragmode=False,
    )
    if title:  # an annotation, not a plotly title: a title of two lines is anchored by its first line
        figure.add_annotation(
            text="<br>".join(map(plotly_literal, lines)),
            x=0.5,
            y=1,
            xref="paper",
            yref="paper",
            xanchor="center",
            yanchor="bottom",
            yshift=BAR_ROOM,
            showarrow=False,
            font={"size": 14, "weight": 600},
        )
    figure.update_xaxes(showgrid=False, zeroline=False, constrain="range", showticklabels=False, ticks="")
    figure.update_yaxes(
        showgrid=False,
        zeroline=False,
        scaleanchor="x",
        constrain="range",
        constraintoward="top",
        showticklabels=False,
        ticks="",
    )
    return figure


def fitted_height_css(box: str, chart: str, figure: go.Figure, shape: tuple[int, int]) -> str:
    """CSS that makes the chart (class ``chart``) exactly as tall as its picture at the width of its box.

    ``shape`` is the picture's (rows, columns). A figure's height is fixed in pixels while its width follows
    the column, so a picture in a narrow column (three side by side on a 1024 px projector) left ~110 px
    of white under it, and on a wide screen a picture was held to the height. A container query on the
    box (class ``box``) gives the chart the height the picture needs at that width, plus the figure's
    margins (title lines, colour bar), up to ``PICTURE_MAX_HEIGHT``; the chart must be drawn with
    ``height="stretch"``, which sizes plotly to the element. The figure's own height stays the fallback.
    """
    rows, cols = shape
    margin = figure.layout.margin
    across, down = (margin.l or 0) + (margin.r or 0), (margin.t or 0) + (margin.b or 0)
    width = f"max(100cqw, {CHART_MIN_WIDTH}px)"  # Streamlit draws a chart at least this wide, even in a narrower column
    fitted = f"calc(({width} - {across}px) * {rows / max(cols, 1):.4f} + {down}px)"
    return (
        f"<style>.{box} {{ container-type: inline-size; }} "
        f".{box} .{chart} {{ height: min({fitted}, {PICTURE_MAX_HEIGHT}px) !important; flex: none !important; }}"
        f"{_labels_fit_css(box, figure, cols, across, width)}</style>"
    )


def _labels_fit_css(box: str, figure: go.Figure, cols: int, across: int, width: str) -> str:
    """CSS that shrinks a ``heatmap``'s numbers to fit their cells at the box's width, and hides them where
    they would be smaller than ``LABEL_MIN_PX`` (a 5 x 5 kernel on a phone): plotly keeps a label's font size
    whatever the cell's, and "0.00297" ran over its neighbours at 1024 px.
    A digit of the app's font is about half an em wide; a label gets half an em of room besides."""
    labelled = [t for t in figure.data if isinstance(t, go.Heatmap) and t.text is not None]
    if not labelled:
        return ""
    ems = 0.5 * max(len(label) for t in labelled for row in t.text for label in row) + 0.5
    largest = labelled[0].textfont.size or 12
    cell = f"(({width} - {across}px) / {cols})"
    hide_below = across + cols * ems * LABEL_MIN_PX  # the box width at which the font reaches LABEL_MIN_PX
    return (
        f".{box} g.heatmap-label text {{ font-size: min({largest}px, calc({cell} / {ems:g})) !important; }}"
        f"@container (max-width: {hide_below:.0f}px) {{ .{box} g.heatmap-label {{ display: none; }} }}"
    )


def plotly_literal(text: str) -> str:
    """``text`` as typed in a plotly title or hover label, which read <b>, <i>, <br> and entities: for a name
    the user chose (``text.literal`` does the same for Streamlit's markdown)."""
    return html.escape(text, quote=False)


def legend_html(entries: Sequence[tuple[str, str]]) -> str:
    """One HTML legend line, (name, colour) per entry, for charts that share their colours.

    Plotly's own legend under a chart ~200 px wide (a 1024 px projector, a phone) cut long names off, and
    one legend per chart says the same thing twice; this wraps like text. Names are escaped (a model's
    name can be an uploaded file's).
    """
    items = [
        f"<span style='white-space:nowrap'><span style='color:{colour};font-size:1.2em'>●</span> "
        f"{html.escape(name)}</span>"
        for name, colour in entries
    ]
    return "<div style='font-size:0.9rem;line-height:1.6'>" + " &nbsp; ".join(items) + "</div>"
