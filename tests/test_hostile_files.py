"""Every hostile upload of the lecture hall through the loader every page uses (the browser path is in e2e/)."""

import re

import numpy as np
import pytest
from fixtures_hostile import digit_photo, gradient_png, hostile_files, over_limit_file
from hypothesis import given
from hypothesis import strategies as st

from cnnviz.images import MAX_SIDE, decode_image
from cnnviz.preprocess import to_mnist

FILES = hostile_files()


@pytest.mark.parametrize("file", FILES, ids=[f.name for f in FILES])
def test_each_file_is_refused_with_a_sentence_or_decoded(file):
    if file.refused:
        with pytest.raises(ValueError) as caught:
            decode_image(file.data)
        message = str(caught.value)
        assert re.search(file.words, message), message
        assert "\n" not in message and len(message) < 300, "one short line for the projector"
        return
    decoded = decode_image(file.data)
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.ndim in (2, 3)
    assert max(decoded.pixels.shape[:2]) <= MAX_SIDE
    if file.words:
        assert any(re.search(file.words, note) for note in decoded.notes), decoded.notes


def test_long_strip_keeps_its_shape():
    strip = next(f for f in FILES if f.name == "strip.png")
    assert decode_image(strip.data).pixels.shape == (5, 1024)  # 10,000 x 50 scaled by 1024 / 10,000


def test_over_limit_file_is_really_over_the_configured_limit():
    from cnnviz_ui.picker import UPLOAD_LIMIT_MB

    assert len(over_limit_file().data) > UPLOAD_LIMIT_MB * 1024 * 1024


def test_accepted_oddities_become_a_message_not_a_crash_in_preprocessing():
    # A 1x1 image or a 5-pixel-high strip cannot hold a digit: the Classify page must get a ValueError to show.
    for file in FILES:
        if file.refused:
            continue
        try:
            image = to_mnist(decode_image(file.data).pixels)
        except ValueError as exc:
            assert str(exc), file.name
        else:
            assert image.shape == (28, 28), file.name


def test_the_valid_fixtures_are_valid():
    assert decode_image(gradient_png()).pixels.shape == (64, 96, 3)
    photo, label = digit_photo(0)
    assert label == 7 and decode_image(photo).pixels.shape == (240, 240)


MARKUP = set("\\`*_[]<>|~&$")


@given(st.text(max_size=40))
def test_a_name_escaped_for_markdown_reads_back_as_typed(name):
    """``text.literal``: CommonMark reads a backslash before ASCII punctuation as that character, so
    dropping those backslashes gives the name back (newlines as spaces); no markup character is left bare."""
    from cnnviz_ui.text import literal

    shown = literal(name)
    assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", shown) == " ".join(name.splitlines())
    bare = re.sub(r"\\.", "", shown)  # what is left once every escaped pair is gone
    assert not MARKUP & set(bare), shown
    assert not re.search(r":[\w/]", bare), "a colon that starts a directive (:red[…]) or an icon (:material/…:)"
    # On the shown text itself: once the escaped pairs are dropped, "\\<=" would seem to start with "=" (a
    # hypothesis example that failed the check, not the page: the escaped "<" stands before it).
    assert not re.match(r"\s*(\d+[.)]|[#>+\-=])", shown), "a heading, quote or list at the start"


@pytest.mark.parametrize("own", ["test digit #3 (a 4)", "Shipped convnet", "Trained convnet (MNIST, 3 epochs, 98.9%)"])
def test_the_pages_own_names_are_left_as_they_are(own):
    from cnnviz_ui.text import literal

    assert literal(own) == own


def test_an_error_message_keeps_its_commands_and_quotes_what_was_typed_as_typed():
    """``common.message_text``: a `code` span (a command) stays code; what the student typed, quoted in the
    message, is escaped; the escapes dropped give the message back."""
    from cnnviz_ui.text import message_text

    typed = "padding must be a number of pixels, 'valid' or 'same', got '$x$ *y*'"
    assert message_text(typed) == "padding must be a number of pixels, 'valid' or 'same', got '\\$x\\$ \\*y\\*'"
    hint = "checkpoint x_1.pt not found; recreate it with `make train-shipped` (the exact commands are in the README)"
    shown = message_text(hint)
    assert "`make train-shipped`" in shown and "x\\_1.pt" in shown
    assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", shown) == hint
