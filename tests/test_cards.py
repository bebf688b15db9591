"""cnnviz_ui.cards: the Classify page's HTML blocks say what the numbers say, escape text, inline real PNGs."""

import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from cnnviz.images import encode_png
from cnnviz.preprocess import PreprocessStep
from cnnviz_ui import cards

RANKING = [(7, 0.91), (1, 0.05), (9, 0.03), (2, 0.008), (4, 0.0004)]


class _Collector(HTMLParser):
    """Tags, their attributes and the visible text: also proves the HTML parses with tags balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.starts, self.text, self.open = [], [], []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag not in ("img",):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, f"</{tag}> closes the wrong element"

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    assert collector.open == [], f"unclosed: {collector.open}"
    return collector


def png(pixels: np.ndarray) -> bytes:
    return encode_png(pixels)


def test_bars_are_as_long_as_the_probabilities_best_first():
    page = parse(cards.top5_bars(RANKING))
    widths = [
        float(re.search(r"width:([0-9.]+)%", a["style"]).group(1))
        for t, a in page.starts
        if a.get("class") == "cnnviz-bar"
    ]
    np.testing.assert_allclose(widths, [p * 100 for _, p in RANKING], atol=0.005)
    text = " ".join(page.text)
    assert [int(t) for t in page.text if t.isdigit()] == [c for c, _ in RANKING]
    assert "91.0%" in text and "<0.1%" in text  # people's percentages, as everywhere else


def test_bar_widths_are_clamped_to_the_track():
    page = parse(cards.top5_bars([(3, 1.0000001), (5, -1e-9)]))
    widths = [a["style"] for t, a in page.starts if a.get("class") == "cnnviz-bar"]
    assert "width:100.00%" in widths[0] and "width:0.00%" in widths[1]


def test_prediction_block_names_the_digit_and_inlines_the_network_input():
    image = (np.arange(28 * 28).reshape(28, 28) % 256).astype(np.uint8)
    html = cards.prediction_block(RANKING, "Shipped convnet", png(image), label=7)
    page = parse(html)
    outer = page.starts[0][1]
    assert outer["class"].split() == ["cnnviz-prediction", "cnnviz-answer"] and outer["data-digit"] == "7"
    text = " ".join(page.text)
    assert "Prediction: 7" in text and "91.0% sure" in text and "correct" in text
    assert "always picks one of the ten digits" in text  # why a dot still gets "0, 99.8% sure"
    (src,) = [a["src"] for t, a in page.starts if t == "img"]
    assert src.startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))))
    np.testing.assert_array_equal(decoded, image)  # the picture travels losslessly


@pytest.mark.parametrize(("label", "expected"), [(None, ""), (7, "correct"), (3, "wrong: the label says 3")])
def test_verdict_only_when_the_label_is_known(label, expected):
    assert " ".join(parse(cards.verdict(7, label)).text) == expected


def test_user_text_is_escaped():
    evil = "<img src=x onerror=alert(1)>"
    html = cards.prediction_block(RANKING, evil, png(np.zeros((28, 28), np.uint8)))
    html += cards.model_cards([(evil, RANKING[:3])]) + cards.note(evil)
    assert evil not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert all(t != "img" or a["src"].startswith("data:image/png") for t, a in parse(html).starts)


def test_steps_strip_numbers_every_step_in_order():
    steps = [PreprocessStep(name, np.zeros((28, 28), np.float32), f"what {name} does") for name in "ABC"]
    pictures = [png(np.full((10, 10), v, np.uint8)) for v in (0, 100, 200)]
    page = parse(cards.steps_strip(steps, pictures))
    text = " ".join(page.text)
    assert text.index("1. A") < text.index("2. B") < text.index("3. C") and "what B does" in text
    assert sum(t == "img" for t, _ in page.starts) == 3
    with pytest.raises(ValueError):
        cards.steps_strip(steps, pictures[:2])  # a step without its picture is a bug, not a silent gap


def test_model_cards_show_each_models_answer_and_runners_up():
    page = parse(cards.model_cards([("convnet", [(7, 0.99), (1, 0.006), (9, 0.001)]), ("dense", [(1, 0.6)])]))
    text = " ".join(page.text)
    assert "convnet" in text and "dense" in text and "1: 0.6% · 9: 0.1% (runners-up)" in text
    assert "Train page" not in text
    assert "Train page" in " ".join(parse(cards.model_cards([("dense", [(1, 0.6)])], invite=True)).text)


def test_details_block_with_and_without_grad_cam():
    steps = cards.steps_strip([], [])
    with_cam = parse(cards.details_block(steps, 4, png(np.zeros((8, 8, 3), np.uint8)), "Grad-CAM for 4", ""))
    assert "Where it looked for a 4" in " ".join(with_cam.text)
    assert sum(t == "img" for t, _ in with_cam.starts) == 1
    eight = parse(cards.details_block(steps, 8, png(np.zeros((8, 8, 3), np.uint8)), "Grad-CAM for 8", ""))
    assert "Where it looked for an 8" in " ".join(eight.text)  # not "a 8"
    without = parse(cards.details_block(steps, 4, None, "no conv layers here", ""))
    assert "no conv layers here" in " ".join(without.text) and not any(t == "img" for t, _ in without.starts)


def test_waiting_block_is_html_with_no_prediction_in_it():
    page = parse(cards.waiting_block())
    assert "?" in page.text and not any("cnnviz-prediction" in a.get("class", "") for _, a in page.starts)
    assert page.starts[0][1]["class"] == "cnnviz-answer"  # where "Working on it…" appears during a slow rerun


def test_working_css_labels_both_answers_and_only_while_the_script_runs():
    """The label belongs to the class both answer blocks carry, and shows only under Streamlit's running states."""
    rules = dict(re.findall(r"^(\S[^{]*?)\s*\{([^}]*)\}", cards.WORKING_CSS, re.MULTILINE))
    assert 'content: "Working on it…"' in rules[".cnnviz-answer::after"]
    assert "visibility: hidden" in rules[".cnnviz-answer::after"]
    shown = next(selector for selector, body in rules.items() if "visibility: visible" in body)
    assert re.findall(r'data-test-script-state="(\w+)"', shown) == ["running", "rerunRequested"]
    assert "0.5s" in rules[shown]  # a quick rerun shows nothing
