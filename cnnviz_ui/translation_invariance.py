"""The Translation invariance page's views: probabilities for every shift (cached), their charts, pooled maps."""

from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from cnnviz.invariance import accuracy_vs_shift, relative_change, shift_image, shift_offsets, shift_response
from cnnviz.render import shared_limit
from cnnviz.slides import titled_png
from cnnviz.view_links import LinkParam
from cnnviz_ui.charts import draw_box, probability_chart, square_layout
from cnnviz_ui.layout import show_layer
from cnnviz_ui.links import copy_link_button, write_link
from cnnviz_ui.picker import PickedImage
from cnnviz_ui.plots import ACCENT, ALERT, colour_bar, grey_png, legend_html, plotly_literal
from cnnviz_ui.presenting import figure_font_px
from cnnviz_ui.resources import SHIPPED, dataset, figure_once, run_key, run_network
from cnnviz_ui.slides import download_png_button, plotly_config, slide_figure
from cnnviz_ui.text import a_digit, literal, percent

CONV_COLOUR, DENSE_COLOUR = ACCENT, ALERT
MAX_SHIFT = 10
PICTURE_PX = 300  # the shifted digit: large enough to see a one-pixel move from the back of the hall
AXES = {"dx": ("◀ left", "right ▶"), "dy": ("▲ up", "down ▼")}  # the step buttons of each axis
PLAY_SECONDS = 0.5  # one pixel per half second: 20 steps cross the frame in 10 s
PLAYING = "ti_play"  # the Play control's key: "play" while playing, else None
_LAST_STEP = "_ti_play_last"  # time.monotonic() of the last step played
_LINK_DIGIT = "_ti_link_digit"  # a test digit's index read from a link, before the picker's widgets
# What a link to this page carries: the two shipped models, the test digit, the shift and the stepping axis.
LINK_PARAMS = [
    LinkParam("model", str, "Shipped convnet", choices=tuple(SHIPPED), key="ti_conv"),
    LinkParam("baseline", str, "Shipped dense baseline", choices=tuple(SHIPPED), key="ti_dense"),
    LinkParam("digit", int, 0, low=0, high=9999, key=_LINK_DIGIT, label="test digit"),
    LinkParam("dx", int, 0, low=-MAX_SHIFT, high=MAX_SHIFT, key="ti_dx"),
    LinkParam("dy", int, 0, low=-MAX_SHIFT, high=MAX_SHIFT, key="ti_dy"),
    LinkParam("axis", str, "dx", choices=tuple(AXES), key="ti_axis"),
]


def digit_from_link() -> None:
    """A test digit a link held (``restore_from_link`` put it under a key of its own): show that test digit,
    by index. Call after the restore, before the picker."""
    index = st.session_state.pop(_LINK_DIGIT, None)
    if index is not None:
        st.session_state.update({"ti_source": "Test digit", "ti_pick_by": "By index", "ti_index": int(index)})


def link_values(model: str, baseline: str, image_id: str, dx: int, dy: int, axis: str) -> dict[str, object]:
    """The settings ``LINK_PARAMS`` names, as the page shows them; the digit only when it is an MNIST test digit
    (``PickedImage.image_id`` "MNIST:<index>": uploads and drawings stay in their browser)."""
    values: dict[str, object] = {"model": model, "baseline": baseline, "dx": dx, "dy": dy, "axis": axis}
    source, _, index = image_id.partition(":")
    if source == "MNIST" and index.isdigit():
        values["digit"] = int(index)
    return values


def _step(axis: str, by: int) -> None:
    key = f"ti_{axis}"
    st.session_state[key] = int(np.clip(st.session_state.get(key, 0) + by, -MAX_SHIFT, MAX_SHIFT))


def playing() -> bool:
    """Whether the shift is being played (the Play control, a one-option segmented control, is selected)."""
    return st.session_state.get(PLAYING) is not None


def _play_from_start() -> None:
    """Play pressed at the end of the axis starts again from the other end."""
    key = f"ti_{st.session_state.get('ti_axis', 'dx')}"
    if playing() and st.session_state.get(key, 0) >= MAX_SHIFT:
        st.session_state[key] = -MAX_SHIFT
    st.session_state[_LAST_STEP] = time.monotonic()


def play_step() -> None:
    """While playing, one pixel further along the axis per tick of the view's clock; at the end, stop.

    Call before the shift's widgets. A rerun sooner than most of a tick (a click while playing) does not
    step. Stopping reruns the whole page, which draws the view without its clock.
    """
    if not playing():
        return
    if time.monotonic() - st.session_state.get(_LAST_STEP, 0.0) < 0.6 * PLAY_SECONDS:
        return
    key = f"ti_{st.session_state.get('ti_axis', 'dx')}"
    if st.session_state.get(key, 0) >= MAX_SHIFT:
        st.session_state[PLAYING] = None
        st.rerun()
    st.session_state[key] = int(st.session_state.get(key, 0)) + 1
    st.session_state[_LAST_STEP] = time.monotonic()


def shift_controls() -> tuple[int, int, str]:
    """The two shift sliders, the axis the arrow keys move along, and its step and play buttons; returns
    (dx, dy, axis).

    The buttons sit in containers keyed ``step_prev_ti`` / ``step_play_ti`` / ``step_next_ti``, so ←, Space
    and → press them (``presenting.keyboard_steps``): a lecturer walks the digit across the frame one pixel
    at a time, or plays the walk.
    """
    play_step()
    for key in ("ti_dx", "ti_dy"):
        st.session_state.setdefault(key, 0)
    st.session_state.setdefault("ti_axis", "dx")
    dx = st.slider("Shift right (dx, pixels)", -MAX_SHIFT, MAX_SHIFT, key="ti_dx", persist_state="session")
    dy = st.slider("Shift down (dy, pixels)", -MAX_SHIFT, MAX_SHIFT, key="ti_dy", persist_state="session")
    axis = st.radio(
        "Arrow keys and buttons move it",
        tuple(AXES),
        key="ti_axis",
        horizontal=True,
        format_func=lambda a: "left / right" if a == "dx" else "up / down",
        persist_state="session",
    )
    back, forth = AXES[axis]
    current = dx if axis == "dx" else dy
    now_playing = playing()
    with st.container(horizontal=True, gap="small", key="ti_steps"):  # one row, on a phone too
        st.html("<style>.st-key-ti_steps button { min-height: 2.5rem; }</style>")  # Play as tall as the steps
        with st.container(key="step_prev_ti", width="content"):
            st.button(back, key="ti_step_back", on_click=_step, args=(axis, -1), disabled=current <= -MAX_SHIFT)
        # A segmented control, not a button: its value is the state, so a click delivered twice (Streamlit
        # replays a button's click that meets a rerun of the view's clock) cannot play and pause at once.
        with st.container(key="step_play_ti", width="content"):
            st.segmented_control(
                "Play",
                ["play"],
                key=PLAYING,
                format_func=lambda _: ":material/pause: Pause" if now_playing else ":material/play_arrow: Play",
                on_change=_play_from_start,
                label_visibility="collapsed",
                help=f"Moves the digit {'right' if axis == 'dx' else 'down'} a pixel every {PLAY_SECONDS:g} s up to "
                f"{MAX_SHIFT} (from -{MAX_SHIFT} when it is there already). Space plays and pauses in "
                "presentation mode.",
            )
        with st.container(key="step_next_ti", width="content"):
            st.button(forth, key="ti_step_forth", on_click=_step, args=(axis, 1), disabled=current >= MAX_SHIFT)
    return int(dx), int(dy), axis


@st.cache_data(max_entries=64, show_spinner="Shifting the digit 441 ways…")
def grid_probabilities(key: str, target: int, _model: torch.nn.Module, _image: torch.Tensor) -> np.ndarray:
    """Class probabilities for every shift: (dy, dx, classes), dy and dx from -MAX_SHIFT to MAX_SHIFT."""
    response = shift_response(_model, _image, shift_offsets(MAX_SHIFT, "xy"), target)
    return response.probabilities.reshape(2 * MAX_SHIFT + 1, 2 * MAX_SHIFT + 1, -1)


@st.cache_data(max_entries=8, show_spinner="Shifting 1,000 test digits 17 ways for each model…")
def accuracy_curve(key: str, _model: torch.nn.Module) -> np.ndarray:
    """Top-1 accuracy on the first 1,000 MNIST test digits for horizontal shifts -8 to 8, cached by ``key``."""
    images, labels = dataset("MNIST", "test")
    return accuracy_vs_shift(_model, images[:1000], labels[:1000], shift_offsets(8, "x"))


def shift_curves(
    steps: np.ndarray, curves: dict[str, np.ndarray], current: int, axis: str, target: int, font_px: int = 14
) -> go.Figure:
    """P(target) against a shift along one axis, one line per model, the current shift marked; axes' labels at
    ``font_px`` (``presenting.figure_font_px``)."""
    figure = go.Figure()
    for (name, values), colour in zip(curves.items(), (CONV_COLOUR, DENSE_COLOUR), strict=False):
        name = plotly_literal(name)
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                name=name,
                mode="lines+markers",
                line={"color": colour},
                showlegend=False,  # one legend for both charts: curve_legend
                hovertemplate=f"{axis}=%{{x}}: %{{y:.1%}}<extra>{name}</extra>",
            )
        )
    figure.add_vline(x=current, line={"color": "#6b7280", "dash": "dot"})
    figure.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
        title={"text": f"P({target}) as it moves {'right' if axis == 'dx' else 'down'}", "font": {"size": font_px}},
        font={"size": font_px},
        dragmode=False,
    )
    figure.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", gridcolor="#eee", tickfont={"size": font_px})
    figure.update_xaxes(title_text=f"{axis} (pixels)", gridcolor="#eee", zeroline=False, tickfont={"size": font_px})
    return figure


def curve_legend(names: list[str]) -> str:
    """One legend line for both shift charts (``plots.legend_html``), in the curves' colours."""
    return legend_html(list(zip(names, (CONV_COLOUR, DENSE_COLOUR), strict=False)))


def shift_grid(
    steps: np.ndarray, values: np.ndarray, title: str, current: tuple[int, int], font_px: int = 14
) -> go.Figure:
    """P(target) over every (dx, dy) as a heatmap (row = dy, column = dx), the current shift boxed; axes' labels
    at ``font_px``."""
    figure = go.Figure(
        go.Heatmap(
            x=steps,
            y=steps,
            z=values,
            zmin=0,
            zmax=1,
            colorscale="Viridis",
            colorbar=colour_bar(0.0, 1.0, ".0%"),
            hovertemplate="dx=%{x}, dy=%{y}: %{z:.1%}<extra></extra>",
        )
    )
    draw_box(figure, current[1], current[0], 1, "white", 3)
    figure = square_layout(figure, title, 430)
    # Shown at its own fixed height with tick labels (not ``show_picture``): shrink the plot, not widen the axes.
    figure.update_xaxes(showticklabels=True, title_text="dx (right)", constrain="domain", tickfont={"size": font_px})
    figure.update_yaxes(showticklabels=True, title_text="dy (down)", constrain="domain", tickfont={"size": font_px})
    return figure


def pooled_maps(
    name: str, model: torch.nn.Module, key: str, image: np.ndarray, moved: np.ndarray, shift: tuple
) -> None:
    """The model's pooled feature maps on the digit as it was and shifted by ``shift`` (dx, dy), and how much each
    pooling layer's output changed (``invariance.relative_change``)."""
    layers = [n for n in ("pool1", "pool2") if hasattr(model, n)]
    if not layers:
        return
    st.subheader(f"Pooled feature maps of {literal(name)}: the digit as it was, and shifted")
    still = run_network(key, model, image)[0]
    shifted_key = run_key(model, moved)
    shifted = run_network(shifted_key, model, moved)[0]
    for layer in layers:
        limit = shared_limit(still[layer], shifted[layer])
        change = relative_change(still[layer], shifted[layer])
        a, b = st.columns(2, gap="large")
        with a:
            show_layer(key, f"{layer}", still[layer], limit, per_map=False)
        with b:
            show_layer(shifted_key, f"{layer} shifted by {shift}", shifted[layer], limit, per_map=False)
        st.caption(
            f"{layer} changed by {change:.0%} (relative L2 distance). The maps move with the digit: the same "
            "responses in other places, which this distance counts as change. Pooling absorbs a move only "
            "while a response stays inside its window."
        )


def shifted_view(
    view, details, digit: PickedImage, grids: dict[str, np.ndarray], keys: dict[str, str], target: int, picks: tuple
) -> None:
    """The shifted digit, its controls, both networks' answers and every chart that follows the shift.

    A fragment: moving the digit reruns only this. While playing, the browser reruns it every
    ``PLAY_SECONDS`` (``run_every``; Play and Pause rerun the page, which sets or drops that clock).
    ``view`` and ``details`` are the page's containers above and below the pickers; ``picks`` are the two
    ``model_picker`` answers (label, model, meta).
    """
    clock = PLAY_SECONDS if playing() else None
    st.fragment(_shifted_view, run_every=clock)(view, details, digit, grids, keys, target, picks, clock is not None)


def _shifted_view(
    view,
    details,
    digit: PickedImage,
    grids: dict[str, np.ndarray],
    keys: dict[str, str],
    target: int,
    picks: tuple,
    clocked: bool,
) -> None:
    if playing() != clocked:  # Play or Pause was pressed: the page draws this again with (or without) its clock
        st.rerun()
    conv_pick, dense_pick = picks
    image = torch.from_numpy(digit.image)
    steps = np.arange(-MAX_SHIFT, MAX_SHIFT + 1)
    font_px = figure_font_px(14)  # numbers in the charts: 14 px, 18 px when presenting
    with view:
        picture, controls = st.columns([1.3, 1], gap="medium")
        with controls:
            dx, dy, axis = shift_controls()
    moved = shift_image(image, dx, dy).numpy()
    with picture:
        png = grey_png(moved, PICTURE_PX)
        st.container(key="ti_shifted").image(png, width=PICTURE_PX, output_format="PNG")
        shifted = f"{digit.caption}, shifted by dx={dx}, dy={dy}"
        st.caption(literal(shifted))
        download_png_button(lambda: titled_png(png, shifted), shifted, key="ti_png", label="Picture as PNG")
        if digit.label is None:
            st.caption(
                f"Your digit has no true label: the page follows class {target}, what the "
                f"{literal(conv_pick[0])} says about it unshifted."
            )
    with controls:
        for name, grid in grids.items():
            probs = grid[dy + MAX_SHIFT, dx + MAX_SHIFT]
            top = int(probs.argmax())
            if digit.label is not None:
                verdict = ":green[right]" if top == target else ":red[wrong]"
            else:  # no true label: the class followed is the convnet's unshifted answer
                verdict = f":green[still {a_digit(target)}]" if top == target else f":red[no longer {a_digit(target)}]"
            st.markdown(f"**{literal(name)}**: says **{top}** ({percent(probs[top])}) {verdict}")
        values = link_values(conv_pick[0], dense_pick[0], digit.image_id, dx, dy, axis)
        write_link(values, LINK_PARAMS, page_key="translation")
        copy_link_button(values, LINK_PARAMS)
    with view:
        # Each chart named in markdown above it, which wraps a long name (a plotly title cuts it off); the
        # columns hang from the bottom so the two charts stay level when only one name takes two lines.
        for column, (name, grid) in zip(st.columns(2, vertical_alignment="bottom"), grids.items(), strict=False):
            probs = grid[dy + MAX_SHIFT, dx + MAX_SHIFT]
            chart = figure_once(
                (keys[name], "shift", dx, dy, font_px),
                lambda p=probs: slide_figure(probability_chart(p, height=240, font_px=font_px)),
            )
            column.markdown(f"**{literal(name)}**")
            column.plotly_chart(
                chart,
                key=f"ti_probs_{name}",
                config=plotly_config(f"{name}: probabilities, shifted by dx={dx}, dy={dy}"),
            )
    with details:
        st.markdown(f"**How sure is each network that it is {a_digit(target)}?**")
        st.html(curve_legend(list(grids)))
        c1, c2 = st.columns(2)
        along_x = {name: grid[dy + MAX_SHIFT, :, target] for name, grid in grids.items()}
        along_y = {name: grid[:, dx + MAX_SHIFT, target] for name, grid in grids.items()}
        run = (*keys.items(), target, dx, dy, font_px)  # the names too: a copy of a model has its weights, not its name
        c1.plotly_chart(
            figure_once((*run, "x"), lambda: slide_figure(shift_curves(steps, along_x, dx, "dx", target, font_px))),
            key="ti_curve_x",
            config=plotly_config(f"P({target}) as the digit moves right"),
        )
        c2.plotly_chart(
            figure_once((*run, "y"), lambda: slide_figure(shift_curves(steps, along_y, dy, "dy", target, font_px))),
            key="ti_curve_y",
            config=plotly_config(f"P({target}) as the digit moves down"),
        )
        st.subheader(f"Every shift at once: where in the frame is it still {a_digit(target)}?")
        st.caption(f"Each cell is P({target}) with the digit moved by (dx, dy); the white box is the shift above.")
        # Each figure's title is the model's name alone: titles of different lengths made grids of different sizes.
        for column, (name, grid) in zip(st.columns(2), grids.items(), strict=False):
            figure = figure_once(
                (keys[name], name, target, dx, dy, font_px, "grid"),
                lambda g=grid, n=name: slide_figure(shift_grid(steps, g[..., target], n, (dx, dy), font_px)),
            )
            column.plotly_chart(
                figure, key=f"ti_grid_{name}", config=plotly_config(f"{name}: P({target}), every shift")
            )
        pooled_maps(conv_pick[0], conv_pick[1], keys[conv_pick[0]], digit.image, moved, (dx, dy))


def accuracy_section(models: dict[str, torch.nn.Module], keys: dict[str, str], target: int) -> None:
    """Accuracy against horizontal shift on 1,000 test digits, for both networks, behind a toggle."""
    font_px = figure_font_px(14)
    st.subheader("Not just this digit")
    if st.toggle(
        "Measure accuracy against horizontal shift on 1,000 test digits (a few seconds)",
        key="ti_many",
        persist_state="session",
    ):
        curves = {name: accuracy_curve(key.split(":")[0], models[name]) for name, key in keys.items()}
        figure = shift_curves(np.arange(-8, 9), curves, 0, "dx", target, font_px)
        title = "Top-1 accuracy on 1,000 test digits against horizontal shift"
        figure.update_layout(title_text=title)
        st.html(curve_legend(list(curves)))  # which curve is which network (the chart draws no legend of its own)
        st.plotly_chart(slide_figure(figure), key="ti_many_chart", config=plotly_config(title))
