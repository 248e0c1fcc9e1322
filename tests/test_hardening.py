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

from appserver import open_app
from mnistcore import data
from mnistcore.checkpoint import ModelFileError, load_model, model_bytes, save_model
from mnistcore.config import PRESETS
from mnistcore.download import DownloadError, download_file
from mnistcore.model import init_mlp
from ui import inside as inside_keys
from ui import lab as ui_lab
from ui import limits as lim
from ui import state
from ui import training as tr

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 120
QUICK = {"preset": "seed", "train_size": "500", "epochs": "1", "hidden": "16"}  # a run of about a second


# --- helpers ---------------------------------------------------------------------------------------

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
    assert at.session_state[state.TRAINED_MODEL].model.sizes == wide.sizes
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
    "hidden": [",,x", "0", "1,2,3,4,5,6", "64,-1", "99999", "²", LONG],   # 6 layers: over the limit of 5
    "batch_size": ["-1", "abc", "1e3"],
    "seed": ["-1", str(2**32), "0x10"],
    "train_size": ["60001", "-5", "all"],
    "momentum": ["1", "-0.1", "nan"],
    "dropout": ["1", "0.95", "none"],
    "l2": ["11", "-1", "inf"],
    "val_split": ["0.6", "-0.1", "half"],
    "early_stopping": ["21", "-1", "yes"],
    "activation": ["swish", "", "RELU"], "init": ["ones"], "loss": ["hinge"], "optimizer": ["rmsprop"],
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
    ({"index": "5"}, ["take their defaults", "`split` train", "`class` all", "`seed` 0"]),
], ids=["empty split", "class 10", "class -1", "5000-digit seed", "seed 2^32", "index past the end",
        "index 1e3", "partial link"])
def test_a_bad_dataset_link_falls_back_with_a_note(query, words):
    at = open_app("pages/dataset.py", query)
    no_exception(at)
    notes = said(at, "warning", "info")                            # info: what a partial link left out
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


# --- widgets at their extremes -------------------------------------------------------------------

def set_train_widgets(at: AppTest, values: dict[str, object]) -> AppTest:
    """Move the Train page's widgets, one rerun each, as a visitor would (widget key -> value)."""
    for key, value in values.items():
        for kind in ("slider", "select_slider", "number_input", "radio", "selectbox", "checkbox"):
            found = [w for w in getattr(at, kind) if w.key == key]
            if found:
                found[0].set_value(value).run()
                no_exception(at)
                break
        else:
            raise AssertionError(f"no widget {key}")
    return at


EVERYTHING_AT_THE_TOP = {
    widget("depth"): 3, **{tr._w(f"width{i}"): 1024 for i in range(3)},
    widget("train_size"): 500, tr._w("batch"): 2048, widget("optimizer"): "momentum",
    widget("momentum"): 0.99, widget("nesterov"): True, widget("lr"): 5.0, widget("dropout"): 0.9,
    widget("l2"): 0.1, widget("val_split"): 0.5, widget("early_stopping"): 20, widget("augment"): True,
    widget("dtype"): "float64", widget("schedule"): "cosine", widget("seed"): 2**32 - 1,
}
EVERYTHING_AT_THE_BOTTOM = {
    widget("depth"): 0, widget("train_size"): 500, tr._w("mode"): "per-sample", widget("lr"): 1e-5,
    widget("optimizer"): "adam", widget("loss"): "mse", widget("seed"): 0, widget("epochs"): 1,
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # lr 5 with momentum 0.99 may overflow
@pytest.mark.parametrize("values", [EVERYTHING_AT_THE_TOP, EVERYTHING_AT_THE_BOTTOM], ids=["top", "bottom"])
def test_train_with_every_widget_at_an_end_of_its_range(values):
    at = set_train_widgets(open_app("pages/train.py", QUICK), values)
    assert not at.error, said(at, "error")
    button(at, "Train").click()
    at.run()
    no_exception(at)
    [run] = at.session_state[state.TR_RUNS]
    assert run.config.train_size == 500 and run.status in ("done", "diverged", "early_stopped")
    if run.status == "diverged":
        assert "learning rate" in said(at, "error")
    else:
        assert metric(at, "Test accuracy") is not None


def test_the_longest_widest_run_is_allowed_but_per_sample_on_everything_is_not():
    at = set_train_widgets(open_app("pages/train.py", QUICK), {
        widget("depth"): 3, **{tr._w(f"width{i}"): 1024 for i in range(3)}, widget("epochs"): 300})
    assert not at.error and not button(at, "Train").disabled                # up to the limits: fine
    at = set_train_widgets(at, {widget("train_size"): 0, tr._w("mode"): "per-sample"})
    assert button(at, "Train").disabled
    assert "per-sample SGD on 60,000 images" in said(at, "error")           # says why, and what to do
    at = set_train_widgets(at, {tr._w("mode"): "mini-batch"})
    assert button(at, "Train").disabled                                     # 300 epochs on everything:
    assert "billion multiply-adds" in said(at, "error")                     # over the work of one run
    at = set_train_widgets(at, {widget("epochs"): 10})
    assert not button(at, "Train").disabled and not at.error


def test_dataset_widgets_at_their_ends():
    at = open_app("pages/dataset.py")
    at.number_input(key=state.WIDGET_PREFIX + state.DS_SEED).set_value(2**32 - 1).run()
    no_exception(at)
    button(at, "Shuffle").click().run()                                     # wraps round to 0
    no_exception(at)
    assert at.session_state[state.DS_SEED] == 0
    for split, last in (("test", 9_999), ("train", 59_999)):
        at.radio(key=state.WIDGET_PREFIX + state.DS_SPLIT).set_value(split).run()
        at.selectbox(key=state.WIDGET_PREFIX + state.DS_CLASS).set_value(9).run()
        at.number_input(key=state.WIDGET_PREFIX + state.DS_INDEX).set_value(last).run()
        no_exception(at)
        assert at.header[0].value.startswith(f"Image #{last}:") and not at.warning


def test_gradient_descent_widgets_at_their_ends():
    from mnistcore import descent
    at = open_app("pages/gradient_descent.py")
    top = descent.learning_rates()[-1]
    for name, fn in descent.FUNCTIONS_1D.items():
        at.selectbox(key="w_gd_fn1").set_value(name).run()
        for start in fn.domain:
            at.select_slider(key="w_gd_lr").set_value(top).run()
            at.slider(key="w_gd_start").set_value(start).run()
            at.slider(key="w_gd_steps1").set_value(100).run()
            no_exception(at)
    assert "diverge" in said(at, "warning").lower()                         # said, not crashed
    for name, fn in descent.FUNCTIONS_2D.items():
        at.selectbox(key="w_gd_fn2").set_value(name).run()
        (xlo, xhi), (ylo, yhi) = fn.domain
        at.slider(key=f"gd_sx_{name}").set_value(xhi).run()
        at.slider(key=f"gd_sy_{name}").set_value(ylo).run()
        at.slider(key=f"gd_steps_{name}").set_value(500).run()
        for opt in descent.OPTIMIZERS_2D:
            at.select_slider(key=f"gd_lr2_{name}_{opt}").set_value(top).run()
        no_exception(at)


def by_label(at: AppTest, label: str):
    """The one widget labelled `label` (keys are the page's own business; labels are what a visitor sees)."""
    kinds = ("slider", "select_slider", "number_input", "selectbox", "radio")
    [found] = [w for kind in kinds for w in getattr(at, kind) if w.label == label]
    return found


def open_lab_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state[ui_lab.TAB] = tab  # the tabs' key (bound to the link's lab= parameter)
    return at.run()


def test_lab_widgets_at_their_ends():
    at = open_app("pages/lab.py", {"lab": "Control the run"})
    for label, value in {"Hidden units": 256, "Optimizer": "momentum", "Learning rate η": 1.0, "Batch size B": 512,
                         "Training images": 1000, "Epochs": 20, "Seed": 2**31 - 1}.items():
        by_label(at, label).set_value(value).run()
    button(at, "New run").click().run()
    button(at, "One more batch").click().run()
    no_exception(at)
    trainer = at.session_state[ui_lab.LAB_TRAINER]
    assert trainer.config.epochs == 20 and trainer.config.hidden == (256,) and trainer.step == 1
    open_lab_tab(at, "Neuron lab")
    at.selectbox(key="lab_unit_layer").set_value(0).run()
    unit = at.number_input(key="lab_unit")
    unit.set_value(unit.max).run()
    by_label(at, "Scale its output").set_value(3.0).run()
    no_exception(at)
    assert metric(at, "Test accuracy") is not None
    open_lab_tab(at, "Confidence")
    for temperature, threshold in ((0.1, 1.0), (10.0, 0.0)):
        by_label(at, "Softmax temperature T").set_value(temperature).run()
        by_label(at, "Confidence threshold τ").set_value(threshold).run()
        no_exception(at)
        assert metric(at, "Coverage") is not None


def test_inside_sliders_at_their_ends():
    at = open_app("pages/inside.py", {"inside": "Overfitting"})
    at.slider(key=inside_keys.PATIENCE).set_value(inside_keys.PATIENCES[0]).run()
    at.select_slider(key=inside_keys.VAL_SPLIT).set_value(max(inside_keys.VAL_SPLITS)).run()
    no_exception(at)
    assert not at.error and metric(at, "Best epoch") is not None


# --- a failed run or upload loses nothing ----------------------------------------------------------

@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on the way to NaN: the point
def test_a_diverging_run_keeps_the_previous_model_and_says_what_to_try(trained_page):
    at = trained_page
    held, runs = at.session_state[state.TRAINED_MODEL], list(at.session_state[state.TR_RUNS])
    set_train_widgets(at, {widget("loss"): "mse", widget("lr"): 5.0, tr._w("width0"): 1024})
    at.session_state[tr.key("lr")] = 90.0      # past the slider, as a link may set it: diverges for sure
    at.run()
    button(at, "Train").click()
    at.run()
    no_exception(at)
    *before, last = at.session_state[state.TR_RUNS]
    assert before == runs and last.status == "diverged"
    error = said(at, "error")
    assert "diverged" in error and "Set the learning rate to 9 " in error
    assert at.session_state[state.TRAINED_MODEL] is held                  # the good model stays current
    assert metric(at, "Test accuracy") is not None                        # ... and its results shown
    at.session_state[tr.key("lr")] = 0.1                                  # the advice works: train on
    at.run()
    button(at, "Train").click()
    at.run()
    assert at.session_state[state.TR_RUNS][-1].status == "done"


def test_a_run_the_engine_refuses_to_start_keeps_everything(trained_page, monkeypatch):
    at = trained_page
    held, runs = at.session_state[state.TRAINED_MODEL], list(at.session_state[state.TR_RUNS])

    def refuse(*args, **kwargs):
        raise ValueError("train_size 500 is larger than the 3 training images")
    monkeypatch.setattr("ui.live_run.Trainer", refuse)  # what the engine says of settings it cannot use
    button(at, "Train").click()
    at.run()
    no_exception(at)
    assert "Training could not start: train_size 500" in said(at, "error")
    assert at.session_state[state.TRAINED_MODEL] is held and at.session_state[state.TR_RUNS] == runs
    assert at.session_state[state.TR_ACTIVE] is None and not button(at, "Train").disabled


def test_a_bad_data_set_upload_leaves_the_train_pages_model_and_runs(trained_page):
    at = trained_page
    held, runs = at.session_state[state.TRAINED_MODEL], list(at.session_state[state.TR_RUNS])
    at.switch_page("pages/dataset.py").run()
    upload(at, "broken.npz", b"PK\x03\x04" + noise(2000, 11))
    assert "broken.npz" in said(at, "error")
    at.switch_page("pages/train.py").run()
    no_exception(at)
    assert at.session_state[state.TRAINED_MODEL] is held and at.session_state[state.TR_RUNS] == runs
    assert at.session_state[state.DATASET] == "mnist"


# --- many visitors: one data set per process, small sessions, capped runs ----------------------------

def own_arrays(value, shared: set[int], seen: set[int] | None = None) -> int:
    """Bytes of NumPy memory reachable from `value` that it owns (not views of the `shared` buffers)."""
    seen = set() if seen is None else seen
    if id(value) in seen or isinstance(value, (str, bytes, int, float, bool, type(None))):
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        base = value
        while isinstance(base.base, np.ndarray):
            base = base.base
        if id(base) in shared or id(base) in seen and base is not value:
            return 0
        seen.add(id(base))
        return base.nbytes if base.base is None else 0
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif dataclasses.is_dataclass(value) or hasattr(value, "__dict__"):
        items = list(vars(value).values())
    else:
        return 0
    return sum(own_arrays(item, shared, seen) for item in items)


def dataset_buffers(ds: data.Dataset) -> set[int]:
    found = set()
    for a in (ds.x_train, ds.y_train, ds.x_test, ds.y_test):
        while isinstance(a.base, np.ndarray):
            a = a.base
        found.add(id(a))
    return found


def test_two_visitors_share_one_data_set_and_keep_small_sessions():
    from ui.data import load_builtin
    mnist = load_builtin("mnist")                                        # the process-wide copy
    sessions = []
    for seed in ("1", "2"):
        at = open_app("pages/train.py", {**QUICK, "seed": seed, "hidden": "1024"})
        button(at, "Train").click()
        at.run()
        no_exception(at)
        at = open_lab_tab(at.switch_page("pages/lab.py"), "Control the run")
        button(at, "New run").click().run()
        no_exception(at)
        sessions.append(at)
    assert load_builtin("mnist") is mnist and not mnist.x_train.flags.writeable
    a, b = (s.session_state for s in sessions)
    for trainer in (a[ui_lab.LAB_TRAINER], b[ui_lab.LAB_TRAINER]):
        assert np.shares_memory(trainer.trainer.x, mnist.x_train)       # the images are not copied
    assert a[state.TRAINED_MODEL].model is not b[state.TRAINED_MODEL].model   # each visitor has their own model
    assert not np.array_equal(a[state.TRAINED_MODEL].model.W[0], b[state.TRAINED_MODEL].model.W[0])
    shared = dataset_buffers(mnist)
    for at in sessions:
        size = own_arrays(at.session_state.to_dict(), shared)
        # The model 784-1024-10 (3.2 MB float32), the Lab run's 784-64-10 model, its optimizer
        # state and batch buffers, the results: about 10 MB. A copy of the training images would
        # add 47 MB (or 188 MB as float32 inputs).
        assert size < 16 * 2**20, f"a session holds {size / 2**20:.1f} MB of its own arrays"


def test_a_full_batch_run_leaves_no_copy_of_its_batch_in_the_session():
    """The tiny_full_batch preset trains on all 60,000 images at once: its model must not keep that
    batch (188 MB of float32 inputs) and its activations once the run is over."""
    from ui.data import load_builtin
    at = open_app("pages/train.py", {"preset": "tiny_full_batch", "train_size": "5000", "epochs": "1"})
    button(at, "Train").click()
    at.run()
    no_exception(at)
    assert at.session_state[state.TR_RUNS][-1].config.batch_size == 0
    size = own_arrays(at.session_state.to_dict(), dataset_buffers(load_builtin("mnist")))
    batch = 5000 * 784 * 4                                             # the inputs of one step
    assert size < batch / 4, f"the session holds {size / 2**20:.1f} MB after a full-batch run"


def test_old_runs_are_capped_by_the_servers_limit(monkeypatch):
    monkeypatch.setenv(lim.ENV_NAMES["max_runs"], "2")
    at = open_app("pages/train.py", {**QUICK, "hidden": "4"})
    for _ in range(3):
        button(at, "Train").click()
        at.run()
        no_exception(at)
    assert [r.number for r in at.session_state[state.TR_RUNS]] == [2, 3]
    assert any(c.value.startswith("The last 2 runs of this browser session are kept.") for c in at.caption)


def test_a_bad_limit_setting_is_noted_and_the_default_used(monkeypatch):
    monkeypatch.setenv(lim.ENV_NAMES["max_epochs"], "lots")
    at = open_app("pages/train.py", QUICK)
    no_exception(at)
    assert "MNIST_MAX_EPOCHS='lots' is not a whole number" in said(at, "warning", "info", "error")
    assert at.slider(key=widget("epochs")).max == lim.Limits().max_epochs


@pytest.fixture
def secrets_file(tmp_path):
    """Where Streamlit reads the app's secrets from, for this test only (st.secrets reads it once)."""
    import streamlit as st
    from streamlit import config
    path, before = tmp_path / "secrets.toml", config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    st.secrets._reset()
    try:
        yield path
    finally:
        config.set_option("secrets.files", before)
        st.secrets._reset()


def test_limits_are_raised_in_secrets_toml_and_a_broken_file_is_only_noted(secrets_file):
    secrets_file.write_text("MNIST_MAX_RUNS = 3\nMNIST_MAX_EPOCHS = 1000\n")
    limits = lim.load(environ={})
    assert (limits.max_runs, limits.max_epochs, limits.notes) == (3, 1000, ())
    import streamlit as st
    st.secrets._reset()
    secrets_file.write_text("MNIST_MAX_EPOCHS = [unclosed\n")
    limits = lim.load(environ={})
    assert limits.max_epochs == lim.Limits().max_epochs
    assert any("secrets.toml" in note for note in limits.notes)
    at = open_app("pages/train.py", QUICK)                                # the page says so, and works
    no_exception(at)
    assert "secrets.toml" in said(at, "warning", "info", "error")
    assert not button(at, "Train").disabled


# --- files written atomically: a failure halfway leaves the old file ----------------------------------

def test_a_model_save_that_fails_halfway_leaves_the_old_file(tmp_path, monkeypatch):
    path = save_model(MODEL, tmp_path / "m.npz")
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full_disk)       # the bytes are written, then the sync fails
    with pytest.raises(OSError, match="No space"):
        save_model(init_mlp((784, 4, 10)), path)
    assert path.read_bytes() == before and load_model(path)[0].sizes == MODEL.sizes
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


class HalfServer:
    """Sends a Content-Length, half the body, then hangs up: a connection lost mid-download."""

    def __init__(self, body: bytes):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2])
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/file.gz"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_download_cut_off_halfway_leaves_the_old_file(tmp_path):
    import hashlib
    body = noise(300_000, 12)
    old = tmp_path / "file.gz"
    old.write_bytes(b"the complete earlier download")
    server = HalfServer(body)
    try:
        with pytest.raises(DownloadError, match="truncated"):
            download_file(server.url, old, hashlib.sha256(body).hexdigest())
    finally:
        server.close()
    assert old.read_bytes() == b"the complete earlier download"
    assert [p.name for p in tmp_path.iterdir()] == ["file.gz"]          # no .part left behind


def test_a_cache_write_that_fails_halfway_leaves_no_half_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path))
    real_save, calls = np.save, []

    def save_then_fail(f, array, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_save(f, array, **kwargs)
    monkeypatch.setattr(np, "save", save_then_fail)
    ds = data.load("mnist")                       # decoded from the .gz files; the cache write fails
    assert ds.x_train.shape == (60_000, 28, 28)
    assert not list((tmp_path / "arrays").iterdir())                   # neither half a cache nor a temp
    monkeypatch.setattr(np, "save", real_save)
    again = data.load("mnist")                                           # writes it whole this time
    assert np.array_equal(again.y_test, ds.y_test)
    [folder] = (tmp_path / "arrays").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s}.npy" for s in data.SPLITS)
