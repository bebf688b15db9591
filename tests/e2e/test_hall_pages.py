"""Classify, Evaluate, Translation invariance and Train in the lecture hall (issue 26), in a real browser: the main
figure on a 1024x768 projector, Classify's answer on a phone, links opened in a fresh browser, a slide's PNG."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from e2e_helpers import (
    assert_clean,
    choose,
    click_radio,
    field,
    fill_number,
    nudge_slider,
    open_page,
    screenshot,
    stroke,
    text_px,
    wait_idle,
)
from PIL import Image

from cnnviz.slides import grid_size, slide_filename, title_band_px
from cnnviz_ui.evaluate import MISTAKE_COLUMNS, MISTAKE_SCALE, mistakes_title

PROJECTOR = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def screen(browser, app_url, request):
    """A page in a fresh browser context of the size ``request.param`` (default: the projector)."""
    size = getattr(request, "param", PROJECTOR)
    context = browser.new_context(viewport=size, accept_downloads=True)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.app_url = app_url
    yield pg
    context.close()


def fresh(browser, app_url: str, url: str, size: dict = PROJECTOR):
    """``url`` opened in a new browser context (no cookies, no session): what a student gets from a link."""
    context = browser.new_context(viewport=size)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.app_url = app_url
    assert url.startswith(app_url + "/"), url
    open_page(pg, url[len(app_url) + 1 :])
    return context, pg


def box(pg, selector: str) -> dict:
    locator = pg.locator(selector).first
    locator.wait_for()
    return locator.bounding_box()


def selectbox_text(pg, label: str) -> str:
    """The option shown by the selectbox labelled ``label`` (its input holds the option's text)."""
    return field(pg, label).input_value()


# --- the main figure above the fold of a 1024 x 768 projector ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "selector"),
    [
        ("Classify", "canvas"),  # the drawing box
        ("Evaluate", ".st-key-evaluate_confusion .js-plotly-plot"),
        ("Translation_invariance", ".st-key-ti_shifted img"),  # the shifted digit, not the picker's preview
    ],
)
def test_the_main_figure_starts_above_the_fold_and_is_at_least_300_px(screen, path, selector):
    open_page(screen, path)
    found = box(screen, selector)
    assert found["y"] < PROJECTOR["height"] - 100, found  # its top, and a good part of it, on the first screen
    assert min(found["width"], found["height"]) >= 300, found
    assert_clean(screen)
    screenshot(screen, f"hall_{path.lower()}_1024")


def test_classify_top5_beside_a_test_digit_fits_the_projector(screen):
    open_page(screen, "Classify?source=MNIST+test+digit&digit=3")
    bars = screen.locator(".cnnviz-prediction .cnnviz-bar")
    bars.first.wait_for()
    last = bars.nth(4).bounding_box()
    assert last["y"] + last["height"] <= PROJECTOR["height"], last  # the whole top-5 without scrolling
    digit = box(screen, ".st-key-classify_big_digit img")  # the test digit big beside it, for the back rows
    assert digit["width"] >= 280 and digit["y"] + digit["height"] <= PROJECTOR["height"], digit
    assert_clean(screen)


def test_train_settings_and_start_fit_the_projector(screen):
    open_page(screen, "Train")
    start = box(screen, '[data-testid="stMain"] button:has-text("Start training")')
    assert start["y"] + start["height"] <= PROJECTOR["height"], start
    assert_clean(screen)


@pytest.mark.parametrize("screen", [PHONE], indirect=True)
def test_on_a_phone_the_prediction_is_within_one_screen_of_the_drawing(screen):
    open_page(screen, "Classify")
    screen.locator("canvas").first.wait_for()
    stroke(screen, [(0.5, 0.15), (0.5, 0.85)])  # a 1
    screen.locator(".cnnviz-prediction").wait_for()
    wait_idle(screen)
    canvas, answer = box(screen, "canvas"), box(screen, ".cnnviz-prediction")
    assert answer["y"] >= canvas["y"] + canvas["height"] - 1, (canvas, answer)  # under the box
    top5 = box(screen, ".cnnviz-prediction .cnnviz-bar")
    # The box and the answer with its first bars in one phone screen: no scrolling after each stroke.
    assert top5["y"] + top5["height"] - canvas["y"] <= PHONE["height"], (canvas, top5)
    assert_clean(screen)
    screenshot(screen, "hall_classify_phone")


@pytest.mark.parametrize("present", [False, True], ids=["sidebar_open", "presenting"])
def test_evaluate_numbers_read_from_the_back_of_the_hall(screen, present):
    """At 1024 x 768 the confusion matrix's counts, tick labels and colour-bar numbers and the accuracy chart's
    numbers are drawn at 14 px or more, 18 px presenting (measured on the screen: the counts shrink to fit
    their cells). Presenting, the whole matrix with its colour bars fits the screen."""
    open_page(screen, "Evaluate?present=1" if present else "Evaluate")
    matrix, per_class = ".st-key-evaluate_confusion", ".st-key-evaluate_per_class"
    screen.locator(f"{matrix} .heatmap-label").first.wait_for()
    screen.locator(f"{per_class} .bartext").first.wait_for()
    least = 18 if present else 14
    counts = [text for text, _ in text_px(screen, f"{matrix} .heatmaplayer")]
    assert "1128" in counts and len(counts) > 10, counts  # the counts are drawn, not hidden for lack of room
    for part in (f"{matrix} .heatmaplayer", f"{matrix} .xtick", f"{matrix} .ytick", f"{matrix} .cbaxis", per_class):
        found = text_px(screen, part)
        assert found and min(px for _, px in found) >= least, (part, sorted(found, key=lambda t: t[1])[:3])
    mistakes = text_px(screen, ".cnnviz-mistake")  # the misclassified digits' cards, HTML
    assert mistakes and min(px for _, px in mistakes) >= least, sorted(mistakes, key=lambda t: t[1])[:3]
    if present:
        drawn = box(screen, f"{matrix} .js-plotly-plot")
        assert drawn["y"] + drawn["height"] <= PROJECTOR["height"], drawn
    assert_clean(screen)
    screenshot(screen, f"hall_evaluate_1024{'_present' if present else ''}")


# --- Enter in a number box does not start a training ------------------------------------------------------


def test_enter_in_training_images_starts_nothing(screen):
    open_page(screen, "Train")
    images = field(screen, "Training images (0 = all 60,000)")
    images.fill("1000")
    images.press("Enter")
    wait_idle(screen)
    assert images.input_value() == "1000"
    assert screen.locator('[data-testid="stProgress"]').count() == 0
    assert "Training…" not in screen.inner_text("body")


# --- links opened in a fresh browser -------------------------------------------------------------------------


def test_classify_link_round_trip(screen, browser, app_url):
    open_page(screen, "Classify")
    click_radio(screen, "MNIST test digit")
    fill_number(screen, "MNIST test digit (0-9999)", 5)
    choose(screen, "Model", "Shipped dense baseline")
    screen.locator(".cnnviz-prediction").wait_for()
    digit = screen.locator(".cnnviz-prediction").get_attribute("data-digit")
    context, other = fresh(browser, app_url, screen.url)
    try:
        assert field(other, "MNIST test digit (0-9999)").input_value() == "5"
        assert selectbox_text(other, "Model") == "Shipped dense baseline"
        assert other.locator(".cnnviz-prediction").get_attribute("data-digit") == digit
        assert_clean(other)
    finally:
        context.close()


def test_evaluate_link_round_trip(screen, browser, app_url):
    open_page(screen, "Evaluate")
    choose(screen, "Model to look at in detail", "Shipped dense baseline")
    choose(screen, "True digit", "9")
    caption = re.compile(r"misclassified test digits match")
    shown = screen.get_by_text(caption).inner_text()
    context, other = fresh(browser, app_url, screen.url)
    try:
        assert selectbox_text(other, "Model to look at in detail") == "Shipped dense baseline"
        assert selectbox_text(other, "True digit") == "9"
        assert other.get_by_text(caption).inner_text() == shown
        assert_clean(other)
    finally:
        context.close()


def test_translation_invariance_link_round_trip(screen, browser, app_url):
    open_page(screen, "Translation_invariance")
    nudge_slider(screen, "Shift right (dx, pixels)", 3)
    click_radio(screen, "up / down")
    screen.get_by_role("button", name="down ▼").click()
    wait_idle(screen)
    screen.get_by_text("shifted by dx=3, dy=1").wait_for()
    context, other = fresh(browser, app_url, screen.url)
    try:
        other.get_by_text("shifted by dx=3, dy=1").wait_for()
        other.get_by_role("button", name="down ▼").wait_for()  # the axis came too (drawn a moment after the text)
        assert (
            other.get_by_role("button", name="▲ up").count() == 1
            and other.get_by_role("button", name="◀ left").count() == 0
        )
        assert_clean(other)
    finally:
        context.close()


def test_train_link_round_trip_starts_nothing(screen, browser, app_url):
    open_page(screen, "Train")
    fill_number(screen, "Epochs", 3)
    fill_number(screen, "Training images (0 = all 60,000)", 2000)
    choose(screen, "Optimizer", "sgd")
    context, other = fresh(browser, app_url, screen.url)
    try:
        assert field(other, "Epochs").input_value() == "3"
        assert field(other, "Training images (0 = all 60,000)").input_value() == "2000"
        assert selectbox_text(other, "Optimizer") == "sgd"
        assert other.locator('[data-testid="stProgress"]').count() == 0  # a link never starts a run
        assert_clean(other)
    finally:
        context.close()


# --- a chart for a slide -------------------------------------------------------------------------------------


def test_the_confusion_matrix_downloads_as_a_png_at_twice_its_size(screen):
    open_page(screen, "Evaluate")
    chart = screen.locator(".st-key-evaluate_confusion .stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    assert chart.locator(".modebar-btn").count() == 3  # PNG, SVG and Streamlit's Fullscreen: no zoom, pan, logo
    button = chart.locator('.modebar-btn[data-title*="PNG" i]')
    drawn = chart.locator(".main-svg").first.bounding_box()
    with screen.expect_download() as info:
        button.first.click()
    assert info.value.suggested_filename == "confusion-matrix-of-the-shipped-convnet.png"
    picture = Image.open(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert picture.size == (round(2 * drawn["width"]), round(2 * drawn["height"]))  # at 2x, its title included
    assert min(picture.size) >= 600


def test_the_mistakes_download_as_a_titled_png_at_twice_their_size(screen):
    """The misclassified nines, as a slide: each 28 x 28 digit 3x (6x in the PNG) with its caption, ten to a row,
    under the title; the PNG is made when the button is pressed."""
    open_page(screen, "Evaluate?true=9")
    cards = screen.locator(".cnnviz-mistake")
    cards.first.wait_for()
    count = cards.count()
    assert 0 < count <= 30
    with screen.expect_download() as info:
        screen.locator(".st-key-evaluate_mistakes_png").get_by_role("button", name="Download PNG").click()
    title = mistakes_title("Shipped convnet", "digit", "9", "any")
    assert info.value.suggested_filename == slide_filename(title, "png")
    picture = Image.open(io.BytesIO(Path(info.value.path()).read_bytes())).convert("RGB")
    digit, lines, gap = 28 * MISTAKE_SCALE, 3, 12  # MNIST's captions ("9 → 4", "97.5%", "#1234") fit 84 px
    cell = (digit, digit + lines * round(14 * 1.25))
    width, height = grid_size(count, MISTAKE_COLUMNS, cell, gap)
    band = title_band_px(title, 2 * width)
    assert picture.size == (2 * width, band + 2 * height)
    for i in range(min(count + 1, MISTAKE_COLUMNS)):  # each digit's black corner in its cell; white after the last
        x, y = 2 * (gap + i * (cell[0] + gap)) + 3, band + 2 * gap + 3
        assert picture.getpixel((x, y)) == ((0, 0, 0) if i < count else (255, 255, 255)), i


# --- pictures in HTML cards go full screen too ------------------------------------------------------------


def test_a_card_picture_goes_full_screen_with_sharp_pixels_and_back(screen):
    """Classify's cards are HTML (one request per prediction, not one per picture), so Streamlit gives their
    pictures no full-screen button: a click shows one full screen, pixel-sharp; a second click leaves."""
    open_page(screen, "Classify?source=MNIST+test+digit&digit=3")
    picture = screen.locator("img.cnnviz-zoom").first
    picture.wait_for()
    before = picture.bounding_box()
    picture.click()
    screen.wait_for_function("() => document.fullscreenElement && document.fullscreenElement.matches('img')")
    shown = screen.evaluate(
        """() => { const img = document.fullscreenElement, r = img.getBoundingClientRect(), s = getComputedStyle(img);
        return {width: r.width, height: r.height, rendering: s.imageRendering, fit: s.objectFit}; }"""
    )
    assert shown["rendering"] == "pixelated" and shown["fit"] == "contain", shown
    assert min(shown["width"], shown["height"]) >= 0.9 * min(PROJECTOR.values()), shown  # fills the screen
    screen.mouse.click(PROJECTOR["width"] / 2, PROJECTOR["height"] / 2)
    screen.wait_for_function("() => !document.fullscreenElement")
    assert picture.bounding_box()["width"] == pytest.approx(before["width"], abs=1)
    assert_clean(screen)
