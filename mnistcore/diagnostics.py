"""Looking inside training: gradient flow, dead units, capacity, overfitting, schedules, augmentation.

Each function runs the engine's own ``Trainer`` (or reads a trained ``MLP``) and returns plain
records of NumPy arrays, so a page, a notebook or a test can draw or check them:

    flow = gradient_flow(GRADIENT_FLOW_CONFIGS["sigmoid"], dataset)
    flow.grad_norms            # (n_points, n_layers) mean |dW| per layer along the run
    dead_units(model, X)       # (n_hidden,) share of units that never change over X
    for point in capacity_sweep(dataset): ...       # one CapacityPoint per hidden width
    curves = fit_curves(OVERFIT_CONFIG.replace(early_stopping=5), dataset)

The ready-made configs below are small on purpose (a few thousand images, a few epochs): they
answer in seconds and still show the effect they are named for.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .augment import augment
from .config import SCHEDULE_NAMES, TrainConfig
from .model import MLP
from .predict import layer_outputs
from .schedules import lr_at
from .train import Trainer, as_inputs, evaluate

# Five hidden layers of 64: deep enough for sigmoid's gradients to fade layer by layer
# (sigma' <= 1/4 each time), small enough to train on 5,000 images in a few seconds.
_DEEP = dict(hidden=(64,) * 5, lr=0.1, batch_size=64, epochs=2, train_size=5000)
GRADIENT_FLOW_CONFIGS: dict[str, TrainConfig] = {
    "sigmoid": TrainConfig(activation="sigmoid", init="xavier", **_DEEP),
    "relu": TrainConfig(activation="relu", init="he", **_DEEP),
}
GRADIENT_FLOW_NOTES = {
    "sigmoid": "5 sigmoid layers, Xavier init",
    "relu": "5 ReLU layers, He init",
}
# The same ReLU net trained with growing learning rates: big steps push units into the
# region z < 0 for every input, where they output 0 and get no gradient back.
DEAD_UNIT_LRS = (0.1, 0.5, 1.0)

CAPACITY_WIDTHS = (16, 32, 64, 128, 256)
CAPACITY_CONFIG = TrainConfig(hidden=(128,), optimizer="adam", lr=1e-3, batch_size=64, epochs=3,
                              train_size=10_000)

# Few images and many weights: the training loss keeps falling while the validation loss
# turns back up after about ten epochs, the case early stopping is for.
OVERFIT_CONFIG = TrainConfig(hidden=(512,), optimizer="adam", lr=1e-3, batch_size=64, epochs=30,
                             train_size=2000, val_split=0.25)

PROBE_SIZE = 1000  # images a dead-unit check looks at


def _with_subset(config: TrainConfig, n_train: int) -> TrainConfig:
    """``config`` with train_size cut down to the training images there are (small uploads)."""
    if config.train_size > n_train:
        return config.replace(train_size=0)
    return config


def _images(dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if hasattr(dataset, "x_train"):
        return dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test
    return tuple(dataset)


def _quiet_trainer(config: TrainConfig, dataset) -> Trainer:
    """A Trainer that reports once an epoch and scores no test images on the way (the callers
    score the finished model once: scoring 10,000 images each epoch would cost more than
    these short runs' training)."""
    x_train, y_train, x_test, y_test = _images(dataset)
    return Trainer(config, (x_train, y_train, x_test[:0], y_test[:0]), points_per_epoch=1,
                   score_steps=False)


def _none_if_nan(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _probe(dataset, n: int = PROBE_SIZE) -> np.ndarray:
    """The first ``n`` test images (training images when there is no test set)."""
    x_train, _, x_test, _ = _images(dataset)
    return (x_test if len(x_test) else x_train)[:n]


# --- dead units ------------------------------------------------------------------------------

def constant_units(model: MLP, X: np.ndarray, tol: float = 0.0) -> list[np.ndarray]:
    """For each hidden layer, a bool array of shape (width,): True where the unit's output is
    the same (to within ``tol``) for every row of ``X``.

    Such a unit tells the next layer nothing about the input. For ReLU it is "dead": its z is
    negative for every input, so it outputs 0 and, since relu'(z) = 0 there, no gradient ever
    reaches its weights to bring it back. ``X`` is uint8 images (n, 28, 28) or inputs (n, 784).
    The forward pass writes nothing to the model, so a model shared between visitors is safe.
    """
    if len(X) < 2:
        raise ValueError(f"need at least 2 inputs to see whether a unit varies; got {len(X)}")
    hidden = layer_outputs(model, as_inputs(np.asarray(X), model.dtype))[:-1]
    return [np.ptp(a, axis=0) <= tol for a in hidden]


def dead_units(model: MLP, X: np.ndarray, tol: float = 0.0) -> np.ndarray:
    """Share of constant ("dead") units in each hidden layer, float of shape (n_hidden,)."""
    return np.array([mask.mean() for mask in constant_units(model, X, tol)], dtype=float)


# --- gradient flow -----------------------------------------------------------------------------

@dataclass(frozen=True)
class GradientFlow:
    """Mean gradient magnitude per layer along one run, and what the run left behind.

    ``grad_norms[i, l]`` is mean |dL/dW_l| at the last step before point i, layer 0 being the
    first (input) layer; ``epoch_fraction[i]`` is when (2.5 = half way through epoch 3).
    """

    config: TrainConfig
    epoch_fraction: np.ndarray   # (n_points,)
    grad_norms: np.ndarray       # (n_points, n_layers)
    dead: np.ndarray             # (n_hidden,) share of dead units at the end (NaN if weights non-finite)
    test_accuracy: float | None
    train_seconds: float
    status: str                  # "done" or "diverged" (the loss became NaN or infinite)

    @property
    def first_over_last(self) -> np.ndarray:
        """First layer's gradient over the last layer's at each point, shape (n_points,).

        Near 1 the error signal reaches the input layer intact; far below 1 it vanished on the way.
        """
        return self.grad_norms[:, 0] / self.grad_norms[:, -1]


def gradient_flow(config: TrainConfig, dataset, points_per_epoch: int = 10,
                  probe: np.ndarray | None = None) -> GradientFlow:
    """Train ``config`` on ``dataset`` and record each layer's mean |dW| ``points_per_epoch``
    times an epoch; then measure the dead units on ``probe`` (default: 1,000 test images)."""
    x_train, y_train, x_test, y_test = _images(dataset)
    config = _with_subset(config, len(x_train))
    # Scoring the whole test set at each epoch's end would cost more than these short runs.
    trainer = Trainer(config, (x_train, y_train, x_test[:PROBE_SIZE], y_test[:PROBE_SIZE]),
                      points_per_epoch=points_per_epoch, score_steps=False)
    when, norms, last = [], [], None
    # Too large a learning rate is one of the things shown here: its overflow is reported as
    # status "diverged", not as NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for event in trainer.run():
            if event.kind == "done":
                continue
            when.append(event.epoch_fraction)
            norms.append(event.grad_norms)
            last = event
    probe = _probe(dataset) if probe is None else probe
    # A run can be "diverged" with finite weights (its loss climbed far above the start): its units
    # can still be counted. Non-finite weights make no unit meaningfully dead or alive.
    if not all(np.isfinite(p).all() for p in trainer.model.params):
        dead = np.full(len(config.hidden), np.nan)
    else:
        dead = dead_units(trainer.model, probe)
    n_layers = len(config.hidden) + 1
    return GradientFlow(config, np.array(when, dtype=float), np.array(norms, dtype=float).reshape(-1, n_layers), dead,
                        last.test_accuracy if last is not None else None, trainer.train_seconds,
                        trainer.status)


# --- capacity ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CapacityPoint:
    """One network of the sweep: its hidden width, size, scores and training time."""

    width: int
    parameters: int
    train_accuracy: float
    test_accuracy: float | None
    train_seconds: float


def capacity_sweep(dataset, widths: Sequence[int] = CAPACITY_WIDTHS,
                   config: TrainConfig = CAPACITY_CONFIG) -> Iterator[CapacityPoint]:
    """Train one network per hidden width (one hidden layer, else ``config``), yield each as done.

    A generator, so a caller can show progress between the networks. Training time is the
    Trainer's own clock (forward, backward and update steps; no data loading or scoring).
    """
    x_train, y_train, x_test, y_test = _images(dataset)
    for width in widths:
        cfg = _with_subset(config.replace(hidden=(int(width),)), len(x_train))
        trainer = _quiet_trainer(cfg, dataset)
        last = None
        for last in trainer.run():
            pass
        parameters = sum(p.size for p in trainer.model.params)
        _, test_acc = evaluate(trainer.model, x_test, y_test)
        yield CapacityPoint(int(width), int(parameters), float(last.train_accuracy),
                            _none_if_nan(test_acc), trainer.train_seconds)


# --- overfitting and early stopping ------------------------------------------------------------

@dataclass(frozen=True)
class FitCurves:
    """Per-epoch train and validation scores of one run with a validation split.

    ``best_epoch`` (1-based) has the lowest validation loss; with early stopping that is the
    epoch whose weights the run ended with. ``test_accuracy`` is the final model's.
    """

    config: TrainConfig
    epoch: np.ndarray            # (n_epochs,) 1, 2, ...
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_accuracy: np.ndarray
    val_accuracy: np.ndarray
    lr: np.ndarray
    best_epoch: int
    status: str                  # "done", "early_stopped" or "diverged"
    message: str
    test_loss: float | None      # of the model the run returned (restored weights if stopped early)
    test_accuracy: float | None
    final_val_accuracy: float    # of that model on the validation images


def fit_curves(config: TrainConfig, dataset) -> FitCurves:
    """Train ``config`` (which needs ``val_split`` > 0) and return its learning curves."""
    if config.val_split <= 0:
        raise ValueError(f"fit_curves needs a validation split: val_split must be > 0, got {config.val_split}")
    x_train, _, x_test, y_test = _images(dataset)
    trainer = _quiet_trainer(_with_subset(config, len(x_train)), dataset)
    last = None
    for last in trainer.run():
        pass
    h = [e for e in trainer.history if e.kind == "epoch"]
    val_loss = np.array([e.val_loss if e.val_loss is not None else math.nan for e in h])
    _, final_val = evaluate(trainer.model, trainer.x[trainer.val_idx], trainer.y[trainer.val_idx])
    test_loss, test_acc = evaluate(trainer.model, x_test, y_test)
    return FitCurves(
        config=trainer.config, epoch=np.array([e.epoch for e in h]),
        train_loss=np.array([e.train_loss for e in h]), val_loss=val_loss,
        train_accuracy=np.array([e.train_accuracy for e in h]),
        val_accuracy=np.array([e.val_accuracy if e.val_accuracy is not None else math.nan for e in h]),
        lr=np.array([e.lr for e in h]),
        # The Trainer keeps a new best only on a strict improvement, so the first minimum.
        best_epoch=int(np.nanargmin(val_loss)) + 1 if np.isfinite(val_loss).any() else 0,
        status=trainer.status, message=last.message if last is not None else "",
        test_loss=_none_if_nan(test_loss), test_accuracy=_none_if_nan(test_acc),
        final_val_accuracy=final_val)


def fit_summary(full: FitCurves, stopped: FitCurves) -> str:
    """What the overfitting runs show, read off their numbers (a sentence for the page).

    ``full`` ran all its epochs, ``stopped`` is the same config with early stopping.
    """
    e_loss = int(np.nanargmin(full.val_loss)) + 1
    e_acc = int(np.nanargmax(full.val_accuracy)) + 1
    peak, last = float(np.nanmax(full.val_accuracy)), float(full.val_accuracy[-1])
    rise = float(full.val_loss[-1] - np.nanmin(full.val_loss))
    n = len(full.epoch)
    parts = [f"Here the validation loss is lowest at epoch {e_loss}"
             + (f" and ends {rise:.3f} higher after epoch {n}" if rise > 0 else f" and is still lowest at epoch {n}")]
    if peak - last >= 0.005:
        parts.append(f"validation accuracy peaks at epoch {e_acc} ({peak:.1%}) and ends at {last:.1%}")
    else:
        parts.append(f"validation accuracy stays near its best ({peak:.1%} at epoch {e_acc}; {last:.1%} at the end)")
    sentence = "; ".join(parts) + "."
    if rise > 0 and peak - last < 0.005:
        sentence += (" The loss turns up while the accuracy holds: the network grows over-confident, putting "
                     "more probability on its wrong answers, before it gets more of them wrong.")
    if stopped.test_accuracy is not None and full.test_accuracy is not None:
        a, b = stopped.test_accuracy, full.test_accuracy
        verdict = ("early stopping scores better" if a > b + 0.0005 else
                   "all epochs score better" if b > a + 0.0005 else "the two score the same")
        sentence += (f" On the test set the restored weights score {a:.1%} and all {n} epochs {b:.1%}: "
                     f"{verdict} on this run, and it saved {n - int(stopped.epoch[-1])} epochs of training.")
    return sentence


def capacity_summary(points: Sequence[CapacityPoint]) -> str:
    """What the width sweep shows, read off its numbers: accuracy from the narrowest to the widest
    and what the last widening added, and the measured times beside the count of weights."""
    scored = [p for p in points if p.test_accuracy is not None]
    if len(scored) < 2:
        return ""
    first, prev, last = scored[0], scored[-2], scored[-1]
    text = (f"Here test accuracy goes from {first.test_accuracy:.1%} with {first.width} units to "
            f"{last.test_accuracy:.1%} with {last.width}; going from {prev.width} to {last.width} units "
            f"changed it by {100 * (last.test_accuracy - prev.test_accuracy):+.1f} points.")
    slower = [(a, b) for a, b in zip(points, points[1:]) if b.train_seconds < a.train_seconds]
    if slower:
        a, b = slower[0]
        text += (f" The arithmetic per step grows with the number of weights, but measured seconds are "
                 f"noisier: {b.width} units trained in {b.train_seconds:.1f} s, {a.width} in {a.train_seconds:.1f} s.")
    else:
        text += " Training time grew with the number of weights, as the arithmetic per step does."
    return text


def images_used(config: TrainConfig, n_train: int) -> int:
    """How many training images a run of ``config`` uses (train_size 0 means all of them)."""
    return min(config.train_size, n_train) if config.train_size else n_train


def schedule_curves(lr: float, epochs: int, names: Sequence[str] = SCHEDULE_NAMES) -> dict[str, np.ndarray]:
    """The learning rate of each epoch (0-based) under each schedule: {name: (epochs,) array}."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1; got {epochs}")
    return {name: np.array([lr_at(name, lr, e, epochs) for e in range(epochs)]) for name in names}


# --- augmentation ------------------------------------------------------------------------------

def augment_preview(images: np.ndarray, copies: int = 5, seed: int = 0) -> np.ndarray:
    """Each image followed by ``copies`` randomly shifted and rotated versions of it.

    ``images`` uint8 (n, 28, 28) -> same dtype, shape (n, 1 + copies, 28, 28); column 0 is the
    original. The copies come from ``augment.augment``, the very transform training uses.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (n, 28, 28); got {images.shape}")
    if copies < 0:
        raise ValueError(f"copies must be >= 0; got {copies}")
    rng = np.random.default_rng(seed)
    n = len(images)
    # One call for all copies: row k*n + i is copy k of image i.
    shifted = augment(np.tile(images, (copies, 1, 1)), rng).reshape(copies, n, 28, 28)
    return np.concatenate([images[:, None], shifted.transpose(1, 0, 2, 3)], axis=1)
