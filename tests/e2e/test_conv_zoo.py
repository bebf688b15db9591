"""Conv arithmetic in a real browser: the transposed diagram steps, fits a projector and a phone, its link opens
the same view in a fresh browser, and its GIF has one frame per output cell (issues 26 and 27)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from e2e_helpers import (
    assert_clean,
    click_radio,
    field,
    fill_number,
    open_page,
    screenshot,
    smallest_text,
    text_px,
    wait_idle,
)
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

DIAGRAM = '[data-testid="stIFrame"]'


@pytest.fixture
def screen(browser, app_url, request):
    """A page at the size ``request.param`` (width, height), accepting downloads."""
    width, height = getattr(request, "param", (1024, 768))
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.app_url = app_url
    yield pg
    context.close()


def _diagram(pg):
    pg.locator(DIAGRAM).first.wait_for()
    return pg.frame_locator(DIAGRAM).first


def test_the_transposed_diagram_steps_fits_the_projector_and_downloads_as_a_gif(screen):
    pg = screen
    open_page(pg, "Conv_arithmetic")
    box = pg.locator(DIAGRAM).first.bounding_box()  # nothing typed yet: the page is at its top
    assert box["y"] < 768 and box["height"] >= 300, box  # a projector shows its top with the controls
    click_radio(pg, "Transposed")
    box = pg.locator(DIAGRAM).first.bounding_box()
    assert box["y"] < 768 and box["height"] >= 300, box
    fill_number(pg, "Stride", 3)  # 3 x 3 input, kernel 3, padding 1: (3 - 1)·3 - 2 + 2 + 1 = 7
    assert_clean(pg)
    pg.get_by_role("heading", name="Output: 7 x 7 x 8").wait_for()
    frame = _diagram(pg)
    frame.get_by_text("Output 7 x 7").wait_for()  # the diagram's output is torch's size
    assert frame.locator("#pos").inner_text() == "output cell 1 of 49"
    frame.locator("#next").click()
    frame.get_by_text("output cell 2 of 49").wait_for()
    assert "Output (0, 1) reads" in frame.locator("#readout").inner_text()
    screenshot(pg, "conv_zoo_transposed_1024")

    with pg.expect_download() as info:
        pg.get_by_role("button", name="Download GIF").first.click()
    gif = Image.open(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert info.value.suggested_filename.endswith(".gif") and gif.n_frames == 49

    # Full screen: the diagram fills the projector, and the keys still step it.
    frame.get_by_role("button", name="Full screen").click()
    inside = pg.locator(DIAGRAM).first.element_handle().content_frame()
    inside.wait_for_function("() => document.fullscreenElement !== null")
    drawn = inside.evaluate("() => document.getElementById('fig').getBoundingClientRect().height")
    assert drawn >= 0.7 * 768, drawn
    pg.keyboard.press("ArrowRight")
    frame.get_by_text("output cell 3 of 49").wait_for()
    frame.get_by_role("button", name="Leave full screen").click()
    inside.wait_for_function("() => document.fullscreenElement === null")


def _shown_diagram(pg):
    """The diagram in view (the hidden tabs keep theirs), once its frame has drawn and sized itself:
    (its Frame, to measure inside it, and its box on the page)."""
    diagram = pg.locator(f"{DIAGRAM}:visible").first
    diagram.wait_for()
    frame = diagram.element_handle().content_frame()
    frame.wait_for_selector("#readout b, #readout:not(:empty)")
    # ``height="content"``: the frame grows to its diagram a moment after it drew; the asserts say if not.
    with contextlib.suppress(PlaywrightTimeout):
        pg.wait_for_function(
            "el => el.getBoundingClientRect().height >= 300", arg=diagram.element_handle(), timeout=10_000
        )
    return frame, diagram.bounding_box()


LAYERS = ["Conv", "Transposed", "Max pool", "Avg pool", "Global avg pool"]


def test_at_1024_with_the_sidebar_open_every_layers_diagram_starts_on_the_first_screen(screen):
    """Issue 26: the diagram started at y~590 under nine number boxes in two rows, a label and a heading, so a
    projector showed its first 180 px. Its boxes are one narrow row now, the channels go under it."""
    pg = screen
    open_page(pg, "Conv_arithmetic")
    assert pg.locator('[data-testid="stSidebar"]').bounding_box()["width"] > 200  # open, as it starts
    for layer in LAYERS:
        click_radio(pg, layer)
        assert_clean(pg)
        _, box = _shown_diagram(pg)
        assert box["y"] < 668 and 768 - box["y"] >= 280, (layer, box)  # its top and most of a screen of it
        assert box["height"] >= 300, (layer, box)
        assert box["x"] + box["width"] <= 1024, (layer, box)
        for label in ("Input height", "Input width"):  # its controls on the same screen, above it
            control = field(pg, label).bounding_box()
            assert 0 < control["y"] < box["y"], (layer, label, control, box)


def test_the_1d_diagram_starts_on_the_first_screen_at_1024(screen):
    pg = screen
    open_page(pg, "Conv_arithmetic?tab=1-D")
    pg.get_by_role("heading", name="Output: 10 numbers").wait_for()
    _, box = _shown_diagram(pg)
    assert box["y"] < 668 and 768 - box["y"] >= 250, box
    assert field(pg, "Signal x (numbers)").bounding_box()["y"] < box["y"]


@pytest.mark.parametrize(("presenting", "least"), [(False, 14), (True, 18)])
def test_the_diagrams_numbers_and_the_networks_table_read_from_the_back_of_the_hall(screen, presenting, least):
    """Measured as drawn on a 1024 x 768 screen (SVG text scaled by its viewBox): the 1-D diagram's numbers were
    ~13 px, scaled down to fit. Every text of the transposed and 1-D diagrams, and of the Whole networks table
    (an HTML table, whose every column is in view at 1024), is >= 14 px, and >= 18 px when presenting."""
    pg = screen
    present = "present=1&" if presenting else ""
    open_page(pg, f"Conv_arithmetic?{present}layer=Transposed+convolution")
    frame, _ = _shown_diagram(pg)
    numbers = [t for t in text_px(frame, "svg") if t[0].lstrip("-").isdigit()]
    assert len(numbers) >= 49 + 9 + 25, numbers  # the spread input, the kernel, the output
    assert smallest_text(frame, "svg")[1] >= least, text_px(frame, "svg")
    assert smallest_text(frame, "#readout, .controls, .legend")[1] >= least

    open_page(pg, f"Conv_arithmetic?{present}tab=1-D")
    frame, _ = _shown_diagram(pg)
    assert smallest_text(frame, "svg")[1] >= least, text_px(frame, "svg")

    open_page(pg, f"Conv_arithmetic?{present}tab=Whole+networks")
    table = pg.locator('.st-key-ar_table_ar_net_table [data-testid="stTable"]:visible').first
    table.wait_for()
    assert smallest_text(pg, ".st-key-ar_table_ar_net_table")[1] >= least + 1  # 15 px, 22 px presenting
    headers = table.locator("th").evaluate_all("ths => ths.map(th => [th.innerText, th.getBoundingClientRect().right])")
    names = [name for name, _ in headers]
    for name in ("Output shape (H, W, C)", "Param #", "Kernel / stride / padding", "Receptive field", "Jump"):
        assert name in names, names
    right = min(table.bounding_box()["x"] + table.bounding_box()["width"], 1024)
    assert max(r for _, r in headers) <= right + 1, headers  # no column behind a scroll
    cut = table.locator("td").evaluate_all("tds => tds.filter(td => td.scrollWidth > td.clientWidth + 1).length")
    assert cut == 0  # nothing cut short in a cell ("Conv2d + Re")


@pytest.mark.parametrize("screen", [(390, 844)], indirect=True)
def test_on_a_phone_the_diagram_is_within_a_screen_of_its_controls(screen):
    """Issue 26: on a phone the diagram sat ~1.5 screens under its nine number boxes. With the first box at the
    top of the screen, the diagram's top and a good part of it are on that screen, for Conv and Transposed;
    the channel boxes under it have their result, the parameter count, right under them."""
    pg = screen
    open_page(pg, "Conv_arithmetic")
    assert_clean(pg)
    for layer in ("Conv", "Transposed"):
        click_radio(pg, layer)
        _, diagram = _shown_diagram(pg)
        first = pg.locator('[data-testid="stButtonGroup"]').first.bounding_box()  # the layer type: the first control
        last = field(pg, "Dilation").bounding_box()  # the last box above it
        assert diagram["y"] - first["y"] <= 844 - 200, (layer, first, diagram)
        assert last["y"] < diagram["y"], (layer, last, diagram)
        assert diagram["x"] + diagram["width"] <= 390, (layer, diagram)
        filters = field(pg, "Filters").bounding_box()  # the channels' result, the parameters, right under them
        params = pg.get_by_text(re.compile(r"^Parameters: \(")).first.bounding_box()
        assert 0 < params["y"] - (filters["y"] + filters["height"]) < 200, (layer, filters, params)

    open_page(pg, "Conv_arithmetic?tab=1-D")
    _, diagram = _shown_diagram(pg)
    signal = field(pg, "Signal x (numbers)").bounding_box()
    assert diagram["y"] - signal["y"] <= 844 - 200, (signal, diagram)

    # The networks' table scrolls inside itself (the page does not), with the layer's name kept in view; without
    # the parameter columns every other column fits the phone.
    open_page(pg, "Conv_arithmetic?tab=Whole+networks")
    table = pg.locator('.st-key-ar_table_ar_net_table [data-testid="stTable"]:visible').first
    table.wait_for()
    assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    assert smallest_text(pg, ".st-key-ar_table_ar_net_table")[1] >= 14
    pg.locator('[data-testid="stButtonGroup"]:visible').get_by_text("Parameters", exact=True).click()
    wait_idle(pg)
    headers = table.locator("th").evaluate_all("ths => ths.map(th => [th.innerText, th.getBoundingClientRect().right])")
    assert [n for n, _ in headers] == [
        "Layer",
        "Type",
        "Output shape (H, W, C)",
        "Kernel / stride / padding",
        "Receptive field",
        "Jump",
    ], headers
    assert max(r for _, r in headers) <= 390, headers


def test_a_link_opens_the_same_view_in_a_fresh_browser(screen, browser, app_url):
    pg = screen
    open_page(pg, "Conv_arithmetic")
    click_radio(pg, "Transposed")
    fill_number(pg, "Stride", 3)
    fill_number(pg, "Out padding", 1)
    pg.get_by_role("heading", name="Output: 8 x 8 x 8").wait_for()
    pg.wait_for_function("() => location.search.includes('tconv_op=1')")
    url = pg.url

    fresh = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        other = fresh.new_page()
        other.app_url = app_url
        other.goto(url, wait_until="domcontentloaded")
        wait_idle(other)
        other.get_by_role("heading", name="Output: 8 x 8 x 8").wait_for()
        values = """() => ["Stride", "Out padding"].map(label =>
            (document.querySelector(`input[aria-label="${label}"]`) || {}).value).join(" ")"""
        other.wait_for_function(f"() => ({values})() === '3 1'", timeout=20_000)  # the widgets show the link's numbers
        _diagram(other).get_by_text("Input 3 x 3 spread out").wait_for()
        assert_clean(other)
    finally:
        fresh.close()
