"""Training as a generator of progress events.

    trainer = Trainer(config, dataset)
    for event in trainer.run():          # a page draws charts, a CLI a progress bar
        print(event.epoch_fraction, event.train_loss, event.test_accuracy)
        if stop_pressed:
            break                        # stopping is just not asking for more
    model = trainer.model

One ``np.random.Generator`` seeded from ``config.seed`` draws everything random,
in a fixed order (subset and validation split, initial weights, then per epoch
the shuffle, dropout masks and augmentations), so the same config gives the
same numbers bit for bit.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .augment import augment
from .config import TrainConfig
from .data import as_inputs
from .metrics import SCORE_CHUNK, score
from .model import MLP, init_mlp
from .optimizers import make_optimizer
from .schedules import lr_at

EVAL_SAMPLES = 10_000      # training-set sample scored at each epoch's end (train curve)
# Divergence, a result like any other: a run has diverged when a loss or a weight stops being
# finite, or when the training loss at an epoch's end is more than DIVERGENCE_FACTOR times the
# loss of the run's first batch and above CHANCE_LOSS, the cross-entropy of a uniform guess over
# 10 classes (ln 10 = 2.30; the floor keeps a well-trained model's small wobbles from counting).
DIVERGENCE_FACTOR = 2.0
CHANCE_LOSS = math.log(10)
STEP_EVAL_STRIDE = 5       # within an epoch, score every 5th test image (2000 of 10,000)


@dataclass
class Progress:
    """One moment of a run, as plain data.

    ``kind`` is "step" (within an epoch: running means over the steps since the
    last event, test scored on a fixed fifth of the test set), "epoch" (end of
    an epoch: train scored on a fixed sample of up to 10,000 training images
    and test on the whole test set, without dropout) or "done" (the run ended;
    ``status`` says how).
    """

    kind: str
    epoch: int
    epochs: int
    step: int
    epoch_fraction: float
    train_loss: float
    train_accuracy: float
    test_loss: float | None
    test_accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    batch_size: int
    samples_per_second: float
    train_seconds: float
    seconds_left: float
    grad_norms: list[float]
    status: str = "running"
    message: str = ""
    model: MLP | None = field(default=None, repr=False)

    def record(self) -> dict:
        """The event as a JSON-ready dict, without the model."""
        return {k: v for k, v in self.__dict__.items() if k != "model"}


def evaluate(model: MLP, x: np.ndarray, y: np.ndarray, chunk: int = SCORE_CHUNK) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` on images ``x`` and labels ``y``, without dropout.

    ``metrics.score``, the one scoring function, in the order training reports them.
    """
    result = score(model, x, y, chunk)
    return result.loss, result.accuracy


def _arrays(dataset) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) from a Dataset or a 4-tuple; images flattened (views)."""
    if hasattr(dataset, "x_train"):
        dataset = (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
    x_train, y_train, x_test, y_test = dataset
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise ValueError("images and labels differ in number")
    if len(x_train) == 0:
        raise ValueError("the training set is empty")
    flat = [np.asarray(x).reshape(len(x), math.prod(np.shape(x)[1:])) for x in (x_train, x_test)]
    for x in flat:
        if x.shape[1] != 784:
            raise ValueError(f"images must have 784 pixels (28x28); got {x.shape[1]}")
    return flat[0], np.asarray(y_train).astype(np.intp), flat[1], np.asarray(y_test).astype(np.intp)


class Trainer:
    """Trains ``model`` (a fresh one from ``config`` when None) on ``dataset``.

    ``dataset`` is a ``mnistcore.data.Dataset`` or a tuple (x_train, y_train,
    x_test, y_test) of uint8 images (or float inputs in [0, 1]). The dataset is
    never copied: batches are gathered from it by index, so many trainers can
    share one read-only copy. ``points_per_epoch`` is how many "step" events
    an epoch reports before its "epoch" event; ``lr`` and ``batch_size`` may be
    changed between epochs.
    """

    def __init__(self, config: TrainConfig, dataset, model: MLP | None = None,
                 points_per_epoch: int = 10, score_steps: bool = True) -> None:
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.x, self.y, self.x_test, self.y_test = _arrays(dataset)
        self.points_per_epoch, self.score_steps = points_per_epoch, score_steps

        idx = np.arange(len(self.y))
        if config.train_size:
            if config.train_size > len(idx):
                raise ValueError(f"train_size {config.train_size} is larger than the "
                                 f"{len(idx)} training images")
            idx = np.sort(self.rng.permutation(idx)[:config.train_size])
        n_val = int(round(len(idx) * config.val_split))
        if n_val:
            shuffled = self.rng.permutation(idx)
            self.val_idx, idx = np.sort(shuffled[:n_val]), np.sort(shuffled[n_val:])
            if len(idx) == 0:
                raise ValueError("the validation split leaves no training images")
        else:
            self.val_idx = idx[:0]
        self.train_idx = idx
        self.score_idx = idx[np.linspace(0, len(idx) - 1, min(EVAL_SAMPLES, len(idx))).astype(int)]

        if model is None:
            model = init_mlp(config.sizes, config.activation, config.init, config.loss,
                             self.rng, config.dtype)
        elif model.sizes != config.sizes:
            raise ValueError(f"the model's layers {model.sizes} differ from the config's {config.sizes}")
        self.model = model
        self.optimizer = make_optimizer(config.optimizer, model.params, config.momentum, config.nesterov)
        self.lr, self.batch_size = config.lr, config.batch_size
        self.epoch = 0                       # epochs finished
        self.step = 0                        # optimizer steps taken
        self.train_seconds = 0.0
        self.samples_seen = 0
        self.history: list[Progress] = []    # one "epoch" event per finished epoch
        self.status = "ready"
        self._full_batch: np.ndarray | None = None
        self._buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # batch size -> (raw, inputs)
        self._best: tuple[float, MLP, int] | None = None  # (val loss, weights, epoch) for early stopping
        self._epoch_state: _EpochState | None = None      # where the current epoch stands
        self._grad_norms = [0.0] * len(model.W)           # mean |dW| per layer at the last reported step
        self.changes: list[tuple[float, str]] = []        # (epoch_fraction, "lr 0.1 → 0.01") marks
        self._runs = 0                                    # run() calls so far
        self.initial_loss: float | None = None            # the loss of the first batch, before any step

    # -- batches ---------------------------------------------------------------------------
    def _batch(self, idx: np.ndarray) -> np.ndarray:
        """Inputs for the training images ``idx``, shape (len(idx), 784), augmented if asked.

        Gathered and converted into buffers kept from step to step: a fresh
        (128, 784) array every step would cost more than its arithmetic.
        """
        dtype = self.model.dtype
        if self.config.augment:
            return as_inputs(augment(self.x[idx], self.rng), dtype)
        if len(idx) == len(self.train_idx):
            # Full batch: every epoch uses the same rows (order is irrelevant), so convert once.
            if self._full_batch is None:
                self._full_batch = as_inputs(self.x[self.train_idx], dtype)
            return self._full_batch
        if len(idx) not in self._buffers:
            self._buffers[len(idx)] = (np.empty((len(idx), self.x.shape[1]), self.x.dtype),
                                       np.empty((len(idx), self.x.shape[1]), dtype))
        raw, inputs = self._buffers[len(idx)]
        np.take(self.x, idx, axis=0, out=raw)
        if raw.dtype == np.uint8:
            return np.multiply(raw, dtype.type(1 / 255), out=inputs)
        return raw if raw.dtype == dtype else as_inputs(raw, dtype)

    # -- the loop --------------------------------------------------------------------------
    def run(self, epochs: int | None = None, steps: int | None = None) -> Iterator[Progress]:
        """Train ``epochs`` more epochs (default: up to ``config.epochs``), yielding progress.

        ``steps`` pauses the run after that many optimizer steps instead (one
        batch at a time, for a closer look); the next ``run`` call goes on from
        the same place in the same epoch. A run that reaches its last epoch ends
        with a "done" event whose status is "done", "diverged" (a loss or weight
        stopped being finite, or the loss climbed far above where it started: see
        DIVERGENCE_FACTOR) or "early_stopped". Closing the generator early
        (``break``) leaves status "stopped" and the model as it is.
        """
        target = self.epoch + epochs if epochs else max(self.config.epochs, self.epoch + (steps is not None))
        step_limit = self.step + steps if steps else None
        self.status = "running"
        self._runs += 1
        this_run = self._runs  # an older run's generator, closed late, must not stop this one
        try:
            while self.epoch < target and self.status == "running":
                yield from self._run_epoch(target, step_limit)
                if step_limit is not None and self.step >= step_limit:
                    self.status = "paused"
                    return
            if self.status == "running":
                self.status = "done"
            if self.history and self.history[-1].kind != "done":  # a divergence was yielded already
                last = self.history[-1]
                yield self._event("done", last.epoch_fraction, last.train_loss, last.train_accuracy,
                                  target, lr=last.lr, status=self.status, message=last.message,
                                  scores=last)
        finally:
            if self.status == "running" and self._runs == this_run:
                self.status = "stopped"

    def set_lr(self, lr: float) -> None:
        """Change the base learning rate from now on; the change is kept in ``changes``."""
        if not lr > 0 or not math.isfinite(lr):
            raise ValueError(f"lr must be > 0; got {lr!r}")
        self.changes.append((self.epoch_fraction, f"lr {self.lr:g} → {lr:g}"))
        if self._epoch_state is not None:  # mid-epoch: the rest of this epoch uses it too
            self._epoch_state.lr *= lr / self.lr
        self.lr = lr

    def set_batch_size(self, batch_size: int) -> None:
        """Change the batch size from the next epoch on (0 = full batch)."""
        if not isinstance(batch_size, int) or batch_size < 0:
            raise ValueError(f"batch_size must be a whole number >= 0; got {batch_size!r}")
        self.changes.append((self.epoch_fraction, f"batch {self.batch_size} → {batch_size}"))
        self.batch_size = batch_size

    @property
    def epoch_fraction(self) -> float:
        """Epochs done so far, with the current epoch's share, e.g. 2.35."""
        if self._epoch_state is None:
            return float(self.epoch)
        return self.epoch + self._epoch_state.done / self._epoch_state.steps

    def _start_epoch(self, target: int) -> "_EpochState":
        n = len(self.train_idx)
        batch = n if self.batch_size == 0 else min(self.batch_size, n)
        steps = math.ceil(n / batch)
        report_at = {min(steps, max(1, round(k * steps / self.points_per_epoch)))
                     for k in range(self.points_per_epoch)} - {steps}
        lr = lr_at(self.config.schedule, self.lr, self.epoch, max(target, self.config.epochs))
        order = self.train_idx if batch == n else self.rng.permutation(self.train_idx)
        return _EpochState(order, batch, steps, report_at, lr)

    def _run_epoch(self, target: int, step_limit: int | None) -> Iterator[Progress]:
        cfg, model = self.config, self.model
        if self._epoch_state is None:
            self._epoch_state = self._start_epoch(target)
        e = self._epoch_state
        while e.done < e.steps:
            s = e.done + 1
            idx = e.order[(s - 1) * e.batch:s * e.batch]
            start = time.perf_counter()
            # SGD and momentum take eta * gradient: have backward multiply it in for free.
            scale = e.lr if self.optimizer.lr_in_gradient else 1.0
            loss, right, grads = model.loss_and_gradients(self._batch(idx), self.y[idx],
                                                          cfg.l2, cfg.dropout, self.rng, scale)
            if not math.isfinite(loss):
                self.train_seconds += time.perf_counter() - start
                yield from self._diverged(loss, s, e.steps, target, e.lr)
                return
            if self.initial_loss is None:
                self.initial_loss = loss
            if s in e.report_at or s == e.steps or (step_limit is not None and self.step + 1 >= step_limit):
                # Before step(): Adam reuses the gradient arrays, and SGD's carry eta (undone here).
                self._grad_norms = [float(np.abs(g).mean()) / scale for g in grads[::2]]
            self.optimizer.step(grads, e.lr / scale)
            self.train_seconds += time.perf_counter() - start
            self.step += 1
            self.samples_seen += len(idx)
            e.done = s
            e.loss_sum, e.correct, e.seen = e.loss_sum + loss * len(idx), e.correct + right, e.seen + len(idx)
            paused = step_limit is not None and self.step >= step_limit and s < e.steps
            if s in e.report_at or paused:
                event = self._event("step", self.epoch + s / e.steps, e.loss_sum / e.seen,
                                    e.correct / e.seen, target, lr=e.lr, score=self.score_steps or paused)
                e.loss_sum, e.correct, e.seen = 0.0, 0, 0  # before yielding: the caller may stop here
                yield event
            if paused:
                return
        self._epoch_state = None
        self.epoch += 1
        train_loss, train_acc = evaluate(model, self.x[self.score_idx], self.y[self.score_idx])
        event = self._event("epoch", float(self.epoch), train_loss, train_acc, target, lr=e.lr, score=True)
        why = self._divergence(train_loss)
        if why:
            self.status = "diverged"
            event.status, event.message = "diverged", f"{why}: {self._advice(e.lr)}"
        self._early_stopping(event)
        self.history.append(event)
        yield event

    # -- events ----------------------------------------------------------------------------
    def _event(self, kind: str, epoch_fraction: float, train_loss: float, train_acc: float,
               target: int, lr: float | None = None, score: bool = False, status: str = "running",
               message: str = "", scores: Progress | None = None) -> Progress:
        test = val = (None, None)
        if scores is not None:
            test = (scores.test_loss, scores.test_accuracy)
            val = (scores.val_loss, scores.val_accuracy)
        elif score:
            test_idx = slice(None) if kind == "epoch" else slice(None, None, STEP_EVAL_STRIDE)
            test = evaluate(self.model, self.x_test[test_idx], self.y_test[test_idx])
            if kind == "epoch" and len(self.val_idx):
                val = evaluate(self.model, self.x[self.val_idx], self.y[self.val_idx])
        speed = self.samples_seen / self.train_seconds if self.train_seconds else 0.0
        left = (target - epoch_fraction) * len(self.train_idx) / speed if speed else math.nan
        return Progress(
            kind=kind, epoch=min(target, math.floor(epoch_fraction) + (kind == "step")),
            epochs=target, step=self.step, epoch_fraction=epoch_fraction,
            train_loss=train_loss, train_accuracy=train_acc,
            test_loss=_none_if_nan(test[0]), test_accuracy=_none_if_nan(test[1]),
            val_loss=_none_if_nan(val[0]), val_accuracy=_none_if_nan(val[1]),
            lr=self.lr if lr is None else lr, batch_size=self.batch_size,
            samples_per_second=speed, train_seconds=self.train_seconds,
            seconds_left=max(0.0, left) if kind != "done" else 0.0,
            grad_norms=list(self._grad_norms),
            status=status, message=message, model=self.model)

    def _divergence(self, train_loss: float) -> str:
        """Why the run has diverged by the rule above (DIVERGENCE_FACTOR), or "" if it has not."""
        if not math.isfinite(train_loss):
            return f"the loss became {train_loss} at epoch {self.epoch}"
        if not all(np.isfinite(p).all() for p in self.model.params):
            return f"some weights stopped being finite numbers by epoch {self.epoch}"
        start = self.initial_loss
        if start is not None and train_loss > max(DIVERGENCE_FACTOR * start, CHANCE_LOSS):
            return (f"the training loss rose from {start:.3g} at the first step to {train_loss:.3g} at epoch "
                    f"{self.epoch} (more than {DIVERGENCE_FACTOR:g} times where it started, and above "
                    f"ln 10 = {CHANCE_LOSS:.2f}, a uniform guess)")
        return ""

    @staticmethod
    def _advice(lr: float) -> str:
        return f"the learning rate ({lr:g}) is probably too large for this setup; try one ten times smaller"

    def _divergence_message(self, loss: float, lr: float) -> str:
        return f"the loss became {loss} at step {self.step + 1}: {self._advice(lr)}"

    def _diverged(self, loss: float, s: int, steps: int, target: int, lr: float) -> Iterator[Progress]:
        self.status = "diverged"
        message = self._divergence_message(loss, lr)
        event = self._event("done", self.epoch + s / steps, loss, math.nan, target, lr=lr,
                            status="diverged", message=message)
        self.history.append(event)
        yield event

    def _early_stopping(self, event: Progress) -> None:
        """Keep the weights of the best validation loss; stop after ``patience`` worse epochs."""
        patience = self.config.early_stopping
        if not patience or event.val_loss is None:
            return
        if self._best is None or event.val_loss < self._best[0]:
            self._best = (event.val_loss, self.model.copy(), self.epoch)
        elif self.epoch - self._best[2] >= patience:
            best_loss, best, best_epoch = self._best
            for mine, kept in zip(self.model.params, best.params):
                mine[...] = kept
            self.status = event.status = "early_stopped"
            event.message = (f"validation loss has not improved for {patience} epochs; "
                             f"restored the weights of epoch {best_epoch} (val loss {best_loss:.4f})")


@dataclass
class _EpochState:
    """An epoch under way: its shuffled order and how far it got (so a run can pause mid-epoch)."""

    order: np.ndarray
    batch: int
    steps: int
    report_at: set[int]
    lr: float
    done: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    seen: int = 0


def _none_if_nan(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


def train(config: TrainConfig, dataset, model: MLP | None = None, **kwargs) -> Iterator[Progress]:
    """Shorthand for ``Trainer(config, dataset, model).run()``."""
    return Trainer(config, dataset, model, **kwargs).run()
