"""cnnviz.checkpoints: safe, atomic, self-describing; and the shipped models' accuracy."""

from pathlib import Path

import pytest
import torch

from cnnviz import checkpoints
from cnnviz.checkpoints import checkpoint_bytes, load_checkpoint, save_checkpoint
from cnnviz.data import load_mnist
from cnnviz.epoch import evaluate
from cnnviz.models import build_model

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def test_round_trip(tmp_path):
    model = build_model("convnet")
    save_checkpoint(model, tmp_path / "m.pt", {"epochs": 3, "note": "hi"})
    loaded, meta = load_checkpoint(tmp_path / "m.pt")
    assert meta == {"epochs": 3, "note": "hi"} and not loaded.training
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, msg=k)
    assert load_checkpoint(checkpoint_bytes(model, {}))[0].name == "convnet"


def test_meta_with_library_types_still_loads_weights_only(tmp_path):
    import numpy as np

    meta = {"torch_version": torch.__version__, "acc": np.float32(0.5), "n": np.int64(3), "t": (1, 2)}
    save_checkpoint(build_model("dense"), tmp_path / "m.pt", meta)
    _, loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded == {"torch_version": str(torch.__version__), "acc": 0.5, "n": 3, "t": [1, 2]}
    assert type(loaded["torch_version"]) is str


def test_truncated_checkpoint_is_refused(tmp_path):
    save_checkpoint(build_model("dense"), tmp_path / "m.pt")
    blob = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="not a readable PyTorch checkpoint"):
        load_checkpoint(tmp_path / "cut.pt")


@pytest.mark.parametrize("blob", [b"", b"hello, not a model", bytes(range(256)) * 10, b"\x89PNG\r\n\x1a\n" + bytes(99)])
def test_garbage_bytes_are_refused_in_one_plain_sentence(blob):
    with pytest.raises(ValueError) as info:
        load_checkpoint(blob, "garbage.pt")
    message = str(info.value)
    assert message.startswith("garbage.pt is not a") and "weights_only" not in message and "\n" not in message


def test_a_pickled_object_is_refused_without_torchs_advice_to_unpickle_it(tmp_path):
    """A whole pickled model (or anything with objects in it) fails weights_only loading; torch's message says
    that weights_only=False "will likely succeed", advice the page must not pass on to a student."""
    torch.save(build_model("dense"), tmp_path / "whole_model.pt")  # the module itself, not its state_dict
    with pytest.raises(ValueError) as info:
        load_checkpoint(tmp_path / "whole_model.pt")
    message = str(info.value)
    assert "holds Python objects, which could run code" in message
    assert "weights_only" not in message and "arbitrary code" not in message and "file an issue" not in message


class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_objects_are_never_unpickled(tmp_path, capsys):
    torch.save({"format": checkpoints.FORMAT, "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError):
        load_checkpoint(tmp_path / "evil.pt")
    assert "must never run" not in capsys.readouterr().out


def test_foreign_torch_file_is_refused(tmp_path):
    torch.save(build_model("dense").state_dict(), tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="not a cnnviz checkpoint"):
        load_checkpoint(tmp_path / "plain.pt")


def test_weights_that_do_not_fit(tmp_path):
    blob = {"format": checkpoints.FORMAT, "model": "convnet", "state_dict": build_model("dense").state_dict()}
    torch.save(blob, tmp_path / "wrong.pt")
    with pytest.raises(ValueError, match="do not fit the convnet"):
        load_checkpoint(tmp_path / "wrong.pt")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_weights_that_are_not_numbers_are_refused(tmp_path, bad):
    model = build_model("convnet")
    with torch.no_grad():
        model.state_dict()["conv2.weight"][0, 0, 1, 1] = bad
    save_checkpoint(model, tmp_path / "diverged.pt", {})
    with pytest.raises(ValueError, match=r"diverged.pt: some weights are not numbers \(NaN or infinite\)"):
        load_checkpoint(tmp_path / "diverged.pt")
    with pytest.raises(ValueError, match="not numbers"):
        load_checkpoint((tmp_path / "diverged.pt").read_bytes(), name="diverged.pt")


def test_missing_file_says_how_to_recreate(tmp_path):
    with pytest.raises(FileNotFoundError, match="make train-shipped"):
        load_checkpoint(tmp_path / "nope.pt")


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    save_checkpoint(build_model("dense"), path, {"version": "old"})
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(build_model("dense"), path, {"version": "new"})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no temp file left behind


def test_model_not_from_build_model_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="build_model"):
        save_checkpoint(torch.nn.Linear(2, 2), tmp_path / "x.pt")


@pytest.fixture(scope="module")
def test_set():
    return load_mnist("test")


def test_shipped_convnet_reaches_99_2_percent(test_set):
    model, meta = load_checkpoint(ASSETS / "mnist_convnet.pt")
    scores = evaluate(model, test_set)
    assert scores["top1"] >= 0.992
    assert meta["architecture"] == "convnet" and meta["epochs"] <= 5
    assert meta["test_top1"] == pytest.approx(scores["top1"], abs=1e-4)


def test_shipped_dense_baseline(test_set):
    model, meta = load_checkpoint(ASSETS / "mnist_dense.pt")
    assert evaluate(model, test_set)["top1"] >= 0.97
    assert meta["architecture"] == "dense"


def test_every_torch_load_in_the_app_is_weights_only():
    """No code path of the app or library unpickles arbitrary objects."""
    root = ASSETS.parent
    for path in [*root.glob("cnnviz/*.py"), *root.glob("cnnviz_ui/*.py"), *root.glob("pages/*.py"), root / "app.py"]:
        for line in path.read_text().splitlines():
            if "torch.load(" in line:
                assert "weights_only=True" in line, f"{path.name}: {line.strip()}"
