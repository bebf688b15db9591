"""Evaluate: top-1 and top-5 error on the test set (MNIST, or Fashion-MNIST for a model trained on it), the
confusion matrix, per-class accuracy, the mistakes."""

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz.models import count_parameters
from cnnviz.predict import confusion_matrix, mistakes, per_class_accuracy, top_k_batch, topk_accuracy
from cnnviz_ui import cards, classify, inside
from cnnviz_ui.common import class_name as common_class_name
from cnnviz_ui.common import literal, page_header, test_item, wrapping_columns
from cnnviz_ui.resources import available_models, class_names, model_picker, test_images, test_set_picker

page_header(
    "Evaluate",
    "How good is the network on the **10,000 test images** it never saw while training (MNIST digits; clothes "
    "for a model trained on Fashion-MNIST)? **Top-1 error** counts "
    "the images whose most likely class is wrong; **top-5 error** counts those whose true class is not even among "
    "the five most likely (the ImageNet competition's metric). Predictions are computed once per model and cached.",
    icon="📊",
)
test_set = test_set_picker("evaluate_dataset")  # Fashion-MNIST models get their test set and class names
names = class_names(test_set)
kind, thing = ("digit" if names is None else "class"), test_item(names)  # what a row is; what a test item is
loaded = test_images(test_set)
if loaded is None:
    st.stop()
images, labels_tensor = loaded
labels = labels_tensor.numpy()
models, _ = available_models(dataset_name=test_set)


def class_name(c: int | str) -> str:
    """A class as the student knows it (``common.class_name``); the filters' "any" stays "any"."""
    return c if c == "any" else common_class_name(c, names)


st.subheader(f"Every {'' if names is None else test_set + ' '}model on the test set")
rows = []
for name, (model, _meta) in models.items():
    probs = classify.model_scores(name, model, test_set)
    top1, top5 = topk_accuracy(probs, labels, 1), topk_accuracy(probs, labels, 5)
    rows.append(
        {
            "Model": name,
            "Parameters": count_parameters(model),
            "Top-1 accuracy": top1,
            "Top-1 error": 1 - top1,
            "Top-5 accuracy": top5,
            "Top-5 error": 1 - top5,
            "Mistakes": int(round((1 - top1) * len(labels))),
        }
    )
if rows:
    # A plain table, not st.dataframe: its cells wrap, so every column shows on a projector and a phone
    # (the data grid cut Top-5 and the mistakes off at 1280 px, and was 7 tab stops for a keyboard; QA).
    # On a phone the two accuracy columns are hidden: seven columns scrolled sideways in 358 px, and each
    # accuracy is 100% minus the error beside it, which the caption says. Their positions come from the frame.
    percents = dict.fromkeys(("Top-1 accuracy", "Top-1 error", "Top-5 accuracy", "Top-5 error"), "{:.2%}")
    frame = pd.DataFrame(rows)
    hidden = ", ".join(
        f":nth-child({list(frame.columns).index(name) + 1})" for name in ("Top-1 accuracy", "Top-5 accuracy")
    )
    with st.container(key="evaluate_models"):
        st.html(
            f"<style>@media (max-width: 640px) {{ .st-key-evaluate_models table :is(th, td):is({hidden}) {{ "
            "display: none; } }</style>"
        )
        st.table(frame.style.format({"Parameters": "{:,}", "Mistakes": "{:,}"} | percents).hide(axis="index"))
        st.caption(
            "Accuracy = 100% − error: the share of test images whose true class is the top-1 guess (or "
            "among the top-5). Mistakes: the images the top-1 guess gets wrong."
        )

with st.columns([1, 1.4])[0]:
    picked = model_picker("Model to look at in detail", key=f"evaluate_model_{test_set}", dataset_name=test_set)
if picked is None:
    st.stop()
label, model, _ = picked
probs = classify.model_scores(label, model, test_set)
predicted = probs.argmax(axis=1)
matrix = confusion_matrix(labels, predicted)
accuracy = per_class_accuracy(matrix)

# Side by side only where each gets 300 px (a wide screen): in a narrower column (1024 px, or a projector at
# 150% zoom) the matrix's 4-digit counts spilled out of its cells; stacked, each takes the page's width.
matrix_col, class_col = wrapping_columns([1.35, 1.0], "evaluate_charts", 300, gap="large")
with matrix_col:
    st.markdown(f"**Confusion matrix** of the {literal(label)}: row = true {kind}, column = the network's answer")
    st.plotly_chart(
        classify.confusion_figure(matrix, names=names), key="evaluate_confusion", config={"displayModeBar": False}
    )
    off = matrix - np.diag(np.diag(matrix))
    true_c, pred_c = np.unravel_index(int(off.argmax()), off.shape)
    st.caption(
        f"Colours stop at the largest mistake so errors stand out. Most common mistake: "
        f"**{class_name(true_c)} read as {class_name(pred_c)}** ({off[true_c, pred_c]} times)."
    )
with class_col:
    st.markdown(f"**Accuracy per {kind}**")
    st.plotly_chart(
        classify.per_class_figure(accuracy, names=names), key="evaluate_per_class", config={"displayModeBar": False}
    )
    worst = int(np.nanargmin(accuracy))
    st.caption(
        f"Hardest {kind} for this model: **{class_name(worst)}** "
        f"({accuracy[worst]:.1%} of its {int(matrix[worst].sum()):,} test images right)."
    )

st.subheader("The mistakes, most confident first")
wrong = mistakes(probs, labels)
f1, f2, f3 = st.columns([1, 1, 2])
choices = ["any", *range(10)]
# Each test set has its own filters: a "Bag → Trouser" filter must not silently become "8 → 1" (QA).
true_filter = f1.selectbox(
    f"True {kind}", choices, key=f"evaluate_true_{test_set}", persist_state="session", format_func=class_name
)
pred_filter = f2.selectbox(
    "Predicted as", choices, key=f"evaluate_predicted_{test_set}", persist_state="session", format_func=class_name
)
if true_filter != "any":
    wrong = wrong[labels[wrong] == true_filter]
if pred_filter != "any":
    wrong = wrong[predicted[wrong] == pred_filter]
shown = wrong[:30]
f3.caption(
    f"{len(wrong):,} misclassified test {thing}s match; showing {len(shown)}. Under each: **true → answer** "
    "with the answer's probability, then the top-5 classes (the true one in bold, if it made the top-5) "
    "and the test image's index."
)
if len(shown) == 0:
    st.info(f"No mistakes match these filters: pick another pair of {'digits' if names is None else 'classes'}.")
rankings = top_k_batch(probs[shown], 5)
st.html(
    cards.mistake_grid(
        [
            (
                inside.grey_png(images[index].numpy() / 255.0, cards.MISTAKE_PX),
                int(labels[index]),
                ranking,
                inside.bar_label(ranking[0][1]),
                int(index),
            )
            for index, ranking in zip(shown, rankings, strict=True)
        ],
        names,
    )
)
