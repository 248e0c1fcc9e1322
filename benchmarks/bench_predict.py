"""Latency of the Draw page's reading: a 280x280 RGBA canvas drawing arrives -> prediction.

Times what the page does once the canvas's PNG reaches Python: decode the PNG (as
``CanvasResult.image_data`` does), ``to_mnist`` (crop, fit 20x20, centre), the forward pass and
the hidden activations it shows. The goal is under 100 ms. Prints median and p95 in ms, per stage.

    python benchmarks/bench_predict.py [--model MODEL.npz] [--repeat 200]
"""
from __future__ import annotations

import argparse
import io
import math
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

from mnistcore.checkpoint import load_model
from mnistcore.predict import SHIPPED_MODEL, layer_outputs, predict_image
from mnistcore.preprocess import to_mnist

GOAL_MS = 100.0


def canvas_pngs(n: int, seed: int = 0) -> list[bytes]:
    """n drawings like the canvas sends: 280x280 RGBA PNG, white strokes (pen 20) on black."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        img = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
        d = ImageDraw.Draw(img)
        cx, cy = rng.uniform(90, 190, 2)
        rx, ry = rng.uniform(25, 80), rng.uniform(50, 110)
        t = np.linspace(0, 2 * math.pi * rng.uniform(0.6, 1.0), 40)
        pts = list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))
        d.line(pts, fill=(255, 255, 255, 255), width=20, joint="curve")
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


def percentiles(ms: list[float]) -> str:
    return f"median {np.median(ms):6.2f} ms   p95 {np.percentile(ms, 95):6.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(SHIPPED_MODEL))
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    model, meta = load_model(args.model)
    pngs = canvas_pngs(args.repeat)
    predict_image(model, np.asarray(Image.open(io.BytesIO(pngs[0]))))   # warm up

    stages: dict[str, list[float]] = {"decode PNG": [], "to_mnist": [], "forward + activations": [], "total": []}
    for data in pngs:
        t0 = time.perf_counter()
        image = np.asarray(Image.open(io.BytesIO(data)))
        t1 = time.perf_counter()
        x = to_mnist(image)
        t2 = time.perf_counter()
        layer_outputs(model, x.reshape(1, -1))
        t3 = time.perf_counter()
        for name, (a, b) in zip(stages, [(t0, t1), (t1, t2), (t2, t3), (t0, t3)]):
            stages[name].append((b - a) * 1000)

    sizes = "-".join(map(str, meta["sizes"]))
    print(f"drawing -> prediction, 280x280 RGBA canvas, model {sizes} ({args.repeat} drawings)")
    for name, ms in stages.items():
        print(f"  {name:>22}: {percentiles(ms)}")
    p95 = float(np.percentile(stages["total"], 95))
    print(f"goal < {GOAL_MS:.0f} ms: {'met' if p95 < GOAL_MS else 'MISSED'} (p95 {p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
