"""The Train page's "Export this run": the current settings as a script to take into a notebook."""
from __future__ import annotations

import streamlit as st

from mnistcore.config import TrainConfig
from mnistcore.export import mnistcore_script, numpy_script, plain_sgd_reason
from ui import state


def export_run(config: TrainConfig | None) -> None:
    """A popover with the settings as a mnistcore script and, for plain SGD, as plain NumPy."""
    dataset = st.session_state.get(state.DATASET, "mnist")
    with st.popover("Export this run", icon=":material/code:", disabled=config is None,
                    help="The settings as a short Python script that trains the same run, number for number."):
        if config is None:  # the popover is disabled, but its body still runs
            return
        if dataset == state.UPLOADED:
            st.warning("The run uses your uploaded data set, which the script cannot load: it reads MNIST "
                       "instead. Change `data.load(...)` to read your files.")
            dataset = "mnist"
        st.caption("Same settings and seed as here: the script gets this page's numbers (its test accuracy "
                   "to the digit). It needs mnistcore: `pip install -e .` in the app's folder.")
        st.download_button("mnistcore script", mnistcore_script(config, dataset), file_name="train_run.py",
                           mime="text/x-python", icon=":material/download:", on_click="ignore")
        reason = plain_sgd_reason(config)
        if reason:
            st.caption(f"No plain NumPy version: {reason}.")
        else:
            st.download_button("Plain NumPy script (the notebooks' style)", numpy_script(config, dataset),
                               file_name="train_run_numpy.py", mime="text/x-python",
                               icon=":material/download:", on_click="ignore")
