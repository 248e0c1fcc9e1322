"""AppTest (headless, no browser) over the whole app: every page renders; Home and Dataset show
what they must; the Dataset page's link parameters and upload behave.

Other pages' own behaviour is tested in their own files; here each page only has to render
without an exception.
"""
from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from appserver import open_app, routed_pages
from mnistcore import data

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
TIMEOUT = 60  # seconds; the first Dataset run loads and summarises MNIST


def page_paths() -> list[str]:
    return [path for path, _ in routed_pages()]


def texts(at: AppTest, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A figure's array as Plotly's JSON holds it: a list, or base64 typed data with a shape."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


def test_app_routes_to_the_pages_in_order():
    issue_pages = ["pages/home.py", "pages/dataset.py", "pages/gradient_descent.py", "pages/train.py", "pages/draw.py"]
    assert [p for p in page_paths() if p in issue_pages] == issue_pages
    for path in page_paths():
        assert (ROOT / path).is_file(), path


@pytest.mark.parametrize("path", page_paths())
def test_every_page_renders_without_exception(path):
    at = open_app(path, timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{path} shows no title"


def test_home_says_what_to_visit_and_credits_the_data():
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    body = texts(at, "markdown")
    titles = [title for _, title in routed_pages()[1:]]
    positions = [body.find(f"**{title}**") for title in titles]
    assert -1 not in positions, f"Home does not name every page: {titles}"
    assert positions == sorted(positions), "Home lists the pages in the navigation's order"
    assert "Yann LeCun" in body and "CC BY-SA 3.0" in body
    assert "Zalando" in body and "MIT" in body
    # The data set is chosen in one place, the sidebar, and mirrored in the URL.
    choice = at.sidebar.selectbox[0]
    assert choice.label == "Data set"
    assert at.query_params["dataset"] == choice.value


def test_dataset_page_shows_grid_closeup_counts_means_histogram():
    at = open_app("pages/dataset.py", timeout=TIMEOUT)
    assert not at.exception
    ds = data.load(at.session_state["dataset"])
    specs = plotly_specs(at)
    kinds = [[t["type"] for t in s["data"]] for s in specs]
    assert kinds[0] == ["heatmap", "scatter"]          # the grid, clickable
    assert kinds[1] == ["heatmap"]                     # the close-up with its numbers
    assert kinds[2] == ["bar", "bar"]                  # train vs test counts
    assert kinds[3] == ["heatmap", "scatter"]          # mean image per class
    assert kinds[4] == ["bar"]                         # pixel histogram

    # The grid shows the sampled images at their index; the close-up the selected one.
    shown = specs[0]["data"][1]["customdata"]
    assert len(shown) == 40 and len(set(shown)) == 40
    index = at.session_state["ds_index"]
    assert index == shown[0]
    closeup = array(specs[1]["data"][0]["z"])
    np.testing.assert_array_equal(closeup, ds.x_train[index])
    assert specs[1]["data"][0]["texttemplate"]

    # Counts: bars and table agree with the labels, the imbalance is stated.
    table = at.dataframe[0].value
    np.testing.assert_array_equal(table["train"], np.bincount(ds.y_train, minlength=10))
    np.testing.assert_array_equal(table["test"], np.bincount(ds.y_test, minlength=10))
    np.testing.assert_array_equal(array(specs[2]["data"][0]["y"]), table["train"])
    counts = np.bincount(ds.y_train, minlength=10)
    assert f"{counts.max() / counts.min():.2f}x" in texts(at, "markdown")
    assert at.query_params == {"dataset": ds.name, "split": "train", "class": "all", "seed": "0",
                               "index": str(index)}


def test_dataset_link_reproduces_the_view():
    query = {"dataset": "mnist", "split": "test", "class": "3", "seed": "7", "index": "18"}
    at = open_app("pages/dataset.py", query, timeout=TIMEOUT)
    assert not at.exception and not at.warning
    ds = data.load("mnist")
    assert (at.radio[0].value, at.selectbox[0].value, at.number_input[0].value) == ("test", 3, 7)
    specs = plotly_specs(at)
    shown = specs[0]["data"][1]["customdata"]
    assert all(ds.y_test[i] == 3 for i in shown)
    np.testing.assert_array_equal(array(specs[1]["data"][0]["z"]), ds.x_test[18])
    assert at.number_input[1].value == 18
    assert at.query_params == query
    # The same link gives the same grid.
    again = open_app("pages/dataset.py", query, timeout=TIMEOUT)
    assert plotly_specs(again)[0]["data"][1]["customdata"] == shown


@pytest.mark.skipif(not data.available()["fashion"], reason="Fashion-MNIST is not installed here")
def test_fashion_from_the_link_with_its_class_names():
    query = {"dataset": "fashion", "split": "test", "class": "9", "seed": "0", "index": "0"}
    at = open_app("pages/dataset.py", query, timeout=TIMEOUT)
    assert not at.exception and not at.warning
    assert list(at.dataframe[0].value["class"]) == list(data.FASHION_CLASSES)
    assert at.header[0].value == "Image #0: Ankle boot"  # Fashion-MNIST's first test image
    assert "perfectly balanced" in texts(at, "markdown")


@pytest.mark.parametrize("query, words", [
    ({"split": "validation"}, ["split=validation", "train"]),
    ({"class": "ten", "seed": "-4"}, ["class=ten", "seed=-4"]),
    ({"index": "99999999"}, ["image 99999999"]),
])
def test_bad_link_parameters_fall_back_with_a_note(query, words):
    at = open_app("pages/dataset.py", query, timeout=TIMEOUT)
    assert not at.exception
    note = texts(at, "warning")
    for word in words:
        assert word in note
    assert at.session_state["ds_split"] in ("train", "test")
    assert 0 <= at.session_state["ds_index"] < 60_000


@pytest.mark.parametrize("name", ["cifar", "upload", ""])
def test_a_link_to_an_unknown_dataset_falls_back_with_a_note(name):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["dataset"] = name
    at.run()  # the data set is read from the link on the visitor's first run, whatever the page
    assert not at.exception
    assert f"dataset={name}" in texts(at, "warning")
    assert at.session_state["dataset"] == "mnist" == at.query_params["dataset"]


def test_changing_the_seed_draws_a_new_grid_and_updates_the_link():
    at = open_app("pages/dataset.py", timeout=TIMEOUT)
    before = plotly_specs(at)[0]["data"][1]["customdata"]
    at.number_input[0].set_value(5).run()
    after = plotly_specs(at)[0]["data"][1]["customdata"]
    assert after != before
    assert at.query_params["seed"] == "5"
    assert at.session_state["ds_index"] == after[0]  # a new grid shows its own first image


def idx_bytes(images: np.ndarray) -> bytes:
    header = np.array([0x803, len(images), 28, 28], dtype=">u4").tobytes()
    return header + images.astype(np.uint8).tobytes()


def npz_bytes(x: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x_train=x, y_train=y, x_test=x[:3], y_test=y[:3])
    return buffer.getvalue()


def test_upload_browses_the_file_and_a_bad_file_keeps_it():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    y = (np.arange(12) % 10).astype(np.uint8)
    at = open_app("pages/dataset.py", timeout=TIMEOUT)
    at.get("file_uploader")[0].upload("mine.npz", npz_bytes(x, y)).run()
    assert not at.exception and not at.error
    assert at.session_state["dataset"] == "upload"
    assert not at.get("file_uploader")[0].value            # the bytes are not kept twice
    specs = plotly_specs(at)
    assert len(specs[0]["data"][1]["customdata"]) == 12
    np.testing.assert_array_equal(array(specs[1]["data"][0]["z"]), x[specs[0]["data"][1]["customdata"][0]])
    np.testing.assert_array_equal(at.dataframe[0].value["train"], np.bincount(y, minlength=10))

    for bad in [("broken.npz", b"PK\x03\x04 not really a zip", "application/zip"),
                ("train-images-idx3-ubyte", idx_bytes(x), "application/octet-stream")]:  # no labels
        at.get("file_uploader")[0].set_value(bad).run()
        assert not at.exception
        assert bad[0] in texts(at, "error")
        assert at.get("file_uploader")[0].value              # kept, e.g. to add a missing labels file
        assert at.session_state["dataset"] == "upload"          # the good upload stays
        np.testing.assert_array_equal(at.dataframe[0].value["train"], np.bincount(y, minlength=10))


def test_upload_of_an_idx_pair():
    x = np.random.default_rng(2).integers(0, 256, size=(14, 28, 28), dtype=np.uint8)
    y = (np.arange(14) % 7).astype(np.uint8)
    labels = np.array([0x801, len(y)], dtype=">u4").tobytes() + y.tobytes()
    at = open_app("pages/dataset.py", timeout=TIMEOUT)
    at.get("file_uploader")[0].set_value([
        ("train-images-idx3-ubyte", idx_bytes(x), "application/octet-stream"),
        ("train-labels-idx1-ubyte", labels, "application/octet-stream"),
    ]).run()
    assert not at.exception and not at.error
    total = at.dataframe[0].value["train"] + at.dataframe[0].value["test"]  # 1 in 7 held out as test
    np.testing.assert_array_equal(total, np.bincount(y, minlength=10))


def test_a_partial_link_names_what_it_left_out_calmly():
    """A teacher's link that sets one thing is not a bad link: no warning, an info box instead."""
    at = open_app("pages/dataset.py", {"seed": "3"}, timeout=TIMEOUT)
    assert not at.exception and not at.warning
    note = texts(at, "info")
    for word in ("`split` train", "`class` all", "take their defaults"):
        assert word in note, note
    assert "`index`" not in note                     # index: the grid's first image, no note
    assert at.session_state["ds_seed"] == 3
