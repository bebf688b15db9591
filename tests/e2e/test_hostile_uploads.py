"""Hostile uploads through the browser's real upload path, one after another on the same page.

Each refused file must get a one-line st.error naming the file; each odd-but-valid file must be shown
(with its st.info note); no exception ever; and afterwards a normal upload must work on the same page.
"""

from __future__ import annotations

import re

from e2e_helpers import assert_no_exception, click_radio, error_texts, open_page, screenshot, upload, wait_idle
from fixtures_hostile import digit_photo, gradient_png, hostile_files, over_limit_file

FILES = hostile_files()


def _texts(page, kind: str) -> list[str]:
    return [t.strip() for t in page.locator(f'[data-testid="stAlertContent{kind}"]').all_inner_texts()]


def _upload_each(page, files, digit_page: bool = False) -> list[str]:
    """Upload every file in turn; return what went wrong (empty when every file was handled well).

    On a digit page an odd-but-valid image (1 x 1, a 5-pixel strip) may be refused as a digit: fine,
    as long as it is explained in one line naming the file.
    """
    problems = []
    for file in files:
        upload(page, file.name, file.data, file.mime)
        if page.locator('[data-testid="stException"]').count():
            problems.append(f"{file.name}: an exception is shown")
            continue
        errors = [e for e in error_texts(page) if file.name in e]
        if file.refused:
            if not errors:
                problems.append(f"{file.name}: refused without an st.error naming it")
            elif not re.search(file.words, errors[0]) or "\n" in errors[0].strip():
                problems.append(f"{file.name}: unclear error {errors[0]!r}")
        elif errors and not digit_page:
            problems.append(f"{file.name}: a valid image was refused: {errors[0]!r}")
        elif file.words and not any(re.search(file.words, t) for t in _texts(page, "Info")):
            problems.append(f"{file.name}: no note matching {file.words!r}; infos: {_texts(page, 'Info')}")
    return problems


def test_kernels_page_survives_every_hostile_upload(page):
    open_page(page, "Kernels")
    click_radio(page, "Upload")
    problems = _upload_each(page, FILES)
    # The long strip becomes 1024 x 5: the output must still be drawn, not an error.
    upload(page, "strip.png", next(f for f in FILES if f.name == "strip.png").data)
    page.get_by_text("Output · 5 x 1024").wait_for()
    # Stood on end, the pixel inspector's clickable picture keeps its own height (about 320 px; stretched to the
    # column's width it was 2,500 px tall and pushed the window, kernel and products screens down).
    upload(page, "tall.png", gradient_png(50, 10_000))
    page.get_by_text("Output · 1024 x 5").wait_for()
    wait_idle(page)
    picker = page.frame_locator(".st-key-kernels_inspect_click iframe").locator("img").bounding_box()
    if not (picker and 300 <= picker["height"] <= 360 and picker["width"] < picker["height"]):
        problems.append(f"tall.png: the inspector's picture is {picker} (want about 320 px tall)")
    big = over_limit_file()
    upload(page, big.name, big.data, big.mime)
    uploader = page.locator('[data-testid="stFileUploader"]').first.inner_text()
    if not re.search(big.words, uploader):
        problems.append(f"{big.name}: no size-limit message in the uploader: {uploader!r}")
    screenshot(page, "hostile_kernels_over_limit")
    upload(page, "gradient.png", gradient_png(96, 64))
    page.get_by_text("Output · 64 x 96").wait_for()  # the next valid upload works
    assert_no_exception(page)
    assert not error_texts(page)
    assert not problems, "\n".join(problems)


def test_classify_page_survives_every_hostile_upload(page):
    open_page(page, "Classify")
    click_radio(page, "Upload a photo")
    problems = _upload_each(page, FILES, digit_page=True)
    screenshot(page, "hostile_classify_last")
    photo, label = digit_photo(0)
    upload(page, "digit.png", photo)
    page.get_by_text(f"Prediction: {label}").wait_for()  # the next valid upload works
    assert_no_exception(page)
    assert not problems, "\n".join(problems)


def test_feature_maps_page_survives_hostile_uploads(page):
    open_page(page, "Feature_maps")
    click_radio(page, "Upload an image")
    some = [f for f in FILES if f.name in ("notes.png", "truncated.jpg", "bomb.png", "one_pixel.png")]
    problems = _upload_each(page, some, digit_page=True)
    photo, label = digit_photo(0)
    upload(page, "digit.png", photo)
    page.get_by_text(f"Prediction: {label}").wait_for()
    assert_no_exception(page)
    assert not problems, "\n".join(problems)


def test_a_file_name_is_shown_as_typed_even_where_it_starts_a_line(page):
    """The warning for a picture with no digit starts with the file's name: a name starting with "# " made
    it a heading, "$x$" maths and "*y*" italics (``text.literal``)."""
    one_pixel = next(f for f in FILES if f.name == "one_pixel.png")
    name = "# 1. $x$ *y* ~z~.png"
    open_page(page, "Feature_maps")
    click_radio(page, "Upload an image")
    upload(page, name, one_pixel.data)
    warnings = _texts(page, "Warning")
    assert len(warnings) == 1 and warnings[0].startswith(f"{name}: "), warnings
    assert not page.locator('[data-testid="stAlertContentWarning"] :is(h1, h2, h3, ol, .katex, em, del)').count()
    assert_no_exception(page)
