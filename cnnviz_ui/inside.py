"""Page helpers for "inside the trained network": the digit picker, layer mosaics, pooling and heatmap figures.

A whole layer is drawn as ONE PNG mosaic (``cnnviz.inspect.tile_maps``), never as one figure per map:
64 plotly figures take seconds to render, one picture takes milliseconds. Everything a model computes
is cached with ``st.cache_data`` keyed by a fingerprint of the weights, so reruns only redraw.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch
from torch import nn

from cnnviz import inspect as net_inspect
from cnnviz.images import encode_png
from cnnviz.preprocess import PreprocessStep, to_mnist_steps
from cnnviz_ui.common import (
    a_class,
    class_name,
    lasting_canvas,
    literal,
    message_text,
    percent,
    renew_canvas,
    test_item,
)
from cnnviz_ui.plots import ACCENT, BLUE, RED, WHITE, diverging_rgb
from cnnviz_ui.resources import class_names, test_images

GAP_RGB = (205, 208, 214)  # between maps: darker than the white of a zero activation
ZOOM, WINNER = "#f59e0b", "#16a34a"  # the zoomed region; the cell each window keeps
MOSAIC_WIDTH = 880  # px the mosaics are upscaled to (nearest neighbour: pixels stay square and sharp)
INPUTS = ("Test digit", "Upload an image", "Draw a digit")
PICK_BY = ("By index", "By class", "Random")


@dataclass(frozen=True)
class Digit:
    """The network's input: float32 (28, 28) in [0, 1], a caption, and the true label when known."""

    image: np.ndarray
    caption: str
    label: int | None = None


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


def _test_image(prefix: str, dataset_name: str = "MNIST") -> Digit | None:
    """A test image by index, by class or at random; for MNIST the words are "digit", else the class names."""
    loaded = test_images(dataset_name)
    if loaded is None:
        return None
    images, labels = loaded
    names = class_names(dataset_name)
    thing, kind = test_item(names), ("Digit class" if names is None else "Class")
    count = len(images)
    how = st.radio(
        f"Choose the test {thing}", PICK_BY, key=f"{prefix}_pick_by", persist_state="session", horizontal=True
    )
    if how == "By index":
        # No help icon: its "Help for ..." label would make the widget's label ambiguous for browser tests.
        index = st.number_input(f"Test {thing} index", value=0, step=1, key=f"{prefix}_index", persist_state="session")
        if not 0 <= index < count:
            st.error(
                f"Test {thing} index must be between 0 and {count - 1:,} (the test set has {count:,} {thing}s); "
                f"got {int(index):,}."
            )
            return None
    elif how == "By class":
        chosen = st.selectbox(
            kind, range(10), key=f"{prefix}_class", persist_state="session", format_func=lambda c: class_name(c, names)
        )
        shown = class_name(chosen, names)
        of_class = torch.nonzero(labels == chosen).flatten()
        nth = st.number_input(
            f"Which {shown} (1 to {len(of_class):,})", value=1, step=1, key=f"{prefix}_nth", persist_state="session"
        )
        if not 1 <= nth <= len(of_class):
            st.error(
                f"There are {len(of_class):,} test {thing}s labelled {shown}: choose 1 to {len(of_class):,}, "
                f"got {int(nth):,}."
            )
            return None
        index = int(of_class[int(nth) - 1])
    else:
        chosen = f"{prefix}_random_index"
        if st.button(f"Another random {thing}", key=f"{prefix}_random") or chosen not in st.session_state:
            st.session_state[chosen] = int(np.random.default_rng().integers(count))
        index = st.session_state[chosen]
    label = int(labels[int(index)])
    pixels = images[int(index)].numpy().astype(np.float32) / 255.0
    return Digit(pixels, f"test {thing} #{int(index):,} ({a_class(label, names)})", label)


def mnist_steps(pixels: np.ndarray, caption: str) -> tuple[PreprocessStep, ...] | None:
    """``to_mnist_steps(pixels)``; or None after a one-line warning that starts with ``caption`` (an image with
    no digit in it): the same words on every page that takes a photo or a drawing."""
    try:
        return tuple(to_mnist_steps(pixels))
    except ValueError as exc:
        st.warning(f"{literal(caption)}: {message_text(exc)}.")
        return None


def _to_mnist(pixels: np.ndarray, caption: str) -> Digit | None:
    steps = mnist_steps(pixels, caption)
    return None if steps is None else Digit(np.asarray(steps[-1].image, dtype=np.float32), caption)


def digit_input(prefix: str, dataset_name: str = "MNIST") -> Digit | None:
    """The input picker: a test digit (by index, by class or random), an upload, or a drawing.

    Photos and drawings go through ``cnnviz.preprocess.to_mnist`` (crop, 20x20 box, centre of mass).
    Returns None, after explaining why, while there is no usable digit.

    Another ``dataset_name`` (Fashion-MNIST) offers its test images only, under keys of their own: its
    images were not made the way ``to_mnist`` makes a photo (they fill the 28x28 square, grey levels and
    all), so an uploaded photo would show the network something unlike what it learnt.
    """
    if dataset_name != "MNIST":
        st.caption(
            f"{dataset_name} test images only: photos and drawings go through MNIST's digit preprocessing, "
            "which a model trained on clothes never saw."
        )
        return _test_image(f"{prefix}_{dataset_name.lower().replace('-', '_')}", dataset_name)
    source = st.radio(
        "Input",
        INPUTS,
        key=f"{prefix}_source",
        persist_state="session",
        horizontal=True,
        on_change=renew_canvas,
        args=(f"{prefix}_canvas",),
    )  # a canvas taken down starts anew
    if source == "Test digit":
        return _test_image(prefix)
    if source == "Upload an image":
        from cnnviz_ui.images import upload_image

        picked = upload_image(f"{prefix}_upload", "Upload a photo of one digit")
        return None if picked is None else _to_mnist(picked.pixels, picked.caption)
    pixels = lasting_canvas(
        f"{prefix}_canvas",
        stroke_width=18,
        stroke_color="#ffffff",
        background_color="#000000",
        height=224,
        width=224,
        drawing_mode="freedraw",
    )
    st.caption("Draw one digit, large, in the middle of the box (**Clear** empties it).")
    if pixels is None or pixels[..., :3].max() == 0:
        st.info("Draw a digit in the black box to see how the network reacts.")
        return None
    return _to_mnist(pixels[..., :3], "your drawing")


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
        return net_inspect.saliency(_model, _image, target, samples=16, noise=0.1)
    return net_inspect.grad_cam(_model, _image, target)


@st.cache_resource(max_entries=256, show_spinner=False)
def figure_once(key: tuple, _build: Callable[[], go.Figure]) -> go.Figure:
    """Build a plotly figure once per ``key``. Building validates every property and is the slow part;
    the cached figure is shared read-only (``st.plotly_chart`` only reads it)."""
    return _build()


def mosaic_rgb(
    maps: np.ndarray, limit: float, columns: int, width: int = MOSAIC_WIDTH, per_map: bool = False
) -> np.ndarray:
    """(C, H, W) maps -> one upscaled RGB mosaic, blue-white-red around 0 with the same ``limit`` for all maps.

    ``per_map`` stretches each map to its own largest |value| instead, to see the shape of weak maps.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if per_map:
        peaks = np.abs(maps).reshape(len(maps), -1).max(1)
        maps, limit = maps / np.where(peaks > 0, peaks, 1.0)[:, None, None], 1.0
    mosaic = net_inspect.tile_maps(maps, columns=columns, gap=1)
    gaps = np.isnan(mosaic)
    rgb, _ = diverging_rgb(np.nan_to_num(mosaic), limit=limit or 1.0)
    rgb[gaps] = GAP_RGB
    scale = max(1, width // mosaic.shape[1])
    return rgb.repeat(scale, 0).repeat(scale, 1)


@st.cache_data(max_entries=256, show_spinner=False)
def mosaic_png(key: str, layer: str, limit: float, columns: int, per_map: bool, _maps: np.ndarray) -> bytes:
    """``mosaic_rgb`` as PNG bytes, cached: one layer's picture for ``st.image``."""
    return encode_png(mosaic_rgb(_maps, limit, columns, per_map=per_map))


def show_layer(key: str, name: str, maps: np.ndarray, limit: float, per_map: bool, what: str = "maps") -> None:
    """Heading (name, shape, value range) and the layer's mosaic.

    ``what``: "maps" (a layer's output), "filters" (conv weights, one per output map), "slices" (one
    filter's weights, one 3x3 slice per input map) or "weight images" (a dense layer's weights as pictures).
    """
    count, h, w = maps.shape
    help_text = (
        f"Output shape ({count}, {h}, {w}): {count} feature maps (channels), each {h}×{w} values."
        if what == "maps"
        else f"Weights ({count}, {h}, {w}): {count} {what}, each {h}×{w} weights."
    )
    st.markdown(f"**{name}** · {count} {what} of {h}×{w} · values {maps.min():.2f} … {maps.max():.2f}", help=help_text)
    columns = 8 if count <= 64 else 16
    native = columns * (w + 1) - 1
    # Small maps (conv3 is 3x3) would be blown up to the column's width: cap them at 14 px per value.
    st.image(mosaic_png(key, name, limit, columns, per_map, maps), width=min(MOSAIC_WIDTH, native * 14))


def legend(limit: float) -> None:
    """A one-line colour key for the mosaics."""
    st.markdown(
        f"<span style='background:rgb{BLUE};color:white;padding:1px 6px;border-radius:3px'>−{limit:.2f}</span>"
        f"<span style='background:rgb{WHITE};padding:1px 6px;border:1px solid #ddd'>0</span>"
        f"<span style='background:rgb{RED};color:white;padding:1px 6px;border-radius:3px'>+{limit:.2f}</span>"
        " &nbsp;colour key (negative blue, zero white, positive red; grey lines separate maps)",
        unsafe_allow_html=True,
    )


def grey_png(image: np.ndarray, size: int = 224) -> bytes:
    """A [0, 1] (H, W) image as a crisp upscaled grey PNG."""
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    scale = max(1, size // pixels.shape[0])
    return encode_png(pixels.repeat(scale, 0).repeat(scale, 1))


def heat_overlay_png(image: np.ndarray, heat: np.ndarray, size: int = 224) -> bytes:
    """The digit in grey with ``heat`` in [0, 1] laid over it in red-yellow (hot where the class is decided)."""
    base = np.clip(image, 0, 1)[..., None] * 0.55 * 255
    hot = np.stack([np.clip(heat * 2, 0, 1), np.clip(heat * 2 - 1, 0, 1), np.zeros_like(heat)], -1) * 255
    alpha = np.clip(heat, 0, 1)[..., None] ** 0.7
    rgb = np.round(base * (1 - alpha) + hot * alpha).astype(np.uint8)
    scale = max(1, size // rgb.shape[0])
    return encode_png(rgb.repeat(scale, 0).repeat(scale, 1))


def probability_chart(
    probabilities: np.ndarray, title: str = "", height: int = 260, names: Sequence[str] | None = None
) -> go.Figure:
    """A bar per class, the top class highlighted, probabilities printed beside the bars.

    ``names``: the classes' names (Fashion-MNIST), read across as horizontal bars. Slanted under upright
    bars they ran into each other in a 170 px column (a 1024 px projector), and so did two "16%" (QA).
    """
    top = int(probabilities.argmax())
    colours = [ACCENT if c == top else "#9ca3af" for c in range(len(probabilities))]
    classes = [class_name(c, names) for c in range(len(probabilities))]
    across = names is not None
    values = {"x": probabilities, "y": classes, "orientation": "h"} if across else {"x": classes, "y": probabilities}
    hover = "%{y}: %{x:.2%}<extra></extra>" if across else "class %{x}: %{y:.2%}<extra></extra>"
    figure = go.Figure(
        go.Bar(
            **values,
            marker_color=colours,
            text=[bar_label(p) for p in probabilities],
            textposition="outside",
            textfont={"size": 12},
            constraintext="none",
            cliponaxis=False,
            hovertemplate=hover,
        )
    )
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height + (40 if across else 0),
        dragmode=False,
        margin={"l": 10, "r": 30 if across else 10, "t": 36 if title else 10, "b": 10},
        plot_bgcolor="white",
    )
    share, classes_axis = (
        (figure.update_xaxes, figure.update_yaxes) if across else (figure.update_yaxes, figure.update_xaxes)
    )
    share(range=[0, 1.15], tickformat=".0%", gridcolor="#eee")
    # Every class named, however narrow (dtick 1); the first class on top when they are listed down.
    classes_axis(
        type="category", dtick=1, title_text=None if across else "class", autorange="reversed" if across else None
    )
    return figure


def bar_label(p: float) -> str:
    """The short probability label of a bar (and of an Evaluate mistake card): none under 5 % (they would
    collide in a narrow chart; hovering shows them), and never "100%" for a softmax that is merely very sure.

    From 99.5 % on it has the sentence's one decimal (``common.percent``: "99.7%", ">99.9%"): a bar said ">99%"
    under a heading that said "99.7%" (QA).
    """
    if p < 0.05:
        return ""
    if 0.995 <= p < 1:
        return percent(p)
    return f"{p:.0%}"
