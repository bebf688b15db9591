"""Thirty students share one model object (``st.cache_resource``): its helpers must be safe across threads.

Streamlit runs every browser session's script in its own thread, so two students asking for feature maps
or Grad-CAM at the same moment call ``cnnviz.inspect`` on the same module concurrently. Each call must give
exactly what it gives alone, and never raise.
"""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import numpy as np
import pytest

from cnnviz import attribution
from cnnviz import inspect as net_inspect
from cnnviz.checkpoints import load_checkpoint
from cnnviz.data import load_dataset

ROOT = Path(__file__).resolve().parent.parent
THREADS, CALLS = 8, 12


@pytest.fixture(scope="module")
def shared():
    model, _ = load_checkpoint(ROOT / "assets" / "mnist_convnet.pt")
    for p in model.parameters():
        p.requires_grad_(False)  # as cnnviz_ui.resources.shipped_model shares it
    images, labels = load_dataset("MNIST", "test")
    digits = [images[i].numpy().astype(np.float32) / 255 for i in range(THREADS)]
    return model, digits


def _hammer(work, count: int) -> list:
    barrier = Barrier(count)

    def one(i: int):
        barrier.wait()  # start together, as a lecture hall does
        return [work(i) for _ in range(CALLS)]

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_activations_from_many_threads_match_one_thread(shared):
    model, digits = shared
    alone = [net_inspect.activations(model, d)["conv3"].numpy() for d in digits]
    results = _hammer(lambda i: net_inspect.activations(model, digits[i])["conv3"].numpy(), THREADS)
    for i, calls in enumerate(results):
        for got in calls:
            np.testing.assert_allclose(got, alone[i], atol=1e-5, err_msg=f"thread {i} got another digit's maps")


def test_grad_cam_from_many_threads_matches_one_thread(shared):
    model, digits = shared
    alone = [attribution.grad_cam(model, d, 3) for d in digits]
    results = _hammer(lambda i: attribution.grad_cam(model, digits[i], 3), THREADS)
    for i, calls in enumerate(results):
        for got in calls:
            np.testing.assert_allclose(got, alone[i], atol=1e-5)


def test_grad_cam_while_others_take_activations(shared):
    model, digits = shared

    def mixed(i: int):
        return attribution.grad_cam(model, digits[i], 3) if i % 2 else net_inspect.activations(model, digits[i])

    _hammer(mixed, THREADS)  # must not raise
