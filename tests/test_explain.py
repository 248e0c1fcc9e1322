"""The numbers the Train page's explanations state (mnistcore/explain.py), and the claims they make."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mnistcore.inits import INITS

from mnistcore import data, explain
from mnistcore.config import TrainConfig
from mnistcore.train import Trainer


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


def test_uniform_init_on_784_inputs_is_far_too_large_and_he_is_not(mnist):
    s = explain.init_spreads(mnist.x_train, mnist.y_train)
    he, uniform = s["he"], s["uniform"]
    # Var(W) = 1/12 against 2/784: sqrt(784/24) = 5.7 times the spread of z, as the page says
    assert 4.5 < uniform.z_std / he.z_std < 7.0
    assert 0.3 < he.z_std < 0.7 and uniform.z_std > 2.0
    assert uniform.logit_std > 5 * he.logit_std
    assert abs(he.start_loss - math.log(10)) < 0.3                # near a uniform guess, ln 10
    assert uniform.start_loss > 3 * he.start_loss            # "starts confidently wrong"


def test_the_spreads_are_the_models_own_and_seeded(mnist):
    a = explain.init_spreads(mnist.x_train[:300], mnist.y_train[:300], hidden=16, seed=3)
    b = explain.init_spreads(mnist.x_train[:300], mnist.y_train[:300], hidden=16, seed=3)
    assert a == b and set(a) == set(INITS)


def test_cross_entropys_gradient_stays_large_when_confidently_wrong_and_sigmoids_vanishes():
    rows = explain.output_gradients((-1.0, -3.0, -6.0))
    for r in rows:
        assert r.cross_entropy == pytest.approx(r.p_right - 1)          # p - t on the right class
        assert r.mse == pytest.approx(r.score - 1)                      # z - t: the code's MSE on scores
        s = 1 / (1 + np.exp(-r.score))
        assert r.sigmoid_mse == pytest.approx((s - 1) * s * (1 - s))
    assert all(-1 <= r.cross_entropy < -0.95 for r in rows)            # near -1 however wrong, never more
    sig = [abs(r.sigmoid_mse) for r in rows]
    assert sig == sorted(sig, reverse=True) and sig[-1] < 0.01          # vanishes as the answer gets surer
    assert [abs(r.mse) for r in rows] == sorted(abs(r.mse) for r in rows)   # grows with the score
    [sure] = explain.output_gradients((3.0,))       # right, and sure: squared error pulls z_y back to 1
    assert sure.mse == pytest.approx(2.0) and sure.cross_entropy < 0      # cross-entropy still pushes it up


def test_with_dropout_the_recent_batches_accuracy_lies_below_the_epoch_end_one(mnist):
    """The sentence under the Train charts (ui/training/explain.RECENT_VS_EPOCH), on a seeded run."""
    trainer = Trainer(TrainConfig(hidden=(64,), dropout=0.5, epochs=2, train_size=2000, seed=0), mnist)
    events = list(trainer.run())
    for epoch in (1, 2):
        steps = [e for e in events if e.kind == "step" and epoch - 1 < e.epoch_fraction <= epoch]
        end = next(e for e in events if e.kind == "epoch" and e.epoch_fraction == epoch)
        assert steps[-1].train_accuracy < end.train_accuracy
