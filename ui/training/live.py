"""The Train page's live loop: a run trained in the script run, drawn as it goes, within a budget.

How Train and Stop work in Streamlit. Pressing any button while the script runs makes Streamlit
stop that run at its next Streamlit call (with ``runner.fastReruns``, the default, a new run
starts at once in another thread while the old one is still winding down). So training cannot
live in local variables of one script run. It lives in ``st.session_state[TR_ACTIVE]``: an
``ActiveRun`` holding a ``ui.live_run.LiveRun`` (which resumes mid-epoch, stores every point
before anything can interrupt it, and holds a lock while it trains) and the page's timings.
The run's lifecycle (start, settle, resume, finish) is in ui/training/runs.py.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

import streamlit as st

from mnistcore.config import TrainConfig
from mnistcore.figures import training as figs
from mnistcore.train import Progress
from ui import state
from ui.live_run import LiveRun

if TYPE_CHECKING:
    from ui.training.scoring import Results
    from ui.training.runs import Run

POINTS_PER_EPOCH = 20      # "step" events per epoch: the first point comes after 1/20 of an epoch
SCORE_SHARE = 0.03         # scoring the test subset within epochs may cost 3% of the training time
DRAW_SHARE = 0.03          # redrawing the charts may cost 3% of the time between redraws
DRAW_INTERVAL = 0.5        # seconds between redraws at least
PROGRESS_INTERVAL = 0.1    # seconds between progress-bar updates at least
STOP_WAIT = 120.0          # seconds to wait for an interrupted run to finish its step (a full batch can be slow)


@dataclass
class ActiveRun:
    """A run under way, kept in session state so that it outlives the script run drawing it."""

    number: int
    live: LiveRun
    dataset: str
    class_names: tuple[str, ...]
    start: str                                    # "fresh weights" or where the weights came from
    created: float = field(default_factory=time.perf_counter)
    wall_seconds: float = 0.0                     # time in the loop: training, scoring and drawing
    cpu_seconds: float = 0.0                      # CPU time of this process meanwhile (all threads)
    first_point_seconds: float | None = None      # from the press of Train to the first point
    dataset_key: str = ""                         # ui.data.dataset_key of its data ("": results not cached)
    results: "Results | None" = None              # its model on the test split, set when it is filed
    record: "Run | None" = None                   # set when the run is filed (see finish)

    trainer = property(lambda self: self.live.trainer)
    curve = property(lambda self: self.live.curve)
    last = property(lambda self: self.live.last)
    lock = property(lambda self: self.live.lock)

    @property
    def config(self) -> TrainConfig:
        return self.live.config


class View(Protocol):
    """Where the loop shows progress: Streamlit placeholders on the page, a stub in benchmarks."""

    def poll(self) -> None: ...
    def progress(self, run: ActiveRun, event: Progress) -> None: ...
    def charts(self, run: ActiveRun) -> None: ...


@dataclass
class Pacer:
    """Decides per event whether to score the test subset and whether to redraw, within a budget.

    Both cost time the command line does not spend. Scoring within an epoch is allowed while
    its measured cost stays under SCORE_SHARE of the training time; redraws come at most every
    DRAW_INTERVAL seconds, further apart if one redraw costs more than DRAW_SHARE of that.
    """

    clock: Callable[[], float] = time.perf_counter
    score_cost: float = 0.0
    last_draw: float = -math.inf
    last_draw_cost: float = 0.0
    last_progress: float = -math.inf

    def score_next(self, train_seconds: float) -> bool:
        return self.score_cost <= SCORE_SHARE * train_seconds

    def draw_due(self, now: float, first: bool) -> bool:
        return first or now - self.last_draw >= max(DRAW_INTERVAL, self.last_draw_cost / DRAW_SHARE)

    def progress_due(self, now: float, event: Progress) -> bool:
        return event.kind != "step" or now - self.last_progress >= PROGRESS_INTERVAL


def train_live(run: ActiveRun, view: View, pacer: Pacer | None = None) -> None:
    """Train `run` to its end (or until Streamlit interrupts the script), showing it in `view`.

    The LiveRun stores every event's point before `on_event` draws it, so an interrupted run
    loses nothing.
    """
    pacer = pacer or Pacer()
    clock, trainer = pacer.clock, run.trainer
    trainer.points_per_epoch = POINTS_PER_EPOCH
    trainer.score_steps = True  # the first point of a run gets a test score
    start, cpu_start = clock(), time.process_time()
    since = {"resumed": start, "trained": trainer.train_seconds, "scoring": True}

    def on_event(event: Progress) -> None:
        now = clock()
        if event.kind == "step" and since["scoring"]:  # the wait beyond training was the scoring
            pacer.score_cost += max(0.0, now - since["resumed"] - (trainer.train_seconds - since["trained"]))
        first = run.first_point_seconds is None and event.kind in ("step", "epoch")
        if first:
            run.first_point_seconds = now - run.created
        view.poll()  # a click on Stop (or anything) interrupts the script here
        if pacer.progress_due(now, event):
            view.progress(run, event)
            pacer.last_progress = now
        if pacer.draw_due(now, first):
            drawing = clock()
            view.charts(run)
            pacer.last_draw = clock()
            pacer.last_draw_cost = pacer.last_draw - drawing
        trainer.score_steps = since["scoring"] = pacer.score_next(trainer.train_seconds)
        since["resumed"], since["trained"] = clock(), trainer.train_seconds

    try:
        run.live.advance(on_event=on_event)
    finally:
        run.wall_seconds += clock() - start
        run.cpu_seconds += time.process_time() - cpu_start


def progress_text(event: Progress) -> str:
    left = event.seconds_left
    left = "" if not math.isfinite(left) else f" · {left:.0f} s left" if left < 120 else f" · {left / 60:.1f} min left"
    return f"Epoch {event.epoch}/{event.epochs} · {event.samples_per_second:,.0f} samples/s{left}"


class StreamlitView:
    """The page's progress bar and two live charts, in st.empty placeholders."""

    def __init__(self) -> None:
        self.bar = st.empty()
        left, right = st.columns(2)
        self.loss, self.accuracy = left.empty(), right.empty()
        self.shown = -1  # points in the charts drawn by this script run

    def poll(self) -> None:
        st.session_state.get(state.TR_ACTIVE)  # session state access: Streamlit's interrupt point

    def progress(self, run: ActiveRun, event: Progress) -> None:
        done = min(1.0, event.epoch_fraction / max(event.epochs, 1))
        self.bar.progress(done, text=progress_text(event))

    def progress_waiting(self, run: ActiveRun) -> None:
        """Before the first event of this script run: where the run stands."""
        if run.last is None:
            self.bar.progress(0.0, text=f"Starting run #{run.number} ...")
        else:
            self.progress(run, run.last)

    def show_run(self, run: "Run") -> None:
        """A run that has ended: where it got to, and its curves."""
        self.bar.progress(min(1.0, run.epochs / run.config.epochs),
                          text=f"Run #{run.number} {run.status.replace('_', ' ')} at epoch {run.epochs:.2f}/"
                               f"{run.config.epochs} · {run.samples_per_second:,.0f} samples/s")
        self.show_curve(run.curve, run.epochs or run.config.epochs, run.changes)   # x: what was trained

    def charts(self, run: ActiveRun) -> None:
        self.show_curve(run.curve, run.config.epochs, run.trainer.changes)

    def show_curve(self, curve: dict[str, list], epochs: float | None, changes) -> None:
        if len(curve["epoch"]) == self.shown:
            return  # the same figure twice in one script run would be a duplicate element
        self.shown = len(curve["epoch"])
        self.loss.plotly_chart(figs.learning_curves(curve, "loss", epochs, changes))
        self.accuracy.plotly_chart(figs.learning_curves(curve, "accuracy", epochs, changes))


# Streamlit has no scrolling call: st.html runs this in the page itself. It waits (up to 3 s) for the run's progress bar, then scrolls it to a third of
# the way down the view: the Stop row above it, the charts below it.
SCROLL_JS = """<script>
let tries = 0;
const go = () => {
  const bar = document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]');
  if (bar) { bar.scrollIntoView({block: 'start'}); bar.closest('[data-testid="stMain"]').scrollBy?.(0, -120); }
  else if (tries++ < 30) setTimeout(go, 100);
};
go();
</script>"""


def scroll_into_view() -> None:
    """Bring the live run (its progress bar, the charts below it) into view: Train is pressed
    further down the page, where the browser would otherwise stay."""
    st.html(SCROLL_JS, unsafe_allow_javascript=True)
