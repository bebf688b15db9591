"""Photos: any photo through a real ImageNet network: what it sees, top-5, top-1/top-5 error, Grad-CAM, inside."""

from cnnviz_ui.layout import page_header
from cnnviz_ui.photos import show_page

page_header(
    "Photos",
    "A real ImageNet network, **EfficientNet-Lite0** (4.7 million weights, 1000 kinds of things), on a photo: "
    "what it sees, its top-5 and error, where it looked (Grad-CAM), and what is inside it.",
    icon="📷",
)
show_page()
