"""Classify page with Streamlit's AppTest: every digit source, hostile uploads, model comparison, Grad-CAM."""

import io
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFont
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "4_Classify.py")
pytestmark = pytest.mark.skipif(not (ROOT / "assets" / "mnist_convnet.pt").is_file(), reason="no shipped checkpoint")


def png(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def digit_photo(digit: int = 3) -> bytes:
    image = Image.new("RGB", (400, 300), (235, 232, 220))  # off-white paper
    ImageDraw.Draw(image).text(
        (200, 150), str(digit), fill=(30, 30, 40), anchor="mm", font=ImageFont.load_default(size=200)
    )
    return png(image, "JPEG", quality=85)


def texts(at: AppTest) -> str:
    """Every markdown and st.html text on the page (the results are st.html blocks: see cnnviz_ui.cards)."""
    return " ".join([m.value for m in at.markdown] + [h.value for h in at.get("html")])


def open_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    return at


def test_first_launch_asks_for_a_drawing_and_never_crashes():
    at = open_page()
    assert at.selectbox(key="classify_model").value == "Shipped convnet"
    assert any("Draw a digit" in i.value for i in at.info)  # the canvas is empty at first
    assert "answer appears here" in texts(at) and "Prediction:" not in texts(at)  # where the answer will be


def test_mnist_test_digit_is_classified_with_top5_and_grad_cam():
    at = open_page()
    at.radio(key="classify_source").set_value("MNIST test digit").run()
    at.number_input(key="classify_test_index").set_value(0).run()  # test image 0 is a 7
    assert not at.exception
    assert "Prediction: 7" in texts(at) and "correct" in texts(at)
    # The top-5 bars are as long as the model's own softmax says (torch is the oracle).
    from cnnviz.checkpoints import load_checkpoint
    from cnnviz.data import load_mnist

    model, _ = load_checkpoint(ROOT / "assets" / "mnist_convnet.pt")
    images, _ = load_mnist("test")
    with torch.no_grad():
        probabilities = torch.softmax(model(images[:1].float().div(255).unsqueeze(1)), 1)[0]
    expected = torch.sort(probabilities, descending=True).values[:5].numpy() * 100
    prediction = next(h.value for h in at.get("html") if "cnnviz-prediction" in h.value)
    widths = [float(w) for w in re.findall(r"cnnviz-bar. style=.display:block;width:([0-9.]+)%", prediction)]
    np.testing.assert_allclose(widths, expected, atol=0.01)
    assert "Where it looked for a 7" in texts(at) and "Grad-CAM on conv3 for class 7" in texts(at)
    assert "Shipped dense baseline" in texts(at)  # every model's answer, side by side
    assert "Your own model appears here after you train one" in texts(at)  # this session has none yet


def test_uploaded_photo_goes_through_preprocessing():
    at = open_page()
    at.radio(key="classify_source").set_value("Upload a photo").run()
    at.file_uploader(key="classify_upload").upload("three.jpg", digit_photo(3), "image/jpeg").run()
    assert not at.exception and not at.error
    assert "Prediction: 3" in texts(at)
    assert "6. Centred 28 x 28" in texts(at)  # the preprocessing steps are shown
    assert any("MB" in c.value for c in at.caption)  # the upload limit is stated


HOSTILE = {
    "empty.png": b"",
    "notes.png": b"this is a text file, renamed",
    "truncated.png": png(Image.new("L", (200, 200), 255))[:60],
    "truncated.jpg": digit_photo()[:400],
    "dot.png": png(Image.new("L", (1, 1), 0)),
    "strip.png": png(Image.new("L", (10_000, 50), 255)),
    "blank.png": png(Image.new("L", (640, 480), 248)),
    "cmyk.jpg": png(Image.new("CMYK", (64, 64), (0, 0, 0, 0)), "JPEG"),
}


def test_hostile_uploads_give_one_line_messages_and_the_next_upload_works():
    at = open_page()
    at.radio(key="classify_source").set_value("Upload a photo").run()
    for name, data in HOSTILE.items():
        at.file_uploader(key="classify_upload").upload(name, data, "image/png").run()
        assert not at.exception, name
        messages = [m.value for m in (*at.error, *at.warning)]
        assert len(messages) == 1 and "\n" not in messages[0], (name, messages)
        assert "Prediction:" not in texts(at), name
    at.file_uploader(key="classify_upload").upload("seven.jpg", digit_photo(7), "image/jpeg").run()
    assert not at.exception and not at.error and not at.warning
    assert "Prediction: 7" in texts(at)


def test_dense_model_explains_why_there_is_no_grad_cam():
    at = open_page()
    at.selectbox(key="classify_model").set_value("Shipped dense baseline").run()
    at.radio(key="classify_source").set_value("MNIST test digit").run()
    assert not at.exception and not at.error
    assert "no convolution layers" in texts(at) and "Grad-CAM on conv3" not in texts(at)


def test_a_broken_checkpoint_shows_the_command_that_recreates_it(monkeypatch, tmp_path):
    from cnnviz_ui import resources

    broken = tmp_path / "mnist_convnet.pt"
    broken.write_bytes(b"not a checkpoint")
    monkeypatch.setitem(resources.SHIPPED, "Shipped convnet", broken)
    resources.shipped_model.clear()
    try:
        at = open_page()
        assert any("make train-shipped" in e.value or "checkpoint" in e.value for e in at.error)
    finally:
        resources.shipped_model.clear()


def test_drawing_canvas_rgba_is_preprocessed():
    """What the canvas returns (black strokes on transparent RGBA) reads as the digit drawn."""
    from cnnviz.checkpoints import load_checkpoint
    from cnnviz.predict import top_k
    from cnnviz.preprocess import to_mnist

    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[40:240, 130:152, 3] = 255  # a "1": one vertical stroke, black, opaque
    model, _ = load_checkpoint(ROOT / "assets" / "mnist_convnet.pt")
    assert top_k(model, to_mnist(rgba), 1)[0][0] == 1


def test_each_prediction_logs_its_script_time_when_asked(monkeypatch, tmp_path):
    """bench/load_test.py reads these lines to tell the server's share of a prediction from the browsers'."""
    from cnnviz_ui import classify

    log = tmp_path / "timing.log"
    monkeypatch.setattr(classify, "TIMING_LOG", str(log))
    at = open_page()
    assert not log.exists()  # no digit yet, nothing classified
    at.radio(key="classify_source").set_value("MNIST test digit").run()
    at.number_input(key="classify_test_index").set_value(1).run()
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [what for *_, what in lines] == ["classify", "classify"]  # one per prediction shown
    assert all(float(seconds) >= 0 for _, seconds, _ in lines)  # a duration, whatever the machine


def test_models_trained_on_fashion_mnist_are_left_out_of_the_digit_pages():
    """A Fashion-MNIST net's "7" is a sneaker: it must not be offered or compared as a digit reader."""
    from cnnviz.models import build_model

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["trained_models"] = {
        "Your dense net (MNIST)": (build_model("dense").eval(), {"dataset": "MNIST"}),
        "Your dense net (Fashion-MNIST)": (build_model("dense").eval(), {"dataset": "Fashion-MNIST"}),
    }
    at.run()
    at.radio(key="classify_source").set_value("MNIST test digit").run()
    assert not at.exception
    assert at.selectbox(key="classify_model").options == [
        "Shipped convnet",
        "Shipped dense baseline",
        "Your dense net (MNIST)",
    ]
    assert "Your dense net (MNIST)" in texts(at) and "Fashion" not in texts(at)
    assert "Your own model appears here" not in texts(at)  # it has: no need to say how


def test_a_model_name_too_long_for_its_menu_is_written_out_under_it():
    """The menu cuts a long name off with "…" (an uploaded checkpoint's file name); the caption under it gives
    the whole name, with its markup escaped (``text.literal``). Short names get no caption."""
    from cnnviz.models import build_model
    from cnnviz_ui.resources import NAME_FITS, SESSION_MODELS_KEY
    from cnnviz_ui.text import literal

    long_name = "Uploaded convnet (lecture_3 *final* $v2$ epoch12.pt)"
    assert len(long_name) > NAME_FITS >= len("Shipped dense baseline")
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state[SESSION_MODELS_KEY] = {long_name: (build_model("convnet").eval(), {"dataset": "MNIST"})}
    at.run()
    assert not [c.value for c in at.caption if c.value.startswith("Picked:")]  # the shipped convnet fits
    at.selectbox(key="classify_model").set_value(long_name).run()
    assert not at.exception
    assert [c.value for c in at.caption if c.value.startswith("Picked:")] == [f"Picked: {literal(long_name)}"]
    at.selectbox(key="classify_model").set_value("Shipped dense baseline").run()
    assert not [c.value for c in at.caption if c.value.startswith("Picked:")]


# --- the lecture hall: camera, photos that are not digits, links (issue 26, issue 25 point 5) ----------------


def test_on_an_insecure_address_the_camera_is_hidden_and_upload_is_offered(monkeypatch):
    """A student's phone on http://192.168.1.5:8501 gets no camera from the browser: no "Camera" choice, and the
    sentence that says what works instead. The decision itself (``view_links.is_secure_origin``) is tested on
    URLs in test_view_links; AppTest has no URL, so the page's question is answered here."""
    import streamlit as st

    from cnnviz_ui import links
    from cnnviz_ui.picker import CLASSIFY_SOURCES

    monkeypatch.setattr(type(st.context), "url", property(lambda self: "http://192.168.1.5:8501/Classify"))
    assert links.camera_available() is False
    at = open_page()
    assert at.radio(key="classify_source").options == [s for s in CLASSIFY_SOURCES if s != "Camera"]
    assert [c.value for c in at.caption if "opens the camera" in c.value] == [links.CAMERA_FALLBACK]


def test_on_localhost_the_camera_stays(monkeypatch):
    import streamlit as st

    from cnnviz_ui import links

    monkeypatch.setattr(type(st.context), "url", property(lambda self: "http://localhost:8501/Classify"))
    at = open_page()
    assert "Camera" in at.radio(key="classify_source").options
    assert not [c.value for c in at.caption if c.value == links.CAMERA_FALLBACK]


def test_a_camera_chosen_earlier_falls_back_to_upload_where_there_is_none(monkeypatch):
    """A link (or another address of the same session) that says source=Camera, on an http address."""
    import streamlit as st

    monkeypatch.setattr(type(st.context), "url", property(lambda self: "http://10.0.0.5:8501/Classify"))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["source"] = "Camera"
    at.run()
    assert not at.exception
    assert at.radio(key="classify_source").value == "Upload a photo"


def photo_of_a_cat() -> bytes:
    from skimage import data

    return png(Image.fromarray(data.chelsea()), "JPEG", quality=90)


def test_a_photo_that_is_not_a_digit_says_so_and_offers_the_photos_page():
    from cnnviz_ui.classify import PHOTOS_LABEL

    at = open_page()
    at.radio(key="classify_source").set_value("Upload a photo").run()
    at.file_uploader(key="classify_upload").upload("chelsea.jpg", photo_of_a_cat(), "image/jpeg").run()
    assert not at.exception and not at.error
    (warning,) = [w.value for w in at.warning]
    assert warning.startswith("chelsea.jpg: no digit found: this looks like a photo, not a digit")
    assert "blank" not in warning  # the old, untrue sentence
    links_shown = [link.proto.label for link in at.get("page_link")] + [m.value for m in at.markdown]
    assert any(PHOTOS_LABEL in text for text in links_shown), links_shown
    assert "Prediction:" not in texts(at)


def test_a_blank_page_is_not_sent_to_the_photos_page():
    from cnnviz_ui.classify import PHOTOS_LABEL

    at = open_page()
    at.radio(key="classify_source").set_value("Upload a photo").run()
    at.file_uploader(key="classify_upload").upload("blank.png", HOSTILE["blank.png"], "image/png").run()
    (warning,) = [w.value for w in at.warning]
    assert "blank" in warning
    assert not [link for link in at.get("page_link") if PHOTOS_LABEL in link.proto.label]
    assert not [m for m in at.markdown if PHOTOS_LABEL in m.value]


def test_a_link_opens_a_test_digit_with_the_model_it_names():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["source"] = "MNIST test digit"
    at.query_params["digit"] = "1"  # test image 1 is a 2
    at.query_params["model"] = "Shipped dense baseline"
    at.run()
    assert not at.exception and not at.warning
    assert at.radio(key="classify_source").value == "MNIST test digit"
    assert at.number_input(key="classify_test_index").value == 1
    assert at.selectbox(key="classify_model").value == "Shipped dense baseline"
    assert "Prediction: 2" in texts(at) and "Top-5</b> of the Shipped dense baseline" in texts(at)
    at.number_input(key="classify_test_index").set_value(4).run()  # the page writes what the student picks
    assert at.query_params["digit"] == "4" and at.query_params["model"] == "Shipped dense baseline"


@pytest.mark.parametrize(
    ("name", "value", "note"),
    [
        ("digit", "10000", "digit=10000 was ignored: test digit must be at most 9999."),
        ("digit", "seven", "digit=seven was ignored: test digit must be a whole number."),
        ("model", "My secret model", "model=My secret model was ignored: model must be one of"),
        ("source", "scanner", "source=scanner was ignored: source must be one of"),
    ],
)
def test_a_wrong_value_in_a_link_gives_a_note_and_the_default(name, value, note):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["source"] = "MNIST test digit"
    at.query_params[name] = value
    at.run()
    assert not at.exception and not at.error
    assert any(note in c.value for c in at.caption), [c.value for c in at.caption]
    assert at.selectbox(key="classify_model").value == "Shipped convnet"
    if name != "source":
        assert at.number_input(key="classify_test_index").value == 0


def test_the_input_and_grad_cam_can_be_downloaded_for_a_slide():
    """Made only on a click (a callable's data): the buttons are there, and the picture they make is 2x."""
    from cnnviz.render import grey_picture
    from cnnviz.slides import titled_png

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["source"] = "MNIST test digit"
    at.run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Input as PNG", "Grad-CAM as PNG"]
    picture = Image.open(io.BytesIO(titled_png(grey_picture(np.zeros((28, 28), np.float32), 280), "t")))
    assert picture.width == 560  # 2x, as every slide picture
