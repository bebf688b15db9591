"""Evaluate page with Streamlit's AppTest: the table of errors, confusion matrix, per-class accuracy, mistakes."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "5_Evaluate.py")
pytestmark = pytest.mark.skipif(not (ROOT / "assets" / "mnist_convnet.pt").is_file(), reason="no shipped checkpoint")


@pytest.fixture(scope="module")
def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    return at


def test_table_lists_top1_and_top5_error_for_every_model(page):
    table = page.table[0].value
    assert list(table["Model"]) == ["Shipped convnet", "Shipped dense baseline"]
    for column in ("Top-1 accuracy", "Top-1 error", "Top-5 accuracy", "Top-5 error"):
        assert table[column].between(0, 1).all()
    assert ((table["Top-1 accuracy"] + table["Top-1 error"]) - 1).abs().max() < 1e-9
    assert (table["Top-5 accuracy"] >= table["Top-1 accuracy"]).all()
    assert table["Parameters"].tolist() == [93_322, 203_530]


def test_confusion_matrix_per_class_and_gallery(page):
    charts = page.get("plotly_chart")
    assert len(charts) == 2  # confusion matrix and per-class accuracy
    assert any("Most common mistake" in c.value for c in page.caption)
    assert len(mistake_cards(page)) == 30, "the gallery of mistakes"


def test_filters_narrow_the_gallery(page):
    page.selectbox(key="evaluate_true_MNIST").set_value(4).run()
    page.selectbox(key="evaluate_predicted_MNIST").set_value(9).run()
    assert not page.exception
    cards = mistake_cards(page)
    assert cards and all(card[0] == "4 → 9" for card in cards)


def test_switching_model_is_cached_and_works(page):
    page.selectbox(key="evaluate_true_MNIST").set_value("any").run()
    page.selectbox(key="evaluate_predicted_MNIST").set_value("any").run()
    page.selectbox(key="evaluate_model_MNIST").set_value("Shipped dense baseline").run()
    assert not page.exception
    assert any("Shipped dense baseline" in m.value for m in [*page.markdown, *page.caption])


def test_a_fashion_mnist_model_is_tested_on_fashion_mnist_with_the_classes_names():
    """A Fashion-MNIST model is not scored on digits (its "7" is a sneaker): a "Test set" choice gives it its
    own test set, with the clothes' names. It used to be left out with a caption pointing at a Train page
    that could never show it (QA). Oracle: its accuracy computed here with torch."""
    import torch

    from cnnviz.data import FASHION_CLASSES, load_dataset
    from cnnviz.models import build_model

    torch.manual_seed(0)
    model = build_model("dense").eval()
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["trained_models"] = {"Your dense net (Fashion-MNIST)": (model, {"dataset": "Fashion-MNIST"})}
    at.run()
    assert not at.exception
    assert list(at.table[0].value["Model"]) == ["Shipped convnet", "Shipped dense baseline"]  # MNIST first
    assert "Your dense net (Fashion-MNIST)" not in at.selectbox(key="evaluate_model_MNIST").options
    at.radio(key="evaluate_dataset").set_value("Fashion-MNIST").run()
    assert not at.exception and not at.error
    table = at.table[0].value
    assert list(table["Model"]) == ["Your dense net (Fashion-MNIST)"]
    images, labels = load_dataset("Fashion-MNIST", "test")
    with torch.no_grad():
        predicted = model(images.float().div(255).unsqueeze(1)).argmax(1)
    assert table["Top-1 accuracy"][0] == pytest.approx((predicted == labels).float().mean().item(), abs=1e-6)
    assert at.selectbox(key="evaluate_true_Fashion-MNIST").format_func(1) == FASHION_CLASSES[1] == "Trouser"
    text = " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)
    text += " ".join(chart.proto.spec for chart in at.get("plotly_chart"))  # the charts' titles
    assert "Accuracy per class" in text and "misclassified test images" in text
    assert any(name in text for name in FASHION_CLASSES)  # the hardest class, the most common mistake
    # Filters belong to their test set: "Bag → Trouser" did not become "8 → 1" on MNIST (QA).
    at.selectbox(key="evaluate_true_Fashion-MNIST").set_value(8).run()
    at.selectbox(key="evaluate_predicted_Fashion-MNIST").set_value(1).run()
    at.radio(key="evaluate_dataset").set_value("MNIST").run()
    assert at.selectbox(key="evaluate_true_MNIST").value == at.selectbox(key="evaluate_predicted_MNIST").value == "any"
    at.radio(key="evaluate_dataset").set_value("Fashion-MNIST").run()
    assert (
        at.selectbox(key="evaluate_true_Fashion-MNIST").value,
        at.selectbox(key="evaluate_predicted_Fashion-MNIST").value,
    ) == (8, 1)


def test_every_mistake_card_reads_true_answer_then_probability_then_top5_in_rank_order():
    """One grid in rank order (ten Streamlit columns stacked column by column on a phone: 1st, 11th, 21st…)."""
    import re

    from cnnviz.predict import mistakes

    at = AppTest.from_file(PAGE, default_timeout=180).run()
    cards = mistake_cards(at)
    assert len(cards) == 30
    probabilities = []
    for heading, sure, top5 in cards:
        true, answer = map(int, re.fullmatch(r"(\d) → (\d)", heading).groups())
        assert re.fullmatch(r">99\.9%|99\.[5-9]%|\d{1,2}%", sure), sure  # never "100%" for a softmax
        ranked, index = re.fullmatch(r"top-5: ([\d ]+) · #(\d+)", top5).groups()
        assert int(ranked.split()[0]) == answer != true
        probabilities.append((int(index), answer, true))
    # The oracle: the page's own ranking function on the shipped convnet's cached probabilities.
    from cnnviz_ui import evaluate
    from cnnviz_ui.resources import dataset, shipped_model

    images, labels = dataset("MNIST", "test")
    model, _ = shipped_model("Shipped convnet")
    probs = evaluate.model_scores("Shipped convnet", model)
    expected = mistakes(probs, labels.numpy())[:30]
    assert [index for index, _, _ in probabilities] == [int(i) for i in expected]


def mistake_cards(at: AppTest) -> list[tuple[str, str, str]]:
    """(heading "t → a", probability, "top-5: … · #index") of each card of the mistakes grid, in page order."""
    import re

    body = next(h.proto.body for h in at.get("html") if "cnnviz-mistake" in h.proto.body)
    cards = re.findall(r"<div class='cnnviz-mistake'.*?</div></div>", body)
    from html import unescape

    parts = (re.findall(r"<div style='[^']*'>(.*?)</div>", card) for card in cards)
    return [tuple(unescape(re.sub(r"<[^>]+>", "", part)) for part in card) for card in parts]


def test_a_link_opens_the_model_and_filters_it_names():
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params["model"] = "Shipped dense baseline"
    at.query_params["true"] = "4"
    at.query_params["predicted"] = "9"
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="evaluate_model_MNIST").value == "Shipped dense baseline"
    assert (at.selectbox(key="evaluate_true_MNIST").value, at.selectbox(key="evaluate_predicted_MNIST").value) == (4, 9)
    assert all(card[0] == "4 → 9" for card in mistake_cards(at))
    at.selectbox(key="evaluate_predicted_MNIST").set_value("any").run()  # a change is written back
    assert not at.exception
    assert {k: at.query_params[k] for k in at.query_params} == {"model": "Shipped dense baseline", "true": "4"}


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"true": "11"}, "true=11 was ignored: true digit must be one of any, 0, 1"),
        ({"model": "Leaked model"}, "model=Leaked model was ignored: model must be one of Shipped convnet"),
    ],
)
def test_a_wrong_value_in_a_link_gives_a_note(query, note):
    at = AppTest.from_file(PAGE, default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error
    assert any(note in c.value for c in at.caption), [c.value for c in at.caption]
    assert at.selectbox(key="evaluate_model_MNIST").value == "Shipped convnet"
    assert at.selectbox(key="evaluate_true_MNIST").value == "any"


def test_the_confusion_figure_draws_right_answers_and_mistakes_on_their_own_scales():
    """The figure uses the library's scales (``cnnviz.evaluation``, tested there), one heatmap each; counts at the
    font size asked (14 px, 18 px when presenting), zero mistakes blank."""
    import numpy as np

    from cnnviz.evaluation import RIGHT_SCALE, mistake_scale
    from cnnviz_ui.evaluate import confusion_figure

    matrix = np.diag([978, 1130, 1020, 1005, 975, 885, 950, 1020, 965, 1000])
    matrix[5, 3] = 5
    figure = confusion_figure(matrix, title="Confusion matrix", font_px=18)
    right, wrong = figure.data
    assert [list(stop) for stop in right.colorscale] == [[p, c.lower()] for p, c in RIGHT_SCALE]
    assert [list(stop) for stop in wrong.colorscale] == [[p, c.lower()] for p, c in mistake_scale(5)]
    assert (right.zmax, wrong.zmax) == (1130, 5)
    assert right.text[3][3] == "1005" and right.text[5][3] == "" and wrong.text[5][3] == "5"
    assert wrong.text[0][1] == "" and wrong.text[3][3] == ""
    assert right.textfont.size == wrong.textfont.size == 18
    assert figure.layout.title.text == "Confusion matrix"


def test_presenting_prints_the_counts_at_18_px():
    import json

    def sizes(at: AppTest) -> set[int]:
        found = set()
        for chart in at.get("plotly_chart"):
            spec = json.loads(chart.proto.spec)
            found |= {trace["textfont"]["size"] for trace in spec["data"]}
        return found

    assert sizes(AppTest.from_file(PAGE, default_timeout=180).run()) == {14}
    presenting = AppTest.from_file(PAGE, default_timeout=180)
    presenting.query_params["present"] = "1"
    assert sizes(presenting.run()) == {18}


def test_the_mistakes_slide_title_names_the_model_and_the_filters():
    from cnnviz_ui.evaluate import matrix_shape, mistakes_title

    assert mistakes_title("Shipped convnet", "digit", "any", "any") == (
        "Misclassified test digits of the Shipped convnet, most confident first"
    )
    assert mistakes_title("Shipped convnet", "digit", "9", "4") == (
        "Misclassified test digits of the Shipped convnet (true 9, read as 4), most confident first"
    )
    assert mistakes_title("m", "image", "any", "Sneaker").endswith("(read as Sneaker), most confident first")
    assert matrix_shape(10) == (8, 10)  # ten columns (the counts' type is fitted to them), cells 4/5 as tall


def test_the_mistakes_slide_holds_each_shown_digit_under_its_title():
    """The PNG behind "Download PNG": the mistakes' pictures 3x, then 2x, under the title (oracle: the digits'
    own pixels, found where the grid puts them)."""
    import io

    import numpy as np
    from PIL import Image

    from cnnviz.slides import title_band_px
    from cnnviz_ui.evaluate import MISTAKE_SCALE, mistakes_png

    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    png = mistakes_png(digits, [["4 → 9", "97.5%", f"#{i}"] for i in range(12)], "Mistakes")
    sheet = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    band, side, gap = title_band_px("Mistakes", sheet.shape[1]), 28 * MISTAKE_SCALE, 12
    cell_h = side + 3 * round(14 * 1.25)
    for i in (0, 9, 10, 11):  # the first row's ends, then the second row
        x, y = 2 * (gap + (i % 10) * (side + gap)), band + 2 * (gap + (i // 10) * (cell_h + gap))
        shown = sheet[y : y + 2 * side : 2 * MISTAKE_SCALE, x : x + 2 * side : 2 * MISTAKE_SCALE]
        np.testing.assert_array_equal(shown, digits[i])
