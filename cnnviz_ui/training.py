"""The Train page's views: the settings and their link, loading a checkpoint, and a job's progress with live curves."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from cnnviz.checkpoints import load_checkpoint
from cnnviz.jobs import Snapshot
from cnnviz.models import MODEL_DESCRIPTIONS
from cnnviz.train_config import OPTIMIZERS
from cnnviz.view_links import LinkParam
from cnnviz_ui.layout import friendly_errors, wrapping_columns
from cnnviz_ui.links import copy_link_button, restore_from_link, write_link
from cnnviz_ui.plots import ACCENT, ALERT, legend_html
from cnnviz_ui.presenting import figure_font_px
from cnnviz_ui.resources import add_session_model, trained_on
from cnnviz_ui.slides import plotly_config, slide_figure
from cnnviz_ui.text import literal

TRAIN_COLOUR, TEST_COLOUR = ACCENT, ALERT


TEST_NAME = "10,000 test images (each epoch, and at a stop)"
LEGEND = legend_html([("training batches", TRAIN_COLOUR), (TEST_NAME, TEST_COLOUR)])  # one for both charts


def curves_figures(snap: Snapshot, font_px: int = 14) -> tuple[go.Figure, go.Figure]:
    """(loss, accuracy) against training step, blue the training batches, red the test points once per epoch.

    ``font_px``: the size of the titles, tick numbers and axis titles (``presenting.figure_font_px``).

    Two figures, not two subplots of one: side by side from 250 px each, one above the other on a phone (where
    each subplot was ~150 px wide and the accuracy axis's "100%" ran into the loss chart). Their legend is
    ``LEGEND``, above both. A train point is the mean over the batches since the previous point
    (``cnnviz.train``), so the curve is continuous across epochs.
    """
    train_points = sorted(snap.steps, key=lambda r: r["step"])
    steps = [r["step"] for r in train_points]
    tested = [e for e in snap.epochs if e.get("test_top1") is not None]
    figures = []
    for title, train_key, test_key, number_format in (
        ("Loss (cross-entropy)", "loss", "test_loss", None),
        ("Accuracy", "acc", "test_top1", ".0%"),
    ):
        # cliponaxis off: the last point of either curve sits on the right edge and would be cut in half
        figure = go.Figure(
            go.Scatter(
                x=steps,
                y=[r[train_key] for r in train_points],
                name="training batches",
                line={"color": TRAIN_COLOUR},
                cliponaxis=False,
            )
        )
        if tested:
            figure.add_trace(
                go.Scatter(
                    x=[e["step"] for e in tested],
                    y=[e[test_key] for e in tested],
                    name=TEST_NAME,
                    mode="lines+markers",
                    line={"color": TEST_COLOUR},
                    cliponaxis=False,
                )
            )
        font = {"size": font_px}
        figure.update_xaxes(
            title_text="training step (batches)", range=[0, max(snap.total, 1)], tickfont=font, title_font=font
        )
        figure.update_yaxes(tickformat=number_format, tickfont=font)
        figure.update_layout(
            title={"text": title, "font": font},
            height=300 + 4 * (font_px - 14),
            showlegend=False,
            margin={"t": 26 + font_px, "b": 26 + 2 * font_px, "l": 18 + 3 * font_px, "r": 20},
        )
        figures.append(figure)
    return figures[0], figures[1]


def show_progress(snap: Snapshot, key: str, stopping: bool = False) -> None:
    """Progress bar, headline figures and the live curves of one job (``stopping``: Stop was pressed)."""
    fraction = snap.step / snap.total if snap.total else 0.0
    last = snap.steps[-1] if snap.steps else {}  # the latest point of the curves
    label = {
        "running": "Stopping…" if stopping else "Training…",
        "done": "Finished",
        "stopped": "Stopped",
        "failed": "Failed",
    }[snap.state]
    st.progress(min(fraction, 1.0), text=f"{label} step {snap.step:,} of {snap.total:,}")
    cols = wrapping_columns(4, f"{key}_numbers", 120)  # two by two on a phone, not one number per row
    cols[0].metric("Epoch", f"{last.get('epoch', 0)}")
    cols[1].metric(
        "Train loss",
        f"{last['loss']:.4f}" if "loss" in last else "–",
        help="Mean cross-entropy of the batches since the curve's previous point.",
    )
    test = next((e["test_top1"] for e in reversed(snap.epochs) if e.get("test_top1") is not None), None)
    cols[2].metric(
        "Test accuracy",
        f"{test:.2%}" if test is not None else "–",
        help="On the 10,000 test images, measured at the end of each epoch.",
    )
    cols[3].metric(
        "Images/s",
        f"{snap.images_per_s:,.0f}" if snap.images_per_s else "–",
        help="Training speed over a whole epoch: shown once the first epoch ends.",
    )
    if snap.steps or snap.epochs:
        st.html(LEGEND)
        for column, figure, which in zip(
            wrapping_columns(2, f"{key}_row", 250),
            curves_figures(snap, figure_font_px(14)),
            ("loss", "accuracy"),
            strict=True,
        ):
            title = f"Training {which}"
            column.plotly_chart(
                slide_figure(figure), key=f"{key}_{which}", width="stretch", config=plotly_config(title)
            )


SCHEDULE_CHOICES = ("onecycle", "constant")
DATASET_CHOICES = ("MNIST", "Fashion-MNIST")
# Every setting of a run, as a link carries it: a lecturer sends the class "this run"; nobody's run starts by itself.
LINK_PARAMS = [
    LinkParam("model", str, next(iter(MODEL_DESCRIPTIONS)), choices=tuple(MODEL_DESCRIPTIONS), key="train_model"),
    LinkParam("dataset", str, "MNIST", choices=DATASET_CHOICES, key="train_dataset"),
    LinkParam("optimizer", str, OPTIMIZERS[0], choices=OPTIMIZERS, key="train_optimizer"),
    LinkParam("lr", float, 0.003, low=1e-6, high=10.0, key="train_lr", label="learning rate"),
    LinkParam("schedule", str, SCHEDULE_CHOICES[0], choices=SCHEDULE_CHOICES, key="train_schedule"),
    LinkParam("epochs", int, 1, low=1, high=50, key="train_epochs"),
    LinkParam("batch", int, 128, low=1, high=4096, key="train_batch", label="batch size"),
    LinkParam("images", int, 0, low=0, high=60_000, key="train_limit", label="training images"),
    LinkParam("augment", bool, False, key="train_augment"),
]


def training_settings() -> tuple[dict, bool]:
    """The training settings (``TrainConfig``'s keyword arguments) and whether "Start training" was pressed.

    Plain widgets and a button, not a form: in a form, Enter in a number box ("Training images") submitted it
    and started a run before the other fields were set. Here Enter only sets the number; only the button
    starts. The settings come from a link first (``links.restore_from_link``); each widget's default is set
    through the session state, so that a link's value is not given twice.
    """
    restore_from_link("train", LINK_PARAMS)
    for param in LINK_PARAMS:
        st.session_state.setdefault(param.widget_key, param.default)
    with st.container(border=True, key="train_settings"):
        c1, c2, c3 = st.columns(3)
        # The short name in the box (a full description was cut off in a third of the page), the layers in its help.
        model = c1.selectbox(
            "Model",
            list(MODEL_DESCRIPTIONS),
            format_func=lambda m: MODEL_DESCRIPTIONS[m].split(":")[0],
            key="train_model",
            persist_state="session",
            help="\n\n".join(f"**{d.replace(':', ':**', 1)}" for d in MODEL_DESCRIPTIONS.values()),
        )
        dataset = c1.selectbox("Dataset", DATASET_CHOICES, key="train_dataset", persist_state="session")
        optimizer = c2.selectbox("Optimizer", OPTIMIZERS, key="train_optimizer", persist_state="session")
        lr = c2.number_input("Learning rate", format="%g", step=0.0005, key="train_lr", persist_state="session")
        schedule = c2.selectbox(
            "Learning-rate schedule",
            SCHEDULE_CHOICES,
            key="train_schedule",
            persist_state="session",
            help="OneCycle warms the rate up, then anneals it to zero: faster, better.",
        )
        epochs = c3.number_input("Epochs", step=1, key="train_epochs", persist_state="session")
        batch_size = c3.number_input("Batch size", step=32, key="train_batch", persist_state="session")
        limit = c3.number_input(
            "Training images (0 = all 60,000)",
            step=1000,
            key="train_limit",
            persist_state="session",
            help="A subset trains in seconds; the full set takes about 20 s per epoch on 2 CPU cores.",
        )
        augment = st.checkbox(
            "Augment: shift each image by up to 2 pixels at random", key="train_augment", persist_state="session"
        )
        start_col, link_col = st.columns([1, 1], vertical_alignment="center")
        start = start_col.button("Start training", type="primary", key="train_start")
    settings = {
        "model": model,
        "dataset": dataset,
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "lr": float(lr),
        "optimizer": optimizer,
        "schedule": schedule,
        "augment": bool(augment),
        "limit": int(limit),
    }
    shown = {
        **{name: settings[name] for name in ("model", "dataset", "optimizer", "lr", "schedule", "epochs", "augment")},
        "batch": settings["batch_size"],
        "images": settings["limit"],
    }
    write_link(shown, LINK_PARAMS, page_key="train")
    with link_col:
        copy_link_button(shown, LINK_PARAMS)
    return settings, start


def checkpoint_upload() -> None:
    """An uploader for a checkpoint saved earlier: loaded safely and added to this session's models."""
    with st.expander("Load a checkpoint you saved earlier (.pt)"):
        upload = st.file_uploader(
            "Checkpoint file",
            type=["pt"],
            key="train_checkpoint_upload",
            help="A file from the download button below. Only weights are read (weights_only): a file cannot run code.",
        )
        if upload is not None:
            with friendly_errors("This checkpoint was refused: "):
                loaded, meta = load_checkpoint(upload.getvalue(), name=upload.name)
                dataset = trained_on(meta)
                add_session_model(f"Uploaded {loaded.name} ({upload.name})", loaded, {**meta, "dataset": dataset})
                shown = literal(upload.name)
                if dataset != "MNIST":
                    st.success(
                        f"Loaded {shown} ({loaded.name}), trained on {dataset}: Evaluate and Feature maps "
                        f"show it the {dataset} test set. Classify and Translation invariance leave it out (its "
                        "classes are not digits)."
                    )
                else:
                    st.success(f"Loaded {shown} ({loaded.name}); pick it in the model menus of the other pages.")
