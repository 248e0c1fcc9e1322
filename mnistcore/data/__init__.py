"""MNIST-style data sets: find them, check them, read them, cache them.

A data set is four arrays of 28x28 grayscale images and their labels (``Dataset``). They come from

- ``load("mnist")``: the real MNIST, shipped in ``mnistcore/datasets/mnist/`` (works offline);
- ``load("fashion")``: Fashion-MNIST, found on this machine or downloaded on request;
- ``read_idx`` / ``read_npz`` / ``read_csv`` / ``read_upload(s)``: files a user brings.

Every reader checks what it reads and refuses a bad file with one ``DataError`` (a ``ValueError``)
saying which file and what is wrong, e.g. ``"t10k-labels-idx1-ubyte.gz: truncated: ..."``.

The package, one module per job (each imports only those above it):

    dataset   the Dataset type, as_inputs, summary, DataError
    guards    bytes in: size limits, gzip, zip member counts, the .npy header guard
    files     the published data sets' files and checksums, where to look for them
    idx, npz, csv   the readers of each format
    uploads   what a visitor uploads, sniffed by content
    download  fetching Fashion-MNIST into the cache
    cache     load(): find, verify, decode, and keep the decoded arrays

Folders (environment variables):
    MNISTCORE_DATA_DIR   a folder with your data sets (see ``search_dirs``)
    MNISTCORE_CACHE_DIR  where downloads and decoded arrays go (default ~/.cache/mnistcore)
"""
from .cache import CACHE_FORMAT, load
from .csv import CSV_BLOCK, read_csv
from .dataset import (COLS, FASHION_CLASSES, MNIST_CLASSES, PIXELS, ROWS, Dataset, DataError,
                      as_inputs, summary)
from .files import (CACHE_DIR_ENV, CLASS_NAMES, DATA_DIR_ENV, DATASETS, KNOWN_FILES, PACKAGE_DATA,
                    SPLITS, SUBFOLDERS, SYSTEM_DIRS, TITLES, KnownFile, available, cache_dir,
                    search_dirs)
from .guards import GZIP_MAGIC, MAX_BYTES, ZIP_MAGIC
from .idx import IDX_TYPES, read_idx
from .npz import read_npz
from .uploads import HOLD_OUT, UPLOAD_SEED, read_upload, read_uploads

__all__ = ["CACHE_DIR_ENV", "CACHE_FORMAT", "CLASS_NAMES", "COLS", "CSV_BLOCK", "DATASETS",
           "DATA_DIR_ENV", "FASHION_CLASSES", "GZIP_MAGIC", "HOLD_OUT", "IDX_TYPES", "KNOWN_FILES",
           "KnownFile", "MAX_BYTES", "MNIST_CLASSES", "PACKAGE_DATA", "PIXELS", "ROWS", "SPLITS",
           "SUBFOLDERS", "SYSTEM_DIRS", "TITLES", "UPLOAD_SEED", "ZIP_MAGIC", "Dataset", "DataError",
           "as_inputs", "available", "cache_dir", "load", "read_csv", "read_idx", "read_npz",
           "read_upload", "read_uploads", "search_dirs", "summary"]
