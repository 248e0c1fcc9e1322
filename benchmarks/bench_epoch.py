"""How close is one training epoch to the floor set by its matrix products, and to the peers?

Times one epoch of 784-128-10, batch 128, SGD (lr 0.1), on the full 60,000 training images,
and in the same run the epoch's matrix products alone in float32 (forward X@W1, h@W2;
backward h.T@d2, d2@W2.T, X.T@d1 for every batch): the BLAS floor that no NumPy MLP can go
under. Where PyTorch or JAX is installed, the same epoch (same network, batch, optimizer and
float32 inputs) is timed with it too; a peer that is missing is skipped with a note.

The measurements are interleaved round by round and each round's epoch is divided by the same
round's floor, so a busy moment of a shared machine hits numerator and denominator alike; the
script prints the median of those per-round ratios and, beside it, the best round's, and what a
step spends beyond its products (gather, bias, ReLU, loss, update and Python), in µs. It also
prints the BLAS it ran on: OPENBLAS_CORETYPE (set on some machines) picks an older kernel,
which makes the floor slower and the ratio look better than on a current kernel.

    python benchmarks/bench_epoch.py [--repeats 7] [--hidden 128]

On a machine that other work keeps busy, two BLAS threads spin and wait for a core and the
floor's products slow far more than the epoch does (seen here: a "ratio" of 0.44x). There,
`OPENBLAS_NUM_THREADS=1 python benchmarks/bench_epoch.py` compares like with like; the figure
that counts is the one of a quiet machine with the default threads.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Callable

import numpy as np

from mnistcore import data
from mnistcore.config import TrainConfig
from mnistcore.losses import LOSSES
from mnistcore.train import Trainer, as_inputs

BATCH, LR = 128, 0.1


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


def epoch_time(dataset: data.Dataset, hidden: tuple[int, ...], x: np.ndarray) -> float:
    """Seconds of training for one epoch on images ``x`` (Trainer's own clock: no evaluation)."""
    config = TrainConfig(hidden=hidden, epochs=1, batch_size=BATCH, lr=LR)
    trainer = Trainer(config, (x, dataset.y_train, dataset.x_test[:0], dataset.y_test[:0]),
                      points_per_epoch=1, score_steps=False)
    for _ in trainer.run():
        pass
    return trainer.train_seconds


def step_parts(dataset: data.Dataset, hidden: tuple[int, ...]) -> dict[str, float]:
    """µs a step of each part of the engine's own step, over one epoch: the parts without a
    matrix product (batch, loss, update) show what the element-wise work costs."""
    config = TrainConfig(hidden=hidden, epochs=1, batch_size=BATCH, lr=LR)
    trainer = Trainer(config, (dataset.x_train, dataset.y_train, dataset.x_test[:0], dataset.y_test[:0]))
    model, y = trainer.model, trainer.y
    order = trainer.rng.permutation(trainer.train_idx)
    parts = dict.fromkeys(("gather and scale the batch", "forward (2 products)", "softmax and loss",
                           "backward (3 products)", "update"), 0.0)
    clocks = list(parts)
    steps = len(order) // BATCH
    for i in range(steps):
        idx = order[i * BATCH:(i + 1) * BATCH]
        t = [time.perf_counter()]
        X = trainer._batch(idx)
        t.append(time.perf_counter())
        z = model.forward(X, keep=True)
        t.append(time.perf_counter())
        LOSSES["ce"].loss_and_delta(z, y[idx], LR)
        t.append(time.perf_counter())
        grads = model.backward(z)
        t.append(time.perf_counter())
        trainer.optimizer.step(grads, 1.0)
        t.append(time.perf_counter())
        for name, a, b in zip(clocks, t, t[1:]):
            parts[name] += b - a
    return {name: seconds / steps * 1e6 for name, seconds in parts.items()}


def torch_epoch(sizes: tuple[int, ...]) -> Callable[[np.ndarray, np.ndarray], float] | None:
    """A function timing one PyTorch epoch of the same work, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None

    def run(x: np.ndarray, y: np.ndarray) -> float:
        torch.manual_seed(0)
        layers: list = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [torch.nn.Linear(fan_in, fan_out)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        X, Y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
        start = time.perf_counter()
        order = torch.randperm(len(Y))
        for i in range(0, len(Y), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(X[idx]), Y[idx]).backward()
            opt.step()
        return time.perf_counter() - start
    return run


def jax_epoch(sizes: tuple[int, ...]) -> Callable[[np.ndarray, np.ndarray], float] | None:
    """A function timing one JAX epoch of the same work (jit-compiled step, compiled before the
    clock starts), or None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None

    def loss(params, xb, yb):
        a = xb
        for W, b in params[:-1]:
            a = jax.nn.relu(a @ W + b)
        z = a @ params[-1][0] + params[-1][1]
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z), yb[:, None], axis=1))

    @jax.jit
    def step(params, xb, yb):
        grads = jax.grad(loss)(params, xb, yb)
        return [(W - LR * dW, b - LR * db) for (W, b), (dW, db) in zip(params, grads)]

    def run(x: np.ndarray, y: np.ndarray) -> float:
        rng = np.random.default_rng(0)
        params = [(jnp.asarray(rng.standard_normal((i, o), dtype=np.float32) * np.sqrt(2 / i)),
                   jnp.zeros(o, jnp.float32)) for i, o in zip(sizes[:-1], sizes[1:])]
        X, Y = jnp.asarray(x), jnp.asarray(y.astype(np.int32))
        full = len(y) // BATCH * BATCH          # whole batches only: one compiled shape
        jax.block_until_ready(step(params, X[:BATCH], Y[:BATCH]))
        start = time.perf_counter()
        order = jnp.asarray(rng.permutation(len(y))[:full].reshape(-1, BATCH))
        for idx in order:
            params = step(params, X[idx], Y[idx])
        jax.block_until_ready(params)
        return (time.perf_counter() - start) * len(y) / full
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--hidden", default="128")
    args = parser.parse_args()
    hidden = tuple(int(h) for h in args.hidden.split(","))
    dataset = data.load("mnist")
    n, sizes = len(dataset.y_train), (784, *hidden, 10)
    x_uint8 = dataset.x_train
    x_float = as_inputs(dataset.x_train)        # converted once, outside every clock
    y = np.asarray(dataset.y_train)
    rng = np.random.default_rng(0)

    runs: dict[str, Callable[[], float]] = {
        "epoch, uint8 images (as the app)": lambda: epoch_time(dataset, hidden, x_uint8),
        "epoch, float32 inputs": lambda: epoch_time(dataset, hidden, x_float),
    }
    notes = []
    for peer, make in (("PyTorch", torch_epoch), ("JAX", jax_epoch)):
        fn = make(sizes)
        if fn is None:
            notes.append(f"{peer}: not installed, skipped")
        else:
            runs[f"{peer} epoch, float32 inputs"] = lambda fn=fn: fn(x_float, y)

    matmul_floor(n, BATCH, sizes, rng)          # warm up BLAS threads and caches
    for run in runs.values():
        run()
    floors: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):               # interleaved: a busy moment hits every entry alike
        floors.append(matmul_floor(n, BATCH, sizes, rng))
        for name, run in runs.items():
            times[name].append(run())

    print(f"network {'-'.join(map(str, sizes))}, batch {BATCH}, SGD, {n} images, {args.repeats} rounds")
    print(f"BLAS: OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}, {os.cpu_count()} cores")
    steps = -(-n // BATCH)
    print(f"{'':36}{'median s':>10}{'ratio to floor':>16}{'best round':>12}{'µs a step over':>16}")
    print(f"{'matrix products alone (BLAS floor)':36}{statistics.median(floors):>10.3f}")
    for name, ts in times.items():
        ratios = [t / f for t, f in zip(ts, floors)]
        # What a step spends beyond its matrix products: gather, bias, ReLU, loss, update, Python.
        over = statistics.median(t - f for t, f in zip(ts, floors)) / steps * 1e6
        print(f"{name:36}{statistics.median(ts):>10.3f}{statistics.median(ratios):>15.2f}x"
              f"{min(ratios):>11.2f}x{over:>16.0f}")
    for note in notes:
        print(note)
    parts = [step_parts(dataset, hidden) for _ in range(args.repeats)]
    print("the engine's step, part by part (µs a step, median of the rounds):")
    for name in parts[0]:
        print(f"  {name:34}{statistics.median(p[name] for p in parts):>8.0f}")


if __name__ == "__main__":
    main()
