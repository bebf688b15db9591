"""cnnviz entry point: the navigation (titles, icons, URLs) and the home page.

``st.navigation`` instead of Streamlit's automatic pages/ listing, so the sidebar says "Home" rather
than "app" and every page has a Material icon in the sidebar (emoji need a font that lecture-room PCs may lack;
Streamlit ships the Material Symbols font). The browser tab's icon is an emoji, drawn as a local SVG.
"""

import streamlit as st

from cnnviz_ui.layout import page_header, wrapping_columns
from cnnviz_ui.resources import SHIPPED, compute_device_name, shipped_model

# (script, URL path, icon, title, one-line description)
PAGES = [
    (
        "pages/1_Kernels.py",
        "Kernels",
        ":material/blur_on:",
        "Kernels",
        "Edge, blur, Sobel, sharpen and your own kernels on any photo; the multiply-and-sum pixel by pixel.",
    ),
    (
        "pages/2_Conv_arithmetic.py",
        "Conv_arithmetic",
        ":material/calculate:",
        "Conv arithmetic",
        "Why 26x26? Why 93,322 parameters? Output sizes, receptive fields and a sliding-window diagram.",
    ),
    (
        "pages/3_Feature_maps.py",
        "Feature_maps",
        ":material/layers:",
        "Feature maps",
        "Every layer of the trained convnet on a digit: feature maps, max pooling window by window, filters.",
    ),
    (
        "pages/4_Classify.py",
        "Classify",
        ":material/draw:",
        "Classify",
        "Draw or photograph a digit and see what the network sees and its live top-5 predictions.",
    ),
    (
        "pages/8_Photos.py",
        "Photos",
        ":material/photo_camera:",
        "Photos",
        "Your photo through a real ImageNet network: top-5, top-1/top-5 error, Grad-CAM and its colour filters.",
    ),
    (
        "pages/5_Evaluate.py",
        "Evaluate",
        ":material/analytics:",
        "Evaluate",
        "Top-1 and top-5 error on the 10,000 test digits, the confusion matrix and the mistakes.",
    ),
    (
        "pages/6_Translation_invariance.py",
        "Translation_invariance",
        ":material/open_with:",
        "Translation invariance",
        "Shift a digit and compare how the convnet and the dense baseline cope.",
    ),
    (
        "pages/7_Train.py",
        "Train",
        ":material/model_training:",
        "Train",
        "Train the convnet (or LeNet, or the dense baseline) on MNIST or Fashion-MNIST with live curves.",
    ),
]


def home() -> None:
    presenting = page_header(
        "cnnviz: see how convolutional networks work",
        "An interactive companion to the CNN lectures. Filter your own photos with the kernels a "
        "convolution layer learns, check every output size and parameter count, look inside a trained "
        "MNIST network layer by layer, classify a digit you draw or photograph, and train the network yourself.",
    )
    # One grid of cards in the lecture's order: as many across as fit with their titles whole (three on a laptop),
    # every card of a row as tall as the row (a short blurb left a short card beside taller ones).
    st.html(
        "<style>.st-key-home_cards [data-testid='stColumn'] > [data-testid='stVerticalBlock'] > "
        "[data-testid='stLayoutWrapper'] { flex: 1 1 auto; } .st-key-home_cards [data-testid='stColumn'] > "
        "[data-testid='stVerticalBlock'] > [data-testid='stLayoutWrapper'] > div { height: 100%; }</style>"
    )
    for column, (path, _, icon, title, blurb) in zip(
        wrapping_columns(len(PAGES), "home_cards", 300 if presenting else 200), PAGES, strict=True
    ):
        with column.container(border=True):
            st.page_link(path, label=f"**{title}**", icon=icon)
            st.caption(blurb)
    st.subheader("The network inside")
    left, right = st.columns(2)
    with left:
        try:
            _, meta = shipped_model("Shipped convnet")
            st.metric(
                "Shipped convnet: test accuracy",
                f"{meta['test_top1']:.2%}",
                help="Top-1, on the 10,000 MNIST test digits it never trained on.",
            )
            st.caption(
                f"Conv32 3x3 · MaxPool 2 · Conv64 3x3 · MaxPool 2 · Conv64 3x3 · Dense 64 · Dense 10: 93,322 "
                f"parameters, trained {meta.get('epochs', '?')} epochs with {meta.get('optimizer', '?')} "
                f"(top-5 {meta['test_top5']:.2%})."
            )
        except (ValueError, FileNotFoundError, KeyError) as exc:
            st.error(f"The shipped model could not be loaded: {exc}")
    with right:
        st.metric("Compute device on this server", compute_device_name())
        st.caption("Training uses a CUDA or Apple GPU when the server has one, else the CPU.")

    with st.expander("How to run it yourself"):
        st.code("make run    # set up everything and start the app\nmake test   # the whole test suite", "bash")
        st.caption(f"Shipped checkpoints: {', '.join(p.name for p in SHIPPED.values())} in assets/.")


# Before the navigation: a page's Material icon would otherwise become the tab's icon for a moment, which the
# browser fetches from fonts.gstatic.com, a call out of a lecture hall's network. Each page then sets its own
# emoji icon, which Streamlit draws as a local SVG.
st.set_page_config(page_title="cnnviz", page_icon="🧠", layout="wide")
navigation = st.navigation(
    [st.Page(home, title="Home", icon=":material/home:", default=True)]
    + [st.Page(path, title=title, icon=icon, url_path=url) for path, url, icon, title, _ in PAGES]
)
navigation.run()
