"""Nothing cut (issue 26): on a 1024 x 768 projector with the sidebar open and on a 390 x 844 phone, every select
box shows its whole value ("symmetric", not "symmetri"; "Shipped convnet", not "Shipped convr")."""

from __future__ import annotations

import pytest
from e2e_helpers import app_pages, assert_no_exception, open_page

# The text a select box shows sits in its combobox input. Its width is measured with the input's own font
# (a canvas), against the room inside the input's padding: an input's scrollWidth does not always grow
# with its text, a measured width does.
CUT_SELECTS_JS = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stSelectbox"] input[role="combobox"]')]
    .filter(input => { const r = input.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
    .map(input => {
      const s = getComputedStyle(input);
      canvas.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
      const text = canvas.measureText(input.value).width;
      const room = input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      return {label: input.getAttribute('aria-label'), value: input.value, text: Math.ceil(text),
              room: Math.floor(room), scroll: input.scrollWidth, client: input.clientWidth};
    });
}"""

SCREENS = {"projector": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("path", [url for url, _ in app_pages()])
def test_no_select_box_cuts_its_value_on_a_projector_or_a_phone(browser, app_url, path):
    for name, size in SCREENS.items():
        phone = name == "phone"
        context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
        context.set_default_timeout(60_000)
        try:
            pg = context.new_page()
            pg.app_url = app_url
            open_page(pg, path)
            selects = pg.evaluate(CUT_SELECTS_JS)
            assert_no_exception(pg)
        finally:
            context.close()
        shown = [s for s in selects if s["value"]]
        cut = [s for s in shown if s["text"] > s["room"] or s["scroll"] > s["client"]]
        assert not cut, f"{path} at {size['width']} px: select boxes cut their value: {cut}"
