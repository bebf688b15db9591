"""Feature maps in a real browser: click one conv2 value and read how it is computed (issue 24); the page on a
1024 x 768 projector and a phone, and a link opened in a fresh browser (issue 26)."""

from __future__ import annotations

import re

import pytest
import torch
from e2e_helpers import ROOT, open_page, wait_idle

from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import load_dataset

CONVNET = ROOT / "assets" / "mnist_convnet.pt"
pytestmark = pytest.mark.skipif(not CONVNET.is_file(), reason="no shipped convnet in assets/")
FORMULA = re.compile(r"conv2, map (\d+), row (\d+), column (\d+) = (-?\d+\.\d{4})")


def conv2_of_digit_0() -> torch.Tensor:
    """The oracle: conv2's maps (64, 11, 11) of the shipped convnet on test digit 0, from torch."""
    model, _ = load_checkpoint(CONVNET)
    images, _ = load_dataset("MNIST", "test")
    with torch.no_grad():
        return dict(model.eval().forward_layers(images[0].float().div(255)[None, None]))["conv2"][0]


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


def test_feature_maps_on_a_1024_projector_and_a_phone(browser, app_url):
    """The whole-network strip (the page's main figure) starts above the fold at 1024 x 768 when presenting, and
    fills the width; on a phone the clicked map and its formula are within a screen of each other."""
    for viewport, query in (({"width": 1024, "height": 768}, "?present=1"), ({"width": 390, "height": 844}, "")):
        context = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 500)
        try:
            pg = context.new_page()
            pg.app_url = app_url
            open_page(pg, f"Feature_maps{query}")
            strip = pg.locator(".st-key-fm_strip [data-testid='stImage'] img")
            strip.wait_for()
            if viewport["width"] == 1024:
                box = strip.bounding_box()
                assert box["y"] < 768 and box["width"] >= 300, box
            else:
                picture = pg.locator(".st-key-fm_unit_click").bounding_box()
                formula = pg.locator(".st-key-fm_unit_top [data-testid='stMarkdown']").first.bounding_box()
                assert abs(formula["y"] - picture["y"]) < 844, (picture, formula)
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
