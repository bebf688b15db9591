"""cnnviz.devices: cuda, then mps, then cpu; images move to the device as floats in [0, 1]."""

import pytest
import torch

from cnnviz.devices import device_name, select_device, to_float_images


def test_device_selection():
    assert select_device("auto").type in ("cuda", "mps", "cpu")
    assert select_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            select_device("cuda")
    with pytest.raises(ValueError, match="device must be"):
        select_device("tpu")


def test_device_name_and_float_images():
    assert device_name(torch.device("cpu")).startswith("CPU (")
    images = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8)  # (1, 2, 2)
    floats = to_float_images(images, torch.device("cpu"))
    assert floats.shape == (1, 1, 2, 2) and floats.dtype == torch.float32
    torch.testing.assert_close(floats[0, 0], torch.tensor([[0.0, 1.0], [0.2, 0.4]]))
