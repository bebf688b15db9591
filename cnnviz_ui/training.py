"""Drawing a training job's progress: progress bar, figures, live curves."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from cnnviz.jobs import Snapshot
from cnnviz_ui.plots import ACCENT, ALERT

TRAIN_COLOUR, TEST_COLOUR = ACCENT, ALERT


def curves_figure(snap: Snapshot) -> go.Figure:
    """Loss (left) and accuracy (right) against training step; test points once per epoch.

    A train point is the mean over the batches since the previous point (``cnnviz.train``), so the
    curve is continuous across epochs.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss (cross-entropy)", "Accuracy"))
    train_points = sorted(snap.steps, key=lambda r: r["step"])
    steps = [r["step"] for r in train_points]
    # One legend entry per colour: blue is the training batches, red the test images, in both charts.
    fig.add_trace(go.Scatter(x=steps, y=[r["loss"] for r in train_points], name="training batches",
                             legendgroup="train", line={"color": TRAIN_COLOUR}), 1, 1)  # fmt: skip
    fig.add_trace(go.Scatter(x=steps, y=[r["acc"] for r in train_points], name="training batches",
                             legendgroup="train", showlegend=False, line={"color": TRAIN_COLOUR}), 1, 2)  # fmt: skip
    tested = [e for e in snap.epochs if e.get("test_top1") is not None]
    if tested:
        xs = [e["step"] for e in tested]
        # cliponaxis off: the last epoch's point sits on the right edge and would be cut in half.
        name = "10,000 test images (each epoch, and at a stop)"
        fig.add_trace(go.Scatter(x=xs, y=[e["test_loss"] for e in tested], name=name, mode="lines+markers",
                                 legendgroup="test", line={"color": TEST_COLOUR}, cliponaxis=False), 1, 1)  # fmt: skip
        fig.add_trace(go.Scatter(x=xs, y=[e["test_top1"] for e in tested], name=name, mode="lines+markers",
                                 legendgroup="test", showlegend=False, line={"color": TEST_COLOUR},
                                 cliponaxis=False), 1, 2)  # fmt: skip
    fig.update_xaxes(title_text="training step (batches)", range=[0, max(snap.total, 1)])
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=340, margin={"t": 40, "b": 40, "l": 40, "r": 20}, legend={"orientation": "h", "y": -0.3})
    return fig


def show_progress(snap: Snapshot, key: str, stopping: bool = False) -> None:
    """Progress bar, headline figures and the live curves of one job (``stopping``: Stop was pressed)."""
    fraction = snap.step / snap.total if snap.total else 0.0
    last = snap.steps[-1] if snap.steps else {}  # the latest point of the curves
    label = {"running": "Stopping…" if stopping else "Training…", "done": "Finished", "stopped": "Stopped",
             "failed": "Failed"}[snap.state]  # fmt: skip
    st.progress(min(fraction, 1.0), text=f"{label} step {snap.step:,} of {snap.total:,}")
    cols = st.columns(4)
    cols[0].metric("Epoch", f"{last.get('epoch', 0)}")
    cols[1].metric("Train loss", f"{last['loss']:.4f}" if "loss" in last else "–",
                   help="Mean cross-entropy of the batches since the curve's previous point.")  # fmt: skip
    test = next((e["test_top1"] for e in reversed(snap.epochs) if e.get("test_top1") is not None), None)
    cols[2].metric("Test accuracy", f"{test:.2%}" if test is not None else "–",
                   help="On the 10,000 test images, measured at the end of each epoch.")  # fmt: skip
    cols[3].metric("Images/s", f"{snap.images_per_s:,.0f}" if snap.images_per_s else "–",
                   help="Training speed over a whole epoch: shown once the first epoch ends.")  # fmt: skip
    if snap.steps or snap.epochs:
        st.plotly_chart(curves_figure(snap), key=key, width="stretch")
