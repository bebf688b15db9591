"""cnnviz.evaluation: scores, the most common mistake and the filtered mistakes, against loops over the images."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.evaluation import (
    WRONG_SCALE,
    confusion_colours,
    confusion_layers,
    filter_mistakes,
    mistake_counts,
    mistake_scale,
    most_common_mistake,
    scale_colour,
    scores_on,
)
from cnnviz.predict import confusion_matrix, mistakes

RNG = np.random.default_rng(3)
PROBS = RNG.dirichlet(np.ones(10) * 0.3, size=400)
LABELS = RNG.integers(0, 10, 400)


def test_scores_count_the_images_a_loop_gets_right():
    scores = scores_on(PROBS, LABELS)
    top1 = np.mean([p.argmax() == y for p, y in zip(PROBS, LABELS, strict=True)])
    top5 = np.mean([y in np.argsort(-p)[:5] for p, y in zip(PROBS, LABELS, strict=True)])
    assert scores.top1_accuracy == pytest.approx(top1) and scores.top5_accuracy == pytest.approx(top5)
    assert scores.top1_error == pytest.approx(1 - top1) and scores.top5_error == pytest.approx(1 - top5)
    assert scores.mistakes == sum(p.argmax() != y for p, y in zip(PROBS, LABELS, strict=True))


def test_the_most_common_mistake_is_the_largest_pair_off_the_diagonal():
    predicted = PROBS.argmax(1)
    matrix = confusion_matrix(LABELS, predicted)
    pairs = {}
    for y, p in zip(LABELS, predicted, strict=True):
        if y != p:
            pairs[(int(y), int(p))] = pairs.get((int(y), int(p)), 0) + 1
    true_class, predicted_class, count = most_common_mistake(matrix)
    assert count == max(pairs.values()) == pairs[(true_class, predicted_class)]
    assert (np.diag(mistake_counts(matrix)) == 0).all() and (np.diag(matrix) > 0).any()
    assert most_common_mistake(np.diag([5, 6, 7])) == (0, 0, 0)  # no mistakes at all


def test_filtered_mistakes_keep_their_order_and_match_both_classes():
    predicted = PROBS.argmax(1)
    wrong = mistakes(PROBS, LABELS)
    true_class, predicted_class, _ = most_common_mistake(confusion_matrix(LABELS, predicted))
    both = filter_mistakes(wrong, LABELS, predicted, true_class, predicted_class)
    assert list(both) == [i for i in wrong if LABELS[i] == true_class and predicted[i] == predicted_class]
    assert list(filter_mistakes(wrong, LABELS, predicted, true_class)) == [i for i in wrong if LABELS[i] == true_class]
    assert list(filter_mistakes(wrong, LABELS, predicted)) == list(wrong)


# --- the confusion matrix's colours (issue 26: "5 read as 3" was as dark as 978 right answers) ----------------


def issue_matrix() -> np.ndarray:
    """Ten classes, about a thousand right answers each, a few mistakes: the largest is 5 images of 5 read as 3."""
    matrix = np.diag([978, 1130, 1020, 1005, 975, 885, 950, 1020, 965, 1000])
    matrix[5, 3] = 5
    matrix[9, 4] = 3
    matrix[7, 2] = 1
    return matrix


def luminance(rgb) -> float:
    r, g, b = (c / 255 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_right_answers_and_mistakes_are_drawn_in_different_hues():
    colours = confusion_colours(issue_matrix())
    for c in range(10):
        r, g, b = colours[c, c]
        assert b > r + 60, colours[c, c]  # blue
    for row, col in ((5, 3), (9, 4), (7, 2)):
        r, g, b = colours[row, col]
        assert r > b + 60, colours[row, col]  # orange to red
    assert tuple(colours[5, 3]) != tuple(colours[3, 3])


def test_the_largest_mistake_is_as_dark_as_its_scale_goes_and_no_mistake_is_white():
    matrix = issue_matrix()
    colours = confusion_colours(matrix)
    assert tuple(colours[5, 3]) == scale_colour(WRONG_SCALE, 1.0) == (0x99, 0x1B, 0x1B)
    assert tuple(colours[0, 1]) == (255, 255, 255)  # never: white
    assert luminance(colours[7, 2]) < 0.8  # a single mistake is a clear orange, not a near-white
    # More mistakes, darker; more right answers, darker: each on its own scale.
    assert luminance(colours[5, 3]) < luminance(colours[9, 4]) < luminance(colours[7, 2]) < 1.0
    assert luminance(colours[1, 1]) < luminance(colours[5, 5])  # 1130 right answers darker than 885


def test_the_two_scales_are_measured_apart():
    layers = confusion_layers(issue_matrix())
    assert (layers.right_max, layers.wrong_max) == (1130, 5)
    assert np.isnan(layers.right[5, 3]) and layers.right[3, 3] == 1005
    assert np.isnan(layers.wrong[3, 3]) and layers.wrong[5, 3] == 5
    empty = confusion_layers(np.zeros((3, 3), int))  # no images at all: scales still have a top
    assert (empty.right_max, empty.wrong_max) == (1, 1)


def test_scale_colour_interpolates_between_stops_like_plotly():
    scale = ((0.0, "#000000"), (0.5, "#ff0000"), (1.0, "#ffffff"))
    assert scale_colour(scale, 0.25) == (128, 0, 0)
    assert scale_colour(scale, 0.75) == (255, 128, 128)
    assert scale_colour(scale, -3) == (0, 0, 0) and scale_colour(scale, 7) == (255, 255, 255)
    assert mistake_scale(10)[1] == (0.05, "#fed7aa")


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.array([[1, -1], [0, 2]])])
def test_a_malformed_confusion_matrix_is_refused(bad):
    with pytest.raises(ValueError, match="confusion matrix"):
        confusion_layers(bad)
