"""The Conv arithmetic page's link: its tab, layer type, every number of every layer type, the 1-D signal and the
networks, restored from the URL before the widgets and written back to it (``cnnviz_ui.links``)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from cnnviz.shapes import LARGEST
from cnnviz.view_links import LinkParam
from cnnviz_ui.conv_1d import ONE_D_DEFAULTS, OPERATIONS
from cnnviz_ui.conv_one_layer import FIELDS, LAYER_TYPES, widget_key
from cnnviz_ui.links import copy_link_button, restore_from_link, write_link
from cnnviz_ui.state import keep_choice

PAGE_KEY = "conv_arithmetic"
TABS = ["One layer", "1-D", "Whole networks", "Build your own", "Receptive field"]
LOWEST = {"p": 0, "op": 0}  # the other numbers start at 1


def link_params(networks: Sequence[str], field_networks: Sequence[str]) -> list[LinkParam]:
    """Every setting the link carries; a layer type's numbers are named ``<type>_<field>`` ("tconv_s")."""
    params = [
        LinkParam("tab", str, TABS[0], choices=TABS, key="ar_tab"),
        LinkParam("layer", str, "Convolution", choices=tuple(LAYER_TYPES), key="ar_mode"),
    ]
    for kind in LAYER_TYPES.values():
        for field, (label, defaults, _) in FIELDS.items():
            if kind not in defaults:
                continue
            default, name, key = defaults[kind], f"{kind}_{field}", widget_key(kind, field)
            if isinstance(default, str):  # a padding typed as text: a number, valid or same
                params.append(LinkParam(name, str, default, key=key, label=label.lower()))
            else:
                low = LOWEST.get(field, 1)
                params.append(
                    LinkParam(name, float, float(default), low=low, high=LARGEST, key=key, label=label.lower())
                )
    params += [
        LinkParam("signal", str, ONE_D_DEFAULTS["ar_1d_signal"], key="ar_1d_signal"),
        LinkParam("kernel_1d", str, ONE_D_DEFAULTS["ar_1d_kernel"], key="ar_1d_kernel", label="1-D kernel"),
        LinkParam("stride_1d", float, 1.0, low=1, high=LARGEST, key="ar_1d_s", label="1-D stride"),
        LinkParam("padding_1d", float, 0.0, low=0, high=LARGEST, key="ar_1d_p", label="1-D padding"),
        LinkParam("compute_1d", str, OPERATIONS[0], choices=OPERATIONS, key="ar_1d_op", label="1-D operation"),
        LinkParam("net", str, networks[0], choices=tuple(networks), key="ar_preset", label="network"),
        LinkParam("field_net", str, field_networks[0], choices=tuple(field_networks), key="ar_rf_preset"),
    ]
    return params


def restore(networks: Sequence[str], field_networks: Sequence[str]) -> list[LinkParam]:
    """Put the link's settings into the widgets; call before them."""
    params = link_params(networks, field_networks)
    restore_from_link(PAGE_KEY, params)
    return params


def current_values(params: Sequence[LinkParam]) -> dict[str, object]:
    return {p.name: st.session_state.get(p.widget_key, p.default) for p in params}


def tabs() -> Sequence:
    """The page's tabs; the open one is remembered across pages (``<key>__kept``) and set by a link."""
    kept = st.session_state.get("ar_tab__kept")
    if "ar_tab" not in st.session_state and kept in TABS:
        st.session_state["ar_tab"] = kept
    return st.tabs(TABS, key="ar_tab", on_change=keep_choice, args=("ar_tab",))


def write(params: Sequence[LinkParam]) -> None:
    """Write this run's settings to the URL and draw "Copy link to this view"; call once every widget is drawn.

    At the page's foot: above the tabs it pushed the diagram below a projector's first screen."""
    values = current_values(params)
    write_link(values, params, page_key=PAGE_KEY)
    copy_link_button(values, params)
