"""What the pages draw, computed: colour maps, mosaics, overlays and the rules that choose a view.

Pure numpy on arrays; the UI only encodes the results as PNG and places them. Colours are RGB tuples.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from cnnviz.inspect import tile_maps
from cnnviz.shapes import explain_conv

# Negative blue, zero white, positive red: the sign of an edge response reads at a glance.
BLUE, WHITE, RED = (33, 102, 172), (247, 247, 247), (178, 24, 43)
GAP_RGB = (205, 208, 214)  # between maps in a mosaic: darker than the white of a zero activation
MOSAIC_WIDTH = 880  # px a mosaic is upscaled to (nearest neighbour: pixels stay square and sharp)
PICK_PX = 320  # long side of the clickable output picture in the Kernels pixel inspector
PICK_MIN_PX = 48  # its short side at least: a 5 x 1024 output must not shrink to an unclickable line
MARK = (230, 20, 60)  # the inspected pixel's outline: a red that shows on grey and on blue-red signed colours
DIAGRAM_LIMIT = 16  # largest padded side (cells) the sliding-window diagram draws
# Kernels' signed colours: a response at 10% of the bar's end gets 32% of the full colour (not 10%),
# so a thin weak edge on a photo still shows when projected.
PROJECTOR_GAMMA = 0.5


def diverging_rgb(values: np.ndarray, limit: float | None = None, gamma: float = 1.0) -> tuple[np.ndarray, float]:
    """Colour a signed (H, W) array blue-white-red, symmetric around 0: returns (uint8 (H, W, 3), limit).

    ``limit`` is the value drawn fully red (and minus it fully blue). The default is the 99.5th percentile
    of |value|: a few extreme pixels would otherwise wash every other edge out to near-white.
    ``gamma`` below 1 gives weak values stronger colours (|t| ** gamma of the way from white, t = value /
    limit): ``PROJECTOR_GAMMA`` keeps thin, weak edges visible on a projector. ``diverging_scale`` draws
    the matching colour bar.
    """
    array = np.asarray(values, dtype=np.float32)
    if limit is None:
        magnitude = np.abs(array)
        limit = float(np.percentile(magnitude, 99.5)) or float(magnitude.max())
    t = np.clip(array / limit, -1.0, 1.0)[..., None] if limit > 0 else np.zeros((*array.shape, 1), np.float32)
    if gamma != 1.0:
        t = np.sign(t) * np.abs(t) ** np.float32(gamma)
    white, blue, red = (np.array(c, dtype=np.float32) for c in (WHITE, BLUE, RED))
    rgb = np.where(t < 0, white + (blue - white) * -t, white + (red - white) * t)  # (H, W, 3)
    return np.round(rgb).astype(np.uint8), limit


def diverging_scale(gamma: float = 1.0, steps: int = 11) -> list[list]:
    """The colour bar of ``diverging_rgb(..., gamma)`` as a plotly colorscale: ``steps`` stops from -limit to +limit.

    Each stop is the colour ``diverging_rgb`` gives that value, so the bar and the picture agree.

    Raises:
        ValueError: fewer than 3 steps or an even number (0 must be a stop), or gamma not positive.
    """
    if steps < 3 or steps % 2 == 0:
        raise ValueError(f"a diverging colour bar needs an odd number of at least 3 stops, got {steps}")
    if not gamma > 0:
        raise ValueError(f"gamma must be a positive number, got {gamma}")
    positions = np.linspace(0.0, 1.0, steps)
    colours, _ = diverging_rgb((positions * 2 - 1)[None, :], limit=1.0, gamma=gamma)
    return [[float(p), "rgb({},{},{})".format(*c)] for p, c in zip(positions, colours[0].tolist(), strict=True)]


def upscale(pixels: np.ndarray, size: int) -> np.ndarray:
    """``pixels`` (H, W[, 3]) enlarged by the whole number that brings H closest to ``size`` from below (at least 1)."""
    scale = max(1, size // pixels.shape[0])
    return pixels.repeat(scale, 0).repeat(scale, 1)


def mosaic_rgb(
    maps: np.ndarray, limit: float, columns: int, width: int = MOSAIC_WIDTH, per_map: bool = False
) -> np.ndarray:
    """(C, H, W) maps -> one upscaled uint8 RGB mosaic, blue-white-red around 0 with the same ``limit`` for all.

    ``per_map`` stretches each map to its own largest |value| instead, to see the shape of weak maps.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if per_map:
        peaks = np.abs(maps).reshape(len(maps), -1).max(1)
        maps, limit = maps / np.where(peaks > 0, peaks, 1.0)[:, None, None], 1.0
    mosaic = tile_maps(maps, columns=columns, gap=1)
    gaps = np.isnan(mosaic)
    rgb, _ = diverging_rgb(np.nan_to_num(mosaic), limit=limit or 1.0)
    rgb[gaps] = GAP_RGB
    scale = max(1, width // mosaic.shape[1])
    return rgb.repeat(scale, 0).repeat(scale, 1)


def grey_picture(image: np.ndarray, size: int = 224) -> np.ndarray:
    """A [0, 1] (H, W) image as uint8 grey, enlarged by a whole number towards ``size`` px (crisp pixels)."""
    return upscale(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), size)


def heat_overlay(image: np.ndarray, heat: np.ndarray, size: int = 224) -> np.ndarray:
    """uint8 RGB: the [0, 1] digit in dim grey with ``heat`` in [0, 1] over it in red-yellow (hot where it decides)."""
    base = np.clip(image, 0, 1)[..., None] * 0.55 * 255
    hot = np.stack([np.clip(heat * 2, 0, 1), np.clip(heat * 2 - 1, 0, 1), np.zeros_like(heat)], -1) * 255
    alpha = np.clip(heat, 0, 1)[..., None] ** 0.7
    return upscale(np.round(base * (1 - alpha) + hot * alpha).astype(np.uint8), size)


def photo_heat_overlay(photo: np.ndarray, heat: np.ndarray, size: int = 448) -> np.ndarray:
    """uint8 RGB (size, size): the colour ``photo`` (H, W, 3) in [0, 1], dimmed and greyed where ``heat`` (H, W) in
    [0, 1] is cold, red-yellow where it is hot; enlarged by a whole number towards ``size`` (crisp pixels).

    Raises:
        ValueError: the photo is not (H, W, 3) or the heat is not its (H, W).
    """
    photo, heat = np.asarray(photo, dtype=np.float32), np.asarray(heat, dtype=np.float32)
    if photo.ndim != 3 or photo.shape[2] != 3 or heat.shape != photo.shape[:2]:
        raise ValueError(f"expected a photo (H, W, 3) and a heat map (H, W), got {photo.shape} and {heat.shape}")
    grey = photo.mean(axis=2, keepdims=True)
    base = (0.35 * photo + 0.3 * grey) * 255  # the photo stays recognisable under the colour
    hot = np.stack([np.clip(heat * 2, 0, 1), np.clip(heat * 2 - 1, 0, 1), np.zeros_like(heat)], -1) * 255
    alpha = np.clip(heat, 0, 1)[..., None] ** 0.7 * 0.85
    return upscale(np.round(base * (1 - alpha) + hot * alpha).astype(np.uint8), size)


def filter_patches(weights: np.ndarray, columns: int = 8, cell: int = 36, gap: int = 4) -> np.ndarray:
    """Colour filters (C_out, 3, k, k) as one uint8 RGB mosaic: each filter a k x k patch of colours.

    Each filter is scaled on its own, symmetric around zero: mid-grey is a weight of 0, a channel's value
    brighter than grey is a positive weight on that colour, darker a negative one (a "red minus green"
    filter looks red on one side, green on the other). Patches are ``cell`` px squares (nearest neighbour,
    rounded down to a whole multiple of k), ``gap`` px of white between them.

    Raises:
        ValueError: ``weights`` is not (C_out, 3, k, k).
    """
    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim != 4 or weights.shape[1] != 3:
        raise ValueError(f"colour filters are shaped (C_out, 3, k, k), got {weights.shape}")
    count, _, kh, kw = weights.shape
    peaks = np.abs(weights).reshape(count, -1).max(1)
    scaled = 0.5 + weights / (2 * np.where(peaks > 0, peaks, 1.0))[:, None, None, None]  # [0, 1], 0.5 = zero
    patches = np.round(scaled.transpose(0, 2, 3, 1) * 255).astype(np.uint8)  # (C_out, k, k, 3)
    factor = max(1, cell // max(kh, kw))
    patches = patches.repeat(factor, 1).repeat(factor, 2)
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    ph, pw = patches.shape[1:3]
    mosaic = np.full((rows * (ph + gap) - gap, columns * (pw + gap) - gap, 3), 255, np.uint8)
    for i, patch in enumerate(patches):
        r, c = divmod(i, columns)
        mosaic[r * (ph + gap) : r * (ph + gap) + ph, c * (pw + gap) : c * (pw + gap) + pw] = patch
    return mosaic


def step_tile(image: np.ndarray, size: int) -> np.ndarray:
    """One preprocessing step's [0, 1] (H, W) image as a uint8 (size, size) tile: full contrast, letterboxed in grey.

    The grey margin shows each step's true shape (a crop is rarely square); small images are enlarged with
    nearest neighbour so MNIST's pixels stay square and sharp.
    """
    peak = float(image.max())
    pixels = np.round(np.clip(image / peak if peak > 0 else image, 0, 1) * 255).astype(np.uint8)
    height, width = pixels.shape
    scale = (size - 4) / max(height, width)
    size_xy = (max(1, round(width * scale)), max(1, round(height * scale)))
    method = cv2.INTER_NEAREST if scale >= 1 else cv2.INTER_AREA
    resized = cv2.resize(pixels, size_xy, interpolation=method)
    tile = np.full((size, size), 214, np.uint8)
    top, left = (size - size_xy[1]) // 2, (size - size_xy[0]) // 2
    tile[top : top + size_xy[1], left : left + size_xy[0]] = resized
    return tile


def shared_limit(*arrays: np.ndarray) -> float:
    """The largest |value| over ``arrays``, or 1.0 if all are zero: the end of a colour scale they share."""
    return float(max(np.abs(a).max() for a in arrays)) or 1.0


def strongest_map(maps: np.ndarray) -> int:
    """Index of the (C, H, W) map with the largest |value|: the map a page opens on.

    By magnitude, so a conv map whose strongest response is negative counts; after ReLU and pooling
    (all values >= 0) this is the same as the largest value.
    """
    maps = np.asarray(maps)
    return int(np.abs(maps).reshape(len(maps), -1).max(1).argmax())


def conv_blocks(layers: Sequence[str]) -> list[list[str]]:
    """Layer names grouped into blocks that share one colour scale: a block starts at each conv layer.

    >>> conv_blocks(["conv1", "relu1", "pool1", "conv2", "relu2"])
    [['conv1', 'relu1', 'pool1'], ['conv2', 'relu2']]
    """
    blocks: list[list[str]] = []
    for name in layers:
        if name.startswith("conv") or not blocks:
            blocks.append([])
        blocks[-1].append(name)
    return blocks


def resolved_view(output: np.ndarray, view: str, kernel: np.ndarray | None = None) -> str:
    """The view "auto" stands for, from the kernel's weights' sum, else the output's sign:

    - sum 1 (blur, sharpen, emboss keep the brightness): a picture clipped to 0-255;
    - sum 0 (an edge kernel: its output is a response, not a picture): signed colours for greyscale, |x| for
      colour (three channels cannot each be blue-white-red), even where every response is positive;
    - any other kernel, or none: clipped when nothing is negative, else signed colours (|x| for colour).
    """
    if view != "auto":
        return view
    signed = "signed" if output.ndim == 2 else "absolute"
    if kernel is not None:
        total = float(np.sum(kernel))
        if abs(total - 1) <= 0.02:
            return "clip"
        if abs(total) <= 0.02 * max(float(np.abs(kernel).sum()), 1e-12):  # 0, relative to the weights' size
            return signed
    return "clip" if output.min() >= 0 else signed


def pick_picture(pixels: np.ndarray, row: int, col: int, side: int = PICK_PX) -> np.ndarray:
    """The output picture (RGB uint8) about ``side`` px on its long side, pixel (``row``, ``col``) outlined in red.

    A small output is enlarged by a whole number with nearest neighbour, so each output pixel is a crisp
    square you can click; a large one is shrunk (box filter). A strip (say 5 x 1024) would shrink to a line
    nobody can click, so the short side is stretched to at least ``PICK_MIN_PX`` (by a whole number when
    enlarged): not to scale, and the caption says so. The outline is at least 9 px wide.
    """
    height, width = pixels.shape[:2]
    rgb = pixels if pixels.ndim == 3 else np.repeat(pixels[..., None], 3, axis=2)
    scale = side / max(height, width)
    if scale >= 1:
        factor_y, factor_x = (max(int(scale), -(-PICK_MIN_PX // n)) for n in (height, width))
        picture = rgb.repeat(factor_y, 0).repeat(factor_x, 1)
    else:
        size = [_stretched(n, max(1, round(n * scale))) for n in (width, height)]
        picture = np.array(Image.fromarray(np.ascontiguousarray(rgb)).resize(size, Image.Resampling.BOX))
    sy, sx = picture.shape[0] / height, picture.shape[1] / width
    centre_y, centre_x = (row + 0.5) * sy, (col + 0.5) * sx
    half_y, half_x = max(sy / 2 + 1, 4.5), max(sx / 2 + 1, 4.5)
    top, bottom = max(0, int(centre_y - half_y)), min(picture.shape[0], int(np.ceil(centre_y + half_y)))
    left, right = max(0, int(centre_x - half_x)), min(picture.shape[1], int(np.ceil(centre_x + half_x)))
    for rows, cols in (
        (slice(top, top + 2), slice(left, right)),
        (slice(bottom - 2, bottom), slice(left, right)),
        (slice(top, bottom), slice(left, left + 2)),
        (slice(top, bottom), slice(right - 2, right)),
    ):
        picture[rows, cols] = MARK
    return picture


def _stretched(n: int, shown: int) -> int:
    """``shown`` px for a side of ``n`` pixels, or at least PICK_MIN_PX: ``n`` times a whole number if ``n`` is
    smaller than that (so BOX resampling repeats pixels exactly), else PICK_MIN_PX."""
    if shown >= PICK_MIN_PX:
        return shown
    return n * -(-PICK_MIN_PX // n) if n < PICK_MIN_PX else PICK_MIN_PX


def is_to_scale(picture: np.ndarray, pixels: np.ndarray) -> bool:
    """Whether the picker ``picture`` shows ``pixels`` with square pixels (not stretched on one side)."""
    height, width = pixels.shape[:2]
    return abs(picture.shape[0] / height - picture.shape[1] / width) <= 0.5 / height + 0.5 / width  # rounding


def clicked_pixel(click: dict, out_shape: tuple[int, int]) -> tuple[int, int]:
    """The output pixel (row, column) under a click ``{"x", "y", "width", "height"}`` on the shown picture.

    Raises:
        KeyError, TypeError, ValueError, OverflowError: a click without those numbers.
    """
    shown_w, shown_h = max(1, int(click["width"])), max(1, int(click["height"]))
    row = int(float(click["y"]) * out_shape[0] // shown_h)
    col = int(float(click["x"]) * out_shape[1] // shown_w)
    return min(max(row, 0), out_shape[0] - 1), min(max(col, 0), out_shape[1] - 1)


def drawable_size(size: int, kernel: int, stride: int, padding: object, dilation: int) -> int | None:
    """The input length the sliding-window diagram draws: ``size`` if it fits in ``DIAGRAM_LIMIT`` cells, else less.

    None when no input fits (the kernel's span or the padding alone is too wide). A bigger input is drawn
    12 cells wide, or as wide as the kernel's span if that is more (a 13 x 13 kernel on 100 x 100 is drawn 13 x 13).
    """
    span = dilation * (kernel - 1) + 1
    for candidate in range(size if size <= DIAGRAM_LIMIT else min(size, max(12, span)), 0, -1):
        try:
            if explain_conv(candidate, kernel, stride, padding, dilation).padded <= DIAGRAM_LIMIT:
                return candidate
        except ValueError:
            return None
    return None


def hover_samples(shape: tuple[int, int], max_side: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the pixels a picture's hover layer carries: every one up to ``max_side`` per
    side, else one per k x k block, its centre (or its last pixel, in a block cut short by the edge).

    A 512 x 512 output's 262,144 values would make each rerun send a megabyte for hovering alone; every
    third pixel is 171 x 171 values, and the picture is drawn at about 1.7 output pixels per screen pixel
    anyway. The values shown are the true values of the pixels named.

    >>> [a.tolist() for a in hover_samples((3, 5))]
    [[0, 1, 2], [0, 1, 2, 3, 4]]
    >>> hover_samples((512, 10))[0][:3].tolist()
    [1, 4, 7]
    """
    step = hover_step(shape, max_side)
    return tuple(np.minimum(np.arange(0, n, step) + step // 2, n - 1) for n in shape)  # type: ignore[return-value]


def hover_step(shape: tuple[int, int], max_side: int = 200) -> int:
    """The k of ``hover_samples``: block side in pixels (1: every pixel). Block i covers pixels i*k to (i+1)*k - 1."""
    return max(1, -(-max(shape) // max_side))
