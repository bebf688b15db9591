"""The Conv arithmetic page's "1-D" tab: a signal and a kernel, cross-correlation and convolution step by step.

The lesson before 2-D: ``nn.Conv1d`` computes cross-correlation, convolution flips the kernel, and the output
length follows the same formula. Everything computed comes from ``cnnviz.conv1d`` and ``cnnviz.shapes``.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.conv1d import parse_numbers, signal_preset, slide_1d
from cnnviz.layer_code import conv_code
from cnnviz.shapes import explain_conv, whole_number
from cnnviz_ui.conv_diagram import Drawing, show_drawing
from cnnviz_ui.conv_one_layer import RESULT_CSS, code_block
from cnnviz_ui.layout import friendly_errors
from cnnviz_ui.presenting import explanation, presentation_mode

SIGNAL_KEY, KERNEL_1D_KEY = "ar_1d_signal", "ar_1d_kernel"
ONE_D_DEFAULTS = {SIGNAL_KEY: "0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1", KERNEL_1D_KEY: "1, 0, -1", "ar_1d_s": 1.0}
ONE_D_DEFAULTS["ar_1d_p"] = 0.0
OPERATIONS = ("Cross-correlation", "Convolution")
DRAWN_SIGNAL = 32  # longest padded signal the 1-D diagram draws cell by cell


def _set_preset(name: str) -> None:
    st.session_state[SIGNAL_KEY] = ", ".join(f"{v:g}" for v in signal_preset(name, 12))


def one_d() -> None:
    """The "1-D" tab: a signal and a kernel, cross-correlation and convolution step by step, with its code."""
    for key, value in ONE_D_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault("ar_1d_op", OPERATIONS[0])
    # Two rows, so the diagram starts on a 1024 x 768 projector's first screen: the signal with its presets,
    # then the kernel, stride, padding and the operation. On a phone they wrap.
    widths = (260, 140, 112) if presentation_mode() else (230, 110, 72)
    with st.container(horizontal=True, gap="xsmall", vertical_alignment="bottom", key="ar_1d_signal_row"):
        signal_text = st.text_input("Signal x (numbers)", key=SIGNAL_KEY, persist_state="session", width=widths[0])
        for name in ("step", "pulse", "noisy sine"):
            st.button(
                name.capitalize(),
                key=f"ar_1d_{name.replace(' ', '_')}",
                on_click=_set_preset,
                args=(name,),
                help=f"Put a {name} of 12 numbers into the signal x",
            )
    with st.container(horizontal=True, gap="xsmall", vertical_alignment="bottom", key="ar_1d_boxes"):
        kernel_text = st.text_input("Kernel w", key=KERNEL_1D_KEY, persist_state="session", width=widths[1])
        stride = st.number_input(
            "Stride", step=1.0, format="%g", key="ar_1d_s", persist_state="session", width=widths[2]
        )
        padding = st.number_input(
            "Padding",
            step=1.0,
            format="%g",
            key="ar_1d_p",
            persist_state="session",
            help="P zeros at each end",
            width=widths[2],
        )
        operation = st.segmented_control(
            "Compute", OPERATIONS, key="ar_1d_op", persist_state="session", label_visibility="hidden"
        )
    flip = operation == "Convolution"
    with friendly_errors():
        signal, kernel = parse_numbers(signal_text, "signal"), parse_numbers(kernel_text, "kernel")
        stride = whole_number("stride", stride, 1, "the window must move forward by at least one sample")
        padding = whole_number("padding", padding, 0, "padding adds zeros at the ends, it cannot remove samples")
        sliding = slide_1d(signal, kernel, stride, padding, flip=flip)  # a kernel longer than the signal: its sentence
        other = slide_1d(signal, kernel, stride, padding, flip=not flip)
        length = explain_conv(len(signal), len(kernel), stride, padding)
        st.html(RESULT_CSS)
        result = st.container(key="ar_result_1d")  # the heading close to its boxes and its diagram
        result.subheader(f"Output: {length.output} numbers")
        numbers = lambda values: ", ".join(f"{v:g}" for v in values)  # noqa: E731
        note = f"flipped: {numbers(kernel[::-1])}" if flip else "as typed"
        if len(signal) + 2 * padding <= DRAWN_SIGNAL:
            with result:
                show_drawing(
                    Drawing(
                        "1d",
                        1,
                        len(signal),
                        len(kernel),
                        stride,
                        padding,
                        signal=tuple(signal),
                        weights=tuple(kernel),
                        flip=flip,
                    ),
                    kernel_note=note,
                    titles={
                        "inputTitle": f"Signal x: {len(signal)} numbers",
                        "kernelTitle": f"Kernel w: {len(kernel)}",
                        "outputTitle": f"Output y: {length.output}",
                    },
                )
        else:
            st.info(
                f"The diagram draws signals up to {DRAWN_SIGNAL} numbers, padding included; the numbers below hold."
            )
        correlation, convolution = (sliding, other) if not flip else (other, sliding)
        st.markdown(
            f"**Cross-correlation** (kernel as typed, what `nn.Conv1d` computes): {numbers(correlation.output)}  \n"
            f"**Convolution** (kernel flipped to {numbers(kernel[::-1])}, as `numpy.convolve`): "
            f"{numbers(convolution.output)}"
        )
        st.code("length: " + length.formula.replace("W_o", "L_out").replace("W ", "L "), language=None, wrap_lines=True)
        code = conv_code(1, 1, len(kernel), stride, padding, dims=1)
        code_block(code, (1, len(signal)), (1, length.output))
        with explanation("one_d"):
            st.caption(
                "A CNN layer computes cross-correlation and still calls it convolution: it learns its weights, so "
                "whether they are stored flipped does not matter. For a fixed kernel it does: on a step, "
                "1, 0, −1 gives −1 at the edge as cross-correlation and +1 as convolution."
            )
