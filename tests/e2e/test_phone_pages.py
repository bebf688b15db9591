"""Evaluate and Translation invariance on a 390 x 844 phone (issue 26): the result within one screen of the
control that changes it, so a student never scrolls between the two."""

from __future__ import annotations

import pytest
from e2e_helpers import assert_clean, field, nudge_slider, open_page, picture_types, screenshot

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, app_url):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.app_url = app_url
    yield pg
    context.close()


def within_one_screen(control: dict, result: dict, seen: float = 200) -> bool:
    """With ``control`` at the top of the screen, the first ``seen`` px of ``result`` are on it too (the result
    may also stand above its control, as long as both fit one screen)."""
    top = min(control["y"], result["y"])
    bottom = max(control["y"] + control["height"], result["y"] + min(result["height"], seen))
    return bottom - top <= PHONE["height"]


def test_evaluate_the_confusion_matrix_is_within_a_screen_of_the_model_choice(phone):
    open_page(phone, "Evaluate")
    control = field(phone, "Model to look at in detail").bounding_box()
    matrix = phone.locator(".st-key-evaluate_confusion .js-plotly-plot").first
    matrix.wait_for()
    assert within_one_screen(control, matrix.bounding_box()), (control, matrix.bounding_box())
    assert matrix.bounding_box()["width"] <= PHONE["width"]  # no sideways scrolling
    assert_clean(phone)
    screenshot(phone, "phone_evaluate")


def test_translation_invariance_the_digit_and_both_answers_are_within_a_screen_of_the_shift(phone):
    open_page(phone, "Translation_invariance")
    nudge_slider(phone, "Shift right (dx, pixels)", 2)
    phone.get_by_text("shifted by dx=2, dy=0").wait_for()
    slider = phone.locator('[data-testid="stSlider"]').first.bounding_box()
    digit = phone.locator(".st-key-ti_shifted img").first.bounding_box()
    assert within_one_screen(slider, digit, seen=digit["height"]), (slider, digit)  # the whole digit
    for name in ("Shipped convnet", "Shipped dense baseline"):
        answer = phone.get_by_text(f"{name}: says").first.bounding_box()
        assert within_one_screen(slider, answer), (name, slider, answer)
    assert set(picture_types(phone)) == {"image/png"}  # the digits' pixels sharp, not a JPEG's blur
    assert_clean(phone)
    screenshot(phone, "phone_translation_invariance")
