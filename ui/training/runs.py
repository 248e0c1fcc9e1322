"""The Train page's runs: start one, settle or resume it in each script run, file it when it ends.

- Train's callback asks for a run; the next script run builds the ``ActiveRun`` and trains it
  (ui/training/live.py), touching session state at every progress event, which is where a
  click interrupts it.
- Stop's callback stops the ``LiveRun`` (an advance under way ends after its current event).
  The new script run waits for the run's lock (the old run releases it as it is interrupted,
  having already stored every point), then files the run as "stopped": model, curve and
  scores are kept.
- Streamlit's own header Stop ends the script run with a StopException: the run is stopped the
  same way and filed, and the page is asked to draw itself again (see ``resume``).
- Any other click during training (a new learning rate, another page and back) also interrupts
  the old run; the new script run resumes the same ``LiveRun`` where it was.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import StopException  # pinned Streamlit: see requirements.txt

from mnistcore.checkpoint import model_metadata
from mnistcore.config import TrainConfig
from mnistcore.options import OPTIONS
from ui import limits as lim
from ui import state
from ui.header_stop import redraw_once, replaced_by_a_new_run
from ui.live_run import ENDED, LiveRun
from ui.models import HeldModel, held_model, hold
from ui.training.live import POINTS_PER_EPOCH, STOP_WAIT, ActiveRun, View, train_live
from ui.training import scoring
from ui.training.settings import key


@dataclass
class Run:
    """A run that ended (done, stopped, diverged, early stopped) as the runs table keeps it.

    No weights: only the latest model is kept (under TRAINED_MODEL), so a visitor's runs stay
    small however many there are.
    """

    number: int
    config: TrainConfig
    curve: dict[str, list]
    changes: list[tuple[float, str]]
    status: str
    message: str
    epochs: float                      # epochs trained, e.g. 2.35
    test_accuracy: float | None        # of the model it left, on the whole test split
    seconds: float                     # wall-clock time of training, scoring and drawing
    cpu_seconds: float                 # CPU time of the process meanwhile (what benchmarks compare)
    samples_per_second: float
    first_point_seconds: float | None
    dataset: str
    start: str
    dataset_key: str = ""              # ui.data.dataset_key of the data it trained and was scored on
    train_seconds: float = 0.0         # of `seconds`, the time in training steps (what the CLI reports)

    @property
    def label(self) -> str:
        return f"#{self.number} {describe(self.config)}"


def describe(config: TrainConfig) -> str:
    """A short name for a config in plain words (the options table's labels), e.g.
    "784-256-10 ReLU, cross-entropy, Adam η=0.001, batch 128"."""
    def said(name: str) -> str:
        return OPTIONS[name].choice_label(getattr(config, name)).split(" (")[0]
    batch = {0: "full batch", 1: "per-sample"}.get(config.batch_size, f"batch {config.batch_size}")
    return (f"{'-'.join(map(str, config.sizes))} {said('activation')}, {said('loss')}, {said('optimizer')} "
            f"η={config.lr:g}, {batch}")


def request_start() -> None:
    """Train's callback: the press time, so the first point's delay counts from the click."""
    st.session_state[state.TR_START] = time.perf_counter()


def request_stop() -> None:
    """Stop's callback. The interrupted script run has stored every point; the next one files the run."""
    run = st.session_state.get(state.TR_ACTIVE)
    if run is not None:
        run.live.stop()


def continue_reason(config: TrainConfig) -> str | None:
    """Why the current model cannot be trained further under `config` (None: it can)."""
    held = held_model()
    if held is None:
        return "there is no trained model yet"
    model = held.model
    if model.sizes != config.sizes:
        return (f"its layers {'-'.join(map(str, model.sizes))} differ from the settings' "
                f"{'-'.join(map(str, config.sizes))}")
    if (model.activation, model.loss) != (config.activation, config.loss):
        return f"it uses {model.activation} and {model.loss} loss; the settings say {config.activation} and {config.loss}"
    return None


def start_run(config: TrainConfig, dataset, dataset_key: str, pressed: float) -> ActiveRun:
    """A new ActiveRun of `config` on `dataset`, known to caches as `dataset_key` (ValueError if
    the two do not fit)."""
    model, start = None, "fresh weights"
    if st.session_state.get(state.TR_CONTINUE) and continue_reason(config) is None:
        held = held_model()
        model, start = held.model.copy(), f"continued from {held.meta.get('source', 'the previous model')}"
    live = LiveRun(config, dataset, model=model, points_per_epoch=POINTS_PER_EPOCH)
    number = st.session_state.get(state.TR_NEXT_RUN, 1)
    run = ActiveRun(number, live, dataset.name, tuple(str(c) for c in dataset.class_names), start,
                    created=pressed, dataset_key=dataset_key)
    st.session_state[state.TR_NEXT_RUN] = number + 1
    st.session_state[state.TR_ACTIVE] = run
    return run


def settle_active(limits: lim.Limits) -> ActiveRun | None:
    """The run to go on training in this script run, if any, after filing one that has ended.

    Waits for the lock first: an interrupted script run may still be finishing its last step.
    """
    run = st.session_state.get(state.TR_ACTIVE)
    if run is None:
        return None
    if not run.lock.acquire(timeout=STOP_WAIT):
        st.warning("The previous run is still finishing a training step. Reload the page in a moment.")
        st.stop()
    try:
        if run.record is not None or run.live.status in ENDED:
            finish(run, limits)
            return None
    finally:
        run.lock.release()
    return run


def apply_live_changes(run: ActiveRun, limits: lim.Limits) -> None:
    """Hand a changed learning rate or batch size to the run, by its one rule (live_run.CHANGE_RULE)."""
    live, s = run.live, st.session_state
    batch = s[key("batch_size")]
    if batch != live.batch_size:  # the epochs still to go, at the new batch size, within the limits
        trainer = live.trainer
        changed = run.config.replace(batch_size=batch)
        refused = lim.cost_problems(changed, len(trainer.y), limits, max(trainer.config.epochs - trainer.epoch, 1))
        if batch == 1 and len(trainer.train_idx) > limits.per_sample_max:
            refused = [f"per-sample SGD is limited to {limits.per_sample_max:,} images on this server"]
        if refused:
            s[key("batch_size")] = batch = live.batch_size
            s[state.TR_NOTES] = [("warning", f"The batch size stays as it was: {refused[0]}")]
    live.change(lr=s[key("lr")], batch_size=batch)


def resume(run: ActiveRun, view: View, limits: lim.Limits) -> None:
    """Train `run` in this script run, and file it if it ends here.

    Streamlit's own header Stop ends the script run with a StopException, after which every
    Streamlit call raises it again: the run is stopped (so that the next script run files it as
    "stopped", its model kept, instead of training on) and the exception goes on.
    """
    with run.lock:
        if run.record is not None:
            return
        apply_live_changes(run, limits)
        try:
            train_live(run, view)
        except StopException:   # the header Stop ends the run; a click that reruns the page pauses it
            if not replaced_by_a_new_run():
                run.live.stop()
            raise
        finish(run, limits)


def watch_for_header_stop(run: ActiveRun) -> None:
    """While `run` trains: once Streamlit's header Stop has stopped it (see resume), redraw the
    page, which files the run as "stopped" (ui/header_stop.py)."""
    def ended() -> bool:   # asked once the script run that trained `run` is over
        if run.record is not None:
            return False
        if run.live.status in ENDED:
            return True
        # Still "training", yet no script run trains it: the header Stop, taken for a click because
        # a tick of the watching fragment started the next script run (ui/header_stop.py).
        if not run.live.wait_idle(0):   # that script run may be letting go of it
            return False
        run.live.stop()
        return True
    redraw_once(ended)


def finish(run: ActiveRun, limits: lim.Limits) -> Run:
    """File `run` in the runs table and make its model the current one (unless it diverged).

    Called with the run's lock held. Any session-state access may be interrupted by a click, so
    the record is made first and the writes are safe to repeat: the next script run completes
    whatever an interrupted one left undone.
    """
    if run.record is None:
        # Scored once: the runs table's accuracy and the results shown below are the same numbers.
        run.results = scoring.score(run.trainer.model, run.trainer.x_test, run.trainer.y_test, run.dataset_key)
        run.record = _record(run)
    record, model = run.record, run.trainer.model
    runs = st.session_state.setdefault(state.TR_RUNS, [])
    if all(r is not record for r in runs):
        runs.append(record)
        del runs[:-limits.max_runs]
    if record.status != "diverged" and all(np.isfinite(p).all() for p in model.params):
        held = held_model()
        if held is None or held.model is not model:
            meta = model_metadata(model, run.config, {
                "dataset": run.dataset, "class_names": list(run.class_names),
                "test_accuracy": record.test_accuracy, "status": record.status,
                "epochs_trained": round(record.epochs, 3), "source": f"run #{run.number}"})
            st.session_state[state.TR_RESULTS] = run.results
            hold(HeldModel(model, meta, run.config, run.dataset, run.dataset_key))
    st.session_state[state.TR_ACTIVE] = None
    return record


def _record(run: ActiveRun) -> Run:
    """What the runs table keeps of `run` (no Streamlit calls: cannot be interrupted)."""
    trainer, last = run.trainer, run.last
    status = run.live.status if run.live.status in ("done", "diverged", "early_stopped") else "stopped"
    # The model as it ends (after early stopping, the best epoch's) on the whole test split: the
    # number the results show, where the curve's last point may score a fifth of the split.
    return Run(run.number, run.config, run.curve, list(trainer.changes), status,
               last.message if last is not None and status != "stopped" else "",
               trainer.epoch_fraction, run.results.accuracy if run.results is not None else None,
               run.wall_seconds, run.cpu_seconds,
               last.samples_per_second if last is not None else 0.0, run.first_point_seconds,
               run.dataset, run.start, run.dataset_key, trainer.train_seconds)


def run_status(run: Run) -> None:
    """One line on how the last run ended; for a divergence, why and what to try."""
    where = f"epoch {run.epochs:.2f} of {run.config.epochs}"
    score = f"test accuracy {run.test_accuracy:.2%}, " if run.test_accuracy is not None else ""
    if run.status == "diverged":
        st.error(f"Run #{run.number} diverged at {where}: {run.message}. Its weights blew up, "
                 f"so its model was not kept. Set the learning rate to {run.config.lr / 10:g} (or try Adam, "
                 "which adapts its steps) and press Train again.", icon=":material/error:")
    elif run.status == "stopped":
        st.info(f"Run #{run.number} stopped at {where}: {score}{run.seconds:.1f} s. Its model so far is kept.",
                icon=":material/stop_circle:")
    elif run.status == "early_stopped":
        st.info(f"Run #{run.number} stopped early at {where}: {run.message}.", icon=":material/timer_off:")
    else:
        epochs = f"{run.epochs:.0f} epoch{'s' * (round(run.epochs) != 1)}"
        st.success(f"Run #{run.number} done: {score}{epochs} in {run.seconds:.1f} s, measured "
                   f"here: {seconds_said(run)}.", icon=":material/check_circle:")


def seconds_said(run: Run) -> str:
    """Where a run's seconds went, as measured on this server while the page drew it."""
    return (f"{run.train_seconds:.1f} s of training steps, the rest scoring and drawing the charts, on this "
            "server, shared with other visitors (the command line, which draws nothing, reports the first)")


def show_notes() -> None:
    for level, text in st.session_state.pop(state.TR_NOTES, None) or ():
        {"error": st.error, "success": st.success}.get(level, st.warning)(text)
