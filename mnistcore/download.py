"""``python -m mnistcore.download NAME``: download a data set into the cache, with a progress bar.

The downloading itself (streamed, checksummed, written atomically) is ``mnistcore.data.download``;
its names are re-exported here, so ``from mnistcore.download import download_dataset`` works.
"""
from __future__ import annotations

import sys

from mnistcore.data import DATASETS, DataError
from mnistcore.data.download import (BASE_URLS, CHUNK, FASHION_URL, TIMEOUT, DownloadError, Progress,
                                     download_dataset, download_file)

__all__ = ["BASE_URLS", "CHUNK", "FASHION_URL", "TIMEOUT", "DownloadError", "Progress",
           "download_dataset", "download_file", "main"]


def main(argv: list[str] | None = None) -> int:
    """``python -m mnistcore.download NAME``: download with a progress bar on stderr."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m mnistcore.download", description="Download a data set's files into the cache folder: streamed, checksummed, written atomically.")
    parser.add_argument("name", choices=[n for n in DATASETS if n in BASE_URLS])
    parser.add_argument("--dest", help="folder to download into (default: the cache folder, "
                                       "where mnistcore.data.load looks)")
    parser.add_argument("--base-url", help="URL of the folder holding the .gz files")
    args = parser.parse_args(argv)
    try:
        from tqdm import tqdm
        bar = tqdm(unit="B", unit_scale=True, desc=args.name, file=sys.stderr)
    except ImportError:
        bar = None

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        folder = download_dataset(args.name, args.dest, args.base_url, progress)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
