"""What a photo is before the ImageNet network answers it: flat colour, or a digit on paper.

The network answers anything with 1000 probabilities. When the picture holds nothing to recognise (one
flat colour, as a transparent image becomes on white) or is a handwritten digit (ImageNet has no digit
classes), the page says so in a sentence beside the answer instead of letting a confident-looking
guess speak for itself.
"""

from __future__ import annotations

import numpy as np

FLAT_SPREAD = 4  # 0-255: a photo whose pixels all lie within this of each other shows nothing
PAPER_SHARE = 0.6  # a digit photo is mostly paper: this share of pixels within PAPER_BAND of the typical one
PAPER_BAND = 24  # 0-255
INK_SHARE = (0.005, 0.35)  # and some ink, clearly darker or lighter than the paper
GREY_SATURATION = 20  # 0-255: mean spread between R, G and B below this is ink on paper, not a colour photo
PAPER_LEVELS = (60, 150)  # 0-255: paper is light (white, beige) or dark (a blackboard, a drawing box), not mid-grey

FLAT_NOTE = (
    "The picture is one flat colour (a transparent image is shown on white): there is nothing in it to "
    "recognise, so the answer below is the network's guess on an empty picture."
)
DIGIT_NOTE = (
    "This looks like a handwritten digit (or a drawing) on paper. This network knows 1000 kinds of objects and animals "
    "(ImageNet) and no digits, so its answer below is about things, not numbers: the **Classify** page reads digits."
)


def _rgb8(pixels: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) from grey (H, W) or RGB(A); other dtypes are taken as already 0-255 or [0, 1]."""
    array = np.asarray(pixels)
    if array.dtype != np.uint8:
        scale = 255.0 if array.size and float(np.nanmax(array)) <= 1.0 else 1.0
        array = np.clip(np.nan_to_num(array.astype(np.float32)) * scale, 0, 255).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    return np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array[..., :3]


def is_flat(pixels: np.ndarray) -> bool:
    """Whether every pixel of ``pixels`` (grey or RGB) is within ``FLAT_SPREAD`` of every other, per channel."""
    rgb = _rgb8(pixels).reshape(-1, 3).astype(np.int16)
    return bool((rgb.max(0) - rgb.min(0)).max() <= FLAT_SPREAD)


def looks_like_digit(pixels: np.ndarray) -> bool:
    """Whether ``pixels`` (grey or RGB, uint8) look like marks on paper: nearly colourless, mostly one even
    light (or very dark) background, and a small share of clearly darker (or lighter) ink. Colour photos of
    things are not; a black silhouette on white (skimage's horse) is, and the note's words allow for it."""
    rgb = _rgb8(pixels).astype(np.int16)
    if (rgb.max(2) - rgb.min(2)).mean() >= GREY_SATURATION:
        return False
    grey = rgb.mean(2)
    paper = float(np.median(grey))
    if PAPER_LEVELS[0] <= paper <= PAPER_LEVELS[1]:  # a grey photo (the moon), not a sheet of paper
        return False
    paper_share = float((np.abs(grey - paper) <= PAPER_BAND).mean())
    ink_share = float((np.abs(grey - paper) >= 3 * PAPER_BAND).mean())
    return paper_share >= PAPER_SHARE and INK_SHARE[0] <= ink_share <= INK_SHARE[1]


def photo_notes(pixels: np.ndarray) -> list[str]:
    """Sentences a page shows beside the network's answer: ``FLAT_NOTE``, ``DIGIT_NOTE``, or none for a photo."""
    if is_flat(pixels):
        return [FLAT_NOTE]
    return [DIGIT_NOTE] if looks_like_digit(pixels) else []
