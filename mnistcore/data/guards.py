"""Guards on bytes from outside, applied before anything is allocated for them.

- ``read_input``: bytes from bytes, a path or a file object, at most ``MAX_BYTES`` (a path is
  checked with fstat first; a FIFO or device is refused, never read, since it may never end);
- ``gunzip``: gzip members inflated up to a limit, so a gzip bomb is an error, not a full machine;
- ``check_zip_members``: the member count and central-directory size of a zip (.npz) from its
  end record, before ``zipfile`` builds one object per member;
- ``npy_header``: the shape and dtype of a .npy array from its header, before its data is read:
  the one .npy header guard, shared by the .npz data reader and ``mnistcore.checkpoint``.
"""
from __future__ import annotations

import hashlib
import math
import os
import stat
import zipfile
import zlib

import numpy as np

from .dataset import DataError

MAX_BYTES = 200 * 2**20     # largest file (after decompression) we agree to read: MNIST is 47 MB
INFLATE_STEP = 2**20        # bytes inflated per zlib call
MAX_ZIP_MEMBERS = 64        # a data .npz holds 4 arrays, a model 2 per layer and its meta
MAX_ZIP_DIRECTORY = 2**20   # bytes of zip central directory: ~100 per member; 1 MB is far more
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mb(n: int) -> str:
    """`n` bytes for a message: "12 MB", or "1000 bytes" below a megabyte."""
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n} bytes"


def read_input(source, name: str | None) -> tuple[bytes, str]:
    """(bytes, name for messages) from bytes, a path, or a binary file object (e.g. an upload)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = (source if isinstance(source, bytes) else bytes(source)), name or "data"
    elif isinstance(source, (str, os.PathLike)):
        name = name or str(source)
        try:
            # O_NONBLOCK: opening a FIFO that has no writer would otherwise wait forever
            fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            try:
                info = os.fstat(fd)
                if stat.S_ISDIR(info.st_mode):
                    raise IsADirectoryError
                if not stat.S_ISREG(info.st_mode):
                    raise DataError(f"{name}: not a regular file (a pipe or a device); refusing to read it")
                if info.st_size > MAX_BYTES:  # check first: never read a huge file
                    raise DataError(f"{name}: larger than {mb(MAX_BYTES)}; too big for an MNIST-sized data set")
                with open(fd, "rb", closefd=False) as f:
                    data = f.read(MAX_BYTES + 1)
            finally:
                os.close(fd)
        except FileNotFoundError:
            raise DataError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise DataError(f"{name}: is a folder, not a file") from None
        except OSError as e:
            raise DataError(f"{name}: cannot be read ({e.strerror or e})") from None
    elif hasattr(source, "read"):
        name = name or str(getattr(source, "name", "data"))
        data = source.read(MAX_BYTES + 1)
        if not isinstance(data, bytes):
            raise TypeError(f"{name}: open the file in binary mode ('rb')")
    else:
        raise TypeError(f"expected bytes, a path or a binary file, got {type(source).__name__}")
    if len(data) > MAX_BYTES:
        raise DataError(f"{name}: larger than {mb(MAX_BYTES)}; too big for an MNIST-sized data set")
    return data, name


def gunzip(data: bytes, name: str, limit: int | None = None) -> bytearray:
    """The decompressed bytes of a gzip file (one or more members), at most `limit` of them.

    The limit makes a gzip bomb (a small file that inflates to gigabytes) a clear error instead of
    an exhausted machine. zlib also checks each member's CRC-32 and length. Inflated in pieces of
    ``INFLATE_STEP`` into one growing bytearray, so the peak is about the output itself: zlib's
    one-call output is gathered in blocks and joined, twice the output at the end.
    """
    limit = MAX_BYTES if limit is None else limit
    out, rest = bytearray(), data
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: expect a gzip header
        pos, pending = 0, b""
        while not inflater.eof:
            if not pending and pos < len(rest):   # fed in steps too: unconsumed_tail is a copy
                pending, pos = rest[pos:pos + INFLATE_STEP], pos + INFLATE_STEP
            try:
                piece = inflater.decompress(pending, INFLATE_STEP)
            except zlib.error as e:
                raise DataError(f"{name}: damaged gzip data ({e})") from None
            out += piece
            if len(out) > limit:
                raise DataError(f"{name}: decompresses to more than {mb(limit)}; refusing it "
                                "(too big for an MNIST-sized file, or a gzip bomb)")
            pending = inflater.unconsumed_tail
            if not piece and not pending and pos >= len(rest):
                break
        if not inflater.eof:  # all input consumed, the stream not finished
            raise DataError(f"{name}: truncated: the gzip data ends early (an incomplete download?)")
        rest = inflater.unused_data + rest[pos:]
        if not rest.strip(b"\0"):  # gzip tolerates zero padding after the last member
            return out
        if not rest.startswith(GZIP_MAGIC):
            raise DataError(f"{name}: {len(rest)} unexpected bytes after the gzip data")


def maybe_gunzip(data: bytes, name: str, limit: int | None = None) -> bytes:
    """Decompress if the bytes start like gzip (magic 1f 8b), whatever the file is called."""
    return gunzip(data, name, limit) if data[:2] == GZIP_MAGIC else data


def check_zip_members(f, what: str) -> None:
    """Refuse a zip archive (seekable binary file `f`) with too many members, from its end record.

    ``zipfile.ZipFile`` reads the whole central directory into one Python object per member
    (~500 bytes each): a small .npz listing a million empty members costs ~GB before any check.
    The end-of-central-directory record states the member count and the directory's size; they
    are read here the way ``ZipFile`` reads them (``zipfile._EndRecData``, the function it uses,
    so the two can never disagree about which record counts).
    """
    try:
        end = zipfile._EndRecData(f)
    except OSError:
        end = None
    finally:
        f.seek(0)
    if end is None:
        return  # not a zip at all: ZipFile raises BadZipFile, which the caller turns into a message
    count, directory = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if count > MAX_ZIP_MEMBERS or directory > MAX_ZIP_DIRECTORY:
        at_least = "at least " if count == 0xFFFF else ""   # the field's maximum: zip64 says more
        raise DataError(f"{what}: a zip archive of {at_least}{count:,} members ({mb(directory)} of directory); "
                        f"expected at most {MAX_ZIP_MEMBERS} arrays")


def npy_header(f, what: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from the header of the .npy array in binary file `f`, the data left unread.

    Compressed, a huge array of zeros fits in a small file (a zip bomb), so nothing is inflated
    before its header is checked; callers decide what shapes and dtypes they accept. Refuses
    (DataError) Python objects (a pickle: unpickling can run code), .npy versions other than 1.0
    and 2.0, and a header whose size does not fit in memory terms (over 2**63 bytes).
    """
    version = np.lib.format.read_magic(f)  # ValueError (a damaged file) if not an .npy
    read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if read_header is None:
        raise DataError(f"{what}: .npy format version {version} is not supported; expected 1.0 or 2.0")
    try:
        shape, _, dtype = read_header(f)
    except Exception as err:  # NumPy tokenizes and literal_evals the header: any of its errors means damage
        raise DataError(f"{what}: the .npy header is damaged ({type(err).__name__})") from None
    if dtype.hasobject:
        raise DataError(f"{what} holds Python objects (a pickle); refusing to load it "
                        "(unpickling can run code). Save plain arrays instead")
    if math.prod(shape) * dtype.itemsize >= 2**63:
        raise DataError(f"{what}: the header declares shape {shape}, far larger than any array")
    return shape, dtype
