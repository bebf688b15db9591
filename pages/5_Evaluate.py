"""Evaluate: top-1 and top-5 error on the test set (MNIST, or Fashion-MNIST for a model trained on it), the
confusion matrix, per-class accuracy, the mistakes."""

import numpy as np
import streamlit as st

from cnnviz.evaluation import most_common_mistake, scores_on
from cnnviz.models import count_parameters
from cnnviz.predict import confusion_matrix, per_class_accuracy
from cnnviz_ui import evaluate
from cnnviz_ui.layout import page_header, show_picture, wrapping_columns
from cnnviz_ui.links import copy_link_button, restore_from_link, write_link
from cnnviz_ui.plots import plotly_literal
from cnnviz_ui.presenting import figure_font_px
from cnnviz_ui.resources import available_models, class_names, model_picker, test_images, test_set_picker
from cnnviz_ui.slides import plotly_config, slide_figure
from cnnviz_ui.text import class_name as common_class_name
from cnnviz_ui.text import literal

presenting = page_header(
    "Evaluate",
    "How good is the network on the **10,000 test images** it never saw while training? **Top-1 error** counts "
    "the images whose most likely class is wrong; **top-5 error** those whose true class is not even among the "
    "five most likely (the ImageNet competition's metric).",
    icon="📊",
)
if presenting:  # the mistakes' cards are HTML: their words grow with the rest of the page's type
    st.html(
        "<style>.cnnviz-mistake { font-size: 20px; } .cnnviz-mistake > div:last-child { font-size: 18px !important; }"
        "</style>"
    )
test_set = test_set_picker("evaluate_dataset")  # Fashion-MNIST models get their test set and class names
names = class_names(test_set)
kind = "digit" if names is None else "class"  # what a row of the matrix is
loaded = test_images(test_set)
if loaded is None:
    st.stop()
images, labels_tensor = loaded
labels = labels_tensor.numpy()
models, _ = available_models(dataset_name=test_set)
link_params = evaluate.link_params(test_set)
restore_from_link("evaluate", link_params)
evaluate.filters_from_link(test_set)


def class_name(c: int | str) -> str:
    """A class as the student knows it (``text.class_name``); the filters' "any" stays "any"."""
    return c if c == "any" else common_class_name(c, names)


picker_side, link_side = st.columns([1, 1.4], vertical_alignment="bottom")
with picker_side:
    picked = model_picker("Model to look at in detail", key=f"evaluate_model_{test_set}", dataset_name=test_set)
if picked is None:
    st.stop()
label, model, _ = picked
probs = evaluate.model_scores(label, model, test_set)
predicted = probs.argmax(axis=1)
matrix = confusion_matrix(labels, predicted)
accuracy = per_class_accuracy(matrix)
font_px = figure_font_px(14)

# Side by side where the per-class chart keeps 280 px (a wide screen, or presenting at 1024 px, where the matrix's
# 520 px give its four-digit counts 18 px); at 1024 px with the sidebar open (or a projector at 150% zoom) they
# stack and the matrix takes the page's width.
matrix_col, class_col = wrapping_columns([1.7, 1.0], "evaluate_charts", 280, gap="medium")
matrix_title = f"Confusion matrix of the {plotly_literal(label)}"
confusion = evaluate.confusion_figure(matrix, names=names, title=matrix_title, font_px=font_px, kind=kind)
show_picture(matrix_col, confusion, "evaluate_confusion", evaluate.matrix_shape(len(matrix)))
true_c, pred_c, times = most_common_mistake(matrix)
matrix_col.caption(
    f"Row = true {kind}, column = the network's answer. Right answers (the diagonal) in blue, mistakes in orange to "
    f"red, each on its own scale; an empty cell: never. Most common mistake of the {literal(label)}: "
    f"**{class_name(true_c)} read as {class_name(pred_c)}** ({times} times)."
)
with class_col:
    # A short title (a long one was cut off beside the matrix); the file name says which model.
    per_class = evaluate.per_class_figure(accuracy, names=names, title=f"Accuracy per {kind}", font_px=font_px)
    st.plotly_chart(
        slide_figure(per_class), key="evaluate_per_class", config=plotly_config(f"Accuracy per {kind} of {label}")
    )
    worst = int(np.nanargmin(accuracy))
    st.caption(
        f"Hardest {kind} for this model: **{class_name(worst)}** "
        f"({accuracy[worst]:.1%} of its {int(matrix[worst].sum()):,} test images right)."
    )

st.subheader(f"Every {'' if names is None else test_set + ' '}model on the test set")
rows = [
    (name, count_parameters(model), scores_on(evaluate.model_scores(name, model, test_set), labels))
    for name, (model, _meta) in models.items()
]
if rows:
    evaluate.models_table(rows)

true_filter, pred_filter = evaluate.mistakes_section(probs, labels, predicted, images, names, test_set, label)

values = evaluate.link_values(test_set, label, true_filter, pred_filter)
write_link(values, link_params, page_key="evaluate")
with link_side:
    copy_link_button(values, link_params)
