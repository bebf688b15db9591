"""cnnviz.inspect (activations, pooling windows, filters, mosaics) and cnnviz.attribution (saliency, Grad-CAM),
which share the trained model and the nested networks these tests build."""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import attribution
from cnnviz import inspect as net_inspect
from cnnviz.data import load_mnist
from cnnviz.models import build_model
from cnnviz.shapes import conv_output_size, pool_output_size
from cnnviz.train import train

LECTURE_MAP = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]


@pytest.fixture(scope="module")
def fresh() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model("convnet").eval()


@pytest.fixture(scope="module")
def trained() -> torch.nn.Module:
    """A convnet trained for a few seconds (~90% test accuracy), frozen like the shared models."""
    images, labels = load_mnist("train")
    model = build_model("convnet")
    train(model, (images[:4000], labels[:4000]), epochs=1, lr=3e-3, device="cpu", seed=0)
    for p in model.parameters():
        p.grad = None
        p.requires_grad_(False)
    return model.cpu().eval()


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = load_mnist("test")
    return images[:40].float() / 255.0, labels[:40]


def test_library_does_not_import_streamlit():
    code = "import sys, cnnviz.inspect, cnnviz.invariance; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- activations ---------------------------------------------------------------------------------


def test_activations_are_every_layer_in_order(fresh):
    acts = net_inspect.activations(fresh, torch.rand(28, 28))
    assert list(acts) == [name for name, _ in fresh.named_children()]


def test_activations_equal_running_the_layers_by_hand(fresh):
    x = torch.rand(1, 1, 28, 28)
    acts = net_inspect.activations(fresh, x)
    h = (x - fresh.mean) / fresh.std
    with torch.no_grad():
        for name, layer in fresh.named_children():
            h = layer(h)
            torch.testing.assert_close(acts[name], h[0])


@pytest.mark.parametrize("name", ["convnet", "lenet", "dense"])
def test_activation_shapes_equal_the_summary(name):
    model = build_model(name)
    acts = net_inspect.activations(model, torch.rand(28, 28))
    from cnnviz.summary import summarize

    rows = summarize(model, (1, 28, 28)).rows
    assert [r.name for r in rows] == list(acts)
    for row in rows:
        assert tuple(acts[row.name].shape) == tuple(row.output_shape), row.name


def test_activation_shapes_follow_the_conv_arithmetic(fresh):
    acts = net_inspect.activations(fresh, torch.rand(28, 28))
    size = conv_output_size(28, 3)
    assert acts["conv1"].shape == (32, size, size) == (32, 26, 26)
    size = pool_output_size(size, 2)
    assert acts["pool1"].shape == (32, 13, 13)
    size = pool_output_size(conv_output_size(size, 3), 2)
    assert acts["pool2"].shape == (64, size, size) == (64, 5, 5)
    assert acts["conv3"].shape == (64, 3, 3) and acts["flatten"].shape == (576,) and acts["fc2"].shape == (10,)


def _hook_count(model):
    return sum(len(m._forward_hooks) for m in model.modules())


def test_activations_leave_no_hooks_even_when_forward_fails(fresh):
    net_inspect.activations(fresh, torch.rand(28, 28))
    assert _hook_count(fresh) == 0
    with pytest.raises(RuntimeError):  # 20x20 reaches fc1 with 64 features instead of 576
        net_inspect.activations(fresh, torch.rand(20, 20))
    assert _hook_count(fresh) == 0


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (3, 28, 28), (1, 1, 1, 28, 28)])
def test_activations_want_one_grey_image(fresh, shape):
    with pytest.raises(ValueError, match="one grey image"):
        net_inspect.activations(fresh, torch.rand(shape))


# --- pooling windows -----------------------------------------------------------------------------


def test_pooling_the_lecture_example():
    result = net_inspect.pooling_windows(np.array(LECTURE_MAP, dtype=float))
    np.testing.assert_array_equal(result.output, [[6, 8], [3, 4]])
    np.testing.assert_array_equal(result.winners, [[[1, 1], [1, 3]], [[2, 0], [3, 3]]])
    np.testing.assert_array_equal(result.windows[0, 1], [[2, 4], [7, 8]])


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 15),
    w=st.integers(1, 15),
    kernel=st.integers(1, 4),
    stride=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_pooling_windows_match_torch_max_pool(h, w, kernel, stride, seed):
    if kernel > min(h, w):
        return
    values = torch.randn(h, w, generator=torch.Generator().manual_seed(seed))
    result = net_inspect.pooling_windows(values, kernel, stride)
    pooled, indices = F.max_pool2d(values[None, None], kernel, stride, return_indices=True)
    np.testing.assert_array_equal(result.output, pooled[0, 0].numpy())
    np.testing.assert_array_equal(result.winners[..., 0] * w + result.winners[..., 1], indices[0, 0].numpy())
    assert result.windows.shape == (*pooled.shape[2:], kernel, kernel)
    # ``covered``: the rows (columns) torch's windows reach, read off its unfold of the input's indices.
    reached = F.unfold(torch.arange(h * w, dtype=torch.float32).view(1, 1, h, w), kernel, stride=stride)
    rows, cols = np.divmod(reached.long().numpy().ravel(), w)
    assert result.covered == (rows.max() + 1, cols.max() + 1)


def test_pooling_ties_go_to_the_first_maximum_like_torch():
    values = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    _, indices = F.max_pool2d(values[None, None], 2, return_indices=True)
    result = net_inspect.pooling_windows(values)
    np.testing.assert_array_equal(result.winners[..., 0] * 4 + result.winners[..., 1], indices[0, 0].numpy())


@pytest.mark.parametrize(
    ("values", "kernel", "stride", "message"),
    [
        (np.zeros((2, 4, 4)), 2, None, "one feature map"),
        (np.zeros((4, 4)), 0, None, "pooling window must be at least 1"),
        (np.zeros((4, 4)), 2, 0, "stride must be at least 1"),
        (np.zeros((3, 3)), 4, None, "larger than"),
    ],
)
def test_pooling_windows_errors(values, kernel, stride, message):
    with pytest.raises(ValueError, match=message):
        net_inspect.pooling_windows(values, kernel, stride)


# --- filters -------------------------------------------------------------------------------------


def test_conv_filters_are_a_copy_of_the_weights(fresh):
    filters = net_inspect.conv_filters(fresh, "conv1")
    assert filters.shape == (32, 1, 3, 3)
    torch.testing.assert_close(filters, fresh.conv1.weight)
    filters += 1
    assert not torch.equal(filters, fresh.conv1.weight)
    assert net_inspect.conv_filters(fresh, "conv2").shape == (64, 32, 3, 3)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ("relu1", "relu1 is a ReLU layer: filters exist only in conv layers; choose one of: conv1, conv2, conv3"),
        ("conv9", "no layer called 'conv9'"),
    ],
)
def test_conv_filters_errors(fresh, layer, message):
    with pytest.raises(ValueError, match=message):
        net_inspect.conv_filters(fresh, layer)


def test_a_dense_model_has_no_filters():
    with pytest.raises(ValueError, match="no such layer"):
        net_inspect.conv_filters(build_model("dense"), "fc1")


# --- saliency and Grad-CAM -----------------------------------------------------------------------


def _ink_box(image: torch.Tensor) -> np.ndarray:
    rows, cols = np.nonzero(image.numpy() > 0.1)
    box = np.zeros(image.shape, bool)
    box[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] = True
    return box


def _share_inside(heat: np.ndarray, box: np.ndarray) -> float:
    return float(heat[box].sum() / heat.sum())


@pytest.mark.parametrize("method", ["saliency", "grad_cam"])
def test_heatmaps_concentrate_on_the_ink(trained, digits, method):
    images, labels = digits
    shares, areas = [], []
    for image, label in zip(images, labels, strict=True):
        heat = getattr(attribution, method)(trained, image, int(label))
        assert heat.shape == (28, 28) and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
        box = _ink_box(image)
        shares.append(_share_inside(heat, box))
        areas.append(box.mean())
    assert np.median(shares) > 0.6  # most of the heat is inside the digit's bounding box ...
    assert np.mean(shares) > np.mean(areas) + 0.2  # ... far more than the box's share of the image


def test_saliency_is_the_input_gradient_and_leaves_no_grad(trained, digits):
    image = digits[0][0]
    heat = attribution.saliency(trained, image, 7)
    x = image[None, None].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(trained(x)[0, 7], x)
    expected = grad[0, 0].abs()
    np.testing.assert_allclose(heat, (expected / expected.max()).numpy(), atol=1e-6)
    assert all(p.grad is None for p in trained.parameters())


def test_smoothgrad_is_reproducible(trained, digits):
    a = attribution.saliency(trained, digits[0][0], 7, samples=8, noise=0.1, seed=3)
    b = attribution.saliency(trained, digits[0][0], 7, samples=8, noise=0.1, seed=3)
    np.testing.assert_array_equal(a, b)


def test_grad_cam_on_conv1_is_the_textbook_formula(trained, digits):
    image = digits[0][0]
    heat = attribution.grad_cam(trained, image, 7, layer="conv1")
    kept = []
    handle = trained.conv1.register_forward_hook(lambda _m, _i, out: kept.append(out))
    x = image[None, None].clone().requires_grad_(True)
    try:
        score = trained(x)[0, 7]
    finally:
        handle.remove()
    (grad,) = torch.autograd.grad(score, kept[0])
    cam = torch.relu((grad[0].mean((1, 2))[:, None, None] * kept[0][0]).sum(0)).detach()
    # conv1 unit (i, j) is centred on pixel (i + 1, j + 1): the heatmap samples it exactly there.
    np.testing.assert_allclose(heat[1:27, 1:27], (cam / cam.max()).numpy(), atol=1e-5)


def test_grad_cam_places_conv3_units_at_their_receptive_field_centres(fresh):
    assert attribution._grid_geometry(fresh, "conv3") == (8.5, 4.0)
    assert attribution._grid_geometry(build_model("lenet"), "conv2") == (0.5, 2.0)  # pool1 unit 0 covers pixels 0 and 1


@pytest.mark.parametrize(
    ("model", "layer", "message"),
    [
        ("dense", "fc1", "this model has none, it has no conv layers"),
        (
            "convnet",
            "fc1",
            "before the flatten\\): choose one of conv1, relu1, pool1, conv2, relu2, pool2, conv3, relu3$",
        ),
        ("convnet", "relu4", "choose one of conv1"),
        ("convnet", "conv7", "no layer called 'conv7'"),
    ],
)
def test_grad_cam_errors(model, layer, message):
    with pytest.raises(ValueError, match=message):
        attribution.grad_cam(build_model(model), torch.rand(28, 28), 3, layer=layer)


@pytest.mark.parametrize("target", [-1, 10, 2.5])
def test_target_must_be_a_class(fresh, target):
    with pytest.raises(ValueError, match="target class"):
        attribution.saliency(fresh, torch.rand(28, 28), target)


# --- mosaics -------------------------------------------------------------------------------------


def test_tile_maps_places_each_map_and_leaves_nan_gaps():
    maps = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    mosaic = net_inspect.tile_maps(maps, columns=3, gap=1)
    assert mosaic.shape == (2 * 3 - 1, 3 * 4 - 1)
    np.testing.assert_array_equal(mosaic[0:2, 4:7], maps[1])
    np.testing.assert_array_equal(mosaic[3:5, 4:7], maps[4])
    assert np.isnan(mosaic[2]).all() and np.isnan(mosaic[:, 3]).all() and np.isnan(mosaic[3:5, 8:11]).all()


def test_tile_maps_with_more_columns_than_maps():
    assert net_inspect.tile_maps(np.zeros((2, 4, 4)), columns=8, gap=0).shape == (4, 8)


@pytest.mark.parametrize(
    ("maps", "kwargs", "message"),
    [
        (np.zeros((4, 4)), {}, "stack of maps"),
        (np.zeros((2, 4, 4)), {"columns": 0}, "columns must be at least 1"),
        (np.zeros((2, 4, 4)), {"gap": -1}, "gap must be at least 0"),
    ],
)
def test_tile_maps_errors(maps, kwargs, message):
    with pytest.raises(ValueError, match=message):
        net_inspect.tile_maps(maps, **kwargs)


# --- nested layers and colour input (EfficientNet) -------------------------------------------------


def _nested_rgb_net() -> torch.nn.Module:
    """Blocks inside blocks, TF-style end padding and RGB input: what EfficientNet looks like to inspect."""
    from collections import OrderedDict

    from torch import nn

    torch.manual_seed(1)
    features = nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 6, 3, 2, padding=1), nn.ReLU()),
        nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(6, 8, 3, 2), nn.ReLU6()),
        nn.Sequential(nn.Conv2d(8, 8, 5, 1, padding=2), nn.BatchNorm2d(8), nn.ReLU()),
    )
    head = OrderedDict(features=features, pool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(), fc=nn.Linear(8, 5))
    return nn.Sequential(head).eval()


def _textbook_cam(model, module, x, target) -> torch.Tensor:
    """Grad-CAM by the paper's recipe with a forward hook: the oracle (h, w) map, scaled to max 1."""
    kept = []
    handle = module.register_forward_hook(lambda _m, _i, out: kept.append(out))
    try:
        with torch.enable_grad():
            score = model(x.clone().requires_grad_(True))[0, target]
            (grad,) = torch.autograd.grad(score, kept[0])
    finally:
        handle.remove()
    cam = torch.relu((grad[0].mean((1, 2))[:, None, None] * kept[0][0]).sum(0)).detach()
    return cam / cam.max()


def test_feature_map_layers_list_blocks_of_nested_networks():
    from cnnviz.efficientnet import EfficientNetLite0

    assert net_inspect.feature_map_layers(_nested_rgb_net()) == ["features.0", "features.1", "features.2"]
    expected = ["stem", *(f"blocks.{i}" for i in range(16)), "head"]
    assert net_inspect.feature_map_layers(EfficientNetLite0()) == expected  # as forward_layers names them


def test_grid_geometry_of_nested_layers_matches_backprop():
    """The centre and spacing of a nested layer's units, against the gradient's support (receptive.py's oracle)."""
    from cnnviz.receptive import measure_receptive_field

    model = _nested_rgb_net()
    leaves = [(n, m) for n, m in model.named_modules() if n.startswith("features.") and not list(m.children())]
    centres = []
    for unit in (4, 5):  # away from the border, whose padding would cut the support
        support = np.nonzero(measure_receptive_field(leaves, (64, 64), (unit, unit)).sum(1))[0]
        centres.append((support[0] + support[-1]) / 2)
    start, jump = attribution._grid_geometry(model, "features.2")
    assert jump == centres[1] - centres[0] == 4.0
    assert start == centres[0] - 4 * jump == 2.0


def test_grad_cam_on_a_nested_block_with_colour_input_is_the_textbook_formula():
    model = _nested_rgb_net()
    x = torch.rand(1, 3, 32, 32)
    heat = attribution.grad_cam(model, x, 2, layer="features.2")
    start, jump = attribution._grid_geometry(model, "features.2")  # 2.0 and 4: integer unit centres
    cam = _textbook_cam(model, model.features[2], x, 2)
    np.testing.assert_allclose(heat[int(start) :: int(jump), int(start) :: int(jump)], cam.numpy(), atol=1e-5)
    # A layer inside a block (found by hooking it), too.
    heat = attribution.grad_cam(model, x, 2, layer="features.1.1")
    assert attribution._grid_geometry(model, "features.1.1") == (2.0, 4.0)
    cam = _textbook_cam(model, model.features[1][1], x, 2)
    np.testing.assert_allclose(heat[2::4, 2::4], cam.numpy(), atol=1e-5)
    assert all(not m._forward_hooks for m in model.modules())


def test_grad_cam_on_efficientnet_head_is_the_textbook_formula():
    from cnnviz.efficientnet import EfficientNetLite0

    torch.manual_seed(0)
    model = EfficientNetLite0().eval().requires_grad_(False)
    assert attribution._grid_geometry(model, "head") == (31.0, 32.0)  # 7 x 7 units, centres 31, 63, ..., 223
    assert attribution._grid_geometry(model, "stem") == (1.0, 2.0)  # TF's padding is at the end: no shift
    x = torch.rand(1, 3, 224, 224)
    heat = attribution.grad_cam(model, x, 281, layer="head")
    assert heat.shape == (224, 224)
    cam = _textbook_cam(model, model.head, x, 281)
    np.testing.assert_allclose(heat[31::32, 31::32], cam.numpy(), atol=1e-5)
    assert net_inspect.conv_filters(model, "stem.conv").shape == (32, 3, 3, 3)


def test_grad_cam_on_a_nested_layer_after_the_flatten_is_refused():
    with pytest.raises(ValueError, match="no layer called 'features.9'"):
        attribution.grad_cam(_nested_rgb_net(), torch.rand(1, 3, 32, 32), 0, layer="features.9")
    with pytest.raises(ValueError, match="choose one of features.0, features.1, features.2"):
        attribution.grad_cam(_nested_rgb_net(), torch.rand(1, 3, 32, 32), 0, layer="fc")
