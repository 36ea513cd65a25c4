"""Keep trained models between chapters (chapter 05 stores its RNN for the chapters that compare with it).

A chapter that trains a model another chapter needs saves it here, in the data cache
(``datasets/cache/models/``, never committed). The file's name carries a fingerprint: a hash of
the settings that produced the model (everything the caller passes in ``settings``) and of the
source code of the whole helper package, which holds the model and training code. Change a
setting or any helper, and the fingerprint changes, so a stale model is never loaded.

``load_or_train`` is what a later chapter calls: it loads the model when the file exists (a
chapter run after the one that trained it) and otherwise trains it with the same code (a reader
who opens the later chapter first, in Colab). On the same machine both paths give bitwise the
same weights, so the chapter's outputs do not depend on which path ran.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from utils.course import ROOT
from utils.data import cache_dir


def fingerprint(name: str, settings: dict) -> str:
    """A short hash of ``name``, ``settings`` (JSON) and the source of every ``utils`` module."""
    digest = hashlib.sha256(name.encode())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for module in sorted((ROOT / "utils").glob("*.py")):
        digest.update(module.name.encode() + module.read_bytes())
    return digest.hexdigest()[:16]


def model_path(name: str, settings: dict) -> Path:
    return cache_dir() / "models" / f"{name}-{fingerprint(name, settings)}"


def _is_keras(model) -> bool:
    import keras

    return isinstance(model, keras.Model)


def save(name: str, settings: dict, model, extras: dict | None = None) -> Path:
    """Store ``model``'s weights (and JSON-able ``extras``, such as a training history)."""
    path = model_path(name, settings)
    path.mkdir(parents=True, exist_ok=True)
    if _is_keras(model):
        model.save_weights(path / "model.weights.h5")
    else:
        np.savez(path / "variables.npz", *[v.numpy() for v in model.variables])
    (path / "extras.json").write_text(json.dumps(extras or {}), encoding="utf-8")
    return path


def load(name: str, settings: dict, model) -> dict | None:
    """Load the saved weights into ``model`` and return the extras, or ``None`` if nothing is saved."""
    path = model_path(name, settings)
    if not (path / "extras.json").exists():
        return None
    if _is_keras(model):
        model.load_weights(path / "model.weights.h5")
    else:
        with np.load(path / "variables.npz") as saved:
            values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        if len(values) != len(model.variables):
            raise ValueError(f"the cached {name!r} has {len(values)} variables, the model {len(model.variables)}")
        for variable, value in zip(model.variables, values):
            variable.assign(value)
    return json.loads((path / "extras.json").read_text(encoding="utf-8"))


def load_or_train(name: str, settings: dict, model, train) -> tuple[dict, bool]:
    """``(extras, loaded)``: load ``model`` from the cache, or run ``train(model) -> extras`` and save it."""
    extras = load(name, settings, model)
    if extras is not None:
        return extras, True
    extras = train(model)
    save(name, settings, model, extras)
    return extras, False
