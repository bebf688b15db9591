"""The sliding window as still frames for a GIF: the same picture as the page's diagram, one output per frame.

Frame k shows the input (padding grey, inserted zeros violet, never-read cells pink), the cells output k
reads in orange (max pooling's winner green), the kernel, and the output filled up to cell k (reading order).
There is exactly one frame per output position, no title or closing frame, so ``len(frames)`` is
``H_out * W_out`` and a lecturer can step through them one by one.

A transposed convolution is drawn as the stride-1 convolution it equals: over its input spread out (zeros
inserted between the pixels) and padded; pass the inserted zeros as ``inserted``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from cnnviz.slides import INK, PAPER, font, slide_text, title_band_px, title_lines
from cnnviz.windows import WindowGrid

PAD = (229, 231, 235)  # the diagram's colours (cnnviz_ui/window_diagram.html), so slides and page agree
INSERTED = (237, 233, 254)
UNUSED = (254, 226, 226)
TAP = (253, 186, 116)
TAP_LINE = (194, 65, 12)
WINNER = (134, 239, 172)
WINNER_LINE = (21, 128, 61)
DONE = (224, 231, 255)
CURRENT = (251, 146, 60)
CURRENT_LINE = (154, 52, 18)
LINE = (203, 213, 225)
FAINT = (107, 114, 128)  # padding's and inserted zeros' numbers
MAX_FRAMES = 1024

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 inclusive, as PIL draws)


@dataclass(frozen=True)
class FrameLayout:
    """Where everything sits in a frame (pixels); cells are ``cell`` px squares."""

    cell: int
    size: tuple[int, int]  # (width, height)
    input_xy: tuple[int, int]
    kernel_xy: tuple[int, int]
    output_xy: tuple[int, int]
    band: int  # the title's height

    def _box(self, origin: tuple[int, int], row: int, col: int) -> Box:
        x, y = origin[0] + col * self.cell, origin[1] + row * self.cell
        return x, y, x + self.cell - 1, y + self.cell - 1

    def input_cell(self, row: int, col: int) -> Box:
        """Box of a cell of the padded input."""
        return self._box(self.input_xy, row, col)

    def kernel_cell(self, row: int, col: int) -> Box:
        """Box of a cell of the kernel's span (dilation's gaps included)."""
        return self._box(self.kernel_xy, row, col)

    def output_cell(self, row: int, col: int) -> Box:
        return self._box(self.output_xy, row, col)


def frame_layout(grid: WindowGrid, cell: int = 36, title: str = "") -> FrameLayout:
    """The layout of ``window_frames`` for ``grid``: input, kernel and output side by side, title above.

    Raises:
        ValueError: ``cell`` is below 12 px or above 120 px.
    """
    if not 12 <= cell <= 120:
        raise ValueError(f"a cell is 12 to 120 px, got {cell}")
    rows, cols = grid.rows, grid.cols
    (out_h, out_w), span = grid.output_hw, rows.effective_kernel
    margin, gap, label = 12, 2 * cell, _label_px(cell) + 10
    kernel_x = margin + cols.padded * cell + gap
    output_x = kernel_x + cols.effective_kernel * cell + gap
    width = output_x + out_w * cell + margin
    readout = font(_label_px(cell))  # the line under the figure must fit too (a 4 x 4 input is narrow)
    longest = max(readout.getlength(_readout(grid, k) + ": -000.0") for k in range(min(out_h * out_w, MAX_FRAMES)))
    width = max(width, int(longest) + 2 * margin)
    band = title_band_px(title, width)
    top = band + margin + label
    height = top + max(rows.padded, span, out_h) * cell + 2 * margin + _label_px(cell)
    return FrameLayout(cell, (width, height), (margin, top), (kernel_x, top), (output_x, top), band)


def window_frames(
    grid: WindowGrid,
    values: np.ndarray | None = None,
    kernel: np.ndarray | None = None,
    outputs: np.ndarray | None = None,
    winners: np.ndarray | None = None,
    inserted: np.ndarray | None = None,
    title: str = "",
    cell: int | None = None,
    operation: str = "",
    offset: tuple[int, int, int, int] = (0, 0, 0, 0),
) -> list[Image.Image]:
    """One RGB frame per output position of ``grid``'s sliding window.

    Args:
        grid: the window (``cnnviz.windows.window_grid``), coordinates on the padded input.
        values: (H, W) input numbers to write in the cells (padding shows 0), or None for bare cells.
        kernel: (F, F) weights to write in the kernel's taps (convolution), or None.
        outputs: (H_out, W_out) results, written in each output cell once it is computed.
        winners: (H_out, W_out, 2) (row, col) on the unpadded input of each window's maximum, as
            ``max_pool_with_winners`` gives: draws max pooling (the kernel reads "max").
        inserted: (H, W) bool, True for the zeros a transposed convolution inserts between pixels.
        title: drawn above the frames, or nothing.
        cell: px per cell; 36 when numbers are written, else 24.
        operation: a pooling's word under the window ("mean"); max pooling (``winners``) writes "max".
        offset: (output row, output column, input row, input column) added to the positions the line under
            the figure names: a few windows cut out of a bigger map are named by their place in it.

    Returns:
        ``H_out * W_out`` images of ``frame_layout(grid, cell, title).size``.

    Raises:
        ValueError: an array whose shape does not fit ``grid`` (each says which), or more than 1024 outputs.
    """
    rows, cols = grid.rows, grid.cols
    (out_h, out_w), real = grid.output_hw, (rows.size, cols.size)
    values = _checked("values", values, real)
    kernel = _checked("kernel", kernel, (rows.kernel, cols.kernel))
    outputs = _checked("outputs", outputs, (out_h, out_w))
    winners = _checked("winners", winners, (out_h, out_w, 2))
    inserted = _checked("inserted", inserted, real)
    if out_h * out_w > MAX_FRAMES:
        raise ValueError(f"{out_h * out_w:,} output positions are too many frames for a GIF (at most {MAX_FRAMES})")
    numbers = values is not None or outputs is not None or kernel is not None
    layout = frame_layout(grid, cell or (36 if numbers else 24), title)
    operation = "max" if winners is not None else operation
    base = _background(grid, layout, values, kernel, inserted, operation, title)
    frames = []
    for k in range(out_h * out_w):
        frame = base.copy()
        _draw_step(ImageDraw.Draw(frame), grid, layout, k, values, outputs, winners, offset)
        frames.append(frame)
    return frames


def _checked(name: str, array: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if array is None:
        return None
    array = np.asarray(array)
    if array.shape != shape:
        raise ValueError(f"{name} should have shape {shape} for this window, got {array.shape}")
    return array


def _label_px(cell: int) -> int:
    return int(np.clip(round(cell * 0.45), 12, 22))


def _number(value: float) -> str:
    """Up to two decimals, as the page's diagram writes them (a feature map's 0.87 is not rounded to 0.9)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _centred(draw: ImageDraw.ImageDraw, box: Box, text: str, size: int, fill: tuple[int, int, int]) -> None:
    # Shrink a long number (e.g. -765.5) until it fits its cell.
    while size > 8 and font(size).getlength(text) > box[2] - box[0] - 3:
        size -= 1
    draw.text(((box[0] + box[2] + 1) / 2, (box[1] + box[3] + 1) / 2), text, font=font(size), fill=fill, anchor="mm")


def _background(grid, layout, values, kernel, inserted, operation, title) -> Image.Image:
    """Everything that stays the same from frame to frame: titles, grids, padding, kernel, operators."""
    rows, cols, pooling = grid.rows, grid.cols, bool(operation)
    image = Image.new("RGB", layout.size, PAPER)
    draw = ImageDraw.Draw(image)
    lines, size = title_lines(title, layout.size[0])
    for i, line in enumerate(lines):
        draw.text((max(4, size // 2), max(4, size // 2) + i * round(size * 1.25)), line, font=font(size), fill=INK)
    label, cs, never = _label_px(layout.cell), layout.cell, grid.never_read()
    heads = [(layout.input_xy, "Input" + (" (padded)" if rows.padded > rows.size or cols.padded > cols.size else ""))]
    heads += [(layout.kernel_xy, "Window" if pooling else "Kernel"), (layout.output_xy, "Output")]
    for (x, y), head in heads:
        draw.text((x, y - 6), slide_text(head, label), font=font(label), fill=INK, anchor="ld")
    number_px = int(cs * 0.36)
    for r in range(rows.padded):
        for c in range(cols.padded):
            i, j = r - rows.pad_before, c - cols.pad_before
            padding = not (0 <= i < rows.size and 0 <= j < cols.size)
            zero = not padding and inserted is not None and bool(inserted[i, j])
            fill = PAD if padding else INSERTED if zero else UNUSED if never[r, c] else PAPER
            box = layout.input_cell(r, c)
            draw.rectangle(box, fill=fill, outline=LINE)
            if values is not None:
                _centred(
                    draw, box, "0" if padding else _number(values[i, j]), number_px, FAINT if padding or zero else INK
                )
    for r in range(rows.effective_kernel):
        for c in range(cols.effective_kernel):
            tap = r % rows.dilation == 0 and c % cols.dilation == 0
            box = layout.kernel_cell(r, c)
            draw.rectangle(box, fill=TAP if tap else PAPER, outline=TAP_LINE if tap else LINE)
            if tap and kernel is not None:
                _centred(draw, box, _number(kernel[r // rows.dilation, c // cols.dilation]), number_px, INK)
    span_bottom = layout.kernel_xy[1] + rows.effective_kernel * cs
    if pooling:
        draw.text((layout.kernel_xy[0], span_bottom + 4), operation, font=font(label), fill=INK, anchor="la")
    middle = layout.input_xy[1] + min(rows.padded, rows.effective_kernel) * cs // 2
    for x_left, sign in (
        (layout.input_xy[0] + cols.padded * cs, "->" if pooling else "*"),
        (layout.kernel_xy[0] + cols.effective_kernel * cs, "="),
    ):
        draw.text((x_left + cs, middle), sign, font=font(int(cs * 0.7)), fill=FAINT, anchor="mm")
    for r in range(grid.output_hw[0]):
        for c in range(grid.output_hw[1]):
            draw.rectangle(layout.output_cell(r, c), fill=PAPER, outline=LINE)
    return image


def _draw_step(draw, grid: WindowGrid, layout: FrameLayout, k: int, values, outputs, winners, offset) -> None:
    """Frame k's window, winner, outputs so far and one line of text under the figure."""
    rows, cols = grid.rows, grid.cols
    out_w = grid.output_hw[1]
    r0, c0 = divmod(k, out_w)
    taps = grid.taps(r0, c0)
    winner = None
    if winners is not None:
        winner = (int(winners[r0, c0, 0]) + rows.pad_before, int(winners[r0, c0, 1]) + cols.pad_before)
    number_px = int(layout.cell * 0.36)
    for r, c in taps:
        box = layout.input_cell(r, c)
        won = (r, c) == winner
        draw.rectangle(box, fill=WINNER if won else TAP, outline=WINNER_LINE if won else TAP_LINE, width=2)
        if values is not None:
            i, j = r - rows.pad_before, c - cols.pad_before
            inside = 0 <= i < rows.size and 0 <= j < cols.size
            _centred(draw, box, _number(values[i, j]) if inside else "0", number_px, INK)
    (top, left), (bottom, right) = taps[0], taps[-1]
    x0, y0, _, _ = layout.input_cell(top, left)
    _, _, x1, y1 = layout.input_cell(bottom, right)
    draw.rectangle((x0 - 1, y0 - 1, x1 + 1, y1 + 1), outline=TAP_LINE, width=2)  # the window's span
    for j in range(k + 1):
        r, c = divmod(j, out_w)
        box = layout.output_cell(r, c)
        now = j == k
        draw.rectangle(box, fill=CURRENT if now else DONE, outline=CURRENT_LINE if now else LINE, width=2 if now else 1)
        if outputs is not None:
            _centred(draw, box, _number(outputs[r, c]), number_px, INK)
    text = _readout(grid, k, offset)
    if outputs is not None:
        text += f": {_number(outputs[r0, c0])}"
    size = _label_px(layout.cell)
    draw.text((layout.input_xy[0], layout.size[1] - 8), slide_text(text, size), font=font(size), fill=INK, anchor="ld")


def _readout(grid: WindowGrid, k: int, offset: tuple[int, int, int, int] = (0, 0, 0, 0)) -> str:
    """ "Output (r, c) reads input rows a to b and columns c to d", in the unpadded input's numbers."""
    r0, c0 = divmod(k, grid.output_hw[1])
    taps = grid.taps(r0, c0)
    rows_read = sorted({r - grid.rows.pad_before + offset[2] for r, _ in taps})
    cols_read = sorted({c - grid.cols.pad_before + offset[3] for _, c in taps})
    where = f"({r0 + offset[0]}, {c0 + offset[1]})"
    return f"Output {where} reads input rows {_span(rows_read)} and columns {_span(cols_read)}"


def _span(indices: list[int]) -> str:
    if len(indices) > 1 and indices == list(range(indices[0], indices[-1] + 1)):
        return f"{indices[0]} to {indices[-1]}"
    return ", ".join(str(i) for i in indices)
