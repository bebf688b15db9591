"""cnnviz.evaluation: scores, the most common mistake and the filtered mistakes, against loops over the images."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.evaluation import filter_mistakes, mistake_counts, most_common_mistake, scores_on
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
