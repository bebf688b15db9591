"""Words and escaping shared by the pages: class names in sentences, probabilities, text shown as typed."""

from __future__ import annotations

import re
from collections.abc import Sequence

# What Streamlit's markdown reads as markup anywhere in a line (emphasis, code, links, HTML, entities, tables,
# strikethrough, LaTeX's $ and the ":red[…]" directives), and at a line's start only (a heading, a quote, a list).
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>|~&$]|:(?=[\w/]))")  # a colon only where a directive name follows
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_LINE_START_MARKUP = re.compile(r"^(\s*(?:\d+)?)([#>+\-=.)])")


def a_digit(digit: int) -> str:
    """ "a 7", but "an 8" (and "an 11", "an 18" for class numbers beyond the digits)."""
    return f"an {digit}" if str(digit).startswith("8") or digit in (11, 18) else f"a {digit}"


def class_name(index: int, names: Sequence[str] | None = None) -> str:
    """A class as the student knows it: the digit itself (``names`` None, MNIST), or its name (a piece of clothing)."""
    return str(index) if names is None else names[index]


def test_item(names: Sequence[str] | None = None) -> str:
    """What one test image is called: "digit" (``names`` None, MNIST), else "image" (a photo of clothes)."""
    return "digit" if names is None else "image"


def a_class(index: int, names: Sequence[str] | None = None) -> str:
    """A class in a sentence: "a 7" (``a_digit``), or its name, "Sneaker"."""
    return a_digit(index) if names is None else names[index]


def literal(text: str) -> str:
    """``text`` as it was typed, for a name the user chose inside Streamlit markdown (an alert, a caption, a
    button label): each markup character is backslash-escaped, so an upload called ``$a^2$_*b*.png`` is
    shown as that, not as maths and italics. Only what is markup where it stands is escaped, so the page's
    own names ("test digit #3 (a 4)") read the same in the markdown as on the page. The HTML cards escape with
    ``html.escape`` instead."""
    text = _INLINE_MARKUP.sub(r"\\\1", " ".join(text.splitlines()))
    return _LINE_START_MARKUP.sub(r"\1\\\2", text)


def message_text(message: object) -> str:
    """An error's message (an exception, or its text) for Streamlit markdown: its `code` spans (a command to
    run) stay code, the rest is ``literal``, because it can quote what the student typed (padding "$x$" →
    "… got '$x$'")."""
    parts = _CODE_SPAN.split(str(message))
    return "".join(part if _CODE_SPAN.fullmatch(part) else literal(part) for part in parts)


def percent(p: float) -> str:
    """A probability for people: never "100.0%" for a softmax that is merely very sure."""
    return ">99.9%" if 0.999 <= p < 1 else "<0.1%" if 0 < p < 0.0005 else f"{p:.1%}"


def bar_label(p: float) -> str:
    """The short probability label of a bar (and of an Evaluate mistake card): none under 5 % (they would
    collide in a narrow chart; hovering shows them), and never "100%" for a softmax that is merely very sure.
    From 99.5 % on it has the sentence's one decimal (``percent``), so a bar agrees with the heading above it.
    """
    if p < 0.05:
        return ""
    if 0.995 <= p < 1:
        return percent(p)
    return f"{p:.0%}"
