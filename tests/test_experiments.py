"""Every guided experiment's claims hold on its seeded runs, and its link sets the page up as said.

The runs are the very settings the pages run (small subsets, few epochs); a run shared by two
experiments (the seed network on 10,000 images, say) is trained once.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from mnistcore import data
from mnistcore.config import TrainConfig
from mnistcore.experiments import (EXPERIMENTS, EXPERIMENTS_LIST, OPS, Claim, measure, on_page,
                                   shifted_digits, to_corner)
from mnistcore.predict import load_shipped_model

_outcomes: dict[tuple, dict] = {}


def dataset(name: str):
    found = data.available()
    if not found.get(name):
        pytest.skip(f"{name} is not installed here")
    return data.load(name)


def outcome(run) -> dict:
    """The run's measured outcome, trained once per test session."""
    key = (run.page, run.dataset, run.config() if run.page == "train" else None)
    if key not in _outcomes:
        if run.page == "train":
            _outcomes[key] = measure(run.config(), dataset(run.dataset))
        else:
            _outcomes[key] = shifted_digits(load_shipped_model()[0], dataset("mnist"))
    return _outcomes[key]


def test_at_least_ten_experiments_each_complete():
    assert len(EXPERIMENTS_LIST) >= 10
    assert len(EXPERIMENTS) == len(EXPERIMENTS_LIST)  # ids are unique
    for e in EXPERIMENTS_LIST:
        assert 3 <= len(e.predictions) <= 4 and 0 <= e.answer < len(e.predictions), e.id
        assert e.question and e.explanation and e.claims, e.id
        for c in e.claims:
            assert c.op in OPS and 0 <= c.run < len(e.runs), e.id
            assert c.than is None or 0 <= c.than < len(e.runs), e.id
        for run in e.runs:
            if run.page == "train":
                assert isinstance(run.config(), TrainConfig)  # the settings are valid


@pytest.mark.parametrize("exp", EXPERIMENTS_LIST, ids=lambda e: e.id)
def test_claims_hold_on_the_seeded_runs(exp):
    outcomes = [outcome(run) for run in exp.runs]
    failed = exp.failed_claims(outcomes)
    assert not failed, f"{exp.id}: {[c.text for c in failed]} with {outcomes}"


def test_a_claim_can_fail():
    claim = Claim("a beats b by a point", "test_accuracy", ">", 0.01, run=0, than=1, by="plus")
    assert claim.holds([{"test_accuracy": 0.95}, {"test_accuracy": 0.93}])
    assert not claim.holds([{"test_accuracy": 0.935}, {"test_accuracy": 0.93}])
    ratio = Claim("a tiny next to b", "grad_ratio", "<", 0.01, than=1)
    assert not ratio.holds([{"grad_ratio": 0.02}, {"grad_ratio": 1.0}])


def test_link_names_the_settings_by_their_field_names():
    exp = EXPERIMENTS["lr_too_large"]
    parts = urlsplit(exp.link())
    assert parts.path == "train"
    query = dict(parse_qsl(parts.query))
    assert query == {"dataset": "mnist", "preset": "seed", "train_size": "10000", "epochs": "3", "lr": "5.0",
                     "try": "lr_too_large"}
    fashion = dict(parse_qsl(urlsplit(EXPERIMENTS["fashion"].link()).query))
    assert fashion["dataset"] == "fashion" and fashion["preset"] == "default"
    assert EXPERIMENTS["shifted_digit"].link() == "draw?dataset=mnist&try=shifted_digit"


def test_on_page_keeps_the_home_order():
    train = on_page("train")
    assert [e.id for e in train] == [e.id for e in EXPERIMENTS_LIST if e.page == "train"]
    assert [e.id for e in on_page("draw")] == ["shifted_digit"]


def test_to_corner_moves_the_ink_without_changing_it():
    ds = dataset("mnist")
    image = ds.x_test[0].reshape(28, 28)
    moved = to_corner(image)
    assert moved.sum() == image.sum() and moved[0].any() and moved[:, 0].any()
