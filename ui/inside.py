"""The "Inside the network" page's session keys, model choice and cached heavy work.

Every run here is short and seeded, so its result depends only on (data set, config): it is
computed once per server process in ``st.cache_data`` and shared by every visitor. Configs go in
as JSON text (the cache key), data sets and models as unhashed ``_`` arguments beside a key that
names their content (``ui.data.dataset_key``, ``ui.lab.model_key``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnistcore import data, diagnostics, robustness
from mnistcore.config import SCHEDULE_NAMES, TrainConfig
from mnistcore.model import MLP
from ui import state
from ui.data import dataset_key
from ui.lab import model_key, ready_model
from ui.models import held_model

# --- session keys (widget keys double as URL parameter names: bind="query-params") -------------
TAB, PATIENCE, VAL_SPLIT, SCHEDULE = state.IN_TAB, state.IN_PATIENCE, state.IN_VAL_SPLIT, state.IN_SCHEDULE
AUG_SEED = state.IN_AUG_SEED  # (all defined in ui.state with every other session key)

TABS = ("Gradient flow", "Capacity", "Overfitting", "Augmentation", "Robustness")
PATIENCES = (1, 10)                         # slider range
VAL_SPLITS = (0.1, 0.2, 0.25, 0.3, 0.5)     # select slider options
DEFAULTS = {TAB: TABS[0], PATIENCE: 5, VAL_SPLIT: 0.25, SCHEDULE: "constant"}

ROBUSTNESS_SAMPLES = 2000   # test images scored at each perturbation level
PREVIEW_IMAGES, PREVIEW_COPIES = 6, 5


def _whole(text: str) -> bool:
    digits = text.strip().removeprefix("-")   # int() reads decimals ("²" is a digit, not one), at most 4300
    return digits.isdecimal() and len(digits) < 6 and PATIENCES[0] <= int(text) <= PATIENCES[1]


def _split(text: str) -> bool:
    try:
        return float(text) in VAL_SPLITS
    except ValueError:
        return False


# Each link parameter: whether its text is usable, what was expected, how to read it.
CHECKS = {TAB: (lambda t: t in TABS, f"one of {', '.join(TABS)}", str),
          PATIENCE: (_whole, f"a whole number of epochs from {PATIENCES[0]} to {PATIENCES[1]}", int),
          VAL_SPLIT: (_split, f"one of {', '.join(map(str, VAL_SPLITS))}", float),
          SCHEDULE: (lambda t: t in SCHEDULE_NAMES, f"one of {', '.join(SCHEDULE_NAMES)}", str)}
PAGE = "inside"                                  # its name in lesson links (ui/lesson.py)
SETTINGS = (PATIENCE, VAL_SPLIT, SCHEDULE)       # the settings a lesson link may hide or fix (not the tab)
LABELS = {PATIENCE: "Patience (epochs)", VAL_SPLIT: "Validation split", SCHEDULE: "Learning-rate schedule"}


def link_notes(query: dict[str, str]) -> list[str]:
    """Notes on this page's link parameters that cannot be used, one per parameter.

    Streamlit quietly drops a bound widget's URL value it cannot use; read the raw values
    first so the visitor learns which setting of the link was ignored and why.
    """
    return [f"`{name}={query[name]}` in the link: expected {expected}; using {DEFAULTS[name]}."
            for name, (ok, expected, _) in CHECKS.items() if name in query and not ok(query[name])]


def hidden_value(name: str):
    """The value of a setting whose control a lesson link hides: the link's (read once), else its default.

    The widgets keep their values in the link (bind="query-params"); one not drawn keeps none, so the
    value the link gave is kept in the session instead.
    """
    kept = st.session_state.setdefault(state.IN_HIDDEN, {})
    if name not in kept:
        ok, _, read = CHECKS[name]
        text = st.query_params.get(name)
        kept[name] = read(text) if text is not None and ok(text) else DEFAULTS[name]
    return kept[name]


def _config(text: str) -> TrainConfig:
    return TrainConfig.from_dict(json.loads(text))


def _text(config: TrainConfig) -> str:
    return json.dumps(config.to_dict(), sort_keys=True)


# --- cached runs -------------------------------------------------------------------------------

@st.cache_data(max_entries=32, show_spinner="Training a short run to watch its gradients (once) ...")
def _flow(key: str, config: str, _ds: data.Dataset) -> diagnostics.GradientFlow:
    return diagnostics.gradient_flow(_config(config), _ds)


def _shown(compute, *args):
    """``compute(*args)``; a ValueError (a data set the engine cannot use) is said in the page,
    which then stops: only the open tab runs, so nothing else is lost."""
    try:
        return compute(*args)
    except ValueError as err:
        st.error(f"This cannot be computed on this data set: {err}", icon=":material/error:")
        st.stop()


def gradient_flow(ds: data.Dataset, config: TrainConfig) -> diagnostics.GradientFlow:
    return _shown(_flow, dataset_key(ds), _text(config), ds)


@st.cache_data(max_entries=8, show_spinner="Training 5 networks, 16 to 256 hidden units, 3 epochs on "
                                            "10,000 images each (once for the whole server) ...")
def _capacity(key: str, config: str, widths: tuple[int, ...], _ds: data.Dataset) -> list[diagnostics.CapacityPoint]:
    return list(diagnostics.capacity_sweep(_ds, widths, _config(config)))


def capacity(ds: data.Dataset) -> list[diagnostics.CapacityPoint]:
    return _shown(_capacity, dataset_key(ds), _text(diagnostics.CAPACITY_CONFIG), diagnostics.CAPACITY_WIDTHS, ds)


def capacity_table(points: list[diagnostics.CapacityPoint]) -> dict[str, list]:
    """The sweep as table columns, accuracies as percentages."""
    pct = lambda a: f"{a:.2%}" if a is not None else "n/a"  # noqa: E731
    return {"hidden units": [p.width for p in points], "parameters": [p.parameters for p in points],
            "train accuracy": [pct(p.train_accuracy) for p in points],
            "test accuracy": [pct(p.test_accuracy) for p in points],
            "training seconds": [round(p.train_seconds, 2) for p in points]}


@st.cache_data(max_entries=64, show_spinner="Training on a small subset until it overfits (once) ...")
def _fit(key: str, config: str, _ds: data.Dataset) -> diagnostics.FitCurves:
    return diagnostics.fit_curves(_config(config), _ds)


def fit_curves(ds: data.Dataset, config: TrainConfig) -> diagnostics.FitCurves:
    return _shown(_fit, dataset_key(ds), _text(config), ds)


@st.cache_data(max_entries=32, show_spinner="Scoring perturbed test images ...")
def _robustness(key: str, _model: MLP, _x: np.ndarray, _y: np.ndarray) -> dict[str, robustness.RobustnessCurve]:
    return robustness.robustness_curves(_model, _x, _y)


# --- the model the robustness and dead-unit views look at ----------------------------------------

@dataclass(frozen=True)
class Current:
    model: MLP
    label: str       # short, for a legend: "your model" or "ready-trained model"
    name: str        # for sentences, with its layer sizes
    warning: str     # why its numbers may not be fair here ("" if none)


def current_model(ds: data.Dataset) -> Current:
    """The visitor's model from the Train page, else the shipped one (or a quick stand-in)."""
    held = held_model()
    if held is not None:
        model, trained_on = held.model, held.dataset
        warning = ""
        if trained_on and trained_on not in (ds.name, dataset_key(ds)):
            warning = (f"Your model learned {data.TITLES.get(trained_on, trained_on)}; here it is scored on "
                       f"{data.TITLES.get(ds.name, ds.name)} images.")
        return Current(model, "your model", f"your model from the Train page ({_sizes(model)})", warning)
    model, note = ready_model()
    warning = note
    if ds.name != "mnist":
        warning = (f"The ready-trained model learned MNIST digits; here it is scored on {data.TITLES.get(ds.name, ds.name)} "
                   "images. Train a model on this data set (Train page) for a fair picture.")
    return Current(model, "ready-trained model", f"the ready-trained model ({_sizes(model)})", warning)


def _sizes(model: MLP) -> str:
    return "-".join(map(str, model.sizes))


@st.cache_data(max_entries=32, show_spinner=False)
def _dead(key: str, _model: MLP, _x: np.ndarray) -> np.ndarray:
    return diagnostics.dead_units(_model, _x)


def current_dead_units(ds: data.Dataset, current: Current) -> np.ndarray:
    """Share of dead units per hidden layer of the current model, on the first 1,000 test images."""
    x = (ds.x_test if len(ds.x_test) else ds.x_train)[:diagnostics.PROBE_SIZE]
    return _shown(_dead, f"{model_key(current.model)}:{dataset_key(ds)}", current.model, x)


def robustness_curves(ds: data.Dataset, current: Current) -> dict[str, robustness.RobustnessCurve] | None:
    """The current model's accuracy curves on the first 2,000 test images (None without a test set)."""
    x, y = ds.x_test[:ROBUSTNESS_SAMPLES], ds.y_test[:ROBUSTNESS_SAMPLES]
    if len(y) == 0:
        return None
    return _shown(_robustness, f"{model_key(current.model)}:{dataset_key(ds)}", current.model, x,
                  np.asarray(y, dtype=np.intp))


def new_preview() -> None:
    st.session_state[AUG_SEED] = st.session_state.get(AUG_SEED, 0) + 1
