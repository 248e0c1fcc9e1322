"""The published data sets: their files, checksums and class names, and where to look for them.

``search_dirs(name)`` lists the folders ``load`` tries; ``available()`` says, by file names alone,
where each data set would load from; ``cache_dir()`` is where downloads and decoded arrays go.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .dataset import FASHION_CLASSES, MNIST_CLASSES, DataError
from .guards import GZIP_MAGIC, gunzip, sha256

DATASETS = ("mnist", "fashion")
CLASS_NAMES = {"mnist": MNIST_CLASSES, "fashion": FASHION_CLASSES}
TITLES = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}


@dataclass(frozen=True)
class KnownFile:
    """One of the four IDX files of a published data set, and how to recognise it.

    ``gz_sha256`` are checksums of good .gz files (the official one first: downloads must match
    it). Any other compression of the same data is accepted too, by ``raw_sha256``, the checksum of
    the decompressed bytes: the content, whatever the compression.
    """
    name: str                    # file name without .gz, e.g. "train-images-idx3-ubyte"
    gz_sha256: tuple[str, ...]
    raw_sha256: str
    gz_size: int                 # bytes of the first .gz (download progress)


KNOWN_FILES: dict[str, tuple[KnownFile, ...]] = {
    # the .gz checksums are those of mnistcore/datasets/mnist/SHA256SUMS (train-images was
    # recompressed); the raw ones those of the original files, as mnist/README.md lists them.
    "mnist": (
        KnownFile("train-images-idx3-ubyte",
                  ("db8f937d487057fb14a9f0fbe97f0bc8d311ab41b750d41e1ff37c43b9e55e19",),
                  "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 9630634),
        KnownFile("train-labels-idx1-ubyte",
                  ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
                  "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 28881),
        KnownFile("t10k-images-idx3-ubyte",
                  ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
                  "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 1648877),
        KnownFile("t10k-labels-idx1-ubyte",
                  ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
                  "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 4542),
    ),
    # first: the official .gz files (zalandoresearch/fashion-mnist, the S3 mirror); second: the
    # Debian package dataset-fashion-mnist, whose .gz files were recompressed without the original
    # file name (23-24 bytes shorter) but decompress to the official bytes (raw_sha256).
    "fashion": (
        KnownFile("train-images-idx3-ubyte",
                  ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                   "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
                  "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 26421880),
        KnownFile("train-labels-idx1-ubyte",
                  ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                   "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
                  "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 29515),
        KnownFile("t10k-images-idx3-ubyte",
                  ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                   "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
                  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 4422102),
        KnownFile("t10k-labels-idx1-ubyte",
                  ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                   "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
                  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 5148),
    ),
}
SPLITS = ("x_train", "y_train", "x_test", "y_test")   # the order of the four files above

PACKAGE_DATA = Path(__file__).resolve().parent.parent / "datasets"
SUBFOLDERS = {"mnist": "mnist", "fashion": "fashion-mnist"}
SYSTEM_DIRS = {"mnist": (PACKAGE_DATA / "mnist",),
               "fashion": (Path("/usr/share/datasets/fashion-mnist"),)}   # apt install dataset-fashion-mnist
DATA_DIR_ENV = "MNISTCORE_DATA_DIR"
CACHE_DIR_ENV = "MNISTCORE_CACHE_DIR"


def cache_dir() -> Path:
    """Where downloads and decoded arrays go: $MNISTCORE_CACHE_DIR, else ~/.cache/mnistcore."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mnistcore"


def search_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders ``load(name)`` looks in, first match wins.

    For each of ``data_dir`` and $MNISTCORE_DATA_DIR: its subfolder (``mnist/`` or
    ``fashion-mnist/``), then the folder itself; then the system folder (the copy shipped in the
    package for MNIST, /usr/share/datasets/fashion-mnist for Fashion-MNIST); then the cache, where
    downloads go. A folder that holds the other data set's files is passed over (``find``).
    """
    check_name(name)
    dirs = []
    for folder in (data_dir, os.environ.get(DATA_DIR_ENV)):
        if folder:
            folder = Path(folder).expanduser()
            dirs += [folder / SUBFOLDERS[name], folder]
    return [*dirs, *SYSTEM_DIRS[name], cache_dir() / SUBFOLDERS[name]]


def available(data_dir: str | os.PathLike | None = None) -> dict[str, str | None]:
    """{"mnist": folder, "fashion": folder or None}: where each data set would load from.

    Looks at file names only (and one small labels file), without reading the data: cheap enough
    for every page run. ``load`` still checks every file.
    """
    return {name: (str(found) if (found := find(name, data_dir)[0]) else None) for name in DATASETS}


def check_name(name: str) -> None:
    if name not in KNOWN_FILES:
        raise DataError(f"{name!r}: unknown data set; expected one of {', '.join(map(repr, DATASETS))}")


def files_in(folder: Path, name: str) -> list[Path | None]:
    """The path of each of the data set's four files in `folder` (.gz or not), None if absent."""
    found = []
    for spec in KNOWN_FILES[name]:
        paths = [folder / f"{spec.name}.gz", folder / spec.name]
        found.append(next((p for p in paths if _is_file(p)), None))
    return found


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a folder we may not enter: nothing usable there
        return False


def _holds_other_dataset(folder: Path, name: str, labels: Path) -> bool:
    """True if the folder's train-labels file is another known data set's (same file names!)."""
    try:
        if labels.stat().st_size > 2**20:
            return False
        blob = labels.read_bytes()
        digests = {sha256(blob)}
        own = KNOWN_FILES[name][1]
        if digests & {*own.gz_sha256, own.raw_sha256}:
            return False
        if blob[:2] == GZIP_MAGIC:
            digests.add(sha256(gunzip(blob, str(labels))))
    except (OSError, DataError):
        return False  # unreadable: not evidence of another data set; load() will say what is wrong
    return any(digests & {*other[1].gz_sha256, other[1].raw_sha256}
               for other_name, other in KNOWN_FILES.items() if other_name != name)


def find(name: str, data_dir=None) -> tuple[Path | None, list[str]]:
    """The first folder holding all four files of `name`, and notes on the folders tried."""
    notes = []
    for folder in search_dirs(name, data_dir):
        files = files_in(folder, name)
        if all(files):
            if _holds_other_dataset(folder, name, files[1]):
                notes.append(f"{folder} (holds another data set)")
                continue
            return folder, notes
        if any(files):
            missing = [f"{spec.name}.gz" for spec, f in zip(KNOWN_FILES[name], files) if f is None]
            notes.append(f"{folder} (missing {', '.join(missing)})")
        else:
            notes.append(str(folder))
    return None, notes
