"""Lesson links: a teacher's link that opens a page set up, some controls hidden or fixed, a note on top.

Any page's link may add, beside its settings:

    hide=optimizer,lr      the controls of these settings are not shown (their values still apply)
    fix=epochs             shown, but cannot be changed
    note=Watch the loss.   a short note shown on top (plain text, at most NOTE_MAX characters)

The names are the settings' link names (on the Train page, the TrainConfig field names and
``preset``; on the others, their link parameters). A page reads its lesson once per session, like
its other link values, and draws each setting's control through it:

    notes = lesson.read("dataset", names)        # shows the note; notes on unknown names
    lesson.control("dataset", "split", st.radio, "Split", splits, **state.bind(state.DS_SPLIT))

Unknown names are named in a note, like any other unusable link value; the lesson then stays for
the session (Streamlit drops the query string when the visitor changes page) and is written back
into the link, so the link in the address bar is still the teacher's.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import streamlit as st

from ui import state

HIDE, FIX, NOTE = "hide", "fix", "note"
TRY = "try"             # an experiment's link names it (mnistcore/experiments.py, ui/experiments.py)
LINK_NAMES = (HIDE, FIX, NOTE)
NOTE_MAX = 280          # characters of a teacher's note: a sentence or two, not a page
MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:=^")
T = TypeVar("T")


@dataclass(frozen=True)
class Lesson:
    """What a lesson link asks of one page: controls hidden, controls fixed, a note."""
    hide: frozenset[str] = frozenset()
    fix: frozenset[str] = frozenset()
    note: str = ""

    def query(self) -> dict[str, str]:
        """The lesson's link parameters (none for an empty lesson)."""
        q = {HIDE: ",".join(sorted(self.hide)), FIX: ",".join(sorted(self.fix)), NOTE: self.note}
        return {k: v for k, v in q.items() if v}


def clean_note(text: str) -> str:
    """The note as plain text: control characters dropped, spaces collapsed, at most NOTE_MAX long."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    kept = " ".join(kept.split())
    return kept if len(kept) <= NOTE_MAX else kept[:NOTE_MAX - 1].rstrip() + "…"


def markdown_safe(text: str) -> str:
    """``text`` escaped so that Markdown shows it as typed: no links, emphasis, emoji codes or HTML."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIALS else ch for ch in text)


def parse(query: Mapping[str, str], names: Collection[str]) -> tuple[Lesson, list[str]]:
    """The lesson in a link's ``query``, for a page whose controls are ``names``; notes on bad names."""
    notes, chosen = [], {}
    for param in (HIDE, FIX):
        given = [n.strip() for n in query.get(param, "").split(",") if n.strip()]
        unknown = [n for n in given if n not in names]
        if unknown:
            known = f"known: {', '.join(sorted(names))}" if names else "this page has no controls a link can hide or fix"
            notes.append(f"`{param}=` in the link names no setting of this page: "
                         f"{', '.join(markdown_safe(n) for n in unknown)} ({known}).")
        chosen[param] = frozenset(n for n in given if n in names)
    raw = query.get(NOTE, "")
    note = clean_note(raw)
    if len(" ".join(raw.split())) > NOTE_MAX:
        notes.append(f"`{NOTE}=` in the link is longer than {NOTE_MAX} characters; it is cut short.")
    return Lesson(chosen[HIDE], chosen[FIX] - chosen[HIDE], note), notes


def _lessons() -> dict[str, Lesson]:
    return st.session_state.setdefault(state.LESSONS, {})


def forget_link(page: str) -> None:
    """Make ``page`` (and the app's data set choice) read its link again on the next script run."""
    done: set[str] = st.session_state.setdefault(state.PARAMS_READ, set())
    for name in list(done):
        if name in (page, "app", f"lesson:{page}") or name.startswith(f"{page}:"):
            done.discard(name)


def follow_try_link(page: str) -> None:
    """A link with a new ``try=`` (an experiment's, followed from Home within the session) is
    applied again, as in a fresh session: a page reads its link only once per session otherwise."""
    tried = st.session_state.setdefault(state.LINK_TRIED, {})
    wanted = st.query_params.get(TRY)
    if wanted is None or tried.get(page) == wanted:
        return
    tried[page] = wanted
    if page in st.session_state.get(state.PARAMS_READ, set()):  # not a fresh visit: read it again
        forget_link(page)
        st.rerun()  # from app.py, which reads the link's data set


def read(page: str, names: Collection[str]) -> list[str]:
    """Apply the link's lesson for ``page`` once per session, show its note; notes on bad names.

    Call it before the page reads its other link values (it re-reads them for a new ``try=``).
    """
    follow_try_link(page)
    done: set[str] = st.session_state.setdefault(state.PARAMS_READ, set())
    notes: list[str] = []
    if f"lesson:{page}" not in done:
        done.add(f"lesson:{page}")
        lesson, notes = parse(st.query_params.to_dict(), names)
        _lessons()[page] = lesson
    lesson = current(page)
    for name, text in lesson.query().items():  # keep the teacher's link in the address bar
        if st.query_params.get(name) != text:
            st.query_params[name] = text
    if lesson.note:
        st.info(markdown_safe(lesson.note), icon=":material/school:")
    return notes


# Pages that read their lesson themselves, with their settings' link names (the others have none).
OWN_LESSON = {"dataset", "gradient_descent", "one_step", "train", "inside", "lab"}


def other_page(url_path: str) -> None:
    """app.py, for every other page: its link's note is shown, and hide= or fix= names are noted."""
    page = url_path or "home"
    if page not in OWN_LESSON:
        state.show_notes(read(page, ()))


def control(page: str, name: str, draw: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Draw the control of link setting ``name`` the way ``page``'s lesson asks, e.g.

        lesson.control("dataset", "split", c1.radio, "Split", splits, **state.bind(state.DS_SPLIT))

    Hidden: not drawn, and None returned; the setting keeps the value it has (the link's, or its
    default), which the page reads where it keeps it. Fixed: drawn, disabled.
    """
    if not visible(page, name):
        return None
    kwargs["disabled"] = kwargs.get("disabled", False) or fixed(page, name)
    return draw(*args, **kwargs)


def current(page: str) -> Lesson:
    return _lessons().get(page, Lesson())


def visible(page: str, name: str) -> bool:
    """Whether the control of setting ``name`` is shown on ``page`` (not hidden by a lesson link)."""
    return name not in current(page).hide


def fixed(page: str, name: str) -> bool:
    """Whether the control of setting ``name`` is shown but may not be changed."""
    return name in current(page).fix


def changeable(page: str, name: str) -> bool:
    """Whether the visitor may change setting ``name`` on ``page`` (its control neither hidden nor fixed)."""
    return visible(page, name) and not fixed(page, name)


def link(page: str, settings: Mapping[str, str], lesson: Lesson) -> str:
    """The path and query string of a lesson link, e.g. "train?preset=seed&hide=optimizer%2Clr"."""
    q = {**settings, **lesson.query()}
    return page + ("?" + urlencode(q) if q else "")


def full_link(app_url: str | None, path_and_query: str) -> str:
    """The link to copy: the app's address (``st.context.url`` on Home, the page the form is on,
    whose own path is empty) joined to "/train?...", or the relative "/train?..." when the address is
    unknown (under AppTest, or a browser that did not send it)."""
    if not app_url or not app_url.startswith(("http://", "https://")):
        return "/" + path_and_query
    return app_url.split("?", 1)[0].split("#", 1)[0].rstrip("/") + "/" + path_and_query
