"""Download a data set's files into the cache folder: streamed, checksummed, written atomically.

Each file is streamed into a temporary file beside its destination while its sha256 is computed,
and renamed into place (``os.replace``, atomic) only once the checksum matches. So a download that
is interrupted, truncated or corrupted leaves nothing behind, and a file under the real name is
always complete and verified: a half-finished download is never taken for data.

``load(name, download=True)`` calls ``download_dataset``; the command line is ``python -m
mnistcore.download`` (``mnistcore/download.py``, which only parses arguments and shows progress).
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from . import guards
from .dataset import DataError
from .files import KNOWN_FILES, SUBFOLDERS, cache_dir

# Zalando's official mirror (the links in github.com/zalandoresearch/fashion-mnist's README). Plain
# http, as the bucket serves it; integrity comes from the sha256 check, not from the transport.
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
BASE_URLS = {"fashion": FASHION_URL}
CHUNK = 1 << 20      # bytes read per step: progress moves often, memory stays flat
TIMEOUT = 30.0       # seconds without any data before giving up

Progress = Callable[[int, int], None]   # progress(bytes_done, bytes_total)


class DownloadError(DataError):
    """A download that failed; nothing was saved. The message names the URL and the reason."""


def download_dataset(name: str = "fashion", dest: str | os.PathLike | None = None,
                     base_url: str | None = None, progress: Progress | None = None,
                     timeout: float = TIMEOUT) -> Path:
    """Download the four .gz files of `name` into `dest` (default: the cache), return the folder.

    Files already there with a good checksum are kept, so an interrupted download resumes with the
    files it lacks. ``progress(done, total)`` gets bytes over all four files (total ~ 30 MB).
    """
    if name not in BASE_URLS:
        shipped = " (it ships with mnistcore)" if name == "mnist" else ""
        raise DownloadError(f"{name}: nothing to download{shipped}; downloadable: {', '.join(BASE_URLS)}")
    folder = Path(dest) if dest is not None else cache_dir() / SUBFOLDERS[name]
    base_url = (base_url or BASE_URLS[name]).rstrip("/") + "/"  # so that urljoin appends the name
    specs = KNOWN_FILES[name]
    total = sum(spec.gz_size for spec in specs)
    done = 0
    for spec in specs:
        target = folder / f"{spec.name}.gz"
        if not _has_good_copy(target, spec.gz_sha256):
            def file_progress(file_done: int, _file_total: int, start: int = done) -> None:
                if progress:
                    progress(start + file_done, total)

            download_file(urllib.parse.urljoin(base_url, target.name), target, spec.gz_sha256[0],
                          size=spec.gz_size, progress=file_progress, timeout=timeout)
        done += spec.gz_size
        if progress:
            progress(done, total)
    return folder


def _has_good_copy(path: Path, sha256s: tuple[str, ...]) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() in sha256s
    except OSError:
        return False


def download_file(url: str, dest: str | os.PathLike, sha256: str, *, size: int | None = None,
                  progress: Progress | None = None, timeout: float = TIMEOUT) -> Path:
    """Download `url` to `dest` if, and only if, its content has the given sha256.

    Streams into a temporary file in dest's folder (same file system, so the final rename is
    atomic), hashing as it goes; a response shorter than its Content-Length, longer than `size`
    (when given) or with another checksum raises DownloadError and leaves no file behind. An
    existing `dest` is replaced only by a verified download. ``progress(done, total)`` is called
    after every chunk; total is the Content-Length, else `size`, else 0 (unknown).
    """
    dest = Path(dest)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DownloadError(f"{url}: only http and https URLs can be downloaded")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as e:
        raise DownloadError(f"{dest}: cannot write here ({e.strerror or e})") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _stream(url, out, size, progress, timeout)
            out.flush()
            os.fsync(out.fileno())
        if digest != sha256:
            raise DownloadError(f"{url}: checksum mismatch: the download's sha256 is {digest}, expected "
                                f"{sha256}; the file is damaged or not the expected one. Nothing was saved")
        os.replace(tmp, dest)
    except OSError as e:  # writing: disk full, permissions
        raise DownloadError(f"{dest}: cannot save the download ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _stream(url: str, out, size: int | None, progress: Progress | None, timeout: float) -> str:
    """Copy the response body of `url` to `out`; return its sha256. Network errors: DownloadError."""
    hasher, done = hashlib.sha256(), 0
    limit = size if size is not None else guards.MAX_BYTES  # never more than that, whatever the server says
    request = urllib.request.Request(url, headers={"User-Agent": "mnistcore"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            if expected is not None and expected > limit:
                raise DownloadError(f"{url}: the server announces {expected} bytes, more than the "
                                    f"{limit} expected; not downloading it")
            total = expected or size or 0
            while chunk := response.read(CHUNK):
                done += len(chunk)
                if done > limit:
                    raise DownloadError(f"{url}: more than the {limit} bytes expected; stopped")
                hasher.update(chunk)
                out.write(chunk)
                if progress:
                    progress(done, total)
            if expected is not None and done < expected:
                raise DownloadError(f"{url}: truncated: got {done} of {expected} bytes")
    except DownloadError:
        raise
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{url}: HTTP error {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: cannot connect ({e.reason})") from None
    except http.client.IncompleteRead as e:
        raise DownloadError(f"{url}: truncated: the connection closed after {done + len(e.partial)} "
                            "bytes") from None
    except (http.client.HTTPException, TimeoutError, ConnectionError) as e:
        raise DownloadError(f"{url}: the download failed ({type(e).__name__}: {e})") from None
    return hasher.hexdigest()
