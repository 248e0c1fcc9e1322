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

from collections.abc import Callable

import streamlit as st

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
