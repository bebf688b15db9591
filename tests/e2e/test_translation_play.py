"""Translation invariance in presentation mode (issue 26): Space plays the shift, pixel by pixel, and both
networks' answers follow it; Space again pauses."""

from __future__ import annotations

import re

import torch
from e2e_helpers import assert_clean, open_page, wait_idle

from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import load_mnist
from cnnviz_ui.resources import SHIPPED
from cnnviz_ui.text import percent
from cnnviz_ui.translation_invariance import MAX_SHIFT

SHIFTED = re.compile(r"shifted by dx=(-?\d+), dy=(-?\d+)")


def _expected_answers(dx: int) -> dict[str, str]:
    """What each shipped network says about test digit #0 moved ``dx`` pixels right (zeros come in on the left),
    worked out here with torch, as the page words it: "says 7 (>99.9%)"."""
    digit = load_mnist("test")[0][0].float() / 255.0  # (28, 28)
    moved = torch.zeros_like(digit)
    moved[:, dx:] = digit[:, : digit.shape[1] - dx]
    said = {}
    for name, path in SHIPPED.items():
        model = load_checkpoint(path)[0].eval()
        with torch.no_grad():
            probabilities = torch.softmax(model(moved[None, None]), dim=1)[0]
        top = int(probabilities.argmax())
        said[name] = f"says {top} ({percent(float(probabilities[top]))})"
    return said


def _shift(pg) -> int:
    dx, dy = SHIFTED.search(pg.locator('[data-testid="stMain"]').inner_text()).groups()
    assert dy == "0"
    return int(dx)


def _answers(pg) -> dict[str, str]:
    text = pg.locator('[data-testid="stMain"]').inner_text()
    return {name: re.search(re.escape(name) + r": (says \d+ \([^)]*\))", text).group(1) for name in SHIPPED}


def _play_button(pg, label: str = ""):
    """The Play / Pause button (its text starts with the icon's name, "play_arrow" or "pause")."""
    return pg.locator(".st-key-step_play_ti button:visible", has_text=re.compile(label + "$"))


def test_space_plays_the_shift_and_the_answers_follow(browser, app_url):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.set_default_timeout(60_000)
    try:
        pg = context.new_page()
        pg.app_url = app_url
        open_page(pg, "Translation_invariance?present=1")
        assert _shift(pg) == 0
        _play_button(pg, "Play").wait_for()  # drawn a moment after the shift's text on a busy machine
        pg.keyboard.press(" ")  # presentation mode: Space presses the button in step_play_ti
        seen = {0}
        while max(seen) < 4:  # a pixel at a time, as the clock ticks
            pg.wait_for_function(
                "(last) => { const m = document.body.innerText.match(/shifted by dx=(-?\\d+)/);"
                " return m && Number(m[1]) !== last; }",
                arg=max(seen),
            )
            seen.add(_shift(pg))
        assert seen == set(range(max(seen) + 1)), f"the shift jumped: {sorted(seen)}"
        pg.keyboard.press(" ")  # pause
        _play_button(pg, "Play").wait_for()
        wait_idle(pg)
        paused = _shift(pg)
        assert 4 <= paused < MAX_SHIFT, paused
        assert _answers(pg) == _expected_answers(paused)
        pg.wait_for_timeout(1500)  # three ticks of the clock, had it kept running
        wait_idle(pg)
        assert _shift(pg) == paused, "a paused shift stays where it is"
        pg.keyboard.press(" ")  # play on to the end of the frame, where it stops by itself
        _play_button(pg, "Pause").wait_for()
        pg.wait_for_function(f"() => document.body.innerText.includes('shifted by dx={MAX_SHIFT}, dy=0')")
        _play_button(pg, "Play").wait_for()
        wait_idle(pg)
        assert _shift(pg) == MAX_SHIFT
        assert _answers(pg) == _expected_answers(MAX_SHIFT)
        assert pg.url.count(f"dx={MAX_SHIFT}") == 1, pg.url  # the link follows too
        assert_clean(pg)
    finally:
        context.close()
