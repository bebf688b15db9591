"""Train page: train a model in a background job and watch its loss and accuracy curves live."""

import streamlit as st

from cnnviz.checkpoints import checkpoint_bytes
from cnnviz.jobs import Snapshot
from cnnviz.train_config import TrainConfig
from cnnviz_ui.layout import friendly_errors, page_header
from cnnviz_ui.resources import add_session_model, compute_device_name, training_slot
from cnnviz_ui.training import checkpoint_upload, show_progress, training_settings

page_header(
    "Train",
    "Train a network from scratch and watch it learn: each **step** shows it one batch of images and nudges every "
    "weight against the gradient of the loss; an **epoch** is one pass over the training set.",
    icon="🏋️",
)
slot = training_slot()
st.caption(f"Compute device: **{compute_device_name()}**. One training runs at a time on this server.")

settings, start = training_settings()  # nothing starts without the button (Enter in a number box does not)
if start:
    with friendly_errors("Cannot start: "):
        config = TrainConfig(**settings)
        job = slot.try_start(config, owner=st.session_state.get("_session_label", ""))
        running = slot.current()
        if job is None and running is not None and running.id == st.session_state.get("train_job"):
            st.warning("Your training is still running (below): stop it, or wait for it to finish, then start again.")
        elif job is None:
            st.warning("Training is busy: another user's run is in progress. Try again when it finishes.")
        else:
            st.session_state["train_job"] = job.id

checkpoint_upload()

job = slot.get(st.session_state.get("train_job", ""))
other = slot.current()
if other is not None and (job is None or other.id != job.id):
    st.info(f"Another user is training {other.config.model} on {other.config.dataset} right now.")
if job is None:
    st.stop()


@st.fragment(run_every=1.0 if job.running else None)
def live_progress() -> Snapshot:
    """The progress, every second while the job runs; returns the snapshot it drew."""
    snap = job.snapshot()
    if snap.state == "running" and not job.stop_requested:  # on_click: the rerun it causes already says "Stopping…"
        st.button("Stop training", key="train_stop", on_click=job.stop)
    if snap.state == "running" and job.stop_requested:  # at once: the job still tests the model before it ends
        st.caption("Stopping: finishing this batch, then testing the model on the 10,000 test images…")
    show_progress(snap, key=f"curves_{job.id}", stopping=job.stop_requested)
    if snap.state != "running" and st.session_state.get("train_redrawn") != job.id:
        st.session_state["train_redrawn"] = job.id  # one full rerun so the results below appear
        st.rerun()
    return snap


# The results below follow the snapshot the progress was drawn from: a job finishing between two looks
# must not show "Done" under a progress bar that still says "Training…" (the next run shows both done).
snap = live_progress()
if snap.state == "failed":
    st.error(f"Training failed: {snap.error}")
elif snap.state in ("done", "stopped") and job.model is not None:
    cfg = job.config
    top1, epochs = job.meta.get("test_top1"), job.meta["epochs_done"]
    label = (
        f"Trained {cfg.model} ({cfg.dataset}, {epochs:g} epoch{'' if epochs == 1 else 's'}, {top1:.1%})"
        if top1
        else (f"Trained {cfg.model} ({cfg.dataset}, unfinished)")
    )
    st.success(f"{'Stopped early' if snap.state == 'stopped' else 'Done'}: {label}.")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download the checkpoint (.pt)",
        checkpoint_bytes(job.model, job.meta),
        file_name=f"cnnviz_{cfg.model}_{cfg.dataset.lower()}.pt",
        key="train_download",
    )
    where = "in the other pages" if cfg.dataset == "MNIST" else "on Evaluate and Feature maps"
    if c2.button(f"Use this model {where}", key="train_use"):
        add_session_model(label, job.model, {**job.meta, "dataset": cfg.dataset})
        c2.success(
            "Added for this browser session: pick it in the model menus. The shipped model is unchanged."
            if cfg.dataset == "MNIST"
            # its classes are clothes: the digit pages leave it out
            else f"Added for this browser session: Evaluate and Feature maps show it the {cfg.dataset} test set, "
            "with the classes' names. Classify and Translation invariance leave it out."
        )
