"""Learning-rate schedules: the learning rate for each epoch of a run.

``lr_at(schedule, lr, epoch, epochs)`` with ``epoch`` counted from 0. Decaying
the rate lets a run take big steps early and settle into a minimum late.
"""
from __future__ import annotations

import math


def constant(lr: float, epoch: int, epochs: int) -> float:
    return lr


def step(lr: float, epoch: int, epochs: int) -> float:
    """Halve the rate every quarter of the run."""
    return lr * 0.5 ** (epoch // max(1, epochs // 4))


def cosine(lr: float, epoch: int, epochs: int) -> float:
    """Half a cosine wave from lr down towards 0 over the run."""
    return lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


SCHEDULES = {"constant": constant, "step": step, "cosine": cosine}

FORMULAS = {
    "constant": r"\eta_e = \eta",
    "step": r"\eta_e = \eta \cdot 0.5^{\lfloor e / \lfloor E/4 \rfloor \rfloor}",
    "cosine": r"\eta_e = \tfrac{\eta}{2}\left(1 + \cos\frac{\pi e}{E}\right)",
}


def lr_at(schedule: str, lr: float, epoch: int, epochs: int) -> float:
    """The learning rate for epoch ``epoch`` (0-based) of ``epochs``."""
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}")
    return SCHEDULES[schedule](lr, epoch, epochs)
