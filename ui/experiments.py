"""The "Try this" widget: a page's guided experiments, predicted, run through the link, explained.

    experiments.try_this("train", locked=training, start=tr.request_start)   # on the Train page
    experiments.try_this("draw", model=model)                                 # on the Draw page
    experiments.experiment_list()                                             # on Home: all, as links

Each experiment (mnistcore/experiments.py) asks its question and offers its predictions. Its
button sets the page up exactly as the experiment's link does (the same query string a shared
URL carries, read by the page's own link reader) and presses the page's Train; when the run with
those settings has ended, the outcome is explained against the prediction picked. The Draw
experiment has no training: its button reads the moved test digits with the page's model.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from mnistcore.experiments import EXPERIMENTS_LIST, Experiment, on_page, shifted_digits
from mnistcore.model import MLP
from ui import lesson, state
from ui.lesson_form import lesson_link_form

TRY_ANCHOR = "try-this"   # the "Try this" header, which a try= link's note points down to
PAGE_TITLES = {"train": "Train", "draw": "Draw", "inside": "Inside the network", "lab": "Lab"}


def _tried() -> dict[str, tuple[str, dict | None]]:
    return st.session_state.setdefault(state.EXP_TRIED, {})


def _set_up(page: str, exp: Experiment, run: int, start: Callable[[], None] | None) -> None:
    """Button callback: the run's link becomes the page's, read again on the next script run."""
    st.query_params.from_dict({**exp.runs[run].query(), lesson.TRY: exp.id})
    st.session_state.setdefault(state.LINK_TRIED, {})[page] = exp.id
    lesson.forget_link(page)
    pick = st.session_state.get(_pick_key(exp))
    if pick is not None:
        _tried()[exp.id] = (pick, None)
    if start is not None:
        start()


def _run_draw(exp: Experiment, model: MLP) -> None:
    from ui import data  # the shared, read-only MNIST
    started = time.perf_counter()
    outcome = shifted_digits(model, data.load_builtin("mnist"))
    outcome["seconds"] = time.perf_counter() - started
    _tried()[exp.id] = (st.session_state.get(_pick_key(exp)), outcome)


def _pick_key(exp: Experiment) -> str:
    return f"exp_pick_{exp.id}"


def _last_run_of(exp: Experiment):
    """The latest finished Train page run with the experiment's first settings, or None."""
    wanted = exp.runs[0].config()
    for run in reversed(st.session_state.get(state.TR_RUNS, [])):
        if getattr(run, "config", None) == wanted:
            return run
    return None


def _explain(exp: Experiment, pick: str | None) -> None:
    right = exp.predictions[exp.answer]
    if pick == right:
        st.success(f"You predicted it: {right}", icon=":material/check_circle:")
    elif pick is not None:
        st.info(f"You predicted “{pick}”. What happens: {right}", icon=":material/lightbulb:")
    else:
        st.info(f"What happens: {right}", icon=":material/lightbulb:")
    st.markdown(exp.explanation)
    st.caption("What this seeded run shows, checked by a test on the same settings (tests/test_experiments.py): "
               + "; ".join(c.text for c in exp.claims) + ".")


def _experiment(page: str, exp: Experiment, locked: bool, start, model: MLP | None) -> None:
    st.markdown(f"**{exp.question}**")
    pick = st.radio("Your prediction", exp.predictions, index=None, key=_pick_key(exp),
                    help="Guess before you run: the outcome is then explained against your guess.")
    first = exp.runs[0]
    if pick is None:
        st.caption("Pick a prediction first: then run it.")
    if page == "draw":
        st.button("Run it on 300 test digits moved to the corner", key=f"exp_go_{exp.id}",
                  disabled=model is None or pick is None, on_click=_run_draw, args=(exp, model),
                  icon=":material/play_arrow:", help="Read the moved digits with this page's model, with "
                  "and without its centring.")
    else:
        st.button(f"Set up and run: {first.label}", key=f"exp_go_{exp.id}", disabled=locked or pick is None,
                  on_click=_set_up, args=(page, exp, 0, start), icon=":material/play_arrow:",
                  help="Set the page's controls as this experiment's link does, then press Train.")
        if len(exp.runs) > 1:
            st.caption("Then compare, in the runs table and its overlay:")
            cols = st.columns(len(exp.runs) - 1)
            for i, col in enumerate(cols, start=1):
                col.button(f"Run {exp.runs[i].label}", key=f"exp_go_{exp.id}_{i}", disabled=locked,
                           on_click=_set_up, args=(page, exp, i, start),
                           help="The run to compare it with: the same settings but this one.")
    if exp.id not in _tried():
        return
    pick, outcome = _tried()[exp.id]
    if page == "draw":
        if outcome is not None:
            st.markdown(f"Moved to the corner, the test digits were read right **{outcome['centred_accuracy']:.0%}** "
                        f"of the time with the page's centring and **{outcome['raw_accuracy']:.0%}** without it "
                        f"(unmoved, without centring: {outcome['plain_accuracy']:.0%}).")
            _explain(exp, pick)
        return
    run = _last_run_of(exp)
    if run is None:
        st.caption("The outcome is explained here when the run with these settings has finished.")
        return
    accuracy = f"test accuracy {run.test_accuracy:.2%}" if run.test_accuracy is not None else "no test score"
    st.markdown(f"Your run #{run.number}: {accuracy}, {run.status.replace('_', ' ')}.")
    _explain(exp, pick)


def try_this(page: str, locked: bool = False, start: Callable[[], None] | None = None,
             model: MLP | None = None) -> None:
    """The experiments of ``page``, one expander each (the one a ``try=`` link names is open).

    ``start`` presses the page's Train (the Train page's request_start), ``locked`` disables the
    buttons while a run trains, ``model`` is the model the Draw page reads with.
    """
    exps = on_page(page)
    if not exps:
        return
    opened = st.query_params.get(lesson.TRY)
    st.subheader("Try this", anchor=TRY_ANCHOR)
    st.caption("Predict first, then run: an experiment you predicted teaches more than one you watched.")
    for exp in exps:
        with st.expander(exp.title, expanded=exp.id == opened or exp.id in _tried(), icon=":material/science:"):
            _experiment(page, exp, locked, start, model)


def link_note(page: str) -> None:
    """Where a ``try=`` link opened ``page``: a pointer down to the experiment's question, which sits
    below the settings, so that the visitor predicts before pressing anything; gone once it ran."""
    exp = next((e for e in on_page(page) if e.id == st.query_params.get(lesson.TRY)), None)
    if exp is not None and exp.id not in _tried():
        st.info(f"This link sets the page up for the experiment *{exp.title}*. Its question and your "
                f"prediction are further down, under [Try this ↓](#{TRY_ANCHOR}): predict first, then run it "
                "from there.", icon=":material/science:")


def experiment_list() -> None:
    """Every experiment in order, as a path through the app: a link that opens it set up."""
    st.subheader("Experiments: predict, then run")
    st.caption("Each link opens its page set up for the experiment; pick a prediction there, then run it.")
    for n, exp in enumerate(EXPERIMENTS_LIST, start=1):
        run = exp.runs[0]
        st.page_link(f"pages/{run.page}.py", label=f"{n}. {exp.title} ({PAGE_TITLES.get(run.page, run.page)})",
                     query_params={**run.query(), lesson.TRY: exp.id}, icon=":material/science:")


def home_section() -> None:
    """The Home page's part: every experiment as a link, then the teachers' lesson-link form."""
    experiment_list()
    lesson_link_form()
