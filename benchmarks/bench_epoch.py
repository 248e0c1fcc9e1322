"""How close is one training epoch to the floor set by its matrix products?

Times one epoch of 784-128-10, batch 128, SGD, on the full 60,000 training
images, and in the same run the epoch's matrix products alone in float32
(forward X@W1, h@W2; backward h.T@d2, d2@W2.T, X.T@d1 for every batch): the
BLAS floor that no NumPy MLP can go under. Prints both and their ratio.

    python benchmarks/bench_epoch.py [--repeats 5] [--hidden 128]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from mnistcore import data
from mnistcore.config import TrainConfig
from mnistcore.train import Trainer, as_inputs


def matmul_floor(n: int, batch: int, sizes: tuple[int, ...], rng: np.random.Generator) -> float:
    """Seconds for one epoch's worth of the forward and backward matrix products, float32."""
    X = rng.random((batch, sizes[0]), dtype=np.float32)
    W = [rng.standard_normal((i, o), dtype=np.float32) for i, o in zip(sizes[:-1], sizes[1:])]
    acts = [X] + [rng.random((batch, o), dtype=np.float32) for o in sizes[1:-1]]
    deltas = [rng.random((batch, o), dtype=np.float32) for o in sizes[1:]]
    steps = -(-n // batch)
    start = time.perf_counter()
    for _ in range(steps):
        for a, w in zip(acts, W):
            a @ w                                  # forward
        for l in range(len(W) - 1, -1, -1):
            acts[l].T @ deltas[l]                  # dW
            if l:
                deltas[l] @ W[l].T                 # delta for the layer below
    return time.perf_counter() - start


def epoch_time(dataset: data.Dataset, hidden: tuple[int, ...], inputs: str) -> float:
    """Seconds of training for one epoch (Trainer's own clock: no evaluation included)."""
    config = TrainConfig(hidden=hidden, epochs=1, batch_size=128, lr=0.1)
    x = dataset.x_train if inputs == "uint8" else as_inputs(dataset.x_train)
    trainer = Trainer(config, (x, dataset.y_train, dataset.x_test[:0], dataset.y_test[:0]),
                      points_per_epoch=1, score_steps=False)
    for _ in trainer.run():
        pass
    return trainer.train_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--hidden", default="128")
    args = parser.parse_args()
    hidden = tuple(int(h) for h in args.hidden.split(","))
    dataset = data.load("mnist")
    n, sizes = len(dataset.y_train), (784, *hidden, 10)
    rng = np.random.default_rng(0)
    matmul_floor(n, 128, sizes, rng)  # warm up BLAS threads and caches
    epoch_time(dataset, hidden, "float32")
    floors, epochs_f32, epochs_u8 = [], [], []
    for _ in range(args.repeats):  # interleaved, so a busy moment hits all three alike
        floors.append(matmul_floor(n, 128, sizes, rng))
        epochs_f32.append(epoch_time(dataset, hidden, "float32"))
        epochs_u8.append(epoch_time(dataset, hidden, "uint8"))
    floor, e32, e8 = (float(np.median(t)) for t in (floors, epochs_f32, epochs_u8))
    print(f"network {'-'.join(map(str, sizes))}, batch 128, {n} images, median of {args.repeats}")
    print(f"matrix products alone (BLAS floor): {floor:.3f} s")
    print(f"epoch, float32 inputs:              {e32:.3f} s   ratio {e32 / floor:.2f}x")
    print(f"epoch, uint8 images (as the app):   {e8:.3f} s   ratio {e8 / floor:.2f}x")


if __name__ == "__main__":
    main()
