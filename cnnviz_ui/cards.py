"""The Classify page's results as two blocks of plain HTML: the prediction with its top-5, and the details.

Why HTML and not a chart plus a dozen ``st.image``/``st.markdown`` calls: a lecture hall sends thirty
uploads at once, and every Streamlit element costs each browser a React render (10-15 ms of CPU) and
every ``st.image`` an HTTP request. Measured per prediction in headless Chromium on the 2-core machine:
the first layout (a plotly bar chart, six step pictures with two captions each, a card per model: about
40 elements) cost the browser 0.42 s of CPU, plus 1.3 s once to load plotly.js; the same page as two
``st.html`` blocks with the pictures inlined as small PNG data URIs costs 0.21 s, next to the 0.19 s
that an upload with a one-line answer costs (bench/load_test.py measures the effect on thirty users).
The bars are drawn to scale with CSS widths, so they stay exact and readable on a projector.

Pictures are made at the size they are shown (``width``/``height`` attributes, no CSS scaling, no
rounded corners, no ``image-rendering: pixelated``): Chromium without a GPU rasterises a scaled or
clipped image on the CPU at every frame it draws, and with thirty sessions on two cores that alone
took the 95th-percentile time to prediction from about 4 s to 8 s (bench/load_test.py, same run).

Everything shown comes from numbers and names the page computed; text is escaped (a session model's
label is typed by a user).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from cnnviz.preprocess import PreprocessStep
from cnnviz_ui.plots import ACCENT, INK, MUTED
from cnnviz_ui.text import a_digit
from cnnviz_ui.text import percent as _percent

BLUE, GREY = ACCENT, "#9ca3af"
STEP_PX = 120  # side of each preprocessing picture: six fit a laptop-width row at their own size
# Why a dot or a scribble still gets "0, 99.8% sure": there is no "not a digit" answer.
SOFTMAX_NOTE = (
    "The ten probabilities add up to 100% (softmax): the network always picks one of the ten digits, "
    "even for a scribble or a dot."
)
HEADING = "<h3 style='font-size:1.5rem;font-weight:600;margin:1.4rem 0 0.8rem'>{}</h3>"
# While Classify recomputes for more than half a second, the answer says "Working on it…" in a small label on its
# corner instead of Streamlit dimming what is recomputed: a dimmed box did not say whether anything was happening.
# The label shows only while the script runs (``data-test-script-state`` on the app root), after half a second.
WORKING_CSS = """<style>
[data-testid="stMain"] [data-stale="true"] { opacity: 1 !important; transition: none !important; }
.cnnviz-answer { position: relative; }
.cnnviz-answer::after { content: "Working on it…"; position: absolute; top: 0; right: 0; visibility: hidden;
  padding: 2px 10px; border-radius: 999px; background: #fef3c7; color: #92400e; font-size: 0.9rem;
  font-weight: 600; border: 1px solid #f59e0b; }
:is([data-test-script-state="running"], [data-test-script-state="rerunRequested"]) .cnnviz-answer::after {
  visibility: visible; transition: visibility 0s linear 0.5s; }
</style>"""


def percent(p: float) -> str:
    """``text.percent`` escaped for HTML ("<0.1%" must not open a tag)."""
    return escape(_percent(p))


def data_uri(png: bytes) -> str:
    """A PNG file as a ``data:`` URI for an ``<img src>`` (travels inside the page, no extra request)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure(png: bytes, width: int, caption: str, title: str = "", fluid: bool = False) -> str:
    """A picture at its own size (``width`` px square) with an optional bold title and a caption.

    ``fluid``: the figure fills its grid cell, and the picture shrinks only if the cell is narrower.
    """
    heading = f"<div style='font-weight:600;margin-top:4px;line-height:1.3'>{escape(title)}</div>" if title else ""
    box = "width:100%" if fluid else f"width:{width}px"
    return (
        f"<figure style='margin:0;{box}'>"
        f"<img src='{data_uri(png)}' alt='{escape(title or caption)}' class='cnnviz-zoom' title='Click: full screen' "
        f"width='{width}' height='{width}' style='display:block;max-width:100%;height:auto'>"
        f"{heading}<figcaption style='font-size:0.85rem;color:{MUTED};line-height:1.3'>{escape(caption)}"
        "</figcaption></figure>"
    )


def verdict(predicted: int, label: int | None) -> str:
    """A green "correct" / red "wrong: the label says 3" when the true label is known, else "".

    Words and colour, not emoji: a lecture-room PC without an emoji font shows an empty box instead.
    """
    if label is None:
        return ""
    if predicted == label:
        return "<b style='color:#15803d'>correct</b>"
    return f"<b style='color:#b91c1c'>wrong: the label says {label}</b>"


def top5_bars(ranking: Sequence[tuple[int, float]]) -> str:
    """One row per class, best first: the digit, a bar as long as its probability, the probability."""
    rows = []
    for rank, (digit, probability) in enumerate(ranking):
        colour = BLUE if rank == 0 else GREY
        width = max(0.0, min(1.0, probability)) * 100
        rows.append(
            "<div style='display:flex;align-items:center;gap:8px;margin:3px 0'>"
            f"<span style='width:1.2em;font-size:1.15rem;font-weight:700;text-align:right'>{digit}</span>"
            "<span style='flex:1;background:#f3f4f6;border-radius:3px;height:20px'>"
            f"<span class='cnnviz-bar' style='display:block;width:{width:.2f}%;min-width:2px;height:20px;"
            f"background:{colour};border-radius:3px'></span></span>"
            "<span style='width:4.2em;text-align:right;font-variant-numeric:tabular-nums'>"
            f"{percent(probability)}</span>"
            "</div>"
        )
    return "".join(rows)


INPUT_PX = 112  # the network's 28x28 input beside the predicted digit: 4 screen pixels per input pixel


def prediction_block(
    ranking: Sequence[tuple[int, float]], model_label: str, network_input_png: bytes, label: int | None = None
) -> str:
    """The predicted digit (large) beside the 28x28 network input (``INPUT_PX``), its probability, the top-5 bars.

    About 330 px tall in a column as narrow as 220 px, so beside the drawing box it ends within a 1024x768
    screen, and on a phone it sits directly under the box. ``data-digit`` on the outer element names the
    prediction for tests and scripts.
    """
    digit, probability = ranking[0]
    card = (
        f"<div><div style='font-size:1.05em;color:{MUTED}'>Prediction: {digit}</div>"
        f"<div style='font-size:5.5rem;font-weight:700;line-height:1;color:{BLUE}'>{digit}</div></div>"
    )
    picture = _figure(network_input_png, INPUT_PX, "what it sees: 28×28")
    return (
        f"<div class='cnnviz-prediction cnnviz-answer' data-digit='{digit}' style='color:{INK}'>"
        f"<div style='display:flex;flex-wrap:wrap;column-gap:20px;row-gap:6px;align-items:flex-end'>"
        f"{card}{picture}</div>"
        f"<div style='font-size:1.1em;margin-top:4px'>{percent(probability)} sure {verdict(digit, label)}</div>"
        f"<div style='margin-top:8px'><b>Top-5</b> of the {escape(model_label)}</div>{top5_bars(ranking)}"
        f"<div class='{EXPLAIN_CLASS}' style='font-size:0.9em;color:{MUTED};margin-top:4px;line-height:1.3'>"
        f"{SOFTMAX_NOTE}</div></div>"
    )


def waiting_block() -> str:
    """Where the prediction will appear, before there is a digit: a grey "?" in a dashed box.

    Shown as ``st.html`` on purpose: it makes every browser load Streamlit's HTML element (and its
    sanitiser) with the page, not all thirty at once on the lecture's first prediction.
    """
    return (
        f"<div class='cnnviz-answer' style='border:2px dashed #d1d5db;border-radius:12px;padding:18px 22px;"
        f"color:{MUTED};max-width:22rem'>"
        f"<div style='font-size:4rem;font-weight:700;line-height:1;color:#d1d5db'>?</div>"
        "<div style='margin-top:8px'>The network's answer appears here, with its top-5 and the 28×28 picture it "
        "actually sees.</div></div>"
    )


def steps_strip(steps: Sequence[PreprocessStep], pictures: Sequence[bytes], width: int = STEP_PX) -> str:
    """The preprocessing steps left to right, each picture numbered, named and explained in one line."""
    figures = [
        _figure(png, width, step.caption, f"{number}. {step.name}", fluid=True)
        for number, (step, png) in enumerate(zip(steps, pictures, strict=True), start=1)
    ]
    # Equal columns of at most ``width`` px, shrinking to 96 px before a step wraps to the next row.
    widest = len(figures) * (width + 14)
    return (
        f"<div style='display:grid;grid-template-columns:repeat(auto-fit,minmax(96px,1fr));gap:14px;"
        f"max-width:{widest}px'>{''.join(figures)}</div>"
    )


def note(text: str) -> str:
    """A pale blue box with one message, like ``st.info``."""
    return (
        "<div style='background:#eff6ff;color:#1e3a8a;border-radius:8px;padding:12px 16px;max-width:16rem'>"
        f"{escape(text)}</div>"
    )


# How a picture becomes the network's input, under that heading (class ``cnnviz-explain``: hidden when presenting).
HOW_TEXT = (
    "Before the network sees it, the picture is made to look like MNIST: white digit on black, cropped, scaled to "
    "fit 20×20 and centred in 28×28 by its centre of mass, exactly how the 70,000 MNIST digits were made."
)
EXPLAIN_CLASS = "cnnviz-explain"


def details_block(steps: str, predicted: int, grad_cam_png: bytes | None, grad_cam_note: str, answers: str) -> str:
    """Below the prediction: the preprocessing steps (with ``HOW_TEXT``), then Grad-CAM beside every model's answer.

    ``steps`` and ``answers`` come from ``steps_strip`` and ``model_cards``; without a Grad-CAM picture the
    note says why.
    """
    cam = _figure(grad_cam_png, 224, grad_cam_note) if grad_cam_png is not None else note(grad_cam_note)
    how = f"<p class='{EXPLAIN_CLASS}' style='color:{MUTED};margin:0 0 0.8rem;max-width:48rem'>{HOW_TEXT}</p>"
    return (
        f"<div style='color:{INK}'>{HEADING.format('From picture to network input')}{how}{steps}"
        "<div style='display:flex;flex-wrap:wrap;column-gap:48px'>"
        f"<div style='flex:0 1 16rem'>{HEADING.format(f'Where it looked for {a_digit(predicted)}')}{cam}</div>"
        f"<div style='flex:1 1 20rem'>{HEADING.format('Every model on this digit')}{answers}</div></div></div>"
    )


def model_cards(answers: Sequence[tuple[str, Sequence[tuple[int, float]]]], invite: bool = False) -> str:
    """A card per model: its name, its top digit and probability, the two runners-up.

    ``invite``: add how to get your own model here (for a session that has not trained one yet).
    """
    cards = []
    for name, best in answers:
        runners = " · ".join(f"{c}: {percent(p)}" for c, p in best[1:])
        cards.append(
            "<div style='border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:11rem;flex:1'>"
            f"<div style='font-weight:600'>{escape(name)}</div>"
            f"<div><span style='font-size:2.4rem;font-weight:700'>{best[0][0]}</span>&nbsp;{percent(best[0][1])}</div>"
            f"<div style='font-size:0.9em;color:{MUTED}'>{runners} (runners-up)</div></div>"
        )
    invitation = (
        f"<div style='font-size:0.85rem;color:{MUTED};margin-top:8px'>Your own model appears here after you train "
        "one on the Train page and press “Use this model in the other pages”.</div>"
    )
    cards_row = f"<div class='cnnviz-models' style='display:flex;flex-wrap:wrap;gap:12px'>{''.join(cards)}</div>"
    return cards_row + (invitation if invite else "")


MISTAKE_PX = 84  # each misclassified digit's picture: ten cards fit a laptop row, four a phone's


def mistake_grid(
    mistakes: Sequence[tuple[bytes, int, Sequence[tuple[int, float]], str, int]], names: Sequence[str] | None = None
) -> str:
    """Misclassified images as cards in rank order, as many to a row as the width holds (a CSS grid).

    Each item: (picture PNG, true label, top-5 ranking, the answer's probability as shown, test-set index);
    ``names``: the classes' names (Fashion-MNIST's), shown instead of their numbers.
    Under each picture: **true → answer**, the probability on its own line (so a wide one cannot push a
    card out of line), then the top-5 with the true class in bold and the image's index. Ten Streamlit
    columns used to stack column by column on a phone (1st, 11th, 21st, 2nd…), one full-width picture each.
    """
    cards = []
    name = (lambda c: escape(names[c])) if names is not None else str
    for png, label, ranking, sure, index in mistakes:
        top5 = (", " if names is not None else " ").join(
            f"<b>{name(c)}</b>" if c == label else name(c) for c, _ in ranking
        )
        cards.append(
            f"<div class='cnnviz-mistake' data-rank='{len(cards)}'>"
            f"<img src='{data_uri(png)}' alt='test image #{index}' width='{MISTAKE_PX}' height='{MISTAKE_PX}' "
            "class='cnnviz-zoom' title='Click: full screen' style='display:block'>"
            f"<div style='font-weight:700;margin-top:4px'>{name(label)} → {name(ranking[0][0])}</div>"
            f"<div style='font-variant-numeric:tabular-nums'>{escape(sure)}</div>"
            f"<div style='font-size:0.875rem;color:{MUTED};line-height:1.3'>top-5: {top5} · #{index}</div></div>"
        )
    return (
        f"<div style='display:grid;grid-template-columns:repeat(auto-fill,minmax({MISTAKE_PX + 6}px,1fr));"
        f"gap:14px 10px'>{''.join(cards)}</div>"
    )
