"""Classify in a real browser: upload a photo-like digit, draw digits, film one, read the prediction."""

import re

import numpy as np
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, assert_clean, open_page, screenshot, stroke, wait_idle
from PIL import Image

from cnnviz.data import load_mnist
from cnnviz.degrade import degrade


def prediction(page) -> int:
    page.get_by_text(re.compile(r"Prediction: \d")).first.wait_for()
    return int(re.search(r"Prediction: (\d)", page.inner_text("body")).group(1))


def choose_source(page, name: str) -> None:
    page.get_by_text(name, exact=True).first.click()
    wait_idle(page)


def test_upload_a_degraded_photo_of_a_digit(page, tmp_path):
    images, labels = load_mnist("test")
    index = int(np.nonzero(labels.numpy() == 2)[0][0])
    photo = degrade(images[index].numpy(), "all", np.random.default_rng(3))
    path = tmp_path / "digit_photo.png"
    Image.fromarray(photo).save(path)
    open_page(page, "Classify")
    choose_source(page, "Upload a photo")
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    page.locator('input[type="file"]').set_input_files(str(bad))
    wait_idle(page)
    page.get_by_text("not an image we can read").wait_for()
    page.locator('input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    assert prediction(page) == 2
    page.get_by_text("Centred 28 x 28").first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "classify_upload")


def test_draw_a_one_and_a_seven(page):
    open_page(page, "Classify")
    assert_clean(page)
    page.locator("canvas").first.wait_for()
    stroke(page, [(0.5, 0.15), (0.5, 0.85)])  # a "1": one vertical stroke
    wait_idle(page)
    assert prediction(page) == 1
    screenshot(page, "classify_draw_1")
    open_page(page, "Classify")  # a fresh canvas
    page.locator("canvas").first.wait_for()
    stroke(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a "7": the bar, then the diagonal
    wait_idle(page)
    assert prediction(page) == 7
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "classify_draw_7")


def y4m_video(grey: np.ndarray, path) -> None:
    """One greyscale frame as a Y4M video (4:2:0, neutral chroma): what Chromium's fake camera plays."""
    height, width = grey.shape
    chroma = np.full((height // 2) * (width // 2), 128, np.uint8).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + grey.astype(np.uint8).tobytes() + chroma + chroma)


def test_take_a_photo_of_a_digit_with_the_camera(browser, app_url, tmp_path):
    """The camera path end to end: Chromium's fake camera films a digit on paper, Take Photo, prediction.

    The digit is a 7 (MNIST test image 0), which a mirrored photo would turn into something else: a webcam
    preview is often shown mirrored, the photo the network gets must not be.
    """
    images, labels = load_mnist("test")
    assert int(labels[0]) == 7
    ink = np.asarray(Image.fromarray(images[0].numpy()).resize((280, 280), Image.Resampling.BILINEAR))
    frame = np.full((480, 640), 225, np.uint8)  # light paper
    frame[100:380, 180:460] = 225 - (ink.astype(np.int32) * 200 // 255)  # dark ink
    video = tmp_path / "digit.y4m"
    y4m_video(frame, video)
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"],
    )  # fmt: skip
    try:
        context = camera.new_context(viewport={"width": 1440, "height": 1000}, permissions=["camera"])
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.app_url = app_url
        open_page(page, "Classify")
        choose_source(page, "Camera")
        page.get_by_role("button", name="Take Photo").click()
        wait_idle(page)
        assert prediction(page) == 7
        assert_clean(page)
        screenshot(page, "classify_camera")
    finally:
        camera.close()
