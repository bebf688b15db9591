"""The text an AppTest page shows, for the page tests to search."""

from streamlit.testing.v1 import AppTest

KINDS = ("header", "subheader", "markdown", "caption", "code", "warning", "info", "error", "success")


def page_text(at: AppTest) -> str:
    """Every header, markdown, caption, code block and alert of ``at``, one per line."""
    return "\n".join(str(element.value) for kind in KINDS for element in getattr(at, kind))
