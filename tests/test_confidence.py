"""Softmax temperature and "not sure": T = 1 is the plain softmax, coverage falls with the threshold."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mnistcore import confidence
from mnistcore.confidence import NOT_SURE, answer, entropy, softmax, threshold_curve
from mnistcore.model import init_mlp


def logits(n=200, k=10, seed=0, spread=3.0):
    return np.random.default_rng(seed).standard_normal((n, k)) * spread


def test_temperature_one_leaves_probabilities_unchanged():
    z = logits()
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(z, 1.0), expected, rtol=1e-12)
    model = init_mlp((784, 8, 10), rng=np.random.default_rng(0), dtype="float64")
    X = np.random.default_rng(1).random((20, 784))
    np.testing.assert_allclose(softmax(model.forward(X), 1.0), model.predict_proba(X), rtol=1e-12)
    np.testing.assert_allclose(softmax(model.forward(X), 2.5), model.predict_proba(X, temperature=2.5), rtol=1e-12)


def test_higher_temperature_raises_entropy_and_keeps_the_top_class():
    z = logits()
    temperatures = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
    H = np.stack([entropy(softmax(z, T)) for T in temperatures])
    assert (np.diff(H, axis=0) > 0).all()
    for T in temperatures:
        np.testing.assert_array_equal(softmax(z, T).argmax(axis=1), z.argmax(axis=1))
    np.testing.assert_allclose(entropy(softmax(z, 1e6)), np.log(10), rtol=1e-6)  # very hot: uniform
    np.testing.assert_allclose(softmax(z, 1e-3).max(axis=1), 1.0)                 # very cold: one-hot


def test_softmax_handles_large_logits_and_single_rows():
    p = softmax(np.array([1000.0, 0.0, -1000.0]), 0.5)
    assert p.shape == (3,) and np.isfinite(p).all() and p[0] == pytest.approx(1.0)


@pytest.mark.parametrize("T", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_temperature_raises_value_error(T):
    with pytest.raises(ValueError, match="temperature"):
        softmax(logits(n=2), T)


def test_answer_is_not_sure_under_the_threshold():
    p = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [0.1, 0.1, 0.8]])
    np.testing.assert_array_equal(answer(p, 0.5), [0, NOT_SURE, 2])
    np.testing.assert_array_equal(answer(p, 0.0), [0, 0, 2])
    np.testing.assert_array_equal(answer(p, 0.8), [NOT_SURE, NOT_SURE, 2])  # >= answers
    assert answer(p[1], 0.3) == 0 and answer(p[1], 0.5) == NOT_SURE and isinstance(answer(p[1], 0.5), int)
    assert confidence.NOT_SURE_TEXT == "not sure"
    with pytest.raises(ValueError, match="threshold"):
        answer(p, 1.5)


def brute_force(p, y, tau):
    sure = p.max(axis=1) >= tau
    right = p.argmax(axis=1) == y
    return sure.mean(), (right[sure].mean() if sure.any() else np.nan)


def test_threshold_curve_matches_a_direct_count():
    p, y = softmax(logits(n=500, seed=3)), np.random.default_rng(4).integers(0, 10, 500)
    y[:300] = p[:300].argmax(axis=1)  # 60%+ right, the rest by chance
    curve = threshold_curve(p, y)
    assert curve.coverage[0] == 1.0 and curve.accuracy[0] == np.mean(p.argmax(axis=1) == y)
    for tau, cov, acc in zip(curve.thresholds, curve.coverage, curve.accuracy):
        expected_cov, expected_acc = brute_force(p, y, tau)
        assert cov == expected_cov
        np.testing.assert_equal(acc, expected_acc)
    # Surer answers are righter: here the sure half is more accurate than all answers.
    half = np.searchsorted(-curve.coverage, -0.5)
    assert curve.accuracy[half] > curve.accuracy[0]


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.just(4)), elements=st.floats(-30, 30)),
       st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_coverage_never_rises_with_the_threshold(z, thresholds):
    p = softmax(z)
    y = np.zeros(len(z), dtype=int)
    taus = np.sort(np.array(thresholds))
    curve = threshold_curve(p, y, taus)
    assert (np.diff(curve.coverage) <= 0).all()
    assert ((curve.coverage >= 0) & (curve.coverage <= 1)).all()
    np.testing.assert_array_equal(curve.answered, [np.sum(p.max(axis=1) >= t) for t in taus])


def test_threshold_curve_bad_input_raises_value_error():
    with pytest.raises(ValueError):
        threshold_curve(np.ones((3, 2)) / 2, np.zeros(4, int))
    with pytest.raises(ValueError):
        threshold_curve(np.ones((3, 2)) / 2, np.zeros(3, int), np.array([0.5, 2.0]))
