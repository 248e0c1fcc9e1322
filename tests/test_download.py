"""mnistcore.download against a local HTTP server on 127.0.0.1: never the network.

The server serves files from a dict and can misbehave on purpose: cut the body short (with or
without a Content-Length), answer 404, or send more than was expected.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from mnistcore import data, download
from mnistcore.data import DataError
from mnistcore.download import DownloadError, download_dataset, download_file

from test_data import make_dataset_folder


class Server:
    """Files at /<name>; modes per name: "ok", "truncate", "no-length-truncate"."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.lstrip("/")
                server.requests.append(name)
                if name not in server.files:
                    self.send_error(404, "Not Found")
                    return
                body, mode = server.files[name], server.modes.get(name, "ok")
                self.send_response(200)
                if mode != "no-length-truncate":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if mode == "ok" else body[: len(body) // 2])
                self.close_connection = True

            def log_message(self, *args):  # keep test output quiet
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client that hung up on purpose
                pass

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)


def sha(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


BODY = bytes(range(256)) * 4000   # ~1 MB: a few chunks


def test_good_download_with_progress(server, tmp_path, monkeypatch):
    monkeypatch.setattr(data.download, "CHUNK", 100_000)
    server.files["a.bin"] = BODY
    calls = []
    dest = download_file(server.url + "a.bin", tmp_path / "out" / "a.bin", sha(BODY),
                         progress=lambda done, total: calls.append((done, total)))
    assert dest.read_bytes() == BODY
    assert leftovers(tmp_path / "out") == ["a.bin"]  # no temporary file left
    assert len(calls) >= 10 and calls[-1] == (len(BODY), len(BODY))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


@pytest.mark.parametrize("mode, message", [
    ("truncate", r"truncated: got 512000 of 1024000 bytes"),
    ("no-length-truncate", r"checksum mismatch"),  # no length to compare: the checksum catches it
])
def test_truncated_download_leaves_nothing(server, tmp_path, mode, message):
    server.files["a.bin"], server.modes["a.bin"] = BODY, mode
    with pytest.raises(DownloadError, match=message):
        download_file(server.url + "a.bin", tmp_path / "a.bin", sha(BODY))
    assert leftovers(tmp_path) == []


def test_checksum_mismatch_keeps_the_previous_file(server, tmp_path):
    server.files["a.bin"] = BODY[:-1] + b"!"  # corrupted in transit, same length
    old = tmp_path / "a.bin"
    old.write_bytes(b"the good old file")
    with pytest.raises(DownloadError, match=rf"a\.bin: checksum mismatch: the download's sha256 is "
                                            rf"{sha(server.files['a.bin'])}, expected {sha(BODY)}.*Nothing was saved"):
        download_file(server.url + "a.bin", old, sha(BODY))
    assert old.read_bytes() == b"the good old file"
    assert leftovers(tmp_path) == ["a.bin"]


def test_more_than_expected_is_stopped(server, tmp_path):
    server.files["a.bin"] = BODY
    with pytest.raises(DownloadError, match=r"announces 1024000 bytes, more than the 1000 expected"):
        download_file(server.url + "a.bin", tmp_path / "a.bin", sha(BODY), size=1000)
    server.modes["a.bin"] = "no-length-truncate"  # no Content-Length: stopped while streaming
    with pytest.raises(DownloadError, match=r"more than the 1000 bytes expected; stopped"):
        download_file(server.url + "a.bin", tmp_path / "a.bin", sha(BODY), size=1000)
    assert leftovers(tmp_path) == []


def test_http_and_connection_errors(server, tmp_path):
    with pytest.raises(DownloadError, match=r"missing\.bin: HTTP error 404"):
        download_file(server.url + "missing.bin", tmp_path / "m.bin", sha(b""))
    url = server.url
    server.close()  # nothing listens on that port any more
    with pytest.raises(DownloadError, match=r"cannot connect"):
        download_file(url + "a.bin", tmp_path / "a.bin", sha(b""), timeout=5)
    with pytest.raises(DownloadError, match=r"only http and https"):
        download_file("file:///etc/passwd", tmp_path / "p", sha(b""))
    assert leftovers(tmp_path) == []


# --- whole data sets -----------------------------------------------------------------------------

@pytest.fixture
def mirror(server, tmp_path, monkeypatch):
    """A local mirror of a small synthetic "Fashion-MNIST" (its checksums patched in)."""
    specs, arrays = make_dataset_folder(tmp_path / "mirror")
    monkeypatch.setitem(data.KNOWN_FILES, "fashion", specs)
    monkeypatch.setitem(data.SYSTEM_DIRS, "fashion", (tmp_path / "no-system-dir",))
    monkeypatch.setitem(download.BASE_URLS, "fashion", server.url)
    for path in (tmp_path / "mirror").iterdir():
        server.files[path.name] = path.read_bytes()
    return specs, arrays


def test_load_downloads_fashion_on_request(mirror, server):
    specs, (x_train, y_train, x_test, y_test) = mirror
    with pytest.raises(DataError, match=r"Fashion-MNIST not found.*download=True"):
        data.load("fashion")
    assert server.requests == []  # never without being asked

    calls = []
    ds = data.load("fashion", download=True, progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(ds.x_train, x_train)
    np.testing.assert_array_equal(ds.y_test, y_test)
    assert ds.class_names == data.FASHION_CLASSES
    total = sum(spec.gz_size for spec in specs)
    assert calls[-1] == (total, total) and all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    folder = data.cache_dir() / "fashion-mnist"
    assert leftovers(folder) == sorted(f"{spec.name}.gz" for spec in specs)
    assert data.available()["fashion"] == str(folder)

    server.requests.clear()
    data.load("fashion", download=True)
    assert server.requests == []  # found in the cache: nothing downloaded again


def test_an_interrupted_dataset_download_resumes_with_the_missing_files(mirror, server):
    specs, _ = mirror
    server.modes["t10k-images-idx3-ubyte.gz"] = "truncate"
    with pytest.raises(DownloadError, match=r"t10k-images-idx3-ubyte\.gz: truncated"):
        data.load("fashion", download=True)
    folder = data.cache_dir() / "fashion-mnist"
    assert leftovers(folder) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert data.available()["fashion"] is None  # half a data set is not a data set

    server.modes.clear()
    server.requests.clear()
    assert data.load("fashion", download=True).x_test.shape == (7, 28, 28)
    assert server.requests == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_a_mirror_serving_other_bytes_is_refused(mirror, server):
    name = "train-labels-idx1-ubyte.gz"
    server.files[name] = gzip.compress(gzip.decompress(server.files[name]), mtime=12345)  # same content
    with pytest.raises(DownloadError, match=rf"{name}: checksum mismatch"):
        download_dataset("fashion")
    assert "train-labels-idx1-ubyte.gz" not in leftovers(data.cache_dir() / "fashion-mnist")


def test_mnist_is_not_downloaded():
    with pytest.raises(DownloadError, match=r"mnist: nothing to download \(it ships with mnistcore\)"):
        download_dataset("mnist")


def test_command_line(mirror, server, tmp_path, capsys):
    base_url = server.url.rstrip("/")  # with or without the final slash
    assert download.main(["fashion", "--dest", str(tmp_path / "here"), "--base-url", base_url]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "here")
    assert len(leftovers(tmp_path / "here")) == 4

    server.files.clear()
    assert download.main(["fashion", "--dest", str(tmp_path / "there")]) == 1
    err = capsys.readouterr().err
    assert "error: " in err and "HTTP error 404" in err and "Traceback" not in err
