"""Peak memory of the worst input of each class of issue 19, each read in a fresh process.

For every case the input is written to a temporary file first; a new Python process imports
mnistcore, reads the file's bytes (as an upload arrives: in memory), and only then runs the
reader (or, for the demo limits, checks a run's config and trains it if allowed). It prints, per case: the input's size, what came out (refused, with the start of the
message, or accepted), the Python peak (tracemalloc: NumPy buffers and every Python object) and
the resident-memory peak above the process's size just before the call (VmHWM after resetting
it through /proc/self/clear_refs, Linux; so also Pillow's and zlib's C buffers).

    python benchmarks/bench_hardening.py [--quick]

--quick uses inputs ten times smaller (the bounds scale with them). Figures from a busy machine
are noisy in time, not in memory; they are what README's "What was tested for a hosted demo" cites.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]  # the crafted inputs; mnistcore is installed (pyproject.toml)
MB = 2**20

# the crafted inputs are those of the tests (one home for how a bomb is made)
from test_hardening_inputs import many_members_zip, png_header  # noqa: E402

RUNNER = r"""
import tracemalloc
from mnistcore import data
from mnistcore.checkpoint import load_model
from mnistcore.predict import predict_image, load_shipped_model
from mnistcore.preprocess import canvas_image, display_image, load_image
model, _ = load_shipped_model()

def picture(blob):           # what the Draw page does with an upload
    image = load_image(blob)
    display_image(image)
    predict_image(model, image)

def canvas(blob):            # ... and with the canvas's PNG
    predict_image(model, canvas_image(blob))

def run(blob):               # what the Train page does with a config: check the limits, then train
    import json
    from mnistcore.config import TrainConfig
    from mnistcore.train import Trainer
    from ui import limits
    config = TrainConfig.from_dict(json.loads(blob))
    refused = limits.problems(config, len(ds.y_train), limits.Limits())
    if refused:
        raise ValueError(refused[0])
    for _ in Trainer(config, ds).run():
        pass

readers = {{"upload": lambda blob: data.read_upload(blob, {name!r}), "model": load_model,
           "picture": picture, "canvas": canvas, "run": run}}
blob = open({path!r}, "rb").read()
ds = data.load("mnist") if {reader!r} == "run" else None   # shared by all visitors: not the run's

def kib(field):              # a line of /proc/self/status, in KiB
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field))

open("/proc/self/clear_refs", "w").write("5")   # reset the resident high-water mark (Linux)
before = kib("VmRSS:")
tracemalloc.start()
try:
    readers[{reader!r}](blob)
    outcome = "accepted"
except ValueError as e:
    outcome = "refused: " + str(e)[:70]
peak = tracemalloc.get_traced_memory()[1]
after = kib("VmHWM:")
print(f"{{peak}}\t{{(after - before) * 1024}}\t{{outcome}}")
"""


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def model_with_meta(meta) -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), W0=rng.random((784, 10), np.float32),
             b0=np.zeros(10, np.float32))
    return buffer.getvalue()


def cases(scale: int):
    """(class, case, reader, file name, bytes) for the worst input of each class we know of."""
    row = (",".join(["3"] + ["0"] * 784) + "\n").encode()
    side = 4096 // (1 if scale == 1 else 3)
    noise = np.random.default_rng(0).integers(0, 256, (side, side, 4), np.uint8)
    noise[..., 3] = 255
    noise[side // 4:3 * side // 4, 2 * side // 5:3 * side // 5, :3] = 255   # a stroke: a digit to read
    from mnistcore import data  # the MNIST rows for the accepted CSV
    x = data.read_idx(ROOT / "mnistcore/datasets/mnist/train-images-idx3-ubyte.gz")[: 60000 // scale]
    y = data.read_idx(ROOT / "mnistcore/datasets/mnist/train-labels-idx1-ubyte.gz")[: 60000 // scale]
    csv = "\n".join(",".join(map(str, (label, *image.ravel()))) for label, image in zip(y, x)).encode()
    # just under the 200 MB that any upload may inflate to
    yield ("memory", f"CSV: 1 row + {195 // scale} MB of blank lines (gz)", "upload", "bomb.csv.gz",
           gzip.compress(row + b"\n" * (195 * MB // scale), 1))
    yield ("memory", f"CSV: 1 row + {97 // scale}M lines '1' (gz)", "upload", "short.csv.gz",
           gzip.compress(row + b"1\n" * (97 * MB // scale), 1))
    yield ("memory", f"CSV: one line of {198 // scale} MB (gz)", "upload", "line.csv.gz",
           gzip.compress(b"1," * (99 * MB // scale), 1))
    yield ("memory", f"CSV accepted: {len(x):,} MNIST rows ({len(csv) / MB:.0f} MB)", "upload", "mnist.csv", csv)
    yield ("memory", f".npz data set of {500_000 // scale:,} members", "upload", "many.npz",
           many_members_zip(500_000 // scale))
    yield ("memory", f"model file of {500_000 // scale:,} members", "model", "many.npz",
           many_members_zip(500_000 // scale))
    yield ("memory", "PNG claiming 60000x60000 (upload)", "picture", "", png_header(60000, 60000))
    yield ("memory", "PNG claiming 60000x60000 (canvas)", "canvas", "", png_header(60000, 60000))
    yield ("pictures", f"PNG accepted: {side}x{side} RGBA noise, shown and read", "picture", "", png(noise))
    yield ("pictures", f"canvas PNG accepted: {side}x{side} RGBA", "canvas", "", png(noise))
    yield ("metadata", "meta of ~1 MB (the limit): nested lists as config", "model", "",
           model_with_meta({"format": "mnistcore-mlp", "version": 1, "sizes": [784, 10], "activation": "relu",
                            "loss": "ce", "config": [[[[0] * 8] * 8] * 8] * (150 // scale)}))
    yield ("metadata", "meta with every field of the wrong type", "model", "",
           model_with_meta({"format": "mnistcore-mlp", "version": 1, "sizes": [784, 10], "activation": ["relu"],
                            "loss": {"ce": 1}, "class_names": list(range(10)), "config": "x"}))
    yield from run_cases()


def run_cases():
    """Demo limits (issue 19): the runs the limits refuse and the largest full batch they accept."""
    from mnistcore.config import TrainConfig
    from mnistcore.cost import run_cost
    from ui import limits
    wide = TrainConfig(hidden=(1024,) * 3, batch_size=0, epochs=1)
    accepted, _ = limits.fit(wide, 60_000, limits.Limits())
    for label, config in (("full batch, 3x1024, 60,000 images", wide),
                          ("batch 2, 3x1024, 300 epochs", wide.replace(batch_size=2, epochs=300)),
                          (f"largest full batch accepted: 3x1024, {accepted.train_size:,} images", accepted)):
        estimate = run_cost(config, 60_000).peak_mb
        yield ("limits", f"{label} (est. {estimate:,.0f} MB)", "run", "", json.dumps(config.to_dict()).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="inputs ten times smaller")
    args = parser.parse_args()
    print(f"{'class':<9} {'case':<52} {'input':>9} {'py peak':>9} {'RSS peak':>9}  outcome")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, case, reader, name, blob in cases(10 if args.quick else 1):
            path = Path(tmp) / "input"
            path.write_bytes(blob)
            code = RUNNER.format(name=name or "x", path=str(path), reader=reader)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
            if out.returncode:
                print(f"{kind:<9} {case:<52} FAILED: {out.stderr.strip().splitlines()[-1]}")
                continue
            peak, rss, outcome = out.stdout.strip().split("\t", 2)
            print(f"{kind:<9} {case:<52} {len(blob) / MB:>7.1f}MB {int(peak) / MB:>7.1f}MB "
                  f"{int(rss) / MB:>7.1f}MB  {outcome}", flush=True)


if __name__ == "__main__":
    main()
