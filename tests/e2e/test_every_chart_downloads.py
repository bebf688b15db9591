"""Issue 26: every plotly chart of every page can go into a slide: its toolbar has PNG (2x, titled) and SVG
downloads and Streamlit's full screen, and nothing else (no zoom or pan for a finger to catch)."""

from __future__ import annotations

import pytest
from e2e_helpers import app_pages, assert_clean, open_page

TOOLBARS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .filter(chart => chart.getBoundingClientRect().width > 0)  // a hidden tab's charts draw no toolbar yet
    .map(chart => [
        (chart.closest('[class*="st-key-"]') || {className: 'no key'}).className.match(/st-key-\\S+/)?.[0] || '?',
        [...chart.querySelectorAll('.modebar-btn')].map(b => b.dataset.title || b.getAttribute('aria-label'))])"""

# Pages whose first view has charts (Classify's results are HTML cards; Train's curves come with a run;
# Conv arithmetic's chart is on its receptive-field tab).
CHARTED = {"Kernels", "Feature_maps", "Photos", "Evaluate", "Translation_invariance"}


@pytest.mark.parametrize("path", [path for path, _ in app_pages()])
def test_every_chart_on_the_page_downloads_as_png_and_svg(browser, app_url, path):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(60_000)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, path)
        pg.wait_for_timeout(500)  # plotly draws its toolbar a moment after the chart, the SVG button after it
        toolbars = pg.evaluate(TOOLBARS_JS)
        if path in CHARTED:
            assert toolbars, f"{path} shows no chart"
        for key, titles in toolbars:
            assert any("png" in (t or "").lower() for t in titles), (path, key, titles)
            assert "Download plot as an SVG" in titles, (path, key, titles)
            assert not [t for t in titles if any(w in (t or "").lower() for w in ("zoom", "pan", "autoscale"))]
        assert_clean(pg)
    finally:
        context.close()
