"""cnnviz.models: the lecture's architectures, parameter counts layer by layer."""

import pytest
import torch

from cnnviz.models import MODEL_BUILDERS, build_model, count_parameters


def layer_params(model):
    return {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_children()}


def test_convnet_matches_the_lecture():
    model = build_model("convnet")
    params = layer_params(model)
    assert [params[k] for k in ("conv1", "conv2", "conv3", "fc1", "fc2")] == [320, 18_496, 36_928, 36_928, 650]
    assert count_parameters(model) == 93_322
    assert list(params) == [
        "conv1",
        "relu1",
        "pool1",
        "conv2",
        "relu2",
        "pool2",
        "conv3",
        "relu3",
        "flatten",
        "fc1",
        "relu4",
        "fc2",
    ]
    assert model.fc1.in_features == 576


def test_dense_baseline():
    model = build_model("dense")
    assert count_parameters(model) == 203_530
    assert model.fc1.in_features == 784 and model.fc1.out_features == 256


def test_lenet_as_taught():
    model = build_model("lenet")
    assert model.conv1.out_channels == 20 and model.conv1.kernel_size == (5, 5)
    assert model.conv2.out_channels == 50 and model.fc1.out_features == 500
    assert model.fc1.in_features == 50 * 7 * 7  # 'same' convs keep 28 and 14; pools halve
    assert count_parameters(model) == 520 + 25_050 + 1_225_500 + 5_010


@pytest.mark.parametrize("name", list(MODEL_BUILDERS))
def test_forward_shape_and_normalisation_inside(name):
    model = build_model(name).eval()
    x = torch.rand(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
    # The standardisation is part of the model: buffers in the state dict, not parameters.
    state = model.state_dict()
    assert float(state["mean"]) == pytest.approx(0.1307) and float(state["std"]) == pytest.approx(0.3081)
    manual = torch.nn.Sequential(*model.children())((x - 0.1307) / 0.3081)
    torch.testing.assert_close(model(x), manual)


def test_unknown_model():
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        build_model("resnet")
