"""The small plotly charts the pages share: every label readable and consistent with the text beside it."""

import numpy as np
import pytest

from cnnviz_ui.charts import probability_chart
from cnnviz_ui.evaluate import per_class_figure
from cnnviz_ui.plots import INK
from cnnviz_ui.text import bar_label, percent


def test_a_very_sure_softmax_is_never_labelled_100_percent():
    probabilities = np.array([0.0002, 0.0001, 0.0001, 0.0, 0.0, 0.0, 0.0, 0.9996, 0.0, 0.0])
    figure = probability_chart(probabilities)
    labels = list(figure.data[0].text)
    assert labels[7] == percent(0.9996) == ">99.9%"  # the sentence above the chart says the same
    assert all(label == "" for i, label in enumerate(labels) if i != 7)
    assert figure.layout.xaxis.dtick == 1  # all ten classes named, even the odd ones


def test_spread_probabilities_label_only_the_bars_that_have_room():
    probabilities = np.array([0.01, 0.01, 0.25, 0.08, 0.25, 0.01, 0.02, 0.3, 0.04, 0.03])
    labels = [bar_label(p) for p in probabilities]
    assert labels == ["", "", "25%", "8%", "25%", "", "", "30%", "", ""]
    assert bar_label(1.0) == "100%" and bar_label(0.9951) == "99.5%" and bar_label(0.05) == "5%"
    assert bar_label(0.997) == percent(0.997) == "99.7%"  # as the heading says it, and not rounded to 100 %


@pytest.mark.parametrize("worst", [0.594, 0.35, 0.0])
def test_per_class_accuracy_labels_sit_outside_a_short_bar(worst):
    """The axis starts 5 points below the worst class, so its bar is a sliver: plotly's "auto" put a white
    "35.0%" in it, cut to "%" (QA, a Fashion-MNIST shirt). Short bars get their number outside, in ink."""
    accuracy = np.array([0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.92, 0.91, worst])
    bars = per_class_figure(accuracy).data[0]
    low = per_class_figure(accuracy).layout.xaxis.range[0]
    assert bars.text[9] == f"{worst:.1%}" and low == pytest.approx(max(0.0, worst - 0.05))
    assert list(bars.textposition) == ["inside"] * 9 + ["outside"] and bars.cliponaxis is False
    assert bars.insidetextfont.color == "white" and bars.outsidetextfont.color == INK
