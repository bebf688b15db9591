"""Conv arithmetic in a real browser: the transposed diagram steps, fits a projector and a phone, its link opens
the same view in a fresh browser, and its GIF has one frame per output cell (issues 26 and 27)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from e2e_helpers import assert_clean, click_radio, field, fill_number, open_page, screenshot, wait_idle
from PIL import Image

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


@pytest.mark.parametrize("screen", [(390, 844)], indirect=True)
def test_on_a_phone_the_diagram_is_within_a_screen_of_its_last_control(screen):
    pg = screen
    open_page(pg, "Conv_arithmetic")
    assert_clean(pg)
    last_control = field(pg, "Groups").bounding_box()
    diagram = pg.locator(DIAGRAM).first.bounding_box()
    assert diagram["y"] - (last_control["y"] + last_control["height"]) < 844, (last_control, diagram)
    assert diagram["width"] <= 390


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
