"""The data set every page works on: chosen in one place, loaded once per server process.

- ``choose_dataset()`` (called by app.py, so on every page) draws the sidebar select, applies and
  mirrors the URL's ``dataset=`` parameter, and stores the choice under ``state.DATASET``.
- ``current_dataset()`` returns the chosen ``mnistcore.data.Dataset``: a built-in one from the
  process-wide cache (read-only arrays shared by all visitors, never copied per session), or the
  visitor's own upload, kept in their session.
- ``upload_widget()`` lets a visitor read their own files (IDX pair, .npz or CSV, as
  ``mnistcore.data.read_uploads`` reads them); a bad file is refused with a message and whatever
  was there before stays.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnistcore import data
from mnistcore.figures.dataset import class_counts, class_means, pixel_counts
from ui import state


@st.cache_resource(show_spinner="Loading the data set (once for the whole server)...")
def load_builtin(name: str) -> data.Dataset:
    """A built-in data set, read once per process; its arrays are read-only and shared."""
    return data.load(name)


def builtin_names() -> list[str]:
    """Built-in data sets found on this machine, MNIST first; ["mnist"] if none is (its loading
    then says what is missing)."""
    found = data.available()
    return [name for name in data.DATASETS if found.get(name)] or ["mnist"]


def dataset_param(names: list[str] | None = None) -> state.Param:
    """The ``dataset=`` URL parameter: a built-in name found here (an upload cannot be linked)."""
    names = names or builtin_names()
    builtin = state.choice(*names)

    def parse(text: str) -> str:
        if text != state.UPLOADED:
            return builtin(text)
        if state.UPLOAD not in st.session_state:
            raise ValueError("an uploaded file stays in the browser session that uploaded it")
        return text
    return state.Param("dataset", state.DATASET, names[0], parse)


def choose_dataset() -> str:
    """The sidebar select of the data set; returns the chosen name (also in ``state.DATASET``)."""
    options = builtin_names()
    param = dataset_param(options)
    state.show_notes(state.read_params("app", [param]))
    if state.UPLOAD in st.session_state:
        options.append(state.UPLOADED)
    if st.session_state[state.DATASET] not in options:
        st.session_state[state.DATASET] = param.default
    upload = st.session_state.get(state.UPLOAD)  # given to label, not read by it: AppTest formats off the run
    st.sidebar.selectbox("Data set", options, format_func=lambda name: label(name, upload), **state.bind(state.DATASET),
                         help="Used by every page. Upload your own on the Dataset page.")
    state.write_params([param])
    return st.session_state[state.DATASET]


def label(name: str, upload: data.Dataset | None = None) -> str:
    """How a data set's name reads in the select box (`upload`: this visitor's uploaded data set)."""
    if name == state.UPLOADED:
        return f"Uploaded: {upload.name}" if upload is not None else "Uploaded file"
    return data.TITLES.get(name, name)


def current_dataset() -> data.Dataset:
    """The chosen data set. If it cannot be loaded, says why in the page and stops the page."""
    name = st.session_state.get(state.DATASET) or dataset_param().default
    if name == state.UPLOADED and state.UPLOAD in st.session_state:
        return st.session_state[state.UPLOAD]
    try:
        return load_builtin(name)
    except (ValueError, OSError) as err:
        st.error(f"The data set {name!r} could not be loaded: {err}. "
                 "See the README for where the data files go.", icon=":material/error:")
        st.stop()


def dataset_key(ds: data.Dataset) -> str:
    """A name that identifies `ds`'s content, for caches shared between visitors."""
    if ds is st.session_state.get(state.UPLOAD):
        return "upload:" + st.session_state[state.UPLOAD_DIGEST]
    return ds.name


# --- upload ------------------------------------------------------------------------------------

def accept_upload(files: list[tuple[bytes, str]]) -> str | None:
    """Read uploaded data set files, as (bytes, file name) pairs; on success keep the data set
    in this visitor's session and select it.

    Returns None on success, else the reason the files were refused (the previous data stays).
    """
    try:
        ds = data.read_uploads(files)
    except ValueError as err:  # DataError and friends: the reader says what is wrong
        return str(err)
    digest = hashlib.sha256()
    for raw, filename in files:
        digest.update(filename.encode() + b"\0" + hashlib.sha256(raw).digest())
    st.session_state[state.UPLOAD] = ds
    st.session_state[state.UPLOAD_DIGEST] = digest.hexdigest()
    st.session_state[state.DATASET] = state.UPLOADED
    return None


def _uploader_key() -> str:
    return f"{state.UPLOADER}{st.session_state.get(state.UPLOADS_TAKEN, 0)}"


def _on_upload() -> None:
    files = st.session_state.get(_uploader_key())
    if not files:  # the visitor removed the files from the widget: keep the data set
        return
    error = accept_upload([(f.getvalue(), f.name) for f in files])
    if error is not None:
        names = ", ".join(f.name for f in files)
        error += (f". Every file in the box ({names}) is read together: remove the ones that are not part of "
                  "the data set (the × beside each), then add the right ones")
    st.session_state[state.UPLOAD_ERROR] = error
    if error is None:
        # A fresh, empty uploader: the widget would otherwise keep a second copy of the bytes
        # (up to maxUploadSize) for as long as the session lives.
        st.session_state[state.UPLOADS_TAKEN] = st.session_state.get(state.UPLOADS_TAKEN, 0) + 1


def upload_widget() -> None:
    """File uploader for a data set of one's own, with the outcome of the last upload."""
    st.file_uploader(
        # Any file type: MNIST's own IDX names (train-images-idx3-ubyte) have no extension to
        # filter on, and the reader tells by content what a file is and what is wrong with it.
        "Data set files: an IDX pair, a .npz or a CSV", type=None, accept_multiple_files=True,
        key=_uploader_key(), on_change=_on_upload,
        help="IDX as MNIST ships them (raw or .gz): an images and a labels file, and a t10k/test pair "
             "if you have one. A Keras-style .npz with x_train, y_train (and x_test, y_test). A CSV "
             "with the label first and 784 pixel values per row. Without a test split, 1 in 7 "
             "images is held out as one.",
    )
    error = st.session_state.pop(state.UPLOAD_ERROR, None)
    if error:
        st.error(f"That file was not used: {error}", icon=":material/error:")
    elif state.UPLOAD in st.session_state:
        ds = st.session_state[state.UPLOAD]
        st.success(f"Using {ds.name}: {len(ds.x_train):,} training and {len(ds.x_test):,} test images. "
                   "An upload stays in this browser session: a link to this page cannot carry it.",
                   icon=":material/check:")
    with st.expander("The IDX format, as MNIST ships it"):
        st.markdown(IDX_TEXT)


IDX_TEXT = """\
An IDX file is a short header, then the values one byte each, row after row.

| bytes | images file (`train-images-idx3-ubyte`) | labels file (`train-labels-idx1-ubyte`) |
|---|---|---|
| 0-3 | magic number `00 00 08 03`: unsigned bytes (08), 3 dimensions | `00 00 08 01`: unsigned bytes, 1 dimension |
| 4-7 | number of images, e.g. 60,000 | number of labels, e.g. 60,000 |
| 8-15 | rows (28), then columns (28) | (the labels start at byte 8) |
| 16- | the pixels, 784 per image, 0 = background, 255 = ink | one label per byte, 0-9 |

The counts are 4-byte integers in big-endian order (most significant byte first), so the header is
16 bytes for images and 8 for labels. Files may be gzipped (`.gz`); the reader checks the magic number,
the counts and the file length before using anything.
"""


# --- what the Dataset page's charts show, computed once per data set ----------------------------

@dataclass(frozen=True)
class SplitStats:
    counts: np.ndarray    # (n_classes,) examples per class
    means: np.ndarray     # (n_classes, 28, 28) mean image per class
    pixels: np.ndarray    # (256,) how many pixels take each value


def split_stats(ds: data.Dataset, split: str) -> SplitStats:
    """Counts, class means and pixel histogram of one split of `ds` (cached per content)."""
    return _split_stats(dataset_key(ds), split, ds)


@st.cache_resource(max_entries=16, show_spinner="Summarising the data set...")
def _split_stats(key: str, split: str, _ds: data.Dataset) -> SplitStats:
    images, labels = (_ds.x_train, _ds.y_train) if split == "train" else (_ds.x_test, _ds.y_test)
    k = len(_ds.class_names)   # mnistcore.data checks every label is below it
    return SplitStats(class_counts(labels, k), class_means(images, labels, k), pixel_counts(images))
