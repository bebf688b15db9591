"""Classify: draw, upload or photograph a digit; see the preprocessing, the top-5, Grad-CAM and every model's answer."""

import time

import streamlit as st

from cnnviz.predict import top_k
from cnnviz_ui import cards, classify
from cnnviz_ui.classify import LINK_PARAMS, log_time, offer_photos_page
from cnnviz_ui.layout import page_header
from cnnviz_ui.links import copy_link_button, restore_from_link, write_link
from cnnviz_ui.picker import classify_input, classify_source
from cnnviz_ui.plots import grey_png
from cnnviz_ui.resources import available_models, model_picker, session_models
from cnnviz_ui.text import literal

presenting = page_header(
    "Classify",
    "Draw a digit, upload a photo of one, or pick an MNIST test digit. The network gives a probability for each "
    "of the 10 digits (softmax); the **top-5** are the five most likely.",
    icon="✍️",
)
if presenting:  # the explanations go; the probabilities (em-sized in the cards) grow from 16 to 20 px
    st.html(
        f"<style>.{cards.EXPLAIN_CLASS} {{ display: none; }} "
        ".cnnviz-prediction, .cnnviz-models { font-size: 1.25rem; }</style>"
    )

# The drawing box's side and the results' side. At 1024 px with the sidebar open the box keeps 304 px and the
# prediction (330 px tall) stands beside it, ending above the fold; on a phone it comes directly under the box.
COLUMNS = [1.35, 1.0]
BIG_DIGIT_PX = 280  # the test digit in the digit's column: it fits the 324 px column at 1024 px with the sidebar


@st.fragment
def classify_digit(source: str, picked: tuple | None) -> None:
    """The digit's widget, the results and the link. A fragment, so a new stroke or upload reruns only this part.

    The source and model pickers stay outside it: a fragment rerun sends every widget in it to the browser,
    which draws it again (the two cost 0.01-0.03 browser CPU s per upload on one session; the two results
    blocks about 0.04 s each). Changing either is a rare full rerun, which passes the fragment their new values.
    The results are two ``st.html`` blocks rather than ~40 elements: see ``cnnviz_ui.cards`` for why.
    """
    started = time.time()
    source_col, result_col = st.columns(COLUMNS, gap="medium")
    with source_col:
        digit = classify_input(source, offer_photos_page) if picked else None
        if digit is not None and source == "MNIST test digit":  # a drawing or photo is in view already
            # Big for the back of the hall; a phone has the small one in the prediction right under it.
            st.html(
                "<style>@media (max-width: 640px) { .st-key-classify_big_digit, :has(> .st-key-classify_big_digit) "
                "{ display: none; } }</style>"
            )
            with st.container(key="classify_big_digit"):
                st.image(grey_png(digit.image, BIG_DIGIT_PX), width=BIG_DIGIT_PX, output_format="PNG")
                st.caption(literal(digit.caption))
    values = {"source": source, "model": picked[0] if picked else None}
    if source == "MNIST test digit":
        values["digit"] = st.session_state.get("classify_test_index")
    write_link(values, LINK_PARAMS, page_key="classify")
    if picked is None or digit is None:
        with result_col:
            st.html(cards.waiting_block())
            copy_link_button(values, LINK_PARAMS)
        return
    label, model, _ = picked
    ranking = top_k(model, digit.image, k=5)
    with result_col:
        st.html(cards.prediction_block(ranking, label, grey_png(digit.image, cards.INPUT_PX), digit.label))
        copy_link_button(values, LINK_PARAMS)

    top = ranking[0][0]
    grad_cam, grad_cam_caption = classify.grad_cam_picture(model, label, digit.image, top)
    models, _ = available_models(only_mnist=True)  # every digit model's answer, side by side
    answers = [(name, top_k(other, digit.image, k=3)) for name, (other, _) in models.items()]
    steps = cards.steps_strip(digit.steps, [classify.step_picture(step, cards.STEP_PX) for step in digit.steps])
    answers_html = cards.model_cards(answers, invite=not session_models())
    st.html(cards.details_block(steps, top, grad_cam, grad_cam_caption, answers_html))
    classify.download_buttons(digit.image, label, top, grad_cam)
    log_time("classify", started)


restore_from_link("classify", LINK_PARAMS)
with st.container(key="classify_pickers"):
    # On a phone the two stack 1rem apart, not the 2rem of the gap that lines them up with the digit and
    # results columns below them on a wide screen.
    st.html(cards.WORKING_CSS)
    st.html(
        "<style>@media (max-width: 640px) { .st-key-classify_pickers [data-testid='stHorizontalBlock'] { "
        "row-gap: 1rem; } }</style>"
    )
    source_side, model_side = st.columns(COLUMNS, gap="medium")
    with source_side:
        chosen_source = classify_source()
    with model_side:
        chosen_model = model_picker("Model", key="classify_model")
classify_digit(chosen_source, chosen_model)
