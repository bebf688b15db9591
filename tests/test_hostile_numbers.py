"""Nonsense in every number and text box of every page: the page explains, it never raises.

For each page (and each setting that reveals more boxes, e.g. the Box kernel's size), every
``st.number_input`` and ``st.text_input`` on screen gets 0, -1, a huge value and, where the box takes
them, a fraction and text such as "nan"; after each value the page must have no exception. A browser
cannot send a number outside a box's min/max (it clamps), so those values are skipped for bounded boxes.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from streamlit.proto.NumberInput_pb2 import NumberInput as NumberInputProto
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "pages"
NUMBERS = (0, -1, 100_000, 1_000_000_000, 1e20, 2.5)  # 100,000: big enough to exhaust memory, small enough to try
RUN_TIMEOUT = 30  # s; a page still computing after this has hung on a value (a lecture hall would wait forever)
TEXTS = ("-1", "1e9", "nan", "abc", "", "2.5")

# (page file, settings that reveal more boxes): (kind, key, value), applied in order before the boxes are filled.
SCENARIOS = [
    ("1_Kernels.py", []),
    ("1_Kernels.py", [("radio", "kernels_kind", "Box")]),
    ("1_Kernels.py", [("radio", "kernels_kind", "Custom")]),
    ("1_Kernels.py", [("selectbox", "kernels_padding", "number")]),
    ("1_Kernels.py", [("radio", "kernels_source", "MNIST digit")]),
    ("2_Conv_arithmetic.py", []),
    ("3_Feature_maps.py", []),
    ("3_Feature_maps.py", [("radio", "fm_pick_by", "By class")]),
    ("4_Classify.py", [("radio", "classify_source", "MNIST test digit")]),
    ("5_Evaluate.py", []),
    ("6_Translation_invariance.py", []),
    ("6_Translation_invariance.py", [("radio", "ti_pick_by", "By class")]),
]


def _app(page: str, settings: list[tuple[str, str, object]]) -> AppTest:
    at = AppTest.from_file(str(PAGES / page), default_timeout=RUN_TIMEOUT).run()
    assert not at.exception, f"{page} fails with its default inputs: {at.exception[0].message}"
    for kind, key, value in settings:
        getattr(at, kind)(key=key).set_value(value).run()
        assert not at.exception, f"{page} fails after {key} = {value!r}: {at.exception[0].message}"
    return at


def _values_for(box) -> list:
    if box.type == "text_input":
        return list(TEXTS)
    proto = box.proto
    integer = proto.data_type == NumberInputProto.INT
    low = proto.min if proto.has_min else -math.inf
    high = proto.max if proto.has_max else math.inf
    return [v for v in NUMBERS if low <= v <= high and not (integer and v != int(v))]


def _boxes(at: AppTest) -> list:
    return [*at.number_input, *at.text_input]


@pytest.mark.parametrize(
    ("page", "settings"), SCENARIOS, ids=[f"{p}:{'+'.join(str(s[2]) for s in st) or 'default'}" for p, st in SCENARIOS]
)
def test_every_box_survives_nonsense(page, settings):
    at = _app(page, settings)
    keys = [box.key for box in _boxes(at)]
    failures = []
    for key in keys:
        box = next((b for b in _boxes(at) if b.key == key), None)
        if box is None:  # an earlier box's value hid it; the reset below brings it back next time
            continue
        original = box.value
        for value in _values_for(box):
            try:
                box.set_value(value).run()
            except RuntimeError as exc:  # AppTest's "script run timed out"
                failures.append(f"{key} = {value!r}: still running after {RUN_TIMEOUT} s ({exc})")
                at = _app(page, settings)  # a fresh session: the hung run is abandoned
            else:
                if at.exception:
                    failures.append(f"{key} = {value!r}: {at.exception[0].message}")
            box = next((b for b in _boxes(at) if b.key == key), None)
            if box is None:
                break
        if box is not None:
            box.set_value(original)  # sent with the next box's first value: no extra run
    assert not failures, f"{page} raised:\n" + "\n".join(failures)


def test_calculator_explains_impossible_layers():
    at = _app("2_Conv_arithmetic.py", [])
    cases = [("ar_conv_s", 0, "stride"), ("ar_conv_k", 0, "kernel"), ("ar_conv_k", 40, "kernel")]
    for key, value, word in cases:
        at.number_input(key=key).set_value(value).run()
        assert not at.exception
        assert at.error and word in at.error[0].value.lower(), (key, value, [e.value for e in at.error])
        at.number_input(key=key).set_value(3 if key == "ar_conv_k" else 1).run()
    at.text_input(key="ar_conv_p").set_value("-1").run()
    assert at.error and "padding" in at.error[0].value.lower()
    at.text_input(key="ar_conv_p").set_value("0").run()
    for key in ("ar_conv_h", "ar_conv_w"):
        at.number_input(key=key).set_value(10_000).run()
    assert not at.exception and not at.error
    assert any("9,998 x 9,998" in h.value for h in at.subheader), [h.value for h in at.subheader]


def test_kernels_page_explains_stride_zero_and_kernel_zero():
    at = _app("1_Kernels.py", [])
    at.number_input(key="kernels_stride").set_value(0).run()
    assert not at.exception and at.error and "stride" in at.error[0].value.lower()
    at.number_input(key="kernels_stride").set_value(1).run()
    at.radio(key="kernels_kind").set_value("Box").run()
    at.number_input(key="kernels_box_size").set_value(0).run()
    assert not at.exception and at.error, "a 0 x 0 box kernel is explained"


def test_train_form_refuses_nonsense_and_never_raises():
    """Submit every hostile value; anything that starts a run is stopped at once so no job outlives the test."""
    from cnnviz_ui.resources import training_slot

    at = _app("7_Train.py", [])
    submit = "train_start"
    at.selectbox(key="train_model").set_value("dense")
    baseline = {"train_limit": 256, "train_epochs": 1, "train_batch": 128, "train_lr": 0.003}
    failures, explained = [], 0
    for key in baseline:
        for value in _values_for(at.number_input(key=key)):
            for k, v in baseline.items():
                at.number_input(key=k).set_value(v)
            at.number_input(key=key).set_value(value)
            at.button(key=submit).click().run()
            if at.exception:
                failures.append(f"{key} = {value!r}: {at.exception[0].message}")
            explained += bool(at.error)
            job = training_slot().get(at.session_state["train_job"]) if "train_job" in at.session_state else None
            if job is not None:
                job.stop()
                job.join(120)
                del at.session_state["train_job"]
    deadline = time.time() + 60
    while training_slot().current() is not None and time.time() < deadline:
        time.sleep(0.2)
    assert not failures, "\n".join(failures)
    assert explained >= 6, "0 epochs, 0 batch size, negative images, 0 or huge learning rate are explained"
