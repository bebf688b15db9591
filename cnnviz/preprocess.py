"""Turn any photo or drawing of a digit into the 28 x 28 input an MNIST network expects.

MNIST itself was made this way (LeCun et al.): each digit was cropped to its bounding box, scaled to
fit a 20 x 20 box keeping its aspect ratio (anti-aliased, hence the grey edges), and pasted into a
28 x 28 frame so that its centre of mass sits in the middle. A network trained on MNIST only works on
inputs made the same way, so a photo must first become a white digit on a clean black background:

1. greyscale (a drawing canvas' transparent background counts as background);
2. background removed: a smooth surface fitted to the paper is subtracted, which evens out gradient
   lighting and soft shadows; the polarity is chosen so the digit comes out bright;
3. ink kept: pixels well above the paper's noise level that belong to the digit's connected
   components; specks, paper texture and noise are dropped; contrast is stretched to [0, 1];
4. crop to the digit's bounding box (thin pen strokes are thickened to MNIST's stroke width);
5. fit in 20 x 20, keeping the aspect ratio;
6. centre by centre of mass in 28 x 28.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FRAME = 28  # MNIST image side
BOX = 20  # MNIST digits are scaled to fit this box
CENTRE = 14.0  # where MNIST's centre of mass sits (measured: 13.99, 14.00 over the test set)
WORK_SIDE = 600  # photos are shrunk to this long side first: plenty for a digit, fast to filter
MIN_SIDE = 8  # smaller images cannot hold a recognisable digit
STROKE_RATIO = 0.107  # MNIST stroke width / digit box side (2.1 px in 20 px, measured at half ink)
MIN_STROKE_AREA = 12  # pixels: a smaller mark is a speck, not a digit
# The paper's noise level (std of the background left after removing the lighting, [0, 1] units) above which
# the background is not paper but a busy scene. Measured: photos of digits with noise and blur (degrade "all"
# on 1,800 MNIST digits) reach 0.023; skimage's photos (chelsea, coffee, astronaut, camera, coins) 0.11-0.24.
BUSY_NOISE = 0.06
ADVICE = "Write a dark digit on light paper (or a light one on dark), fill most of the photo with it, and try again"


class NotADigit(ValueError):
    """No digit could be found in the image. ``kind`` says what was found instead, for the page to act on:

    - ``"transparent"``: a drawing with nothing drawn (every pixel transparent);
    - ``"blank"``: one even colour, or nothing stands out from the paper but noise, texture or lighting;
    - ``"photo"``: a busy scene (a photo of a cat, a room) rather than a mark on plain paper;
    - ``"speck"``: the only mark is a few pixels, too small to be a digit;
    - ``"faint"``: the strongest mark is too faint to tell from the paper's noise.
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"no digit found: {reason}")
        self.kind = kind


def _photo_or(kind: str, reason: str, noise: float) -> NotADigit:
    """``NotADigit(kind, reason)``, unless the background (``noise``) is too busy to be paper: a photo."""
    if noise > BUSY_NOISE:
        return NotADigit(
            "photo",
            "this looks like a photo, not a digit: its background is busy everywhere instead of plain paper "
            "around one dark (or light) mark, and this network reads only handwritten digits",
        )
    return NotADigit(kind, reason)


@dataclass(frozen=True)
class PreprocessStep:
    """One stage of a preprocessing: its name, a float image in [0, 1] ((H, W) grey or (H, W, 3) RGB), what it did."""

    name: str
    image: np.ndarray
    caption: str


def to_mnist(image: np.ndarray) -> np.ndarray:
    """A photo or drawing of one digit -> MNIST-style float32 (28, 28) in [0, 1], white digit on black.

    ``image`` is (H, W) greyscale, (H, W, 3) RGB or (H, W, 4) RGBA, uint8 (0-255), uint16 or float
    in [0, 1]. A transparent background (a drawing canvas) is treated as paper.

    Raises:
        ValueError: not an image array, or smaller than 8 x 8 pixels.
        NotADigit (a ValueError): no digit in it; its ``kind`` says what was seen instead (blank, a photo...).
    """
    return to_mnist_steps(image)[-1].image


def to_mnist_steps(image: np.ndarray) -> list[PreprocessStep]:
    """``to_mnist`` one stage at a time, for showing: six ``PreprocessStep`` s, the last is (28, 28).

    Raises:
        ValueError: as ``to_mnist``.
    """
    grey, notes = _to_grey(image)
    steps = [PreprocessStep("Greyscale", grey, "brightness only" + notes)]
    signed, inverted = _remove_background(grey)
    steps.append(
        PreprocessStep(
            "Background removed",
            np.clip(signed, 0.0, 1.0),
            ("inverted (dark ink on light paper becomes white on black); " if inverted else "") + "lighting evened out",
        )
    )
    digit = _keep_digit(signed)
    steps.append(PreprocessStep("Digit kept", digit, "noise, texture and specks dropped; contrast stretched"))
    crop, thickened = _crop(digit)
    box = f"{crop.shape[0]} x {crop.shape[1]} px bounding box"  # height x width, as every size in the app
    steps.append(PreprocessStep("Cropped", crop, box + (", thin strokes thickened" if thickened else "")))
    fitted = _fit_box(crop)
    steps.append(PreprocessStep("Fit in 20 x 20", fitted, f"{fitted.shape[0]} x {fitted.shape[1]}, aspect kept"))
    centred = _centre(fitted)
    steps.append(PreprocessStep("Centred 28 x 28", centred, "centre of mass in the middle: the network's input"))
    return steps


def _to_grey(image: np.ndarray) -> tuple[np.ndarray, str]:
    """float32 (H, W) in [0, 1], long side at most WORK_SIDE, and a note on what was done."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected an image as a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected a greyscale (H, W), RGB (H, W, 3) or RGBA (H, W, 4) image, got shape {image.shape}")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ValueError(
            f"the image is {height} x {width} pixels: too small to hold a digit (at least {MIN_SIDE} x {MIN_SIDE})"
        )
    values = unit_range(image)
    note = ""
    if values.ndim == 3 and values.shape[2] == 4:
        values, note = _flatten_alpha(values), ", transparent background treated as paper"
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[..., 0]
    elif values.ndim == 3:
        values = values[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # luminance, as Pillow's "L"
    scale = WORK_SIDE / max(height, width)
    if scale < 1:
        size = (max(MIN_SIDE, round(width * scale)), max(MIN_SIDE, round(height * scale)))
        values = cv2.resize(values, size, interpolation=cv2.INTER_AREA)
        note += f", shrunk to {size[1]} x {size[0]}"  # height x width (cv2 sizes are width, height)
    return np.ascontiguousarray(values, dtype=np.float32), note


def unit_range(image: np.ndarray) -> np.ndarray:
    """Pixels as float32 in [0, 1], same shape: uint8 / 255, 16-bit / 65535, bool 0/1, float kept (0-255 floats / 255).

    Raises:
        ValueError: NaN or infinite values.
    """
    if image.dtype == np.bool_:
        return image.astype(np.float32)
    if np.issubdtype(image.dtype, np.integer):
        top = 65535.0 if image.dtype.itemsize > 1 and image.max(initial=0) > 255 else 255.0
        return np.clip(image.astype(np.float32) / top, 0.0, 1.0)  # signed types may hold negatives
    values = image.astype(np.float32)
    if not np.isfinite(values).all():
        raise ValueError("the image contains NaN or infinite values")
    return np.clip(values / 255.0 if values.max() > 1.0 else values, 0.0, 1.0)


def _flatten_alpha(rgba: np.ndarray) -> np.ndarray:
    """Composite onto the colour that contrasts with the opaque strokes (black ink -> white paper)."""
    alpha = rgba[..., 3:4]
    if alpha.min() >= 1.0:
        return rgba[..., :3]
    if alpha.max() <= 0.0:
        raise NotADigit("transparent", "the picture is completely transparent: nothing is drawn on it")
    drawn = alpha[..., 0] > 0.5
    stroke = float((rgba[..., :3][drawn] @ np.array([0.299, 0.587, 0.114])).mean()) if drawn.any() else 0.0
    paper = 1.0 if stroke < 0.5 else 0.0
    return rgba[..., :3] * alpha + paper * (1.0 - alpha)


def _remove_background(grey: np.ndarray) -> tuple[np.ndarray, bool]:
    """Subtract a robust quadratic fit of the paper: (residual, ink positive, float32 (H, W); inverted)."""
    if float(grey.max() - grey.min()) < 0.02:
        raise NotADigit("blank", f"the image is blank, one even colour all over. {ADVICE}")
    residual = grey - _fit_background(grey)
    sigma = 1.4826 * float(np.median(np.abs(residual - np.median(residual)))) + 1e-4
    # The digit is the side with the bigger outliers; fall back to "paper is the lighter half".
    dark = float(np.clip(-residual - 5 * sigma, 0, None).sum())
    light = float(np.clip(residual - 5 * sigma, 0, None).sum())
    inverted = dark > light if dark + light > 0 else float(np.median(grey)) > 0.5
    ink = -residual if inverted else residual
    return ink.astype(np.float32), inverted


def _fit_background(grey: np.ndarray, degree: int = 2, side: int = 64) -> np.ndarray:
    """A smooth polynomial surface through the paper, ignoring the ink (iterative outlier clipping)."""
    height, width = grey.shape
    scale = side / max(height, width)
    size = (max(4, round(width * scale)), max(4, round(height * scale)))
    small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    v, u = np.mgrid[-1 : 1 : size[1] * 1j, -1 : 1 : size[0] * 1j]
    a = np.stack([(u**i * v**j).ravel() for i in range(degree + 1) for j in range(degree + 1 - i)], axis=1)
    z = small.ravel().astype(np.float64)
    # Start from the flat paper level (the median), so a digit covering much of the image cannot drag
    # the first fit; then refine with the full surface on the pixels that look like paper.
    flat = z - np.median(z)
    keep = np.abs(flat) < 2.5 * (1.4826 * np.median(np.abs(flat)) + 1e-4)
    coef = np.zeros(a.shape[1])
    coef[0] = np.median(z)
    for _ in range(6 if keep.sum() >= len(z) // 4 else 0):
        kept = a[keep]
        coef = np.linalg.solve(kept.T @ kept + 1e-9 * np.eye(a.shape[1]), kept.T @ z[keep])  # least squares
        resid = z - a @ coef
        spread = 1.4826 * np.median(np.abs(resid[keep] - np.median(resid[keep]))) + 1e-4
        new_keep = np.abs(resid) < 2.5 * spread
        if new_keep.sum() < len(z) // 4 or (new_keep == keep).all():
            break
        keep = new_keep
    surface = (a @ coef).reshape(size[1], size[0]).astype(np.float32)
    return cv2.resize(surface, (width, height), interpolation=cv2.INTER_LINEAR)


def _noise_level(residual: np.ndarray) -> float:
    """Standard deviation of the paper's noise, from the residual's negative side only.

    Ink is positive, so the pixels below zero are paper: for Gaussian noise the median of their
    magnitude is 0.6745 sigma. Robust however much of the image the digit covers.
    """
    sample = residual.ravel()[:: max(1, residual.size // 20_000)]
    below = -sample[sample < 0]
    return float(np.median(below) / 0.6745 if below.size >= 16 else 0.0) + 1e-4


def _keep_digit(residual: np.ndarray) -> np.ndarray:
    """Keep the digit's connected components, drop the rest, stretch the stroke core to 1."""
    blur_sigma = max(1.0, max(residual.shape) / 300)
    smooth = cv2.GaussianBlur(residual, (0, 0), blur_sigma)  # averages noise away before thresholding
    ink = np.clip(residual, 0.0, None)
    sigma = _noise_level(smooth)
    candidate = smooth > max(4 * sigma, 0.03)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidate.astype(np.uint8), connectivity=8)
    if count < 2:
        reason = f"nothing stands out from the background but noise, texture or uneven lighting. {ADVICE}"
        raise _photo_or("blank", reason, sigma)
    mass = np.bincount(labels.ravel(), weights=smooth.ravel(), minlength=count)[1:]
    main = 1 + int(np.argmax(mass))
    level = float(np.percentile(smooth[labels == main], 90))  # brightness of the stroke core
    if level < max(8 * sigma, 0.06):
        reason = (
            "the strongest mark is too faint to tell from the paper's grain. Write with a darker pen or in more light"
        )
        raise _photo_or("faint", reason, sigma)
    area = int(stats[main, cv2.CC_STAT_AREA])
    if area < MIN_STROKE_AREA:
        reason = (
            f"the only mark is a speck of {area} pixels, too small to be a digit. Write it larger, filling the photo"
        )
        raise _photo_or("speck", reason, sigma)
    threshold = max(4 * sigma, 0.2 * level)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((smooth > threshold).astype(np.uint8), connectivity=8)
    mass = np.bincount(labels.ravel(), weights=smooth.ravel(), minlength=count)[1:]
    border = _touches_border(stats[1:], ink.shape)
    # Leftover shadows and the page's edge touch the border; a digit in the photo rarely does.
    main = 1 + int(np.argmax(np.where(border, 0.25, 1.0) * mass))
    x, y, w, h = stats[main, :4]
    reach = 0.6 * max(w, h)  # pieces of the same digit (the bar of a 5, a broken stroke) lie close by
    keep = np.zeros(count, bool)
    for label in range(1, count):
        lx, ly, lw, lh = stats[label, :4]
        near = lx < x + w + reach and lx + lw > x - reach and ly < y + h + reach and ly + lh > y - reach
        big = mass[label - 1] >= 0.05 * mass[main - 1]
        keep[label] = label == main or (near and big and not border[label - 1])
    radius = max(1, round(2 * blur_sigma))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
    mask = cv2.dilate(keep[labels].astype(np.uint8), disk)  # take in the strokes' soft edges too
    low = 0.5 * threshold
    return np.clip((ink - low) / (level - low), 0.0, 1.0) * mask


def _touches_border(stats: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """bool (count,): whether each component's bounding box (cv2 stats rows) reaches the image edge."""
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    return (x <= 0) | (y <= 0) | (x + w >= shape[1]) | (y + h >= shape[0])


def _crop(digit: np.ndarray) -> tuple[np.ndarray, bool]:
    """The bounding box of the ink; thin strokes (pen on paper) are thickened to MNIST's proportions."""
    rows, cols = np.nonzero(digit > 0.05)
    if rows.size == 0:  # every kept pixel was below the crop's cut: a mark with no stroke core
        raise NotADigit("faint", "the mark found is too faint to crop. Write with a darker pen or in more light")
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    side = max(bottom - top, right - left)
    solid = (digit[top:bottom, left:right] > 0.5).astype(np.uint8)
    edge = int(solid.sum() - cv2.erode(solid, np.ones((3, 3), np.uint8)).sum())
    width = 2.0 * solid.sum() / max(edge, 1)  # a stroke of length L and width w: area L w, outline 2 L
    radius = round((0.8 * STROKE_RATIO * side - width) / 2)
    if radius < 1 or side < 24:  # tiny digits: the stroke width cannot be measured reliably
        return np.ascontiguousarray(digit[top:bottom, left:right]), False
    padded = np.pad(digit[top:bottom, left:right], radius)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
    return cv2.dilate(padded, disk), True


def _fit_box(crop: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 px, keeping the aspect ratio; peak brightness 1."""
    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    fitted = np.clip(cv2.resize(crop.astype(np.float32), size, interpolation=method), 0.0, 1.0)
    peak = float(fitted.max())
    return fitted / peak if peak > 0 else fitted


def _centre(fitted: np.ndarray) -> np.ndarray:
    """Paste into a black 28 x 28 frame with the centre of mass at (14, 14), as MNIST did."""
    height, width = fitted.shape
    total = float(fitted.sum())
    rows, cols = np.indices(fitted.shape)
    com_row = float((rows * fitted).sum() / total) if total > 0 else (height - 1) / 2
    com_col = float((cols * fitted).sum() / total) if total > 0 else (width - 1) / 2
    top = int(np.clip(round(CENTRE - com_row), 0, FRAME - height))
    left = int(np.clip(round(CENTRE - com_col), 0, FRAME - width))
    frame = np.zeros((FRAME, FRAME), np.float32)
    frame[top : top + height, left : left + width] = fitted
    return frame
