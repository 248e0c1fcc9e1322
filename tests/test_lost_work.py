"""A new session opened from a link whose session held models says that they are gone; the link
says `held=1` exactly while the session holds something it would lose."""
from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from mnistcore.model import init_mlp
from tests.appserver import ROOT
from ui import lost_work, state
from ui.models import HeldModel


def _app(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(query)
    return at.run()


def _lost_note_shown(at: AppTest) -> bool:
    return any(w.value == lost_work.LOST_NOTE for w in at.warning)


def test_a_reloaded_link_of_a_session_that_held_models_says_they_are_gone() -> None:
    at = _app({lost_work.HELD: "1"})
    assert not at.exception
    assert _lost_note_shown(at)
    assert lost_work.HELD not in at.query_params      # the new session holds nothing yet
    at.run()
    assert _lost_note_shown(at)                       # a rerun of that page (a reconnect's) still says it
    at.switch_page("pages/train.py").run()
    assert not at.exception and not _lost_note_shown(at)   # said on the page it opened on, not everywhere


def test_the_note_goes_once_the_session_holds_a_model_again() -> None:
    at = _app({lost_work.HELD: "1"})
    model = init_mlp((784, 4, 10), rng=np.random.default_rng(0))
    at.session_state[state.TRAINED_MODEL] = HeldModel(model, {"source": "test"})
    at.run()
    assert not _lost_note_shown(at)


def test_a_plain_visit_says_nothing() -> None:
    at = _app({})
    assert not at.exception and not _lost_note_shown(at)


def test_the_link_says_held_while_the_session_holds_a_model() -> None:
    at = _app({})
    model = init_mlp((784, 4, 10), rng=np.random.default_rng(0))
    at.session_state[state.TRAINED_MODEL] = HeldModel(model, {"source": "test"})
    at.run()
    assert at.query_params.get(lost_work.HELD) in ("1", ["1"])
    at.session_state[state.TRAINED_MODEL] = None
    at.run()
    assert lost_work.HELD not in at.query_params
