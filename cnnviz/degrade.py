"""Make an MNIST digit look like a phone photo of a handwritten one, to test ``preprocess`` against.

A 28 x 28 MNIST digit (white on black) is drawn dark on white paper in a 300 x 300 image, then,
depending on the degradation, scaled to 5-60 % of the image, moved off-centre, blurred (focus),
lit unevenly (a gradient across the page), covered in sensor noise and rotated a little. "all"
applies every one of them at once. Each degradation draws its random parameters from ``rng``, so a
fixed seed gives the same test images every run.
"""

from __future__ import annotations

import cv2
import numpy as np

DEGRADATIONS = ("clean", "scale", "off-centre", "blur", "gradient lighting", "noise", "rotation", "all")
DESCRIPTIONS = {
    "clean": "black on white, digit 35 % of the image, centred",
    "scale": "digit 5-60 % of the image",
    "off-centre": "anywhere in the image",
    "blur": "Gaussian blur, sigma 0.3-1.0 MNIST pixels + 0.5 px",
    "gradient lighting": "one side of the page 30-65 % as bright",
    "noise": "Gaussian noise, sigma 3-8 % of full scale",
    "rotation": "rotated up to 12 degrees either way",
    "all": "all of the above at once",
}
CANVAS = 300
MNIST_BOX = 20  # an MNIST digit fills about 20 of its 28 pixels


def degrade(digit: np.ndarray, kind: str, rng: np.random.Generator, canvas: int = CANVAS) -> np.ndarray:
    """A "photo" of an MNIST digit: uint8 (canvas, canvas), dark digit on light paper.

    ``digit`` is uint8 (28, 28), white on black, as in MNIST. ``kind`` is one of ``DEGRADATIONS``.

    Raises:
        ValueError: an unknown kind, or a digit that is not (28, 28).
    """
    if kind not in DEGRADATIONS:
        raise ValueError(f"degradation must be one of {DEGRADATIONS}, got {kind!r}")
    if np.shape(digit) != (28, 28):
        raise ValueError(f"expected an MNIST digit of shape (28, 28), got {np.shape(digit)}")
    every = kind == "all"
    fraction = rng.uniform(0.05, 0.6) if every or kind == "scale" else 0.35
    angle = rng.uniform(-12, 12) if every or kind == "rotation" else 0.0
    frame = max(8, round(fraction * canvas * 28 / MNIST_BOX))  # the 28-px frame, so the digit is `fraction`
    ink = cv2.resize(np.asarray(digit, np.float32) / 255.0, (frame, frame), interpolation=cv2.INTER_LINEAR)
    if angle:
        turn = cv2.getRotationMatrix2D(((frame - 1) / 2, (frame - 1) / 2), angle, 1.0)
        ink = cv2.warpAffine(ink, turn, (frame, frame), flags=cv2.INTER_LINEAR)
    page = np.zeros((canvas, canvas), np.float32)
    if every or kind == "off-centre":
        margin = round(frame * 4 / 28)  # the digit's own 20-px box must stay on the page
        low, high = -margin, canvas - frame + margin
        top, left = (int(rng.integers(low, max(low, high) + 1)) for _ in range(2))
    else:
        top = left = (canvas - frame) // 2
    _paste(page, ink, top, left)
    photo = 1.0 - page  # dark ink on white paper
    if every or kind == "blur":
        sigma = rng.uniform(0.3, 1.0) * frame / 28 + 0.5
        photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    if every or kind == "gradient lighting":
        direction = rng.uniform(0, 2 * np.pi)
        rows, cols = np.mgrid[0:canvas, 0:canvas] / (canvas - 1) - 0.5
        ramp = np.cos(direction) * cols + np.sin(direction) * rows  # a smooth light falloff across the page
        ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
        darkest = rng.uniform(0.3, 0.65)
        photo = photo * (darkest + (1 - darkest) * ramp)
    if every or kind == "noise":
        photo = photo + rng.normal(0, rng.uniform(0.03, 0.08), photo.shape)
    return np.clip(np.round(photo * 255), 0, 255).astype(np.uint8)


def _paste(page: np.ndarray, ink: np.ndarray, top: int, left: int) -> None:
    """Add ``ink`` into ``page`` at (top, left), cutting off whatever falls outside."""
    h, w = ink.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + h, page.shape[0]), min(left + w, page.shape[1])
    if t1 > t0 and l1 > l0:
        page[t0:t1, l0:l1] = np.maximum(page[t0:t1, l0:l1], ink[t0 - top : t1 - top, l0 - left : l1 - left])
