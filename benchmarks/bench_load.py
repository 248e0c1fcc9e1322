"""How long loading a data set takes: gzip decoding versus the decoded-array cache.

    python benchmarks/bench_load.py [--repeat 3]

Prints, for MNIST (and Fashion-MNIST when found), the best of --repeat runs of:
- decode: read the four .gz files, gunzip and parse them (what every load would cost without a cache);
- hash:   sha256 of the four files (paid on every load: the checksum check);
- cold:   load() in a fresh process with an empty cache (decode + checks + writing the cache);
- warm:   load() in a fresh process once the cache exists (the second process).
Each load runs in its own process, with its own temporary cache folder, so nothing is warm by
accident and the user's cache is not touched. ("import" is the time to import mnistcore.data,
mostly NumPy, shown for scale.)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from mnistcore import data

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from mnistcore import data
t1 = time.perf_counter()
ds = data.load(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "train": len(ds.x_train)}))
"""


def load_in_new_process(name: str, cache: Path) -> dict:
    env = {**os.environ, data.CACHE_DIR_ENV: str(cache)}
    out = subprocess.run([sys.executable, "-c", CHILD, name], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench(name: str, repeat: int) -> None:
    folder = Path(data.available()[name])
    paths = data.files.files_in(folder, name)

    def decode():
        for path in paths:
            data.read_idx(path)

    def hash_files():
        for path in paths:
            hashlib.sha256(path.read_bytes()).hexdigest()

    rows = {"decode (gunzip + parse, in process)": best_of(repeat, decode),
            "hash (sha256 of the .gz files)": best_of(repeat, hash_files)}
    cold, warm, imports = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-load-") as cache:
            first = load_in_new_process(name, Path(cache))
            second = load_in_new_process(name, Path(cache))
        cold.append(first["load"])
        warm.append(second["load"])
        imports.append(second["import"])
    rows["cold load() (new process, empty cache)"] = min(cold)
    rows["warm load() (new process, cache present)"] = min(warm)
    rows["import mnistcore.data (for scale)"] = min(imports)
    print(f"\n{data.TITLES[name]} from {folder}  (best of {repeat})")
    for label, seconds in rows.items():
        print(f"  {label:<42} {seconds * 1000:8.1f} ms")
    print(f"  speed-up of the cache (cold / warm)        {min(cold) / min(warm):8.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    for name, folder in data.available().items():
        if folder:
            bench(name, args.repeat)
        else:
            print(f"\n{data.TITLES[name]}: not found, skipped")


if __name__ == "__main__":
    main()
