"""The Gradient descent page's link, its widgets' callbacks and its cached MNIST comparison.

The 1-D view's settings live in the link (``function``, ``preset``, ``eta``, ``start``,
``steps``) with the 2-D ``surface``; the session keys are the names below, and each widget is
tied to one with ``ui.state.bind``. Choosing a function resets the rest to that function's
defaults; moving the rate off every preset makes the preset "custom".
"""
from __future__ import annotations

import numpy as np
import streamlit as st

import plotly.graph_objects as go

from mnistcore import batch_modes, descent
from mnistcore.figures.descent import descent_1d_figure, descent_2d_figure
from ui import lesson, state
from ui.data import load_builtin

LRS = descent.learning_rates()
FN1, FN2 = descent.FUNCTIONS_1D, descent.FUNCTIONS_2D
PAGE = "gradient_descent"   # its name in lesson links (ui/lesson.py)
# The label of each link setting's control (a lesson link's hide= and fix= name the settings).
LABELS = {"function": "Function", "preset": "Learning-rate preset", "eta": "Learning rate η (log scale)",
          "start": "Start x₀", "steps": "Number of steps", "surface": "Surface"}
CUSTOM = "custom"   # the link's preset when η is none of the presets


def parse_rate(text: str) -> float:
    """A learning rate from the link: one of the slider's stops (two significant digits)."""
    try:
        value = float(f"{float(text):.2g}")
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if value not in LRS:
        raise ValueError(f"{text} is not a learning rate of the slider ({LRS[0]:g} to {LRS[-1]:g}, "
                         "two significant digits)")
    return value


def parse_start(text: str) -> float:
    try:
        value = round(float(text), 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not np.isfinite(value):
        raise ValueError(f"{text!r} is not a number")
    return value


def link_params(fn: descent.Function1D) -> list[state.Param]:
    """The view's settings in the link; `fn` gives the defaults of eta, start and steps."""
    return [state.Param("function", "gd_fn1", "quadratic", state.choice(*FN1)),
            state.Param("preset", "gd_preset", "good", lambda t: None if t == CUSTOM else state.choice(*descent.PRESET_NAMES)(t),
                        to_url=lambda v: v or CUSTOM),
            state.Param("eta", "gd_lr", fn.presets["good"], parse_rate, to_url=lambda v: f"{v:g}"),
            state.Param("start", "gd_start", fn.start, parse_start, to_url=lambda v: f"{v:g}"),
            state.Param("steps", "gd_steps1", fn.steps, state.integer(1, 100)),
            state.Param("surface", "gd_fn2", "bowl", state.choice(*FN2))]


def read_link() -> list[str]:
    """Apply the link's settings once per session; make eta, preset and start agree with them."""
    first = PAGE not in st.session_state.get(state.PARAMS_READ, set())
    linked = st.query_params.get("function")
    fn = FN1.get(linked, FN1["quadratic"]) if first else FN1[st.session_state.get("gd_fn1", "quadratic")]
    notes = lesson.read(PAGE, [p.name for p in link_params(fn)])   # hide=, fix=, note=
    notes += state.read_params(PAGE, link_params(fn))
    if first:
        fn = FN1[st.session_state["gd_fn1"]]
        lo, hi = fn.domain
        if not lo <= st.session_state["gd_start"] <= hi:
            notes.append(f"`start={st.session_state['gd_start']:g}` in the link is outside {lo:g}..{hi:g} for "
                         f"this function; using {fn.start:g}.")
            st.session_state["gd_start"] = fn.start
        if "eta" in st.query_params:
            rate_moved()       # the rate decides which preset (if any) it is
        elif st.session_state["gd_preset"] is not None:
            st.session_state["gd_lr"] = fn.presets[st.session_state["gd_preset"]]
    return notes


def rate_moved() -> None:
    fn = FN1[st.session_state["gd_fn1"]]
    st.session_state["gd_preset"] = next((p for p, v in fn.presets.items() if v == st.session_state["gd_lr"]), None)


def preset_chosen() -> None:
    if st.session_state["gd_preset"] is not None:
        st.session_state["gd_lr"] = FN1[st.session_state["gd_fn1"]].presets[st.session_state["gd_preset"]]


def function_chosen() -> None:
    """A new function starts from its own defaults: the presets differ with its curvature."""
    fn = FN1[st.session_state["gd_fn1"]]
    st.session_state.update(gd_preset="good", gd_lr=fn.presets["good"], gd_start=fn.start, gd_steps1=fn.steps)


def lr_slider(label: str, key: str, default: float, on_change=None) -> float:
    """A learning-rate slider on a log scale (log-spaced stops, two significant digits)."""
    st.session_state.setdefault(key, default)
    return st.select_slider(label, LRS, key=key, format_func=lambda v: f"{v:g}", on_change=on_change,
                            help="This optimizer's step size, on a log scale: each stop is about twice the last.")


@st.cache_data(show_spinner="Training three small networks on 2,000 MNIST images…")
def batch_curves(seed: int = 0) -> dict:
    """The batch-mode comparison, computed once per server process (its seconds are this machine's)."""
    ds = load_builtin("mnist")   # shared, read-only; only the 2,000 images used are copied
    return descent.batch_mode_curves(ds.x_train, ds.y_train, seed=seed)



def comparison(curves: dict) -> str:
    """What the curves show on each axis, read off them (who is lowest where all can be compared)."""
    parts = []
    for axis, what in (("steps", "{:,.0f} steps"), ("samples", "{:,.0f} samples seen"), ("seconds", "{:.2g} s of training")):
        best, loss, at = batch_modes.leader(curves, axis)
        parts.append(f"after {what.format(at)}, **{best}** is lowest (loss {loss:.2f})")
    return "; ".join(parts)


# The figures depend only on the settings: built once per process and shared (read-only) by every
# visitor, so the default view, and any view seen before, costs no figure building.
@st.cache_resource(max_entries=256, show_spinner=False)
def run_1d(name: str, x0: float, eta: float, steps: int) -> tuple[descent.Trajectory, go.Figure]:
    """The 1-D run and its animated figure."""
    fn = FN1[name]
    traj = descent.descend_1d(name, x0, eta, steps)
    curve_x = np.linspace(*descent.view_1d(name, traj.theta[:, 0]), 400)
    return traj, descent_1d_figure(curve_x, fn.f(curve_x), traj.theta[:, 0], traj.value, traj.grad[:, 0], eta)


@st.cache_resource(max_entries=64, show_spinner=False)
def figure_2d(name: str, start: tuple[float, float], lrs: tuple[float, ...], steps: int) -> go.Figure:
    """The 2-D race of the optimizers of ``descent.OPTIMIZERS_2D`` at rates ``lrs``, in that order."""
    paths = {opt: descent.descend_2d(name, opt, start, lr, steps).theta
             for opt, lr in zip(descent.OPTIMIZERS_2D, lrs)}
    xs, ys, Z = descent.grid_2d(name)
    return descent_2d_figure(xs, ys, Z, paths, descent.OPTIMIZERS_2D, FN2[name].minima)
