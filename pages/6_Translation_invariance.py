"""Translation invariance: shift a digit and compare how the convnet and the dense baseline cope."""

import numpy as np
import streamlit as st
import torch

from cnnviz.invariance import shift_image
from cnnviz.slides import titled_png
from cnnviz_ui.charts import probability_chart
from cnnviz_ui.layout import page_header
from cnnviz_ui.links import copy_link_button, restore_from_link, write_link
from cnnviz_ui.picker import digit_input
from cnnviz_ui.plots import grey_png
from cnnviz_ui.presenting import figure_font_px
from cnnviz_ui.resources import figure_once, model_picker, run_key, run_network
from cnnviz_ui.slides import download_png_button, plotly_config, slide_figure
from cnnviz_ui.text import a_digit, literal, percent
from cnnviz_ui.translation_invariance import (
    LINK_PARAMS,
    MAX_SHIFT,
    PICTURE_PX,
    accuracy_curve,
    curve_legend,
    digit_from_link,
    grid_probabilities,
    link_values,
    pooled_maps,
    shift_controls,
    shift_curves,
    shift_grid,
)

page_header(
    "Translation invariance",
    "Move the digit a few pixels and watch both networks. A convolution slides the same filters everywhere and "
    "max pooling absorbs small moves; the dense baseline gives every pixel its own weights.",
    icon="↔️",
)
restore_from_link("translation", LINK_PARAMS)
digit_from_link()
# The shifted digit and its controls come first, so that at 1024x768 they fit one screen; the networks and the
# digit are chosen under them (created first in the page, filled once the digit is known).
view = st.container()
with st.container(key="ti_setup"):
    st.markdown("**The networks and the digit**")
    conv_col, dense_col, digit_col = st.columns([1, 1, 1.6], gap="medium")
    with conv_col:
        conv_pick = model_picker("Network (the convnet, say)", key="ti_conv", default="Shipped convnet")
    with dense_col:
        dense_pick = model_picker("Compared with (the baseline)", key="ti_dense", default="Shipped dense baseline")
    with digit_col:
        digit = digit_input("ti") if conv_pick and dense_pick else None
details = st.container()
if conv_pick is None or dense_pick is None or digit is None:
    st.stop()
models = {conv_pick[0]: conv_pick[1], dense_pick[0]: dense_pick[1]}
if len(models) < 2:
    view.info("Pick two different models to compare them.")
image = torch.from_numpy(digit.image)
keys = {name: run_key(model, digit.image) for name, model in models.items()}
target = (
    digit.label
    if digit.label is not None
    else int(run_network(keys[conv_pick[0]], conv_pick[1], digit.image)[1].argmax())
)


grids = {name: grid_probabilities(keys[name], target, model, image) for name, model in models.items()}
steps = np.arange(-MAX_SHIFT, MAX_SHIFT + 1)


font_px = figure_font_px(14)  # numbers in the charts: 14 px, 18 px when presenting


@st.fragment
def shifted_view() -> None:
    with view:
        picture, controls = st.columns([1.3, 1], gap="medium")
        with controls:
            dx, dy, axis = shift_controls()
    moved = shift_image(image, dx, dy).numpy()
    with picture:
        png = grey_png(moved, PICTURE_PX)
        st.image(png, width=PICTURE_PX)
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


shifted_view()


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
