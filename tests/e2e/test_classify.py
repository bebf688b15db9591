"""Classify in a real browser: upload a photo-like digit, draw digits, film one, read the prediction."""

import re

import numpy as np
from e2e_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_clean,
    choose,
    click_radio,
    open_page,
    screenshot,
    stroke,
    upload,
    visit,
    wait_idle,
)
from fixtures_hostile import digit_photo
from PIL import Image

from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import load_mnist
from cnnviz.degrade import degrade
from cnnviz.images import load_image
from cnnviz.predict import top_k
from cnnviz.preprocess import to_mnist
from cnnviz_ui.resources import SHIPPED


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


RUNNING_LOOPS_JS = """() => document.getAnimations()
    .filter((a) => a.playState === 'running' && a.effect.getTiming().iterations === Infinity)
    .map((a) => a.effect.target.getAttribute('data-testid') || a.effect.target.tagName)"""
CHIP_NOTE_JS = """(name) => getComputedStyle(name.nextElementSibling, '::after').content"""


def test_nothing_spins_while_a_photo_uploads(page):
    """While a photo is on its way (a slow link: 1.5 kB/s), the file's chip says "uploading…" and nothing on the
    page loops. Streamlit's spinner, drawn again at every frame, cost headless Chromium (no GPU) about 0.09
    CPU s per second of waiting, a quarter of the browsers' CPU in bench/load_test.py (see common.PAGE_CSS)."""
    open_page(page, "Classify")
    choose_source(page, "Upload a photo")
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1500},
    )
    data, label = digit_photo(2)  # about 6 kB: four seconds in flight
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": "slow_digit.png", "mimeType": "image/png", "buffer": data}
    )
    name = page.locator('[data-testid="stFileChipName"]')
    name.wait_for()
    assert page.locator('[data-testid="stFileChipIconSpinner"]').count() == 1  # still uploading
    assert name.evaluate(CHIP_NOTE_JS) == '" · uploading…"'
    assert page.evaluate(RUNNING_LOOPS_JS) == []
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    wait_idle(page)
    assert prediction(page) == label
    assert name.evaluate(CHIP_NOTE_JS) == "none"  # uploaded: the note has gone with the spinner
    assert_clean(page)


WORKING_LABEL_JS = """() => {
    const after = getComputedStyle(document.querySelector('.cnnviz-answer'), '::after');
    return [after.content, after.visibility];
}"""
MARK_JS = """([state, stale, box]) => {
    document.querySelector('[data-testid="stApp"]').dataset.testScriptState = state;
    box = document.querySelector(box);
    box.dataset.stale = stale;
    box.style.opacity = stale === 'true' ? '0.33' : '';  // what Streamlit's own style gives a stale element
    return getComputedStyle(box).opacity;
}"""
ANSWER_BOX = '[data-testid="stElementContainer"]:has(.cnnviz-answer)'
LABEL_TRANSITION_JS = "() => getComputedStyle(document.querySelector('.cnnviz-answer'), '::after').transition"


def test_a_slow_answer_says_working_on_it_and_nothing_dims(page):
    """While Classify's script runs for more than half a second (a busy lecture server), the answer, the "?" box or
    the last prediction, carries a "Working on it…" label, and what is being recomputed is not dimmed: a dimmed
    card did not say whether anything was happening (``cards.WORKING_CSS``).
    Everywhere else a recomputed element still dims in one step after half a second, not in a fade drawn frame
    by frame (``common.PAGE_CSS``). The running state and the stale mark are set by hand: Streamlit sets them
    only while a script runs, which here takes a blink."""
    open_page(page, "Classify")
    choose_source(page, "Upload a photo")
    assert page.evaluate(WORKING_LABEL_JS) == ['"Working on it…"', "hidden"]  # the "?" box
    for answer in (None, 4):
        if answer is not None:
            data, label = digit_photo(answer)
            upload(page, "digit.png", data)
            assert prediction(page) == label
            assert page.evaluate(WORKING_LABEL_JS) == ['"Working on it…"', "hidden"]  # finished: no label
        assert page.evaluate(MARK_JS, ["running", "true", ANSWER_BOX]) == "1"  # recomputed, not dimmed
        # Shown in one step after half a second, so a quick rerun shows nothing.
        assert page.evaluate(LABEL_TRANSITION_JS) == "visibility 0s linear 0.5s"
        page.wait_for_function(f"() => ({WORKING_LABEL_JS})()[1] === 'visible'", timeout=2000)
        assert page.evaluate(f"() => getComputedStyle(document.querySelector('{ANSWER_BOX}')).opacity") == "1"
        if answer is not None:
            screenshot(page, "classify_working")
        page.evaluate(MARK_JS, ["notRunning", "false", ANSWER_BOX])
        assert page.evaluate(WORKING_LABEL_JS)[1] == "hidden"
    visit(page, "Kernels")
    box = '[data-testid="stElementContainer"]'
    assert page.evaluate(MARK_JS, ["running", "true", box]) == "1"  # dims here, but not at once:
    assert page.locator(box).first.evaluate("(e) => getComputedStyle(e).transition") == "opacity 0s linear 0.5s"
    page.wait_for_function(f"() => getComputedStyle(document.querySelector('{box}')).opacity === '0.33'", timeout=2000)


def card(page) -> tuple[int, str]:
    """(the prediction, the model named over the top-5) on the prediction card."""
    found = page.locator(".cnnviz-prediction")
    return int(found.get_attribute("data-digit")), re.search(r"Top-5 of the (.+)", found.inner_text()).group(1)


def test_the_model_picker_and_an_upload_rerun_the_right_parts(page):
    """The model and source pickers lie outside the fragment that holds the uploader and the results (so an upload
    does not redraw them). Picking a model reruns the page, which hands the fragment the new model; an upload then
    reruns only the fragment, which must keep using it. Two photos on which the two shipped models disagree, the
    answers checked against ``top_k`` with each model."""
    models = {name: load_checkpoint(path)[0] for name, path in SHIPPED.items()}
    photos = [digit_photo(index)[0] for index in (20, 149)]
    answers = {
        (name, i): top_k(model, to_mnist(load_image(photo)), k=1)[0][0]
        for name, model in models.items()
        for i, photo in enumerate(photos)
    }
    assert all(answers["Shipped convnet", i] != answers["Shipped dense baseline", i] for i in (0, 1))
    open_page(page, "Classify")
    choose_source(page, "Upload a photo")
    choose(page, "Model", "Shipped dense baseline")
    upload(page, "first.png", photos[0])
    assert card(page) == (answers["Shipped dense baseline", 0], "Shipped dense baseline")
    choose(page, "Model", "Shipped convnet")  # the same photo, the other model
    assert card(page) == (answers["Shipped convnet", 0], "Shipped convnet")
    upload(page, "second.png", photos[1])  # only the fragment reruns: still the convnet
    assert card(page) == (answers["Shipped convnet", 1], "Shipped convnet")
    choose(page, "Model", "Shipped dense baseline")
    assert card(page) == (answers["Shipped dense baseline", 1], "Shipped dense baseline")
    assert_clean(page)


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


def canvas_ink(page) -> float:
    """The share of the drawing's pixels that differ from its top-left pixel (the paper), on the canvas
    layer with the most ink (the component stacks a background, a drawing and a pointer layer)."""
    return max(
        canvas.evaluate("""(canvas) => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 0; i < data.length; i += 4) ink += data[i] !== data[0] ? 1 : 0;
        return ink / (data.length / 4);
    }""")
        for canvas in page.locator("canvas").all()
    )


def test_a_drawing_outlives_a_visit_to_another_page(page):
    """Draw a 7 on Classify and a 1 on Feature maps, go back and forth: each drawing is still there and still
    read (before the next stroke); Clear empties the box for good; a new session starts blank."""
    open_page(page, "Classify")
    page.locator("canvas").first.wait_for()
    stroke(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a "7"
    wait_idle(page)
    assert prediction(page) == 7
    visit(page, "Feature maps")
    click_radio(page, "Draw a digit")
    page.locator("canvas").first.wait_for()
    wait_idle(page)
    stroke(page, [(0.5, 0.15), (0.5, 0.85)])  # a "1"
    wait_idle(page)
    page.get_by_text("Prediction: 1").first.wait_for()
    # Another source and back. "Upload an image" with no file ends the run with st.stop(), which leaves the
    # canvas's old state in place: the box came back empty while the old 1 was still being read.
    click_radio(page, "Upload an image")
    click_radio(page, "Draw a digit")
    page.get_by_text("Prediction: 1").first.wait_for()
    assert canvas_ink(page) > 0.02
    visit(page, "Classify")
    page.locator("canvas").first.wait_for()
    assert prediction(page) == 7  # no stroke since: the kept drawing is read
    assert canvas_ink(page) > 0.02  # and it is on the canvas again, to be finished or changed
    assert_clean(page)
    screenshot(page, "classify_drawing_kept")
    visit(page, "Feature maps")
    page.get_by_text("Prediction: 1").first.wait_for()
    assert canvas_ink(page) > 0.02
    page.get_by_role("button", name="Clear", exact=True).click()  # the canvas's own bin would go back to the 1
    wait_idle(page)
    page.get_by_text("Draw a digit in the black box").wait_for()
    assert canvas_ink(page) == 0
    visit(page, "Classify", "Feature maps")
    page.get_by_text("Draw a digit in the black box").wait_for()  # emptied stays empty
    assert canvas_ink(page) == 0
    open_page(page, "Classify")  # a new session: a blank canvas
    page.get_by_text("Draw a digit in the white box").wait_for()


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
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
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
