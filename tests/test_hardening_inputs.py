"""Issue 19, by class of input: each class gets its own adversarial corpus, written here.

- **Memory before validation**: CSV text of many short, blank or endless lines; .npz data sets and
  model files listing thousands of members; pictures and canvas PNGs whose header claims a huge
  size. Each is refused with a DataError / ModelFileError / ValueError, and the Python memory
  used meanwhile (tracemalloc peak, which counts NumPy's buffers and every Python object) stays
  within a small margin of the bytes given, instead of growing with the number of lines or
  members. Accepted CSVs take memory in proportion to the pixels they hold.
- **Pictures Streamlit cannot show**: every Pillow mode and odd shape ``load_image`` accepts goes
  through ``display_image`` to uint8 (h, w) or (h, w, 3) of at most 280 px a side, and
  ``st.image`` shows each one in a headless app run.
- **Metadata of the wrong type**: model files whose meta has any JSON value in any field load
  with meta that the pages can use, or are refused with one ModelFileError.
- **Honest messages**: a CSV whose first cell is not a whole number is told what it holds
  (decimals, quoted numbers, word labels, negative numbers), not "a header of 785 columns".
"""
from __future__ import annotations

import gzip
import io
import json
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from PIL import Image

from mnistcore import data
from mnistcore.checkpoint import ModelFileError, load_model, meta_problem, model_bytes
from mnistcore.config import PRESETS
from mnistcore.data import DataError
from mnistcore.data.guards import MAX_ZIP_MEMBERS
from mnistcore.model import init_mlp
from mnistcore.preprocess import DISPLAY_SIDE, canvas_image, display_image, load_image

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MB = 2**20


def peak_bytes(fn, *args) -> tuple[int, BaseException | None]:
    """(tracemalloc peak in bytes while fn(*args) ran, the exception it raised or None)."""
    tracemalloc.start()
    try:
        fn(*args)
        error = None
    except Exception as e:   # noqa: BLE001 - returned so that the test can say what it was
        error = e
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, error


def csv_row(label: int | None = 3, value: str = "0") -> str:
    return ",".join(([str(label)] if label is not None else []) + [value] * 784)


def many_members_zip(n: int, name: str = "m{}.npy") -> bytes:
    """A valid zip of `n` empty members, written directly (zipfile takes seconds for 100,000)."""
    local, central, offset = [], [], 0
    for i in range(n):
        fname = name.format(i).encode()
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(fname), 0) + fname
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0,
                                   len(fname), 0, 0, 0, 0, 0, offset) + fname)
        local.append(header)
        offset += len(header)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                      len(directory), offset, 0)
    return b"".join(local) + directory + end


def png_header(width: int, height: int, mode: int = 6) -> bytes:
    """A PNG whose header (IHDR) claims width x height; its pixel data is a few bytes of nothing."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">2I5B", width, height, 8, mode, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# --- memory before validation --------------------------------------------------------------------

@pytest.mark.parametrize("case, raw, message", [
    ("blank lines", (csv_row() + "\n").encode() + b"\n" * (20 * MB), r"blank lines and only 1 rows"),
    ("short lines", (csv_row() + "\n").encode() + b"1\n" * (10 * MB), r"line 2: 1 values; expected 785"),
    ("one endless line", b"1," * (10 * MB), r"line 1 is 20,971,520 bytes long"),
    ("endless header", b"label" + b",x" * (10 * MB), r"line 1 is 20,971,525 bytes long"),
    ("commas only", b"," * (20 * MB), r"line 1 is"),
    ("spaces", b" " * (20 * MB), r"line 1 is"),
])
def test_csv_bombs_are_refused_as_they_stream(case, raw, message):
    blob = gzip.compress(raw, compresslevel=1)
    assert len(blob) < len(raw) // 100    # small on the wire, big once inflated
    peak, error = peak_bytes(data.read_upload, blob, "train.csv.gz")
    assert isinstance(error, DataError) and pytest.importorskip("re").search(message, str(error)), (case, error)
    # the inflated bytes (one growing bytearray) and a little more, not the lines as Python
    # objects: 20 million blank lines would be over 1 GB of them
    assert peak < 1.5 * len(raw) + 4 * MB, (case, peak / MB)


def test_an_accepted_csv_takes_memory_in_proportion_to_its_pixels(monkeypatch):
    monkeypatch.setattr(data.csv, "CSV_BLOCK", 500)
    x, y = np.random.default_rng(0).integers(0, 256, (3000, 784), np.uint8), np.arange(3000) % 10
    text = "\n".join(",".join(map(str, (label, *row))) for label, row in zip(y, x)).encode()
    peak, error = peak_bytes(data.read_csv, text, "ok.csv")
    assert error is None
    images, labels = data.read_csv(text, "ok.csv")
    assert np.array_equal(images.reshape(3000, 784), x) and np.array_equal(labels, y)
    pixels = x.nbytes
    # the text given, the pixels accepted about twice (blocks, then joined), one block's lines
    assert peak < len(text) + 3 * pixels + 4 * MB, peak / MB


@pytest.mark.parametrize("reader", ["data set", "model"])
def test_a_zip_of_thousands_of_members_is_refused_before_it_is_listed(reader):
    blob = many_members_zip(50_000)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:   # the corpus is a zip zipfile reads
        assert len(z.infolist()) == 50_000
    if reader == "data set":
        peak, error = peak_bytes(data.read_npz, blob, "many.npz")
        assert isinstance(error, DataError)
    else:
        peak, error = peak_bytes(load_model, blob, "many.npz")
        assert isinstance(error, ModelFileError)
    assert "50,000 members" in str(error) and f"at most {MAX_ZIP_MEMBERS}" in str(error)
    assert peak < 2 * MB, peak / MB   # ZipFile would build 50,000 ZipInfo objects (~25 MB)


def test_a_zip_at_the_member_limit_is_still_read():
    x, y = np.zeros((7, 28, 28), np.uint8), np.arange(7) % 10
    buffer = io.BytesIO()
    np.savez(buffer, x_train=x, y_train=y, **{f"extra{i}": np.zeros(1) for i in range(MAX_ZIP_MEMBERS - 2)})
    ds = data.read_npz(buffer.getvalue(), "full.npz")
    assert len(ds.x_train) + len(ds.x_test) == 7


@pytest.mark.parametrize("width, height", [(60_000, 60_000), (2**31 - 1, 1), (5000, 10), (4096, 4097)])
@pytest.mark.parametrize("reader", [load_image, canvas_image])
def test_a_picture_is_measured_before_it_is_decoded(reader, width, height):
    blob = png_header(width, height)
    assert struct.unpack(">2I", blob[16:24]) == (width, height)   # what the header claims
    peak, error = peak_bytes(reader, blob)
    assert isinstance(error, ValueError) and f"{width}x{height}" in str(error) or "too large" in str(error)
    assert peak < MB   # refused from the header: nothing decoded (60000^2 RGBA would be 14 GB)


def test_a_blank_canvas_and_no_canvas_value():
    assert canvas_image(None) is None
    black = io.BytesIO()
    Image.new("RGBA", (280, 280), (0, 0, 0, 255)).save(black, "PNG")
    image = canvas_image(black.getvalue())
    assert image.shape == (280, 280, 4) and image.dtype == np.uint8 and not image[..., :3].any()


# --- pictures Streamlit cannot show --------------------------------------------------------------

def _picture(mode: str, size: tuple[int, int], fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(sum(size))
    base = Image.fromarray(rng.integers(0, 256, size[::-1], np.uint8), "L")
    if mode in ("I;16", "F"):
        img = Image.fromarray(rng.integers(0, 65535, size[::-1]).astype({"I;16": np.uint16, "F": np.float32}[mode]))
    else:
        img = base.convert(mode.removesuffix("+transparency"))
    buffer = io.BytesIO()
    img.save(buffer, fmt, **({"transparency": 0} if mode == "P+transparency" else {}))
    return buffer.getvalue()


PICTURES = {
    **{f"{mode} png": _picture(mode, (40, 30)) for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16")},
    "P with transparency": _picture("P+transparency", (33, 21)),
    "CMYK jpeg": _picture("CMYK", (50, 50), "JPEG"),
    "gif": _picture("P", (17, 90), "GIF"),
    "bmp": _picture("RGB", (64, 8), "BMP"),
    "webp rgba": _picture("RGBA", (30, 30), "WEBP"),
    "one pixel": _picture("L", (1, 1)),
    "a thin line": _picture("RGB", (4096, 1)),
    "a tall strip": _picture("LA", (3, 4000)),
    "a big photo": _picture("RGB", (3000, 2000), "JPEG"),
}


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_what_is_shown_of_any_accepted_picture_is_small_8_bit(name):
    image = load_image(PICTURES[name])
    shown = display_image(image)
    assert shown.dtype == np.uint8 and shown.flags.c_contiguous
    assert shown.ndim == 2 or (shown.ndim == 3 and shown.shape[2] == 3), shown.shape
    assert max(shown.shape[:2]) <= DISPLAY_SIDE and min(shown.shape[:2]) >= 1
    h, w = image.shape[:2]
    if max(h, w) <= DISPLAY_SIDE:   # small pictures are shown at their own size
        assert shown.shape[:2] == (h, w)


@given(st.integers(1, 600), st.integers(1, 600), st.sampled_from(["L", "RGB", "RGBA", "F"]))
@settings(max_examples=60, deadline=None)
def test_display_image_on_any_shape_and_mode(h, w, mode):
    rng = np.random.default_rng(h * w)
    shape = {"L": (h, w), "RGB": (h, w, 3), "RGBA": (h, w, 4), "F": (h, w)}[mode]
    image = rng.random(shape, np.float32) if mode == "F" else rng.integers(0, 256, shape, np.uint8)
    shown = display_image(image)
    assert shown.dtype == np.uint8 and shown.ndim in (2, 3) and max(shown.shape[:2]) <= DISPLAY_SIDE
    assert (shown.ndim == 3) == (mode in ("RGB", "RGBA"))


def test_display_image_refuses_what_is_not_a_picture():
    for bad in (np.zeros((5, 5, 2), np.uint8), np.zeros((0, 5), np.uint8), np.zeros((5, 5), np.int64),
                np.zeros(5, np.uint8), np.zeros((5000, 5000), np.uint8)):
        with pytest.raises(ValueError):
            display_image(bad)


def test_st_image_shows_every_picture_in_the_corpus(tmp_path):
    """One headless app run: st.image on each display_image result, no exception at all."""
    from streamlit.testing.v1 import AppTest
    for i, blob in enumerate(PICTURES.values()):
        (tmp_path / f"{i}.bin").write_bytes(blob)
    script = f"""
import pathlib
import streamlit as st
from mnistcore.preprocess import display_image, load_image
for path in sorted(pathlib.Path({str(tmp_path)!r}).glob("*.bin")):
    st.image(display_image(load_image(path.read_bytes())), width=280, caption=path.name)
"""
    at = AppTest.from_string(script, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("image")) == len(PICTURES)


# --- metadata of the wrong type ------------------------------------------------------------------

MODEL = init_mlp((784, 3, 10), "tanh", "xavier", rng=np.random.default_rng(0))
CONFIG = PRESETS["seed"].replace(hidden=(3,), activation="tanh", init="xavier")
GOOD_META = json.loads(json.dumps({"format": "mnistcore-mlp", "version": 1, "sizes": [784, 3, 10],
                                   "activation": "tanh", "loss": "ce", "config": CONFIG.to_dict(),
                                   "dataset": "mnist", "class_names": list("0123456789"),
                                   "test_accuracy": 0.5, "source": "run #1", "epochs_trained": 1.0}))
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                    | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=12) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                    max_leaves=30)


def with_meta(meta: dict) -> bytes:
    """MODEL's weights under `meta` (any JSON), as a model file."""
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), W0=MODEL.W[0], b0=MODEL.b[0], W1=MODEL.W[1], b1=MODEL.b[1])
    return buffer.getvalue()


def check_loaded_or_refused(blob: bytes) -> None:
    try:
        model, meta = load_model(blob, "m.npz")
    except ModelFileError as e:
        assert str(e).startswith("m.npz: ") and "\n" not in str(e)
        return
    assert model.sizes == (784, 3, 10) and meta_problem(meta) is None
    names = meta.get("class_names")
    assert names is None or (len(names) == 10 and all(isinstance(c, str) for c in names))
    assert meta.get("config") is None or isinstance(meta["config"], dict)


@given(field=st.sampled_from(sorted(GOOD_META) + ["hidden", "lr", "batch_size"]), value=JSON)
@example(field="activation", value=["relu"])       # unhashable: was a TypeError traceback
@example(field="loss", value={"ce": 1})
@example(field="class_names", value=list(range(10)))
@example(field="class_names", value=["a"] * 3)
@example(field="sizes", value=[784, True, 10])
@example(field="version", value=True)
@example(field="test_accuracy", value=float("inf"))
@example(field="config", value="seed")
@FUZZ
def test_any_value_in_any_meta_field_loads_or_is_one_clear_error(field, value):
    meta = json.loads(json.dumps(GOOD_META))
    if field in ("hidden", "lr", "batch_size"):   # a field of the training config
        meta["config"][field] = value
    else:
        meta[field] = value
    try:
        blob = with_meta(meta)
    except ValueError:   # json cannot write inf: not a file anyone can make
        return
    check_loaded_or_refused(blob)


@pytest.mark.parametrize("change, message", [
    ({"activation": ["relu"]}, r"unknown activation \['relu'\]; expected one of"),
    ({"loss": None}, r"unknown loss None"),
    ({"sizes": [784, 3.0, 10]}, r"'sizes' must be a list of 2 to"),
    ({"sizes": [784] + [3] * 80 + [10]}, r"'sizes' must be a list of 2 to 64"),
    ({"class_names": list(range(10))}, r"'class_names' must be a list of 10 names"),
    ({"class_names": ["a", "b"]}, r"'class_names' must be a list of 10 names"),
    ({"dataset": ["mnist"]}, r"'dataset' must be a text"),
    ({"test_accuracy": 3}, r"'test_accuracy' must be a number from 0 to 1"),
    ({"test_accuracy": "0.9"}, r"'test_accuracy' must be a number"),
    ({"config": {"hidden": [3], "lr": -1}}, r"'config' is not a valid training config"),
    ({"config": "seed"}, r"'config' is not a valid training config"),
    ({"config": PRESETS["seed"].to_dict()}, r"'config' does not describe this model: its sizes, activation differ"),
    ({"version": True}, r"format version True"),
])
def test_wrong_meta_is_named(change, message):
    with pytest.raises(ModelFileError, match=r"^m\.npz: " + message):
        load_model(with_meta({**GOOD_META, **change}), "m.npz")


def test_the_projects_own_files_still_load():
    for blob in (model_bytes(MODEL), model_bytes(MODEL, CONFIG), with_meta(GOOD_META),
                 model_bytes(MODEL, CONFIG, {"dataset": "fashion", "class_names": list(data.FASHION_CLASSES),
                                             "test_accuracy": None, "anything": {"else": [1]}})):
        model, meta = load_model(blob, "m.npz")
        assert model.sizes == (784, 3, 10) and meta_problem(meta) is None


# --- honest messages -----------------------------------------------------------------------------

@pytest.mark.parametrize("first_line, says", [
    (csv_row(value="0.5"), None),   # a label then decimals: column 2 is named below
    (",".join(["0.5"] * 785), r"line 1, column 1: '0\.5' is a decimal number"),
    (",".join(['"3"'] + ['"0"'] * 784), r"line 1, column 1: '\"3\"' is a number in quotes"),
    (",".join(["'3'"] + ["0"] * 784), r"column 1: \"'3'\" is a number in quotes"),
    (",".join(["seven"] + ["0"] * 784), r"line 1: the label 'seven' is a word, followed by 784 numbers"),
    (",".join(["T-shirt"] + ["12"] * 784), r"the label 'T-shirt' is a word"),
    (",".join(["-1"] + ["0"] * 784), r"'-1' is a negative number"),
    (",".join(["1e3"] + ["0"] * 784), r"'1e3' is a decimal number"),
    (",".join(["nan"] + ["0"] * 784), r"'nan' is not a finite number"),
    (",".join([f"pixel{i}" for i in range(785)]), r"a header of 785 columns"),   # a real header
])
def test_a_csv_is_told_what_its_first_cell_is(first_line, says):
    text = (first_line + "\n" + csv_row() + "\n").encode()
    with pytest.raises(DataError) as e:
        data.read_csv(text, "d.csv")
    message = str(e.value)
    if says is None:
        assert "line 1, column 2: '0.5' is not a whole number from 0 to 255 (a decimal number" in message
    else:
        assert pytest.importorskip("re").search(r"^d\.csv: .*" + says, message), message
    if "pixel" not in first_line:
        assert "header" not in message


@pytest.mark.parametrize("cell, reason", [("1.5", "a decimal number"), ('"7"', "a number in quotes"),
                                          ("-3", "a negative number"), ("abc", "a word"), ("", "empty"),
                                          ("300", "larger than 255"), ("inf", "not a finite number")])
def test_a_bad_cell_further_down_says_what_it_is(cell, reason):
    rows = [csv_row(), csv_row(), ",".join(["4"] + ["0"] * 500 + [cell] + ["0"] * 283)]
    with pytest.raises(DataError, match=rf"line 3, column 502: .* is not a whole number from 0 to 255 \({reason}"):
        data.read_csv("\n".join(rows).encode(), "d.csv")


@given(st.lists(st.sampled_from(["0", "255", "3", "1.5", '"2"', "x", "", " ", "-1", "label", "pixel0"]),
                min_size=1, max_size=6),
       st.integers(1, 3), st.sampled_from(["\n", "\r\n", "\n\n"]), st.booleans())
@FUZZ
def test_any_csv_made_of_odd_cells_is_data_or_one_data_error(cells, rows, newline, gz):
    line = ",".join((cells * (785 // len(cells) + 1))[:785])
    blob = (newline.join([line] * rows) + newline).encode()
    try:
        images, labels = data.read_csv(gzip.compress(blob) if gz else blob, "f.csv")
    except DataError as e:
        assert str(e).startswith("f.csv: ") and "Traceback" not in str(e)
    else:
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
        assert labels is None or (labels.max(initial=0) <= 9 and len(labels) == len(images))


# --- files that are not files --------------------------------------------------------------------

def test_a_fifo_is_refused_not_waited_on(tmp_path):
    """Opening a FIFO that no one writes to would block forever; each reader refuses it at once."""
    import os
    from mnistcore.predict import read_image_file
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match=r"not a regular file"):
        load_model(fifo)
    with pytest.raises(DataError, match=r"not a regular file"):
        data.read_npz(fifo)
    with pytest.raises(ValueError, match=r"not a regular file"):
        read_image_file(fifo)
    with pytest.raises(ModelFileError, match=r"not a regular file"):
        load_model(tmp_path)
