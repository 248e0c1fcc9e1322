"""What one training run will cost, known before it starts: peak memory and work.

A shared server has to refuse a run that would take gigabytes or hours before it takes them,
whatever the batch size. ``run_cost(config, n_train)`` adds up, from the config alone:

    peak_bytes  the arrays alive at once during a step, each counted at its size
                d = dtype size (4 for float32), B = images in one step, h_l = hidden widths,
                P = parameters:
                  P * d * (2 + slots + best)    weights, gradients, the optimizer's slots (SGD 0,
                                                momentum 1, Adam 2), a best copy for early stopping
                + B * 784 * (1 + d)             the batch buffers, gathered (uint8) and scaled to
                                                [0, 1]; full batch keeps one float copy (B * 784 * d)
                                                of its images for the whole run
                + the larger of a step's and a score's arrays, which are never alive together:
                  step      B * sum(h_l) * d * k        hidden activations kept for backward (k = 1,
                                                        or 3 with dropout: mask and dropped copy)
                            + 2 * B * max(h_l, 10) * d  two deltas alive at once in backward
                  scoring   EVAL_SAMPLES images gathered, then SCORE_CHUNK images at a time
    steps       optimizer steps = epochs * ceil(n / B)
    work        multiply-adds, counted as  steps * W * (3 * B + STEP_OVERHEAD),
                W = weights: 3 * B * W for the forward and backward products of one step (z = a W,
                dW = a^T delta, delta W^T), plus STEP_OVERHEAD * W for what every step does to
                every weight whatever the batch size (the update, the gradient's outer product),
                so batch sizes 1 and 2, with 60,000 steps an epoch, cost what they take.

``n`` is what the run trains on: ``train_size`` (or all ``n_train``) less the validation split.
tests/test_run_limits.py checks peak_bytes against tracemalloc's measured peak of real runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import N_INPUTS, TrainConfig
from .metrics import SCORE_CHUNK
from .optimizers import make_optimizer
from .train import EVAL_SAMPLES

STEP_OVERHEAD = 64   # multiply-adds a step costs per weight beyond its products (update, outer product)


@dataclass(frozen=True)
class RunCost:
    """The cost of one run: ``peak_bytes`` of memory at once, ``steps``, ``multiply_adds`` of work."""

    peak_bytes: int
    steps: int
    multiply_adds: int
    batch: int            # images in one step (the training set's size for full batch)
    n: int                # training images one epoch goes through

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 2**20


def optimizer_slots(name: str) -> int:
    """Arrays of the parameters' size an optimizer keeps (SGD 0, momentum 1, Adam 2), asked of it."""
    optimizer = make_optimizer(name, [np.zeros(1)], 0.9, False)
    return sum(len(v) for k, v in vars(optimizer).items()
               if k != "params" and isinstance(v, list) and all(isinstance(a, np.ndarray) for a in v))


def images_used(config: TrainConfig, n_train: int) -> int:
    """Training images one epoch goes through: the subset asked for, less the validation split."""
    used = min(config.train_size or n_train, n_train) if n_train else config.train_size
    return max(1, used - int(round(used * config.val_split)))


def run_cost(config: TrainConfig, n_train: int, epochs: int | None = None) -> RunCost:
    """The cost of training `config` on a training split of `n_train` images (``epochs``: how
    many of the config's epochs are still to go, default all of them)."""
    epochs = config.epochs if epochs is None else epochs
    n = images_used(config, n_train)
    B = n if config.batch_size == 0 else min(config.batch_size, n)
    d = np.dtype(config.dtype).itemsize
    sizes = config.sizes
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    params = weights + sum(sizes[1:])
    hidden = sum(config.hidden)
    widest = max(sizes[1:])
    k = 3 if config.dropout > 0 else 1
    slots = optimizer_slots(config.optimizer) + 2 + (config.early_stopping > 0)
    # The batch: full batch keeps one float copy; mini-batches a uint8 and a float buffer;
    # augmented batches are gathered, padded and shifted (uint8), then scaled, at every step.
    per_image = 3 + d if config.augment else d if B == n else 1 + d
    persistent = params * d * slots + B * N_INPUTS * per_image
    step = B * hidden * d * k + 2 * B * widest * d
    scoring = min(EVAL_SAMPLES, n) * N_INPUTS + SCORE_CHUNK * (N_INPUTS * (1 + d) + 2 * widest * d)
    peak = persistent + max(step, scoring)
    steps = epochs * math.ceil(n / B)
    work = steps * weights * (3 * B + STEP_OVERHEAD)
    return RunCost(peak_bytes=int(peak), steps=steps, multiply_adds=int(work), batch=B, n=n)
