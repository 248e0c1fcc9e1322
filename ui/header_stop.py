"""Streamlit's own header Stop, on a page that trains in its script run.

The header Stop ends the script run with a StopException, after which every Streamlit call raises
it again: the page can draw nothing more, and would stay as it was mid-run (a progress bar saying
"92 s left", buttons for a run that no longer moves) until the visitor clicks something. A page
that trains calls ``redraw_once(ended)`` before training: a small fragment that the browser
reruns every ``SECONDS`` and that reruns the whole page once ``ended()`` is true, so the page
shows the run as it really stands. After a normal end the page reruns itself and the fragment is
gone.

A fragment's own rerun never preempts the page's script run: it waits for it to end. So when
the fragment runs on its own, the script run that trained is over. That is also what makes the
header Stop hard to tell from a click (see ``replaced_by_a_new_run``): a tick of this fragment
that comes in just after the Stop starts a new script run, as a click would.
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

    `ended` is asked only in the fragment's own reruns, that is once the training script run is
    over (it may then settle a run that script run left unsettled), and only when no other
    fragment reruns with it (the page's next slice of training, say: the page is still at work).
    """
    inline = [True]   # the first call, just below, is in the script run that trains

    @st.fragment(run_every=SECONDS)
    def watch() -> None:
        if inline[0]:
            inline[0] = False
            return
        ctx = get_script_run_ctx()
        if ctx is not None and len(set(ctx.fragment_ids_this_run or ())) <= 1 and ended():
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
