"""Pictures of how one unit is computed: every input channel's window beside the kernel slice it meets, the
strongest pairs enlarged with their numbers, and a box marking a unit or its receptive field on a map.

Pure numpy and Pillow: the page encodes the results as PNG. Input values and weights each get one shared
blue-white-red scale (``render.diverging_rgb``), so a darker window really holds larger values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from cnnviz.render import BLUE, MARK, RED, diverging_rgb
from cnnviz.slides import INK, PAPER, font, slide_text

GAP = (205, 208, 214)  # the line between cells of an enlarged window
MUTED = (75, 85, 99)


def _cells(values: np.ndarray, limit: float, cell: int) -> np.ndarray:
    """(kh, kw) values as an RGB picture, each value a ``cell`` x ``cell`` square (1 px grid lines when big)."""
    rgb, _ = diverging_rgb(values, limit)
    big = rgb.repeat(cell, 0).repeat(cell, 1)
    if cell >= 12:
        big[::cell, :] = GAP
        big[:, ::cell] = GAP
    return big


def _limit(values: np.ndarray) -> float:
    peak = float(np.abs(values).max()) if values.size else 0.0
    return peak or 1.0


def signed(value: float, digits: int = 2) -> str:
    """``value`` with its sign always written, as the page's sums read: "+0.25", "−1.03" (a real minus sign);
    a value that rounds to zero is "0.00", not "−0.00"."""
    return "0." + "0" * digits if round(value, digits) == 0 else f"{value:+.{digits}f}".replace("-", "−")


def plain(value: float, digits: int = 2) -> str:
    """``value`` with a real minus sign when negative, and "0.00" (not "−0.00") when it rounds to zero."""
    return "0." + "0" * digits if round(value, digits) == 0 else f"{value:.{digits}f}".replace("-", "−")


def pair_grid(
    inputs: np.ndarray,
    weights: np.ndarray,
    partial_sums: np.ndarray,
    order: np.ndarray,
    channels: np.ndarray,
    columns: int = 8,
    font_px: int = 14,
) -> np.ndarray:
    """Every channel read, strongest first: its window (left) beside its kernel slice (right), the channel's
    number above and its partial sum below (red positive, blue negative).

    Args:
        inputs, weights: (C, kh, kw) as in ``UnitExplanation``.
        partial_sums: (C,); order: positions in ``channels`` to draw, in this order; channels: (C,) numbers.
        columns: pairs per row; font_px: size of the numbers.

    Returns:
        uint8 RGB (H, W, 3).

    Raises:
        ValueError: the arrays' shapes disagree, or ``columns`` < 1.
    """
    inputs, weights = np.asarray(inputs, np.float64), np.asarray(weights, np.float64)
    if inputs.ndim != 3 or inputs.shape != weights.shape or len(partial_sums) != len(inputs):
        raise ValueError(
            f"inputs and weights must both be (C, kh, kw) with one partial sum per channel, got "
            f"{inputs.shape}, {weights.shape} and {len(partial_sums)} sums"
        )
    if columns < 1:
        raise ValueError(f"a grid needs at least one column, got {columns}")
    count, kh, kw = inputs.shape
    target = 56 if count > 4 else 160  # one big pair (a dense layer reading a whole digit) gets room
    cell = max(1, round(target / max(kh, kw)))
    square_h, square_w = kh * cell, kw * cell
    face = font(font_px)
    line = round(font_px * 1.3)
    tile_w = max(2 * square_w + 10, round(face.getlength("−00.00 ")) + 4)
    tile_h = line + square_h + line + 6
    columns = min(columns, max(1, len(order)))
    rows = -(-len(order) // columns)
    pad = 8
    sheet = Image.new("RGB", (columns * (tile_w + pad) + pad, rows * (tile_h + pad) + pad), PAPER)
    draw = ImageDraw.Draw(sheet)
    in_limit, w_limit = _limit(inputs), _limit(weights)
    for slot, position in enumerate(order):
        r, c = divmod(slot, columns)
        left, top = pad + c * (tile_w + pad), pad + r * (tile_h + pad)
        draw.text((left, top), f"#{int(channels[position])}", font=face, fill=MUTED)
        window = Image.fromarray(_cells(inputs[position], in_limit, cell))
        kernel = Image.fromarray(_cells(weights[position], w_limit, cell))
        sheet.paste(window, (left, top + line))
        sheet.paste(kernel, (left + square_w + 6, top + line))
        value = float(partial_sums[position])
        colour = RED if value > 0 else BLUE if value < 0 else MUTED
        draw.text((left, top + line + square_h + 3), slide_text(signed(value), font_px), font=face, fill=colour)
    return np.asarray(sheet)


def _number_tile(values: np.ndarray, limit: float, cell: int, face, digits: int = 2) -> Image.Image:
    """(kh, kw) values as coloured cells with each value written in it (white on dark cells)."""
    tile = Image.fromarray(_cells(values, limit, cell))
    draw = ImageDraw.Draw(tile)
    rgb, _ = diverging_rgb(values, limit)
    for (r, c), value in np.ndenumerate(values):
        dark = float(np.dot(rgb[r, c], (0.299, 0.587, 0.114))) < 140
        text = slide_text(plain(float(value), digits), face.size)
        x = c * cell + (cell - face.getlength(text)) / 2
        y = r * cell + (cell - face.size) / 2 - 1
        draw.text((x, y), text, font=face, fill=PAPER if dark else INK)
    return tile


def numbered_pairs(
    inputs: np.ndarray,
    weights: np.ndarray,
    partial_sums: np.ndarray,
    order: np.ndarray,
    channels: np.ndarray,
    count: int = 4,
    font_px: int = 14,
    source: str = "input",
) -> np.ndarray:
    """The ``count`` strongest pairs enlarged, one row each: window × kernel slice = products, Σ = partial sum,
    every number written in its cell. Windows wider than 7 cells are drawn without numbers.

    Returns:
        uint8 RGB (H, W, 3).

    Raises:
        ValueError: as ``pair_grid``, or ``count`` < 1.
    """
    inputs, weights = np.asarray(inputs, np.float64), np.asarray(weights, np.float64)
    if inputs.ndim != 3 or inputs.shape != weights.shape or len(partial_sums) != len(inputs):
        raise ValueError(f"inputs and weights must both be (C, kh, kw), got {inputs.shape} and {weights.shape}")
    if count < 1:
        raise ValueError(f"enlarge at least one pair, got {count}")
    chosen = list(order[:count])
    _, kh, kw = inputs.shape
    face = font(font_px)
    numbers = max(kh, kw) <= 7
    cell = max(round(font_px * 3.4), 44) if numbers else max(2, round(200 / max(kh, kw)))
    square_h, square_w = kh * cell, kw * cell
    sign_w = round(face.getlength(" = ")) + 8
    label_h = round(font_px * 1.5)
    total_w = round(face.getlength("Σ = −00.000")) + 12
    row_h = label_h + square_h + 10
    width = 3 * square_w + 2 * sign_w + sign_w + total_w + 16
    sheet = Image.new("RGB", (width, len(chosen) * row_h + 8), PAPER)
    draw = ImageDraw.Draw(sheet)
    products = inputs * weights
    limits = (_limit(inputs), _limit(weights), _limit(products))
    titles = (f"{source} map", "kernel slice", "products")
    for i, position in enumerate(chosen):
        top = 4 + i * row_h
        left = 8
        tiles = (inputs[position], weights[position], products[position])
        for j, (values, limit, title) in enumerate(zip(tiles, limits, titles, strict=True)):
            heading = f"{title} #{int(channels[position])}" if j == 0 else title
            draw.text((left, top), slide_text(heading, font_px), font=face, fill=MUTED)
            tile = _number_tile(values, limit, cell, face) if numbers else Image.fromarray(_cells(values, limit, cell))
            sheet.paste(tile, (left, top + label_h))
            left += square_w
            if j < 2:
                sign = "×" if j == 0 else "="
                draw.text(
                    (left + 4, top + label_h + square_h / 2 - font_px / 2),
                    slide_text(f" {sign}", font_px),
                    font=face,
                    fill=INK,
                )
                left += sign_w
        value = float(partial_sums[position])
        colour = RED if value > 0 else BLUE if value < 0 else INK
        text = slide_text(f"Σ = {plain(value, 3)}", font_px)
        draw.text((left + 10, top + label_h + square_h / 2 - font_px / 2), text, font=face, fill=colour)
    return np.asarray(sheet)


def marked(rgb: np.ndarray, spans: Sequence[tuple[int, int]] | None, side: int = 320, colour=MARK) -> np.ndarray:
    """``rgb`` (H, W, 3) enlarged by a whole number towards ``side`` px on its long side, with a box round the
    rows ``spans[0]`` and columns ``spans[1]`` (inclusive; None draws no box).

    Raises:
        ValueError: ``rgb`` is not (H, W, 3), or a span lies outside it.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"a picture to mark is (H, W, 3), got {rgb.shape}")
    height, width = rgb.shape[:2]
    scale = max(1, side // max(height, width))
    big = np.ascontiguousarray(rgb.repeat(scale, 0).repeat(scale, 1))
    if spans is None:
        return big
    (top, bottom), (left, right) = spans
    if not (0 <= top <= bottom < height and 0 <= left <= right < width):
        raise ValueError(f"rows {top}-{bottom} and columns {left}-{right} are not inside a {height} x {width} map")
    thick = max(2, scale // 4)
    y0, y1, x0, x1 = top * scale, (bottom + 1) * scale, left * scale, (right + 1) * scale
    y0, x0 = max(0, y0 - thick // 2), max(0, x0 - thick // 2)
    y1, x1 = min(big.shape[0], y1 + thick // 2), min(big.shape[1], x1 + thick // 2)
    big[y0 : y0 + thick, x0:x1] = colour
    big[y1 - thick : y1, x0:x1] = colour
    big[y0:y1, x0 : x0 + thick] = colour
    big[y0:y1, x1 - thick : x1] = colour
    return big


def vector_grid(values: np.ndarray, columns: int = 16) -> np.ndarray:
    """A vector (F,) as a (rows, columns) map to draw and click: value j at row j // columns, column j % columns;
    the cells after the last value are NaN."""
    values = np.asarray(values, np.float32).ravel()
    columns = max(1, min(columns, len(values)))
    rows = -(-len(values) // columns)
    grid = np.full(rows * columns, np.nan, np.float32)
    grid[: len(values)] = values
    return grid.reshape(rows, columns)
