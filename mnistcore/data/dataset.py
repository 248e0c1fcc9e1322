"""The Dataset type: four read-only arrays of 28x28 images and labels, checked once when made.

Also ``as_inputs`` (images -> the network's X) and ``summary`` (sizes and class counts), the two
things every page and the CLI do with a Dataset.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """A data file or data set that cannot be used; the message reads "<file>: <what is wrong>"."""


ROWS = COLS = 28
PIXELS = ROWS * COLS
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value; compare by identity
class Dataset:
    """Images and labels of a training and a test split.

    x_train: uint8 of shape (n, 28, 28), pixels 0 (black) to 255 (ink); y_train: uint8 of shape (n,),
    class indices into ``class_names``; likewise x_test (m, 28, 28) and y_test (m,), m may be 0.
    The arrays are made read-only (views; nothing is copied), so that one copy can be shared by every
    page and visitor without anyone changing it under the others.
    """
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...] = MNIST_CLASSES

    def __post_init__(self) -> None:
        names = tuple(str(c) for c in self.class_names)
        if not 1 <= len(names) <= 256:
            raise DataError(f"{self.name}: {len(names)} class names; expected 1 to 256")
        object.__setattr__(self, "class_names", names)
        for split in ("train", "test"):
            x = checked_images(getattr(self, f"x_{split}"), f"{self.name}: x_{split}")
            y = checked_labels(getattr(self, f"y_{split}"), len(names), f"{self.name}: y_{split}")
            if len(x) != len(y):
                raise DataError(f"{self.name}: {len(x)} {split} images but {len(y)} {split} labels")
            object.__setattr__(self, f"x_{split}", x)
            object.__setattr__(self, f"y_{split}", y)


def read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of `a` (no copy)."""
    view = a.view(np.ndarray)   # also turns a np.memmap into a plain array on the same memory
    view.flags.writeable = False
    return view


def checked_images(x, what: str) -> np.ndarray:
    """Images as read-only uint8 of shape (n, 28, 28); DataError naming `what` otherwise."""
    x = np.asarray(x)
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (ROWS, COLS):
        raise DataError(f"{what}: images of shape {x.shape} and dtype {x.dtype}; "
                        f"expected uint8 of shape (n, {ROWS}, {COLS})")
    return read_only(x)


def checked_labels(y, n_classes: int, what: str) -> np.ndarray:
    """Labels as read-only uint8 of shape (n,), every value a class index below `n_classes`."""
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "ui":
        raise DataError(f"{what}: labels of shape {y.shape} and dtype {y.dtype}; expected integers of shape (n,)")
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        i = int(np.flatnonzero((y < 0) | (y >= n_classes))[0])
        raise DataError(f"{what}: label {y[i]} at index {i} is not a class 0..{n_classes - 1}")
    return read_only(y.astype(np.uint8, copy=False))


def class_names_for(name: str) -> tuple[str, ...]:
    """Fashion-MNIST's class names for a file called "...fashion...", else the digits."""
    return FASHION_CLASSES if "fashion" in name.lower() else MNIST_CLASSES


def as_inputs(images: np.ndarray, dtype="float32") -> np.ndarray:
    """The network's input X of shape (n, 784), float32 (or ``dtype``) in [0, 1], from images.

    images: uint8 of shape (n, 28, 28) or (n, 784), divided by 255; or one image (28, 28); floats
    already in [0, 1] (e.g. a drawing from ``preprocess.to_mnist``) are only reshaped (no copy
    when the dtype matches). Scaling to [0, 1] keeps the first layer's pre-activations of order
    one, where gradients flow.
    """
    x = np.asarray(images)
    if x.shape == (ROWS, COLS):
        x = x[None]
    if not (x.ndim == 3 and x.shape[1:] == (ROWS, COLS) or x.ndim == 2 and x.shape[1] == PIXELS):
        raise ValueError(f"images of shape {x.shape}; expected (n, {ROWS}, {COLS}) or (n, {PIXELS})")
    x = x.reshape(len(x), PIXELS)
    dtype = np.dtype(dtype)
    if x.dtype == np.uint8:
        return np.divide(x, dtype.type(255), dtype=dtype)  # one pass, no float64 temporary
    if x.dtype.kind == "f":
        if x.size and not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
            raise ValueError("float images must hold values in [0, 1]")
        return np.ascontiguousarray(x, dtype=dtype)
    raise ValueError(f"images of dtype {x.dtype}; expected uint8 pixels 0..255 or floats in [0, 1]")


def summary(ds: Dataset) -> dict:
    """Sizes and class counts of a data set, as plain JSON-ready data (for ``mnistcore info``)."""
    k = len(ds.class_names)
    return {"name": ds.name, "train": len(ds.y_train), "test": len(ds.y_test),
            "class_names": list(ds.class_names),
            "train_counts": np.bincount(ds.y_train, minlength=k).tolist(),
            "test_counts": np.bincount(ds.y_test, minlength=k).tolist()}
