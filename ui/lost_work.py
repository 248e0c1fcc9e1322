"""Tell a visitor when the session that trained their models is gone.

A visitor's models and runs live in one server session. A reload, a restarted server or a replica
that went away behind the load balancer (see deploy/) starts a new, empty session: the page
settings come back from the link, the trained models do not. Streamlit reconnects on its own, so
without a word the runs would just vanish.

While a session holds something it would lose (a trained or uploaded model, Train runs, a Lab
run), the link carries ``held=1``. A new session that finds ``held=1`` in its link was opened from
such a session's page, and says what is gone; the flag then follows the new session's own state.
"""
from __future__ import annotations

import streamlit as st

from ui import state

HELD = "held"   # link parameter: "1" while the session that wrote the link held models or runs
LOST_NOTE = ("The server session that held your trained models and runs is gone (the page was "
             "reloaded, or its server restarted or went away). The settings came back from the "
             "link; train again, or load a model file you downloaded, to get the models back.")


def holds_work() -> bool:
    """Whether this session holds models or runs that a new session would not have."""
    s = st.session_state
    return bool(s.get(state.TRAINED_MODEL) or s.get(state.TR_RUNS) or s.get(state.LAB_TRAINER))


def check() -> None:
    """On a session's first script run, say what was lost; then keep ``held`` in the link true."""
    if state.SESSION_STARTED not in st.session_state:
        st.session_state[state.SESSION_STARTED] = True
        if st.query_params.get(HELD) == "1" and not holds_work():
            st.warning(LOST_NOTE, icon=":material/cloud_off:")
    mark()


def mark() -> None:
    """Keep ``held=1`` in the link exactly while this session holds models or runs."""
    if holds_work():
        if st.query_params.get(HELD) != "1":
            st.query_params[HELD] = "1"
    elif HELD in st.query_params:
        del st.query_params[HELD]
