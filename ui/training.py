"""The Train page's parts: settings tied to the URL, the live training loop, results, runs, files.

How Train and Stop work in Streamlit. Pressing any button while the script runs makes Streamlit
stop that run at its next Streamlit call (with ``runner.fastReruns``, the default, a new run
starts at once in another thread while the old one is still winding down). So training cannot
live in local variables of one script run. It lives in ``st.session_state[TR_ACTIVE]``: an
``ActiveRun`` holding the ``Trainer`` (which can resume mid-epoch), the curve so far and a lock.

- Train's callback asks for a run; the next script run builds the ``ActiveRun`` and trains it,
  drawing the charts as it goes and touching session state at every progress event, which is
  where a click interrupts it.
- Stop's callback sets ``stop_requested``. The new script run waits for the lock (the old run
  releases it as it is interrupted, having already stored every point), then files the run
  as "stopped": model, curve and scores are kept.
- Any other click during training (a new learning rate, another page and back) also interrupts
  the old run; the new script run resumes the same ``Trainer`` where it was.
"""
from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np
import streamlit as st

from mnistcore import activations, losses, metrics, optimizers, schedules
from mnistcore.checkpoint import FORMAT, VERSION, ModelFileError, load_model, model_bytes
from mnistcore.config import (ACTIVATION_NAMES, DTYPE_NAMES, INIT_NAMES, LOSS_NAMES, OPTIMIZER_NAMES,
                              PRESET_NOTES, PRESETS, SCHEDULE_NAMES, TrainConfig)
from mnistcore.figures import training as figs
from mnistcore.metrics import confusion_matrix, per_class_accuracy, worst_mistakes
from mnistcore.model import MLP
from mnistcore.train import Progress, Trainer
from ui import limits as lim
from ui import state

FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))
DEFAULT_PRESET = "default"
# Widget ranges; a link's values are held to the same ones (a slider cannot show a value off its scale).
MOMENTUM_MAX, DROPOUT_MAX, VAL_SPLIT_MAX, PATIENCE_MAX = 0.99, 0.9, 0.5, 20

# --- settings <-> session state <-> URL ----------------------------------------------------------


def key(name: str) -> str:
    """Session key of the setting `name` (a TrainConfig field)."""
    return state.TR_SETTING + name


def config_from_state() -> TrainConfig:
    """The settings as a TrainConfig; ValueError (saying what is wrong) if they do not fit together."""
    return TrainConfig(**{name: st.session_state[key(name)] for name in FIELDS})


def put_config(config: TrainConfig) -> None:
    """Make `config` the current settings."""
    for name in FIELDS:
        st.session_state[key(name)] = getattr(config, name)
    if config.batch_size > 1:
        st.session_state[state.TR_MINI_BATCH] = config.batch_size


def number(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> state.Parser:
    """Accept a finite number in the interval from lo to hi (open ends where asked)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        below = value <= lo if lo_open else value < lo
        above = value >= hi if hi_open else value > hi
        if not math.isfinite(value) or below or above:
            raise ValueError(f"{text} is outside {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}")
        return value
    return parse


def flag(text: str) -> bool:
    """Accept true/false (also 1/0, yes/no)."""
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.strip().lower() not in words:
        raise ValueError(f"{text!r} is not true or false")
    return words[text.strip().lower()]


def widths(max_layers: int, max_width: int) -> state.Parser:
    """Accept hidden layer widths like "256,128" ("" = no hidden layer), within the limits."""
    def parse(text: str) -> tuple[int, ...]:
        parts = [p for p in text.replace(" ", "").split(",") if p]
        if not all(p.isdigit() for p in parts):
            raise ValueError(f"{text!r} is not widths separated by commas, like 256,128")
        hidden = tuple(int(p) for p in parts)
        if len(hidden) > max_layers:
            raise ValueError(f"{len(hidden)} hidden layers; this server allows up to {max_layers}")
        if any(not 1 <= w <= max_width for w in hidden):
            raise ValueError(f"widths must be from 1 to {max_width}")
        return hidden
    return parse


def _float_text(value: float) -> str:
    return repr(float(value))  # round-trips exactly: the URL never nudges a setting


def _flag_text(value: bool) -> str:
    return "true" if value else "false"


def preset_param() -> state.Param:
    return state.Param("preset", state.TR_PRESET, DEFAULT_PRESET, state.choice(*PRESETS))


def setting_params(limits: lim.Limits, n_train: int) -> list[state.Param]:
    """One URL parameter per TrainConfig field, named as the field, with its allowed values."""
    d, P = PRESETS[DEFAULT_PRESET], state.Param
    return [
        P("hidden", key("hidden"), d.hidden, widths(limits.max_layers, limits.max_width),
          to_url=lambda h: ",".join(map(str, h)), default_text=",".join(map(str, d.hidden))),
        P("activation", key("activation"), d.activation, state.choice(*ACTIVATION_NAMES)),
        P("init", key("init"), d.init, state.choice(*INIT_NAMES)),
        P("loss", key("loss"), d.loss, state.choice(*LOSS_NAMES)),
        P("optimizer", key("optimizer"), d.optimizer, state.choice(*OPTIMIZER_NAMES)),
        P("lr", key("lr"), d.lr, number(0, 100, lo_open=True), to_url=_float_text),
        P("momentum", key("momentum"), d.momentum, number(0, MOMENTUM_MAX), to_url=_float_text),
        P("nesterov", key("nesterov"), d.nesterov, flag, to_url=_flag_text),
        P("batch_size", key("batch_size"), d.batch_size, state.integer(0, n_train)),
        P("epochs", key("epochs"), d.epochs, state.integer(1, limits.max_epochs)),
        P("dropout", key("dropout"), d.dropout, number(0, DROPOUT_MAX), to_url=_float_text),
        P("l2", key("l2"), d.l2, number(0, 10), to_url=_float_text),
        P("seed", key("seed"), d.seed, state.integer(0, 2**32 - 1)),
        P("dtype", key("dtype"), d.dtype, state.choice(*DTYPE_NAMES)),
        P("train_size", key("train_size"), d.train_size, state.integer(0, n_train), default_text="all"),
        P("val_split", key("val_split"), d.val_split, number(0, VAL_SPLIT_MAX), to_url=_float_text),
        P("early_stopping", key("early_stopping"), d.early_stopping, state.integer(0, PATIENCE_MAX)),
        P("schedule", key("schedule"), d.schedule, state.choice(*SCHEDULE_NAMES)),
        P("augment", key("augment"), d.augment, flag, to_url=_flag_text),
    ]


def read_settings(limits: lim.Limits, n_train: int) -> list[str]:
    """Apply the link's settings once per session; a note for each one that was not usable.

    Settings the link leaves out keep their defaults, or those of the link's ``preset=``: a
    link may be as short as ``?preset=best`` or ``?lr=0.01``. Each parameter is read on its
    own, so a short link draws no "missing" notes.
    """
    first = "train" not in st.session_state.get(state.PARAMS_READ, set())
    notes = state.read_params("train", [preset_param()])
    if first and "preset" in st.query_params:
        notes += apply_preset(st.session_state[state.TR_PRESET], limits, n_train)
    for param in setting_params(limits, n_train):
        notes += state.read_params(f"train:{param.name}", [param])
    batch = st.session_state[key("batch_size")]
    st.session_state.setdefault(state.TR_MINI_BATCH, batch if batch > 1 else 128)
    return notes


def write_settings(limits: lim.Limits, n_train: int) -> None:
    state.write_params([preset_param(), *setting_params(limits, n_train)])


def apply_preset(name: str, limits: lim.Limits, n_train: int) -> list[str]:
    """Make preset `name` the settings, within this server's limits; notes for what was cut."""
    config, notes = lim.fit(PRESETS[name], n_train, limits)
    put_config(config)
    st.session_state[state.TR_PRESET] = name
    return [f"Preset {name}: {n}." for n in notes]


# --- settings widgets ------------------------------------------------------------------------------

LABELS = {
    "relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid", "tanh": "tanh",
    "he": "He (normal, variance 2/fan-in)", "xavier": "Xavier/Glorot (uniform)", "uniform": "uniform ±0.5",
    "ce": "cross-entropy (softmax)", "mse": "mean squared error",
    "sgd": "SGD", "momentum": "momentum", "adam": "Adam",
    "constant": "constant", "step": "step (halve each quarter)", "cosine": "cosine",
    "float32": "float32", "float64": "float64",
}
NESTEROV = r"v \leftarrow \mu v - \eta\, \nabla_w L(w + \mu v), \qquad w \leftarrow w + v"
DROPOUT = r"a \leftarrow \frac{m \odot a}{1 - p}, \quad m_j \sim \mathrm{Bernoulli}(1 - p)"
L2 = r"L_{\text{total}} = L + \frac{\lambda}{2} \sum_l \lVert W_l \rVert^2 \quad \Rightarrow\ \nabla_W L_{\text{total}} = \nabla_W L + \lambda W"
BATCH = r"\nabla_w L \approx \frac{1}{B} \sum_{i \in \text{batch}} \nabla_w L_i"
WIDTHS = (1, 2, 4, 8, 10, 16, 32, 64, 100, 128, 256, 512, 1024, 2048, 4096)
BATCHES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
LRS = tuple(float(f"{m}e{e}") for e in range(-5, 1) for m in (1, 2, 5))  # 1e-05 ... 5.0, exact decimals
L2S = (0.0, 1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)
SUBSETS = (500, 1000, 2000, 5000, 10_000, 20_000, 30_000)
MODES = ("full batch", "mini-batch", "per-sample")


def _options(values: tuple, current, keep=lambda v: True) -> list:
    """The fixed `values` that pass `keep`, plus `current` (say, from a link) in its place."""
    return sorted({v for v in values if keep(v)} | {current})


def _seed(widget: str, value: Any, on_change: Callable, *args) -> dict[str, Any]:
    """Like state.bind, for a widget whose value is derived from a setting rather than equal to it."""
    st.session_state[widget] = value
    return {"key": widget, "on_change": on_change, "args": args}


def _w(name: str) -> str:
    return state.WIDGET_PREFIX + state.TR_SETTING + name


def _set_depth() -> None:
    depth, hidden = st.session_state[_w("depth")], st.session_state[key("hidden")]
    filler = hidden[-1] if hidden else 128
    st.session_state[key("hidden")] = tuple(hidden[:depth]) + (filler,) * (depth - len(hidden))


def _set_width(layer: int) -> None:
    hidden = list(st.session_state[key("hidden")])
    hidden[layer] = st.session_state[_w(f"width{layer}")]
    st.session_state[key("hidden")] = tuple(hidden)


def _set_mode() -> None:
    mode = st.session_state[_w("mode")]
    size = {"full batch": 0, "per-sample": 1}.get(mode, st.session_state[state.TR_MINI_BATCH])
    st.session_state[key("batch_size")] = size


def _set_batch() -> None:
    size = st.session_state[_w("batch")]
    st.session_state[key("batch_size")] = st.session_state[state.TR_MINI_BATCH] = size


def _on_preset(limits: lim.Limits, n_train: int) -> None:
    name = st.session_state[state.WIDGET_PREFIX + state.TR_PRESET]
    st.session_state[state.TR_NOTES] = [("warning", note) for note in apply_preset(name, limits, n_train)]


def formula(tex: str) -> None:
    """A formula in one of the narrow settings columns: a size smaller, one statement a line."""
    lines = [part.strip().rstrip(",") for part in re.split(r"\\q?quad", tex)]
    st.latex(r"\small " + (lines[0] if len(lines) == 1 else
                           r"\begin{gathered}" + r"\\".join(lines) + r"\end{gathered}"))


def preset_picker(limits: lim.Limits, n_train: int, locked: bool) -> None:
    """Presets with their sentence, and which settings now differ from the preset."""
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    name = left.selectbox("Preset", list(PRESETS), disabled=locked, **_seed(
        state.WIDGET_PREFIX + state.TR_PRESET, st.session_state[state.TR_PRESET], _on_preset, limits, n_train))
    changed = [f for f in FIELDS if st.session_state[key(f)] != getattr(PRESETS[name], f)]
    right.markdown(PRESET_NOTES.get(name, "") + (f" *Changed since: {', '.join(changed)}.*" if changed else ""))


def settings_widgets(limits: lim.Limits, n_train: int, locked: bool) -> None:
    """Every TrainConfig setting as a widget, each formula beside the setting it belongs to.

    `locked` (while a run trains) disables all but the learning rate and batch size, which a
    running Trainer accepts between epochs.
    """
    s = st.session_state
    net, opt, data, reg = st.columns(4, gap="medium")
    with net:
        st.markdown("**Network**")
        hidden = s[key("hidden")]
        st.slider("Hidden layers", 0, limits.max_layers, disabled=locked,
                  **_seed(_w("depth"), len(hidden), _set_depth))
        for layer, width in enumerate(hidden):
            st.select_slider(f"Units in hidden layer {layer + 1}",
                             _options(WIDTHS, width, lambda v: v <= limits.max_width), disabled=locked,
                             **_seed(_w(f"width{layer}"), width, _set_width, layer))
        st.caption(f"Layers: {' → '.join(map(str, (784, *hidden, 10)))}")
        st.selectbox("Activation", ACTIVATION_NAMES, format_func=LABELS.get, disabled=locked,
                     **state.bind(key("activation")))
        formula(activations.ACTIVATIONS[s[key("activation")]].formula)
        st.selectbox("Initial weights", INIT_NAMES, format_func=LABELS.get, disabled=locked,
                     **state.bind(key("init")))
    with opt:
        st.markdown("**Loss and optimizer**")
        st.selectbox("Loss", LOSS_NAMES, format_func=LABELS.get, disabled=locked, **state.bind(key("loss")))
        formula(losses.LOSSES[s[key("loss")]].formula)
        st.selectbox("Optimizer", OPTIMIZER_NAMES, format_func=LABELS.get, disabled=locked,
                     **state.bind(key("optimizer")))
        if s[key("optimizer")] == "momentum":
            st.slider("Momentum μ", 0.0, MOMENTUM_MAX, step=0.01, disabled=locked, **state.bind(key("momentum")))
            st.checkbox("Nesterov (gradient at the look-ahead point)", disabled=locked,
                        **state.bind(key("nesterov")))
        nesterov = s[key("optimizer")] == "momentum" and s[key("nesterov")]
        formula(NESTEROV if nesterov else optimizers.OPTIMIZERS[s[key("optimizer")]].formula)
        st.select_slider("Learning rate η", _options(LRS, s[key("lr")]), format_func=lambda v: f"{v:g}",
                         help="A log scale: each step multiplies the rate by about 2.", **state.bind(key("lr")))
    with data:
        st.markdown("**Data and batches**")
        st.select_slider("Training images", [v for v in _options(SUBSETS, s[key("train_size")], lambda v: v < n_train) if v] + [0],
                         format_func=lambda v: f"all {n_train:,}" if v == 0 else f"{v:,}", disabled=locked,
                         help="A seeded random subset, for quick experiments.", **state.bind(key("train_size")))
        size = s[key("batch_size")]
        mode = MODES[0] if size == 0 else MODES[2] if size == 1 else MODES[1]
        st.radio("Batch", MODES, horizontal=True, **_seed(_w("mode"), mode, _set_mode))
        if mode == MODES[1]:
            st.select_slider("Batch size B", _options(BATCHES, size), **_seed(_w("batch"), size, _set_batch))
        formula(BATCH)
        st.slider("Epochs", 1, limits.max_epochs, disabled=locked, **state.bind(key("epochs")))
        st.selectbox("Learning-rate schedule", SCHEDULE_NAMES, format_func=LABELS.get, disabled=locked,
                     **state.bind(key("schedule")))
        formula(schedules.FORMULAS[s[key("schedule")]])
    with reg:
        st.markdown("**Regularisation**")
        st.slider("Dropout p", 0.0, DROPOUT_MAX, step=0.05, disabled=locked, **state.bind(key("dropout")))
        if s[key("dropout")] > 0:
            formula(DROPOUT)
        st.select_slider("L2 weight decay λ", _options(L2S, s[key("l2")]), format_func=lambda v: f"{v:g}",
                         disabled=locked, **state.bind(key("l2")))
        if s[key("l2")] > 0:
            formula(L2)
        st.checkbox("Augment: shift ±2 px and rotate the training images", disabled=locked,
                    **state.bind(key("augment")))
        st.number_input("Seed", 0, 2**32 - 1, step=1, disabled=locked, **state.bind(key("seed")),
                        help="Same settings and seed: the same numbers, bit for bit.")
    with st.expander("Advanced: validation, early stopping, precision"):
        a, b, c = st.columns(3)
        a.slider("Validation split", 0.0, VAL_SPLIT_MAX, step=0.05, disabled=locked, **state.bind(key("val_split")),
                 help="Share of the training images held out to watch for overfitting.")
        b.slider("Early stopping patience (epochs, 0 = off)", 0, PATIENCE_MAX, disabled=locked,
                 **state.bind(key("early_stopping")),
                 help="Stop when the validation loss has not improved for this many epochs, "
                      "and keep the best weights. Needs a validation split.")
        c.radio("Precision", DTYPE_NAMES, horizontal=True, disabled=locked, **state.bind(key("dtype")))


def check_settings(limits: lim.Limits, n_train: int) -> tuple[TrainConfig | None, list[str]]:
    """(config, []) when the settings can be trained here, else (config or None, reasons)."""
    try:
        config = config_from_state()
    except ValueError as err:
        return None, [str(err)]
    reasons = lim.problems(config, n_train, limits)
    if config.train_size > n_train:
        reasons.append(f"training on {config.train_size:,} images, but the data set has {n_train:,}")
    return config, reasons


# --- the live loop ---------------------------------------------------------------------------------

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
    trainer: Trainer
    dataset: str
    class_names: tuple[str, ...]
    start: str                                    # "fresh weights" or where the weights came from
    created: float = field(default_factory=time.perf_counter)
    curve: dict[str, list] = field(default_factory=figs.empty_curve)
    last: Progress | None = None
    wall_seconds: float = 0.0                     # time in the loop: training, scoring and drawing
    cpu_seconds: float = 0.0                      # CPU time of this process meanwhile (all threads)
    first_point_seconds: float | None = None      # from the press of Train to the first point
    stop_requested: bool = False
    dataset_key: str = ""                         # ui.data.dataset_key of its data ("": results not cached)
    results: "Results | None" = None              # its model on the test split, set when it is filed
    record: "Run | None" = None                   # set when the run is filed (see finish)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def config(self) -> TrainConfig:
        return self.trainer.config


class View(Protocol):
    """Where the loop shows progress: Streamlit placeholders on the page, a stub in benchmarks."""

    def poll(self) -> None: ...
    def progress(self, run: ActiveRun, event: Progress) -> None: ...
    def charts(self, run: ActiveRun) -> None: ...


def add_point(curve: dict[str, list], event: Progress) -> None:
    """Append a "step" or "epoch" event to the curve (non-finite values become None)."""
    if event.kind not in ("step", "epoch"):
        return
    curve["epoch"].append(event.epoch_fraction)
    curve["kind"].append(event.kind)
    for name in figs.CURVE_KEYS[2:]:
        value = getattr(event, name)
        curve[name].append(value if value is not None and math.isfinite(value) else None)


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

    Every event's point is stored in `run` before anything that may be interrupted, so an
    interrupted run loses nothing.
    """
    pacer = pacer or Pacer()
    clock, trainer = pacer.clock, run.trainer
    trainer.points_per_epoch = POINTS_PER_EPOCH
    trainer.score_steps = True  # the first point of a run gets a test score
    events = trainer.run()
    start, cpu_start = clock(), time.process_time()
    try:
        resumed, trained, scoring = start, trainer.train_seconds, trainer.score_steps
        for event in events:
            now = clock()
            if event.kind == "step" and scoring:  # the wait beyond training was the scoring
                pacer.score_cost += max(0.0, now - resumed - (trainer.train_seconds - trained))
            first = run.first_point_seconds is None and event.kind in ("step", "epoch")
            if first:
                run.first_point_seconds = now - run.created
            add_point(run.curve, event)
            run.last = event
            view.poll()  # a click on Stop (or anything) interrupts the script here
            if pacer.progress_due(now, event):
                view.progress(run, event)
                pacer.last_progress = now
            if pacer.draw_due(now, first):
                drawing = clock()
                view.charts(run)
                pacer.last_draw = clock()
                pacer.last_draw_cost = pacer.last_draw - drawing
            trainer.score_steps = scoring = pacer.score_next(trainer.train_seconds)
            resumed, trained = clock(), trainer.train_seconds
    finally:
        events.close()
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
        self.show_curve(run.curve, run.config.epochs, run.changes)

    def charts(self, run: ActiveRun) -> None:
        self.show_curve(run.curve, run.config.epochs, run.trainer.changes)

    def show_curve(self, curve: dict[str, list], epochs: float | None, changes) -> None:
        if len(curve["epoch"]) == self.shown:
            return  # the same figure twice in one script run would be a duplicate element
        self.shown = len(curve["epoch"])
        self.loss.plotly_chart(figs.learning_curves(curve, "loss", epochs, changes))
        self.accuracy.plotly_chart(figs.learning_curves(curve, "accuracy", epochs, changes))


# --- runs: start, settle, finish -----------------------------------------------------------------

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

    @property
    def label(self) -> str:
        return f"#{self.number} {describe(self.config)}"


def describe(config: TrainConfig) -> str:
    """A short name for a config, e.g. "784-256-10 relu ce adam η=0.001 batch 128"."""
    batch = {0: "full batch", 1: "per-sample"}.get(config.batch_size, f"batch {config.batch_size}")
    return (f"{'-'.join(map(str, config.sizes))} {config.activation} {config.loss} {config.optimizer} "
            f"η={config.lr:g} {batch}")


def request_start() -> None:
    """Train's callback: the press time, so the first point's delay counts from the click."""
    st.session_state[state.TR_START] = time.perf_counter()


def request_stop() -> None:
    """Stop's callback. The interrupted script run has stored every point; the next one files the run."""
    run = st.session_state.get(state.TR_ACTIVE)
    if run is not None:
        run.stop_requested = True


def continue_reason(config: TrainConfig) -> str | None:
    """Why the current model cannot be trained further under `config` (None: it can)."""
    held = st.session_state.get(state.TRAINED_MODEL)
    if held is None:
        return "there is no trained model yet"
    model = held[0]
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
        held_model, meta = st.session_state[state.TRAINED_MODEL]
        model, start = held_model.copy(), f"continued from {meta.get('source', 'the previous model')}"
    trainer = Trainer(config, dataset, model=model)
    number = st.session_state.get(state.TR_NEXT_RUN, 1)
    run = ActiveRun(number, trainer, dataset.name, tuple(str(c) for c in dataset.class_names), start,
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
        if run.record is not None or run.stop_requested or run.trainer.status in ("done", "diverged", "early_stopped"):
            finish(run, limits)
            return None
    finally:
        run.lock.release()
    return run


def apply_live_changes(run: ActiveRun, limits: lim.Limits) -> None:
    """Hand a changed learning rate or batch size to the running Trainer (marked on the charts)."""
    trainer, s = run.trainer, st.session_state
    if s[key("lr")] != trainer.lr:
        trainer.set_lr(s[key("lr")])
    if s[key("batch_size")] != trainer.batch_size:
        if s[key("batch_size")] == 1 and len(trainer.train_idx) > limits.per_sample_max:
            s[key("batch_size")] = trainer.batch_size
            s[state.TR_NOTES] = [("warning", f"Per-sample SGD is limited to {limits.per_sample_max:,} "
                                             "images on this server; the batch size stays as it was.")]
        else:
            trainer.set_batch_size(s[key("batch_size")])


def resume(run: ActiveRun, view: View, limits: lim.Limits) -> None:
    """Train `run` in this script run, and file it if it ends here."""
    with run.lock:
        if run.record is not None:
            return
        apply_live_changes(run, limits)
        train_live(run, view)
        finish(run, limits)


def finish(run: ActiveRun, limits: lim.Limits) -> Run:
    """File `run` in the runs table and make its model the current one (unless it diverged).

    Called with the run's lock held. Any session-state access may be interrupted by a click, so
    the record is made first and the writes are safe to repeat: the next script run completes
    whatever an interrupted one left undone.
    """
    if run.record is None:
        # Scored once: the runs table's accuracy and the results shown below are the same numbers.
        run.results = score(run.trainer.model, run.trainer.x_test, run.trainer.y_test, run.dataset_key)
        run.record = _record(run)
    record, model = run.record, run.trainer.model
    runs = st.session_state.setdefault(state.TR_RUNS, [])
    if all(r is not record for r in runs):
        runs.append(record)
        del runs[:-limits.max_runs]
    if record.status != "diverged" and all(np.isfinite(p).all() for p in model.params):
        held = st.session_state.get(state.TRAINED_MODEL)
        if held is None or held[0] is not model:
            meta = {"format": FORMAT, "version": VERSION, "sizes": list(model.sizes), "activation": model.activation,
                    "loss": model.loss, "config": run.config.to_dict(), "dataset": run.dataset,
                    "class_names": list(run.class_names), "test_accuracy": record.test_accuracy,
                    "status": record.status, "epochs_trained": round(record.epochs, 3),
                    "source": f"run #{run.number}"}
            st.session_state[state.TR_RESULTS] = run.results
            st.session_state[state.TRAINED_MODEL] = (model, meta)
    st.session_state[state.TR_ACTIVE] = None
    return record


def _record(run: ActiveRun) -> Run:
    """What the runs table keeps of `run` (no Streamlit calls: cannot be interrupted)."""
    trainer, last = run.trainer, run.last
    status = trainer.status if trainer.status in ("done", "diverged", "early_stopped") else "stopped"
    # The model as it ends (after early stopping, the best epoch's) on the whole test split: the
    # number the results show, where the curve's last point may score a fifth of the split.
    return Run(run.number, run.config, run.curve, list(trainer.changes), status,
               last.message if last is not None and status != "stopped" else "",
               trainer.epoch_fraction, run.results.accuracy if run.results is not None else None,
               run.wall_seconds, run.cpu_seconds,
               last.samples_per_second if last is not None else 0.0, run.first_point_seconds,
               run.dataset, run.start)


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
        st.success(f"Run #{run.number} done: {score}{run.epochs:.0f} epochs in {run.seconds:.1f} s.",
                   icon=":material/check_circle:")


def show_notes() -> None:
    for level, text in st.session_state.pop(state.TR_NOTES, None) or ():
        {"error": st.error, "success": st.success}.get(level, st.warning)(text)


# --- results of the current model ----------------------------------------------------------------

N_MISTAKES = 24
N_UNITS = 32


@dataclass
class Results:
    """The current model on the test split, computed once per model and data set."""

    model: MLP                 # held, so a new model (never the same object) means new results
    dataset: str
    accuracy: float
    cm: np.ndarray             # (k, k) counts, row = true class
    per_class: np.ndarray      # (k,)
    mistakes: np.ndarray       # test indices of the most confident mistakes, most confident first
    predicted: np.ndarray      # the model's answer for each of them
    confidence: np.ndarray     # its probability for that answer


def score(model: MLP, x_test: np.ndarray, y_test: np.ndarray, dataset_key: str) -> Results | None:
    """Results of `model` on the test images `x_test` and labels `y_test` (None if there are none).

    No Streamlit calls: a run's end scores its model here (see finish) without being interrupted.
    """
    y = np.asarray(y_test)
    if len(y) == 0:
        return None
    scored = metrics.score(model, x_test, y, proba=True)
    proba, pred = scored.proba, scored.predicted
    cm = confusion_matrix(y, pred, max(proba.shape[1], int(y.max()) + 1))
    wrong = worst_mistakes(proba, y, N_MISTAKES)
    return Results(model, dataset_key, scored.accuracy, cm, per_class_accuracy(cm), wrong,
                   pred[wrong], proba[wrong, pred[wrong]])


def results(model: MLP, dataset, dataset_key: str) -> Results | None:
    """Results of `model` on `dataset`'s test split (None if it has none), cached in the session."""
    cached = st.session_state.get(state.TR_RESULTS)
    if cached is not None and cached.model is model and cached.dataset == dataset_key:
        return cached
    found = score(model, dataset.x_test, dataset.y_test, dataset_key)
    st.session_state[state.TR_RESULTS] = found
    return found


def show_results(res: Results, dataset, class_names: list[str]) -> None:
    """Test accuracy, confusion matrix, per-class accuracy, worst mistakes, first-layer weights."""
    model = res.model
    n = int(res.cm.sum())
    a, b, c = st.columns(3)
    a.metric("Test accuracy", f"{res.accuracy:.2%}")
    b.metric("Test images", f"{n:,}")
    c.metric("Mistakes", f"{n - int(np.trace(res.cm)):,}")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Confusion matrix**")
        st.session_state.setdefault(state.TR_CM_RATES, False)
        rates = st.toggle("Rates instead of counts", **state.bind(state.TR_CM_RATES))
        st.plotly_chart(figs.confusion_figure(res.cm, class_names, rates=rates))
        st.caption("Row: the true class; column: the network's answer. The diagonal holds the right "
                   "answers; a dark cell off it is a pair of classes the network confuses.")
    with right:
        st.markdown("**Accuracy per class**")
        st.plotly_chart(figs.per_class_figure(res.per_class, class_names))
        st.latex(r"\text{accuracy}_c = \frac{C_{cc}}{\sum_j C_{cj}}")
    st.markdown("**The most confident mistakes**")
    if len(res.mistakes):
        st.caption("Test images the network got wrong while most sure of its answer: true class → "
                   "answer, and its probability. Many are badly written; a few are mislabelled.")
        st.plotly_chart(figs.mistakes_figure(dataset.x_test[res.mistakes], dataset.y_test[res.mistakes],
                                             res.predicted, res.confidence, class_names, ids=res.mistakes),
                        config={"displayModeBar": False})
    else:
        st.caption("No mistakes on the test set.")
    W = model.W[0]
    unit = "unit" if len(model.W) > 1 else "class"
    st.markdown(f"**First-layer weights** ({min(N_UNITS, W.shape[1])} of {W.shape[1]} {unit}s)")
    st.caption("Each image is one unit's 784 input weights laid out as the 28x28 picture: red pixels "
               "raise the unit's input z when there is ink there, blue ones lower it.")
    st.latex(r"z_j = \sum_{p=1}^{784} x_p\, W_{pj} + b_j")
    st.plotly_chart(figs.weights_figure(W, N_UNITS, cols=8, unit_name=unit), config={"displayModeBar": False})


# --- the runs table ----------------------------------------------------------------------------


def _remove_runs() -> None:
    gone = set(st.session_state.get(state.TR_REMOVE) or ())
    st.session_state[state.TR_RUNS] = [r for r in st.session_state.get(state.TR_RUNS, []) if r.number not in gone]
    st.session_state[state.TR_REMOVE] = []


def runs_table(runs: list[Run], limits: lim.Limits, locked: bool = False) -> None:
    """This session's runs in a table, their curves overlaid, each removable."""
    st.dataframe({
        "run": [f"#{r.number}" for r in runs],
        "settings": [describe(r.config) for r in runs],
        "started from": [r.start for r in runs],
        "status": [r.status for r in runs],
        "epochs": [round(r.epochs, 2) for r in runs],
        "test accuracy": [None if r.test_accuracy is None else round(100 * r.test_accuracy, 2) for r in runs],
        "seconds": [round(r.seconds, 1) for r in runs],
        "samples/s": [round(r.samples_per_second) for r in runs],
        "data": [r.dataset for r in runs],
    }, hide_index=True, column_config={"test accuracy": st.column_config.NumberColumn(format="%.2f %%")})
    st.caption(f"The last {limits.max_runs} runs of this browser session are kept.")
    st.session_state.setdefault(state.TR_OVERLAY, "accuracy")
    metric = st.radio("Compare", ["accuracy", "loss"], horizontal=True, **state.bind(state.TR_OVERLAY))
    st.plotly_chart(figs.runs_overlay([(r.label, r.curve) for r in runs], metric, "test"))
    numbers = [r.number for r in runs]
    st.session_state[state.TR_REMOVE] = [n for n in st.session_state.get(state.TR_REMOVE) or () if n in numbers]
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    picked = left.multiselect("Remove runs", numbers, format_func=lambda n: f"#{n}", disabled=locked,
                              **state.bind(state.TR_REMOVE))
    right.button("Remove", on_click=_remove_runs, disabled=locked or not picked, icon=":material/delete:")


# --- model files ---------------------------------------------------------------------------------


def _on_model_upload(limits: lim.Limits, n_train: int) -> None:
    file = st.session_state.get(state.TR_UPLOADER)
    if file is None:  # the visitor removed the file from the widget: keep the model
        return
    try:
        model, meta = load_model(file.getvalue(), name=file.name)
    except ModelFileError as err:
        st.session_state[state.TR_NOTES] = [("error", f"That file was not used: {err}")]
        return
    st.session_state[state.TRAINED_MODEL] = (model, {**meta, "source": file.name})
    st.session_state[state.TR_RESULTS] = None
    try:
        config = TrainConfig.from_dict(meta["config"]) if isinstance(meta.get("config"), dict) else None
    except (TypeError, ValueError):
        config = None
    if config is None:
        try:
            config = config_from_state()
        except ValueError:  # the current settings do not fit together: start from the default preset
            config = PRESETS[DEFAULT_PRESET]
    config, _ = lim.fit(config.replace(hidden=tuple(model.sizes[1:-1]), activation=model.activation,
                                       loss=model.loss), n_train, limits)
    put_config(config)
    st.session_state[state.TR_CONTINUE] = True
    st.session_state[state.TR_NOTES] = [("success", f"Loaded {file.name} ({'-'.join(map(str, model.sizes))}): "
                                                    "it is now the current model; Train continues from it.")]


def model_files(limits: lim.Limits, n_train: int, locked: bool) -> None:
    """Download the current model; upload one to look at and continue from."""
    held = st.session_state.get(state.TRAINED_MODEL)
    left, right = st.columns(2, gap="large")
    with left:
        if held is not None:
            model, meta = held
            extra = {k: v for k, v in meta.items() if k not in ("format", "version", "sizes", "activation", "loss")}
            st.download_button("Download the model (.npz)", data=lambda: model_bytes(model, None, extra),
                               file_name=f"mnist-mlp-{'-'.join(map(str, model.sizes))}.npz",
                               mime="application/octet-stream", on_click="ignore", icon=":material/download:")
            st.caption(f"The current model: {'-'.join(map(str, model.sizes))}, from {meta.get('source', 'a file')}. "
                       "It is also the one the Draw page offers as yours.")
        else:
            st.caption("Train a model (or upload one) to download it here.")
    with right:
        st.file_uploader("Continue from a model file (.npz)", type=["npz"], key=state.TR_UPLOADER,
                         on_change=_on_model_upload, args=(limits, n_train), disabled=locked,
                         help="A file downloaded here or saved by `python -m mnistcore train --save`.")
