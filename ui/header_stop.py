"""Streamlit's own header Stop, on a page that trains in its script run.

The header Stop ends the script run with a StopException, after which every Streamlit call raises
it again: the page can draw nothing more, and would stay as it was mid-run (a progress bar saying
"92 s left", buttons for a run that no longer moves) until the visitor clicks something. A page
that trains calls ``redraw_once(ended)`` before training: a small fragment that the browser
reruns every ``SECONDS`` (a fragment rerun never preempts the training script run, it waits),
and that reruns the whole page once ``ended()`` is true, so the page shows the run as it really
stands. After a normal end the page reruns itself and the fragment is gone.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

SECONDS = 1.0


def redraw_once(ended: Callable[[], bool]) -> None:
    """While the script trains: rerun the page when `ended()` (no Streamlit calls in it) is true.

    `ended` is also called once at once, as the fragment is drawn: it must be false then.
    """
    @st.fragment(run_every=SECONDS)
    def watch() -> None:
        if ended():
            st.rerun(scope="app")
    watch()


def replaced_by_a_new_run(wait: float = 0.2) -> bool:
    """After a StopException: True if a click started a new script run (the run under way is to
    pause and be resumed there), False for Streamlit's header Stop (or outside a server).

    With ``runner.fastReruns`` (the default) any click that reruns the page stops the running
    script with the same StopException as the header Stop, then gives the session a new script
    runner at once; after the header Stop the session keeps this one. (Streamlit 1.67's
    AppSession, pinned in requirements.txt: no public API tells the two apart.)
    """
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return False
    info = Runtime.instance()._session_mgr.get_session_info(ctx.session_id)
    if info is None:
        return False
    deadline = time.monotonic() + wait   # the new runner is made right after the old one is told to stop
    while True:
        runner = getattr(info.session, "_scriptrunner", None)
        if runner is None or getattr(runner, "_requests", None) is not ctx.script_requests:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
