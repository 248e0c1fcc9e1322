"""The one live-run controller (ui/live_run.py): steps, epochs, deadlines, pause and resume after an
interruption (the same numbers as an uninterrupted run), stop, the one rule for changes, the curve."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mnistcore.config import TrainConfig
from mnistcore.figures.training import empty_curve
from mnistcore.train import Trainer
from ui.live_run import CHANGE_RULE, LiveRun, record_point

from test_page_train import synthetic   # ten separable "digits", shared with the Train page's tests

DATA = synthetic(640, 100)
CONFIG = TrainConfig(hidden=(16,), epochs=2, batch_size=64, lr=0.1, seed=3)   # 10 steps an epoch


class Interrupt(Exception):
    """What Streamlit raises out of a page's drawing when a click cuts a script run short."""


def test_steps_epochs_and_the_end():
    run = LiveRun(CONFIG, DATA)
    assert run.status == "ready" and run.where() == "epoch 0.00 of 2"
    events = run.advance(steps=3)
    assert run.step == 3 and run.status == "paused" and events[-1].kind == "step"
    assert run.curve["epoch"] == [e.epoch_fraction for e in events]
    run.advance(epochs=1)                         # to the end of the epoch under way
    assert run.step == 10 and run.epoch == 1 and run.status == "paused"
    events = run.advance()                        # to the planned end
    assert run.epoch == 2 and run.status == "done" and events[-1].kind == "done"
    assert run.curve["kind"].count("epoch") == 2
    run.advance(steps=1)                          # a run may go on past its plan, and says so
    assert run.where() == "epoch 2.10, past the 2 planned" and run.status == "paused"


def test_an_interrupted_run_resumes_to_the_same_numbers():
    whole = LiveRun(CONFIG, DATA)
    whole.advance()
    cut = LiveRun(CONFIG, DATA)
    seen = []

    def draw(event):
        seen.append(event)
        if len(seen) == 4:
            raise Interrupt
    with pytest.raises(Interrupt):
        cut.advance(on_event=draw)
    assert cut.status == "paused" and len(cut.curve["epoch"]) == 4   # the point was stored first
    assert cut.wait_idle(timeout=1.0)                                  # the lock was let go
    cut.advance()
    assert cut.status == "done" and cut.curve == whole.curve
    assert all(np.array_equal(a, b) for a, b in zip(cut.model.params, whole.model.params))


def test_deadline_pause_and_stop():
    run = LiveRun(CONFIG, DATA)
    ticks = iter(range(100))
    events = run.advance(deadline=2, clock=lambda: next(ticks))      # 0, 1 < 2; 2 >= 2: stop there
    assert len(events) == 3 and run.status == "paused"
    run.advance(on_event=lambda e: run.pause())                      # pause after the next event
    assert len(run.curve["epoch"]) == 4 and run.status == "paused"
    run.stop()
    assert run.status == "stopped" and not run.can_train
    assert run.advance() == [] and run.step == events[-1].step + 1   # a stopped run trains no more


def test_stop_during_an_advance_ends_after_that_event():
    run = LiveRun(CONFIG, DATA)
    run.advance(on_event=lambda e: run.stop() if e.step >= 5 else None)
    assert run.status == "stopped" and run.curve["epoch"][-1] == pytest.approx(0.5)


def test_the_one_rule_for_changes():
    assert "learning rate applies from the next step" in CHANGE_RULE
    assert "batch size from the next epoch" in CHANGE_RULE
    run = LiveRun(CONFIG, DATA)
    run.advance(steps=3)
    run.change(lr=0.05, batch_size=32)
    assert run.lr == 0.05 and run.batch_size == 32 and run.pending == {"batch_size": 32}
    assert run.trainer.batch_size == 64                       # the epoch's batches are drawn already
    run.advance(steps=1)
    assert run.trainer.history == [] and run.last.lr == pytest.approx(0.05)   # from the next step
    run.advance(epochs=1)
    assert run.pending == {} and run.trainer.batch_size == 32
    assert run.changes == [(pytest.approx(0.3), "lr 0.1 → 0.05"), (1.0, "batch 64 → 32")]
    run.advance(steps=1)
    assert run.step == 11 and run.epoch_fraction == pytest.approx(1 + 1 / 20)   # 640 / 32 = 20 steps
    run.change(batch_size=32, lr=0.05)                        # the same values: no change marked
    assert len(run.changes) == 2
    with pytest.raises(ValueError):
        run.change(lr=-1.0)


def test_a_diverging_run_ends_and_trains_no_more():
    run = LiveRun(CONFIG.replace(lr=100.0, loss="mse", hidden=(64,)), DATA)
    run.advance()
    assert run.status == "diverged" and not run.can_train and "learning rate" in run.message
    assert run.advance(steps=1) == []


def test_record_point_keeps_steps_and_epochs_and_hides_non_finite_values():
    trainer = Trainer(TrainConfig(hidden=(8,), epochs=1, batch_size=200), synthetic(400, 50))
    curve = empty_curve()
    events = list(trainer.run())
    for e in events:
        record_point(curve, e)
    assert events[-1].kind == "done" and len(curve["epoch"]) == len(events) - 1
    assert curve["kind"][-1] == "epoch"
    events[0].train_loss = math.inf
    record_point(curve, events[0])
    assert curve["train_loss"][-1] is None


def test_from_trainer_takes_over_where_it_stands():
    trainer = Trainer(CONFIG, DATA)
    list(trainer.run(steps=4))
    run = LiveRun.from_trainer(trainer)
    run.advance()
    assert run.status == "done" and run.curve["epoch"][0] > 0.4 and run.step == 20
