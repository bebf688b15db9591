"""Photos: any photo through a real ImageNet network: what it sees, top-5, top-1/top-5 error, Grad-CAM, inside."""

from cnnviz_ui.layout import page_header
from cnnviz_ui.photos import show_page

page_header(
    "Photos",
    "A real ImageNet network, **EfficientNet-Lite0** (4.7 million weights, trained on 1.2 million photos of "
    "1000 kinds of things), on a bundled photo or your own. See the 224 × 224 picture it actually sees, its "
    "top-5 answers with their softmax probabilities, whether the true class is in its top-1 or top-5 (the "
    "lecture's top-1 and top-5 error), where it looked (Grad-CAM), and inside it: feature maps from edges and "
    "colours to parts, the first layer's colour filters, and one colour convolution worked out in numbers.",
    icon="📷",
)
show_page()
