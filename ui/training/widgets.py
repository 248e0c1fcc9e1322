"""The Train page's settings widgets, each formula beside the setting it belongs to, and why where it helps."""
from __future__ import annotations

import re
from typing import Any, Callable

import streamlit as st

from mnistcore import activations, losses, optimizers, schedules
from mnistcore.config import PRESET_NOTES, PRESETS
from mnistcore.inits import INITS
from mnistcore.options import OPTIONS
from ui import lesson
from ui import limits as lim
from ui import state
from ui.data import dataset_key
from ui.data import label as dataset_label
from ui.training import explain
from ui.training.settings import (DROPOUT_MAX, FIELDS, MOMENTUM_MAX, PATIENCE_MAX, VAL_SPLIT_MAX,
                                  apply_preset, key)

# Labels and formulas from the one options table (mnistcore/options.py): what the code computes.
LABELS = {key: entry.label for option in OPTIONS.values() if option.choices for key, entry in option.choices.items()}
NESTEROV = OPTIONS["nesterov"].formula   # Sutskever's form: the weights kept are the look-ahead point
DROPOUT = OPTIONS["dropout"].formula
L2 = OPTIONS["l2"].formula
BATCH = OPTIONS["batch_size"].formula
WIDTHS = (1, 2, 4, 8, 10, 16, 32, 64, 100, 128, 256, 512, 1024, 2048, 4096)
BATCHES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
LRS = tuple(float(f"{m}e{e}") for e in range(-5, 1) for m in (1, 2, 5))  # 1e-05 ... 5.0, exact decimals
L2S = (0.0, 1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)
SUBSETS = (500, 1000, 2000, 5000, 10_000, 20_000, 30_000)
MODES = ("full batch", "mini-batch", "per-sample")
PAGE = "train"  # the page's name for lesson links (ui/lesson.py)


def _help(name: str) -> str:
    """The setting's help text from the options table, as a sentence."""
    text = OPTIONS[name].help
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


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


def preset_label(name: str) -> str:
    """A preset's name in words: its key (the link's and the command line's) without underscores."""
    return {"numpy_tutorial": "NumPy tutorial"}.get(name, name.replace("_", " "))


def preset_picker(limits: lim.Limits, n_train: int, locked: bool) -> None:
    """Presets with their sentence, and which settings now differ from the preset."""
    if not lesson.visible(PAGE, "preset"):
        return
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    name = left.selectbox("Preset", list(PRESETS), disabled=locked or lesson.fixed(PAGE, "preset"),
                          format_func=preset_label,
                          help="A named set of all the settings below; changing any setting afterwards keeps the rest.",
                          **_seed(
        state.WIDGET_PREFIX + state.TR_PRESET, st.session_state[state.TR_PRESET], _on_preset, limits, n_train))
    changed = [OPTIONS[f].label for f in FIELDS if st.session_state[key(f)] != getattr(PRESETS[name], f)]
    right.markdown(PRESET_NOTES.get(name, "") + (f" *Changed since: {', '.join(changed)}.*" if changed else ""))


def _choice(name: str, show: Callable[[str], bool], off: Callable[[str], bool]) -> None:
    """The select box of a setting with choices: its keys, their labels and its help from the options table."""
    if show(name):
        option = OPTIONS[name]
        st.selectbox(option.label, list(option.choices), format_func=option.choice_label, disabled=off(name),
                     help=_help(name), **state.bind(key(name)))


def settings_widgets(limits: lim.Limits, n_train: int, locked: bool, data_set=None) -> None:
    """Every TrainConfig setting as a widget, each formula beside the setting it belongs to.

    Labels, help and formulas come from the options table (mnistcore/options.py). `locked` (while
    a run trains) disables all but the learning rate and batch size, which a running run takes by
    its one rule (ui/live_run.CHANGE_RULE). `data_set` (the chosen one) gives the numbers of the
    initial-weights explanation.
    """
    s = st.session_state

    def show(name: str) -> bool:  # a lesson link may hide a setting's control, or fix it (ui/lesson.py)
        return lesson.visible(PAGE, name)

    def off(name: str) -> bool:
        return locked or lesson.fixed(PAGE, name)

    def label(name: str) -> str:
        return OPTIONS[name].label

    net, opt, data, reg = st.columns(4, gap="medium")
    with net:
        st.markdown("**Network**")
        hidden = s[key("hidden")]
        if show("hidden"):
            st.slider("Hidden layers", 0, limits.max_layers, disabled=off("hidden"), help=_help("hidden"),
                      **_seed(_w("depth"), len(hidden), _set_depth))
        for layer, width in enumerate(hidden if show("hidden") else ()):
            st.select_slider(f"Units in hidden layer {layer + 1}",
                             _options(WIDTHS, width, lambda v: v <= limits.max_width), disabled=off("hidden"),
                             help="Units in this layer: each one learns to respond to one pattern of its inputs.",
                             **_seed(_w(f"width{layer}"), width, _set_width, layer))
        st.caption(f"Layers: {' → '.join(map(str, (784, *hidden, 10)))}")
        _choice("activation", show, off)
        formula(activations.ACTIVATIONS[s[key("activation")]].formula)
        _choice("init", show, off)
        formula(INITS[s[key("init")]].formula)
    with opt:
        st.markdown("**Loss and optimizer**")
        _choice("loss", show, off)
        formula(losses.LOSSES[s[key("loss")]].formula)
        _choice("optimizer", show, off)
        if s[key("optimizer")] == "momentum":
            if show("momentum"):
                st.slider(label("momentum"), 0.0, MOMENTUM_MAX, step=0.01, disabled=off("momentum"),
                          help=_help("momentum"), **state.bind(key("momentum")))
            if show("nesterov"):
                st.checkbox(label("nesterov"), disabled=off("nesterov"), help=_help("nesterov"),
                            **state.bind(key("nesterov")))
        formula(optimizer_formula(s[key("optimizer")], s[key("optimizer")] == "momentum" and s[key("nesterov")]))
        if show("lr"):
            st.select_slider(label("lr"), _options(LRS, s[key("lr")]), format_func=lambda v: f"{v:g}",
                             disabled=lesson.fixed(PAGE, "lr"),
                             help=_help("lr") + " A log scale: each step multiplies the rate by about 2.",
                             **state.bind(key("lr")))
    with data:
        st.markdown("**Data and batches**")
        if show("train_size"):
            st.select_slider(label("train_size"),
                             [v for v in _options(SUBSETS, s[key("train_size")], lambda v: v < n_train) if v] + [0],
                             format_func=lambda v: f"all {n_train:,}" if v == 0 else f"{v:,}", disabled=off("train_size"),
                             help=_help("train_size"), **state.bind(key("train_size")))
        size = s[key("batch_size")]
        mode = MODES[0] if size == 0 else MODES[2] if size == 1 else MODES[1]
        if show("batch_size"):
            st.radio("Batch", MODES, horizontal=True, disabled=lesson.fixed(PAGE, "batch_size"), help=_help("batch_size"),
                     **_seed(_w("mode"), mode, _set_mode))
        if mode == MODES[1] and show("batch_size"):
            st.select_slider(label("batch_size"), _options(BATCHES, size), disabled=lesson.fixed(PAGE, "batch_size"),
                             help="Images averaged in each step's gradient: larger batches give smoother but fewer steps.",
                             **_seed(_w("batch"), size, _set_batch))
        formula(BATCH)
        if show("epochs"):
            st.slider(label("epochs"), 1, limits.max_epochs, disabled=off("epochs"), help=_help("epochs"),
                      **state.bind(key("epochs")))
        _choice("schedule", show, off)
        formula(schedules.FORMULAS[s[key("schedule")]])
    with reg:
        st.markdown("**Regularisation**")
        if show("dropout"):
            st.slider(label("dropout"), 0.0, DROPOUT_MAX, step=0.05, disabled=off("dropout"),
                      help=_help("dropout"), **state.bind(key("dropout")))
        if s[key("dropout")] > 0:
            formula(DROPOUT)
        if show("l2"):
            st.select_slider(label("l2"), _options(L2S, s[key("l2")]), format_func=lambda v: f"{v:g}",
                             disabled=off("l2"), help=_help("l2"), **state.bind(key("l2")))
        if s[key("l2")] > 0:
            formula(L2)
            st.caption(explain.L2_NOT_PLOTTED)
        if show("augment"):
            st.checkbox(label("augment"), disabled=off("augment"), help=_help("augment"),
                        **state.bind(key("augment")))
        if show("seed"):
            st.number_input(label("seed"), 0, 2**32 - 1, step=1, disabled=off("seed"), help=_help("seed"),
                            **state.bind(key("seed")))
    # Why, under the columns they explain (a column is too narrow for a derivation): the network's
    # and the loss's on the left, the batches' and dropout's on the right.
    left, right = st.columns(2)
    with left:
        explain.why_capacity()
        if data_set is not None:
            explain.why_he(dataset_key(data_set), data_set.x_train, data_set.y_train, dataset_label(data_set.name))
        explain.why_cross_entropy()
    with right:
        explain.why_shuffle()
        explain.why_dropout()
    with st.expander("Advanced: validation, early stopping, precision"):
        a, b, c = st.columns(3)
        if show("val_split"):
            a.slider(label("val_split"), 0.0, VAL_SPLIT_MAX, step=0.05, disabled=off("val_split"),
                     help=_help("val_split"), **state.bind(key("val_split")))
        if show("early_stopping"):
            b.slider(label("early_stopping"), 0, PATIENCE_MAX, disabled=off("early_stopping"),
                     help=_help("early_stopping"), **state.bind(key("early_stopping")))
        if show("dtype"):
            c.radio(label("dtype"), list(OPTIONS["dtype"].choices), horizontal=True, disabled=off("dtype"),
                    help=_help("dtype"), **state.bind(key("dtype")))


def optimizer_formula(name: str, nesterov: bool = False) -> str:
    """The update rule optimizer `name` computes (Sutskever's Nesterov form where asked), from its registry."""
    return NESTEROV if name == "momentum" and nesterov else optimizers.OPTIMIZERS[name].formula
