"""plots.fitted_height_css: the CSS height that makes a figure's plot area exactly the picture's shape."""

import re

import numpy as np
import pytest

from cnnviz_ui.plots import CHART_MIN_WIDTH, PICTURE_MAX_HEIGHT, fitted_height_css, heatmap, image_figure

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
