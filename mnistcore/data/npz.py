"""Keras-style ``mnist.npz``: a zip of .npy arrays x_train, y_train (and x_test, y_test).

Nothing is inflated or unpickled before it is checked: the member count from the zip's end
record (``guards.check_zip_members``), then each array's .npy header (``guards.npy_header``):
objects, non-integer dtypes and sizes that lie are refused before their data is read. Loaded
with allow_pickle=False.
"""
from __future__ import annotations

import io
import math
import zipfile
import zlib

import numpy as np

from . import guards
from .dataset import COLS, PIXELS, ROWS, Dataset, DataError, checked_labels, class_names_for
from .guards import ZIP_MAGIC, check_zip_members, mb, npy_header, read_input
from .files import SPLITS
from .idx import pair


def read_npz(path_or_bytes, name: str | None = None) -> Dataset:
    """A Dataset from a Keras-style ``mnist.npz``: arrays x_train, y_train, x_test, y_test.

    Images uint8 (or integers 0..255) of shape (n, 28, 28) or (n, 784); labels integers of shape
    (n,). x_test/y_test may both be absent (an empty test split). Read with allow_pickle=False: a
    pickle can run code, so object arrays and pickles are refused, never loaded.
    """
    data, name = read_input(path_or_bytes, name)
    return parse_npz(data, name)


def parse_npz(data: bytes, name: str) -> Dataset:
    if not data.startswith(ZIP_MAGIC):
        if data.startswith(b"\x93NUMPY"):
            raise DataError(f"{name}: a single .npy array; expected a .npz archive holding "
                            "x_train, y_train, x_test, y_test (np.savez)")
        if data[:1] == b"\x80":
            raise DataError(f"{name}: a Python pickle; refusing to load it (unpickling can run code). "
                            "Save plain arrays with np.savez instead")
        raise DataError(f"{name}: not a .npz file (a zip archive of .npy arrays)")
    try:
        check_zip_members(io.BytesIO(data), name)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            keys = [k for k in SPLITS if k in members]
            if "x_train" not in members or "y_train" not in members or len(keys) not in (2, 4):
                shown = sorted(members)[:10] + (["..."] if len(members) > 10 else [])
                raise DataError(f"{name}: holds {shown or 'nothing'}; expected arrays "
                                "x_train, y_train and optionally x_test, y_test (as Keras mnist.npz)")
            if sum(members[k].file_size for k in keys) > guards.MAX_BYTES:
                raise DataError(f"{name}: its arrays take more than {mb(guards.MAX_BYTES)}; refusing them")
            for k in keys:
                _check_header(archive, members[k], f"{name}: {k}")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in keys}
    except DataError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError, KeyError) as e:
        # a damaged archive: bad CRC, unknown compression, encryption, a short member...
        raise DataError(f"{name}: damaged .npz file ({e})") from None
    x_train, y_train = _npz_images(arrays["x_train"], name, "x_train"), arrays["y_train"]
    x_train, y_train = pair(x_train, _npz_labels(y_train, name, "y_train"),
                            f"{name}: x_train", f"{name}: y_train")
    if "x_test" in arrays:
        x_test, y_test = pair(_npz_images(arrays["x_test"], name, "x_test"),
                              _npz_labels(arrays["y_test"], name, "y_test"),
                              f"{name}: x_test", f"{name}: y_test")
    else:
        x_test, y_test = np.zeros((0, ROWS, COLS), np.uint8), np.zeros(0, np.uint8)
    return Dataset(name, x_train, y_train, x_test, y_test, class_names_for(name))


def _check_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> None:
    """Refuse an array before reading it: objects (pickles), non-integers, a size that lies."""
    with archive.open(info) as f:
        shape, dtype = npy_header(f, what)
    if dtype.kind not in "ui" or dtype.fields:
        raise DataError(f"{what}: dtype {dtype}; expected integers (uint8 pixels 0..255, labels 0..9)")
    if math.prod(shape) * dtype.itemsize > info.file_size:
        raise DataError(f"{what}: the header declares shape {shape} but the data is shorter")


def _npz_images(x: np.ndarray, name: str, key: str) -> np.ndarray:
    if x.ndim == 2 and x.shape[1] == PIXELS:
        x = x.reshape(len(x), ROWS, COLS)
    if x.ndim != 3 or x.shape[1:] != (ROWS, COLS):
        raise DataError(f"{name}: {key} has shape {x.shape}; expected (n, {ROWS}, {COLS}) or (n, {PIXELS})")
    if x.dtype != np.uint8:
        if x.size and (x.min() < 0 or x.max() > 255):
            raise DataError(f"{name}: {key} holds values {x.min()}..{x.max()}; expected pixels 0..255")
        x = x.astype(np.uint8)
    return x


def _npz_labels(y: np.ndarray, name: str, key: str) -> np.ndarray:
    if y.ndim != 1:
        raise DataError(f"{name}: {key} has shape {y.shape}; expected (n,)")
    return checked_labels(y, 10, f"{name}: {key}")
