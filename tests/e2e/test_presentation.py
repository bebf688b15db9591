"""Presentation mode, keyboard steps and downloads for slides in a real browser, on a tiny page
(tests/e2e/presentation_app.py) that uses the shared pieces as a page does."""

from __future__ import annotations

import io
import subprocess
from xml.etree import ElementTree

import pytest
from e2e_helpers import ROOT, free_port, start_server, wait_idle
from PIL import Image

from cnnviz.slides import title_band_px

FONT_PX_JS = """(text) => {
    const element = [...document.querySelectorAll('[data-testid="stMain"] p')].find(p => p.textContent.includes(text));
    return parseFloat(getComputedStyle(element).fontSize);
}"""


@pytest.fixture(scope="module")
def tiny_url():
    port = free_port()
    proc = start_server(
        port, ROOT / "artifacts" / "streamlit-e2e-presentation.log", script="tests/e2e/presentation_app.py"
    )
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def projector(browser, tiny_url):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.goto(f"{tiny_url}/?present=1", wait_until="domcontentloaded")
    wait_idle(pg)
    pg.wait_for_function("() => document.querySelectorAll('.st-key-cnnviz_keyboard').length === 1")
    yield pg
    context.close()


def diagram_position(pg) -> str:
    return pg.frame_locator("iframe").first.locator("#pos").inner_text()


def downloaded(pg, button_name: str) -> tuple[str, bytes]:
    with pg.expect_download() as info:
        pg.get_by_role("button", name=button_name).click()
    download = info.value
    return download.suggested_filename, open(download.path(), "rb").read()


def test_present_1_hides_the_sidebar_enlarges_type_and_the_keys_step_the_window(projector):
    pg = projector
    pg.wait_for_function(
        """() => getComputedStyle(document.querySelector('[data-testid="stSidebar"]')).display === 'none'"""
    )
    assert not pg.get_by_text("The sidebar's text").is_visible()
    assert pg.locator('[data-testid="stExpandSidebarButton"]:visible').count() == 0  # no way to open it either
    assert pg.evaluate(FONT_PX_JS, "Body text a lecturer projects.") >= 22
    assert (
        pg.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('[data-testid="stMain"] [data-testid="stCaptionContainer"]')).fontSize)""")
        >= 18
    )
    assert not pg.get_by_text("A LONG EXPLANATION").is_visible()
    assert pg.get_by_role("heading", name="Presentation test").bounding_box()["y"] < 60  # no blank band above
    assert pg.get_by_role("switch", name="Presentation mode").is_checked()

    assert diagram_position(pg) == "output cell 1 of 9"
    pg.evaluate("() => document.activeElement && document.activeElement.blur()")
    pg.keyboard.press("ArrowRight")
    pg.frame_locator("iframe").first.get_by_text("output cell 2 of 9").wait_for()
    pg.get_by_text("Steps taken: 1").wait_for()  # the page's own step button was pressed too
    wait_idle(pg)
    pg.keyboard.press("ArrowRight")
    pg.keyboard.press("ArrowLeft")
    pg.frame_locator("iframe").first.get_by_text("output cell 2 of 9").wait_for()
    pg.keyboard.press("Space")  # plays to the end
    pg.frame_locator("iframe").first.get_by_text("output cell 9 of 9").wait_for()


def test_without_present_the_page_is_as_usual(browser, tiny_url):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    pg = context.new_page()
    pg.goto(tiny_url, wait_until="domcontentloaded")
    wait_idle(pg)
    assert pg.get_by_text("The sidebar's text").is_visible()
    assert pg.get_by_text("A LONG EXPLANATION").is_visible()
    assert pg.evaluate(FONT_PX_JS, "Body text a lecturer projects.") < 22
    context.close()


def test_downloads_for_slides(projector):
    pg = projector
    name, png = downloaded(pg, "Download PNG")
    assert name == "a-dark-rectangle.png"
    assert Image.open(io.BytesIO(png)).size == (200, 120 + title_band_px("A dark rectangle", 200))

    name, gif = downloaded(pg, "Download GIF")
    animation = Image.open(io.BytesIO(gif))
    assert name == "window-3-x-3-on-5-x-5.gif"
    assert animation.format == "GIF" and animation.n_frames == 9  # a 3 x 3 kernel on 5 x 5: 9 outputs

    chart = pg.locator(".stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    assert chart.locator(".modebar-btn").count() == 3  # PNG, SVG and Streamlit's Fullscreen: no zoom, pan, logo
    buttons = chart.locator('.modebar-btn[data-title*="PNG" i]')
    drawn = chart.locator(".main-svg").first.bounding_box()
    with pg.expect_download() as info:
        buttons.first.click()
    assert info.value.suggested_filename == "a-heat-map.png"
    shot = Image.open(info.value.path())
    assert shot.size == (round(2 * drawn["width"]), round(2 * drawn["height"]))  # the chart at 2x, title included

    svg_button = chart.locator(".modebar-btn.cnnviz-svg")
    assert svg_button.get_attribute("data-title") == "Download plot as an SVG"
    with pg.expect_download() as info:
        svg_button.click()
    assert info.value.suggested_filename == "a-heat-map.svg"
    svg = ElementTree.parse(info.value.path()).getroot()
    assert svg.tag.endswith("svg")
    texts = ["".join(t.itertext()) for t in svg.iter() if t.tag.endswith("}text")]
    assert "A heat map" in texts  # its title, as text a slide program can edit
    assert {"0", "1", "2"} <= set(texts)  # the y axis' tick labels
    # One click of SVG leaves the PNG button as it was.
    with pg.expect_download() as info:
        buttons.first.click()
    assert info.value.suggested_filename == "a-heat-map.png"
