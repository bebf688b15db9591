"""Home and Train pages in a real browser."""

from e2e_helpers import assert_clean, field, fill_number, open_page, screenshot, smallest_text, visit, wait_idle


def test_home_lists_pages_and_model(page):
    open_page(page)
    # The very first request of a fresh server also loads torch and the shipped model: wait for the figure.
    page.get_by_text("Shipped convnet: test accuracy").wait_for(timeout=90_000)
    wait_idle(page)
    assert_clean(page)
    body = page.inner_text("body")
    assert "cnnviz" in body
    assert "Train" in body
    assert "Shipped convnet" in body
    # Every card of a row is as tall as the row: Classify's shorter blurb left a shorter card (QA).
    cards = page.locator(".st-key-home_cards [data-testid='stPageLink']").evaluate_all(
        "links => links.map(l => { const b = l.closest('[data-testid=stLayoutWrapper]').firstElementChild"
        ".getBoundingClientRect(); return [Math.round(b.top), Math.round(b.height)]; })"
    )
    rows = {}
    for top, height in cards:
        rows.setdefault(top, set()).add(height)
    assert len(cards) == 8 and all(len(heights) == 1 for heights in rows.values()), cards
    screenshot(page, "home")


def test_train_tiny_run_completes_with_curve(page):
    open_page(page, "Train")
    assert_clean(page)
    fill_number(page, "Training images (0 = all 60,000)", 1000)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Finished step").wait_for(timeout=120_000)
    wait_idle(page)
    page.locator(".js-plotly-plot").first.wait_for()
    page.get_by_text("Download the checkpoint").wait_for()
    assert_clean(page)
    screenshot(page, "train")
    # Loss and accuracy side by side on a laptop; on a phone one above the other, each the screen's width
    # (as two subplots of one figure they were ~150 px each there, and "100%" ran into the loss chart).
    laptop = page.viewport_size
    for width, side_by_side in ((1280, True), (390, False)):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(800)
        loss, accuracy = (page.locator(".js-plotly-plot").nth(i).bounding_box() for i in range(2))
        assert (accuracy["x"] >= loss["x"] + loss["width"]) is side_by_side, (width, loss, accuracy)
        assert (accuracy["y"] >= loss["y"] + loss["height"]) is not side_by_side, (width, loss, accuracy)
        assert min(loss["width"], accuracy["width"]) >= (250 if side_by_side else 0.8 * width)
    page.set_viewport_size(laptop)
    # The curves' numbers and titles: 14 px and more, 18 px and more presenting (measured as drawn).
    charts = ".stPlotlyChart svg.main-svg"
    assert smallest_text(page, charts)[1] >= 14, smallest_text(page, charts)
    switch = page.get_by_text("Presentation mode", exact=True)  # its label: the switch's input is drawn over
    switch.click()
    wait_idle(page)
    page.locator(charts).first.wait_for()
    assert smallest_text(page, charts)[1] >= 18, smallest_text(page, charts)
    switch.click()  # back: the sidebar, which the visit below goes through, returns
    wait_idle(page)
    # The settings of the run outlive a visit to another page (through the sidebar: the same session).
    visit(page, "Kernels", "Train")
    assert field(page, "Training images (0 = all 60,000)").input_value() == "1000"
    assert_clean(page)


def test_corrupt_checkpoint_upload_is_refused_then_a_good_one_loads(page):
    from pathlib import Path

    from e2e_helpers import assert_no_exception, error_texts, upload

    good = (Path(__file__).resolve().parents[2] / "assets" / "mnist_dense.pt").read_bytes()
    open_page(page, "Train")
    page.get_by_text("Load a checkpoint you saved earlier").click()
    upload(page, "broken.pt", good[: len(good) // 3], mime="application/octet-stream")
    assert_no_exception(page)
    assert any("refused" in text and "broken.pt" in text for text in error_texts(page)), error_texts(page)
    upload(page, "dense.pt", good, mime="application/octet-stream")
    assert_no_exception(page)
    page.get_by_text("Loaded dense.pt").wait_for()
    assert not error_texts(page)
    screenshot(page, "train_checkpoint_upload")


def test_a_fashion_checkpoint_loaded_on_train_shows_its_clothes_on_feature_maps(page):
    """The whole way a student takes: load a Fashion-MNIST checkpoint on Train, then Feature maps offers its
    test set, picks a class by name and names the answer. Oracle: torch on the same test image."""
    import torch
    from e2e_helpers import click_radio, images_outside_columns, upload

    from cnnviz.checkpoints import checkpoint_bytes
    from cnnviz.data import FASHION_CLASSES, load_dataset
    from cnnviz.models import build_model

    torch.manual_seed(3)
    model = build_model("convnet").eval()
    open_page(page, "Train")
    page.get_by_text("Load a checkpoint you saved earlier").click()
    upload(page, "clothes.pt", checkpoint_bytes(model, {"dataset": "Fashion-MNIST"}), mime="application/octet-stream")
    page.get_by_text("Loaded clothes.pt").wait_for()
    visit(page, "Feature maps")
    page.get_by_text("Fashion-MNIST: 10,000 photos of clothes").click()
    wait_idle(page, 120)
    click_radio(page, "By class")
    wait_idle(page)
    images, labels = load_dataset("Fashion-MNIST", "test")
    index = int(torch.nonzero(labels == 0).flatten()[0])  # the first T-shirt/top: class 0, picked by default
    with torch.no_grad():
        answer = FASHION_CLASSES[int(model(images[index].float().div(255)[None, None]).argmax())]
    page.get_by_text(f"test image #{index} (T-shirt/top)").wait_for()
    page.get_by_text(f"Prediction: {answer}").wait_for()
    page.get_by_text("conv1 · 32 maps of 26×26").wait_for()
    assert_clean(page)
    screenshot(page, "feature_maps_fashion")
    assert not images_outside_columns(page), images_outside_columns(page)


def test_a_checkpoint_named_with_markup_is_named_as_typed_on_every_page(page):
    """A file name is the student's text, not markdown: "$v2$" was drawn as maths, "*final*" in italics and
    ":red[best]" in red, on Train's message, under Classify's model menu and over Evaluate's matrix. The menu
    cuts the long name off; the caption under it gives all of it (``resources.NAME_FITS``)."""
    from pathlib import Path

    from e2e_helpers import assert_no_exception, choose, upload

    name = "lecture_3 *final* $v2$ :red[best] <i>x</i>.pt"
    label = f"Uploaded convnet ({name})"
    weights = (Path(__file__).resolve().parents[2] / "assets" / "mnist_convnet.pt").read_bytes()
    open_page(page, "Train")
    page.get_by_text("Load a checkpoint you saved earlier").click()
    upload(page, name, weights, mime="application/octet-stream")
    success = page.locator('[data-testid="stAlertContentSuccess"]')
    success.wait_for()
    assert success.inner_text().startswith(f"Loaded {name} (convnet)"), success.inner_text()
    visit(page, "Classify")
    choose(page, "Model", label)
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Picked:")
    assert caption.inner_text().strip() == f"Picked: {label}"
    visit(page, "Evaluate")
    choose(page, "Model to look at in detail", label)
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Most common mistake of the")
    assert f"Most common mistake of the {label}:" in caption.inner_text(), caption.inner_text()
    assert not caption.locator(".katex, em, i").count()  # no maths, no italics: the name as typed
    assert_no_exception(page)
