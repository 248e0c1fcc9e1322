"""Learning-rate schedules: the learning rate for each epoch of a run.

``lr_at(schedule, lr, epoch, epochs)`` with ``epoch`` counted from 0 and ``epochs`` = E the
run's length. Decaying the rate lets a run take big steps early and settle into a minimum late.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple


class Schedule(NamedTuple):
    """One entry of ``SCHEDULES``: adding a schedule is one more entry (options.py lists it)."""

    fn: Callable[[float, int, int], float]   # (lr, epoch, epochs) -> the epoch's rate
    formula: str
    label: str
    help: str


def constant(lr: float, epoch: int, epochs: int) -> float:
    return lr


def step(lr: float, epoch: int, epochs: int) -> float:
    """Halve the rate each time another quarter of the run has passed: eta * 0.5^floor(4e / E).

    Defined for every E >= 1: with E = 8 the rate halves at epochs 2, 4, 6; with E = 6 at
    epochs 2, 3, 5 (the first epoch of each new quarter); with E = 2 epoch 1 starts half-way
    through the run, two quarters on, so it gets eta / 4; a one-epoch run keeps eta.
    """
    return lr * 0.5 ** (4 * epoch // max(1, epochs))


def cosine(lr: float, epoch: int, epochs: int) -> float:
    """Half a cosine wave from lr down towards 0 over the run."""
    return lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


SCHEDULES: dict[str, Schedule] = {
    "constant": Schedule(constant, r"\eta_e = \eta", "Constant", "The same rate every epoch."),
    "step": Schedule(step, r"\eta_e = \eta \cdot 0.5^{\lfloor 4e / E \rfloor}",
                     "Step (halve each quarter)",
                     "The rate is halved each time another quarter of the run's E epochs has passed "
                     "(epoch e of E, counted from 0)."),
    "cosine": Schedule(cosine, r"\eta_e = \tfrac{\eta}{2}\left(1 + \cos\frac{\pi e}{E}\right)", "Cosine",
                       "Half a cosine wave from the rate down towards 0 over the run's E epochs."),
}

FORMULAS = {name: s.formula for name, s in SCHEDULES.items()}  # read by pages/inside.py


def lr_at(schedule: str, lr: float, epoch: int, epochs: int) -> float:
    """The learning rate for epoch ``epoch`` (0-based) of ``epochs``."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}")
    return SCHEDULES[schedule].fn(lr, epoch, epochs)
