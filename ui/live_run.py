"""One live-run controller: a training run that a page starts, advances, pauses, changes and stops.

Every page that trains in front of the visitor (Train, the Lab's "Control the run", One step's
"teach it your digit") drives its run through this one class; pages differ in what they draw,
not in how a run starts, steps, pauses and stops. No Streamlit here: a page passes ``on_event``
to draw, and Streamlit's interruption of a script run (any click) simply raises out of it.

    run = LiveRun(config, dataset, model=None)    # ValueError if they do not fit together
    run.advance(steps=3)                          # three optimizer steps -> list[Progress]
    run.advance(epochs=1)                         # to the end of this epoch (a whole one at its start)
    run.advance(deadline=time.perf_counter() + 1, on_event=draw)   # to the end, or for a second
    run.change(lr=0.01, batch_size=64)            # see CHANGE_RULE
    run.pause()                                   # between two events; advance() goes on from there
    run.stop()                                    # ends the run where it is: the model is kept
    run.curve        # dict of lists, mnistcore.figures.training's format; non-finite values are None
    run.status       # "ready", "running", "paused", "stopped", "done", "diverged", "early_stopped"
    run.model, run.step, run.epoch, run.epoch_fraction, run.lr, run.batch_size, run.changes

Every event's point is stored in ``curve`` before ``on_event`` sees it, so an interrupted script
run loses nothing: the next one calls ``advance`` again and the run resumes exactly where it was
(the same numbers, bit for bit, as without the interruption). ``lock`` is held while a run
trains: with Streamlit's fast reruns an interrupted script run may still be finishing its step
when the next one starts, which waits with ``wait_idle`` before touching the run.

A run may go on past its planned epochs (the Lab's "One more epoch" after the end): ``planned``
stays ``config.epochs`` and ``where()`` says so ("epoch 2.06, past the 1 planned").
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from mnistcore.config import TrainConfig
from mnistcore.figures.training import CURVE_KEYS, empty_curve
from mnistcore.model import MLP
from mnistcore.train import Progress, Trainer

# The one rule for settings changed while a run trains, shown as it is on every page that allows it.
CHANGE_RULE = ("A new learning rate applies from the next step; a new batch size from the next "
               "epoch (an epoch's batches are drawn when it starts). Each change is marked on the charts.")
ENDED = ("stopped", "done", "diverged", "early_stopped")   # statuses after which the run is filed
FINAL = ("stopped", "diverged", "early_stopped")           # no further training ("done" may go on)


def record_point(curve: dict[str, list], event: Progress) -> None:
    """Append a "step" or "epoch" event to `curve` (non-finite values become None); skip others."""
    if event.kind not in ("step", "epoch"):
        return
    curve["epoch"].append(event.epoch_fraction)
    curve["kind"].append(event.kind)
    for name in CURVE_KEYS[2:]:
        value = getattr(event, name)
        curve[name].append(value if value is not None and math.isfinite(value) else None)


class LiveRun:
    """A Trainer under a page's hand, with its curve and the one rule for changes (see module doc)."""

    def __init__(self, config: TrainConfig, dataset, model: MLP | None = None,
                 points_per_epoch: int = 10, score_steps: bool = True) -> None:
        self.trainer = Trainer(config, dataset, model=model, points_per_epoch=points_per_epoch,
                               score_steps=score_steps)
        self.curve: dict[str, list] = empty_curve()
        self.last: Progress | None = None        # the latest event, "done" included
        self.lock = threading.RLock()   # re-entrant: a page may hold it around advance and filing
        self._stopped = self._pause_asked = False
        self._pending_batch: int | None = None

    @classmethod
    def from_trainer(cls, trainer: Trainer) -> "LiveRun":
        """Take over a Trainer made elsewhere (tests, benchmarks); its earlier events are not in the curve."""
        run = cls.__new__(cls)
        run.trainer, run.curve, run.last, run.lock = trainer, empty_curve(), None, threading.RLock()
        run._stopped = run._pause_asked = False
        run._pending_batch = None
        return run

    # -- what the run is ---------------------------------------------------------------------------
    config = property(lambda self: self.trainer.config)
    model = property(lambda self: self.trainer.model)
    step = property(lambda self: self.trainer.step)
    epoch = property(lambda self: self.trainer.epoch)
    epoch_fraction = property(lambda self: self.trainer.epoch_fraction)
    lr = property(lambda self: self.trainer.lr)
    changes = property(lambda self: self.trainer.changes)
    planned = property(lambda self: self.trainer.config.epochs)

    @property
    def batch_size(self) -> int:
        """The batch size of the next epoch (a change waits for it, see CHANGE_RULE)."""
        return self.trainer.batch_size if self._pending_batch is None else self._pending_batch

    @property
    def pending(self) -> dict[str, int]:
        """Changes asked for that wait for the next epoch, e.g. {"batch_size": 64}."""
        return {} if self._pending_batch is None else {"batch_size": self._pending_batch}

    @property
    def status(self) -> str:
        t = self.trainer.status
        if self._stopped and t not in ("diverged", "early_stopped"):
            return "stopped"
        if t in ("diverged", "early_stopped", "ready", "running"):
            return t
        at_end = self.trainer.epoch >= self.planned and self.trainer.epoch_fraction == self.trainer.epoch
        return "done" if at_end else "paused"

    @property
    def can_train(self) -> bool:
        return self.status not in FINAL

    @property
    def message(self) -> str:
        """Why the run ended as it did (a divergence, early stopping), else ""."""
        return self.last.message if self.last is not None and self.status in ("diverged", "early_stopped") else ""

    def where(self) -> str:
        """E.g. "epoch 1.25 of 3", or "epoch 2.06, past the 1 planned" (never "2.06 of 1")."""
        if self.epoch_fraction > self.planned:
            return f"epoch {self.epoch_fraction:.2f}, past the {self.planned} planned"
        return f"epoch {self.epoch_fraction:.2f} of {self.planned}"

    # -- driving it --------------------------------------------------------------------------------
    def advance(self, steps: int | None = None, epochs: int | None = None, deadline: float | None = None,
                on_event: Callable[[Progress], None] | None = None,
                clock: Callable[[], float] = time.perf_counter) -> list[Progress]:
        """Train on: `steps` optimizer steps, or `epochs` epochs, or (neither) to the planned end;
        stop early at `deadline` (a `clock()` time). Returns this call's events, "done" included.

        `on_event(event)` is called after each event is stored; if it raises (a page's script run
        interrupted), the run pauses there and the exception goes on. A stopped or diverged run
        does not train (returns []).
        """
        if not self.can_train:
            return []
        out: list[Progress] = []
        with self.lock:
            self._pause_asked = False
            self._apply_pending()
            events = self.trainer.run(epochs=epochs, steps=steps)
            try:
                for event in events:
                    record_point(self.curve, event)
                    self.last = event
                    out.append(event)
                    if event.kind == "epoch":
                        self._apply_pending()
                    if on_event is not None:
                        on_event(event)
                    if self._stopped or self._pause_asked or (deadline is not None and clock() >= deadline):
                        break
            finally:
                events.close()   # the Trainer is between two steps: it can resume from exactly here
        return out

    def change(self, lr: float | None = None, batch_size: int | None = None) -> None:
        """Change the learning rate and/or batch size while the run trains (CHANGE_RULE).

        ValueError for a value the Trainer cannot take; an unchanged value is no change.
        """
        if lr is not None and lr != self.trainer.lr:
            self.trainer.set_lr(float(lr))
        if batch_size is not None:
            if not isinstance(batch_size, int) or batch_size < 0:
                raise ValueError(f"batch_size must be a whole number >= 0; got {batch_size!r}")
            self._pending_batch = None if batch_size == self.trainer.batch_size else batch_size
            self._apply_pending()

    def pause(self) -> None:
        """Pause after the current event: an advance under way (say, in a script run that another
        click interrupts) returns there; the next advance goes on from exactly that point."""
        self._pause_asked = True

    def stop(self) -> None:
        """End the run where it is (its model as it stands is kept); a running advance stops after
        its current event."""
        self._stopped = True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no script run is training this run (True), or `timeout` seconds (False)."""
        if not self.lock.acquire(timeout=timeout):
            return False
        self.lock.release()
        return True

    def _apply_pending(self) -> None:
        """At an epoch boundary, hand a waiting batch size to the trainer (marked where it applies)."""
        if self._pending_batch is not None and self.trainer.epoch_fraction == self.trainer.epoch:
            self.trainer.set_batch_size(self._pending_batch)
            self._pending_batch = None
