"""Three students upload a digit at the same moment: each gets the right prediction, nobody an exception.

The full lecture-hall measurement (10 and 30 sessions, memory, training while others browse) is
bench/load_test.py; this is the light check that concurrent sessions do not trip over each other.
"""

import asyncio
import concurrent.futures
import sys

from e2e_helpers import IDLE_JS, ROOT, assert_no_exception, click_radio, open_page
from fixtures_hostile import digit_photo

DIGITS = (0, 1, 2)  # MNIST test images: a 7, a 2 and a 1


def test_three_sessions_classify_at_once(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in DIGITS]
    try:
        pages = []
        for context in contexts:
            context.set_default_timeout(90_000)
            page = context.new_page()
            page.app_url = app_url
            open_page(page, "Classify")
            click_radio(page, "Upload a photo")
            pages.append(page)
        photos = [digit_photo(i) for i in DIGITS]
        for page, (data, _) in zip(pages, photos, strict=True):  # no waiting in between: the runs overlap
            page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                {"name": "digit.png", "mimeType": "image/png", "buffer": data}
            )
        for page, (_, label) in zip(pages, photos, strict=True):
            page.get_by_text(f"Prediction: {label}", exact=True).wait_for()
            page.wait_for_function(IDLE_JS)
            assert_no_exception(page)
    finally:
        for context in contexts:
            context.close()


def test_thirty_students_server_side(app_url):
    """Thirty sessions speaking Streamlit's protocol (bench/_streamlit_wire.py, what the load test uses for
    the server's side of a lecture hall) upload at once: every one gets its own digit's prediction."""
    sys.path.insert(0, str(ROOT / "bench"))
    from load_test import DIGITS as PHOTO_INDICES
    from load_test import WireStudent

    photos = [digit_photo(i) for i in PHOTO_INDICES]

    async def lecture() -> list[str]:
        students = [WireStudent(f"{app_url}/Classify") for _ in range(30)]
        try:
            await asyncio.gather(*(student.open() for student in students))
            await asyncio.gather(
                *(  # each waits for its own label: a mixed-up answer would time out
                    student.classify(f"s{i}.png", *photos[i % len(photos)]) for i, student in enumerate(students)
                )
            )
            return [error for student in students for error in student.session.exceptions]
        finally:
            await asyncio.gather(*(student.close() for student in students))

    # Its own thread: the session's sync Playwright keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, lecture()).result() == []
