"""Saving and loading trained models as .npz files.

A model file holds the arrays W0, b0, W1, b1, ... and one string array
``meta``: JSON with the format name, layer sizes, activation, loss, the
training config and whatever else the caller adds (dataset, accuracy ...).
Only numbers and one string: the file loads with ``allow_pickle=False``, so
opening a model someone uploaded can never run code.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .activations import ACTIVATIONS
# MAX_PARAMETERS (50 million, 200 MB of float32) is also the bound on a config's hidden widths:
# every network that can be trained can be saved and loaded again.
from .config import MAX_PARAMETERS, N_CLASSES, N_INPUTS, TrainConfig
from .data.dataset import DataError
from .data.guards import ZIP_MAGIC, check_zip_members, npy_header
from .losses import LOSSES
from .model import MLP

FORMAT = "mnistcore-mlp"
VERSION = 1
MAX_META_BYTES = 2**20       # the meta JSON is a few hundred bytes; refuse it past 1 MB (4 per char)


class ModelFileError(ValueError):
    """A model file that is not one, is damaged, or does not fit the app."""


def model_metadata(model: MLP, config=None, extra: dict | None = None) -> dict:
    """The ``meta`` of a model file: format, version, layer sizes, activation, loss, the training
    config (a TrainConfig, or None) and the caller's ``extra`` (dataset, class_names,
    test_accuracy ...). Built here alone: the command line and the pages both call it."""
    return {"format": FORMAT, "version": VERSION, "sizes": list(model.sizes),
            "activation": model.activation, "loss": model.loss,
            "config": config.to_dict() if config is not None else None, **(extra or {})}


def model_bytes(model: MLP, config=None, extra: dict | None = None) -> bytes:
    """The .npz file for ``model`` as bytes (for a download button, or to write)."""
    meta = model_metadata(model, config, extra)
    arrays = {f"{kind}{l}": p for l, pair in enumerate(zip(model.W, model.b))
              for kind, p in zip("Wb", pair)}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    return buffer.getvalue()


def save_model(model: MLP, path: str | os.PathLike, config=None, extra: dict | None = None) -> Path:
    """Write ``model`` to ``path`` atomically: a crash mid-write never leaves half a file there."""
    path = Path(path)
    data = model_bytes(model, config, extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the usual rights of a new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_model(source: str | os.PathLike | bytes, name: str | None = None) -> tuple[MLP, dict]:
    """(model, meta) from a path or the bytes of a .npz model file.

    Raises ``ModelFileError`` naming the file and what is wrong: not an .npz,
    holds objects or pickles, not a mnistcore model, layers that do not fit
    together or do not map 784 pixels to 10 classes, non-finite weights.
    """
    name = name or (str(source) if not isinstance(source, bytes) else "the model file")
    with _opened(source, name) as f:
        start = f.read(6)
        f.seek(0)
        if not start.startswith(ZIP_MAGIC):   # np.load would read a lone .npy whole, or quote
            raise ModelFileError(f"{name}: {_not_a_zip(start)}")   # NumPy's advice on pickles
        try:
            check_zip_members(f, name)   # before ZipFile makes an object for each of a million members
            npz = np.load(f, allow_pickle=False)
        except DataError as e:
            raise ModelFileError(str(e)) from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise ModelFileError(f"{name}: not a readable .npz model file ({e})") from None
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{name}: holds a single array, not a model (.npz with weights and meta)")
        with npz:
            try:
                meta = _read_meta(npz, name)
                pairs = list(zip(meta["sizes"][:-1], meta["sizes"][1:]))
                if sum(i * o + o for i, o in pairs) > MAX_PARAMETERS:
                    raise ModelFileError(f"{name}: more than {MAX_PARAMETERS:,} parameters; too large to load here")
                W = [_read_array(npz, f"W{l}", name, (i, o)) for l, (i, o) in enumerate(pairs)]
                b = [_read_array(npz, f"b{l}", name, (o,)) for l, (i, o) in enumerate(pairs)]
            except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError, zlib.error,
                    NotImplementedError, RuntimeError) as e:  # damaged deflate data, unknown method, encrypted
                if isinstance(e, ModelFileError):
                    raise
                raise ModelFileError(f"{name}: damaged model file ({e})") from None
    sizes = tuple(meta["sizes"])
    shapes = [(w.shape, bias.shape) for w, bias in zip(W, b)]
    expected = [((i, o), (o,)) for i, o in zip(sizes[:-1], sizes[1:])]
    if shapes != expected:
        raise ModelFileError(f"{name}: weight shapes {shapes} do not match the layer sizes {list(sizes)}")
    if sizes[0] != N_INPUTS or sizes[-1] != N_CLASSES:
        raise ModelFileError(f"{name}: maps {sizes[0]} inputs to {sizes[-1]} outputs; "
                             f"this app needs {N_INPUTS} pixels to {N_CLASSES} classes")
    if sum(w.size + bias.size for w, bias in zip(W, b)) > MAX_PARAMETERS:
        raise ModelFileError(f"{name}: more than {MAX_PARAMETERS:,} parameters; too large to load here")
    dtype = np.result_type(*W, *b)
    W = [w.astype(dtype) for w in W]
    b = [bias.astype(dtype) for bias in b]
    if not all(np.isfinite(p).all() for p in (*W, *b)):
        raise ModelFileError(f"{name}: some weights are NaN or infinite (a diverged run?)")
    return MLP(W, b, meta["activation"], meta["loss"]), meta


@contextlib.contextmanager
def _opened(source, name: str):
    """A binary file for the bytes or the path `source`; only a regular file is opened (a FIFO
    would wait forever for a writer, a device never end)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
        return
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ModelFileError(f"{name}: no such file") from None
    except OSError as e:
        raise ModelFileError(f"{name}: cannot be read ({e.strerror or e})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ModelFileError(f"{name}: not a regular file (a folder, a pipe or a device); "
                             "expected a .npz model file")
    with open(fd, "rb") as f:
        yield f


def _not_a_zip(start: bytes) -> str:
    if start.startswith(b"\x93NUMPY"):
        return "holds a single array, not a model (.npz with weights and meta)"
    if start[:1] == b"\x80":
        return "a Python pickle; refusing to load it (unpickling can run code)"
    return "not a readable .npz model file (it is not a zip archive of .npy arrays)"


def _read_meta(npz, name: str) -> dict:
    if "meta" not in npz.files:
        raise ModelFileError(f"{name}: no 'meta' entry; not a mnistcore model file")
    shape, dtype = _header(npz, "meta")
    if dtype.kind != "U" or shape != () or dtype.itemsize > MAX_META_BYTES:
        raise ModelFileError(f"{name}: 'meta' must be one JSON string")
    raw = npz["meta"]
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{name}: 'meta' is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{name}: not a {FORMAT} file")
    if type(meta.get("version")) is not int or meta["version"] != VERSION:
        raise ModelFileError(f"{name}: format version {meta.get('version')!r}; this app reads {VERSION}")
    problem = meta_problem(meta)
    if problem:
        raise ModelFileError(f"{name}: {problem}")
    return meta


MAX_LAYERS = 64      # sizes from input to output; the app's widgets allow a handful
MAX_TEXT = 200       # characters in a class name, a data set's name or a source


def _whole(v) -> bool:
    return type(v) is int   # not bool, not float: JSON 1.0 and true are not layer widths


def _text(v, limit: int = MAX_TEXT) -> bool:
    return isinstance(v, str) and len(v) <= limit


def meta_problem(meta: dict) -> str | None:
    """What is wrong with a model file's meta (JSON from a stranger), in one sentence; None if fine.

    Each field the app reads is checked for type and range, so that no page or command trips over
    it later: sizes (2 to MAX_LAYERS whole numbers from 1 to MAX_PARAMETERS), activation and loss
    (names of ACTIVATIONS and LOSSES), config (None, or a TrainConfig's dict that agrees with
    sizes, activation and loss), class_names (one short string per output), dataset, source and
    preset (short strings), test_accuracy (None or a number in [0, 1]), epochs_trained (>= 0).
    Other keys are the caller's and are kept as they are.
    """
    sizes = meta.get("sizes")
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS
            or not all(_whole(s) and 0 < s <= MAX_PARAMETERS for s in sizes)):
        return (f"'sizes' must be a list of 2 to {MAX_LAYERS} whole numbers from 1 to "
                f"{MAX_PARAMETERS:,}; got {_short(sizes)}")
    for key, table in (("activation", ACTIVATIONS), ("loss", LOSSES)):
        value = meta.get(key)
        if not isinstance(value, str) or value not in table:
            return f"unknown {key} {_short(value)}; expected one of {', '.join(table)}"
    names = meta.get("class_names")
    if names is not None and not (isinstance(names, list) and len(names) == sizes[-1]
                                  and all(_text(c) and c for c in names)):
        return (f"'class_names' must be a list of {sizes[-1]} names (one per output, each 1 to "
                f"{MAX_TEXT} characters); got {_short(names)}")
    for key in ("dataset", "source", "preset", "status"):
        if meta.get(key) is not None and not _text(meta[key]):
            return f"'{key}' must be a text of at most {MAX_TEXT} characters; got {_short(meta[key])}"
    for key, top in (("test_accuracy", 1.0), ("epochs_trained", float(MAX_PARAMETERS))):
        value = meta.get(key)
        if value is not None and not (type(value) in (int, float) and 0 <= value <= top):
            return f"'{key}' must be a number from 0 to {top:g}; got {_short(value)}"
    return _config_problem(meta)


def _config_problem(meta: dict) -> str | None:
    """The training config: None, or a valid TrainConfig that describes this very model."""
    if meta.get("config") is None:
        return None
    try:
        config = TrainConfig.from_dict(meta["config"])
    except (ValueError, TypeError) as e:
        return f"'config' is not a valid training config ({e})"
    mismatched = [k for k, mine, theirs in (("sizes", list(config.sizes), meta["sizes"]),
                                            ("activation", config.activation, meta["activation"]),
                                            ("loss", config.loss, meta["loss"])) if mine != theirs]
    if mismatched:
        return f"'config' does not describe this model: its {', '.join(mismatched)} differ"
    return None


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _header(npz, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of array `key` from its .npy header (``guards.npy_header``, the one .npy
    header guard), without reading the array: compressed, a huge array of zeros fits in a small
    file (a zip bomb), so nothing is inflated unchecked."""
    member = f"{key}.npy" if f"{key}.npy" in npz.zip.namelist() else key
    with npz.zip.open(member) as f:
        return npy_header(f, key)


def _read_array(npz, key: str, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Array `key`, read only once its header says it is weights of the expected `shape`."""
    if key not in npz.files:
        raise ModelFileError(f"{name}: missing array {key!r}")
    found, dtype = _header(npz, key)   # refuses Python objects (a pickle) unread
    if dtype not in (np.float32, np.float64):
        raise ModelFileError(f"{name}: {key} has dtype {dtype}; weights must be float32 or float64")
    if found != shape:
        raise ModelFileError(f"{name}: weight shapes do not match the layer sizes: {key} is {found}, "
                             f"expected {shape}")
    return npz[key]
