"""Fuzzing the readers: whatever bytes come in, the answer is data or a DataError, nothing else.

Random bytes, and valid files (IDX raw and gzipped, .npz plain and compressed, CSV) with random
damage: bytes flipped, inserted, deleted, or the file cut short. A reader that let an IndexError,
zlib.error, MemoryError ... escape would show a traceback in the page or the CLI.
"""
from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mnistcore import data
from mnistcore.data import DataError, Dataset

from test_data import csv_text, idx_bytes, npz_bytes, small_arrays

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_x, _y = small_arrays(3)
VALID = {
    "images.idx": idx_bytes(_x),
    "labels.idx": idx_bytes(_y),
    "images.idx.gz": gzip.compress(idx_bytes(_x), mtime=0),
    "labels.idx.gz": gzip.compress(idx_bytes(_y), mtime=0),
    "mnist.npz": npz_bytes(x_train=_x, y_train=_y, x_test=_x[:1], y_test=_y[:1]),
    "mnist-compressed.npz": npz_bytes(True, x_train=_x, y_train=_y),
    "train.csv": csv_text(_x, _y).encode(),
    "test.csv": csv_text(_x, None, header=False).encode(),
    "train.csv.gz": gzip.compress(csv_text(_x, _y).encode(), mtime=0),
}


@st.composite
def damaged(draw, blob: bytes) -> bytes:
    """`blob` with one to four random edits."""
    b = bytearray(blob)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut"]))
        at = draw(st.integers(0, max(len(b) - 1, 0)))
        if kind == "flip" and b:
            b[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and b:
            b[at] = draw(st.sampled_from([0, 1, 9, 10, 28, 44, 255]))  # 44 is a comma
        elif kind == "insert":
            b[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del b[at:at + draw(st.integers(1, 16))]
        elif kind == "cut":
            del b[at:]
    return bytes(b)


def damaged_file():
    return st.sampled_from(sorted(VALID)).flatmap(lambda name: st.tuples(st.just(name), damaged(VALID[name])))


def check_images(images: np.ndarray) -> None:
    assert images.dtype == np.uint8 and images.ndim == 3 and images.shape[1:] == (28, 28)


def read_everyhow(blob: bytes, name: str) -> None:
    """Every reader on the same bytes: each returns well-formed data or raises DataError."""
    for read in (lambda: data.read_idx(blob, name=name), lambda: data.read_npz(blob, name=name),
                 lambda: data.read_csv(blob, name=name), lambda: data.read_upload(blob, name)):
        try:
            result = read()
        except DataError as e:
            assert str(e), "an error without a message"
            continue
        if isinstance(result, Dataset):
            check_images(result.x_train)
            check_images(result.x_test)
            assert len(result.x_train) == len(result.y_train) and result.y_train.max(initial=0) <= 9
        elif isinstance(result, tuple):
            images, labels = result
            check_images(images)
            assert labels is None or (labels.shape == (len(images),) and labels.max(initial=0) <= 9)
        else:
            assert result.dtype == np.uint8 and (result.ndim == 1 or result.shape[1:] == (28, 28))


@FUZZ
@given(blob=st.binary(max_size=2000), name=st.sampled_from(["f.gz", "f.npz", "f.csv", "f.idx", "f"]))
def test_random_bytes(blob, name):
    read_everyhow(blob, name)


@FUZZ
@given(header=st.sampled_from([b"\x1f\x8b", b"PK\x03\x04", b"\x00\x00\x08\x03", b"\x00\x00\x08\x01",
                               b"\x93NUMPY", b"label,"]),
       rest=st.binary(max_size=300))
def test_random_bytes_behind_real_magic_numbers(header, rest):
    read_everyhow(header + rest, "f.csv")


@FUZZ
@given(file=damaged_file())
def test_damaged_valid_files(file):
    name, blob = file
    read_everyhow(blob, name)


@FUZZ
@given(files=st.lists(damaged_file(), min_size=1, max_size=4))
def test_damaged_uploads_of_several_files(files):
    try:
        ds = data.read_uploads([(blob, name) for name, blob in files])
    except DataError:
        return
    check_images(ds.x_train)


def test_the_undamaged_files_are_read():
    """The fuzzing starts from files that really are valid."""
    for name, blob in VALID.items():
        if "npz" in name:
            assert len(data.read_npz(blob).x_train) == 3
        elif "csv" in name:
            assert data.read_csv(blob)[0].shape == (3, 28, 28)
        else:
            assert len(data.read_idx(blob)) == 3


@pytest.mark.parametrize("name", ["images.idx", "mnist.npz", "train.csv"])
def test_every_truncation_is_an_error_or_data(name):
    """Not random: the file cut at every length (a download or upload that stopped anywhere)."""
    blob = VALID[name]
    step = max(1, len(blob) // 400)
    for end in range(0, len(blob), step):
        read_everyhow(blob[:end], name)
