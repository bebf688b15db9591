"""The whole network at a glance: one picture from the input pixels through every layer to the class
probabilities, each layer a small mosaic labelled with its shape, and one unit's links drawn back to the
windows it reads, layer by layer, down to the pixels (``unit_paths.trace_unit``'s steps).

Pure numpy and Pillow, one RGB array: a lecturer can project it, open it full screen or put it on a slide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from cnnviz.render import GAP_RGB, MARK, diverging_rgb
from cnnviz.slides import INK, PAPER, font, slide_text

ACCENT = (37, 99, 235)  # the predicted class's bar
LINK = (245, 158, 11)  # a window the traced unit depends on, and the lines between them
BAR = (156, 163, 175)
MUTED = (75, 85, 99)
MAP_ROWS = 8  # maps per mosaic column: 32 maps make 4 columns of 8


@dataclass(frozen=True)
class Part:
    """What a traced unit depends on in one layer: maps (or vector positions) ``channels``; the inclusive
    ``rows`` and ``cols`` spans of each map, or None for a vector."""

    channels: np.ndarray
    rows: tuple[int, int] | None
    cols: tuple[int, int] | None


def display_limit(values: np.ndarray) -> float:
    """The |value| drawn at full colour: the 99.5th percentile of the non-zero |values| (a few extreme values
    would wash the rest out to near white, the "pale pink" of ReLU maps), or 1.0 when all are zero."""
    magnitude = np.abs(np.asarray(values, np.float64))
    magnitude = magnitude[magnitude > 0]
    return float(np.percentile(magnitude, 99.5)) if magnitude.size else 1.0


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def _grid_shape(count: int) -> tuple[int, int]:
    rows = min(count, MAP_ROWS)
    return rows, -(-count // rows)


def network_strip(
    layers: Sequence[tuple[str, np.ndarray]],
    probabilities: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    trace: Mapping[str, Part] | None = None,
    unit_layer: str | None = None,
    height: int = 240,
    font_px: int = 16,
    rows: int = 1,
) -> np.ndarray:
    """Draw ``layers`` left to right, then the probabilities as bars, with a traced unit's windows boxed and linked.

    Args:
        layers: (name, values) in the order data flows: values (C, H, W) maps or (F,) vectors. The first is
            usually the input (1, 28, 28).
        probabilities: (K,) softmax output, drawn last as bars; class_names: their labels (default 0..K-1).
        trace: name -> ``Part`` for the layers the unit depends on (layers not in ``layers`` are ignored).
        unit_layer: the traced unit's own layer, boxed in red; the windows it depends on are orange.
        height: px of the tallest mosaic; font_px: size of the labels.
        rows: the number of rows the layers are wrapped into, of about equal width (a row ends and the next
            starts with an arrow): two rows halve the width, so the labels of a strip shown at a 1024 px
            projector's column width read twice as large. Lines link the windows within a row.

    Returns:
        uint8 RGB (H, W, 3).

    Raises:
        ValueError: no layers, values that are neither (C, H, W) nor (F,), or fewer than one row.
    """
    if not layers:
        raise ValueError("the strip needs at least one layer")
    if rows < 1:
        raise ValueError(f"the strip needs at least one row, got {rows}")
    face, small = font(font_px), font(max(12, font_px - 3))
    label_h = round(font_px * 1.3) + round(small.size * 1.3) + 6
    arrow_w, pad = round(font_px * 1.5), 12
    tiles: list[tuple[str, Image.Image, dict[int, tuple[int, int, int, int]], tuple[int, ...]]] = []
    for name, values in layers:
        values = np.asarray(values, np.float32)
        if values.ndim == 3:
            tile, boxes = _map_tile(values, height)
        elif values.ndim == 1:
            tile, boxes = _vector_tile(values, height)
        else:
            raise ValueError(f"layer {name} has values of shape {values.shape}: maps (C, H, W) or a vector (F,)")
        tiles.append((name, tile, boxes, values.shape))
    bars = _bars(probabilities, class_names, height, small) if probabilities is not None else None
    widths = [max(t.width, round(face.getlength(n)), round(small.getlength(_shape(s)))) for n, t, _, s in tiles]
    if bars is not None:
        widths.append(max(bars.width, round(face.getlength("softmax"))))
    height = max([height] + [t.height for _, t, _, _ in tiles] + ([bars.height] if bars is not None else []))
    lines = _split_rows(widths, rows)
    row_h = label_h + height + pad
    width = max(
        pad + sum(widths[i] for i in line) + arrow_w * (len(line) - 1 + (k > 0) + (k < len(lines) - 1)) + pad
        for k, line in enumerate(lines)
    )
    sheet = Image.new("RGB", (width, pad + row_h * len(lines)), PAPER)
    draw = ImageDraw.Draw(sheet)
    lefts, tops, row_of = [], [], []
    for k, line in enumerate(lines):
        top = pad + k * row_h
        arrow_y = top + label_h + height // 2 - font_px // 2
        left = pad + (arrow_w if k > 0 else 0)
        for j, i in enumerate(line):
            if j or k:  # an arrow before every tile but the very first, the next row's first included
                draw.text((left - arrow_w + 4, arrow_y), slide_text("→", font_px), font=face, fill=INK)
            lefts.append(left)
            tops.append(top)
            row_of.append(k)
            left += widths[i] + arrow_w
        if k < len(lines) - 1:  # the row goes on in the next one
            draw.text((left - arrow_w + 4, arrow_y), slide_text("→", font_px), font=face, fill=INK)
    placed: dict[str, tuple[int, int, Image.Image, dict]] = {}
    for (name, tile, boxes, shape), x, y0 in zip(tiles, lefts, tops, strict=False):
        draw.text((x, y0), slide_text(name, font_px), font=face, fill=INK)
        draw.text((x, y0 + round(font_px * 1.3) + 2), slide_text(_shape(shape), small.size), font=small, fill=MUTED)
        y = y0 + label_h + (height - tile.height) // 2
        sheet.paste(tile, (x, y))
        placed[name] = (x, y, boxes, shape)
    if bars is not None:
        draw.text((lefts[-1], tops[-1]), "softmax", font=face, fill=INK)
        sheet.paste(bars, (lefts[-1], tops[-1] + label_h + (height - bars.height) // 2))
    if trace:
        row_by_name = {name: row_of[i] for i, (name, _) in enumerate(layers)}
        _draw_trace(sheet, [name for name, _ in layers], placed, trace, unit_layer, row_by_name)
    return np.asarray(sheet)


def _split_rows(widths: Sequence[int], rows: int) -> list[list[int]]:
    """Indices of ``widths`` cut into at most ``rows`` runs, in order, the widest run as narrow as it can be."""
    rows = min(rows, len(widths))
    if rows == 1:
        return [list(range(len(widths)))]
    ends = np.cumsum(widths)
    cuts, start = [], 0
    for k in range(1, rows):
        goal = ends[-1] * k / rows  # cut where the running width passes the k-th share, nearest side
        cut = int(np.argmin(np.abs(ends[:-1] - goal))) + 1
        cut = min(max(cut, start + 1), len(widths) - (rows - k))
        cuts.append(cut)
        start = cut
    bounds = [0, *cuts, len(widths)]
    return [list(range(bounds[k], bounds[k + 1])) for k in range(rows)]


def _map_tile(maps: np.ndarray, height: int) -> tuple[Image.Image, dict]:
    """Maps as a mosaic MAP_ROWS high, each enlarged by a whole number; and each map's (x, y, w, h) in it."""
    count, h, w = maps.shape
    rows, cols = _grid_shape(count)
    gap = 2
    scale = max(1, (height - (rows - 1) * gap) // (rows * h))
    rgb, _ = diverging_rgb(maps, display_limit(maps))  # (C, H, W, 3)
    tile = Image.new("RGB", (cols * (w * scale + gap) - gap, rows * (h * scale + gap) - gap), GAP_RGB)
    boxes = {}
    for c in range(count):
        col, row = divmod(c, rows)  # down the columns: map 0-7 in the first
        x, y = col * (w * scale + gap), row * (h * scale + gap)
        tile.paste(Image.fromarray(rgb[c].repeat(scale, 0).repeat(scale, 1)), (x, y))
        boxes[c] = (x, y, scale, scale)
    return tile, boxes


def _vector_tile(values: np.ndarray, height: int) -> tuple[Image.Image, dict]:
    """A vector as a column of cells (16 or fewer) or a square-ish grid; and each value's cell (x, y, w, h)."""
    count = len(values)
    cols = 1 if count <= 16 else int(np.ceil(np.sqrt(count)))
    rows = -(-count // cols)
    cell = max(3, min(28, height // rows))
    rgb, _ = diverging_rgb(values, display_limit(values))
    tile = Image.new("RGB", (cols * cell, rows * cell), GAP_RGB)
    draw = ImageDraw.Draw(tile)
    boxes = {}
    for j in range(count):
        row, col = divmod(j, cols)
        x, y = col * cell, row * cell
        draw.rectangle(
            (x, y, x + cell - 1, y + cell - 1),
            fill=tuple(int(v) for v in rgb[j]),
            outline=GAP_RGB if cell >= 8 else None,
        )
        boxes[j] = (x, y, cell, cell)
    return tile, boxes


def _bars(probabilities: np.ndarray, names: Sequence[str] | None, height: int, face) -> Image.Image:
    """The class probabilities as horizontal bars with their labels, the top class in the accent colour."""
    p = np.asarray(probabilities, np.float64).ravel()
    labels = [str(n) for n in (names if names is not None else range(len(p)))]
    row = max(face.size + 2, min(28, height // len(p)))  # labels never overlap, however large
    label_w = max(round(face.getlength(slide_text(label, face.size))) for label in labels) + 6
    bar_w = 80
    image = Image.new("RGB", (label_w + bar_w + round(face.getlength("100%")) + 8, row * len(p)), PAPER)
    draw = ImageDraw.Draw(image)
    top = int(p.argmax())
    for k, value in enumerate(p):
        y = k * row
        draw.text((0, y + (row - face.size) / 2 - 1), slide_text(labels[k], face.size), font=face, fill=INK)
        length = max(1, round(bar_w * float(value)))
        draw.rectangle((label_w, y + 2, label_w + length, y + row - 3), fill=ACCENT if k == top else BAR)
        if k == top:
            draw.text((label_w + length + 4, y + (row - face.size) / 2 - 1), f"{value:.0%}", font=face, fill=INK)
    return image


def _draw_trace(
    sheet: Image.Image,
    order: list[str],
    placed: Mapping[str, tuple],
    trace: Mapping[str, Part],
    unit_layer: str | None,
    row_of: Mapping[str, int],
) -> None:
    """Boxes round what the unit depends on in every shown layer, and lines from each layer's boxes back to
    the boxes of the shown layer before it in the same row (one to one per map where both hold the same maps)."""
    shown = [name for name in order if name in trace and name in placed]
    boxes: dict[str, dict[int, tuple[int, int, int, int]]] = {}
    for name in shown:
        x0, y0, cells, shape = placed[name]
        part = trace[name]
        if _is_whole(part, shape):
            across, down = (shape[2], shape[1]) if len(shape) == 3 else (1, 1)  # a map's cells are its pixels
            right = max(x + w * across for x, _, w, _ in cells.values())
            bottom = max(y + h * down for _, y, _, h in cells.values())
            boxes[name] = {-1: (x0, y0, right, bottom)}
            continue
        found = {}
        for channel in part.channels:
            x, y, sx, sy = cells[int(channel)]
            if part.rows is None:
                found[int(channel)] = (x0 + x, y0 + y, sx, sy)
            else:
                (r0, r1), (c0, c1) = part.rows, part.cols
                found[int(channel)] = (x0 + x + c0 * sx, y0 + y + r0 * sy, (c1 - c0 + 1) * sx, (r1 - r0 + 1) * sy)
        boxes[name] = found
    overlay = Image.new("RGBA", sheet.size, (0, 0, 0, 0))
    lines = ImageDraw.Draw(overlay)
    for later, earlier in zip(shown[1:], shown[:-1], strict=True):  # ``shown`` runs input-side first
        if row_of[later] != row_of[earlier]:
            continue
        ends, starts = boxes[later], boxes[earlier]
        same = set(ends) == set(starts)
        for channel, (x, y, w, h) in starts.items():
            targets = [ends[channel]] if same else list(ends.values())
            if len(targets) > 1 and len(starts) > 1:  # many to many: to the centre of the later boxes
                xs = [t[0] for t in targets]
                ys = [t[1] + t[3] / 2 for t in targets]
                targets = [(min(xs), float(np.mean(ys)) - 0.5, 1, 1)]
            for tx, ty, _, th in targets:
                lines.line((x + w, y + h / 2, tx, ty + th / 2), fill=(*LINK, 110), width=1)
    sheet.paste(Image.alpha_composite(sheet.convert("RGBA"), overlay).convert("RGB"))
    draw = ImageDraw.Draw(sheet)
    for name in shown:
        colour, width = (MARK, 3) if name == unit_layer else (LINK, 2)
        for x, y, w, h in boxes[name].values():
            draw.rectangle((x - 1, y - 1, x + w, y + h), outline=colour, width=width)


def _is_whole(part: Part, shape: tuple[int, ...]) -> bool:
    """Whether ``part`` is all of a layer of ``shape`` (a dense layer reads everything): one box round it then."""
    if len(part.channels) < shape[0] or shape[0] == 1:
        return False
    return part.rows is None or (part.rows == (0, shape[1] - 1) and part.cols == (0, shape[2] - 1))
