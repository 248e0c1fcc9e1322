"""The Lab page's run under the visitor's hand: run, pause, one batch or one epoch more, slow motion.

The ``Trainer`` lives in session state (``LAB_TRAINER``); it holds the model and index arrays
into the shared, read-only data set, never a copy of the images. Training happens in the
script run, event by event, redrawing the charts as it goes. Pause is simply another click:
Streamlit stops the running script at its next element and reruns, and the trainer, stopped
between two of its events, goes on from exactly there the next time (the same numbers as
an uninterrupted run). Learning-rate and batch-size changes wait for the end of the epoch,
where the trainer takes them (``Trainer.set_lr`` / ``set_batch_size``) and marks them on the charts.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator

import streamlit as st

from mnistcore.config import OPTIMIZER_NAMES, TrainConfig
from mnistcore.figures.training import CURVE_KEYS, empty_curve, learning_curves
from mnistcore.train import Progress, Trainer
from ui import limits, state
from ui.data import current_dataset, dataset_key
from ui.lab import LAB_ACTION, LAB_CURVE, LAB_DATASET, LAB_ERROR, LAB_EVENTS, LAB_PENDING, LAB_TRAINER

WIDTHS = (16, 32, 64, 128, 256)
LRS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCHES = (16, 32, 64, 128, 256, 512)      # no full batch: it would copy the training set per visitor
SIZES = (1000, 5000, 10_000, 20_000, 60_000)
SLOW_SECONDS = 0.3                          # between two batches in slow motion
POINTS_PER_EPOCH = 10
STATUS = {"ready": "ready to start", "stopped": "paused", "paused": "paused"}  # Trainer.status as said here
# Widget keys (defined in ui.state with every other session key)
W_WIDTH, W_OPT, W_LR, W_BATCH, W_SIZE, W_EPOCHS, W_SEED = (
    state.LAB_W_WIDTH, state.LAB_W_OPT, state.LAB_W_LR, state.LAB_W_BATCH, state.LAB_W_SIZE,
    state.LAB_W_EPOCHS, state.LAB_W_SEED)
W_NEW_LR, W_NEW_BATCH, W_SLOW_N = state.LAB_W_NEW_LR, state.LAB_W_NEW_BATCH, state.LAB_W_SLOW_N


def new_run_form() -> None:
    """Settings of a new run and the button that starts it (replacing the current one)."""
    lim = limits.load()
    cols = st.columns(7)
    widths = [w for w in WIDTHS if w <= lim.max_width] or [lim.max_width]
    cols[0].selectbox("Hidden units", widths, index=widths.index(64) if 64 in widths else 0, key=W_WIDTH)
    cols[1].selectbox("Optimizer", OPTIMIZER_NAMES, key=W_OPT)
    cols[2].select_slider("Learning rate", LRS, value=0.1, key=W_LR)
    cols[3].selectbox("Batch size", BATCHES, index=BATCHES.index(64), key=W_BATCH)
    cols[4].selectbox("Training images", SIZES, index=SIZES.index(10_000), key=W_SIZE, format_func="{:,}".format)
    cols[5].number_input("Epochs", 1, min(20, lim.max_epochs), 5, key=W_EPOCHS)
    cols[6].number_input("Seed", 0, 2**31 - 1, 0, key=W_SEED)
    st.button("New run", icon=":material/restart_alt:", type="primary", on_click=_new_run)
    error = st.session_state.pop(LAB_ERROR, None)
    if error:
        st.error(f"That run cannot start: {error}")


# Buttons act through callbacks, which run before the script: a click is never lost to a rerun.

def _new_run() -> None:
    ds = current_dataset()
    get = st.session_state.get
    try:
        config = TrainConfig(hidden=(int(get(W_WIDTH, 64)),), optimizer=get(W_OPT, "sgd"),
                             lr=float(get(W_LR, 0.1)), batch_size=int(get(W_BATCH, 64)),
                             epochs=int(get(W_EPOCHS, 5)), seed=int(get(W_SEED, 0)),
                             train_size=min(int(get(W_SIZE, 10_000)), len(ds.y_train)))
        trainer = Trainer(config, ds, points_per_epoch=POINTS_PER_EPOCH)
    except ValueError as err:
        st.session_state[LAB_ERROR] = str(err)
        return
    st.session_state[LAB_TRAINER] = trainer
    st.session_state[LAB_CURVE] = empty_curve()
    st.session_state[LAB_DATASET] = dataset_key(ds)
    st.session_state[W_NEW_LR], st.session_state[W_NEW_BATCH] = config.lr, config.batch_size
    for key in (LAB_PENDING, LAB_ACTION):
        st.session_state.pop(key, None)


def _ask(action: str | None) -> None:
    """Remember what the run should do in this script run (None: Pause, i.e. nothing)."""
    st.session_state[LAB_ACTION] = action


def record(curve: dict, event: Progress) -> None:
    """Add a "step" or "epoch" event to the curve (the shape mnistcore.figures.training reads)."""
    if event.kind not in ("step", "epoch"):
        return
    values = {**event.record(), "epoch": event.epoch_fraction}
    for k in CURVE_KEYS:
        curve[k].append(values[k])


def apply_pending(trainer: Trainer) -> None:
    """At an epoch boundary, hand the waiting lr / batch size changes to the trainer."""
    pending = st.session_state.get(LAB_PENDING)
    if not pending or trainer.epoch_fraction != trainer.epoch:
        return
    if pending.get("lr") not in (None, trainer.lr):
        trainer.set_lr(pending["lr"])
    if pending.get("batch_size") not in (None, trainer.batch_size):
        trainer.set_batch_size(pending["batch_size"])
    st.session_state.pop(LAB_PENDING)


def _queue_change() -> None:
    st.session_state[LAB_PENDING] = {"lr": float(st.session_state[W_NEW_LR]),
                                     "batch_size": int(st.session_state[W_NEW_BATCH])}
    apply_pending(st.session_state[LAB_TRAINER])


def _events(trainer: Trainer, action: str) -> Iterator[Progress]:
    """The trainer's events for one press of a button; slow motion sleeps between batches."""
    if action == "run":
        yield from trainer.run()
    elif action == "epoch":
        yield from trainer.run(epochs=1)
    elif action == "batch":
        yield from trainer.run(steps=1)
    elif action == "slow":
        for k in range(int(st.session_state.get(W_SLOW_N, 20))):
            if k:
                time.sleep(SLOW_SECONDS)
            yield from trainer.run(steps=1)
            if trainer.status == "diverged":
                return


def status_line(trainer: Trainer) -> str:
    curve = st.session_state[LAB_CURVE]
    test = [a for a in curve["test_accuracy"] if a is not None]
    acc = f" · test accuracy {test[-1]:.1%}" if test else ""
    status = STATUS.get(trainer.status, trainer.status)
    if trainer.status == "done" and trainer.epoch < trainer.config.epochs:
        status = "paused"  # "done" with the epoch asked for, not with the run
    return (f"**Epoch {trainer.epoch_fraction:.2f}** of {trainer.config.epochs} · step {trainer.step:,} · "
            f"learning rate {trainer.lr:g} · batch size {trainer.batch_size}{acc} · {status}")


def draw(trainer: Trainer, slots, n: int) -> None:
    """The status and both learning curves, in their placeholders (``n`` keeps element keys unique)."""
    curve = st.session_state[LAB_CURVE]
    # Within the first epoch the x axis follows the points (slow motion's first batches would be
    # a sliver of a 5-epoch axis); afterwards it spans the whole run so the chart fills in.
    span = max(trainer.config.epochs, math.ceil(trainer.epoch_fraction)) if trainer.epoch_fraction >= 1 else None
    slots[0].markdown(status_line(trainer))
    for slot, metric in zip(slots[1:], ("loss", "accuracy")):
        slot.plotly_chart(learning_curves(curve, metric, epochs=span, changes=trainer.changes, height=320),
                          key=f"lab_curve_{metric}_{n}")


def run_section() -> None:
    """Everything of the "Control the run" tab."""
    trainer: Trainer | None = st.session_state.get(LAB_TRAINER)
    ds = current_dataset()
    if trainer is not None and st.session_state.get(LAB_DATASET) != dataset_key(ds):
        st.info("The data set changed since this run started; start a new run to train on it.")
    with st.expander("Settings of a new run", expanded=trainer is None):
        new_run_form()
    trainer = st.session_state.get(LAB_TRAINER)
    if trainer is None:
        st.caption("Start a run, then drive it with the buttons that appear here.")
        return

    # A run that Pause (or any click) interrupted left its generator suspended; close it now, so
    # that it marks the trainer stopped here rather than whenever it is garbage-collected, which
    # could be in the middle of the next run.
    interrupted = st.session_state.pop(LAB_EVENTS, None)
    if interrupted is not None:
        interrupted.close()
    action = st.session_state.pop(LAB_ACTION, None)
    done = trainer.epoch >= trainer.config.epochs
    dead = trainer.status == "diverged"
    c = st.columns([1, 1, 1.3, 1.3, 1.2, 1.6])
    c[0].button("Run", icon=":material/play_arrow:", disabled=done or dead, on_click=_ask, args=("run",),
                help=f"Train on to epoch {trainer.config.epochs}; Pause stops it where it is.")
    c[1].button("Pause", icon=":material/pause:", on_click=_ask, args=(None,),
                help="Stop between two batches; Run goes on from there.")
    c[2].button("One more batch", icon=":material/skip_next:", disabled=dead, on_click=_ask, args=("batch",))
    c[3].button("One more epoch", icon=":material/fast_forward:", disabled=dead, on_click=_ask, args=("epoch",),
                help="Train to the end of this epoch (a whole epoch when at the start of one).")
    c[4].button("Slow motion", icon=":material/slow_motion_video:", disabled=dead, on_click=_ask, args=("slow",),
                help=f"The next batches one by one, a step every {SLOW_SECONDS} s, the charts redrawn each time.")
    c[5].number_input("batches in slow motion", 1, 200, 20, key=W_SLOW_N)

    with st.container(border=True):
        st.markdown("**Change between epochs** (taken at the end of the current epoch, marked on the charts)")
        c = st.columns([2, 1, 1])
        st.session_state.setdefault(W_NEW_LR, trainer.lr)
        st.session_state.setdefault(W_NEW_BATCH, trainer.batch_size)
        c[0].select_slider("New learning rate", LRS, key=W_NEW_LR)
        c[1].selectbox("New batch size", BATCHES, key=W_NEW_BATCH)
        c[2].button("Change", icon=":material/tune:", on_click=_queue_change, disabled=dead)
        pending = st.session_state.get(LAB_PENDING)
        if pending:
            st.caption(f"Waiting for epoch {trainer.epoch + 1} to end: learning rate {pending['lr']:g}, "
                       f"batch size {pending['batch_size']}.")

    status = st.empty()
    left, right = st.columns(2)
    slots = (status, left.empty(), right.empty())
    n = 0
    draw(trainer, slots, n)
    if action is not None:
        events = st.session_state[LAB_EVENTS] = _events(trainer, action)
        for event in events:
            record(st.session_state[LAB_CURVE], event)
            if event.kind == "epoch":
                apply_pending(trainer)
            n += 1
            draw(trainer, slots, n)
            if event.status == "diverged":
                break
        st.session_state.pop(LAB_EVENTS, None)
        st.rerun()  # the buttons above were drawn for the state before this training: redraw them
    if trainer.status == "diverged":
        message = trainer.history[-1].message if trainer.history else ""
        st.error(f"The run diverged: {message}. Start a new run with a smaller learning rate.")
