"""Feature maps in a real browser: click one conv2 value and read how it is computed (issue 24); the page on a
1024 x 768 projector and a phone, and a link opened in a fresh browser (issue 26)."""

from __future__ import annotations

import re

import pytest
import torch
from e2e_helpers import ROOT, assert_no_exception, open_page, screenshot, smallest_text, text_px, wait_idle
from PIL import Image

from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import load_dataset
from cnnviz.slides import figure_font_px
from cnnviz_ui.feature_maps import strip_font_px

CONVNET = ROOT / "assets" / "mnist_convnet.pt"
pytestmark = pytest.mark.skipif(not CONVNET.is_file(), reason="no shipped convnet in assets/")
FORMULA = re.compile(r"conv2, map (\d+), row (\d+), column (\d+) = (-?\d+\.\d{4})")


def conv2_of_digit_0(layer: str = "conv2") -> torch.Tensor:
    """The oracle: a layer's maps (conv2's are (64, 11, 11)) of the shipped convnet on test digit 0, from torch."""
    model, _ = load_checkpoint(CONVNET)
    images, _ = load_dataset("MNIST", "test")
    with torch.no_grad():
        return dict(model.eval().forward_layers(images[0].float().div(255)[None, None]))[layer][0]


def shown_number(value: float) -> str:
    """A map's value as the pooling diagram writes it: two decimals, an exact zero as 0."""
    return "0" if value == 0 else f"{value:.2f}"


def shown_unit(pg) -> tuple[int, int, int, float]:
    text = pg.locator(".st-key-fm_unit_top").inner_text()
    found = FORMULA.search(text.replace("−", "-"))
    assert found, text
    return int(found[1]), int(found[2]), int(found[3]), float(found[4])


def test_click_a_conv2_value_and_read_its_32_partial_sums_and_bias(page):
    open_page(page, "Feature_maps")
    picture = page.frame_locator(".st-key-fm_unit_click iframe").locator("img")
    picture.wait_for()
    picture.scroll_into_view_if_needed()  # a mouse click lands only inside the screen
    page.wait_for_timeout(300)
    box = picture.bounding_box()
    assert box["width"] >= 150, box
    before = shown_unit(page)
    # conv2's maps are 11 x 11: the middle of cell (row 2, column 8).
    page.mouse.click(box["x"] + box["width"] * 8.5 / 11, box["y"] + box["height"] * 2.5 / 11)
    page.wait_for_function("() => /row 2, column 8 =/.test(document.querySelector('.st-key-fm_unit_top').innerText)")
    wait_idle(page)
    channel, row, col, total = shown_unit(page)
    assert (row, col) == (2, 8) and channel == before[0]
    maps = conv2_of_digit_0()
    assert total == pytest.approx(float(maps[channel, row, col]), abs=6e-5)  # the value the map shows
    rows = page.locator(".st-key-fm_unit_sums tbody tr")
    names = [rows.nth(i).locator("th, td").first.inner_text().strip() for i in range(rows.count())]
    assert len([n for n in names if n.startswith("pool1 map")]) == 32 and "bias" in names, names
    last = rows.nth(rows.count() - 1).inner_text()
    assert f"{total:.4f}" in last.replace("−", "-"), last


STRIP = ".st-key-fm_strip [data-testid='stImage'] img"
POOL_FRAME = ".st-key-fm_pool_steps iframe"
# The strip's smallest label (a layer's shape) as shown: its size in the PNG times the picture's scale.
STRIP_LABEL_JS = f"""(small) => {{
    const img = document.querySelector("{STRIP}");
    return small * img.clientWidth / img.naturalWidth;
}}"""


# The widest number of the pooling diagram and its cells' side, in the SVG's units.
NUMBERS_FIT_JS = """() => [Math.max(...[...document.querySelectorAll('svg text.num')].map(t => t.getBBox().width)),
    +document.querySelector('svg rect.cell').getAttribute('width')]"""


def _pool_frame(pg):
    """The pooling diagram's frame (a Frame evaluates, a FrameLocator cannot), scrolled into view."""
    holder = pg.locator(POOL_FRAME)
    holder.scroll_into_view_if_needed()
    frame = holder.element_handle().content_frame()
    frame.wait_for_selector("svg text.num")
    return frame


@pytest.mark.parametrize("query", ["", "?present=1"], ids=["sidebar_open", "presenting"])
def test_feature_maps_on_a_1024_projector(browser, app_url, query):
    """At 1024 x 768, sidebar open or presenting: the whole-network strip (the main figure) starts above the fold
    and is >= 300 px each way; its labels, the pooling diagram's numbers and the charts' numbers and ticks read
    at >= 14 px (>= 18 presenting); presenting, the arrow keys step the pooling window; its GIF has a frame per
    pooled cell."""
    least = 18 if query else 14
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, f"Feature_maps{query}")
        assert pg.locator('[data-testid="stSidebar"]').is_visible() is not bool(query)
        strip = pg.locator(STRIP)
        strip.wait_for()
        pg.wait_for_function(f'() => document.querySelector("{STRIP}").naturalWidth > 0')
        box = strip.bounding_box()
        assert box["y"] < 668 and box["width"] >= 300 and box["height"] >= 300, box
        small = strip_font_px(figure_font_px(14, presenting=bool(query))) - 3  # network_strip's shape labels
        assert pg.evaluate(STRIP_LABEL_JS, small) >= least
        pg.locator(".st-key-fm_probs svg.main-svg text").first.wait_for()  # plotly draws a moment after the page
        chart = smallest_text(pg, ".st-key-fm_probs svg.main-svg")
        assert chart[1] >= least, chart
        frame = _pool_frame(pg)
        numbers = text_px(frame, "svg")
        assert min(px for _, px in numbers) >= least, numbers
        # The diagram's numbers are the map's: relu1 of digit 0 from torch, in the region its titles name.
        titles = [t for t, _ in numbers]
        source = re.fullmatch(r"relu1, map (\d+)", titles[0])
        rows = re.fullmatch(r"rows (\d+)–(\d+), cols (\d+)–(\d+)", titles[1])
        assert source and rows, titles[:2]
        top, bottom, left, right = map(int, rows.groups())
        region = conv2_of_digit_0("relu1")[int(source[1]), top : bottom + 1, left : right + 1]
        cells = frame.eval_on_selector_all("svg text.num", "ts => ts.map(t => t.textContent)")
        assert cells[: region.numel()] == [shown_number(float(v)) for v in region.flatten()], cells
        pooled = torch.nn.functional.max_pool2d(region[None], 2)[0]
        assert cells[-pooled.numel() :] == [shown_number(float(v)) for v in pooled.flatten()], cells
        widest, cell = frame.evaluate(NUMBERS_FIT_JS)
        assert widest < cell - 2, (widest, cell)  # "2.80" inside its cell, not running into the next
        for key in ("fm_pool_before", "fm_pool_after"):
            found = smallest_text(pg, f".st-key-{key} svg.main-svg")
            assert found[1] >= least, (key, found)
        assert frame.inner_text("#pos") == "output cell 1 of 9"
        if query:
            pg.evaluate("() => document.activeElement && document.activeElement.blur()")
            pg.keyboard.press("ArrowRight")
            frame.wait_for_function("() => document.querySelector('#pos').textContent === 'output cell 2 of 9'")
            readout = frame.inner_text("#readout")
            assert re.match(r"pool1 \(\d+, \d+\) = max\(", readout), readout
        with pg.expect_download() as info:
            pg.locator(".st-key-fm_pool_downloads").get_by_role("button", name="Download GIF").click()
        animation = Image.open(info.value.path())
        assert animation.format == "GIF" and animation.n_frames == 9  # 3 x 3 pooled cells
        assert animation.size[0] >= 400, animation.size
        with pg.expect_download() as info:
            pg.locator(".st-key-fm_pool_downloads").get_by_role("button", name="Download PNG").click()
        assert Image.open(info.value.path()).size[0] >= 800  # at 2x
        screenshot(pg, f"feature_maps_1024{'_presenting' if query else ''}")
    finally:
        context.close()


def test_feature_maps_on_a_phone(browser, app_url):
    """On a phone the maps are within a screen of the digit control, and the clicked map of its formula."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Feature_maps")
        pg.locator(STRIP).wait_for()
        control = pg.locator('input[aria-label="Test digit index"]').bounding_box()
        strip = pg.locator(STRIP).bounding_box()
        assert strip["y"] - (control["y"] + control["height"]) < 844, (control, strip)
        picture = pg.locator(".st-key-fm_unit_click").bounding_box()
        formula = pg.locator(".st-key-fm_unit_top [data-testid='stMarkdown']").first.bounding_box()
        assert abs(formula["y"] - picture["y"]) < 844, (picture, formula)
    finally:
        context.close()


def test_a_stale_layer_in_a_link_is_noted_under_the_title(browser, app_url):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Feature_maps?layer=nope")
        note = pg.locator(".st-key-fm_link_note")
        assert "has no layer nope: showing conv2 instead" in note.inner_text()
        assert note.bounding_box()["y"] < 300  # under the title, before the controls
        assert_no_exception(pg)
    finally:
        context.close()


def test_a_link_opens_the_same_unit_in_a_fresh_browser(browser, app_url):
    first = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        pg = first.new_page()
        pg.app_url = app_url
        open_page(pg, "Feature_maps?digit=4&layer=conv3&map=7&row=1&col=2")
        assert "test digit #4" in pg.locator("[data-testid='stMain']").inner_text()
        pg.get_by_role("button", name="Strongest unit of this map").click()
        wait_idle(pg)
        url = pg.url
        assert "layer=conv3" in url and "map=7" in url and "digit=4" in url, url
        shown = pg.locator(".st-key-fm_unit_top [data-testid='stMarkdown']").first.inner_text()
    finally:
        first.close()
    second = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        pg = second.new_page()
        pg.goto(url, wait_until="domcontentloaded")
        wait_idle(pg)
        pg.locator(".st-key-fm_unit_top").wait_for()
        assert pg.locator(".st-key-fm_unit_top [data-testid='stMarkdown']").first.inner_text() == shown
    finally:
        second.close()
