"""The Lab page's run under the visitor's hand: run, pause, one batch or one epoch more, slow motion.

The run is a ``ui.live_run.LiveRun`` in session state (``state.LAB_TRAINER``), the controller the
Train page uses too; it holds the model and index arrays into the shared, read-only data set,
never a copy of the images. Changes of the learning rate and batch size follow the controller's
one rule (``live_run.CHANGE_RULE``).

The section is an ``st.fragment``: a press of a button reruns it alone, not the page. "One more
batch" trains its step before anything is drawn, so one fragment run shows it. Longer actions
train in slices of ``SLICE_SECONDS``, each a fragment run that draws the charts once and asks for
the next (``st.rerun(scope="fragment")``): a click inside a fragment does not interrupt the run
under way but waits for it, so Pause is taken between two slices. Run this way or stopped
between any two events (another page, Streamlit's header Stop), the run keeps every point and
goes on from exactly there the next time (the same numbers as an uninterrupted run). In a full
script run (a first visit; AppTest) a fragment cannot rerun itself, so the action trains to its
end there, and any click interrupts it as Streamlit interrupts a script.
"""
from __future__ import annotations

import math
import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mnistcore.config import TrainConfig
from mnistcore.options import OPTIONS
from mnistcore.figures.training import learning_curves
from mnistcore.train import Progress
from ui import limits, state
from ui.data import current_dataset, dataset_key
from ui.header_stop import redraw_once
from ui.live_run import CHANGE_RULE, LiveRun
from ui.training.live import DRAW_INTERVAL
from ui.state import LAB_ACTION, LAB_DATASET, LAB_ERROR, LAB_GOING, LAB_TRAINER, LAB_WATCHED
from ui.training.widgets import _help, formula, optimizer_formula

WIDTHS = (16, 32, 64, 128, 256)
LRS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
BATCHES = (16, 32, 64, 128, 256, 512)      # no full batch: it would copy the training set per visitor
SIZES = (1000, 5000, 10_000, 20_000, 60_000)
SLOW_SECONDS = 0.3                          # between two batches in slow motion
SLICE_SECONDS = 0.3                         # training per fragment run: Pause waits at most this
POINTS_PER_EPOCH = 10
STATUS = {"ready": "ready to start", "stopped": "stopped", "paused": "paused"}  # LiveRun.status as said here
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
    cols[0].selectbox("Hidden units", widths, index=widths.index(64) if 64 in widths else 0, key=W_WIDTH,
                      help="Units in the one hidden layer (ReLU, He's initial weights, cross-entropy).")
    cols[1].selectbox(label("optimizer"), list(OPTIONS["optimizer"].choices), key=W_OPT,
                      format_func=OPTIONS["optimizer"].choice_label, help=_help("optimizer"))
    cols[2].select_slider(label("lr"), LRS, value=0.1, key=W_LR, help=_help("lr"))
    cols[3].selectbox(label("batch_size"), BATCHES, index=BATCHES.index(64), key=W_BATCH,
                      help="Images averaged in each step's gradient.")
    cols[4].selectbox(label("train_size"), SIZES, index=SIZES.index(10_000), key=W_SIZE, format_func="{:,}".format,
                      help="A seeded random subset of the training images.")
    cols[5].number_input(label("epochs"), 1, min(20, lim.max_epochs), 5, key=W_EPOCHS, help=_help("epochs"))
    cols[6].number_input(label("seed"), 0, 2**31 - 1, 0, key=W_SEED, help=_help("seed"))
    st.button("New run", icon=":material/restart_alt:", type="primary", on_click=_new_run,
              help="A fresh network with these settings, ready to step through batch by batch.")
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
        refused = limits.problems(config, len(ds.y_train), limits.load())  # the Train page's rules
        if refused:
            raise ValueError(" ".join(refused))
        live = LiveRun(config, ds, points_per_epoch=POINTS_PER_EPOCH)
    except ValueError as err:
        st.session_state[LAB_ERROR] = str(err)
        return
    old = st.session_state.get(LAB_TRAINER)
    if old is not None:
        old.stop()   # a script run still training the old run lets go after its current event
    st.session_state[LAB_TRAINER] = live
    st.session_state[LAB_DATASET] = dataset_key(ds)
    st.session_state[W_NEW_LR], st.session_state[W_NEW_BATCH] = config.lr, config.batch_size
    st.session_state.pop(LAB_ACTION, None)


def _ask(action: str | None) -> None:
    """Remember what the run should do in this script run (None: Pause, i.e. nothing)."""
    st.session_state[LAB_ACTION] = action
    st.session_state[LAB_GOING] = action not in (None, "batch")   # (one batch is trained at once)
    if action is None and st.session_state.get(LAB_TRAINER) is not None:
        st.session_state[LAB_TRAINER].pause()   # a script run still training stops after its event


def _change() -> None:
    live: LiveRun = st.session_state[LAB_TRAINER]
    live.change(lr=float(st.session_state[W_NEW_LR]), batch_size=int(st.session_state[W_NEW_BATCH]))


def _work(live: LiveRun, action: str) -> tuple[str, float]:
    """What a press of `action` asks the run for: ("run", planned end), ("epoch", epoch to reach),
    ("slow", batches), ("batch", 1). Kept between the slices that train it."""
    if action == "epoch":
        return "epoch", math.floor(live.epoch_fraction) + 1
    if action == "slow":
        return "slow", int(st.session_state.get(W_SLOW_N, 20))
    return action, 1


def _train(live: LiveRun, work: tuple[str, float], on_event, deadline: float | None = None) -> tuple | None:
    """Train `work` (see _work) until it is done (None) or `deadline`: then the work left."""
    kind, n = work
    if kind == "slow":
        for k in range(int(n)):
            if k:
                time.sleep(SLOW_SECONDS)
            live.advance(steps=1, on_event=on_event)
            if not live.can_train:
                return None
            if deadline is not None and time.perf_counter() >= deadline and k + 1 < n:
                return "slow", n - k - 1
        return None
    if kind == "batch":
        live.advance(steps=1, on_event=on_event)
        return None
    if kind == "epoch" and live.epoch_fraction < n:
        live.advance(epochs=1, on_event=on_event, deadline=deadline)
        return work if live.can_train and live.epoch_fraction < n else None
    if kind == "run":
        live.advance(on_event=on_event, deadline=deadline)
        done = not live.can_train or live.epoch_fraction >= live.planned
        return None if done else work
    return None


def watch_for_header_stop() -> None:
    """On the Lab page, outside the tabs' fragment: after Streamlit's header Stop mid-action,
    redraw the page, showing the run paused (ui/header_stop.py).

    Not inside the fragment that trains: a fragment rerun stopped before it has drawn the watch
    again drops it (and the Stop falls between two slices often enough), leaving the page saying
    "running" with nothing to redraw it. Drawn while there is a run to watch.
    """
    st.session_state[LAB_WATCHED] = st.session_state.get(LAB_TRAINER)
    if st.session_state[LAB_WATCHED] is not None:
        redraw_once(_stopped_midway)


def _stopped_midway() -> bool:
    """After Streamlit's header Stop mid-action: True (the page is to be redrawn, showing the run
    paused, and what was left of the action is dropped). Asked only once the script run that
    trained is over, and not while the next slice is on its way (ui/header_stop.py).
    """
    live: LiveRun | None = st.session_state.get(LAB_TRAINER)
    if not st.session_state.get(LAB_GOING) or (live is not None and live.status == "running"):
        return False   # the page already shows the run as it is
    drop_action()
    return True


def drop_action() -> None:
    """Drop the action under way (or what is left of it between two slices): the run pauses."""
    st.session_state.pop(LAB_ACTION, None)
    st.session_state[LAB_GOING] = False


def _fragment_rerun() -> bool:
    """True in a rerun of a fragment alone, where st.rerun(scope="fragment") may be called."""
    ctx = get_script_run_ctx()
    return bool(ctx and ctx.fragment_ids_this_run)


def status_line(live: LiveRun, going: bool = False) -> str:
    """The run in one line; `going`: between two slices of an action, said as running."""
    test = [a for a in live.curve["test_accuracy"] if a is not None]
    acc = f" · test accuracy {test[-1]:.1%}" if test else ""
    where = live.where()
    return (f"**{where[0].upper() + where[1:]}** · step {live.step:,} · learning rate {live.lr:g} · "
            f"batch size {live.trainer.batch_size}{acc} · "
            f"{'running' if going and live.can_train else STATUS.get(live.status, live.status)}")


def draw(live: LiveRun, slots, n: int, going: bool = False) -> None:
    """The status and both learning curves, in their placeholders (``n`` keeps element keys unique)."""
    # Within the first epoch the x axis follows the points (slow motion's first batches would be
    # a sliver of a 5-epoch axis); afterwards it spans the whole run so the chart fills in.
    fraction = live.epoch_fraction
    span = max(live.planned, math.ceil(fraction)) if fraction >= 1 else None
    slots[0].markdown(status_line(live, going))
    for slot, metric in zip(slots[1:], ("loss", "accuracy")):
        slot.plotly_chart(learning_curves(live.curve, metric, epochs=span, changes=live.changes, height=320),
                          key=f"lab_curve_{metric}_{n}")


def show_update(config: TrainConfig, batch_size: int, whose: str = "this run's") -> None:
    """The update `config`'s optimizer computes (the options table's formula), on its batch gradient."""
    name = OPTIONS["optimizer"].choice_label(config.optimizer)
    st.caption(f"Each step averages the gradient over a mini-batch of B = {batch_size} training images (an epoch "
               f"is one pass over all of them), then {whose} optimizer, {name}, updates every weight:")
    c = st.columns(2)
    with c[0]:
        formula(OPTIONS["batch_size"].formula)
    with c[1]:
        formula(optimizer_formula(config.optimizer, config.nesterov))


def label(name: str) -> str:
    return OPTIONS[name].label


@st.fragment
def run_section() -> None:
    """Everything of the "Control the run" tab (a fragment: see the module's docstring)."""
    if st.session_state.get(LAB_TRAINER) is not st.session_state.get(LAB_WATCHED):
        st.rerun(scope="app")   # a new run: the page draws its watch (watch_for_header_stop)
    live: LiveRun | None = st.session_state.get(LAB_TRAINER)
    ds = current_dataset()
    if live is not None and st.session_state.get(LAB_DATASET) != dataset_key(ds):
        st.info("The data set changed since this run started: the run goes on with the data set it started "
                "on, and its scores are on that set's test images. Start a new run to train on this one.")
    with st.expander("Settings of a new run", expanded=live is None):
        new_run_form()
    live = st.session_state.get(LAB_TRAINER)
    if live is None:
        st.caption("Start a run, then drive it with the buttons that appear here.")
        show_update(TrainConfig(optimizer=st.session_state.get(W_OPT, "sgd")), int(st.session_state.get(W_BATCH, 64)),
                    "the chosen")
        return

    action = st.session_state.pop(LAB_ACTION, None)
    work = _work(live, action) if isinstance(action, str) else action   # a click, or the rest of one
    if work is not None and work[0] == "batch":   # one step: trained before anything is drawn
        live.advance(steps=1)
        work = None
    done = live.epoch >= live.planned
    dead = not live.can_train
    # One row that wraps (a flex row, not fixed columns): every label is shown whole at any width.
    row = st.container(horizontal=True, vertical_alignment="bottom")
    row.button("Run", icon=":material/play_arrow:", disabled=done or dead, on_click=_ask, args=("run",),
               help=f"Train on to epoch {live.planned}; Pause stops it where it is.")
    row.button("Pause", icon=":material/pause:", on_click=_ask, args=(None,),
               help="Stop between two batches; Run goes on from there.")
    row.button("One more batch", icon=":material/skip_next:", disabled=dead, on_click=_ask, args=("batch",))
    row.button("One more epoch", icon=":material/fast_forward:", disabled=dead, on_click=_ask, args=("epoch",),
               help="Train to the end of this epoch (a whole epoch when at the start of one).")
    row.button("Slow motion", icon=":material/slow_motion_video:", disabled=dead, on_click=_ask, args=("slow",),
               help=f"The next batches one by one, a step every {SLOW_SECONDS} s, the charts redrawn each time.")
    row.number_input("Batches, one by one", 1, 200, 20, key=W_SLOW_N, width=170,
                     help="How many batches Slow motion trains, one step at a time.")

    with st.container(border=True):
        st.markdown("**Change while it trains**")
        st.caption(CHANGE_RULE)
        c = st.columns([2, 1, 1])
        st.session_state.setdefault(W_NEW_LR, live.lr)
        st.session_state.setdefault(W_NEW_BATCH, live.batch_size)
        c[0].select_slider("New learning rate", LRS, key=W_NEW_LR)
        c[1].selectbox("New batch size", BATCHES, key=W_NEW_BATCH)
        c[2].button("Change", icon=":material/tune:", on_click=_change, disabled=dead)
        if live.pending:
            st.caption(f"Waiting for epoch {live.epoch + 1} to end: batch size {live.pending['batch_size']} "
                       "from the next epoch.")

    status = st.empty()
    left, right = st.columns(2)
    slots = (status, left.empty(), right.empty())
    drawn = [0]
    draw(live, slots, 0, going=work is not None)
    st.session_state[LAB_GOING] = work is not None   # (drawn as it is when no action is under way)
    show_update(live.config, live.trainer.batch_size)
    if work is not None:
        sliced = _fragment_rerun()
        # A slice's charts are drawn by the next slice, SLICE_SECONDS later: drawing them on every
        # event as well would keep the visitor's browser busy redrawing and slow to take a Pause.
        # In one script run, an action redraws at most every DRAW_INTERVAL (slow motion every batch).
        last = [time.perf_counter()]

        def on_event(event: Progress) -> None:   # every point is stored before this draws it
            if not sliced and (work[0] == "slow" or time.perf_counter() - last[0] >= DRAW_INTERVAL):
                drawn[0] += 1
                draw(live, slots, drawn[0])
                last[0] = time.perf_counter()
        left = _train(live, work, on_event, time.perf_counter() + SLICE_SECONDS if sliced else None)
        if left is not None:
            st.session_state[LAB_ACTION] = left   # the next slice; a Pause pressed meanwhile clears it
        # The buttons above were drawn for the state before this training: redraw them.
        st.rerun(scope="fragment" if sliced else "app")
    if live.status == "diverged":
        st.error(f"The run diverged: {live.message}. Start a new run with a smaller learning rate.")
