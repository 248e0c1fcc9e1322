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


def check(page: str) -> None:
    """Say what was lost on the page a new session opened on; keep ``held`` in the link true.

    The note stays on that page (every run of it, until the visitor trains or loads a model
    again), not just on the session's first run: a reconnecting browser often sends a rerun that
    interrupts the first run, and the note must not vanish with it.
    """
    s = st.session_state
    if state.WORK_LOST not in s:   # the session's first script run
        lost = st.query_params.get(HELD) == "1" and not holds_work()
        s[state.WORK_LOST] = page if lost else None
    if s[state.WORK_LOST] == page and not holds_work():
        st.warning(LOST_NOTE, icon=":material/cloud_off:")
    mark()


# Streamlit 1.67's browser, reconnecting to a server (a new replica, say), asks for a script run
# only if the page has a timer fragment (run_every) or was running: an idle page would keep its
# old session's charts and say nothing until the next click. A page whose session holds work
# keeps this empty timer, so a reconnect runs the page at once and the new session says what is
# gone. Its own tick every ten minutes reruns nothing but itself.
RECONNECT_TIMER_S = 600


@st.fragment(run_every=RECONNECT_TIMER_S)
def _rerun_on_reconnect() -> None:
    """Draws nothing: see RECONNECT_TIMER_S."""


def done() -> None:
    """At the end of a script run: keep ``held`` in the link true, and the reconnect timer."""
    mark()
    if holds_work():
        with st.sidebar:
            _rerun_on_reconnect()


def mark() -> None:
    """Keep ``held=1`` in the link exactly while this session holds models or runs."""
    if holds_work():
        if st.query_params.get(HELD) != "1":
            st.query_params[HELD] = "1"
    elif HELD in st.query_params:
        del st.query_params[HELD]
