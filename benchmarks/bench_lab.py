"""Timings of the Lab page's heavy work: PCA of the MNIST test set, t-SNE of 1,000 test images.

    python benchmarks/bench_lab.py [--repeat 3]

Prints wall-clock and CPU seconds (best of --repeat) for: PCA of all 10,000 test images as raw
pixels (10000 x 784) and as the shipped model's first hidden layer; t-SNE of the map's 1,000-image
subsample, raw and hidden, at several iteration counts, each with the map's nearest-neighbour
class agreement (what the page shows), which tells how many iterations are worth their time.
CPU seconds count every thread of this process: on a busy machine the wall clock grows, they don't.
"""
from __future__ import annotations

import argparse
import time

from mnistcore import data, embedding, neurons
from mnistcore.predict import load_shipped_model

MAP_POINTS = 1000  # as ui/lab.py


def timed(fn, repeat: int):
    """(result, best wall seconds, best CPU seconds) of fn() over `repeat` runs."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return result, best_wall, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    ds = data.load("mnist")
    model, _ = load_shipped_model()
    X = data.as_inputs(ds.x_test)
    A = neurons.layer_activations(model, X, 0)
    print(f"model {model.sizes}, {len(X):,} test images")
    for name, points in (("raw pixels", X), (f"hidden layer 1 ({A.shape[1]} units)", A)):
        _, wall, cpu = timed(lambda: embedding.pca(points, 2), args.repeat)
        print(f"PCA   {name:<28} {points.shape[0]:>6} x {points.shape[1]:<4} {wall:6.2f} s wall {cpu:6.2f} s CPU")

    idx = embedding.subsample(ds.y_test, MAP_POINTS, seed=0)
    y = ds.y_test[idx]
    for n_iter, early in ((250, 100), (350, 125), (500, 250)):
        for name, points in (("raw pixels", X[idx]), ("hidden layer 1", A[idx])):
            Y, wall, cpu = timed(lambda: embedding.tsne(points, n_iter=n_iter, exaggeration_iter=early),
                                 args.repeat)
            agree = embedding.neighbour_agreement(Y, y, k=5)
            print(f"t-SNE {name:<16} {len(idx)} points, {n_iter} iterations ({early} exaggerated): "
                  f"{wall:6.2f} s wall {cpu:6.2f} s CPU, same-class neighbours {agree:.1%}")


if __name__ == "__main__":
    main()
