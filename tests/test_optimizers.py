"""The update rules are the formulas shown: Adam as Kingma & Ba's Algorithm 1, Nesterov in
Sutskever's form, the step schedule as its words say."""
import numpy as np
import pytest

from mnistcore.optimizers import BETA1, BETA2, EPS, OPTIMIZERS, Adam, make_optimizer
from mnistcore.options import OPTIONS
from mnistcore.schedules import SCHEDULES, lr_at


def _gradients(rng, shape, steps):
    # Mostly tiny gradients, like a rarely lit pixel's: where eps's place matters most.
    return [rng.normal(0, 1e-6, shape) * (rng.random(shape) < 0.3) for _ in range(steps)]


def test_adam_is_algorithm_1_of_kingma_and_ba():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(5, 4))
    grads = _gradients(rng, w.shape, 20)
    opt = Adam([w_mine := w.copy()])
    m = s = np.zeros_like(w)
    w_paper, eta = w.copy(), 1e-3
    for t, g in enumerate(grads, start=1):
        opt.step([g.copy()], eta)
        m = BETA1 * m + (1 - BETA1) * g
        s = BETA2 * s + (1 - BETA2) * g * g
        m_hat, s_hat = m / (1 - BETA1 ** t), s / (1 - BETA2 ** t)
        w_paper = w_paper - eta * m_hat / (np.sqrt(s_hat) + EPS)
    np.testing.assert_allclose(w_mine, w_paper, rtol=1e-12, atol=1e-15)
    # Folding the bias correction into the step size would move eps and land clearly elsewhere.
    w_folded, m, s = w.copy(), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = BETA1 * m + (1 - BETA1) * g
        s = BETA2 * s + (1 - BETA2) * g * g
        w_folded = w_folded - eta * np.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t) * m / (np.sqrt(s) + EPS)
    assert np.abs(w_folded - w_paper).max() > 100 * np.abs(w_mine - w_paper).max()


def test_adams_formula_defines_its_symbols_with_the_codes_constants():
    tex = OPTIONS["optimizer"].choices["adam"].formula
    for part in (r"\hat m = \frac{m}{1-\beta_1^t}", r"\hat s = \frac{s}{1-\beta_2^t}",
                 r"\frac{\hat m}{\sqrt{\hat s} + \epsilon}", r"\beta_1 = 0.9", r"\beta_2 = 0.999",
                 r"\epsilon = 10^{-8}"):
        assert part in tex
    assert (BETA1, BETA2, EPS) == (0.9, 0.999, 1e-8)


def test_nesterov_keeps_the_look_ahead_weights_sutskevers_form():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 3))
    opt = make_optimizer("momentum", [w_mine := w.copy()], momentum=0.9, nesterov=True)
    v, w_formula, eta, mu = np.zeros_like(w), w.copy(), 0.1, 0.9
    for _ in range(5):
        g = np.sin(w_formula)  # the gradient at the stored weights
        opt.step([np.sin(w_mine)], eta)
        v = mu * v - eta * g                      # v <- mu v - eta grad L(w)
        w_formula = w_formula + mu * v - eta * g  # w <- w + mu v - eta grad L(w)
    np.testing.assert_allclose(w_mine, w_formula, rtol=1e-12)
    assert r"w + \mu v - \eta" in OPTIONS["nesterov"].formula and "look-ahead" in OPTIONS["nesterov"].help


def test_every_optimizer_is_built_from_the_registry():
    for name, cls in OPTIMIZERS.items():
        assert type(make_optimizer(name, [np.zeros(2)])) is cls
    with pytest.raises(ValueError, match="optimizer must be one of sgd, momentum, adam"):
        make_optimizer("rmsprop", [np.zeros(2)])


@pytest.mark.parametrize("epochs, halved_at", [(1, []), (2, [1, 1]), (3, [1, 2]), (4, [1, 2, 3]),
                                               (6, [2, 3, 5]), (8, [2, 4, 6]), (12, [3, 6, 9])])
def test_step_schedule_halves_after_each_quarter_of_the_run(epochs, halved_at):
    # Halvings by epoch e: the quarters of the run that have passed, floor(4e / E).
    rates = [lr_at("step", 1.0, e, epochs) for e in range(epochs)]
    halvings = [round(-np.log2(r)) for r in rates]
    assert [e for e in range(1, epochs) for _ in range(halvings[e] - halvings[e - 1])] == halved_at
    assert halvings == [4 * e // epochs for e in range(epochs)]
    assert "quarter" in SCHEDULES["step"].label and r"\lfloor 4e / E \rfloor" in SCHEDULES["step"].formula


def test_l2_is_named_regularisation_and_told_apart_from_decoupled_weight_decay():
    l2 = OPTIONS["l2"]
    assert l2.label == "L2 regularisation λ" and "decoupled weight decay" in l2.help
    assert r"\nabla_W L + \lambda W" in l2.formula
