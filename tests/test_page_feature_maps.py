"""Feature maps page (AppTest): renders with the shipped model, explains bad input, survives a broken model."""

import os
from pathlib import Path

import pytest
from page_text import page_text
from streamlit.testing.v1 import AppTest

from cnnviz import data

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "3_Feature_maps.py")
ASSETS = Path(__file__).resolve().parent.parent / "assets"
pytestmark = pytest.mark.skipif(not (ASSETS / "mnist_convnet.pt").is_file(), reason="no shipped convnet in assets/")


@pytest.fixture(scope="module")
def app() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    return at


def test_first_launch_shows_every_layer_and_the_prediction(app):
    assert not app.exception and not app.error
    text = page_text(app)
    for heading in (
        "**conv1** · 32 maps of 26×26",
        "**pool1** · 32 maps of 13×13",
        "**conv2** · 64 maps of 11×11",
        "**pool2** · 64 maps of 5×5",
        "**conv3** · 64 maps of 3×3",
        "**conv1 filters** · 32 filters of 3×3",
        "Prediction: 7",
    ):
        assert heading in text
    assert "Max pooling, window by window" in text


@pytest.mark.parametrize("index", [-1, 99999])
def test_an_index_out_of_range_is_explained(app, index):
    app.number_input(key="fm_index").set_value(index).run()
    assert not app.exception
    assert "between 0 and 9,999" in app.error[0].value
    app.number_input(key="fm_index").set_value(3).run()
    assert not app.error and "test digit #3" in page_text(app)


def test_pick_by_class_and_random(app):
    app.radio(key="fm_pick_by").set_value("By class").run()
    app.selectbox(key="fm_class").set_value(4).run()
    assert not app.exception and "(a 4)" in page_text(app)
    app.number_input(key="fm_nth").set_value(5000).run()
    assert "choose 1 to" in app.error[0].value
    app.radio(key="fm_pick_by").set_value("Random").run()
    assert not app.exception and not app.error
    app.button(key="fm_random").click().run()
    assert not app.exception
    app.radio(key="fm_pick_by").set_value("By index").run()


def test_grad_cam_pooling_and_zoom_widgets(app):
    app.radio(key="fm_explain").set_value("Grad-CAM").run()
    assert not app.exception and not app.error
    app.toggle(key="fm_per_map").set_value(True).run()
    app.selectbox(key="fm_zoom_layer").set_value("conv2").run()
    app.selectbox(key="fm_pool_layer").set_value("relu2 → pool2").run()
    assert not app.exception and not app.error
    assert "**conv2 filter" in page_text(app)
    assert any(
        "the last row (row 10, counting from 0) and the last column (column 10, counting from 0) lie in no "
        "window" in c.value
        for c in app.caption
    )  # relu2 is 11x11


def test_the_dense_baseline_has_no_feature_maps_and_says_so(app):
    if not (ASSETS / "mnist_dense.pt").is_file():
        pytest.skip("no shipped dense model")
    app.radio(key="fm_explain").set_value("Grad-CAM").run()
    app.selectbox(key="fm_model").set_value("Shipped dense baseline").run()
    assert not app.exception and not app.error  # Grad-CAM is explained away, not failed
    assert any("Grad-CAM weighs the maps of the last conv layer" in i.value for i in app.info)
    assert any("no conv layers, so no feature maps" in i.value for i in app.info)
    app.selectbox(key="fm_model").set_value("Shipped convnet").run()


def test_a_broken_checkpoint_is_reported_not_raised(tmp_path, monkeypatch):
    from cnnviz_ui import resources

    broken = tmp_path / "mnist_convnet.pt"
    broken.write_bytes(b"not a checkpoint")
    monkeypatch.setattr(resources, "SHIPPED", {"Shipped convnet": broken, "Shipped dense baseline": tmp_path / "x.pt"})
    resources.shipped_model.clear()
    try:
        at = AppTest.from_file(PAGE, default_timeout=120)
        at.run()
        assert not at.exception
        messages = " ".join(e.value for e in at.error)
        assert "not a readable PyTorch checkpoint" in messages and "make train-shipped" in messages
    finally:
        resources.shipped_model.clear()


def test_a_lenet_of_the_session_is_described_by_its_own_filters():
    """LeNet's conv1 has 20 filters of 5x5: the caption under them used to say "32 learned 3×3" whatever the model."""
    from cnnviz.models import build_model
    from cnnviz_ui.resources import SESSION_MODELS_KEY

    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[SESSION_MODELS_KEY] = {"My LeNet": (build_model("lenet").eval(), {"dataset": "MNIST"})}
    at.run()
    at.selectbox(key="fm_model").set_value("My LeNet").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "The 20 learned 5×5 filters of conv1" in captions and "32 learned" not in captions


def test_an_image_with_no_digit_is_said_the_same_way_as_on_classify():
    """A 1 x 1 upload was a yellow warning on Classify and a red error on Feature maps and Translation
    invariance (QA): both digit paths now give the same warning, ending in a full stop."""

    def app():
        import numpy as np

        from cnnviz_ui.picker import preprocessed

        for pixels in (np.full((1, 1), 90, np.uint8), np.full((64, 64), 200, np.uint8)):  # tiny, blank
            assert preprocessed(pixels, "photo.png") is None  # Feature maps' and Translation's upload
            assert preprocessed(pixels, "photo.png", "camera") is None  # Classify's upload and camera

    at = AppTest.from_function(app).run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    said = [w.value for w in at.warning]
    assert len(said) == 4 and said[0] == said[1] and said[2] == said[3], said
    assert "too small to hold a digit" in said[0] and "no digit found" in said[2]
    assert all(text.startswith("photo.png: ") and text.endswith(".") and not text.endswith("..") for text in said)


@pytest.mark.parametrize(("kernel", "stride"), [(2, 2), (3, 3), (3, 2)])
@pytest.mark.parametrize("size", range(5, 16))
def test_the_rows_said_to_be_dropped_by_pooling_are_the_ones_torch_ignores(size, kernel, stride):
    """relu2 (11x11) loses its row 10 and column 10 to 2x2 pooling; the page says so (QA). Oracle: a huge
    value in a row changes torch's MaxPool2d output exactly when that row is in some window."""
    import re

    import numpy as np
    import torch

    from cnnviz import inspect as net_inspect
    from cnnviz_ui.feature_maps import dropped_note

    base = np.zeros((size, size), np.float32)
    note = dropped_note("relu2", (size, size), net_inspect.pooling_windows(base, kernel, stride))
    ignored = []
    for row in range(size):
        probe = base.copy()
        probe[row, :] = 100.0
        pooled = torch.nn.functional.max_pool2d(torch.from_numpy(probe)[None, None], kernel, stride)
        if pooled.max() == 0:
            ignored.append(row)
    if not ignored:
        assert note is None
    else:
        said = re.search(r"\(rows? (\d+)(?:-(\d+))?, counting from 0\) and .*\(columns? (\d+)(?:-(\d+))?,", note)
        first, last = int(said[1]), int(said[2] or said[1])
        assert list(range(first, last + 1)) == ignored, note
        assert said[3] == said[1] and (said[4] or said[3]) == (said[2] or said[1])  # square: columns alike


# Under CI=true a missing Fashion-MNIST is a failure (make test installs it), never a skip.
FASHION = pytest.mark.skipif(
    not data.FASHION_DIR.is_dir() and os.environ.get("CI") != "true", reason="apt-get install dataset-fashion-mnist"
)


@FASHION
def test_a_fashion_mnist_model_follows_a_piece_of_clothing_named_as_such():
    """A model trained on Fashion-MNIST (Train page) gets its own images: its test set, picked by class name,
    and its answer named ("Sneaker", not "7"). It used to be left out of this page. Oracle: torch on the
    same test image."""
    import json

    import torch

    from cnnviz.data import FASHION_CLASSES, load_dataset
    from cnnviz.models import build_model
    from cnnviz_ui.resources import SESSION_MODELS_KEY

    torch.manual_seed(0)
    model = build_model("convnet").eval()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[SESSION_MODELS_KEY] = {"Your convnet (Fashion-MNIST)": (model, {"dataset": "Fashion-MNIST"})}
    at.run()
    assert not at.exception and "Prediction: 7" in page_text(at)  # MNIST first, as before
    assert "Your convnet (Fashion-MNIST)" not in at.selectbox(key="fm_model").options
    at.radio(key="fm_dataset").set_value("Fashion-MNIST").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="fm_model_Fashion-MNIST").options == ["Your convnet (Fashion-MNIST)"]
    assert all("Upload an image" not in radio.options for radio in at.radio)  # clothes only, no digit photos
    at.radio(key="fm_fashion_mnist_pick_by").set_value("By class").run()
    at.selectbox(key="fm_fashion_mnist_class").set_value(7).run()
    at.number_input(key="fm_fashion_mnist_nth").set_value(2).run()
    assert not at.exception and not at.error

    images, labels = load_dataset("Fashion-MNIST", "test")
    index = int(torch.nonzero(labels == 7).flatten()[1])
    with torch.no_grad():
        predicted = int(model(images[index].float().div(255)[None, None]).argmax())
    text = page_text(at)
    assert f"test image #{index:,} (Sneaker)" in text
    assert at.number_input(key="fm_fashion_mnist_nth").label == "Which Sneaker (1 to 1,000)"
    assert f"**Prediction: {FASHION_CLASSES[predicted]}**" in text
    assert ":green[correct]" in text if predicted == 7 else ":red[wrong, it is Sneaker]" in text
    assert "**conv1** · 32 maps of 26×26" in text
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert bars["y"] == list(FASHION_CLASSES) and bars["orientation"] == "h"  # names read across, not slanted
    assert next(box for box in at.selectbox if box.label == "Class to explain").format_func(8) == "Bag"


def test_a_missing_fashion_test_set_is_explained_on_both_pages(tmp_path, monkeypatch):
    """A Fashion-MNIST checkpoint can be loaded on Train on a machine without Debian's dataset package
    (``make run`` does not install it): Evaluate raised FileNotFoundError into the browser."""
    from cnnviz.models import build_model
    from cnnviz_ui.resources import SESSION_MODELS_KEY, dataset

    monkeypatch.setattr(data, "FASHION_DIR", tmp_path)
    dataset.clear()
    try:
        for page, key in ((PAGE, "fm_dataset"), (str(Path(PAGE).with_name("5_Evaluate.py")), "evaluate_dataset")):
            at = AppTest.from_file(page, default_timeout=120)
            at.session_state[SESSION_MODELS_KEY] = {
                "Shoes (Fashion-MNIST)": (build_model("dense").eval(), {"dataset": "Fashion-MNIST"})
            }
            at.run()
            at.radio(key=key).set_value("Fashion-MNIST").run()
            assert not at.exception
            assert "apt-get install dataset-fashion-mnist" in " ".join(e.value for e in at.error)
            at.radio(key=key).set_value("MNIST").run()  # and the page still works
            assert not at.exception and not at.error
    finally:
        dataset.clear()


def _shipped_digit(at=None):
    """The shipped convnet and test digit 0 (the oracle runs them itself); ``at`` is set to show them."""
    if at is not None:
        at.selectbox(key="fm_model").set_value("Shipped convnet")
        at.radio(key="fm_pick_by").set_value("By index")
        at.number_input(key="fm_index").set_value(0).run()
    from cnnviz.checkpoints import load_checkpoint
    from cnnviz.data import load_dataset

    model, _ = load_checkpoint(ASSETS / "mnist_convnet.pt")
    images, _ = load_dataset("MNIST", "test")
    return model.eval(), images[0].float().div(255).numpy()


def _sums_table(at):
    table = at.table[0].value.reset_index()
    return table.iloc[:-2], table.iloc[-2], table.iloc[-1]


def test_a_conv2_unit_lists_its_32_partial_sums_and_bias_as_torch_computes_them(app):
    """Oracle: torch's conv2 output at the unit, and explain_unit's partial sums (themselves tested against torch)."""
    import numpy as np
    import torch

    from cnnviz.units import explain_unit

    model, image = _shipped_digit(app)
    app.selectbox(key="fm_unit_layer").set_value("conv2").run()
    app.number_input(key="fm_unit_map").set_value(5).run()
    app.number_input(key="fm_unit_row").set_value(4).run()
    app.number_input(key="fm_unit_col").set_value(7).run()
    assert not app.exception and not app.error
    with torch.no_grad():
        outputs = dict(model.forward_layers(torch.from_numpy(image)[None, None]))  # normalises the input first
        value = float(outputs["conv2"][0, 5, 4, 7])
    sums, bias, total = _sums_table(app)
    assert len(sums) == 32 and list(sums["input"].str.startswith("pool1 map")) == [True] * 32
    assert bias["input"] == "bias" and bias["partial sum"] == pytest.approx(
        float(model.conv2.bias[5].detach()), abs=1e-6
    )
    assert total["running total"] == pytest.approx(value, abs=1e-4)
    e = explain_unit(model, image, "conv2", (5, 4, 7))
    assert np.allclose(sums["partial sum"].to_numpy(), e.partial_sums[e.order], atol=1e-6)
    assert np.allclose(sums["running total"].to_numpy(), np.cumsum(e.partial_sums[e.order]), atol=1e-6)
    said = page_text(app)
    assert f"**conv2, map 5, row 4, column 7 = {value:.4f}**" in said
    assert "**32 partial sums**" in said and "relu2" in said and "pool2" in said
    assert app.query_params["layer"] == "conv2" and app.query_params["map"] == "5"


def test_an_fc2_unit_is_a_class_score_of_64_products_plus_bias(app):
    import torch

    model, image = _shipped_digit(app)
    app.selectbox(key="fm_unit_layer").set_value("fc2").run()
    app.number_input(key="fm_unit_map").set_value(7).run()
    assert not app.exception and not app.error
    with torch.no_grad():
        outputs = dict(model.forward_layers(torch.from_numpy(image)[None, None]))
        scores, hidden = outputs["fc2"][0], outputs["relu4"][0]
    products = (hidden * model.fc2.weight[7]).detach().numpy()
    sums, bias, total = _sums_table(app)
    assert len(sums) == 64 and all(name.startswith("relu4 value") for name in sums["input"])
    by_unit = {int(name.rsplit(" ", 1)[1]): s for name, s in zip(sums["input"], sums["partial sum"], strict=True)}
    assert all(by_unit[j] == pytest.approx(float(products[j]), abs=1e-5) for j in range(64))
    assert bias["partial sum"] == pytest.approx(float(model.fc2.bias[7].detach()), abs=1e-6)
    assert total["running total"] == pytest.approx(float(scores[7]), abs=1e-4)
    assert f"**fc2, unit 7 = {float(scores[7]):.4f}**" in page_text(app)


def test_a_pooled_unit_names_its_window_and_winner(app):
    import torch

    model, image = _shipped_digit(app)
    app.selectbox(key="fm_unit_layer").set_value("pool1").run()
    app.number_input(key="fm_unit_map").set_value(3).run()
    app.number_input(key="fm_unit_row").set_value(6).run()
    app.number_input(key="fm_unit_col").set_value(6).run()
    assert not app.exception and not app.error
    with torch.no_grad():
        relu1 = dict(model.forward_layers(torch.from_numpy(image)[None, None]))["relu1"][0, 3]
    window = relu1[12:14, 12:14]
    best = int(window.flatten().argmax())
    said = page_text(app)
    assert f"**pool1, map 3, row 6, column 6 = {float(window.max()):.4f}**" in said
    assert "rows 12–13, columns 12–13" in said
    assert f"the winner is at row {12 + best // 2}, column {12 + best % 2}" in said


def test_a_unit_outside_the_map_or_a_stale_layer_gets_a_sentence_not_a_traceback():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(layer="conv9", map="3", row="99", col="-4")
    at.run()
    assert not at.exception and not at.error
    # The page's first caption, under the title where a student looks: not further down, under the network.
    assert at.caption[0].value == "From the link: This model has no layer conv9: showing conv2 instead."
    at.number_input(key="fm_unit_map").set_value(80).run()
    at.number_input(key="fm_unit_row").set_value(99).run()
    assert not at.exception and not at.error
    captions = " ".join(c.value for c in at.caption)
    assert "Map 80 is outside conv2 (0 to 63), so map 63 is shown; row 99 is outside conv2 (0 to 10)" in captions


def test_the_dense_baseline_explains_its_units_and_says_it_has_no_maps(app):
    if not (ASSETS / "mnist_dense.pt").is_file():
        pytest.skip("no shipped dense model")
    app.selectbox(key="fm_model").set_value("Shipped dense baseline").run()
    assert not app.exception and not app.error
    assert app.selectbox(key="fm_unit_layer").value == "fc1"
    sums, bias, total = _sums_table(app)
    assert len(sums) == 1 and sums["input"].iloc[0] == "input map 0"  # one 28 x 28 window: the whole digit
    assert any("no conv layers, so no feature maps" in i.value for i in app.info)
    app.selectbox(key="fm_model").set_value("Shipped convnet").run()
    assert app.selectbox(key="fm_unit_layer").value in ("conv2", "fc1")


def test_a_link_restores_model_digit_and_unit_and_ignores_wrong_values():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(digit="3", layer="conv3", map="2", row="1", col="0")
    at.run()
    assert not at.exception and not at.error
    assert "test digit #3" in page_text(at) and "**conv3, map 2, row 1, column 0 = " in page_text(at)
    bad = AppTest.from_file(PAGE, default_timeout=120)
    bad.query_params.update(model="My secret model", digit="-5")
    bad.run()
    assert not bad.exception and not bad.error
    notes = " ".join(c.value for c in bad.caption)
    assert "model" in notes and "test digit must be at least 0" in notes


def test_a_unit_outside_its_layer_in_a_link_is_noted_first_and_the_nearest_unit_shown():
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params.update(layer="conv3", map="99", row="1", col="7")
    at.run()
    assert not at.exception and not at.error
    assert at.caption[0].value == (
        "From the link: Map 99 is outside conv3 (0 to 63), so map 63 is shown; "
        "column 7 is outside conv3 (0 to 2), so column 2 is shown."
    )
    assert "**conv3, map 63, row 1, column 2 = " in page_text(at)
    at.number_input(key="fm_unit_row").set_value(0).run()  # the student moves on: the note has done its job
    assert not any(c.value.startswith("From the link") for c in at.caption)
