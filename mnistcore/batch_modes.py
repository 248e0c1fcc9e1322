"""From the toy to the network: the same descent on MNIST with three batch sizes.

One small MLP per way of feeding the data (full batch, mini-batch, per sample), trained on the
same seeded subset; each records the loss of every step's batch and, at checkpoints, on the
whole subset, against steps, samples seen and training seconds. ``leader`` says which mode is
lowest at a given point of one axis, so the page's sentences are read off the numbers.
"""
from __future__ import annotations

import numpy as np

from .config import TrainConfig
from .train import Trainer, evaluate

# The three ways to feed the data of the seed notebooks, each at a learning rate that suits it
# (an exact gradient tolerates a bigger step than the noisy one of a single image).
BATCH_MODES: dict[str, dict] = {
    "full batch": dict(batch_size=0, epochs=40, lr=0.2),
    "mini-batch of 32": dict(batch_size=32, epochs=16, lr=0.1),
    "per sample": dict(batch_size=1, epochs=1, lr=0.01),
}


def batch_mode_curves(images: np.ndarray, labels: np.ndarray, modes: dict[str, dict] | None = None,
                      n: int = 2000, hidden: tuple[int, ...] = (32,), seed: int = 0,
                      checkpoints: int = 40) -> dict[str, dict]:
    """Train one small MLP per batch mode on the same ``n`` images and record its loss.

    ``images`` (N, 28, 28) uint8 (or (N, 784)) and ``labels`` (N,); a seeded
    random subset of ``n`` of them is used. ``modes`` maps a label to
    ``batch_size`` (0 = full batch), ``epochs`` and ``lr`` (default ``BATCH_MODES``).
    Returns, per mode, arrays ``steps``, ``samples``, ``seconds`` and
    ``batch_loss`` (the loss of the batch each step trained on: what the
    optimizer sees, noisy for small batches) and, at about ``checkpoints``
    log-spaced steps and every epoch's end, ``eval_steps``, ``eval_samples``,
    ``eval_seconds`` and ``loss`` (the loss on all n images), and ``message``:
    the trainer's sentence if the run diverged, else "". Seconds are pure
    training time as ``mnistcore.train.Trainer`` measures it (scoring excluded),
    so they, unlike everything else here, vary from machine to machine.
    """
    modes = BATCH_MODES if modes is None else modes
    if not 1 <= n <= len(labels):
        raise ValueError(f"n must be from 1 to the {len(labels)} images given; got {n}")
    idx = np.sort(np.random.default_rng(seed).choice(len(labels), size=n, replace=False))
    x, y = np.asarray(images)[idx], np.asarray(labels)[idx]
    curves = {}
    for label, mode in modes.items():
        config = TrainConfig(hidden=tuple(hidden), batch_size=mode["batch_size"], epochs=mode["epochs"],
                             lr=mode["lr"], seed=seed)
        per_epoch = -(-n // mode["batch_size"]) if mode["batch_size"] else 1
        # A step event after every step, and no test set: only the training loss matters here.
        trainer = Trainer(config, (x, y, x[:0], y[:0]), points_per_epoch=per_epoch, score_steps=False)
        eval_at = set(np.geomspace(1, per_epoch * mode["epochs"], checkpoints).round().astype(int).tolist())
        c = {key: [] for key in ("steps", "samples", "seconds", "batch_loss",
                                 "eval_steps", "eval_samples", "eval_seconds", "loss")}
        c["message"] = ""

        def checkpoint(step: int, samples: int, seconds: float, loss: float) -> None:
            for key, value in zip(("eval_steps", "eval_samples", "eval_seconds", "loss"),
                                  (step, samples, seconds, loss)):
                c[key].append(value)

        checkpoint(0, 0, 0.0, evaluate(trainer.model, x, y)[0])
        for event in trainer.run():
            samples = round(event.epoch_fraction * n)
            if event.kind == "step":
                for key, value in zip(("steps", "samples", "seconds", "batch_loss"),
                                      (event.step, samples, event.train_seconds, event.train_loss)):
                    c[key].append(value)
                if event.step in eval_at:
                    checkpoint(event.step, samples, event.train_seconds, evaluate(event.model, x, y)[0])
            elif event.kind == "epoch":
                checkpoint(event.step, samples, event.train_seconds, event.train_loss)
            elif event.status == "diverged":
                c["message"] = event.message
        curves[label] = {key: (np.asarray(v, dtype=float) if key != "message" else v) for key, v in c.items()}
    return curves


def loss_at(c: dict[str, np.ndarray], axis: str, at: float) -> float:
    """The whole-subset loss of one mode's curves ``c`` at the last checkpoint with
    ``axis`` ("steps", "samples" or "seconds") <= ``at`` (nan before the first)."""
    xs, loss = np.asarray(c["eval_" + axis]), np.asarray(c["loss"])
    i = int(np.searchsorted(xs, at, side="right")) - 1
    return float(loss[i]) if i >= 0 else float("nan")


def common_budget(curves: dict[str, dict], axis: str) -> float:
    """The largest ``axis`` value every mode reached: the end of the shortest run on that axis."""
    return min(float(np.max(c["eval_" + axis])) for c in curves.values())


def leader(curves: dict[str, dict], axis: str, at: float | None = None) -> tuple[str, float, float]:
    """(label, loss, at): the mode with the lowest whole-subset loss at ``at`` on ``axis``
    (default: ``common_budget``, where every mode has a checkpoint to compare)."""
    at = common_budget(curves, axis) if at is None else at
    losses = {label: loss_at(c, axis, at) for label, c in curves.items()}
    best = min(losses, key=lambda k: np.inf if np.isnan(losses[k]) else losses[k])
    return best, losses[best], at
