"""cnnviz.render: colour maps, mosaics, overlays and view rules, checked against numpy and the rules' own words."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.inspect import tile_maps
from cnnviz.render import (
    BLUE,
    DIAGRAM_LIMIT,
    GAP_RGB,
    MARK,
    PICK_MIN_PX,
    PICK_PX,
    PROJECTOR_GAMMA,
    RED,
    WHITE,
    clicked_pixel,
    conv_blocks,
    diverging_rgb,
    diverging_scale,
    drawable_size,
    grey_picture,
    heat_overlay,
    hover_samples,
    hover_step,
    is_to_scale,
    mosaic_rgb,
    pick_picture,
    resolved_view,
    shared_limit,
    step_tile,
    strongest_map,
)
from cnnviz.shapes import explain_conv


def _marked(picture: np.ndarray) -> np.ndarray:
    """(rows, columns) of the picker picture painted in the inspector's red."""
    return np.argwhere((picture == MARK).all(axis=2))


@pytest.mark.parametrize("shape", [(28, 28), (5, 9), (400, 700), (1024, 768, 3), (5, 1024), (300, 3)])
def test_a_click_on_the_picker_picture_selects_the_pixel_under_it(shape):
    rng = np.random.default_rng(len(shape))
    pixels = rng.integers(0, 200, shape, dtype=np.uint8)  # no pure red in the picture itself
    height, width = shape[:2]
    for row, col in [(0, 0), (height - 1, width - 1), (height // 3, width // 2)]:
        picture = pick_picture(pixels, row, col)
        scale = picture.shape[1] / width
        assert max(picture.shape[:2]) <= PICK_PX and max(picture.shape[:2]) >= PICK_PX // 2
        # The outline surrounds the pixel: the middle of the pixel's square on the picture is inside it.
        centre = ((row + 0.5) * picture.shape[0] / height, (col + 0.5) * scale)
        marked = _marked(picture)
        assert marked[:, 0].min() <= centre[0] <= marked[:, 0].max() + 1
        assert marked[:, 1].min() <= centre[1] <= marked[:, 1].max() + 1
        # Clicking that middle picks the pixel back.
        click = {"x": centre[1], "y": centre[0], "width": picture.shape[1], "height": picture.shape[0]}
        assert clicked_pixel(click, (height, width)) == (row, col)


def test_a_small_output_is_enlarged_with_crisp_square_pixels():
    pixels = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    picture = pick_picture(pixels, 0, 27)
    factor = PICK_PX // 28
    assert picture.shape == (28 * factor, 28 * factor, 3)
    square = picture[10 * factor : 11 * factor, 5 * factor : 6 * factor]  # far from the outline
    assert (square == pixels[10, 5]).all()


@pytest.mark.parametrize("shape", [(5, 1024), (1, 1024), (60, 1024), (1024, 2), (3, 300)])
def test_a_strip_is_stretched_on_its_short_side_to_stay_clickable(shape):
    pixels = np.arange(np.prod(shape), dtype=np.uint64).reshape(shape).astype(np.uint8)
    picture = pick_picture(pixels, 0, 0)
    assert min(picture.shape[:2]) >= PICK_MIN_PX and max(picture.shape[:2]) <= PICK_PX
    assert not is_to_scale(picture, pixels)
    short_axis = int(np.argmin(shape))
    if shape[short_axis] < PICK_MIN_PX:  # stretched by a whole number: every output pixel repeated exactly
        factor = picture.shape[short_axis] // shape[short_axis]
        assert picture.shape[short_axis] == factor * shape[short_axis]
        if shape[1 - short_axis] <= PICK_PX:  # the long side is not shrunk either: the picture is exact
            expected = pixels.repeat(factor, short_axis)
            far = (slice(12, None), slice(12, None))  # away from the red outline at (0, 0)
            assert (picture[..., 0][far] == expected[far]).all()


@pytest.mark.parametrize("shape", [(28, 28), (5, 9), (400, 700), (1024, 768)])
def test_an_output_that_is_not_a_strip_is_shown_to_scale(shape):
    pixels = np.zeros(shape, dtype=np.uint8)
    picture = pick_picture(pixels, 0, 0)
    assert is_to_scale(picture, pixels)
    assert abs(picture.shape[0] / shape[0] - picture.shape[1] / shape[1]) < 0.01 * picture.shape[1] / shape[1] + 0.01


def test_clicks_outside_the_picture_pick_the_nearest_pixel():
    assert clicked_pixel({"x": -3, "y": 999, "width": 280, "height": 280}, (28, 28)) == (27, 0)


@pytest.mark.parametrize(
    ("kernel", "output", "shown"),
    [
        ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], [[-3.0, 300.0]], "clip"),  # sharpen: a picture, whatever the sign
        ([[1, 0, -1]] * 3, [[0.0, 765.0]], "signed"),  # an edge kernel's all-positive response: still a response
        ([[1, 0, -1]] * 3, [[-5.0, 765.0]], "signed"),
        ([[1, 1, 1]] * 3, [[0.0, 2295.0]], "clip"),  # a sum of 9: by the output's sign
        ([[2, -1, 0]] * 3, [[-4.0, 10.0]], "signed"),
    ],
)
def test_automatic_follows_the_kernels_sum_then_the_outputs_sign(kernel, output, shown):
    assert resolved_view(np.array(output), "auto", np.array(kernel, float)) == shown
    colour = np.repeat(np.array(output)[..., None], 3, axis=2)
    assert resolved_view(colour, "auto", np.array(kernel, float)) == ("absolute" if shown == "signed" else shown)
    assert resolved_view(np.array(output), "rescale", np.array(kernel, float)) == "rescale"  # a choice is kept


def test_diverging_colours_are_blue_white_red_around_zero():
    rgb, limit = diverging_rgb(np.array([[-2.0, 0.0, 2.0, 5.0]]), limit=2.0)
    assert limit == 2.0
    assert [tuple(c) for c in rgb[0]] == [BLUE, WHITE, RED, RED]  # beyond the limit: the end colour
    half, _ = diverging_rgb(np.array([[1.0]]), limit=2.0)
    assert tuple(half[0, 0]) == tuple(np.round((np.array(WHITE) + np.array(RED)) / 2).astype(int))


def test_the_default_limit_is_the_99_5th_percentile_of_the_magnitude():
    values = np.random.default_rng(0).normal(size=(50, 50))
    _, limit = diverging_rgb(values)
    assert limit == pytest.approx(np.percentile(np.abs(values), 99.5))
    assert diverging_rgb(np.zeros((3, 3)))[1] == 0.0
    assert (diverging_rgb(np.zeros((3, 3)))[0] == WHITE).all()


def test_a_mosaic_is_the_tiled_maps_coloured_with_grey_gaps():
    maps = np.random.default_rng(1).normal(size=(5, 4, 4)).astype(np.float32)
    rgb = mosaic_rgb(maps, 2.0, columns=3, width=11)  # 3 * 5 - 1 = 14 px wide: no upscaling
    tiled = tile_maps(maps, columns=3, gap=1)
    assert rgb.shape == (*tiled.shape, 3)
    assert (rgb[np.isnan(tiled)] == GAP_RGB).all()
    expected, _ = diverging_rgb(np.nan_to_num(tiled), limit=2.0)
    assert (rgb[~np.isnan(tiled)] == expected[~np.isnan(tiled)]).all()
    assert mosaic_rgb(maps, 2.0, columns=3, width=60).shape == (tiled.shape[0] * 4, tiled.shape[1] * 4, 3)


def test_per_map_stretches_each_map_to_its_own_peak():
    maps = np.stack([np.full((2, 2), 0.01), np.full((2, 2), -5.0)]).astype(np.float32)
    rgb = mosaic_rgb(maps, 5.0, columns=2, width=5, per_map=True)
    assert tuple(rgb[0, 0]) == RED and tuple(rgb[0, 3]) == BLUE  # the weak map is as red as the strong is blue


def test_grey_picture_is_the_image_in_crisp_whole_pixels():
    image = np.array([[0.0, 1.0], [0.5, 2.0]])
    picture = grey_picture(image, size=9)  # 9 // 2 = 4 px per pixel
    assert picture.dtype == np.uint8 and picture.shape == (8, 8)
    assert (picture[:4, :4] == 0).all() and (picture[:4, 4:] == 255).all() and (picture[4:, :4] == 128).all()
    assert (picture[4:, 4:] == 255).all()  # clipped to 1


def test_the_heat_overlay_is_dim_grey_where_cold_and_yellow_where_hottest():
    image, heat = np.ones((2, 2)), np.array([[0.0, 1.0], [0.5, 0.0]])
    rgb = heat_overlay(image, heat, size=2)
    assert tuple(rgb[0, 0]) == (140, 140, 140)  # 0.55 * 255, rounded
    assert tuple(rgb[0, 1]) == (255, 255, 0)
    assert rgb[1, 0, 0] > rgb[1, 0, 1]  # half heat: red more than green


def test_a_step_tile_is_letterboxed_in_grey_at_full_contrast():
    tall = np.full((20, 10), 0.5)
    tile = step_tile(tall, 44)  # 40 px inner: 40 x 20
    assert tile.shape == (44, 44)
    assert (tile[2:42, 12:32] == 255).all()  # stretched to full contrast
    assert (tile[:, :12] == 214).all() and (tile[:, 32:] == 214).all()


def test_strongest_map_goes_by_magnitude_and_layers_group_at_each_conv():
    maps = np.zeros((3, 2, 2))
    maps[1, 0, 0], maps[2, 1, 1] = 4.0, -9.0
    assert strongest_map(maps) == 2
    assert strongest_map(np.abs(maps)) == 2  # after ReLU: the same as the largest value
    assert conv_blocks(["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3"]) == [
        ["conv1", "relu1", "pool1"],
        ["conv2", "relu2", "pool2"],
        ["conv3", "relu3"],
    ]
    assert conv_blocks(["fc1", "relu1"]) == [["fc1", "relu1"]]
    assert shared_limit(np.array([1.0, -3.0]), np.array([2.0])) == 3.0
    assert shared_limit(np.zeros(3)) == 1.0


@pytest.mark.parametrize("size", [4, 16, 17, 28, 100])
@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation"), [(3, 1, 0, 1), (5, 2, "same", 1), (3, 1, 2, 3)])
def test_the_drawn_input_is_the_largest_that_fits_the_diagram(size, kernel, stride, padding, dilation):
    drawn = drawable_size(size, kernel, stride, padding, dilation)
    assert drawn is not None and drawn <= size
    assert explain_conv(drawn, kernel, stride, padding, dilation).padded <= DIAGRAM_LIMIT
    if size <= DIAGRAM_LIMIT and drawn < size:  # a smaller one only when the input itself does not fit
        assert explain_conv(size, kernel, stride, padding, dilation).padded > DIAGRAM_LIMIT


def test_nothing_is_drawn_when_the_kernel_alone_is_too_wide():
    assert drawable_size(100, 17, 1, 0, 1) is None
    assert drawable_size(100, 13, 1, 0, 1) == 13


def test_filter_patches_colour_each_filter_symmetric_around_grey():
    from cnnviz.render import filter_patches

    weights = np.zeros((3, 3, 3, 3), np.float32)
    weights[0, 0, 1, 1] = 2.0  # red at the centre
    weights[0, 1, 1, 1] = -2.0  # and less green
    weights[1, 2] = 0.5  # all blue, everywhere
    mosaic = filter_patches(weights, columns=2, cell=9, gap=1)
    assert mosaic.shape == (2 * 9 + 1, 2 * 9 + 1, 3) and mosaic.dtype == np.uint8
    np.testing.assert_array_equal(mosaic[4, 4], [255, 0, 128])  # centre cell of filter 0: +max red, -max green
    np.testing.assert_array_equal(mosaic[0, 0], [128, 128, 128])  # a zero weight is mid-grey
    np.testing.assert_array_equal(mosaic[0, 10], [128, 128, 255])  # filter 1 starts after the gap
    np.testing.assert_array_equal(mosaic[10, 10], [255, 255, 255])  # no fourth filter: white
    np.testing.assert_array_equal(mosaic[12, 3], [128, 128, 128])  # filter 2 is all zeros


def test_filter_patches_refuse_grey_filters():
    from cnnviz.render import filter_patches

    with pytest.raises(ValueError, match="colour filters"):
        filter_patches(np.zeros((4, 1, 3, 3)))


def test_photo_heat_overlay_is_hot_where_the_heat_is():
    from cnnviz.render import photo_heat_overlay

    photo = np.full((4, 4, 3), 0.5, np.float32)
    heat = np.zeros((4, 4), np.float32)
    heat[0, 0] = 1.0
    picture = photo_heat_overlay(photo, heat, size=8)
    assert picture.shape == (8, 8, 3)
    assert picture[0, 0, 0] > 200 and picture[0, 0, 2] < 30  # hot: red-yellow
    np.testing.assert_array_equal(picture[7, 7], [round(0.65 * 0.5 * 255)] * 3)  # cold: the dimmed photo
    with pytest.raises(ValueError, match="heat map"):
        photo_heat_overlay(photo, heat[:2])


def test_the_projector_gamma_makes_weak_responses_stronger_and_keeps_sign_and_ends():
    """Thin edges on white washed out when projected: at 10% of the limit the colour is now sqrt(0.1) ~ 32% of
    the way from white to red, not 10%; zero stays white and the ends stay pure blue and red."""
    values = np.array([[-2.0, -0.2, 0.0, 0.2, 2.0]])
    plain, _ = diverging_rgb(values, limit=2.0)
    strong, _ = diverging_rgb(values, limit=2.0, gamma=PROJECTOR_GAMMA)
    assert [tuple(strong[0, i]) for i in (0, 2, 4)] == [BLUE, WHITE, RED]
    white, red = np.array(WHITE, float), np.array(RED, float)
    share = (white - strong[0, 3]) / (white - red)  # how far from white towards red, per channel
    np.testing.assert_allclose(share[[0, 2]], np.sqrt(0.1), atol=0.01)
    assert (np.abs(strong[0, 1].astype(int) - WHITE) > np.abs(plain[0, 1].astype(int) - WHITE)).any()


@pytest.mark.parametrize("gamma", [1.0, PROJECTOR_GAMMA])
def test_the_colour_bar_has_the_pictures_colours_at_its_stops(gamma):
    scale = diverging_scale(gamma, steps=11)
    assert [stop[0] for stop in scale] == pytest.approx(np.linspace(0, 1, 11).tolist())
    values = np.linspace(-3.0, 3.0, 11)[None, :]  # the bar runs from -limit to +limit
    rgb, _ = diverging_rgb(values, limit=3.0, gamma=gamma)
    assert [stop[1] for stop in scale] == ["rgb({},{},{})".format(*c) for c in rgb[0].tolist()]
    assert scale[5][1] == f"rgb{WHITE}".replace(" ", "")
    with pytest.raises(ValueError, match="odd number"):
        diverging_scale(gamma, steps=4)


@pytest.mark.parametrize(("shape", "count"), [((28, 28), (28, 28)), ((512, 512), (171, 171)), ((5, 1024), (1, 171))])
def test_the_hover_layer_samples_every_pixel_of_a_small_output_and_block_centres_of_a_big_one(shape, count):
    rows, cols = hover_samples(shape, max_side=200)
    assert (len(rows), len(cols)) == count
    assert rows.max() < shape[0] and cols.max() < shape[1]
    step = hover_step(shape, max_side=200)
    assert cols[0] == step // 2 and (np.diff(cols)[:-1] == step).all()
    assert len(cols) == -(-shape[1] // step) and len(rows) == -(-shape[0] // step)  # one per block, none lost
    assert hover_samples((2, 1000))[0].tolist() == [1]  # a block cut short by the edge: its last pixel
