"""The Photos page: any photo through a real ImageNet network (EfficientNet-Lite0): what it sees, its top-5,
this photo's top-1 and top-5 error, Grad-CAM, and inside the network (feature maps, colour filters, one unit).

The answer comes from ``imagenet_fast_net`` (BatchNorm folded); everything shown inside the network comes from
``imagenet_net``, whose layers are the lecture's. Results are cached by the photo's id and the fit, so changing
only the true class, the Grad-CAM class or the view redraws without running the network again.
"""

from __future__ import annotations

import html
from functools import partial

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from cnnviz import attribution
from cnnviz import inspect as net_inspect
from cnnviz.forward_calls import find_call, record_calls
from cnnviz.imagenet import FITS, photo_to_input_steps
from cnnviz.images import OBJECT_PHOTOS, encode_png
from cnnviz.photo_checks import photo_notes
from cnnviz.predict import topk_accuracy
from cnnviz.render import filter_patches, mosaic_rgb, photo_heat_overlay
from cnnviz.slides import titled_png
from cnnviz.unit_paths import strongest_unit
from cnnviz.units import UnitExplanation, explain_call
from cnnviz.view_links import LinkParam
from cnnviz_ui.layout import mosaic_legend, wrapping_columns
from cnnviz_ui.links import CAMERA_FALLBACK, camera_available, copy_link_button, restore_from_link, write_link
from cnnviz_ui.picker import PickedImage, bundled_photo, camera_photo, upload_image
from cnnviz_ui.plots import ACCENT
from cnnviz_ui.presenting import explanation, figure_font_px, presentation_mode
from cnnviz_ui.resources import imagenet_fast_net, imagenet_net
from cnnviz_ui.slides import download_png_button, plotly_config, slide_figure
from cnnviz_ui.text import literal, message_text, percent

PAGE_KEY = "photos"
SOURCES = ("Bundled photo", "Upload a photo", "Camera")
PHOTO_LABELS = {
    "chelsea": "Chelsea the cat",
    "coffee": "A cup of coffee",
    "rocket": "A rocket launch",
    "motorcycle": "A motorcycle",
    "astronaut": "An astronaut",
    "camera": "A cameraman (grey)",
}
# The true class a bundled photo opens with (None: ImageNet has no class for it; the student picks one).
# Chelsea is a tabby: the network's top-1 says Egyptian cat, so top-1 is wrong and top-5 right, as on the slide.
PHOTO_TRUTH = {"chelsea": 281, "coffee": 967, "rocket": 657}
FIT_LABELS = {"squash": "Squash", "crop": "Crop centre"}
FIT_HELP = (
    "Squash: the whole photo resized to 224 × 224, its aspect ratio not kept. Crop centre: the centre square, "
    "resized (as resizing the shorter side to 224 and cropping the centre does): nothing stretched, the edges lost."
)
DEFAULT_FIT = "squash"  # see docs/decisions/p2-photos.md
VIEWS = ("Feature maps", "Colour filters", "Colour convolution")
DEPTHS = {  # forward_layers name -> what its maps tend to show
    "stem": "stem: edges and colours",
    "blocks.2": "block 2: textures",
    "blocks.5": "block 5: patterns",
    "blocks.10": "block 10: parts",
    "blocks.15": "block 15: object parts",
    "head": "head: 1280 maps the classifier reads",
}
SHOWN_MAPS = 32  # a mosaic shows this many of a layer's maps, the most active ones
NO_CLASS = -1
PICTURE_PX = 448  # the 224 x 224 input and Grad-CAM, drawn at 2x
# A picture beside its top-5 or its words keeps 300 px on a 1024 px projector with the sidebar open (564 px: 304 and
# the rest); the columns stack where the second would be narrower than 240 px.
PICTURE_BESIDE_TEXT = [1.25, 1]
# On a phone, where the columns stack, the top-5 comes before the picture: right under the photo's controls.
PHONE_ORDER_CSS = (
    "<style>@media (max-width: 639px) { .st-key-photos_result [data-testid='stColumn']:last-child "
    "{ order: -1; } }</style>"
)


def link_params(names: list[str]) -> list[LinkParam]:
    """The settings a link to this page carries (uploads and camera photos are not in links)."""
    return [
        LinkParam("source", str, SOURCES[0], choices=SOURCES, key="photos_source"),
        LinkParam("photo", str, "chelsea", choices=OBJECT_PHOTOS, key="photos_photo"),
        LinkParam("fit", str, DEFAULT_FIT, choices=FITS, key="photos_fit"),
        LinkParam("truth", int, NO_CLASS, low=NO_CLASS, high=len(names) - 1, key="photos_truth", label="true class"),
        LinkParam("cam", int, 1, low=1, high=5, key="photos_cam", label="Grad-CAM class"),
        LinkParam("view", str, VIEWS[0], choices=VIEWS, key="photos_view"),
    ]


def class_label(index: int, names: list[str]) -> str:
    """ "tabby (281)": the index tells the two "crane"s and two "maillot"s apart."""
    return "— not chosen (type to search) —" if index == NO_CLASS else f"{names[index]} ({index})"


# --- computed once per photo and fit (bounded caches: memory stays flat across uploads) -------------------


@st.cache_data(max_entries=16, show_spinner="Running the network…")
def answer(photo_key: str, _pixels: np.ndarray, fit: str) -> tuple[str, np.ndarray, np.ndarray]:
    """(what the photo was, e.g. "768 x 1024 RGB"; the (224, 224, 3) input in [0, 1]; probabilities (1000,))
    with the fast copy. Only these are kept: the steps' float copy of the whole photo (12 MB for 1024 x 768)
    would make each of the 16 entries 20 times larger."""
    steps = photo_to_input_steps(_pixels, fit)
    picture = steps[-1].image
    x = torch.from_numpy(np.ascontiguousarray(picture.transpose(2, 0, 1)))[None]
    with torch.inference_mode():
        probabilities = torch.softmax(imagenet_fast_net()(x).double(), dim=1)[0].numpy()
    return steps[0].caption, picture, probabilities


@st.cache_data(max_entries=32, show_spinner="Computing Grad-CAM…")
def grad_cam_png(photo_key: str, fit: str, target: int, _picture: np.ndarray) -> bytes:
    """Grad-CAM on the head's 7 x 7 maps for class ``target``, over the network's input, as a PNG."""
    x = torch.from_numpy(np.ascontiguousarray(_picture.transpose(2, 0, 1)))[None]
    heat = attribution.grad_cam(imagenet_net()[0], x, target, layer="head")
    return encode_png(photo_heat_overlay(_picture, heat, PICTURE_PX))


@st.cache_data(max_entries=8, show_spinner="Looking inside the network…")
def inside(photo_key: str, fit: str, _picture: np.ndarray) -> tuple[dict[str, tuple], tuple[int, int, int]]:
    """({layer of ``DEPTHS``: (its ``SHOWN_MAPS`` most active maps, their channel numbers, its shape)}, the
    stem's strongest unit (channel, row, column))."""
    x = torch.from_numpy(np.ascontiguousarray(_picture.transpose(2, 0, 1)))[None]
    with torch.inference_mode():
        outputs = dict(imagenet_net()[0].forward_layers(x))
    shown = {}
    for name in DEPTHS:
        maps = outputs[name][0].numpy()  # (C, H, W)
        order = np.argsort(-np.abs(maps).mean(axis=(1, 2)), kind="stable")[:SHOWN_MAPS]
        shown[name] = (maps[order].copy(), order, maps.shape)
    return shown, strongest_unit({"stem": outputs["stem"][0]}, "stem")


@st.cache_data(max_entries=16, show_spinner=False)
def maps_png(photo_key: str, layer: str, _maps: np.ndarray) -> bytes:
    """The mosaic of a layer's shown maps (C, H, W), each stretched to its own peak, as a PNG, made once per photo
    and layer. A PNG, not the JPEG ``st.image`` makes of an array: that smeared the maps' pixels and the red-blue
    edges between them, which a lecturer shows full screen (550 KB for the stem's, against 80 KB as a JPEG)."""
    return encode_png(mosaic_rgb(_maps, 1.0, 8, per_map=True))


@st.cache_data(max_entries=32, show_spinner=False)
def stem_unit(photo_key: str, fit: str, unit: tuple[int, int, int], _picture: np.ndarray) -> tuple:
    """(the stem conv's ``UnitExplanation`` at ``unit``, its BatchNorm's (with the ReLU6 after it))."""
    x = torch.from_numpy(np.ascontiguousarray(_picture.transpose(2, 0, 1)))[None]
    calls = record_calls(imagenet_net()[0], x)
    return tuple(explain_call(calls, find_call(calls, layer), unit) for layer in ("stem.conv", "stem.bn"))


# --- the page -----------------------------------------------------------------------------------------------


def show_page() -> None:
    """The whole page below its header."""
    try:
        model, names = imagenet_net()
        imagenet_fast_net()
    except (FileNotFoundError, ValueError) as exc:
        st.error(f"The ImageNet network cannot be loaded: {message_text(exc)}")
        return
    params = link_params(names)
    restore_from_link(PAGE_KEY, params)
    picked, fit = pick_photo_and_fit()
    values = {
        "source": st.session_state["photos_source"],
        "photo": st.session_state["photos_photo"],
        "fit": fit,
        "truth": st.session_state.get("photos_truth", NO_CLASS),
        "cam": st.session_state.get("photos_cam", 1),
        "view": st.session_state.get("photos_view", VIEWS[0]),
    }
    if picked is None:
        st.info("Choose a photo above: its top-5 appears here.")
        write_link(values, params, page_key=PAGE_KEY)
        return
    try:
        source, picture, probabilities = answer(f"{picked.image_id}:{fit}", picked.pixels, fit)
    except ValueError as exc:
        st.error(f"**{literal(picked.caption)}**: {message_text(exc)}.")
        write_link(values, params, page_key=PAGE_KEY)
        return
    key = f"{picked.image_id}:{fit}"
    for note in photo_notes(picked.pixels):
        st.warning(note)
    order = np.argsort(-probabilities, kind="stable")[:5]
    ranking = [(int(c), float(probabilities[c])) for c in order]
    st.markdown(f"#### {html.escape(top5_sentence(ranking, names))}")
    # The picture and the top-5 side by side, so both start on the first screen of a projector; stacked on a phone.
    seen, answers = wrapping_columns(PICTURE_BESIDE_TEXT, "photos_result", 240, gap="small")
    st.html(PHONE_ORDER_CSS)
    if presentation_mode():  # the whole picture on a projector's first screen, under the taller presenting type
        st.html("<style>.st-key-photos_input [data-testid='stImage'] img { max-height: 440px; width: auto; }</style>")
    with seen, st.container(key="photos_input"):
        show_input(picked, source, picture, fit)
    with answers:
        show_top5(ranking, names)
    values["truth"] = true_class_error(picked, probabilities, names)
    values["cam"] = show_grad_cam(key, fit, picture, ranking, names)
    values["view"] = show_inside(key, fit, picture, model)
    write_link(values, params, page_key=PAGE_KEY)
    copy_link_button(values, params)


def pick_photo_and_fit() -> tuple[PickedImage | None, str]:
    """The source, the photo and the fit widgets: (the picked photo, or None after saying why; the fit).

    The source's options name themselves, so its label is hidden, and the photo and the fit share a row: the
    controls take two rows, and the answer under them starts on a 1024 x 768 projector's first screen.
    """
    sources = SOURCES if camera_available() else SOURCES[:2]
    st.session_state.setdefault("photos_source", SOURCES[0])
    if st.session_state["photos_source"] not in sources:
        st.session_state["photos_source"] = SOURCES[0]
    source = st.radio("Photo", sources, key="photos_source", horizontal=True, label_visibility="collapsed")
    if len(sources) < len(SOURCES):
        st.caption(CAMERA_FALLBACK)
    control, fitting = wrapping_columns([1.5, 1], "photos_pickers", 200, gap="small")
    with control:
        picked = pick_photo(source)
    with fitting:
        st.session_state.setdefault("photos_fit", DEFAULT_FIT)
        fit = (
            st.segmented_control("Fit to 224 × 224", FITS, key="photos_fit", format_func=FIT_LABELS.get, help=FIT_HELP)
            or DEFAULT_FIT
        )
    return picked, fit


def pick_photo(source: str) -> PickedImage | None:
    """The photo from ``source``: a bundled one, an upload or the camera's; None after saying why."""
    st.session_state.setdefault("photos_photo", "chelsea")
    if source == "Bundled photo":
        name = st.selectbox(
            "Bundled photo",
            OBJECT_PHOTOS,
            key="photos_photo",
            format_func=lambda n: PHOTO_LABELS.get(n, n),
            help="Photos that ship with scikit-image: nothing is downloaded.",
        )
        return bundled_photo(name)
    if source == "Camera":
        return camera_photo(
            "photos_camera", "Take a photo of one thing", help="An animal, a cup, a bike: ImageNet's kinds of thing."
        )
    return upload_image(
        "photos_upload", "Upload a photo", hint="One thing, large in the picture: an animal, a cup, a vehicle…"
    )


def show_input(picked: PickedImage, source: str, picture: np.ndarray, fit: str) -> None:
    """The 224 x 224 picture the network sees, with how it was made and a download."""
    pixels = np.round(picture * 255).astype(np.uint8)
    big = pixels.repeat(2, 0).repeat(2, 1)
    how = source + (" → the centre square" if fit == "crop" else " → squashed, aspect ratio not kept")
    st.image(big, width="stretch")
    st.caption(f"What the network sees: 224 × 224 ({how} → 224 × 224)")
    title = f"What EfficientNet-Lite0 sees: {picked.caption}"
    download_png_button(partial(titled_png, pixels, title, scale=2), title, key="photos_input_png")


def top5_sentence(ranking: list[tuple[int, float]], names: list[str]) -> str:
    """The lecture slide's line: "Egyptian cat (0.77), tiger cat (0.10), tabby (0.08)…"."""
    return ", ".join(f"{names[c]} ({p:.2f})" for c, p in ranking) + "…"


def show_top5(ranking: list[tuple[int, float]], names: list[str]) -> None:
    """The top-5 [(class, probability)] as bars."""
    figure = top5_figure(ranking, names, figure_font_px(14))
    st.plotly_chart(slide_figure(figure), config=plotly_config("Top-5 of EfficientNet-Lite0"), key="photos_top5")


def top5_figure(ranking: list[tuple[int, float]], names: list[str], px: int) -> go.Figure:
    """The top-5 as horizontal bars, each class's name written above its bar and its probability after it, in
    ``px`` px type. Names above the bars, not beside them, leave a narrow column (244 px beside the picture on a
    1024 px projector) its whole width for the bars; there are no axis numbers, the bars say theirs."""
    label_px, bar_px, gap_px = round(px * 1.35), px + 10, 12
    slot = gap_px + label_px + bar_px  # px per class
    top = round(px * 1.5) + 8  # the title
    centre = (gap_px + label_px + bar_px / 2) / slot - 0.5  # a bar's centre in its slot, in slots
    rows = [i + centre for i in range(len(ranking))]
    figure = go.Figure(
        go.Bar(
            x=[p for _, p in ranking],
            y=rows,
            width=bar_px / slot,
            orientation="h",
            marker_color=[ACCENT] + ["#9ca3af"] * (len(ranking) - 1),
            text=[percent(p) for _, p in ranking],
            textposition="outside",
            constraintext="none",  # plotly would shrink the numbers to the bars' thickness
            cliponaxis=False,
            textfont={"size": px},
            customdata=[f"{names[c]} ({c})" for c, _ in ranking],
            hovertemplate="%{customdata}: %{x:.2%}<extra></extra>",
        )
    )
    for row, (c, _) in zip(rows, ranking, strict=True):
        figure.add_annotation(
            x=0,
            y=row,
            yshift=bar_px / 2 + 1,
            xanchor="left",
            yanchor="bottom",
            showarrow=False,
            text=html.escape(f"{names[c]} ({c})"),
            font={"size": px},
        )
    figure.update_layout(
        title={"text": "Top-5 (softmax probability)", "font": {"size": px}, "x": 0, "xanchor": "left"},
        height=top + slot * len(ranking) + 6,
        margin={"l": 2, "r": 4, "t": top, "b": 6},
        plot_bgcolor="white",
        font={"size": px},
        showlegend=False,
    )
    figure.update_xaxes(range=[0, 1.22], visible=False)
    figure.update_yaxes(range=[len(ranking) - 0.5, -0.5], visible=False)
    return figure


def true_class_error(picked: PickedImage, probabilities: np.ndarray, names: list[str]) -> int:
    """The searchable true-class picker and this photo's top-1 ... top-5 error; returns the chosen class."""
    photo = picked.image_id.removeprefix("photo:")
    default = PHOTO_TRUTH.get(photo, NO_CLASS)
    if st.session_state.get("photos_truth_for") != picked.image_id:  # a new photo opens with its own true class
        if "photos_truth_for" in st.session_state or "photos_truth" not in st.session_state:
            st.session_state["photos_truth"] = default
        st.session_state["photos_truth_for"] = picked.image_id
    chooser, verdict_side = wrapping_columns([1, 1.3], "photos_truth_row", 280, gap="medium")
    with chooser:
        truth = st.selectbox(
            "True class (type to search the 1000 ImageNet classes)",
            [NO_CLASS, *range(len(names))],
            key="photos_truth",
            format_func=lambda c: class_label(c, names),
        )
    with verdict_side:
        show_error(photo, truth, probabilities, names)
    return truth


def show_error(photo: str, truth: int, probabilities: np.ndarray, names: list[str]) -> None:
    """Where the true class ``truth`` ranks, and this photo's top-1 ... top-5 error (or how to choose a class)."""
    if truth == NO_CLASS:
        if photo in ("astronaut", "camera"):
            st.caption("ImageNet's 1000 classes have no person: pick the thing you think is the answer.")
        st.caption("Pick what the photo really shows to see this photo's top-1 and top-5 error.")
        return
    rank = int((probabilities > probabilities[truth]).sum()) + 1
    in_top = {k: topk_accuracy(probabilities[None], np.array([truth]), k) == 1.0 for k in range(1, 6)}
    name = names[truth]
    if in_top[1]:
        verdict = f"**{name}** is the top-1 answer: top-1 error 0 and top-5 error 0 for this photo."
    elif in_top[5]:
        verdict = f"**{name}** is answer {rank} of 5: top-1 **error** (wrong), but top-5 **correct** (error 0)."
    else:
        verdict = f"**{name}** is answer {rank:,} of 1000: top-1 and top-5 **error** (both wrong)."
    st.markdown(f"{verdict} Probability of {name}: {percent(float(probabilities[truth]))}.")
    cells = " | ".join(
        ":green[:material/check: yes]" if in_top[k] else ":red[:material/close: no]" for k in range(1, 6)
    )
    st.markdown(f"| in top-1 | top-2 | top-3 | top-4 | top-5 |\n|:-:|:-:|:-:|:-:|:-:|\n| {cells} |")


def show_grad_cam(key: str, fit: str, picture: np.ndarray, ranking: list[tuple[int, float]], names: list) -> int:
    """Grad-CAM for one of the top-5 (chosen by rank); returns the rank."""
    st.subheader("Where the network looked: Grad-CAM")
    st.session_state.setdefault("photos_cam", 1)
    rank = (
        st.segmented_control(
            "Grad-CAM for the class",
            [1, 2, 3, 4, 5],
            key="photos_cam",
            format_func=lambda r: f"{r}. {names[ranking[r - 1][0]]}",
        )
        or 1
    )
    target = ranking[rank - 1][0]
    picture_col, words = wrapping_columns(PICTURE_BESIDE_TEXT, "photos_cam_row", 240, gap="small")
    png = grad_cam_png(key, fit, target, picture)
    title = f"Grad-CAM for {names[target]} ({target})"
    with picture_col, st.container(key="photos_grad_cam"):
        caption = f"{title}: red-yellow where the head's maps push {names[target]} up"
        st.image(png, caption=caption, width="stretch", output_format="PNG")
        download_png_button(partial(titled_png, png, title, scale=1), title, key="photos_cam_png")
    with words, explanation("grad_cam"):
        st.markdown(
            "Grad-CAM weighs each of the **1280 maps of the head** (7 × 7 each, the last layer before the "
            "global average pool) by how much the chosen class's score rises when the map rises, adds them up "
            "and keeps the positive part. Each of the 7 × 7 cells sees a 32-pixel stride of the photo, so the "
            "heat is coarse: it says *where*, not *which pixels*. Compare the top-5 classes: a cat's face for "
            "one, its striped fur for another."
        )
    return int(rank)


def show_inside(key: str, fit: str, picture: np.ndarray, model: torch.nn.Module) -> str:
    """Inside the network: feature maps at increasing depth, the stem's colour filters, one stem unit's sum."""
    st.subheader("Inside the network")
    st.session_state.setdefault("photos_view", VIEWS[0])
    view = st.segmented_control("Show", VIEWS, key="photos_view") or VIEWS[0]
    if view == "Feature maps":
        show_feature_maps(key, fit, picture)
    elif view == "Colour filters":
        show_filters(model)
    else:
        show_colour_convolution(key, fit, picture)
    return view


def show_feature_maps(key: str, fit: str, picture: np.ndarray) -> None:
    layers, _ = inside(key, fit, picture)
    st.session_state.setdefault("photos_depth", "stem")
    layer = st.select_slider("Depth", list(DEPTHS), key="photos_depth", format_func=DEPTHS.get)
    maps, channels, shape = layers[layer]
    with explanation("maps"):
        st.caption(
            "Each square is one feature map of this layer on your photo (the most active "
            f"{len(maps)} of {shape[0]}), each stretched to its own strongest value. Early maps follow edges and "
            "colours at full detail; deeper maps are smaller and answer to textures, then to parts of things."
        )
    mosaic = maps_png(key, layer, maps)
    title = f"{DEPTHS[layer]}: {len(maps)} of {shape[0]} maps of {shape[1]}×{shape[2]}"
    st.markdown(f"**{title}** · channels {', '.join(str(c) for c in channels[:8])}, …")
    with st.container(key="photos_mosaic"):
        st.image(mosaic, width="stretch", output_format="PNG")  # "auto" would make a JPEG of the PNG
    mosaic_legend(1.0)
    download_png_button(partial(titled_png, mosaic, title, scale=2), title, key="photos_maps_png")


def show_filters(model: torch.nn.Module) -> None:
    weights = net_inspect.conv_filters(model, "stem.conv").numpy()  # (32, 3, 3, 3)
    patches = filter_patches(weights, columns=8, cell=48, gap=6)
    title = "The stem's 32 colour filters (3 × 3 × RGB)"
    left, right = wrapping_columns(PICTURE_BESIDE_TEXT, "photos_filters_row", 240, gap="small")
    with left:
        st.image(patches, caption=title, width="stretch", output_format="PNG")
        download_png_button(partial(titled_png, patches, title, scale=2), title, key="photos_filters_png")
    with right, explanation("filters"):
        st.markdown(
            "The first layer's 32 filters, each 3 × 3 pixels × 3 colours (R, G, B): the only weights of the "
            "network that look at colours directly. Grey is a weight of 0; a brighter colour means the filter "
            "likes that colour there, a darker one dislikes it. Some are edge detectors (light on one side, dark "
            "on the other), some colour-contrast detectors (one colour against another), like AlexNet's first layer."
        )


def show_colour_convolution(key: str, fit: str, picture: np.ndarray) -> None:
    """One value of the stem: R, G and B windows times their kernel slices, three partial sums, BN, ReLU6."""
    if st.session_state.get("photos_unit_for") != key:  # a new photo opens on the stem's strongest value
        channel, row, col = inside(key, fit, picture)[1]
        st.session_state.update(photos_ch=channel, photos_row=row, photos_col=col, photos_unit_for=key)
    a, b, c = st.columns(3)
    channel = a.number_input("Filter (map)", 0, 31, key="photos_ch")
    row = b.number_input("Row", 0, 111, key="photos_row")
    col = c.number_input("Column", 0, 111, key="photos_col")
    conv, norm = stem_unit(key, fit, (int(channel), int(row), int(col)), picture)
    with explanation("colour_conv"):
        st.caption(
            "A conv layer's filter on a colour image has one 3 × 3 slice per input colour. Each slice multiplies "
            "its own colour's window; the three partial sums add up to ONE value of ONE map. The network first "
            "rescales each pixel p (0–255) to (p − 127) / 128, so the windows hold numbers from −1 to 1. It opens "
            "on the strongest value of the stem; type a filter and position to see another."
        )
    st.html(colour_sum_html(conv, norm, figure_font_px(15)))


def colour_sum_html(conv: UnitExplanation, norm: UnitExplanation, px: int) -> str:
    """R, G, B rows: window × kernel slice = partial sum; then the total, BatchNorm and ReLU6, as one HTML block."""
    colours = ("R", "G", "B")
    tints = ("#fde2e2", "#dcfce7", "#dbeafe")

    def grid(values: np.ndarray, padded: np.ndarray, tint: str) -> str:
        rows = []
        for r in range(values.shape[0]):
            cells = "".join(
                f"<td style='background:{'#e5e7eb' if padded[r, c] else tint}'>{values[r, c]:+.2f}</td>"
                for c in range(values.shape[1])
            )
            rows.append(f"<tr>{cells}</tr>")
        return f"<table class='cnnviz-grid'>{''.join(rows)}</table>"

    lines = []
    for i, name in enumerate(colours):
        lines.append(
            f"<div class='cnnviz-row'><b>{name}</b> window {grid(conv.inputs[i], conv.padded, tints[i])}"
            f" × kernel slice {grid(conv.weights[i], np.zeros_like(conv.padded), '#f3f4f6')}"
            f" = <b>{conv.partial_sums[i]:+.3f}</b></div>"
        )
    channel, row, col = conv.unit
    sums = " + ".join(f"({s:+.3f})" for s in conv.partial_sums)
    scale, shift = float(norm.weights.ravel()[0]), norm.bias
    activated = norm.activated if norm.activated is not None else norm.value
    summary = (
        f"<p>R + G + B = {sums} + bias 0 (this conv has none) = <b>{conv.value:+.3f}</b> "
        f"= stem.conv map {channel}, row {row}, column {col}.</p>"
        f"<p>BatchNorm: {conv.value:+.3f} × {scale:.3f} + ({shift:+.3f}) = <b>{norm.value:+.3f}</b>; "
        f"ReLU6 keeps it between 0 and 6: <b>{activated:.3f}</b>, the value the stem's feature map shows.</p>"
    )
    style = (
        f"<style>.cnnviz-colour {{ font-size:{px}px; }} .cnnviz-row {{ display:flex; align-items:center; gap:.5em;"
        " flex-wrap:wrap; margin:.3em 0; } .cnnviz-grid { border-collapse:collapse; font-family:monospace; }"
        " .cnnviz-grid td { border:1px solid #d1d5db; padding:2px 5px; text-align:right; }</style>"
    )
    return f"{style}<div class='cnnviz-colour'>{''.join(lines)}{summary}</div>"
