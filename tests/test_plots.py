"""plots.fitted_height_css: the CSS height that makes a figure's plot area exactly the picture's shape."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz_ui.plots import (
    CHART_MIN_WIDTH,
    LABEL_CHARS,
    LABEL_MIN_PX,
    PICTURE_MAX_HEIGHT,
    colour_bar,
    compact,
    fitted_height_css,
    heatmap,
    image_figure,
)

CALC = re.compile(r"min\(calc\(\(max\(100cqw, (\d+)px\) - (\d+)px\) \* ([\d.]+) \+ (\d+)px\), (\d+)px\)")


def _height_at(css: str, column_px: float) -> float:
    """The height the CSS gives a chart in a column ``column_px`` wide (the browser's arithmetic)."""
    least, across, ratio, down, cap = (float(n) for n in CALC.search(css).groups())
    return min((max(column_px, least) - across) * ratio + down, cap)


@pytest.mark.parametrize(
    ("figure", "shape"),
    [
        (heatmap(np.arange(9.0).reshape(3, 3), "Kernel as applied (rotated 180°)"), (3, 3)),
        (image_figure(np.zeros((400, 600), np.uint8), "Input · 400 x 600", colorbar=(0, 1, "Greys")), (400, 600)),
        (image_figure(np.zeros((5, 1024), np.uint8)), (5, 1024)),
    ],
)
@pytest.mark.parametrize("column_px", [180, 290, 480])
def test_the_plot_area_gets_the_pictures_shape_at_any_column_width(figure, shape, column_px):
    css = fitted_height_css("st-key-x__box", "st-key-x", figure, shape)
    assert ".st-key-x__box { container-type: inline-size; }" in css
    margin = figure.layout.margin
    plot_width = column_px - margin.l - margin.r
    plot_height = _height_at(css, column_px) - margin.t - margin.b
    expected = plot_width * shape[0] / shape[1]
    if expected + margin.t + margin.b <= PICTURE_MAX_HEIGHT:
        assert plot_height == pytest.approx(expected, abs=0.05)
    else:  # a very wide screen: the picture stops growing
        assert plot_height + margin.t + margin.b == PICTURE_MAX_HEIGHT


def test_a_column_narrower_than_streamlits_least_chart_width_uses_that_width():
    """Streamlit draws a plotly chart at least 150 px wide: four maps side by side at 1024 px are in
    129 px columns, and a height from 129 px left their 3x3 filter ~20 px short of square."""
    figure = heatmap(np.ones((3, 3)), "filter 17")
    css = fitted_height_css("b", "c", figure, (3, 3))
    margin = figure.layout.margin
    plot_height = _height_at(css, 129) - margin.t - margin.b
    assert plot_height == pytest.approx(CHART_MIN_WIDTH - margin.l - margin.r)  # square, at the drawn width


@settings(max_examples=300, deadline=None)
@given(st.floats(-5000, 5000, allow_nan=False) | st.floats(-1e-3, 1e-3, allow_nan=False))
def test_compact_labels_are_short_close_and_never_a_false_zero(value):
    text = compact(value)
    shown = float(text)
    assert abs(shown - value) <= max(0.0005, 0.005 * abs(value)) + 1e-12  # 3 decimals, or 0.5% of a big number
    assert (shown == 0) == (value == 0) and text != "-0"  # a 1e-5 is not shown as 0, and 0 is not "-0"
    assert np.sign(shown) == np.sign(value)
    if 0.001 <= abs(value) < 999:
        assert len(text.lstrip("-")) <= LABEL_CHARS


def test_compact_labels_of_the_lectures_kernels():
    assert [compact(v) for v in (0.00297, 0.0133, 0.0983, 0.162, 1 / 9, -1, 5, 255, 113.4)] == [
        "0.003",
        "0.013",
        "0.098",
        "0.162",
        "0.111",
        "-1",
        "5",
        "255",
        "113.4",
    ]
    assert compact(1.97e-5) == "2e-05" and compact(-0.0) == "0" and compact(123456.7) == "123457"
    assert compact(-0.125) == "-0.125" and compact(-0.0039) == "-0.004"


def test_heatmap_numbers_shrink_to_their_cells_and_hide_below_the_least_size():
    figure = heatmap(np.full((5, 5), 0.00297), "Gaussian 5x5")
    assert figure.data[0].text[0][0] == "0.003"
    css = fitted_height_css("b", "c", figure, (5, 5))
    # A label of 5 characters needs 0.5 em each and half an em besides: 3 em; hidden below 8 px a letter.
    across = figure.layout.margin.l + figure.layout.margin.r
    assert f"font-size: min(13px, calc(((max(100cqw, {CHART_MIN_WIDTH}px) - {across}px) / 5) / 3)) !important" in css
    hidden = f"@container (max-width: {across + 5 * 3 * LABEL_MIN_PX}px) {{ .b g.heatmap-label {{ display: none; }} }}"
    assert hidden in css
    assert "heatmap-label" not in fitted_height_css("b", "c", heatmap(np.ones((3, 3)), numbers=False), (3, 3))


def test_colour_bar_labels_read_as_plain_numbers():
    assert colour_bar(0, 1030.4)["ticktext"] == ["0", "515", "1,030"]  # not "1.03e+03" (a Sobel magnitude)
    assert colour_bar(-0.0123, 0.0123)["ticktext"] == ["-0.0123", "0", "0.0123"]
    assert colour_bar(0.0, 1.0, ".0%")["ticktext"] == ["0%", "50%", "100%"]


def test_a_picture_has_a_thin_frame_round_its_plot_area():
    """A white part of a picture melted into the white page (a half-white 5 x 5 upload looked like a black bar)."""
    frame = image_figure(np.full((5, 5), 255, np.uint8), "Input · 5 x 5").layout.shapes[0]
    assert (frame.type, frame.xref, frame.yref, frame.x0, frame.y0, frame.x1, frame.y1) == (
        "rect",
        "paper",
        "paper",
        0,
        0,
        1,
        1,
    )
    assert frame.line.color == "#d1d5db" and frame.line.width == 1
