"""The Kernels page in the lecture hall (issue 26): a 1024 x 768 projector with the sidebar open and closed, a
phone, a link opened in a fresh browser, and a PNG for a slide."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from e2e_helpers import assert_clean, choose, fill_number, open_page, screenshot, wait_idle
from PIL import Image

from cnnviz.slides import title_band_px

OUTPUT_PICTURE = ".st-key-kernels_output_plot .imagelayer image"
BOX_JS = (
    "(selector) => { const r = document.querySelector(selector).getBoundingClientRect(); "
    "return {top: r.top, bottom: r.bottom, width: r.width, height: r.height}; }"
)


def _context(browser, width: int, height: int, **options):
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(60_000)
    return context


def _output_box(pg) -> dict:
    pg.locator(OUTPUT_PICTURE).first.wait_for()
    pg.wait_for_timeout(500)  # plotly's last resize to the fitted height
    return pg.evaluate(BOX_JS, OUTPUT_PICTURE)


@pytest.mark.parametrize("sidebar", ["open", "closed"])
def test_the_output_is_large_and_on_a_1024_x_768_projector(browser, app_url, sidebar):
    context = _context(browser, 1024, 768)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Kernels")
        if sidebar == "closed":
            pg.locator('[data-testid="stSidebar"]').hover()
            pg.locator('[data-testid="stSidebarCollapseButton"] button').click()
            pg.wait_for_function(
                "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().right < 50"
            )
            wait_idle(pg)
        box = _output_box(pg)
        assert box["top"] < 768 and box["bottom"] <= 768, box  # the whole picture is on the screen
        assert box["width"] >= 300 and box["height"] >= 300, box
        stride = pg.locator('input[aria-label="Stride"]').bounding_box()
        assert stride["y"] + stride["height"] <= 768, stride  # and the controls beside it
        assert_clean(pg)
        screenshot(pg, f"kernels_hall_1024_sidebar_{sidebar}")
    finally:
        context.close()


def test_on_a_phone_the_picker_is_in_the_page_and_the_output_within_one_screen_of_it(browser, app_url):
    context = _context(browser, 390, 844, is_mobile=True, has_touch=True)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Kernels")
        picker = pg.locator('[data-testid="stMain"] [data-testid="stRadio"]').filter(has_text="Image source").first
        assert picker.is_visible()
        assert pg.locator('[data-testid="stSidebar"] [data-testid="stRadio"]').count() == 0
        assert pg.locator('[data-testid="stMain"]').get_by_text("Upload", exact=True).first.is_visible()
        top = picker.bounding_box()["y"]
        box = _output_box(pg)
        assert box["top"] - top < 844, (top, box)
        assert box["width"] >= 300, box
        assert_clean(pg)
    finally:
        context.close()


def test_a_link_opens_the_same_view_in_a_fresh_browser(browser, app_url):
    first = _context(browser, 1440, 900)
    try:
        pg = first.new_page()
        pg.app_url = app_url
        open_page(pg, "Kernels")
        choose(pg, "Kernel preset", "Sobel y")
        fill_number(pg, "Stride", 2)
        pg.locator('[data-testid="stMain"]').get_by_text("Convolution (rotate 180°)").click()
        wait_idle(pg)
        pg.wait_for_function("() => location.search.includes('stride=2') && location.search.includes('conv=1')")
        url = pg.url
    finally:
        first.close()
    assert "preset=Sobel+y" in url or "preset=Sobel%20y" in url, url
    fresh = _context(browser, 1440, 900)
    try:
        pg = fresh.new_page()
        pg.goto(url, wait_until="domcontentloaded")
        wait_idle(pg)
        pg.locator(".st-key-kernels_kernel_plot").get_by_text("Sobel y").first.wait_for()
        assert pg.locator('input[aria-label="Stride"]').input_value() == "2"
        assert pg.get_by_role("switch", name="Convolution (rotate 180°)").is_checked()
        pg.get_by_text("Output · 256 x 256").first.wait_for()
        assert_clean(pg)
        pg.goto(url.split("?")[0] + "?stride=0&preset=Nope", wait_until="domcontentloaded")
        wait_idle(pg)
        notes = pg.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').all_inner_texts()
        assert any("The link's stride=0 was ignored" in n for n in notes), notes
        pg.get_by_text("Output · 512 x 512").first.wait_for()  # the defaults, no crash
        assert_clean(pg)
    finally:
        fresh.close()


def test_the_output_downloads_as_a_png_twice_as_large_with_its_title(browser, app_url):
    context = _context(browser, 1440, 900, accept_downloads=True)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Kernels")
        with pg.expect_download() as info:
            pg.locator(".st-key-kernels_download").get_by_role("button").click()
        download = info.value
        assert download.suggested_filename == "output-512-x-512.png"
        picture = Image.open(io.BytesIO(Path(download.path()).read_bytes()))
        assert picture.size == (1024, 1024 + title_band_px("Output · 512 x 512", 1024)), picture.size
    finally:
        context.close()


def _popover_link(pg) -> str:
    """Open the "Copy link to this view" popover, read its link, close it again."""
    pg.locator(".st-key-kernels_output_buttons").get_by_role("button", name="Copy link to this view").click()
    code = pg.locator('[data-testid="stPopoverBody"] code').first
    code.wait_for()
    link = code.inner_text().strip()
    pg.keyboard.press("Escape")
    code.wait_for(state="hidden")
    return link


def test_the_copied_link_follows_a_click_in_the_pixel_inspector(browser, app_url):
    """A click in the inspector reruns only its fragment: the link offered must still be the new view's."""
    context = _context(browser, 1440, 900)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Kernels")
        before = parse_qs(urlparse(_popover_link(pg)).query)
        picker = pg.frame_locator(".st-key-kernels_inspect_click iframe").locator("#image.fullWidth")
        picker.evaluate("img => img.decode()")
        box = picker.bounding_box()
        picker.click(position={"x": 0.8 * box["width"], "y": 0.2 * box["height"]})
        where = pg.get_by_text(re.compile(r"Output pixel \(row \d+, column \d+\)")).first
        pg.wait_for_function("() => !document.body.innerText.includes('Output pixel (row 256, column 256)')")
        wait_idle(pg)
        row, col = map(int, re.findall(r"\d+", where.inner_text())[:2])
        assert row < 200 and col > 300, (row, col)  # the click's pixel, up and to the right
        link = parse_qs(urlparse(_popover_link(pg)).query)
        assert (link.get("row"), link.get("col")) == ([str(row)], [str(col)]), (before, link)
        assert link == parse_qs(urlparse(pg.url).query), (link, pg.url)  # the same as the address bar
        assert_clean(pg)
    finally:
        context.close()


def test_the_output_goes_full_screen_with_sharp_pixels(browser, app_url):
    """Streamlit's Fullscreen button on the plotly toolbar (``slides.plotly_config`` keeps it): the output fills
    the projector's height, its pixels drawn as squares (image-rendering: pixelated), not blurred."""
    context = _context(browser, 1024, 768)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Kernels")
        _output_box(pg)
        chart = pg.locator(".st-key-kernels_output_plot")
        chart.hover()
        chart.locator('.modebar-btn[data-title="Fullscreen"]').click()
        pg.locator('.modebar-btn[data-title="Close fullscreen"]').wait_for()
        pg.wait_for_function(f"() => document.querySelector('{OUTPUT_PICTURE}').getBoundingClientRect().height > 500")
        box = _output_box(pg)
        assert box["height"] >= 0.75 * 768 and box["width"] >= 0.75 * 768, box
        assert pg.locator(OUTPUT_PICTURE).first.evaluate("i => getComputedStyle(i).imageRendering") == "pixelated"
        pg.keyboard.press("Escape")
        pg.locator('.modebar-btn[data-title="Close fullscreen"]').wait_for(state="detached")
        assert_clean(pg)
    finally:
        context.close()
