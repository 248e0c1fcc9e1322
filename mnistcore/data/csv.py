"""Kaggle-style CSV data sets: rows of ``label,pixel0,...,pixel783`` (or the 784 pixels alone).

Read as a stream: the bytes are walked line by line (no list of all lines, no copy of the text),
each line's length and number of values checked before it is kept, and rows parsed in blocks of
``CSV_BLOCK`` into uint8. So memory is bounded by the pixels accepted (785 bytes a row) plus one
block, whatever the file holds: a gzipped file of a hundred million short or blank lines is
refused after its first few, not after gigabytes of Python strings.
"""
from __future__ import annotations

import math

import numpy as np

from .dataset import COLS, PIXELS, ROWS, DataError, read_only
from .guards import maybe_gunzip, read_input

CSV_BLOCK = 2000        # rows parsed per np.loadtxt call; a bad block is re-read row by row for the message
MAX_LINE = 16 * 2**10   # bytes in one line: 785 values 0..255 take at most 3,140; a header ~7 KB
MAX_BLANK_LINES = 10_000  # blank lines allowed beyond one per data row (a double-spaced file)


def read_csv(path_or_bytes, name: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(images uint8 (n, 28, 28), labels uint8 (n,) or None) from a Kaggle-style CSV.

    Rows are ``label,pixel0,...,pixel783`` (785 values) or, as in a Kaggle test.csv, the 784 pixels
    alone (labels None). A header line is optional (a first line that does not start with a
    number); with one, the label column must come first and be called "label". Values are whole
    numbers 0..255, labels 0..9. A bad row is reported with its line number and what is wrong
    with it (a decimal, a quoted number, a word). The file may be gzipped. Speed: a second or
    two for a 60,000-row file (np.loadtxt in blocks).
    """
    data, name = read_input(path_or_bytes, name)
    return parse_csv(maybe_gunzip(data, name), name)


def cell_problem(cell: str) -> str | None:
    """Why one CSV value is not a whole number 0..255, in words; None if it is one."""
    value = cell.strip()
    if value.isascii() and value.isdigit():
        return None if int(value) <= 255 else "larger than 255"
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        if cell_problem(value[1:-1]) is None:
            return "a number in quotes"
    try:
        number = float(value)
    except ValueError:
        return "empty" if not value else "a word, not a number"
    if not math.isfinite(number):
        return "not a finite number"
    if number < 0:
        return "a negative number"
    return "a decimal number (if your pixels are in [0, 1], multiply by 255 and round)"


def parse_csv(raw: bytes, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    lines = _lines(raw, name)
    first = next(lines, None)
    if first is None:
        raise DataError(f"{name}: empty; expected CSV rows of a label and {PIXELS} pixel values")
    labelled, header = _layout(*first, name)
    n_columns = PIXELS + labelled
    what = f"a label, then {PIXELS} pixels" if labelled else f"{PIXELS} pixels, no label"
    images, labels = [], []   # per block: the pixels copied out, so each parsed block is freed
    block = [] if header else [first]
    for number, line in lines:
        if line.count(",") != n_columns - 1:   # cheap, before the line is kept or split
            raise DataError(f"{name}: line {number}: {line.count(',') + 1} values; "
                            f"expected {n_columns} ({what})")
        block.append((number, line))
        if len(block) == CSV_BLOCK:
            _add_block(block, n_columns, labelled, name, images, labels)
            block = []
    if block:
        _add_block(block, n_columns, labelled, name, images, labels)
    if not images:
        raise DataError(f"{name}: a header but no data rows")
    x = images[0] if len(images) == 1 else np.concatenate(images)
    del images
    x = read_only(x.reshape(len(x), ROWS, COLS))
    return x, (read_only(np.concatenate(labels)) if labelled else None)


def _add_block(block, n_columns: int, labelled: bool, name: str, images: list, labels: list) -> None:
    values = _parse_csv_block(block, n_columns, labelled, name)
    images.append(np.ascontiguousarray(values[:, labelled:]))
    if labelled:
        labels.append(values[:, 0].copy())


def _lines(raw: bytes, name: str):
    """(line number, text) of each non-blank line of `raw`, one at a time, checked as it comes.

    Line numbers count blank lines too (they are what an editor shows). A line over MAX_LINE
    bytes, bytes that are not UTF-8, and more blank lines than rows plus MAX_BLANK_LINES are
    refused as soon as they are met.
    """
    pos = 3 if raw.startswith(b"\xef\xbb\xbf") else 0   # a UTF-8 byte-order mark
    number = blank = kept = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        number += 1
        if end - pos > MAX_LINE:
            raise DataError(f"{name}: line {number} is {end - pos:,} bytes long; a row of "
                            f"{PIXELS + 1} values 0..255 takes at most {4 * (PIXELS + 1) - 1:,}")
        chunk, start, pos = raw[pos:end], pos, end + 1
        if not chunk.strip():
            blank += 1
            if blank > kept + MAX_BLANK_LINES:
                raise DataError(f"{name}: {blank:,} blank lines and only {kept} rows by line {number}; "
                                "not a CSV data set")
            continue
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataError(f"{name}: not a text file (byte {start + e.start} is not UTF-8); "
                            "expected a CSV") from None
        kept += 1
        yield number, text.rstrip("\r")


def _layout(number: int, line: str, name: str) -> tuple[bool, bool]:
    """(labelled, is a header) from the first line: how many columns, and whether it is data.

    A first cell that is a whole number starts a data row. Otherwise the line is a header only if
    its cells are names: a decimal or quoted number, or a word label followed by numbers, is said
    to be what it is rather than taken for a header.
    """
    cells = line.split(",")   # at most MAX_LINE bytes, so at most ~8,000 cells
    expected = (f"expected 'label,pixel0,...,pixel{PIXELS - 1}' ({PIXELS + 1} columns) "
                f"or 'pixel0,...,pixel{PIXELS - 1}' ({PIXELS}, no labels)")
    first = cells[0].strip()
    if first.isascii() and first.isdigit():
        if len(cells) not in (PIXELS, PIXELS + 1):
            raise DataError(f"{name}: line {number}: {len(cells)} values; "
                            f"expected {PIXELS + 1} (a label, then {PIXELS} pixels) or {PIXELS} (pixels only)")
        return len(cells) == PIXELS + 1, False
    problem = cell_problem(first)
    numbers_after = sum(cell_problem(c) is None for c in cells[1:])
    if problem != "a word, not a number" and problem != "empty":
        raise DataError(f"{name}: line {number}, column 1: {first[:20]!r} is {problem}; "
                        f"expected whole numbers: a label 0..9, then {PIXELS} pixels 0..255")
    if len(cells) > 1 and numbers_after >= (len(cells) - 1) / 2:
        raise DataError(f"{name}: line {number}: the label {first[:20]!r} is a word, followed by "
                        f"{numbers_after} numbers; expected the class as a number 0..9 in the first "
                        "column (write each class name as its index)")
    columns = [c.strip().strip('"').lower() for c in cells]
    labelled = columns[0] == "label"
    if len(columns) != PIXELS + labelled:
        raise DataError(f"{name}: line {number}: a header of {len(columns)} columns; {expected}")
    return labelled, True


def _parse_csv_block(block: list[tuple[int, str]], n_columns: int, labelled: bool, name: str) -> np.ndarray:
    """The values of some CSV rows as uint8 of shape (len(block), n_columns), labels checked.

    np.loadtxt parses fast in C; only when it fails are the rows checked one by one in Python, to
    say which line and column is wrong, and why.
    """
    values = None
    try:
        values = np.loadtxt([line for _, line in block], delimiter=",", dtype=np.uint8,
                            comments=None, ndmin=2)
    except ValueError:
        pass
    if values is None or values.shape != (len(block), n_columns):
        for number, line in block:
            for column, cell in enumerate(line.split(","), 1):
                if (problem := cell_problem(cell)) is not None:
                    raise DataError(f"{name}: line {number}, column {column}: {cell.strip()[:20]!r} "
                                    f"is not a whole number from 0 to 255 ({problem})")
        raise DataError(f"{name}: lines {block[0][0]} to {block[-1][0]} cannot be read as numbers 0..255")
    if labelled and len(values) and values[:, 0].max() > 9:
        i = int(np.argmax(values[:, 0] > 9))
        raise DataError(f"{name}: line {block[i][0]}: label {values[i, 0]} is not a class 0..9")
    return values
