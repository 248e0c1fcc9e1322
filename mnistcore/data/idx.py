"""IDX files (LeCun's MNIST format), raw or gzipped: a header of magic, type and dimensions, then bytes.

Every field of the header is checked against the data that follows it, so a truncated, padded or
mislabelled file is refused with a message naming the file, never misread.
"""
from __future__ import annotations

import math
import struct

import numpy as np

from .dataset import COLS, ROWS, DataError, checked_labels
from .guards import maybe_gunzip, read_input

IDX_TYPES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int",
             0x0D: "float", 0x0E: "double"}


def read_idx(path_or_bytes, name: str | None = None, kind: str | None = None) -> np.ndarray:
    """The array in an IDX file (raw or gzipped), read-only.

    Returns images, uint8 of shape (n, 28, 28) (magic 0x00000803), or labels, uint8 of shape (n,)
    (magic 0x00000801). `kind` ("images" or "labels") requires one of them. The header is checked
    against the data: magic, element type, dimensions and a length that matches the declared count
    exactly, so a truncated or padded file is refused rather than silently misread.
    """
    data, name = read_input(path_or_bytes, name)
    return parse_idx(maybe_gunzip(data, name), name, kind)


def parse_idx(raw: bytes, name: str, kind: str | None = None) -> np.ndarray:
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
    array = np.frombuffer(raw, np.uint8, count=declared, offset=header).reshape(dims)
    array.flags.writeable = False   # also when `raw` is a (gunzipped) bytearray
    return array


def pair(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str,
          n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Check that an images file and a labels file belong together; messages name both files."""
    if len(images) != len(labels):
        raise DataError(f"{labels_name}: {len(labels)} labels, but {images_name} holds {len(images)} "
                        "images; the two files must have one label per image")
    return images, checked_labels(labels, n_classes, labels_name)
