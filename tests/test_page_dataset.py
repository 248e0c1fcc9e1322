"""The Dataset page under AppTest: a seed out of range, a bad file left in the uploader, what the
page says after an upload, and the IDX format it explains."""
from __future__ import annotations

import io

import numpy as np

from appserver import open_app
from mnistcore import data
from ui.data import IDX_TEXT

PAGE = "pages/dataset.py"
TIMEOUT = 90


def texts(at, kind: str) -> str:
    return "\n".join(el.value for el in getattr(at, kind))


def idx_bytes(images: np.ndarray) -> bytes:
    header = np.array([0x803, len(images), 28, 28], dtype=">u4").tobytes()
    return header + images.astype(np.uint8).tobytes()


def npz_bytes(x: np.ndarray, y: np.ndarray, test: bool = True) -> bytes:
    buffer = io.BytesIO()
    arrays = dict(x_train=x, y_train=y) | (dict(x_test=x[:3], y_test=y[:3]) if test else {})
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_a_seed_out_of_range_is_replaced_in_the_box_and_said():
    at = open_app(PAGE, timeout=TIMEOUT)
    at.number_input[0].set_value(2**32 + 5).run()
    assert not at.exception
    assert at.number_input[0].value == 5 and at.session_state["ds_seed"] == 5
    assert at.query_params["seed"] == "5"
    assert "outside 0 to 4,294,967,295; using 5" in texts(at, "info")
    at.number_input[0].set_value(-1).run()
    assert at.number_input[0].value == 2**32 - 1 and not at.exception


def test_a_bad_file_left_in_the_uploader_is_named_with_how_to_remove_it():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    y = (np.arange(12) % 10).astype(np.uint8)
    at = open_app(PAGE, timeout=TIMEOUT)
    at.get("file_uploader")[0].set_value(("broken.npz", b"PK\x03\x04 not a zip", "application/zip")).run()
    assert "broken.npz" in texts(at, "error") and "remove" in texts(at, "error")
    # The bad file is still in the box when the good one is added: the message says to remove it.
    at.get("file_uploader")[0].set_value([("broken.npz", b"PK\x03\x04 not a zip", "application/zip"),
                                          ("mine.npz", npz_bytes(x, y), "application/zip")]).run()
    error = texts(at, "error")
    assert not at.exception and "broken.npz, mine.npz" in error and "the × beside each" in error
    at.get("file_uploader")[0].set_value(("mine.npz", npz_bytes(x, y), "application/zip")).run()
    assert not at.error and at.session_state["dataset"] == "upload"


def test_after_an_upload_the_page_speaks_of_no_link():
    """An upload without a test split and a class the upload lacks: said as changes to the view,
    not as "settings in the link" (no link gave them)."""
    x = np.random.default_rng(1).integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    y = (np.arange(20) % 3).astype(np.uint8)
    at = open_app(PAGE, timeout=TIMEOUT)
    at.selectbox(key="w_ds_class").set_value(9).run()   # digit 9
    at.get("file_uploader")[0].set_value(("three.npz", npz_bytes(x, y, test=False), "application/zip")).run()
    assert not at.exception
    assert "in the link" not in texts(at, "warning")
    ds = at.session_state["uploaded_dataset"]
    if len(ds.class_names) <= 9:
        assert "Class 9 does not exist" in texts(at, "info")
    assert "a link to this page cannot carry it" in texts(at, "success")


def test_the_idx_text_describes_the_header_the_reader_reads():
    x = np.random.default_rng(2).integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    raw = idx_bytes(x)
    assert raw[:4].hex(" ") == "00 00 08 03" and "`00 00 08 03`" in IDX_TEXT
    assert int.from_bytes(raw[4:8], "big") == 4 and "big-endian" in IDX_TEXT
    assert len(raw) - x.size == 16 and "16 bytes for images and 8 for labels" in IDX_TEXT
    labels = np.array([0x801, 4], dtype=">u4").tobytes() + bytes(4)
    assert labels[:4].hex(" ") == "00 00 08 01" and "`00 00 08 01`" in IDX_TEXT
    np.testing.assert_array_equal(data.read_idx(raw, "upload", kind="images"), x)


def test_the_page_says_what_pixel_values_mean_and_why_they_are_divided():
    at = open_app(PAGE, timeout=TIMEOUT)
    words = texts(at, "markdown") + texts(at, "caption")
    assert "0 is the background" in words and "255 full ink" in words
    assert "Why divide by 255" in words
    assert r"x_i = \frac{p_i}{255}" in texts(at, "latex")
