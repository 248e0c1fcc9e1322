"""The Home page's "make a lesson link" form: any page's current settings, some controls hidden or
fixed, a note on top (the link's parts are read by ui/lesson.py on the page it opens).

Each page with settings in its link says here what they are now in this session (their link
names and text, as its link would carry them) and the label of each one's control:

    settings, labels = PAGES["dataset"].now()     # {"split": "test", ...}, {"split": "Split", ...}
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import streamlit as st

from mnistcore.options import OPTIONS
from ui import lesson, state

Settings = tuple[dict[str, str], dict[str, str]]   # (link name -> text now, link name -> control label)


@dataclass(frozen=True)
class LinkedPage:
    title: str
    now: Callable[[], Settings]


def _from_params(params: Iterable[state.Param], labels: Mapping[str, str]) -> Settings:
    """The params' values now as link text (those with no value yet left out), and their labels."""
    now = {p.name: p.to_url(v) for p in params if (v := st.session_state.get(p.key, p.default)) is not None}
    return now, dict(labels)


def _train() -> Settings:
    from ui import data, limits as lim, training as tr  # here: ui.training's widgets import ui.lesson
    params = [tr.preset_param(), *tr.setting_params(lim.load(), len(data.current_dataset().y_train))]
    labels = {option.link: option.label for option in OPTIONS.values()} | {tr.preset_param().name: "Preset"}
    return _from_params(params, {p.name: labels.get(p.name, p.name) for p in params})


def _dataset() -> Settings:
    from ui import dataset
    return _from_params(dataset.PARAMS, dataset.LABELS)


def _gradient_descent() -> Settings:
    from ui import descent
    return _from_params(descent.link_params(descent.FN1[st.session_state.get("gd_fn1", "quadratic")]), descent.LABELS)


def _one_step() -> Settings:
    from ui import one_step
    return _from_params(one_step.PARAMS, one_step.LABELS)


def _inside() -> Settings:
    from ui import inside   # its widgets keep their values under their link names (bind="query-params")
    return {name: str(st.session_state.get(name, inside.DEFAULTS[name])) for name in inside.SETTINGS}, inside.LABELS


def _lab() -> Settings:
    from ui import lab
    return _from_params(lab.link_params(), lab.LABELS)


PAGES = {"train": LinkedPage("Train", _train), "dataset": LinkedPage("Dataset", _dataset),
         "gradient_descent": LinkedPage("Gradient descent", _gradient_descent),
         "one_step": LinkedPage("One step", _one_step), "inside": LinkedPage("Inside the network", _inside),
         "lab": LinkedPage("Lab", _lab)}


def lesson_link_form() -> None:
    """The form: a page, its controls to hide or fix, a note; writes the link to copy.

    The lists show the controls' labels; their "Select all" is switched off: it is the list's first
    row, where a teacher expects a setting, and hiding every control is no lesson.
    """
    with st.expander("Make a lesson link (for teachers)", icon=":material/school:"):
        st.caption("A link that opens a page with its current settings in this session, the controls you "
                   "choose hidden or fixed, and your note on top.")
        page = st.selectbox("Page the link opens", list(PAGES), format_func=lambda p: PAGES[p].title, key="lesson_page",
                            help="The page the link opens; its settings are the ones it has now in this session.")
        settings, labels = PAGES[page].now()
        dataset = st.session_state.get(state.DATASET, "mnist")
        settings = {"dataset": "mnist" if dataset == state.UPLOADED else dataset, **settings}  # an upload cannot be linked
        names = sorted(labels, key=lambda n: labels[n].casefold())
        st.caption(f"The link opens {PAGES[page].title} with its {len(labels)} settings as they are now in this "
                   "session; below, its controls.")
        with st.form("lesson_link"):
            hide = st.multiselect("Hide these controls", names, format_func=labels.get, select_all=False,
                                  help="Their values still apply.")
            fix = st.multiselect("Show these but do not let them change", names, format_func=labels.get,
                                 select_all=False, help="Shown greyed out, with the value the link gives.")
            note = st.text_input("A note shown on top", max_chars=lesson.NOTE_MAX,
                                 help="Plain text, a sentence or two: what to look for.")
            made = st.form_submit_button("Make the link", help="Write the link below, ready to copy.")
        if made:
            chosen = lesson.Lesson(frozenset(hide) & set(names), (frozenset(fix) - frozenset(hide)) & set(names),
                                   lesson.clean_note(note))
            made_link = lesson.full_link(st.context.url, lesson.link(page, settings, chosen))
            st.code(made_link, language=None, wrap_lines=True)
            if made_link.startswith("/"):
                st.caption("Add it to this app's address (everything before the first `/`), e.g. "
                           "`https://your-app.streamlit.app/train?...`.")
