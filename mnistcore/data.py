"""MNIST-style data sets: find them, check them, read them, cache them.

A data set is four arrays of 28x28 grayscale images and their labels (``Dataset``). They come from

- ``load("mnist")``: the real MNIST, shipped in ``mnistcore/datasets/mnist/`` (works offline);
- ``load("fashion")``: Fashion-MNIST, found on this machine or downloaded on request;
- ``read_idx`` / ``read_npz`` / ``read_csv`` / ``read_upload(s)``: files a user brings.

Every reader checks what it reads and refuses a bad file with one ``DataError`` (a ``ValueError``)
saying which file and what is wrong, e.g. ``"t10k-labels-idx1-ubyte.gz: truncated: ..."``.

Speed: gunzipping MNIST costs about 0.2 s, too slow for a page that should feel instant, so
``load`` keeps the decoded arrays as ``.npy`` files in the cache folder, keyed by the checksums of
the source files, and reads them back with a plain ``np.load`` the next time (about 20 ms). The
source files are still hashed on every load (about 10 ms for MNIST), so a damaged or replaced
file is never served from the cache. (Not memory-mapped on purpose: a mapped file truncated by
someone else kills the process with SIGBUS, and page faults would land inside the first epoch's
timing.)

Folders (environment variables):
    MNISTCORE_DATA_DIR   a folder with your data sets (see ``search_dirs``)
    MNISTCORE_CACHE_DIR  where downloads and decoded arrays go (default ~/.cache/mnistcore)
"""
from __future__ import annotations

import hashlib
import io
import math
import os
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DataError(ValueError):
    """A data file or data set that cannot be used; the message reads "<file>: <what is wrong>"."""


DATASETS = ("mnist", "fashion")
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CLASS_NAMES = {"mnist": MNIST_CLASSES, "fashion": FASHION_CLASSES}
TITLES = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}

ROWS = COLS = 28
PIXELS = ROWS * COLS
MAX_BYTES = 200 * 2**20     # largest file (after decompression) we agree to read: MNIST is 47 MB
HOLD_OUT = 7                # uploads without a test set: 1 in 7 rows is held out (MNIST's 10k of 70k)
UPLOAD_SEED = 0             # ...chosen by this seed, so the same file always splits the same way

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
IDX_TYPES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int",
             0x0D: "float", 0x0E: "double"}


# --- the known files and where to look for them ------------------------------------------------

@dataclass(frozen=True)
class KnownFile:
    """One of the four IDX files of a published data set, and how to recognise it.

    ``gz_sha256`` are checksums of good .gz files (the official one first: downloads must match
    it). Any other compression of the same data is accepted too, by ``raw_sha256``, the checksum of
    the decompressed bytes: the content, whatever the compression.
    """
    name: str                    # file name without .gz, e.g. "train-images-idx3-ubyte"
    gz_sha256: tuple[str, ...]
    raw_sha256: str
    gz_size: int                 # bytes of the first .gz (download progress)


KNOWN_FILES: dict[str, tuple[KnownFile, ...]] = {
    # the .gz checksums are those of mnistcore/datasets/mnist/SHA256SUMS (train-images was
    # recompressed); the raw ones those of the original files, as mnist/README.md lists them.
    "mnist": (
        KnownFile("train-images-idx3-ubyte",
                  ("db8f937d487057fb14a9f0fbe97f0bc8d311ab41b750d41e1ff37c43b9e55e19",),
                  "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 9630634),
        KnownFile("train-labels-idx1-ubyte",
                  ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
                  "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 28881),
        KnownFile("t10k-images-idx3-ubyte",
                  ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
                  "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 1648877),
        KnownFile("t10k-labels-idx1-ubyte",
                  ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
                  "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 4542),
    ),
    # first: the official .gz files (zalandoresearch/fashion-mnist, the S3 mirror); second: the
    # Debian package dataset-fashion-mnist, whose .gz files were recompressed without the original
    # file name (23-24 bytes shorter) but decompress to the official bytes (raw_sha256).
    "fashion": (
        KnownFile("train-images-idx3-ubyte",
                  ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                   "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
                  "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 26421880),
        KnownFile("train-labels-idx1-ubyte",
                  ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                   "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
                  "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 29515),
        KnownFile("t10k-images-idx3-ubyte",
                  ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                   "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
                  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 4422102),
        KnownFile("t10k-labels-idx1-ubyte",
                  ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                   "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
                  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 5148),
    ),
}
SPLITS = ("x_train", "y_train", "x_test", "y_test")   # the order of the four files above

PACKAGE_DATA = Path(__file__).resolve().parent / "datasets"
SUBFOLDERS = {"mnist": "mnist", "fashion": "fashion-mnist"}
SYSTEM_DIRS = {"mnist": (PACKAGE_DATA / "mnist",),
               "fashion": (Path("/usr/share/datasets/fashion-mnist"),)}   # apt install dataset-fashion-mnist
DATA_DIR_ENV = "MNISTCORE_DATA_DIR"
CACHE_DIR_ENV = "MNISTCORE_CACHE_DIR"
CACHE_FORMAT = "arrays-v1"  # part of the cache key: bump it when the cached layout changes


def cache_dir() -> Path:
    """Where downloads and decoded arrays go: $MNISTCORE_CACHE_DIR, else ~/.cache/mnistcore."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mnistcore"


def search_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders ``load(name)`` looks in, first match wins.

    For each of ``data_dir`` and $MNISTCORE_DATA_DIR: its subfolder (``mnist/`` or
    ``fashion-mnist/``), then the folder itself; then the system folder (the copy shipped in the
    package for MNIST, /usr/share/datasets/fashion-mnist for Fashion-MNIST); then the cache, where
    downloads go. A folder that holds the other data set's files is passed over (``_find``).
    """
    _check_name(name)
    dirs = []
    for folder in (data_dir, os.environ.get(DATA_DIR_ENV)):
        if folder:
            folder = Path(folder).expanduser()
            dirs += [folder / SUBFOLDERS[name], folder]
    return [*dirs, *SYSTEM_DIRS[name], cache_dir() / SUBFOLDERS[name]]


def available(data_dir: str | os.PathLike | None = None) -> dict[str, str | None]:
    """{"mnist": folder, "fashion": folder or None}: where each data set would load from.

    Looks at file names only (and one small labels file), without reading the data: cheap enough
    for every page run. ``load`` still checks every file.
    """
    return {name: (str(found) if (found := _find(name, data_dir)[0]) else None) for name in DATASETS}


def _check_name(name: str) -> None:
    if name not in KNOWN_FILES:
        raise DataError(f"{name!r}: unknown data set; expected one of {', '.join(map(repr, DATASETS))}")


def _files_in(folder: Path, name: str) -> list[Path | None]:
    """The path of each of the data set's four files in `folder` (.gz or not), None if absent."""
    found = []
    for spec in KNOWN_FILES[name]:
        paths = [folder / f"{spec.name}.gz", folder / spec.name]
        found.append(next((p for p in paths if _is_file(p)), None))
    return found


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a folder we may not enter: nothing usable there
        return False


def _holds_other_dataset(folder: Path, name: str, labels: Path) -> bool:
    """True if the folder's train-labels file is another known data set's (same file names!)."""
    try:
        if labels.stat().st_size > 2**20:
            return False
        blob = labels.read_bytes()
        digests = {_sha256(blob)}
        own = KNOWN_FILES[name][1]
        if digests & {*own.gz_sha256, own.raw_sha256}:
            return False
        if blob[:2] == GZIP_MAGIC:
            digests.add(_sha256(_gunzip(blob, str(labels))))
    except (OSError, DataError):
        return False  # unreadable: not evidence of another data set; load() will say what is wrong
    return any(digests & {*other[1].gz_sha256, other[1].raw_sha256}
               for other_name, other in KNOWN_FILES.items() if other_name != name)


def _find(name: str, data_dir=None) -> tuple[Path | None, list[str]]:
    """The first folder holding all four files of `name`, and notes on the folders tried."""
    notes = []
    for folder in search_dirs(name, data_dir):
        files = _files_in(folder, name)
        if all(files):
            if _holds_other_dataset(folder, name, files[1]):
                notes.append(f"{folder} (holds another data set)")
                continue
            return folder, notes
        if any(files):
            missing = [f"{spec.name}.gz" for spec, f in zip(KNOWN_FILES[name], files) if f is None]
            notes.append(f"{folder} (missing {', '.join(missing)})")
        else:
            notes.append(str(folder))
    return None, notes


# --- the data set ---------------------------------------------------------------------------------

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
            x = _checked_images(getattr(self, f"x_{split}"), f"{self.name}: x_{split}")
            y = _checked_labels(getattr(self, f"y_{split}"), len(names), f"{self.name}: y_{split}")
            if len(x) != len(y):
                raise DataError(f"{self.name}: {len(x)} {split} images but {len(y)} {split} labels")
            object.__setattr__(self, f"x_{split}", x)
            object.__setattr__(self, f"y_{split}", y)


def _read_only(a: np.ndarray) -> np.ndarray:
    view = a.view(np.ndarray)   # also turns a np.memmap into a plain array on the same memory
    view.flags.writeable = False
    return view


def _checked_images(x, what: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (ROWS, COLS):
        raise DataError(f"{what}: images of shape {x.shape} and dtype {x.dtype}; "
                        f"expected uint8 of shape (n, {ROWS}, {COLS})")
    return _read_only(x)


def _checked_labels(y, n_classes: int, what: str) -> np.ndarray:
    """Labels as read-only uint8 of shape (n,), every value a class index below `n_classes`."""
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "ui":
        raise DataError(f"{what}: labels of shape {y.shape} and dtype {y.dtype}; expected integers of shape (n,)")
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        i = int(np.flatnonzero((y < 0) | (y >= n_classes))[0])
        raise DataError(f"{what}: label {y[i]} at index {i} is not a class 0..{n_classes - 1}")
    return _read_only(y.astype(np.uint8, copy=False))


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


# --- bytes in: files, paths, gzip ----------------------------------------------------------------

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n} bytes"


def _read_input(source, name: str | None) -> tuple[bytes, str]:
    """(bytes, name for messages) from bytes, a path, or a binary file object (e.g. an upload)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), name or "data"
    elif isinstance(source, (str, os.PathLike)):
        name = name or str(source)
        try:
            with open(source, "rb") as f:
                if os.fstat(f.fileno()).st_size > MAX_BYTES:  # check first: never read a huge file
                    raise DataError(f"{name}: larger than {_mb(MAX_BYTES)}; too big for an MNIST-sized data set")
                data = f.read()
        except FileNotFoundError:
            raise DataError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise DataError(f"{name}: is a folder, not a file") from None
        except OSError as e:
            raise DataError(f"{name}: cannot be read ({e.strerror or e})") from None
    elif hasattr(source, "read"):
        name = name or str(getattr(source, "name", "data"))
        data = source.read(MAX_BYTES + 1)
        if not isinstance(data, bytes):
            raise TypeError(f"{name}: open the file in binary mode ('rb')")
    else:
        raise TypeError(f"expected bytes, a path or a binary file, got {type(source).__name__}")
    if len(data) > MAX_BYTES:
        raise DataError(f"{name}: larger than {_mb(MAX_BYTES)}; too big for an MNIST-sized data set")
    return data, name


def _gunzip(data: bytes, name: str, limit: int | None = None) -> bytes:
    """The decompressed bytes of a gzip file (one or more members), at most `limit` of them.

    The limit makes a gzip bomb (a small file that inflates to gigabytes) a clear error instead of
    an exhausted machine. zlib also checks each member's CRC-32 and length.
    """
    limit = MAX_BYTES if limit is None else limit
    parts, size, rest = [], 0, data
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: expect a gzip header
        try:
            out = inflater.decompress(rest, limit - size + 1)
        except zlib.error as e:
            raise DataError(f"{name}: damaged gzip data ({e})") from None
        size += len(out)
        if size > limit:
            raise DataError(f"{name}: decompresses to more than {_mb(limit)}; refusing it "
                            "(too big for an MNIST-sized file, or a gzip bomb)")
        if not inflater.eof:  # all input consumed, the stream not finished
            raise DataError(f"{name}: truncated: the gzip data ends early (an incomplete download?)")
        parts.append(out)
        rest = inflater.unused_data
        if not rest.strip(b"\0"):  # gzip tolerates zero padding after the last member
            return parts[0] if len(parts) == 1 else b"".join(parts)
        if not rest.startswith(GZIP_MAGIC):
            raise DataError(f"{name}: {len(rest)} unexpected bytes after the gzip data")


def _maybe_gunzip(data: bytes, name: str, limit: int | None = None) -> bytes:
    """Decompress if the bytes start like gzip (magic 1f 8b), whatever the file is called."""
    return _gunzip(data, name, limit) if data[:2] == GZIP_MAGIC else data


# --- IDX -----------------------------------------------------------------------------------------

def read_idx(path_or_bytes, name: str | None = None, kind: str | None = None) -> np.ndarray:
    """The array in an IDX file (raw or gzipped), read-only.

    Returns images, uint8 of shape (n, 28, 28) (magic 0x00000803), or labels, uint8 of shape (n,)
    (magic 0x00000801). `kind` ("images" or "labels") requires one of them. The header is checked
    against the data: magic, element type, dimensions and a length that matches the declared count
    exactly, so a truncated or padded file is refused rather than silently misread.
    """
    data, name = _read_input(path_or_bytes, name)
    return _parse_idx(_maybe_gunzip(data, name), name, kind)


def _parse_idx(raw: bytes, name: str, kind: str | None = None) -> np.ndarray:
    expected_magic = "00 00 08 03 (images) or 00 00 08 01 (labels)"
    if len(raw) < 4:
        raise DataError(f"{name}: {len(raw)} bytes, too short for an IDX file")
    if raw[0] or raw[1]:
        raise DataError(f"{name}: not an IDX file: it starts with {raw[:4].hex(' ')}, "
                        f"expected {expected_magic}")
    type_code, ndim = raw[2], raw[3]
    if type_code != 0x08:
        raise DataError(f"{name}: IDX element type 0x{type_code:02x} "
                        f"({IDX_TYPES.get(type_code, 'unknown')}); MNIST files hold unsigned bytes (0x08)")
    if ndim not in (1, 3):
        raise DataError(f"{name}: IDX file with {ndim} dimensions; expected {expected_magic}")
    found = "images" if ndim == 3 else "labels"
    if kind and kind != found:
        raise DataError(f"{name}: holds {found} (magic 0x0000080{ndim}); expected {kind} here")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated: {len(raw)} bytes, shorter than the {header}-byte IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if ndim == 3 and dims[1:] != (ROWS, COLS):
        raise DataError(f"{name}: images of {dims[1]}x{dims[2]} pixels; expected {ROWS}x{COLS}")
    declared, present = math.prod(dims), len(raw) - header
    what = f"{dims[0]} images of {ROWS}x{COLS}" if ndim == 3 else f"{dims[0]} labels"
    if present < declared:
        raise DataError(f"{name}: truncated: the header declares {what} ({declared} bytes) "
                        f"but only {present} bytes follow")
    if present > declared:
        raise DataError(f"{name}: {present - declared} bytes more than the {what} the header declares "
                        "(wrong count in the header, or extra data)")
    return np.frombuffer(raw, np.uint8, count=declared, offset=header).reshape(dims)


def _pair(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str,
          n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Check that an images file and a labels file belong together; messages name both files."""
    if len(images) != len(labels):
        raise DataError(f"{labels_name}: {len(labels)} labels, but {images_name} holds {len(images)} "
                        "images; the two files must have one label per image")
    return images, _checked_labels(labels, n_classes, labels_name)


# --- Keras .npz ----------------------------------------------------------------------------------

def read_npz(path_or_bytes, name: str | None = None) -> Dataset:
    """A Dataset from a Keras-style ``mnist.npz``: arrays x_train, y_train, x_test, y_test.

    Images uint8 (or integers 0..255) of shape (n, 28, 28) or (n, 784); labels integers of shape
    (n,). x_test/y_test may both be absent (an empty test split). Read with allow_pickle=False: a
    pickle can run code, so object arrays and pickles are refused, never loaded.
    """
    data, name = _read_input(path_or_bytes, name)
    return _parse_npz(data, name)


def _parse_npz(data: bytes, name: str) -> Dataset:
    if not data.startswith(ZIP_MAGIC):
        if data.startswith(b"\x93NUMPY"):
            raise DataError(f"{name}: a single .npy array; expected a .npz archive holding "
                            "x_train, y_train, x_test, y_test (np.savez)")
        if data[:1] == b"\x80":
            raise DataError(f"{name}: a Python pickle; refusing to load it (unpickling can run code). "
                            "Save plain arrays with np.savez instead")
        raise DataError(f"{name}: not a .npz file (a zip archive of .npy arrays)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            keys = [k for k in SPLITS if k in members]
            if "x_train" not in members or "y_train" not in members or len(keys) not in (2, 4):
                raise DataError(f"{name}: holds {sorted(members) or 'nothing'}; expected arrays "
                                "x_train, y_train and optionally x_test, y_test (as Keras mnist.npz)")
            if sum(members[k].file_size for k in keys) > MAX_BYTES:
                raise DataError(f"{name}: its arrays take more than {_mb(MAX_BYTES)}; refusing them")
            for k in keys:
                _check_npy_header(archive, members[k], f"{name}: {k}")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in keys}
    except DataError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError, KeyError) as e:
        # a damaged archive: bad CRC, unknown compression, encryption, a short member...
        raise DataError(f"{name}: damaged .npz file ({e})") from None
    x_train, y_train = _npz_images(arrays["x_train"], name, "x_train"), arrays["y_train"]
    x_train, y_train = _pair(x_train, _npz_labels(y_train, name, "y_train"),
                             f"{name}: x_train", f"{name}: y_train")
    if "x_test" in arrays:
        x_test, y_test = _pair(_npz_images(arrays["x_test"], name, "x_test"),
                               _npz_labels(arrays["y_test"], name, "y_test"),
                               f"{name}: x_test", f"{name}: y_test")
    else:
        x_test, y_test = np.zeros((0, ROWS, COLS), np.uint8), np.zeros(0, np.uint8)
    return Dataset(name, x_train, y_train, x_test, y_test, _class_names_for(name))


def _check_npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> None:
    """Refuse an array before reading it: objects (pickles), non-integers, a size that lies."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise DataError(f"{what}: .npy format version {version} is not supported")
    if dtype.hasobject:
        raise DataError(f"{what} holds Python objects (a pickle); refusing to load it "
                        "(unpickling can run code). Save plain uint8 arrays instead")
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
    return _checked_labels(y, 10, f"{name}: {key}")


# --- CSV -----------------------------------------------------------------------------------------

CSV_BLOCK = 2000  # rows parsed per np.loadtxt call; a bad block is re-read row by row for the message


def read_csv(path_or_bytes, name: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(images uint8 (n, 28, 28), labels uint8 (n,) or None) from a Kaggle-style CSV.

    Rows are ``label,pixel0,...,pixel783`` (785 values) or, as in a Kaggle test.csv, the 784 pixels
    alone (labels None). A header line is optional (a first line that does not start with a
    number); with one, the label column must come first and be called "label". Values are whole
    numbers 0..255, labels 0..9. A bad row is reported with its line number. The file may be
    gzipped. Speed: a second or two for a 60,000-row file (np.loadtxt in blocks).
    """
    data, name = _read_input(path_or_bytes, name)
    return _parse_csv(_maybe_gunzip(data, name), name)


def _parse_csv(raw: bytes, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{name}: not a text file (byte {e.start} is not UTF-8); expected a CSV") from None
    rows = [(number, line.rstrip("\r")) for number, line in enumerate(text.split("\n"), 1) if line.strip()]
    if not rows:
        raise DataError(f"{name}: empty; expected CSV rows of a label and {PIXELS} pixel values")
    first_number, first = rows[0]
    expected = (f"expected 'label,pixel0,...,pixel{PIXELS - 1}' ({PIXELS + 1} columns) "
                f"or 'pixel0,...,pixel{PIXELS - 1}' ({PIXELS}, no labels)")
    if not first.split(",", 1)[0].strip().isdigit():  # a header: data rows start with a number
        columns = [c.strip().strip('"').lower() for c in first.split(",")]
        labelled = columns[0] == "label"
        if len(columns) != PIXELS + labelled:
            raise DataError(f"{name}: line {first_number}: a header of {len(columns)} columns; {expected}")
        rows = rows[1:]
        if not rows:
            raise DataError(f"{name}: a header but no data rows")
    else:
        n_values = first.count(",") + 1
        if n_values not in (PIXELS, PIXELS + 1):
            raise DataError(f"{name}: line {first_number}: {n_values} values; "
                            f"expected {PIXELS + 1} (a label, then {PIXELS} pixels) or {PIXELS} (pixels only)")
        labelled = n_values == PIXELS + 1
    n_columns = PIXELS + labelled
    images = np.empty((len(rows), PIXELS), np.uint8)
    labels = np.empty(len(rows), np.uint8) if labelled else None
    for start in range(0, len(rows), CSV_BLOCK):
        block = rows[start:start + CSV_BLOCK]
        values = _parse_csv_block(block, n_columns, labelled, name)
        images[start:start + len(block)] = values[:, labelled:]
        if labelled:
            labels[start:start + len(block)] = values[:, 0]
    if labelled and len(labels) and labels.max() > 9:
        i = int(np.argmax(labels > 9))
        raise DataError(f"{name}: line {rows[i][0]}: label {labels[i]} is not a class 0..9")
    images = _read_only(images.reshape(len(rows), ROWS, COLS))
    return images, (_read_only(labels) if labelled else None)


def _parse_csv_block(block: list[tuple[int, str]], n_columns: int, labelled: bool, name: str) -> np.ndarray:
    """The values of some CSV rows as uint8 of shape (len(block), n_columns).

    np.loadtxt parses fast in C; only when it fails are the rows checked one by one in Python, to
    say which line and column is wrong.
    """
    try:
        values = np.loadtxt([line for _, line in block], delimiter=",", dtype=np.uint8,
                            comments=None, ndmin=2)
        if values.shape == (len(block), n_columns):
            return values
    except ValueError:
        pass
    what = f"a label, then {PIXELS} pixels" if labelled else f"{PIXELS} pixels, no label"
    for number, line in block:
        cells = line.split(",")
        if len(cells) != n_columns:
            raise DataError(f"{name}: line {number}: {len(cells)} values; expected {n_columns} ({what})")
        for column, cell in enumerate(cells, 1):
            value = cell.strip()
            if not (value.isascii() and value.isdigit()) or int(value) > 255:
                raise DataError(f"{name}: line {number}, column {column}: {value[:20]!r} "
                                "is not a whole number from 0 to 255")
    raise DataError(f"{name}: lines {block[0][0]} to {block[-1][0]} cannot be read as numbers 0..255")


# --- uploads -------------------------------------------------------------------------------------

def read_upload(data: bytes, filename: str) -> Dataset:
    """The Dataset in one uploaded file: a Keras .npz, or a labelled CSV (.csv, maybe .csv.gz).

    An IDX file alone holds images or labels, not both: upload the pair with ``read_uploads``.
    When the file has no test split, 1 in 7 of its rows (chosen by a fixed seed, so the same file
    always splits the same way) becomes the test set, as MNIST holds out 10,000 of 70,000.
    """
    return read_uploads([(data, filename)])


def read_uploads(files: Sequence[tuple[bytes, str]]) -> Dataset:
    """The Dataset in one or more uploaded files, given as (bytes, file name) pairs.

    Accepted: one .npz; one or two labelled CSVs; or IDX files, an images and a labels file for
    each split (train-images + train-labels, optionally t10k-images + t10k-labels). Files whose
    name contains "test" or "t10k" are the test split. Without a test split, 1 in 7 is held out
    (see ``read_upload``). A name containing "fashion" gets Fashion-MNIST's class names.
    """
    if not files:
        raise DataError("no file uploaded")
    parsed, budget = [], MAX_BYTES  # for all files together, so four files cannot take 4 x MAX_BYTES
    for data, filename in files:
        blob, name = _read_input(data, filename)
        raw = _maybe_gunzip(blob, name, limit=budget)
        budget -= len(raw)
        if budget < 0:
            raise DataError(f"{name}: the uploaded files together are larger than {_mb(MAX_BYTES)}")
        parsed.append(_sniff(raw, name))
    names = [name for _, name, _ in parsed]
    title = " + ".join(names)
    kinds = {"idx" if kind in ("images", "labels") else kind for kind, _, _ in parsed}
    if "npz" in kinds:
        if len(parsed) > 1:
            raise DataError(f"{title}: upload a .npz file on its own (it holds the whole data set)")
        ds = parsed[0][2]
        if len(ds.x_test) and len(ds.x_train):
            return ds
        return _hold_out(ds.name, ds.x_train, ds.y_train)
    if len(kinds) > 1:
        raise DataError(f"{title}: mixes CSV and IDX files; upload one kind")
    splits = _csv_splits(parsed) if kinds == {"csv"} else _idx_splits(parsed)
    if "test" not in splits:
        return _hold_out(title, *splits["train"])
    if not len(splits["train"][0]):
        raise DataError(f"{title}: the training split holds no images")
    return Dataset(title, *splits["train"], *splits["test"], _class_names_for(title))


def _sniff(raw: bytes, name: str):
    """(kind, name, content) of one uploaded (and decompressed) file, whatever its extension says.

    kind is "npz" (content: a Dataset), "images" / "labels" (IDX; an array) or "csv"
    (content: images, labels).
    """
    if raw.startswith(ZIP_MAGIC):
        return "npz", name, _parse_npz(raw, name)
    if raw[:2] == b"\0\0":
        array = _parse_idx(raw, name)
        return ("images" if array.ndim == 3 else "labels"), name, array
    if name.lower().removesuffix(".gz").endswith((".csv", ".txt")):
        return "csv", name, _parse_csv(raw, name)
    raise DataError(f"{name}: not a data set file mnistcore can read; expected a Keras .npz, "
                    "IDX files (raw or .gz) or a .csv with a label and 784 pixels per row")


def _is_test(name: str) -> bool:
    return any(word in name.lower() for word in ("test", "t10k"))


def _csv_splits(parsed) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    for _, name, (_, labels) in parsed:
        if labels is None:
            raise DataError(f"{name}: no label column, so nothing to learn from; expected rows "
                            f"'label,pixel0,...,pixel{PIXELS - 1}' (a Kaggle test.csv has no labels)")
    if len(parsed) == 1:
        return {"train": parsed[0][2]}
    tests = [p for p in parsed if _is_test(p[1])]
    if len(parsed) != 2 or len(tests) != 1:
        raise DataError(f"{' + '.join(p[1] for p in parsed)}: expected one CSV, or two of which "
                        "exactly one has 'test' in its name")
    train = next(p for p in parsed if p is not tests[0])
    return {"train": train[2], "test": tests[0][2]}


def _idx_splits(parsed) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Group IDX uploads into {split: (images, labels)}, checking each pair belongs together."""
    groups: dict[str, dict[str, tuple[str, np.ndarray]]] = {}
    for kind, name, array in parsed:
        group = groups.setdefault("test" if _is_test(name) else "train", {})
        if kind in group:
            raise DataError(f"{group[kind][0]} and {name}: two {kind} files for the same split "
                            "(names with 'test' or 't10k' are the test split)")
        group[kind] = (name, array)
    for split, group in groups.items():
        if len(group) < 2:
            kind, (name, _) = next(iter(group.items()))
            other = "labels" if kind == "images" else "images"
            raise DataError(f"{name}: an IDX {kind} file needs its {other} file too "
                            f"(e.g. train-{other}-idx{1 if other == 'labels' else 3}-ubyte.gz); "
                            "upload both at once")
    pairs = {split: _pair(g["images"][1], g["labels"][1], g["images"][0], g["labels"][0])
             for split, g in groups.items()}
    if "train" not in pairs:  # only a test pair: it is all there is, use it as the data
        pairs = {"train": pairs["test"]}
    return pairs


def _hold_out(name: str, x: np.ndarray, y: np.ndarray) -> Dataset:
    """A Dataset from one labelled set: a seeded 1 in 7 becomes the test split, order kept."""
    if not len(x):
        raise DataError(f"{name}: holds no images")
    order = np.random.default_rng(UPLOAD_SEED).permutation(len(x))
    test, train = np.sort(order[:len(x) // HOLD_OUT]), np.sort(order[len(x) // HOLD_OUT:])
    return Dataset(name, x[train], y[train], x[test], y[test], _class_names_for(name))


def _class_names_for(name: str) -> tuple[str, ...]:
    return FASHION_CLASSES if "fashion" in name.lower() else MNIST_CLASSES


# --- loading the known data sets -----------------------------------------------------------------

def load(name: str = "mnist", data_dir: str | os.PathLike | None = None, download: bool = False,
         progress: Callable[[int, int], None] | None = None) -> Dataset:
    """The data set `name` ("mnist" or "fashion"), its four files checked against known checksums.

    Looks in ``search_dirs(name, data_dir)``. If Fashion-MNIST is not found, ``download=True``
    fetches it into the cache folder (``mnistcore.download``), calling ``progress(bytes_done,
    bytes_total)`` as it goes; otherwise a DataError says where it looked and how to get it.
    The arrays are read-only; decoded arrays are cached on disk (see the module doc).
    """
    _check_name(name)
    folder, tried = _find(name, data_dir)
    if folder is None:
        if not download:
            raise DataError(_not_found(name, tried))
        from mnistcore.download import download_dataset  # imported only when needed
        folder = download_dataset(name, progress=progress)
    return _load_folder(name, folder)


def _not_found(name: str, tried: list[str]) -> str:
    how = ("install the Debian package (sudo apt install dataset-fashion-mnist), "
           f"put the four files in ${DATA_DIR_ENV}/{SUBFOLDERS[name]}, or download them "
           f"(about 30 MB) into {cache_dir()}: python -m mnistcore.download {name}, "
           f"or load('{name}', download=True)") if name == "fashion" else \
        "the copy shipped in mnistcore/datasets/mnist is missing: reinstall mnistcore"
    return f"{name}: {TITLES[name]} not found. Looked in: {'; '.join(tried)}. To get it: {how}"


def _load_folder(name: str, folder: Path) -> Dataset:
    """Hash the four files; serve the decoded arrays from the cache, else verify, decode, cache."""
    paths = _files_in(folder, name)
    blobs = [_read_input(path, str(path))[0] for path in paths]
    digests = [_sha256(blob) for blob in blobs]
    key = _sha256(f"{CACHE_FORMAT}:{name}:{','.join(digests)}".encode())
    cached = cache_dir() / "arrays" / f"{name}-{key}"
    ds = _read_cache(name, cached)
    if ds is not None:
        return ds
    specs = KNOWN_FILES[name]
    arrays = [_verified_idx(blob, digest, str(path), spec, name, "labels" if split[0] == "y" else "images")
              for blob, digest, path, spec, split in zip(blobs, digests, paths, specs, SPLITS)]
    del blobs
    for i in (0, 2):  # (train images, labels), (test images, labels)
        arrays[i:i + 2] = _pair(arrays[i], arrays[i + 1], str(paths[i]), str(paths[i + 1]))
    _write_cache(cached, arrays)
    return Dataset(name, *arrays, CLASS_NAMES[name])


def _verified_idx(blob: bytes, digest: str, path: str, spec: KnownFile, name: str, kind: str) -> np.ndarray:
    """Parse one of a known data set's files after checking it is the published one.

    A known .gz checksum (or that of the raw file) is enough; any other file must decompress to the
    known content, so a recompressed copy (Debian's) is accepted and a damaged one refused.
    """
    raw = None
    if digest not in (*spec.gz_sha256, spec.raw_sha256):
        try:
            raw = _maybe_gunzip(blob, path)
        except DataError:
            raw = b""
        if _sha256(raw) != spec.raw_sha256:
            raise DataError(f"{path}: checksum mismatch: this is not the {TITLES[name]} file "
                            f"{spec.name}: its sha256 is {digest}, expected {spec.gz_sha256[0]} "
                            f"(or {spec.raw_sha256} once decompressed). The file is damaged or "
                            "another file; replace it with the original")
    return _parse_idx(raw if raw is not None else _maybe_gunzip(blob, path), path, kind)


def _read_cache(name: str, folder: Path) -> Dataset | None:
    """The cached arrays as a Dataset, or None if absent or not valid."""
    try:
        arrays = [np.load(folder / f"{split}.npy", allow_pickle=False) for split in SPLITS]
        return Dataset(name, *arrays, CLASS_NAMES[name])  # validates shapes, dtypes, labels
    except (OSError, ValueError, EOFError):  # missing, truncated, wrong shapes: decode again
        return None


def _write_cache(folder: Path, arrays: list[np.ndarray]) -> bool:
    """Write the four arrays as .npy files into `folder`, atomically; False if that is impossible.

    They are written to a temporary folder beside it, then renamed in one step, so a reader sees
    all four complete files or none. No fsync: this is derived data, checked when read and rebuilt
    if damaged, and syncing 55 MB costs more than the decoding it saves. A read-only cache just
    means no cache.
    """
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    except OSError:
        return False
    try:
        for split, array in zip(SPLITS, arrays):
            with open(tmp / f"{split}.npy", "wb") as f:
                np.save(f, array, allow_pickle=False)
        shutil.rmtree(folder, ignore_errors=True)  # an invalid earlier cache (we read it and failed)
        os.replace(tmp, folder)
        return True
    except OSError:  # disk full, or another process renamed its copy first: fine either way
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
