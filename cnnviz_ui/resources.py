"""Models and datasets loaded once per server (``st.cache_resource``), the session's own models, and what a model
computes on an image, cached by a fingerprint of its weights (reruns only redraw).

Shared models are read-only: every page runs them under ``torch.no_grad`` or with
``torch.autograd.grad`` (which never writes ``.grad`` into the shared parameters), so thirty
students can use one copy at once.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from torch import nn

from cnnviz import attribution
from cnnviz import inspect as net_inspect
from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import DATASETS, load_dataset
from cnnviz.devices import device_name, select_device
from cnnviz.efficientnet import EfficientNetLite0, fuse_for_speed
from cnnviz.imagenet import load_imagenet_net
from cnnviz.jobs import TrainingSlot
from cnnviz_ui.text import literal, message_text

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {
    "Shipped convnet": ROOT / "assets" / "mnist_convnet.pt",
    "Shipped dense baseline": ROOT / "assets" / "mnist_dense.pt",
}
SESSION_MODELS_KEY = "trained_models"  # st.session_state[...] = {label: (model, meta)}
TEST_SETS = {"MNIST": "10,000 handwritten digits", "Fashion-MNIST": "10,000 photos of clothes"}
# A model menu shows this many characters of its name before "…" at its narrowest (Feature maps' at 1280 px
# shows 34); a longer name (a trained model's, an uploaded file's) is also written out in full under the menu.
NAME_FITS = 30


@st.cache_resource(show_spinner="Loading the model…")
def shipped_model(label: str) -> tuple[nn.Module, dict]:
    """A shipped checkpoint by its label in ``SHIPPED``; raises ValueError/FileNotFoundError if broken."""
    model, meta = load_checkpoint(SHIPPED[label])
    for p in model.parameters():
        p.requires_grad_(False)  # shared across sessions: nobody may train or accumulate grads on it
    return model, meta


@st.cache_resource(show_spinner="Loading the ImageNet network…")
def imagenet_net() -> tuple[EfficientNetLite0, list[str]]:
    """EfficientNet-Lite0 with its ImageNet weights (frozen, eval mode) and its 1000 class names, once per server:
    the lecture's layers, for feature maps, Grad-CAM and explained units. Raises FileNotFoundError/ValueError."""
    return load_imagenet_net()


@st.cache_resource(show_spinner="Preparing the fast copy of the ImageNet network…")
def imagenet_fast_net() -> EfficientNetLite0:
    """``fuse_for_speed`` of ``imagenet_net``'s model, once per server: answers only (its layers are not the
    lecture's). Raises as ``imagenet_net``."""
    return fuse_for_speed(imagenet_net()[0])


@st.cache_resource(show_spinner="Loading the dataset…")
def dataset(name: str = "MNIST", split: str = "test") -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 images (N, 28, 28), int64 labels (N,)), loaded once per server."""
    return load_dataset(name, split)


@st.cache_resource
def training_slot() -> TrainingSlot:
    """The server's single training slot (one training run at a time)."""
    return TrainingSlot()


@st.cache_resource
def compute_device_name() -> str:
    return device_name(select_device("auto"))


def session_models() -> dict[str, tuple[nn.Module, dict]]:
    """Models trained (or uploaded) in this browser session, by label."""
    return st.session_state.setdefault(SESSION_MODELS_KEY, {})


def add_session_model(label: str, model: nn.Module, meta: dict) -> None:
    """Make a model available to every page of this browser session only."""
    session_models()[label] = (model, meta)


def trained_on(meta: dict) -> str:
    """The dataset a model was trained on (checkpoints from before the field existed were MNIST)."""
    return meta.get("dataset", "MNIST")


def available_models(only_mnist: bool = False, dataset_name: str | None = None) -> tuple[dict, list[str]]:
    """All models this session can use (shipped first), label → (model, meta), and one message per shipped
    model that failed to load.

    ``only_mnist``: leave out models trained on another dataset (a Fashion-MNIST net's "7" is a sneaker,
    not a digit), for the pages that show digits; ``dataset_name``: only the models trained on it.
    """
    if only_mnist:
        dataset_name = "MNIST"
    models, problems = {}, []
    for label in SHIPPED:
        try:
            models[label] = shipped_model(label)
        except (ValueError, FileNotFoundError) as exc:
            problems.append(f"{label}: {exc}")
    models.update(session_models())
    if dataset_name is not None:
        models = {name: entry for name, entry in models.items() if trained_on(entry[1]) == dataset_name}
    return models, problems


def model_picker(
    label: str = "Model", key: str = "model_choice", default: str = "Shipped convnet", dataset_name: str = "MNIST"
) -> tuple[str, nn.Module, dict] | None:
    """A selectbox over the ``available_models`` trained on ``dataset_name``; shows what failed to load; None
    when no model is usable.

    A picked name longer than ``NAME_FITS`` is written in full in a caption under the menu: the menu cuts it
    off, and two checkpoints uploaded as ``lecture3_epoch2.pt`` and ``lecture3_epoch12.pt`` differ at the end.
    """
    models, problems = available_models(dataset_name=dataset_name)
    for problem in problems:
        st.error(message_text(problem))
    if not models:
        st.error("No model is available. Recreate the shipped checkpoints with `make train-shipped`.")
        return None
    names = list(models)
    choice = st.selectbox(
        label, names, index=names.index(default) if default in names else 0, key=key, persist_state="session"
    )
    if len(choice) > NAME_FITS:
        st.caption(f"Picked: {literal(choice)}")
    model, meta = models[choice]
    return choice, model, meta


def test_set_picker(key: str, label: str = "Test set") -> str:
    """The dataset whose test images a page shows its models on: MNIST, unless this session has a model trained on
    another one (Fashion-MNIST, from the Train page); then a radio over the datasets the models were trained on.

    A model is only ever shown images of what it was trained on: a Fashion-MNIST net's "7" is a sneaker.
    """
    trained = {trained_on(meta) for _, meta in available_models()[0].values()}
    if len(trained) <= 1:
        return next(iter(trained), "MNIST")
    return st.radio(
        label,
        sorted(trained, key=lambda name: (name != "MNIST", name)),
        key=key,
        horizontal=True,
        format_func=lambda name: f"{name}: {TEST_SETS.get(name, 'images')}",
        persist_state="session",
    )


def class_names(dataset_name: str) -> tuple[str, ...] | None:
    """The names of a dataset's ten classes, or None for MNIST (whose classes are the digits themselves)."""
    return None if dataset_name == "MNIST" else DATASETS[dataset_name][1]


def test_images(dataset_name: str) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``dataset(dataset_name, "test")``, or None after saying on the page how to install a missing dataset.

    Fashion-MNIST comes from a Debian package that ``make run`` does not install, while a Fashion-MNIST
    checkpoint can still be loaded on the Train page.
    """
    try:
        return dataset(dataset_name, "test")
    except FileNotFoundError as exc:
        st.error(f"The {dataset_name} test set is not on this server: {message_text(exc)}")
        return None


# Models handed to the pages never change after they are made (shipped ones are frozen, session ones are
# added when their training has ended), so each is hashed once, not on every rerun (12 ms for LeNet).
_FINGERPRINTS: weakref.WeakKeyDictionary[nn.Module, str] = weakref.WeakKeyDictionary()


def model_fingerprint(model: nn.Module) -> str:
    """A short hash of the weights: the cache key for anything computed with ``model``."""
    known = _FINGERPRINTS.get(model)
    if known is not None:
        return known
    digest = hashlib.blake2b(digest_size=12)
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().cpu().numpy().tobytes())
    _FINGERPRINTS[model] = fingerprint = digest.hexdigest()
    return fingerprint


def run_key(model: nn.Module, image: np.ndarray) -> str:
    """A cache key for "this model on this image": hashes of the weights and of the pixels."""
    pixels = hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=8).hexdigest()
    return f"{model_fingerprint(model)}:{pixels}"


@st.cache_data(max_entries=64, show_spinner=False)
def run_network(key: str, _model: nn.Module, _image: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(every layer's output as numpy, class probabilities (10,)) for one digit, cached by ``run_key``."""
    acts = net_inspect.activations(_model, _image)
    probabilities = torch.softmax(list(acts.values())[-1], dim=0).numpy()
    return {name: a.numpy() for name, a in acts.items()}, probabilities


@st.cache_data(max_entries=128, show_spinner="Computing which pixels decide…")
def explanation(key: str, method: str, target: int, _model: nn.Module, _image: np.ndarray) -> np.ndarray:
    """(28, 28) heat in [0, 1]: SmoothGrad saliency (16 copies) or Grad-CAM on conv3, cached by ``run_key``."""
    if method == "Saliency":
        return attribution.saliency(_model, _image, target, samples=16, noise=0.1)
    return attribution.grad_cam(_model, _image, target)


@st.cache_resource(max_entries=256, show_spinner=False)
def figure_once(key: tuple, _build: Callable[[], go.Figure]) -> go.Figure:
    """Build a plotly figure once per ``key``. Building validates every property and is the slow part;
    the cached figure is shared read-only (``st.plotly_chart`` only reads it)."""
    return _build()
