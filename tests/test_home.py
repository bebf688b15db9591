"""The Home page's cards: one per page, in the sidebar's (the lecture's) order however the screen stacks them."""

import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from e2e_helpers import app_pages  # noqa: E402


def test_cards_follow_the_lecture_order_in_the_page_tree():
    # A phone stacks Streamlit's columns one after the other in the order of the page tree, so the tree's
    # order is what a student on a phone reads (cards filled column by column read K, Classify, Train, ...).
    titles = [title for _, title in app_pages()]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    labels = [link.proto.label for link in at.get("page_link")]
    assert labels == [f"**{title}**" for title in titles] and len(titles) == 8
