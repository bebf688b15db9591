"""load_image on files built here: every hostile upload the page can receive, plus the helpers."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnviz.images import (
    DISPLAY_MODES,
    MAX_SIDE,
    OBJECT_PHOTOS,
    SAMPLE_PHOTOS,
    TEST_PATTERNS,
    decode_image,
    draw_test_pattern,
    encode_png,
    load_image,
    sample_photo,
    to_greyscale,
    to_uint8,
)


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _gradient_rgb(width: int = 64, height: int = 48) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height, dtype=np.uint8)[:, None].repeat(width, 1)
    return Image.fromarray(np.stack([x, y, 255 - x], axis=-1))


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims width x height: a decompression bomb's calling card."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


# --- smoke and shapes -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"])
def test_every_upload_format_decodes_to_rgb(fmt):
    pixels = load_image(_save(_gradient_rgb(), fmt))
    assert pixels.dtype == np.uint8 and pixels.shape == (48, 64, 3)


def test_greyscale_stays_greyscale():
    grey = Image.fromarray(np.arange(100, dtype=np.uint8).reshape(10, 10))
    pixels = load_image(_save(grey, "PNG"))
    assert pixels.shape == (10, 10)
    np.testing.assert_array_equal(pixels, np.arange(100).reshape(10, 10))


def test_one_pixel_image():
    pixels = load_image(_save(Image.new("RGB", (1, 1), (10, 20, 30)), "PNG"))
    np.testing.assert_array_equal(pixels, [[[10, 20, 30]]])


def test_long_strip_is_downsized_on_its_long_side():
    decoded = decode_image(_save(Image.new("L", (10_000, 50), 128), "PNG"))
    assert decoded.pixels.shape == (5, MAX_SIDE)
    assert decoded.original_size == (10_000, 50)
    assert any("downsized from 50 x 10000 to 5 x 1024 pixels, height x width" in note for note in decoded.notes)


def test_large_jpeg_uses_draft_and_lands_at_max_side():
    decoded = decode_image(_save(_gradient_rgb(3000, 2000), "JPEG"))
    assert decoded.pixels.shape == (683, 1024, 3)
    # The note names the file's size, not the half-size draft Pillow decoded (it said "from 1000 x 1500").
    assert "downsized from 2000 x 3000 to 683 x 1024 pixels, height x width (long side 1024)" in decoded.notes


def test_a_jpeg_whose_draft_is_already_max_side_still_says_it_was_downsized():
    decoded = decode_image(_save(_gradient_rgb(4096, 3072), "JPEG"))  # decoded at 1/4: 1024 x 768 exactly
    assert decoded.pixels.shape == (768, 1024, 3)
    assert "downsized from 3072 x 4096 to 768 x 1024 pixels, height x width (long side 1024)" in decoded.notes


def test_a_large_phone_photo_held_upright_names_its_upright_size():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 4032 wide, shown 4032 tall
    decoded = decode_image(_save(_gradient_rgb(4032, 3024), "JPEG", exif=exif))
    assert decoded.pixels.shape == (1024, 768, 3)
    assert "downsized from 4032 x 3024 to 1024 x 768 pixels, height x width (long side 1024)" in decoded.notes


# --- conversions --------------------------------------------------------------------------------


def test_rgba_transparency_is_flattened_on_white():
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[:2] = (255, 0, 0, 255)  # top half opaque red, bottom half fully transparent
    decoded = decode_image(_save(Image.fromarray(rgba, "RGBA"), "PNG"))
    np.testing.assert_array_equal(decoded.pixels[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(decoded.pixels[3, 3], [255, 255, 255])
    assert any("white" in note for note in decoded.notes)


def test_greyscale_with_alpha_becomes_greyscale_on_white():
    la = Image.new("LA", (3, 3), (0, 0))
    pixels = load_image(_save(la, "PNG"))
    assert pixels.shape == (3, 3) and (pixels == 255).all()


def test_palette_image_becomes_rgb():
    palette = _gradient_rgb().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    pixels = load_image(_save(palette, "PNG"))
    assert pixels.shape == (48, 64, 3)


def test_palette_with_transparent_index_is_flattened():
    image = Image.new("P", (2, 1))
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.putpixel((1, 0), 1)
    pixels = load_image(_save(image, "PNG", transparency=0))
    np.testing.assert_array_equal(pixels[0], [[255, 255, 255], [255, 0, 0]])


def test_sixteen_bit_png_is_scaled_to_eight_bits():
    values = np.array([[0, 257 * 100, 65535]], dtype=np.uint16)
    decoded = decode_image(_save(Image.fromarray(values), "PNG"))
    np.testing.assert_array_equal(decoded.pixels, [[0, 100, 255]])
    assert any("16-bit" in note for note in decoded.notes)


def test_float_tiff_is_rescaled():
    values = np.array([[-1.0, 0.0, 1.0]], dtype=np.float32)
    pixels = load_image(_save(Image.fromarray(values, "F"), "TIFF"))
    np.testing.assert_array_equal(pixels, [[0, 128, 255]])


def test_cmyk_jpeg_becomes_rgb():
    decoded = decode_image(_save(Image.new("CMYK", (8, 6), (0, 255, 255, 0)), "JPEG", quality=95))
    assert decoded.pixels.shape == (6, 8, 3)
    red, green, blue = decoded.pixels[3, 4].astype(int)
    assert red > 200 and green < 60 and blue < 60  # C=0, M=Y=100%: red
    assert any("CMYK" in note for note in decoded.notes)


def test_exif_rotated_jpeg_is_turned_upright():
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 10, 20))  # red strip on the stored image's left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    decoded = decode_image(_save(image, "JPEG", exif=exif, quality=95))
    assert decoded.pixels.shape == (40, 20, 3)  # width and height swapped
    assert decoded.pixels[2, 10, 0] > 200  # the red strip is now at the top
    assert any("EXIF" in note for note in decoded.notes)


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (5, 5), colour) for colour in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    data = _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = decode_image(data)
    assert decoded.pixels[0, 0].tolist() == [255, 0, 0]
    assert any("3 frames" in note for note in decoded.notes)


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"hello, I am a text file named photo.png\n", "not an image"),
        (b"%PDF-1.4 fake", "not an image"),
    ],
)
def test_non_images_are_refused_with_a_sentence(data, words):
    with pytest.raises(ValueError, match=words):
        load_image(data)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files_are_refused(fmt):
    data = _save(_gradient_rgb(200, 200), fmt)
    with pytest.raises(ValueError, match="truncated or damaged|damaged"):
        load_image(data[: len(data) // 2])


def test_decompression_bomb_header_is_refused_before_decoding():
    with pytest.raises(ValueError, match="claims 900 megapixels"):
        load_image(_png_header_only(30_000, 30_000))


def test_an_oversized_header_is_quoted_height_x_width():
    with pytest.raises(ValueError, match="claims 2,500 x 24,000 pixels"):  # 24,000 wide, 2,500 tall: 60 MP
        load_image(_png_header_only(24_000, 2_500))


def test_header_just_over_our_limit_is_refused():
    with pytest.raises(ValueError, match="8,000 x 8,000"):
        load_image(_png_header_only(8_000, 8_000))


# --- helpers ------------------------------------------------------------------------------------


def test_to_greyscale_matches_pillow():
    image = _gradient_rgb()
    ours = to_greyscale(np.asarray(image))
    np.testing.assert_allclose(ours, np.asarray(image.convert("L")), atol=1.0)


def test_to_uint8_modes():
    values = np.array([-300.0, -10.0, 0.0, 100.4, 300.0])
    assert to_uint8(values, "clip").tolist() == [0, 0, 0, 100, 255]
    assert to_uint8(values, "absolute").tolist() == [255, 10, 0, 100, 255]
    assert to_uint8(values, "rescale").tolist() == [0, 123, 128, 170, 255]
    assert set(DISPLAY_MODES) == {"clip", "absolute", "rescale"}
    with pytest.raises(ValueError, match="display mode"):
        to_uint8(values, "rainbow")


def test_encode_png_round_trips():
    pixels = np.asarray(_gradient_rgb())
    np.testing.assert_array_equal(load_image(encode_png(pixels)), pixels)
    with pytest.raises(ValueError, match="uint8"):
        encode_png(pixels.astype(np.float32))


@pytest.mark.parametrize("name", sorted(set(SAMPLE_PHOTOS + OBJECT_PHOTOS)))
def test_sample_photos_are_bundled(name):
    pixels = sample_photo(name)
    assert pixels.dtype == np.uint8 and pixels.ndim in (2, 3) and min(pixels.shape[:2]) >= 256


@pytest.mark.parametrize("kind", TEST_PATTERNS)
def test_patterns_are_black_and_white(kind):
    pixels = draw_test_pattern(kind, 64)
    assert pixels.shape == (64, 64) and set(np.unique(pixels)) == {0, 255}


def test_stripes_have_vertical_edges_left_and_horizontal_edges_right():
    pixels = draw_test_pattern("stripes", 64).astype(int)
    assert (np.diff(pixels[:, :32], axis=0) == 0).all()  # left: constant down each column
    assert (np.diff(pixels[:, 32:], axis=1) == 0).all()  # right: constant along each row


def test_bad_sample_names():
    with pytest.raises(ValueError, match="sample photo"):
        sample_photo("lena")
    with pytest.raises(ValueError, match="test pattern"):
        draw_test_pattern("spiral")
