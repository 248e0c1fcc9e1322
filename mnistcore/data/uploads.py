"""Data sets a visitor uploads: one .npz, one or two CSVs, or IDX image/label pairs, sniffed by content.

All files of one upload share one byte budget (``guards.MAX_BYTES``), counted after decompression.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import guards
from .csv import parse_csv
from .dataset import PIXELS, Dataset, DataError, class_names_for
from .guards import ZIP_MAGIC, maybe_gunzip, mb, read_input
from .idx import pair, parse_idx
from .npz import parse_npz

HOLD_OUT = 7                # uploads without a test set: 1 in 7 rows is held out (MNIST's 10k of 70k)
UPLOAD_SEED = 0             # ...chosen by this seed, so the same file always splits the same way


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
    parsed, budget = [], guards.MAX_BYTES  # for all files together, so four files cannot take 4 x MAX_BYTES
    for data, filename in files:
        blob, name = read_input(data, filename)
        raw = maybe_gunzip(blob, name, limit=budget)
        budget -= len(raw)
        if budget < 0:
            raise DataError(f"{name}: the uploaded files together are larger than {mb(guards.MAX_BYTES)}")
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
    return Dataset(title, *splits["train"], *splits["test"], class_names_for(title))


def _sniff(raw: bytes, name: str):
    """(kind, name, content) of one uploaded (and decompressed) file, whatever its extension says.

    kind is "npz" (content: a Dataset), "images" / "labels" (IDX; an array) or "csv"
    (content: images, labels).
    """
    if raw.startswith(ZIP_MAGIC):
        return "npz", name, parse_npz(raw, name)
    if raw[:2] == b"\0\0":
        array = parse_idx(raw, name)
        return ("images" if array.ndim == 3 else "labels"), name, array
    if name.lower().removesuffix(".gz").endswith((".csv", ".txt")):
        return "csv", name, parse_csv(raw, name)
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
    pairs = {split: pair(g["images"][1], g["labels"][1], g["images"][0], g["labels"][0])
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
    return Dataset(name, x[train], y[train], x[test], y[test], class_names_for(name))
