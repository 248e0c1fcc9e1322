"""Read one picture of a digit: preprocess it like MNIST, run the network, explain the answer.

    image --to_mnist--> x (28, 28) --MLP--> p = softmax(z_out), shape (10,)

Used by the Draw page and by ``python -m mnistcore predict IMAGE.png [--model M.npz] [--json]``.
A model shared by every visitor of the app (the shipped one, loaded once) is only read here,
never written: ``MLP.activations`` keeps nothing on the model, so two visitors may draw at once.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .checkpoint import load_model
from .losses import softmax
from .model import MLP
from .preprocess import load_image, naive_resize, to_mnist

SHIPPED_MODEL = Path(__file__).parent / "models" / "ready.npz"
MAX_FILE_BYTES = 50 * 1024 * 1024   # an image of a digit is never this big; refuse before reading


def load_shipped_model() -> tuple[MLP, dict]:
    """(model, meta) of the ready-trained model in ``mnistcore/models/ready.npz`` (see its README)."""
    return load_model(SHIPPED_MODEL)


def layer_outputs(model: MLP, X: np.ndarray) -> list[np.ndarray]:
    """[a_1, ..., a_{L-1}, z_out] for inputs X of shape (n, 784): hidden activations, then scores.

    a_l = f(a_{l-1} @ W[l] + b[l]) with a_0 = X; the output layer's z_out is left raw (softmax
    turns it into probabilities). Reads the model only, so one model can serve many threads.
    """
    return model.activations(np.asarray(X, dtype=model.dtype))  # the model's own forward pass


def predict_image(model: MLP, image: np.ndarray, preprocess: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(p, x): class probabilities p of shape (10,) and the 28x28 input x the network saw.

    image: anything ``to_mnist`` takes (uint8 gray/RGB/RGBA of any size, or float in [0, 1]).
    With ``preprocess=False`` the whole image is squeezed to 28x28 instead (``naive_resize``),
    to show what the MNIST-style normalisation is for. Raises EmptyImageError (a ValueError)
    when there is no digit, ValueError for an image it cannot use.
    """
    x = to_mnist(image) if preprocess else naive_resize(image)
    z = layer_outputs(model, x.reshape(1, -1))[-1]
    return softmax(z)[0], x


def top_units(a: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k most active units of a layer's activation vector a, most active first."""
    k = min(k, a.size)
    idx = np.argpartition(-a, k - 1)[:k]
    return idx[np.argsort(-a[idx], kind="stable")]


def read_image_file(path: str | Path) -> np.ndarray:
    """The pixels of an image file (PNG, JPEG ...), via ``load_image``; ValueError if it is not one."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such image file")
    if not path.is_file():   # a folder, a FIFO (reading it would wait forever), a device
        raise ValueError(f"{path}: not a regular file; expected a picture (PNG, JPEG ...)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path}: {size / 2**20:.0f} MB is too large for a picture of a digit "
                         f"(limit {MAX_FILE_BYTES // 2**20} MB)")
    try:
        return load_image(path.read_bytes())
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def predict_command(args: argparse.Namespace) -> int:
    """``python -m mnistcore predict IMAGE [--model MODEL.npz] [--json]``.

    Prints the digit and its probability (or, with --json, one line
    ``{"prediction": 7, "probabilities": [10 numbers], ...}``) and returns 0. Bad files raise
    ValueError (EmptyImageError for a blank image, ModelFileError for a bad model), which the CLI
    prints as one line and exits with status 1.
    """
    model_path = Path(args.model) if args.model else SHIPPED_MODEL
    model, meta = load_model(model_path)
    image = read_image_file(args.image)
    p, _ = predict_image(model, image)
    k = int(p.argmax())
    names = meta.get("class_names") or [str(c) for c in range(len(p))]
    if args.json:
        print(json.dumps({"prediction": k, "label": names[k], "probability": float(p[k]),
                          "probabilities": [round(float(q), 6) for q in p],
                          "image": str(args.image), "model": str(model_path)}))
    else:
        print(f"{args.image}: {names[k]} (probability {p[k]:.3f})")
        for name, q in zip(names, p):
            print(f"  {name:>12}: {q:.3f} {'#' * round(40 * q)}")
    sys.stdout.flush()
    return 0
