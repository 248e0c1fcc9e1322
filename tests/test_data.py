"""mnistcore.data: readers, their error messages, the shipped MNIST, lookup and the decoded cache.

Small files are written by the tests; every test gets its own empty cache folder and no
MNISTCORE_DATA_DIR, so nothing here reads or writes the user's home.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mnistcore import data
from mnistcore.data import DataError, Dataset

SHIPPED = data.PACKAGE_DATA / "mnist"
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
# the class balance of the real MNIST (LeCun et al.), for checking that the shipped copy is it
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """An empty cache per test, no user data folder."""
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)


# --- helpers: small valid files ------------------------------------------------------------------

def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file holding uint8 `array` (images (n, 28, 28) or labels (n,))."""
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def small_arrays(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def csv_text(images: np.ndarray, labels: np.ndarray | None, header: bool = True) -> str:
    lines = []
    if header:
        lines.append(",".join((["label"] if labels is not None else []) + [f"pixel{i}" for i in range(784)]))
    for i, image in enumerate(images.reshape(len(images), 784)):
        values = ([str(labels[i])] if labels is not None else []) + [str(v) for v in image]
        lines.append(",".join(values))
    return "\n".join(lines) + "\n"


def npz_bytes(compressed: bool = False, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def make_dataset_folder(folder: Path, n_train: int = 14, n_test: int = 7, seed: int = 0):
    """Write a small data set's four .gz IDX files; return its KnownFile specs and arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = small_arrays(n_train, seed)
    x_test, y_test = small_arrays(n_test, seed + 1)
    specs = []
    for spec, array in zip(data.KNOWN_FILES["fashion"], (x_train, y_train, x_test, y_test)):
        raw = idx_bytes(array)
        gz = gzip.compress(raw, mtime=0)
        (folder / f"{spec.name}.gz").write_bytes(gz)
        specs.append(data.KnownFile(spec.name, (hashlib.sha256(gz).hexdigest(),),
                                    hashlib.sha256(raw).hexdigest(), len(gz)))
    return tuple(specs), (x_train, y_train, x_test, y_test)


@pytest.fixture
def small_fashion(tmp_path, monkeypatch):
    """Fashion-MNIST replaced by a small synthetic set in tmp_path/src (checksums patched), and no
    system folder, so lookup can be tested without the real 30 MB."""
    specs, arrays = make_dataset_folder(tmp_path / "src")
    monkeypatch.setitem(data.KNOWN_FILES, "fashion", specs)
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion", (tmp_path / "no-system-dir",))
    return tmp_path / "src", arrays


# --- IDX -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trip_from_bytes_path_and_file(tmp_path, compress):
    images, labels = small_arrays(5)
    for array, stem in ((images, "images"), (labels, "labels")):
        blob = idx_bytes(array)
        blob = gzip.compress(blob) if compress else blob
        path = tmp_path / f"{stem}.idx"
        path.write_bytes(blob)
        for source in (blob, path, str(path), io.BytesIO(blob)):
            got = data.read_idx(source)
            assert got.dtype == np.uint8 and got.shape == array.shape
            np.testing.assert_array_equal(got, array)
            assert not got.flags.writeable


def test_read_idx_kind_is_checked():
    images, labels = small_arrays(3)
    assert data.read_idx(idx_bytes(images), kind="images").shape == (3, 28, 28)
    with pytest.raises(DataError, match=r"lab\.gz: holds labels .*expected images"):
        data.read_idx(gzip.compress(idx_bytes(labels)), name="lab.gz", kind="images")


def test_read_idx_empty_file_is_valid():
    assert data.read_idx(idx_bytes(np.zeros((0, 28, 28), np.uint8))).shape == (0, 28, 28)


def _valid_images() -> bytes:
    return idx_bytes(small_arrays(4)[0])


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b"\x12\x34" + b[2:], r"not an IDX file: it starts with 12 34 08 03"),
    (lambda b: b[:2] + b"\x0d" + b[3:], r"IDX element type 0x0d \(float\)"),
    (lambda b: b[:3] + b"\x02" + b[4:], r"IDX file with 2 dimensions"),
    (lambda b: b[:8] + struct.pack(">I", 27) + b[12:], r"images of 27x28 pixels; expected 28x28"),
    (lambda b: b[:-10], r"truncated: the header declares 4 images of 28x28 \(3136 bytes\) but only 3126"),
    (lambda b: b + b"\0" * 7, r"7 bytes more than the 4 images of 28x28 the header declares"),
    (lambda b: b[:4] + struct.pack(">I", 5) + b[8:], r"truncated: the header declares 5 images"),
    (lambda b: b[:10], r"truncated: 10 bytes, shorter than the 16-byte IDX header"),
    (lambda b: b[:3], r"3 bytes, too short"),
])
def test_read_idx_refuses_bad_files_with_the_reason(mutate, message):
    with pytest.raises(DataError, match=r"^bad\.idx: " + message):
        data.read_idx(mutate(_valid_images()), name="bad.idx")


def test_read_idx_label_count_mismatch_in_the_header():
    labels = idx_bytes(np.arange(6, dtype=np.uint8))
    lying = labels[:4] + struct.pack(">I", 9) + labels[8:]
    with pytest.raises(DataError, match=r"truncated: the header declares 9 labels \(9 bytes\) but only 6"):
        data.read_idx(lying, name="labels")


def test_truncated_and_damaged_gzip_are_clear_errors():
    gz = gzip.compress(_valid_images())
    with pytest.raises(DataError, match=r"^x\.gz: truncated: the gzip data ends early"):
        data.read_idx(gz[: len(gz) // 2], name="x.gz")
    damaged = bytearray(gz)
    damaged[-8] ^= 0xFF  # the CRC-32 in the gzip trailer
    with pytest.raises(DataError, match=r"^x\.gz: damaged gzip data"):
        data.read_idx(bytes(damaged), name="x.gz")
    with pytest.raises(DataError, match=r"unexpected bytes after the gzip data"):
        data.read_idx(gz + b"junk", name="x.gz")


def test_gzip_members_and_zero_padding_are_read():
    raw = _valid_images()
    two_members = gzip.compress(raw[:100]) + gzip.compress(raw[100:]) + b"\0" * 8
    np.testing.assert_array_equal(data.read_idx(two_members), data.read_idx(raw))


def test_gzip_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(data.guards, "MAX_BYTES", 100_000)
    bomb = gzip.compress(bytes(10_000_000))  # ~10 KB that inflates to 10 MB
    assert len(bomb) < 100_000
    with pytest.raises(DataError, match=r"decompresses to more than 100000 bytes; refusing"):
        data.read_idx(bomb, name="bomb.gz")


def test_too_large_input_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(data.guards, "MAX_BYTES", 1000)
    path = tmp_path / "big.idx"
    path.write_bytes(bytes(2000))
    for source in (path, bytes(2000)):
        with pytest.raises(DataError, match=r"larger than 1000 bytes"):
            data.read_idx(source)


def test_missing_file_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match=r"nope\.gz: no such file"):
        data.read_idx(tmp_path / "nope.gz")
    with pytest.raises(DataError, match=r"is a folder, not a file"):
        data.read_idx(tmp_path)


# --- npz -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("compressed", [False, True])
def test_read_npz_keras_layout(compressed):
    x_train, y_train = small_arrays(6)
    x_test, y_test = small_arrays(3, seed=1)
    ds = data.read_npz(npz_bytes(compressed, x_train=x_train, y_train=y_train, x_test=x_test,
                                 y_test=y_test), name="mnist.npz")
    assert ds.name == "mnist.npz" and ds.class_names == data.MNIST_CLASSES
    for got, want in zip((ds.x_train, ds.y_train, ds.x_test, ds.y_test), (x_train, y_train, x_test, y_test)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.uint8 and not got.flags.writeable


def test_read_npz_flat_int64_images_and_no_test_split(tmp_path):
    x, y = small_arrays(5)
    path = tmp_path / "mine.npz"
    path.write_bytes(npz_bytes(x_train=x.reshape(5, 784).astype(np.int64), y_train=y.astype(np.int64)))
    ds = data.read_npz(path)
    np.testing.assert_array_equal(ds.x_train, x)
    assert ds.x_test.shape == (0, 28, 28) and ds.y_test.shape == (0,)


class Touch:
    """Unpickling this creates a file: proof that a reader unpickled."""
    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return Path.touch, (self.path,)


def test_read_npz_refuses_object_arrays_without_unpickling(tmp_path):
    x, _ = small_arrays(2)
    objects = np.empty(2, dtype=object)
    objects[:] = [Touch(tmp_path / "unpickled"), 1]
    blob = npz_bytes(x_train=x, y_train=objects)
    with pytest.raises(DataError, match=r"evil\.npz: y_train holds Python objects \(a pickle\); refusing"):
        data.read_npz(blob, name="evil.npz")
    with pytest.raises(DataError, match=r"a Python pickle; refusing"):
        data.read_npz(pickle.dumps(Touch(tmp_path / "unpickled")), name="evil.pkl")
    assert not (tmp_path / "unpickled").exists()
    pickle.loads(pickle.dumps(Touch(tmp_path / "unpickled")))  # the probe works
    assert (tmp_path / "unpickled").exists()


@pytest.mark.parametrize("blob, message", [
    (pickle.dumps({"x_train": 1}), r"a Python pickle; refusing"),
    (b"\x93NUMPY\x01\x00", r"a single \.npy array"),
    (b"hello", r"not a \.npz file"),
])
def test_read_npz_refuses_other_files(blob, message):
    with pytest.raises(DataError, match=r"^f\.npz: " + message):
        data.read_npz(blob, name="f.npz")


def test_read_npz_checks_keys_shapes_dtypes_and_counts():
    x, y = small_arrays(4)
    cases = [
        (dict(images=x, labels=y), r"holds \['images', 'labels'\]; expected arrays x_train, y_train"),
        (dict(x_train=x, y_train=y, x_test=x), r"expected arrays x_train, y_train and optionally"),
        (dict(x_train=x[:, :20], y_train=y), r"x_train has shape \(4, 20, 28\); expected \(n, 28, 28\)"),
        (dict(x_train=x / 255, y_train=y), r"x_train: dtype float64; expected integers"),
        (dict(x_train=x.astype(np.int16) * 2, y_train=y), r"x_train holds values 0\.\.510; expected pixels 0\.\.255"),
        (dict(x_train=x, y_train=y[:3]), r"y_train: 3 labels, but f\.npz: x_train holds 4 images"),
        (dict(x_train=x, y_train=y + 10), r"y_train: label 1\d at index 0 is not a class 0\.\.9"),
        (dict(x_train=x, y_train=y.reshape(2, 2)), r"y_train has shape \(2, 2\); expected \(n,\)"),
    ]
    for arrays, message in cases:
        with pytest.raises(DataError, match=message):
            data.read_npz(npz_bytes(**arrays), name="f.npz")


def test_read_npz_damaged_archive():
    x, y = small_arrays(4)
    blob = npz_bytes(True, x_train=x, y_train=y)
    with pytest.raises(DataError, match=r"^f\.npz: "):
        data.read_npz(blob[: len(blob) - 40], name="f.npz")


def test_read_npz_size_declared_larger_than_data_is_refused():
    """A header announcing a huge array in a tiny member: refused before allocating anything."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (10**9, 28, 28)})
    with io.BytesIO() as zipped:
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr("x_train.npy", buffer.getvalue())
            archive.writestr("y_train.npy", buffer.getvalue())
        blob = zipped.getvalue()
    with pytest.raises(DataError, match=r"x_train: the header declares shape \(1000000000, 28, 28\)"):
        data.read_npz(blob, name="f.npz")


# --- CSV -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [True, False])
def test_read_csv_labelled(header):
    x, y = small_arrays(5)
    images, labels = data.read_csv(csv_text(x, y, header).encode(), name="train.csv")
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels, y)
    assert images.dtype == labels.dtype == np.uint8 and not images.flags.writeable


@pytest.mark.parametrize("header", [True, False])
def test_read_csv_unlabelled_test_file(header):
    x, _ = small_arrays(3)
    images, labels = data.read_csv(csv_text(x, None, header).encode(), name="test.csv")
    np.testing.assert_array_equal(images, x)
    assert labels is None


def test_read_csv_bom_crlf_blank_lines_gzip_and_many_blocks(monkeypatch, tmp_path):
    monkeypatch.setattr(data.csv, "CSV_BLOCK", 3)  # several np.loadtxt blocks
    x, y = small_arrays(8)
    text = "\ufeff" + csv_text(x, y).replace("\n", "\r\n").replace("\r\n", "\r\n\r\n", 2)
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    images, labels = data.read_csv(path)
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels, y)


def _csv_lines(n: int = 6) -> list[str]:
    x, y = small_arrays(n)
    return csv_text(x, y).splitlines()   # line 1 is the header


@pytest.mark.parametrize("edit, message", [
    (lambda L: L.__setitem__(3, L[3].rsplit(",", 1)[0]),
     r"line 4: 784 values; expected 785 \(a label, then 784 pixels\)"),
    (lambda L: L.__setitem__(2, L[2] + ",0"), r"line 3: 786 values; expected 785"),
    (lambda L: L.__setitem__(5, "7," + ",".join(["0"] * 100 + ["abc"] + ["0"] * 683)),
     r"line 6, column 102: 'abc' is not a whole number from 0 to 255"),
    (lambda L: L.__setitem__(5, "7," + ",".join(["0"] * 10 + ["256"] + ["0"] * 773)),
     r"line 6, column 12: '256' is not a whole number from 0 to 255"),
    (lambda L: L.__setitem__(4, "3," + ",".join(["0"] * 10 + ["1.5"] + ["0"] * 773)),
     r"line 5, column 12: '1.5' is not a whole number"),
    (lambda L: L.__setitem__(2, "12," + L[2].split(",", 1)[1]), r"line 3: label 12 is not a class 0\.\.9"),
    (lambda L: L.__setitem__(0, "label," + ",".join(f"p{i}" for i in range(783))),
     r"line 1: a header of 784 columns; expected 'label,pixel0"),
])
def test_read_csv_bad_rows_are_reported_with_line_numbers(edit, message):
    lines = _csv_lines()
    edit(lines)
    with pytest.raises(DataError, match=r"^digits\.csv: " + message):
        data.read_csv("\n".join(lines).encode(), name="digits.csv")


def test_read_csv_line_numbers_count_blank_lines(monkeypatch):
    monkeypatch.setattr(data.csv, "CSV_BLOCK", 2)
    lines = _csv_lines()
    lines[4] = lines[4] + ",1"
    text = "\n\n".join(lines)  # every row is followed by a blank line: row 5 is on line 9
    with pytest.raises(DataError, match=r"line 9: 786 values"):
        data.read_csv(text.encode(), name="a.csv")


@pytest.mark.parametrize("blob, message", [
    (b"", r"empty"),
    (b"\n \n", r"empty"),
    (b"1,2,3\n", r"line 1: 3 values; expected 785"),
    (b"label," + b",".join(b"pixel%d" % i for i in range(784)) + b"\n", r"a header but no data rows"),
    (b"\xff\xfe\x00garbage", r"not a text file"),
])
def test_read_csv_other_bad_files(blob, message):
    with pytest.raises(DataError, match=r"^c\.csv: " + message):
        data.read_csv(blob, name="c.csv")


# --- Dataset and as_inputs -----------------------------------------------------------------------

def test_dataset_is_read_only_without_touching_the_callers_arrays():
    x, y = small_arrays(4)
    ds = Dataset("mine", x, y, x[:0], y[:0])
    assert not ds.x_train.flags.writeable and not ds.y_train.flags.writeable
    assert x.flags.writeable  # the caller's array stays as it was
    assert np.shares_memory(ds.x_train, x)  # a view, not a copy
    with pytest.raises(ValueError):
        ds.x_train[0, 0, 0] = 1
    with pytest.raises(AttributeError):
        ds.name = "other"


@pytest.mark.parametrize("args, message", [
    (lambda x, y: (x.astype(np.float32), y, x[:0], y[:0]), r"mine: x_train: images of shape \(4, 28, 28\) and dtype float32"),
    (lambda x, y: (x, y[:3], x[:0], y[:0]), r"mine: 4 train images but 3 train labels"),
    (lambda x, y: (x, y + 10, x[:0], y[:0]), r"mine: y_train: label 1\d at index 0 is not a class 0\.\.9"),
    (lambda x, y: (x, y, x[:, :14], y), r"mine: x_test: images of shape \(4, 14, 28\)"),
])
def test_dataset_validates(args, message):
    x, y = small_arrays(4)
    with pytest.raises(DataError, match=message):
        Dataset("mine", *args(x, y))


def test_as_inputs_scales_and_flattens():
    x, _ = small_arrays(3)
    X = data.as_inputs(x)
    assert X.dtype == np.float32 and X.shape == (3, 784)
    np.testing.assert_array_equal(X, x.reshape(3, 784).astype(np.float32) / np.float32(255))
    assert X.min() >= 0 and X.max() <= 1
    np.testing.assert_array_equal(data.as_inputs(x[0]), X[:1])          # one image
    np.testing.assert_array_equal(data.as_inputs(x.reshape(3, 784)), X)  # already flat
    np.testing.assert_array_equal(data.as_inputs(X), X)                 # floats in [0, 1] pass
    with pytest.raises(ValueError, match=r"shape \(3, 27, 28\)"):
        data.as_inputs(x[:, 1:])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        data.as_inputs(X * 255)
    with pytest.raises(ValueError, match=r"dtype int64"):
        data.as_inputs(x.astype(np.int64))


# --- the shipped MNIST ---------------------------------------------------------------------------

def test_shipped_files_match_the_known_checksums():
    listed = dict(line.split()[::-1] for line in (SHIPPED / "SHA256SUMS").read_text().splitlines())
    for spec in data.KNOWN_FILES["mnist"]:
        name = f"{spec.name}.gz"
        digest = hashlib.sha256((SHIPPED / name).read_bytes()).hexdigest()
        assert digest == listed[name] == spec.gz_sha256[0]
    assert "CC BY-SA 3.0" in (SHIPPED / "README.md").read_text()
    assert "Burges" in (SHIPPED / "LICENSE").read_text()


def test_load_mnist_is_the_real_mnist_and_uses_the_cache(monkeypatch):
    ds = data.load("mnist")
    assert ds.name == "mnist" and ds.class_names == tuple("0123456789")
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.x_train.dtype == ds.y_train.dtype == np.uint8
    assert not any(a.flags.writeable for a in (ds.x_train, ds.y_train, ds.x_test, ds.y_test))
    summary = data.summary(ds)
    assert summary["train_counts"] == MNIST_TRAIN_COUNTS and sum(summary["train_counts"]) == 60000
    assert summary["test_counts"] == MNIST_TEST_COUNTS and sum(summary["test_counts"]) == 10000
    assert 0 < ds.x_train.mean() < 255 and ds.x_train.max() == 255

    cached = list((data.cache_dir() / "arrays").glob("mnist-*/*.npy"))
    assert sorted(p.name for p in cached) == ["x_test.npy", "x_train.npy", "y_test.npy", "y_train.npy"]
    # a second load comes from the cache: no gzip decoding at all
    monkeypatch.setattr(data.guards, "gunzip", lambda *a, **k: pytest.fail("decoded again"))
    monkeypatch.setattr(data.idx, "parse_idx", lambda *a, **k: pytest.fail("parsed again"))
    again = data.load("mnist")
    for split in data.SPLITS:  # np.array_equal: assert_array_equal is slow on 47 million pixels
        assert np.array_equal(getattr(again, split), getattr(ds, split))


def test_a_damaged_cache_is_rebuilt():
    ds = data.load("mnist")
    [folder] = (data.cache_dir() / "arrays").glob("mnist-*")
    path = folder / "x_train.npy"
    path.write_bytes(path.read_bytes()[:1000])   # truncated behind our back
    again = data.load("mnist")
    assert np.array_equal(again.x_train, ds.x_train)
    assert path.stat().st_size > 47_000_000       # written anew


def test_load_works_without_a_writable_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(blocker))
    ds = data.load("mnist")
    assert ds.x_train.shape == (60000, 28, 28)


def _copy_mnist(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for path in SHIPPED.glob("*.gz"):
        shutil.copy(path, folder / path.name)
    return folder


def test_checksum_mismatch_names_the_file(tmp_path):
    folder = _copy_mnist(tmp_path / "data" / "mnist")
    target = folder / "t10k-labels-idx1-ubyte.gz"
    labels = bytearray(gzip.decompress(target.read_bytes()))
    labels[100] = (labels[100] + 1) % 10   # one wrong label: still a perfectly valid IDX file
    target.write_bytes(gzip.compress(bytes(labels)))
    with pytest.raises(DataError, match=rf"^{target}: checksum mismatch: this is not the MNIST file "
                                        r"t10k-labels-idx1-ubyte: its sha256 is [0-9a-f]{64}, expected f7ae60"):
        data.load("mnist", data_dir=tmp_path / "data")


def test_a_recompressed_copy_is_accepted_by_content(tmp_path):
    folder = _copy_mnist(tmp_path / "mnist")
    target = folder / "train-labels-idx1-ubyte.gz"
    target.write_bytes(gzip.compress(gzip.decompress(target.read_bytes()), compresslevel=1, mtime=1))
    # and an uncompressed file is fine too
    raw = folder / "t10k-labels-idx1-ubyte"
    raw.write_bytes(gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    ds = data.load("mnist", data_dir=tmp_path)
    assert data.summary(ds)["train_counts"] == MNIST_TRAIN_COUNTS


def test_images_and_labels_count_mismatch_names_both_files(small_fashion, monkeypatch):
    src, (x_train, y_train, x_test, y_test) = small_fashion
    specs = list(data.KNOWN_FILES["fashion"])
    raw = idx_bytes(y_train[:-1])
    (src / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw))
    specs[1] = data.KnownFile(specs[1].name, (), hashlib.sha256(raw).hexdigest(), 0)
    monkeypatch.setitem(data.KNOWN_FILES, "fashion", tuple(specs))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: 13 labels, but .*train-images-idx3-ubyte\.gz "
                                        r"holds 14 images"):
        data.load("fashion", data_dir=src)


# --- finding Fashion-MNIST -----------------------------------------------------------------------

def test_fashion_lookup_order(small_fashion, tmp_path, monkeypatch):
    src, (x_train, *_) = small_fashion
    places = {
        "arg": tmp_path / "arg",                       # data_dir itself
        "env_sub": tmp_path / "env" / "fashion-mnist",  # $MNISTCORE_DATA_DIR/fashion-mnist
        "system": tmp_path / "system",
        "cache": data.cache_dir() / "fashion-mnist",
    }
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion", (places["system"],))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "env"))
    assert data.available()["fashion"] is None
    for where in reversed(places):  # add them from the last resort to the first choice
        shutil.copytree(src, places[where])
        assert data.available(data_dir=places["arg"])["fashion"] == str(places[where])
    ds = data.load("fashion", data_dir=places["arg"])
    assert ds.name == "fashion" and ds.class_names == data.FASHION_CLASSES
    np.testing.assert_array_equal(ds.x_train, x_train)


def test_fashion_not_found_says_where_and_how(small_fashion, tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "mine"))
    partial = tmp_path / "mine" / "fashion-mnist"
    partial.mkdir(parents=True)
    shutil.copy(small_fashion[0] / "train-images-idx3-ubyte.gz", partial)
    with pytest.raises(DataError) as error:
        data.load("fashion")
    message = str(error.value)
    assert message.startswith("fashion: Fashion-MNIST not found. Looked in: ")
    assert f"{partial} (missing train-labels-idx1-ubyte.gz, t10k-images" in message
    assert str(tmp_path / "no-system-dir") in message and str(data.cache_dir()) in message
    assert "apt install dataset-fashion-mnist" in message and "download=True" in message
    assert "python -m mnistcore.download fashion" in message


def test_a_folder_with_the_other_data_set_is_passed_over(small_fashion, tmp_path):
    """Both data sets use the same four file names: a folder is identified by its content."""
    mnist_folder = _copy_mnist(tmp_path / "both-named-alike")
    with pytest.raises(DataError, match=r"both-named-alike \(holds another data set\)"):
        data.load("fashion", data_dir=mnist_folder)
    assert data.load("mnist", data_dir=small_fashion[0]).x_train.shape == (60000, 28, 28)  # shipped copy


def test_unknown_data_set_name():
    with pytest.raises(DataError, match=r"'kmnist': unknown data set; expected one of 'mnist', 'fashion'"):
        data.load("kmnist")


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_real_fashion_mnist_from_the_debian_package():
    """Debian recompressed the .gz files; they are accepted because their content is the official one."""
    assert data.available()["fashion"] == str(DEBIAN_FASHION)
    ds = data.load("fashion")
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    summary = data.summary(ds)
    assert summary["train_counts"] == [6000] * 10 and summary["test_counts"] == [1000] * 10


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "c"))
    assert data.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(data.CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "mnistcore"


# --- uploads -------------------------------------------------------------------------------------

def test_upload_npz_keeps_its_splits():
    x, y = small_arrays(10)
    blob = npz_bytes(x_train=x[:8], y_train=y[:8], x_test=x[8:], y_test=y[8:])
    ds = data.read_upload(blob, "mnist.npz")
    assert (len(ds.x_train), len(ds.x_test), ds.name) == (8, 2, "mnist.npz")


def test_upload_single_csv_holds_out_one_in_seven_reproducibly():
    x, y = small_arrays(70)
    blob = csv_text(x, y).encode()
    ds = data.read_upload(blob, "digits.csv")
    again = data.read_upload(blob, "digits.csv")
    assert (len(ds.x_train), len(ds.x_test)) == (60, 10)
    np.testing.assert_array_equal(ds.y_test, again.y_test)
    # the two splits are a partition of the rows: every row exactly once
    rows = lambda images, labels: {(int(l), im.tobytes()) for im, l in zip(images, labels)}
    assert rows(ds.x_train, ds.y_train) | rows(ds.x_test, ds.y_test) == rows(x, y)
    assert not rows(ds.x_train, ds.y_train) & rows(ds.x_test, ds.y_test)


def test_upload_csv_pair_and_idx_files():
    x, y = small_arrays(12)
    csvs = [(csv_text(x[:9], y[:9]).encode(), "mnist_train.csv"), (csv_text(x[9:], y[9:]).encode(), "mnist_test.csv")]
    ds = data.read_uploads(csvs[::-1])
    np.testing.assert_array_equal(ds.x_test, x[9:])
    assert ds.name == "mnist_test.csv + mnist_train.csv"

    files = [(gzip.compress(idx_bytes(x[:9])), "train-images-idx3-ubyte.gz"),
             (idx_bytes(y[:9]), "train-labels-idx1-ubyte"),
             (gzip.compress(idx_bytes(x[9:])), "t10k-images-idx3-ubyte.gz"),
             (gzip.compress(idx_bytes(y[9:])), "t10k-labels-idx1-ubyte.gz")]
    ds = data.read_uploads(files)
    np.testing.assert_array_equal(ds.x_train, x[:9])
    np.testing.assert_array_equal(ds.y_test, y[9:])
    held_out = data.read_uploads(files[:2])  # a train pair alone: 1 in 7 held out
    assert (len(held_out.x_train), len(held_out.x_test)) == (8, 1)


def test_upload_fashion_names():
    x, y = small_arrays(7)
    ds = data.read_upload(csv_text(x, y).encode(), "fashion-mnist_train.csv")
    assert ds.class_names == data.FASHION_CLASSES


@pytest.mark.parametrize("files, message", [
    ([(gzip.compress(idx_bytes(small_arrays(3)[0])), "train-images-idx3-ubyte.gz")],
     r"^train-images-idx3-ubyte\.gz: an IDX images file needs its labels file too"),
    ([(idx_bytes(small_arrays(3)[0]), "a-images"), (idx_bytes(small_arrays(4)[1]), "a-labels")],
     r"^a-labels: 4 labels, but a-images holds 3 images"),
    ([(csv_text(*small_arrays(3)[:1], None).encode(), "test.csv")], r"^test\.csv: no label column"),
    ([(b"just some words", "notes.txt")], r"^notes\.txt: line 1: a header of 1 columns"),
    ([(b"\x89PNG\r\n\x1a\n....", "digit.png")], r"^digit\.png: not a data set file mnistcore can read"),
    ([(npz_bytes(x_train=small_arrays(3)[0], y_train=small_arrays(3)[1]), "a.npz"), (csv_text(*small_arrays(3)).encode(), "b.csv")],
     r"upload a \.npz file on its own"),
    ([], r"no file uploaded"),
])
def test_upload_errors(files, message):
    with pytest.raises(DataError, match=message):
        data.read_uploads(files)


def test_upload_too_large(monkeypatch):
    monkeypatch.setattr(data.guards, "MAX_BYTES", 5000)
    with pytest.raises(DataError, match=r"^big\.csv: larger than 5000 bytes"):
        data.read_upload(b"0," * 5000, "big.csv")
    monkeypatch.setattr(data.guards, "MAX_BYTES", 4000)  # for all files together: one images file fits, not two
    images, labels = small_arrays(3)  # IDX files of 2368 and 11 bytes
    files = [(idx_bytes(images), "a-images"), (gzip.compress(idx_bytes(labels)), "a-labels"),
             (gzip.compress(idx_bytes(images)), "t10k-images")]
    with pytest.raises(DataError, match=r"^t10k-images: decompresses to more than 1621 bytes"):
        data.read_uploads(files)
    files[2] = (idx_bytes(images), "t10k-images")
    with pytest.raises(DataError, match=r"^t10k-images: the uploaded files together are larger than 4000 bytes"):
        data.read_uploads(files)
    assert len(data.read_uploads(files[:2]).x_train) == 3 - 3 // 7


def test_csv_first_row_with_a_stray_exponent_is_data_not_a_header():
    x, y = small_arrays(2)
    lines = csv_text(x, y, header=False).splitlines()
    lines[0] = lines[0].rsplit(",", 1)[0] + ",1e2"
    with pytest.raises(DataError, match=r"line 1, column 785: '1e2' is not a whole number"):
        data.read_csv("\n".join(lines).encode(), name="c.csv")
