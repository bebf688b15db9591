"""Saving and loading model checkpoints safely.

A checkpoint is a plain dict of tensors and primitives (``format``, ``model``, ``state_dict``,
``meta``), so it loads with ``torch.load(..., weights_only=True)``: nothing in a file, not even a
user's upload, can run code. The model is rebuilt by its name, then its weights are loaded strictly.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from pathlib import Path

import torch
from torch import nn

from cnnviz.models import MODEL_BUILDERS, build_model

FORMAT = "cnnviz-checkpoint-v1"
RECREATE_HINT = "recreate it with `make train-shipped` (the exact commands are in the README)"


def _plain(value: object) -> object:
    """``value`` as built-in types only, so ``weights_only`` loading accepts it.

    ``torch.__version__`` is a ``TorchVersion`` (a str subclass) and numpy scalars are not built-ins:
    either would make the saved file unloadable with ``weights_only=True``.
    """
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or type(value) in (bool, int, float, str):
        return value
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    return str(value)


def save_checkpoint(model: nn.Module, path: str | os.PathLike, meta: dict | None = None) -> None:
    """Write ``model`` (built by ``build_model``) and ``meta`` to ``path`` atomically.

    The file is written to a temporary name in the same folder and renamed over ``path`` only when
    complete, so an interrupted save leaves the previous file intact.

    Raises:
        ValueError: the model has no ``name`` that ``build_model`` knows.
    """
    name = getattr(model, "name", None)
    if name not in MODEL_BUILDERS:
        raise ValueError(f"only models made by build_model can be saved (this one is named {name!r})")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    blob = {"format": FORMAT, "model": name, "state_dict": state, "meta": _plain(dict(meta or {}))}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(blob, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def checkpoint_bytes(model: nn.Module, meta: dict | None = None) -> bytes:
    """The bytes ``save_checkpoint`` would write, for a download button."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.pt"
        save_checkpoint(model, path, meta)
        return path.read_bytes()


def load_checkpoint(source: str | os.PathLike | bytes, name: str = "") -> tuple[nn.Module, dict]:
    """Load a checkpoint from a path or raw bytes (an upload): ``(model in eval mode on CPU, meta)``.

    Raises:
        FileNotFoundError: ``source`` is a path that does not exist (the message says how to recreate it).
        ValueError: the file is damaged, truncated, not a cnnviz checkpoint, its weights do not fit
            the architecture it names, or some are NaN or infinite.
    """
    label = name or (Path(source).name if not isinstance(source, bytes) else "the uploaded file")
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise FileNotFoundError(f"checkpoint {source} not found; {RECREATE_HINT}")
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        blob = torch.load(stream, map_location="cpu", weights_only=True)
    except (
        pickle.UnpicklingError,
        RuntimeError,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        AttributeError,
        TypeError,
        IndexError,
        UnicodeDecodeError,
    ) as exc:
        # torch's own message advises weights_only=False, the one thing never to do with a stranger's file.
        if "Unsupported global" in str(exc):  # a class or function in the pickle, not just tensors
            raise ValueError(
                f"{label} is not a cnnviz checkpoint: besides weights it holds Python objects, which "
                "could run code, so it is not opened. Save checkpoints from the Train page or with "
                "`python -m cnnviz.train`."
            ) from exc
        unreadable = f"{label} is not a readable PyTorch checkpoint (damaged, truncated, or not a .pt file)."
        raise ValueError(unreadable) from exc
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"{label} is a PyTorch file but not a cnnviz checkpoint (no {FORMAT!r} marker)")
    model_name = blob.get("model")
    if model_name not in MODEL_BUILDERS:
        raise ValueError(f"{label} names an unknown architecture {model_name!r}")
    model = build_model(model_name)
    try:
        model.load_state_dict(blob["state_dict"], strict=True)
    except (RuntimeError, KeyError, TypeError) as exc:
        raise ValueError(f"{label}: the weights do not fit the {model_name} architecture") from exc
    if not all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point()):
        raise ValueError(
            f"{label}: some weights are not numbers (NaN or infinite), as after a training run that "
            "diverged; such a network cannot classify anything"
        )
    meta = blob.get("meta") if isinstance(blob.get("meta"), dict) else {}
    return model.eval(), meta
