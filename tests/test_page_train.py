"""Train page with Streamlit's AppTest: renders, runs a tiny training, shows progress and curves."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "7_Train.py")


def test_renders_without_exception():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.button(key="train_start")
    assert "Compute device" in at.caption[0].value
    model = at.selectbox(key="train_model")  # short names that fit the box; the layers are in its help
    assert model.options == ["Lecture convnet", "Dense baseline", "LeNet"] and "93,322 parameters" in model.help


def test_tiny_run_updates_progress_and_curves():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="train_model").set_value("dense")
    at.number_input(key="train_limit").set_value(512)
    at.number_input(key="train_epochs").set_value(2)
    at.button(key="train_start").click().run()
    assert not at.exception
    deadline = time.time() + 120
    while time.time() < deadline and not at.success:
        time.sleep(0.5)
        at.run()
    assert not at.exception
    assert at.success and "Done" in at.success[0].value
    progress = at.get("progress")
    assert progress and "Finished" in progress[0].proto.text
    assert at.get("plotly_chart"), "the loss/accuracy curves are drawn"
    at.button(key="train_use").click().run()
    assert "trained_models" in at.session_state and len(at.session_state["trained_models"]) == 1


def test_a_diverging_run_says_why_and_offers_no_model():
    """SGD at learning rate 10: the loss becomes NaN within a few steps. The page says so and what to change,
    and offers no model to use or download (one that answers NaN once showed 100% accuracy on Evaluate)."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="train_model").set_value("convnet")
    at.selectbox(key="train_optimizer").set_value("sgd")
    at.number_input(key="train_lr").set_value(10.0)
    at.selectbox(key="train_schedule").set_value("constant")
    at.number_input(key="train_limit").set_value(2000)
    at.button(key="train_start").click().run()
    deadline = time.time() + 120
    while time.time() < deadline and not at.error:
        time.sleep(0.5)
        at.run()
    assert not at.exception
    assert at.error and at.error[0].value.startswith("Training failed: the loss became")
    assert "learning rate of 10 is too large for sgd" in at.error[0].value
    assert not at.success and "train_use" not in [b.key for b in at.button]
    assert "trained_models" not in at.session_state or not at.session_state["trained_models"]


def test_invalid_settings_show_an_error():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.number_input(key="train_epochs").set_value(0)
    at.button(key="train_start").click().run()
    assert not at.exception
    assert "epochs must be between 1 and 50" in at.error[0].value


def test_an_uploaded_fashion_checkpoint_joins_the_session_for_evaluate_only():
    from cnnviz.checkpoints import checkpoint_bytes
    from cnnviz.models import build_model

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    fashion = checkpoint_bytes(build_model("dense"), {"dataset": "Fashion-MNIST", "epochs": 1})
    at.file_uploader(key="train_checkpoint_upload").upload("shoes.pt", fashion, "application/octet-stream").run()
    assert not at.exception and not at.error and not at.warning
    assert any("trained on Fashion-MNIST: Evaluate and Feature maps show it" in m.value for m in at.success)
    assert at.session_state["trained_models"]["Uploaded dense (shoes.pt)"][1]["dataset"] == "Fashion-MNIST"
    at.session_state["trained_models"] = {}
    digits = checkpoint_bytes(build_model("dense"), {"dataset": "MNIST", "epochs": 1})
    at.file_uploader(key="train_checkpoint_upload").upload("digits.pt", digits, "application/octet-stream").run()
    assert not at.exception and not at.error and not at.warning
    assert list(at.session_state["trained_models"]) == ["Uploaded dense (digits.pt)"]


def test_stop_says_stopping_at_once_and_a_second_start_is_your_own_run():
    """Stop showed nothing for 3-4 s (the job still tests the model before it ends), and Start during your
    own run said "another user's run is in progress" (QA)."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="train_model").set_value("convnet")
    at.number_input(key="train_epochs").set_value(3)  # minutes of work: it is still running below
    at.button(key="train_start").click().run()
    assert not at.exception and not at.warning
    at.button(key="train_start").click().run()
    assert [w.value for w in at.warning] == [
        "Your training is still running (below): stop it, or wait for it to finish, then start again."
    ]
    at.button(key="train_stop").click().run()
    try:
        assert not at.exception
        assert any(c.value.startswith("Stopping: finishing this batch") for c in at.caption)
        assert "Stopping…" in at.get("progress")[0].proto.text
        assert not [b for b in at.button if b.key == "train_stop"], "no second Stop to press"
    finally:
        from cnnviz_ui.resources import training_slot

        job = training_slot().get(at.session_state["train_job"])
        job.stop()
        job.join(120)
    assert job.snapshot().state == "stopped"


def test_the_curves_have_one_legend_entry_per_colour():
    """The legend listed "train loss, train accuracy, test loss, test accuracy" under the loss chart while
    loss and accuracy shared their colours (QA): one entry per colour now, naming what it measures, above
    both charts. The charts are two figures, so that on a phone they stack instead of each being 150 px."""
    from cnnviz.jobs import Snapshot
    from cnnviz_ui.training import LEGEND, TEST_COLOUR, TRAIN_COLOUR, curves_figures

    steps = [{"step": s, "loss": 1.0 / s, "acc": 0.5, "epoch": 1} for s in (1, 2, 3)]
    epochs = [{"step": 3, "test_loss": 0.4, "test_top1": 0.9}]
    loss, accuracy = curves_figures(Snapshot("done", 3, 3, steps, epochs))
    for figure, train, test in ((loss, [1.0, 0.5, 1 / 3], 0.4), (accuracy, [0.5] * 3, 0.9)):
        assert [(trace.line.color, list(trace.y)) for trace in figure.data] == [
            (TRAIN_COLOUR, train),
            (TEST_COLOUR, [test]),
        ]
        assert figure.layout.showlegend is False
        # The last point of both curves lies on the right edge of the x range: drawn whole, not cut in half.
        assert figure.layout.xaxis.range[1] == 3 and all(trace.cliponaxis is False for trace in figure.data)
    assert accuracy.layout.yaxis.tickformat == ".0%" and loss.layout.yaxis.tickformat is None
    test_name = "10,000 test images (each epoch, and at a stop)"
    assert (
        LEGEND.index(TRAIN_COLOUR)
        < LEGEND.index("training batches")
        < LEGEND.index(TEST_COLOUR)
        < LEGEND.index(test_name)
    )


def test_settings_are_plain_widgets_so_enter_cannot_start_a_run():
    """Enter in a number box of a form submits the form: "Training images" + Enter started a run before the other
    fields were set (issue 26). The settings are no form now, and changing one starts nothing."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.get("form"), "no st.form: Enter in a number box would submit it"
    at.number_input(key="train_limit").set_value(1000).run()  # what Enter does to a number box: set it
    assert not at.exception
    assert "train_job" not in at.session_state and not at.get("progress")
    assert at.button(key="train_start").proto.type == "primary"


def test_a_link_fills_in_the_settings_and_starts_nothing():
    at = AppTest.from_file(PAGE, default_timeout=60)
    query = {"model": "lenet", "optimizer": "sgd", "lr": "0.05", "epochs": "3", "batch": "64", "images": "2000"}
    for key, value in query.items():
        at.query_params[key] = value
    at.query_params["augment"] = "1"
    at.run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="train_model").value == "lenet" and at.selectbox(key="train_optimizer").value == "sgd"
    assert at.number_input(key="train_lr").value == 0.05 and at.number_input(key="train_epochs").value == 3
    assert at.number_input(key="train_batch").value == 64 and at.number_input(key="train_limit").value == 2000
    assert at.checkbox(key="train_augment").value is True
    assert "train_job" not in at.session_state and not at.get("progress")  # never auto-start
    at.number_input(key="train_epochs").set_value(2).run()
    assert at.query_params["epochs"] == "2" and at.query_params["model"] == "lenet"


@pytest.mark.parametrize(
    ("name", "value", "note"),
    [
        ("epochs", "0", "epochs=0 was ignored: epochs must be at least 1."),
        ("lr", "fast", "lr=fast was ignored: learning rate must be a number."),
        ("optimizer", "lbfgs", "optimizer=lbfgs was ignored: optimizer must be one of adam, rmsprop, sgd."),
        ("batch", "100000", "batch=100000 was ignored: batch size must be at most 4096."),
    ],
)
def test_a_wrong_value_in_a_link_gives_a_note_and_the_default(name, value, note):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params[name] = value
    at.run()
    assert not at.exception and not at.error
    assert any(note in c.value for c in at.caption), [c.value for c in at.caption]
    defaults = {"epochs": 1, "lr": 0.003, "optimizer": "adam", "batch": 128}
    key = {"epochs": "train_epochs", "lr": "train_lr", "optimizer": "train_optimizer", "batch": "train_batch"}[name]
    widget = at.selectbox(key=key) if name == "optimizer" else at.number_input(key=key)
    assert widget.value == defaults[name]
    assert "train_job" not in at.session_state
