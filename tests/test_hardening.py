"""Bad input on every page, under AppTest: each gets a clear message, never an exception, and
whatever was there before (data set, model, runs) is still there afterwards.

- Uploads: truncated or random bytes named .gz/.npz/.csv/.png, a .npz of object arrays or a
  pickle, a model of the wrong shape, a huge image, an empty file: on the Dataset page (data
  sets), the Train page (models) and the Draw page (pictures).
- Widgets at their extremes on every page that has them, and a learning rate that diverges.
- An empty canvas on the Draw page.
- URL query parameters missing, malformed or out of range on every page that reads them.
- Failed runs keep what was there; a session's state stays small, the data set is shared;
  old runs are capped; caches, downloads and model files are written atomically.

The engine's own readers are fuzzed in tests/test_data_fuzz.py and tests/test_fuzz_inputs.py;
here the same kinds of bytes go through the pages, where a stray exception would be a traceback.
"""
from __future__ import annotations

import dataclasses
import functools
import gzip
import io
import json
import math
import os
import pickle
import struct
import threading
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from mnistcore import checkpoint, data
from mnistcore.checkpoint import ModelFileError, load_model, model_bytes, save_model
from mnistcore.config import PRESETS
from mnistcore.download import DownloadError, download_file
from mnistcore.model import init_mlp
from ui import lab as ui_lab
from ui import limits as lim
from ui import state
from ui import training as tr

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 120
QUICK = {"preset": "seed", "train_size": "500", "epochs": "1", "hidden": "16"}  # a run of about a second


# --- helpers ---------------------------------------------------------------------------------------

def open_app(path: str, query: dict[str, str] | None = None, session: dict | None = None) -> AppTest:
    """The app opened on `path` by a visitor following a link with `query` (as tests/test_app.py)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(path)
    at.query_params.clear()
    at.query_params.update(query or {})
    for key, value in (session or {}).items():
        at.session_state[key] = value
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def said(at: AppTest, *kinds: str) -> str:
    """The text of the page's messages of these kinds (error, warning, info, success)."""
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    return found[0] if found else None


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    return found[0] if found else None


def widget(name: str) -> str:
    """Widget key of the Train page's setting `name`."""
    return state.WIDGET_PREFIX + tr.key(name)


def noise(n: int, seed: int) -> bytes:
    return np.random.default_rng(seed).bytes(n)


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def png(image: Image.Image, format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height and holds no pixels (a decompression bomb's shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IEND", b""))


def digit_png(shape: str = "7", size: int = 280) -> bytes:
    """A dark digit on white paper, as a scan or photo would be."""
    img = Image.new("L", (size, size), 255)
    d = ImageDraw.Draw(img)
    if shape == "7":
        d.line([(80, 60), (200, 60), (120, 230)], fill=0, width=20, joint="curve")
    else:
        d.line([(140, 40), (140, 240)], fill=0, width=20)
    return png(img)


def idx(images: np.ndarray) -> bytes:
    return np.array([0x803, len(images), 28, 28], ">u4").tobytes() + images.astype(np.uint8).tobytes()


RNG = np.random.default_rng(0)
X = RNG.integers(0, 256, size=(21, 28, 28), dtype=np.uint8)
Y = (np.arange(21) % 10).astype(np.uint8)
GOOD_NPZ = npz(x_train=X, y_train=Y, x_test=X[:4], y_test=Y[:4])
MODEL = init_mlp((784, 16, 10), rng=np.random.default_rng(1))
MODEL_FILE = model_bytes(MODEL, PRESETS["seed"].replace(hidden=(16,)))


def meta(**changes) -> np.ndarray:
    base = {"format": "mnistcore-mlp", "version": 1, "sizes": [784, 10], "activation": "relu", "loss": "ce"}
    return np.array(json.dumps({**base, **changes}))


@functools.cache
def zip_bomb_model() -> bytes:
    """A few hundred kB on the wire, 300 MB once read: W0 far larger than its meta's sizes say.

    Streamed into the archive, so making it allocates nothing large either.
    """
    shape = (784 * 10_000, 10)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("meta.npy", npy_bytes(meta()))
        z.writestr("b0.npy", npy_bytes(np.zeros(10, np.float32)))
        with z.open("W0.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": shape})
            size, zeros = math.prod(shape) * 4, bytes(2**22)
            for start in range(0, size, len(zeros)):
                f.write(zeros[:size - start])
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


# --- the Dataset page's upload -------------------------------------------------------------------

BAD_DATA_FILES = {
    "truncated .gz": ("train-images-idx3-ubyte.gz", gzip.compress(idx(X), mtime=0)[:3000]),
    "random .gz": ("data.gz", noise(5000, 1)),
    "random .gz with gzip magic": ("data.gz", b"\x1f\x8b" + noise(5000, 2)),
    "random .npz": ("data.npz", noise(5000, 3)),
    "random .npz with zip magic": ("data.npz", b"PK\x03\x04" + noise(5000, 4)),
    "random .csv": ("data.csv", noise(5000, 5)),
    "random .png": ("digit.png", noise(5000, 6)),
    "truncated .npz": ("mnist.npz", GOOD_NPZ[:len(GOOD_NPZ) // 2]),
    "object arrays in .npz": ("objects.npz", npz(x_train=np.array([{"a": 1}] * 3, dtype=object), y_train=Y[:3])),
    "a pickle named .npz": ("mnist.npz", pickle.dumps({"x_train": X, "y_train": Y})),
    "a model file": ("model.npz", MODEL_FILE),
    "a picture": ("digit.png", digit_png()),
    "images of the wrong size": ("big.npz", npz(x_train=np.zeros((5, 32, 32), np.uint8), y_train=Y[:5])),
    "labels out of range": ("labels.npz", npz(x_train=X[:5], y_train=np.array([0, 1, 2, 3, 99]))),
    "empty .csv": ("empty.csv", b""),
    "empty .npz": ("empty.npz", b""),
    "empty .gz": ("empty.gz", b""),
    "empty, no extension": ("train-images-idx3-ubyte", b""),
    "CSV with a ragged row": ("train.csv", b"5," + b"0," * 783 + b"0\n3,1,2\n"),
}


def upload(at: AppTest, name: str, blob: bytes) -> AppTest:
    at.get("file_uploader")[0].set_value((name, blob, "application/octet-stream"))
    return at.run()


@pytest.fixture(scope="module")
def dataset_page_with_upload() -> AppTest:
    at = upload(open_app("pages/dataset.py"), "mine.npz", GOOD_NPZ)
    no_exception(at)
    assert at.session_state[state.DATASET] == state.UPLOADED
    return at


@pytest.mark.parametrize("case", BAD_DATA_FILES)
def test_a_bad_data_set_file_is_refused_and_the_previous_upload_stays(dataset_page_with_upload, case):
    at = dataset_page_with_upload
    before = at.session_state[state.UPLOAD]
    name, blob = BAD_DATA_FILES[case]
    upload(at, name, blob)
    no_exception(at)
    error = said(at, "error")
    assert f"That file was not used: {name}" in error, error
    assert at.session_state[state.UPLOAD] is before                     # the good upload is kept ...
    assert at.session_state[state.DATASET] == state.UPLOADED            # ... and still in use
    counts = at.dataframe[0].value
    np.testing.assert_array_equal(counts["train"], np.bincount(Y, minlength=10))
    np.testing.assert_array_equal(counts["test"], np.bincount(Y[:4], minlength=10))


def test_a_bad_first_upload_keeps_mnist_and_the_page_works_on():
    at = upload(open_app("pages/dataset.py"), "data.npz", noise(3000, 7))
    no_exception(at)
    assert "data.npz" in said(at, "error")
    assert at.session_state[state.DATASET] == "mnist" and state.UPLOAD not in at.session_state
    grid = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][1]["customdata"]
    at.number_input[0].set_value(11).run()                              # the page is still usable
    no_exception(at)
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["data"][1]["customdata"] != grid


# --- the Train page's model upload -----------------------------------------------------------------

BAD_MODELS = {
    "10 inputs, not 784": ("small.npz", model_bytes(init_mlp((10, 4, 10)))),
    "5 classes, not 10": ("five.npz", model_bytes(init_mlp((784, 8, 5)))),
    "weights unlike the sizes": ("shapes.npz", npz(meta=meta(sizes=[784, 16, 10]), W0=np.zeros((784, 10), np.float32),
                                                   b0=np.zeros(10, np.float32), W1=np.zeros((16, 10), np.float32),
                                                   b1=np.zeros(10, np.float32))),
    "NaN weights": ("nan.npz", npz(meta=meta(), W0=np.full((784, 10), np.nan, np.float32), b0=np.zeros(10, np.float32))),
    "object arrays": ("objects.npz", npz(meta=meta(), W0=np.array([print], dtype=object), b0=np.zeros(10))),
    "a pickle": ("pickle.npz", pickle.dumps({"W0": np.zeros((784, 10))})),
    "truncated": ("cut.npz", MODEL_FILE[:len(MODEL_FILE) // 3]),
    "random bytes": ("random.npz", noise(4000, 8)),
    "empty": ("empty.npz", b""),
    "a data set, not a model": ("mnist.npz", GOOD_NPZ),
    "a picture named .npz": ("digit.npz", digit_png()),
}


@pytest.fixture(scope="module")
def trained_page() -> AppTest:
    """The Train page after one quick run: a model and a run that must survive what follows."""
    at = open_app("pages/train.py", QUICK)
    button(at, "Train").click()
    at.run()
    no_exception(at)
    assert [r.status for r in at.session_state[state.TR_RUNS]] == ["done"]
    return at


@pytest.mark.parametrize("case", [*BAD_MODELS, "a zip bomb"])
def test_a_bad_model_file_is_refused_and_the_model_and_runs_stay(trained_page, case):
    at = trained_page
    held, runs = at.session_state[state.TRAINED_MODEL], list(at.session_state[state.TR_RUNS])
    name, blob = BAD_MODELS[case] if case in BAD_MODELS else ("bomb.npz", zip_bomb_model())
    at.file_uploader(key=state.TR_UPLOADER).set_value((name, blob, "application/octet-stream"))
    at.run()
    no_exception(at)
    error = said(at, "error")
    assert f"That file was not used: {name}" in error, error
    assert at.session_state[state.TRAINED_MODEL] is held
    assert at.session_state[state.TR_RUNS] == runs
    assert not button(at, "Train").disabled


def test_a_zip_bomb_model_is_refused_before_it_is_inflated():
    """The header says how big each array is: a file whose arrays are larger than its layers (or the
    engine's limit) is refused without allocating them (this one took 300 MB before the fix)."""
    import tracemalloc
    blob = zip_bomb_model()
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="bomb.npz"):
            load_model(blob, name="bomb.npz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"reading the file allocated {peak / 2**20:.0f} MB"


def test_a_model_wider_than_the_limits_loads_but_cannot_be_continued():
    """A file is the visitor's own; it is scored and shown, but Train cannot go past the limits."""
    at = open_app("pages/train.py", QUICK)
    wide = init_mlp((784, lim.Limits().max_width * 2, 10), rng=np.random.default_rng(0))
    at.file_uploader(key=state.TR_UPLOADER).set_value(("wide.npz", model_bytes(wide), "application/octet-stream"))
    at.run()
    no_exception(at)
    assert at.session_state[state.TRAINED_MODEL][0].sizes == wide.sizes
    assert metric(at, "Test accuracy") is not None
    assert at.session_state[tr.key("hidden")] == (lim.Limits().max_width,)   # the settings stay within limits
    assert at.toggle(key=state.WIDGET_PREFIX + state.TR_CONTINUE).disabled    # "its layers differ"
    button(at, "Train").click()
    at.run()
    no_exception(at)
    [run] = at.session_state[state.TR_RUNS]
    assert run.start == "fresh weights" and run.config.hidden == (lim.Limits().max_width,)


# --- the Draw page -------------------------------------------------------------------------------

BAD_PICTURES = {
    "header of 50000 x 50000": ("bomb.png", png_header_only(50_000, 50_000), "too large"),
    "5000 x 5000": ("huge.png", png(Image.new("L", (5000, 5000), 255)), "limit is 4096"),
    "4097 x 8": ("wide.png", png(Image.new("L", (4097, 8), 255)), "limit is 4096"),
    "empty": ("empty.png", b"", "empty"),
    "random .png": ("random.png", noise(3000, 9), "not a readable image"),
    "random .jpg": ("random.jpg", b"\xff\xd8\xff" + noise(3000, 10), "image"),
    "truncated": ("cut.png", digit_png()[:400], "damaged or truncated"),
    "a data set named .png": ("mnist.png", GOOD_NPZ, "not a readable image"),
}


@pytest.fixture
def draw_upload() -> AppTest:
    at = open_app("pages/draw.py")
    at.radio(key="draw_source").set_value("Upload a picture").run()
    return at


def put_picture(at: AppTest, name: str, blob: bytes) -> AppTest:
    at.file_uploader(key="draw_upload").set_value((name, blob, "image/png"))
    return at.run()


@pytest.mark.parametrize("case", BAD_PICTURES)
def test_a_bad_picture_is_refused_and_a_good_one_is_read_after_it(draw_upload, case):
    name, blob, words = BAD_PICTURES[case]
    at = put_picture(draw_upload, name, blob)
    no_exception(at)
    error = said(at, "error")
    assert name in error and words in error, error
    assert metric(at, "Prediction") is None
    put_picture(at, "seven.png", digit_png("7"))                        # still usable
    no_exception(at)
    assert metric(at, "Prediction").value == "7"


def test_a_blank_picture_asks_for_a_digit(draw_upload):
    at = put_picture(draw_upload, "white.png", png(Image.new("L", (300, 200), 255)))
    no_exception(at)
    assert not at.error and metric(at, "Prediction") is None
    assert "Draw a digit" in said(at, "info")


def canvas(at: AppTest, rgba: np.ndarray) -> AppTest:
    """What the canvas sends: a PNG data URL (see tests/test_page_draw.py)."""
    import base64
    url = "data:image/png;base64," + base64.b64encode(png(Image.fromarray(rgba))).decode()
    at.session_state["draw_canvas"] = {"drawing": {"raw": {"objects": []}, "data": url}}
    return at.run()


@pytest.mark.parametrize("fill", [(0, 0, 0, 255), (0, 0, 0, 0), (255, 255, 255, 255)],
                         ids=["black", "transparent", "all white"])
def test_an_empty_canvas_asks_for_a_digit(fill):
    at = canvas(open_app("pages/draw.py"), np.full((280, 280, 4), fill, np.uint8))
    no_exception(at)
    assert not at.error and metric(at, "Prediction") is None
    assert "Draw a digit" in said(at, "info")


# --- link parameters: missing, malformed, out of range -------------------------------------------

LONG = "9" * 5000   # more digits than int() reads (4300): a ValueError of its own kind

TRAIN_LINKS = {
    "lr": ["nan", "inf", "-1", "0", "1e309", "fast", "", "101"],
    "epochs": ["0", "1.5", "-3", "100000", LONG],
    "hidden": [",,x", "0", "1,2,3,4", "64,-1", "99999", "²", LONG],
    "batch_size": ["-1", "abc", "1e3"],
    "seed": ["-1", str(2**32), "0x10"],
    "train_size": ["60001", "-5", "all"],
    "momentum": ["1", "-0.1", "nan"],
    "dropout": ["1", "0.95", "none"],
    "l2": ["11", "-1", "inf"],
    "val_split": ["0.6", "-0.1", "half"],
    "early_stopping": ["21", "-1", "yes"],
    "activation": ["swish", "", "RELU"], "init": ["zeros"], "loss": ["hinge"], "optimizer": ["rmsprop"],
    "schedule": ["exp"], "dtype": ["float16"], "nesterov": ["maybe"], "augment": ["2"], "preset": ["nope", ""],
}


@pytest.mark.parametrize("name, value", [(n, v) for n, values in TRAIN_LINKS.items() for v in values],
                         ids=lambda v: v[:12] if isinstance(v, str) else v)
def test_a_bad_train_link_parameter_falls_back_to_the_default_with_a_note(name, value):
    at = open_app("pages/train.py", {name: value})
    no_exception(at)
    notes = said(at, "warning")
    assert f"`{name}={value[:20]}" in notes, notes[:300]
    if name != "preset":
        assert at.session_state[tr.key(name)] == getattr(PRESETS[tr.DEFAULT_PRESET], name)
    assert not button(at, "Train").disabled                         # the page is usable as it is


@pytest.mark.parametrize("query, words", [
    ({"split": "", "class": "all", "seed": "0", "index": "0"}, ["`split=`"]),
    ({"split": "test", "class": "10", "seed": "0", "index": "0"}, ["class 10 does not exist"]),
    ({"split": "test", "class": "-1", "seed": "0", "index": "0"}, ["`class=-1`"]),
    ({"split": "train", "class": "all", "seed": LONG, "index": "0"}, ["`seed=999"]),
    ({"split": "train", "class": "all", "seed": str(2**32), "index": "0"}, [f"`seed={2**32}`"]),
    ({"split": "test", "class": "all", "seed": "0", "index": "10000"}, ["image 10000 is beyond the 10,000"]),
    ({"split": "test", "class": "all", "seed": "0", "index": "1e3"}, ["`index=1e3`"]),
    ({"index": "5"}, ["`split` is missing", "`class` is missing", "`seed` is missing"]),
], ids=["empty split", "class 10", "class -1", "5000-digit seed", "seed 2^32", "index past the end",
        "index 1e3", "partial link"])
def test_a_bad_dataset_link_falls_back_with_a_note(query, words):
    at = open_app("pages/dataset.py", query)
    no_exception(at)
    notes = said(at, "warning")
    for word in words:
        assert word in notes, notes[:300]
    assert at.get("plotly_chart")                                   # the grid and close-up are drawn


@pytest.mark.parametrize("query, note", [
    ({"inside": "Overfitting", "patience": LONG}, "`patience=999"),
    ({"inside": "Overfitting", "patience": "0"}, "`patience=0`"),
    ({"inside": "Overfitting", "val_split": "nan"}, "`val_split=nan`"),
    ({"inside": "Capacity!"}, "`inside=Capacity!`"),
], ids=["5000-digit patience", "patience 0", "val_split nan", "unknown tab"])
def test_a_bad_inside_link_falls_back_with_a_note(query, note, monkeypatch):
    monkeypatch.setattr("ui.inside.gradient_flow", lambda *a: pytest.fail("not the tab of the link"))
    at = open_app("pages/inside.py", query) if query.get("inside") == "Overfitting" else None
    if at is None:  # an unknown tab opens the first, Gradient flow, which trains: only check the note
        monkeypatch.undo()
        at = open_app("pages/inside.py", query)
    no_exception(at)
    assert note in said(at, "warning")


def test_a_bad_lab_link_falls_back_to_the_first_tab_with_a_note():
    at = open_app("pages/lab.py", {"lab": "Nope"})
    no_exception(at)
    assert at.session_state["lab"] == "Control the run"
    assert "`lab=Nope`" in said(at, "warning")


@pytest.mark.parametrize("value", ["", "CIFAR", "upload", "mnist ", LONG])
def test_a_bad_dataset_choice_in_any_link_falls_back_to_mnist(value):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["dataset"] = value
    at.run()                          # the visitor's first run reads the choice, whatever the page
    no_exception(at)
    assert f"`dataset={value[:20]}" in said(at, "warning")
    at.switch_page("pages/train.py").run()
    no_exception(at)
    assert at.session_state[state.DATASET] == "mnist" == at.query_params["dataset"]
