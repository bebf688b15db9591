"""cnnviz.photo_checks: flat pictures and digits on paper are told apart from photos of things."""

import io

import numpy as np
import pytest
from fixtures_hostile import digit_photo
from PIL import Image

from cnnviz.images import OBJECT_PHOTOS, SAMPLE_PHOTOS, decode_image, sample_photo
from cnnviz.photo_checks import DIGIT_NOTE, FLAT_NOTE, is_flat, looks_like_digit, photo_notes


@pytest.mark.parametrize("name", sorted(set(OBJECT_PHOTOS + SAMPLE_PHOTOS)))
def test_bundled_photos_get_no_note(name):
    assert photo_notes(sample_photo(name)) == []


@pytest.mark.parametrize("index", range(0, 50, 7))
def test_photos_of_mnist_digits_on_paper_are_digits(index):
    data, _ = digit_photo(index)
    assert photo_notes(decode_image(data).pixels) == [DIGIT_NOTE]


def test_a_light_digit_on_a_dark_box_is_a_digit_and_the_grey_moon_is_not():
    from skimage import data

    from cnnviz.data import load_dataset

    images, _ = load_dataset("MNIST", "test")
    drawn = np.asarray(Image.fromarray(images[3].numpy()).resize((224, 224)))  # white on black, as drawn
    assert looks_like_digit(drawn)
    assert not looks_like_digit(data.moon())


def test_transparent_and_one_colour_pictures_are_flat():
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 48), (10, 200, 30, 0)).save(buffer, format="PNG")
    assert photo_notes(decode_image(buffer.getvalue()).pixels) == [FLAT_NOTE]  # shown on white
    assert is_flat(np.full((5, 5), 0.5, np.float32))
    assert not is_flat(np.arange(25, dtype=np.uint8).reshape(5, 5))
