"""The Home page's cards: one per page, in the sidebar's (the lecture's) order however the screen stacks them."""

import ast
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def test_cards_follow_the_lecture_order_in_the_page_tree():
    # A phone stacks Streamlit's columns one after the other in the order of the page tree, so the tree's
    # order is what a student on a phone reads (cards filled column by column read K, Classify, Train, ...).
    source = (ROOT / "app.py").read_text()
    pages = next(node.value for node in ast.parse(source).body  # read, not imported: importing runs the app
                 if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES")  # fmt: skip
    titles = [title for _, _, _, title, _ in ast.literal_eval(pages)]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    labels = [link.proto.label for link in at.get("page_link")]
    assert labels == [f"**{title}**" for title in titles] and len(titles) == 7
