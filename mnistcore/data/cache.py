"""Loading the published data sets: find the files, check their checksums, decode, cache.

Gunzipping MNIST costs about 0.2 s, too slow for a page that should feel instant, so ``load``
keeps the decoded arrays as ``.npy`` files in the cache folder, keyed by the checksums of the
source files, and reads them back with a plain ``np.load`` the next time (about 20 ms). The
source files are still hashed on every load (about 10 ms for MNIST), so a damaged or replaced
file is never served from the cache. (Not memory-mapped on purpose: a mapped file truncated by
someone else kills the process with SIGBUS, and page faults would land inside the first epoch's
timing.)
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import idx
from .dataset import Dataset, DataError
from .download import download_dataset
from .files import (CLASS_NAMES, DATA_DIR_ENV, KNOWN_FILES, SPLITS, SUBFOLDERS, TITLES, KnownFile,
                    cache_dir, check_name, files_in, find)
from .guards import maybe_gunzip, read_input, sha256
from .idx import pair

CACHE_FORMAT = "arrays-v1"  # part of the cache key: bump it when the cached layout changes


def load(name: str = "mnist", data_dir: str | os.PathLike | None = None, download: bool = False,
         progress: Callable[[int, int], None] | None = None) -> Dataset:
    """The data set `name` ("mnist" or "fashion"), its four files checked against known checksums.

    Looks in ``search_dirs(name, data_dir)``. If Fashion-MNIST is not found, ``download=True``
    fetches it into the cache folder (``data.download``), calling ``progress(bytes_done,
    bytes_total)`` as it goes; otherwise a DataError says where it looked and how to get it.
    The arrays are read-only; decoded arrays are cached on disk (see the module doc).
    """
    check_name(name)
    folder, tried = find(name, data_dir)
    if folder is None:
        if not download:
            raise DataError(_not_found(name, tried))
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
    paths = files_in(folder, name)
    blobs = [read_input(path, str(path))[0] for path in paths]
    digests = [sha256(blob) for blob in blobs]
    key = sha256(f"{CACHE_FORMAT}:{name}:{','.join(digests)}".encode())
    cached = cache_dir() / "arrays" / f"{name}-{key}"
    ds = _read_cache(name, cached)
    if ds is not None:
        return ds
    specs = KNOWN_FILES[name]
    arrays = [_verified_idx(blob, digest, str(path), spec, name, "labels" if split[0] == "y" else "images")
              for blob, digest, path, spec, split in zip(blobs, digests, paths, specs, SPLITS)]
    del blobs
    for i in (0, 2):  # (train images, labels), (test images, labels)
        arrays[i:i + 2] = pair(arrays[i], arrays[i + 1], str(paths[i]), str(paths[i + 1]))
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
            raw = maybe_gunzip(blob, path)
        except DataError:
            raw = b""
        if sha256(raw) != spec.raw_sha256:
            raise DataError(f"{path}: checksum mismatch: this is not the {TITLES[name]} file "
                            f"{spec.name}: its sha256 is {digest}, expected {spec.gz_sha256[0]} "
                            f"(or {spec.raw_sha256} once decompressed). The file is damaged or "
                            "another file; replace it with the original")
    return idx.parse_idx(raw if raw is not None else maybe_gunzip(blob, path), path, kind)


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
