"""What the "Inside the network" page costs the first time each tab opens (later: cached).

Runs, cold and in this process, exactly what each tab computes on MNIST with the page's
ready-made configs, and prints the wall time of each with the numbers it found: the gradient
flow runs (sigmoid vs ReLU, and ReLU at three learning rates), the capacity sweep (accuracy and
training time per width), the overfitting runs (full and early-stopped) and the robustness curves
of the shipped model.

    python benchmarks/bench_inside.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_inside.py   # on a busy shared machine
"""
from __future__ import annotations

import time

import numpy as np

from mnistcore import data, diagnostics as dg, robustness as rb
from mnistcore.predict import load_shipped_model


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label:<44} {time.perf_counter() - start:6.2f} s")
    return result


def main() -> None:
    ds = data.load("mnist")
    print("tab / computation                            wall time")
    flows = {k: timed(f"gradient flow: {k}", lambda c=c: dg.gradient_flow(c, ds))
             for k, c in dg.GRADIENT_FLOW_CONFIGS.items()}
    for lr in dg.DEAD_UNIT_LRS[1:]:  # lr 0.1 is the ReLU run above (the page's cache shares it)
        flows[f"relu lr {lr:g}"] = timed(f"dead units: relu lr {lr:g}", lambda lr=lr: dg.gradient_flow(
            dg.GRADIENT_FLOW_CONFIGS["relu"].replace(lr=lr), ds))
    points = timed("capacity sweep (5 widths)", lambda: list(dg.capacity_sweep(ds)))
    base = dg.OVERFIT_CONFIG
    full = timed("overfitting: full run", lambda: dg.fit_curves(base, ds))
    stopped = timed("overfitting: early stopping, patience 5", lambda: dg.fit_curves(base.replace(early_stopping=5), ds))
    model, _ = load_shipped_model()
    curves = timed("robustness: shipped model, 2,000 images", lambda: rb.robustness_curves(
        model, ds.x_test[:2000], ds.y_test[:2000]))

    print("\ngradient flow: median first/last layer |dW|, test accuracy, dead units per layer")
    for name, f in flows.items():
        print(f"  {name:<16} {np.median(f.first_over_last):9.2e}  {f.test_accuracy:6.1%}  "
              f"{np.round(f.dead * 100).astype(int)} %  ({f.status})")
    print("\ncapacity: width, parameters, train acc, test acc, training seconds")
    for p in points:
        print(f"  {p.width:4d} {p.parameters:8,d} {p.train_accuracy:7.2%} {p.test_accuracy:7.2%} {p.train_seconds:6.2f} s")
    print(f"\noverfitting: best epoch {full.best_epoch} of {len(full.epoch)}; early stopping stopped after "
          f"{len(stopped.epoch)}; test loss/acc restored {stopped.test_loss:.3f}/{stopped.test_accuracy:.2%}, "
          f"all epochs {full.test_loss:.3f}/{full.test_accuracy:.2%}")
    print("\nrobustness of the shipped model:")
    for kind, c in curves.items():
        print(f"  {kind:<9} " + "  ".join(f"{lv:g}: {a:.1%}" for lv, a in zip(c.levels, c.accuracy)))


if __name__ == "__main__":
    main()
