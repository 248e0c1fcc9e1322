"""This session's runs: a table, their curves overlaid, each removable."""
from __future__ import annotations

import streamlit as st

from mnistcore.figures import training as figs
from ui import limits as lim
from ui import state
from ui.data import label as dataset_label
from ui.training.explain import VALIDATION_VS_TEST
from ui.training.runs import Run, describe


def _last(values: list) -> float | None:
    """The last recorded value of a curve column (None: never recorded)."""
    return next((v for v in reversed(values) if v is not None), None)

def _remove_runs() -> None:
    gone = set(st.session_state.get(state.TR_REMOVE) or ())
    st.session_state[state.TR_RUNS] = [r for r in st.session_state.get(state.TR_RUNS, []) if r.number not in gone]
    st.session_state[state.TR_REMOVE] = []


def runs_table(runs: list[Run], limits: lim.Limits, locked: bool = False) -> None:
    """This session's runs in a table, their curves overlaid, each removable."""
    st.dataframe({
        # The outcome first: the long settings text would push it off a narrow table's edge.
        "run": [f"#{r.number}" for r in runs],
        "test accuracy": [None if r.test_accuracy is None else round(100 * r.test_accuracy, 2) for r in runs],
        "validation accuracy": [None if (v := _last(r.curve.get("val_accuracy", []))) is None else round(100 * v, 2)
                                for r in runs],
        "status": [r.status.replace("_", " ") for r in runs],
        "settings": [describe(r.config) for r in runs],
        "started from": [r.start for r in runs],
        "epochs": [round(r.epochs, 2) for r in runs],
        "seconds here": [round(r.seconds, 1) for r in runs],
        "samples/s": [round(r.samples_per_second) for r in runs],
        "data": [dataset_label(r.dataset) for r in runs],
    }, hide_index=True, column_config={name: st.column_config.NumberColumn(format="%.2f %%")
                                       for name in ("validation accuracy", "test accuracy")})
    st.caption(VALIDATION_VS_TEST)
    st.caption(f"The last {limits.max_runs} runs of this browser session are kept. *Seconds here*: training, "
               "scoring and drawing, measured on this server while the page drew the run.")
    st.session_state.setdefault(state.TR_OVERLAY, "accuracy")
    metric = st.radio("Compare", ["accuracy", "loss"], horizontal=True, **state.bind(state.TR_OVERLAY))
    st.plotly_chart(figs.runs_overlay([(r.label, r.curve) for r in runs], metric, "test"))
    numbers = [r.number for r in runs]
    st.session_state[state.TR_REMOVE] = [n for n in st.session_state.get(state.TR_REMOVE) or () if n in numbers]
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    picked = left.multiselect("Remove runs", numbers, format_func=lambda n: f"#{n}", disabled=locked,
                              **state.bind(state.TR_REMOVE))
    right.button("Remove", on_click=_remove_runs, disabled=locked or not picked, icon=":material/delete:")
