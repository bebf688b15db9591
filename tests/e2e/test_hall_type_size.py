"""Type size measured in the browser (issue 26): on a 1024 x 768 projector the numbers a student reads off Kernels
(the kernel's weights, the pixel inspector's window, weights and products), Translation invariance and Classify
(the probabilities) are at least 14 px, and at least 18 px in presentation mode."""

from __future__ import annotations

import re
import time

import pytest
from e2e_helpers import assert_clean, open_page, text_px

NUMBER = re.compile(r".*\d.*")  # any text with a number in it: "-1", ">99.9%", "3: <0.1% · 2: <0.1% (runners-up)"
# Page, the figures whose numbers are measured, and how many numbers at least each must show (a number hidden
# because it would not fit its cell is not measured, so the counts keep the test from passing on nothing).
FIGURES = {
    "Kernels": {
        ".st-key-kernels_kernel_plot": 9,  # the 3 x 3 lecture edge kernel
        ".st-key-kernels_inspect_window": 9,
        ".st-key-kernels_inspect_weights": 9,
        ".st-key-kernels_inspect_products": 9,
    },
    "Translation_invariance": {'[class*="st-key-ti_probs_"]': 2 * 12},  # two charts: classes and percentages
    # The top-5's probabilities, and every model's answer with its runners-up
    "Classify?source=MNIST+test+digit": {".cnnviz-prediction": 5, ".cnnviz-models": 2},
}


def _numbers(pg, selector: str) -> list[tuple[str, float]]:
    return [(text, px) for text, px in text_px(pg, selector) if NUMBER.match(text)]


@pytest.mark.parametrize("presenting", [False, True], ids=["normal", "presenting"])
@pytest.mark.parametrize("path", list(FIGURES))
def test_numbers_in_figures_are_readable_from_the_back_of_the_hall(browser, app_url, path, presenting):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.set_default_timeout(60_000)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        query = ("&" if "?" in path else "?") + "present=1" if presenting else ""
        open_page(pg, path + query)
        smallest = 18 if presenting else 14
        for selector, count in FIGURES[path].items():
            numbers = _numbers(pg, selector)
            deadline = time.monotonic() + 30  # plotly draws its text after the page's script has finished
            while len(numbers) < count and time.monotonic() < deadline:
                pg.wait_for_timeout(200)
                numbers = _numbers(pg, selector)
            assert len(numbers) >= count, (selector, text_px(pg, selector))
            pg.wait_for_timeout(300)  # plotly's last resize to its column
            numbers = _numbers(pg, selector)
            small = [(text, px) for text, px in numbers if px < smallest]
            assert not small, f"{path} {selector}: numbers under {smallest} px: {small}"
        assert_clean(pg)
    finally:
        context.close()
