"""The sliding window's frames for a GIF (cnnviz.window_frames): the window in the right cells, frame by frame."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz import window_frames as wf
from cnnviz.window_frames import frame_layout, window_frames
from cnnviz.windows import LECTURE_POOL_INPUT, max_pool_with_winners, window_grid


def centre(box):
    return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2


def inset(box):  # inside the cell, clear of its border and of a number written in its middle
    return box[0] + 4, box[1] + 4


def expected_taps(out_row, out_col, kernel, stride, dilation):
    """The padded cells output (out_row, out_col) reads, written out from the formula i = o*S + t*d."""
    return {
        (out_row * stride + a * dilation, out_col * stride + b * dilation) for a in range(kernel) for b in range(kernel)
    }


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation"),
    [(5, 3, 1, 0, 1), (5, 3, 2, 1, 1), (7, 3, 1, 0, 2), (6, 2, 2, 0, 1), (8, 3, 3, 1, 1)],
)
def test_frame_k_highlights_the_cells_output_k_reads(size, kernel, stride, padding, dilation):
    grid = window_grid(size, size, kernel, stride, padding, dilation)
    frames = window_frames(grid)
    out_h, out_w = grid.output_hw
    assert len(frames) == out_h * out_w  # one frame per output position, no others
    layout = frame_layout(grid, 24)
    assert {frame.size for frame in frames} == {layout.size}
    never = grid.never_read()
    padded = grid.rows.padded
    for k, frame in enumerate(frames):
        r0, c0 = divmod(k, out_w)
        taps = expected_taps(r0, c0, kernel, stride, dilation)
        pixels = frame.load()
        for r in range(padded):
            for c in range(padded):
                colour = pixels[centre(layout.input_cell(r, c))]
                if (r, c) in taps:
                    assert colour == wf.TAP, (k, r, c)
                elif not (padding <= r < padding + size and padding <= c < padding + size):
                    assert colour == wf.PAD, (k, r, c)
                else:
                    assert colour == (wf.UNUSED if never[r, c] else wf.PAPER), (k, r, c)
        for j in range(out_h * out_w):
            colour = pixels[centre(layout.output_cell(*divmod(j, out_w)))]
            assert colour == (wf.DONE if j < k else wf.CURRENT if j == k else wf.PAPER), (k, j)


def test_a_stride_leftover_is_drawn_as_never_read():
    grid = window_grid(6, 6, 3, 2, 0)  # column 5 and row 5: no window reaches them
    frame = window_frames(grid)[0]
    layout = frame_layout(grid, 24)
    assert frame.getpixel(centre(layout.input_cell(5, 2))) == wf.UNUSED


def test_max_pooling_marks_each_windows_winner():
    pooled, winners = max_pool_with_winners(LECTURE_POOL_INPUT, 2)
    grid = window_grid(4, 4, 2, 2, 0)
    frames = window_frames(grid, values=LECTURE_POOL_INPUT, outputs=pooled, winners=winners)
    layout = frame_layout(grid, 36)
    assert len(frames) == 4
    for k, frame in enumerate(frames):
        r0, c0 = divmod(k, 2)
        window = LECTURE_POOL_INPUT[2 * r0 : 2 * r0 + 2, 2 * c0 : 2 * c0 + 2]
        wr, wc = np.unravel_index(np.argmax(window), window.shape)  # oracle: numpy's first maximum
        for a in range(2):
            for b in range(2):
                colour = frame.getpixel(inset(layout.input_cell(2 * r0 + a, 2 * c0 + b)))
                assert colour == (wf.WINNER if (a, b) == (wr, wc) else wf.TAP), (k, a, b)


def test_inserted_zeros_are_drawn_apart_from_padding_and_pixels():
    # A 2 x 2 input, transposed conv with stride 2: spread to 3 x 3 with zeros between, padded by 1 (F - 1).
    spread = np.array([[1, 0, 2], [0, 0, 0], [3, 0, 4]])
    inserted = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool)
    grid = window_grid(3, 3, 2, 1, 1)
    frame = window_frames(grid, values=spread, inserted=inserted, kernel=np.ones((2, 2)))[0]
    layout = frame_layout(grid, 36)
    at = lambda r, c: frame.getpixel(inset(layout.input_cell(r, c)))  # noqa: E731
    assert at(2, 2) == wf.INSERTED  # spread (1, 1)
    assert at(1, 3) == wf.PAPER  # spread (0, 2): the pixel 2
    assert at(3, 4) == wf.PAD  # padding
    assert at(0, 0) == wf.TAP  # output 0's window


def test_numbers_are_written_in_the_cells():
    grid = window_grid(3, 3, 2, 1, 0)
    plain = window_frames(grid, cell=36)[0]
    numbered = window_frames(grid, values=np.full((3, 3), 8), cell=36)[0]
    x0, y0, x1, y1 = frame_layout(grid, 36).input_cell(2, 2)
    box = (x0 + 3, y0 + 3, x1 - 2, y1 - 2)  # inside the borders (output 0's window's outline touches a corner)
    ink = lambda image: (np.asarray(image.crop(box)).min(axis=2) < 100).sum()  # noqa: E731
    assert ink(plain) == 0 and ink(numbered) > 10


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("values", np.zeros((4, 4)), r"values should have shape \(5, 5\)"),
        ("kernel", np.zeros((2, 2)), r"kernel should have shape \(3, 3\)"),
        ("outputs", np.zeros((5, 5)), r"outputs should have shape \(3, 3\)"),
        ("winners", np.zeros((3, 3)), r"winners should have shape \(3, 3, 2\)"),
        ("inserted", np.zeros((3, 3), bool), r"inserted should have shape \(5, 5\)"),
        ("cell", 4, "12 to 120 px"),
    ],
)
def test_arrays_that_do_not_fit_the_window_get_a_sentence(option, value, message):
    with pytest.raises(ValueError, match=message):
        window_frames(window_grid(5, 5, 3), **{option: value})


def test_a_wide_global_window_and_average_pooling_are_drawn_whole():
    """Global average pooling of a 2 x 5 input: one frame; the 2 x 5 window fits before the output."""
    from cnnviz.windows import whole_input_grid

    grid = whole_input_grid(2, 5)
    values = np.arange(10).reshape(2, 5)
    (frame,) = window_frames(grid, values=values, outputs=np.array([[4.5]]), operation="mean")
    layout = frame_layout(grid, 36)
    assert frame.size == layout.size
    assert layout.output_xy[0] > layout.kernel_cell(0, 4)[2]  # the output starts after the window's last column
    assert frame.getpixel(inset(layout.output_cell(0, 0))) == wf.CURRENT
    assert frame.getpixel(inset(layout.kernel_cell(1, 4))) == wf.TAP
