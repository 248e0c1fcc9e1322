"""mnistcore.step: one training step's record against the ordinary step, the gradient check,
the mini-batch mean, and "teach it your digit"."""
from __future__ import annotations

import numpy as np
import pytest

from mnistcore import step
from mnistcore.gradcheck import relative_error
from mnistcore.losses import LOSSES
from mnistcore.model import init_mlp
from mnistcore.optimizers import SGD


def images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n MNIST-like inputs in [0, 1]: sparse strokes on black, and labels."""
    rng = np.random.default_rng(seed)
    X = np.where(rng.random((n, 784)) < 0.2, rng.random((n, 784)), 0).astype(np.float32)
    return X, rng.integers(0, 10, n)


@pytest.fixture
def net():
    return init_mlp((784, 16, 10), rng=np.random.default_rng(3))


@pytest.mark.parametrize("sizes", [(784, 16, 10), (784, 32, 12, 10), (784, 10)])
@pytest.mark.parametrize("B", [1, 7])
def test_record_equals_ordinary_training_step_bit_for_bit(sizes, B):
    model = init_mlp(sizes, rng=np.random.default_rng(1))
    X, y = images(B)
    before = [p.copy() for p in model.params]
    rec = step.step_record(model, X, y, eta=0.1)
    for p, q in zip(model.params, before):      # the model itself is only read
        assert np.array_equal(p, q)
    loss, _, grads = model.loss_and_gradients(X, y)          # the ordinary step
    assert rec.loss == loss
    for mine, theirs in zip(rec.grads, grads):
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs)
    SGD(model.params).step([g.copy() for g in grads], 0.1)
    for mine, theirs in zip([*rec.W_after, *rec.b_after], [*model.W, *model.b]):
        assert np.array_equal(mine, theirs)


def test_record_quantities_follow_the_formulas(net):
    X, y = images(3)
    rec = step.step_record(net, X, y, eta=0.05)
    W, b = net.W, net.b
    assert np.array_equal(rec.a[0], X)
    np.testing.assert_allclose(rec.z[0], X @ W[0] + b[0], rtol=1e-5, atol=1e-6)
    assert np.array_equal(rec.a[1], np.maximum(rec.z[0], 0))
    np.testing.assert_allclose(rec.logits, rec.a[1] @ W[1] + b[1], rtol=1e-5, atol=1e-6)
    assert np.array_equal(rec.row_max, rec.logits.max(axis=1))
    assert np.all(rec.shifted.max(axis=1) == 0)
    np.testing.assert_allclose(rec.p.sum(axis=1), 1, rtol=1e-6)
    assert np.array_equal(rec.onehot.argmax(axis=1), y) and rec.onehot.sum() == 3
    np.testing.assert_allclose(rec.loss, -np.log(rec.p[np.arange(3), y]).mean(), rtol=1e-5)
    np.testing.assert_allclose(rec.delta[1], (rec.p - rec.onehot) / 3, atol=1e-7)   # softmax + CE: p - t
    np.testing.assert_allclose(rec.delta[0], (rec.delta[1] @ W[1].T) * (rec.z[0] > 0), atol=1e-7)
    np.testing.assert_allclose(rec.dW[1], rec.a[1].T @ rec.delta[1], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(rec.db[0], rec.delta[0].sum(axis=0), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(rec.W_after[0], W[0] - 0.05 * rec.dW[0], rtol=1e-6, atol=1e-7)


def test_one_image_delta_is_its_bias_gradient(net):
    X, y = images(1)
    rec = step.step_record(net, X, y, eta=0.1)
    for delta, db in zip(rec.delta, rec.db):
        assert np.array_equal(delta[0], db)


def test_loss_falls_for_a_sensible_eta_and_rises_for_a_large_one(net):
    X, y = images(1)
    rec = step.step_record(net, X, y, eta=0.1)
    assert rec.loss_after < rec.loss and rec.p_y_after[0] > rec.p_y[0]
    Xb, yb = images(32, seed=1)
    assert step.step_record(net, Xb, yb, eta=0.1).loss_after < step.step_record(net, Xb, yb, eta=0.1).loss
    big = step.step_record(net, Xb, yb, eta=30.0)
    assert big.loss_after > big.loss


def test_batch_gradient_is_the_mean_of_per_image_gradients(net):
    X, y = images(9)
    rec = step.step_record(net, X, y, eta=0.1)
    mean = step.mean_of_per_image_gradients(net, X, y)
    singles = [step.step_record(net, X[i:i + 1], y[i:i + 1], 0.1).grads for i in range(9)]
    for k, g in enumerate(rec.grads):
        assert mean[k].dtype == g.dtype
        np.testing.assert_allclose(g, mean[k], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(mean[k], np.mean([s[k] for s in singles], axis=0), rtol=1e-5, atol=1e-8)
        assert np.abs(g).max() > 0
    assert not np.allclose(rec.grads[0], singles[0][0], atol=1e-6)   # one image alone is not the batch


@pytest.mark.parametrize("B", [1, 5])
def test_gradient_check_agrees_with_backprop_in_float64(net, B):
    X, y = images(B)
    rec = step.step_record(net, X, y, eta=0.1)
    picks = step.largest_weights(rec.grads, 6) + [(0, (400, 3)), (3, (2,))]
    checks = step.check_gradients(net, X, y, picks)
    assert len(checks) == 8
    for c in checks[:6]:
        assert abs(c.backprop) > 0 and c.relative_error < 1e-6
    for c, (param, index) in zip(checks, picks):
        np.testing.assert_allclose(c.backprop, rec.grads[param][index], rtol=1e-4, atol=1e-7)


def test_gradient_check_catches_a_wrong_gradient(net):
    """The check is not vacuous: a loss other than the one backprop used disagrees."""
    X, y = images(1)
    picks = step.largest_weights(step.step_record(net, X, y, 0.1).grads, 3)
    right = step.check_gradients(net, X, y, picks)
    y_other = (y + 1) % 10
    wrong = step.check_gradients(net, X, y_other, picks)
    assert all(relative_error(np.array([a.backprop]), np.array([b.numeric])) > 1e-3
               for a, b in zip(right, wrong))


def test_largest_weights_are_the_largest():
    grads = [np.array([[0.1, -5.0], [2.0, 0.0]]), np.array([3.0, -0.5])]
    assert step.largest_weights(grads, 3) == [(0, (0, 1)), (1, (0,)), (0, (1, 0))]


def test_mse_model_step(net):
    model = init_mlp((784, 16, 10), loss="mse", rng=np.random.default_rng(0))
    X, y = images(2)
    rec = step.step_record(model, X, y, eta=0.01)
    np.testing.assert_allclose(rec.delta[-1], (rec.logits - rec.onehot) / 2, atol=1e-7)
    assert rec.loss == LOSSES["mse"].loss_and_delta(rec.logits.copy(), rec.y)


@pytest.mark.parametrize("bad", [
    dict(eta=0.0), dict(eta=float("nan")), dict(X=np.zeros((1, 100))), dict(X=np.full((1, 784), 2.0)),
    dict(X=np.zeros((257, 784)), y=np.zeros(257, int)), dict(y=np.array([10])), dict(y=np.array([1, 2])),
])
def test_bad_input_is_a_clear_value_error(net, bad):
    args = dict(X=np.zeros((1, 784), np.float32), y=np.array([3]), eta=0.1) | bad
    with pytest.raises(ValueError):
        step.step_record(net, args["X"], args["y"], args["eta"])


def test_teach_moves_the_image_towards_its_label_and_is_seeded(net):
    X, y = images(61, seed=5)
    x, label = X[0], int((y[0] + 3) % 10)
    test_x, test_y = images(200, seed=6)
    t = step.teach(net, x, label, X[1:], y[1:], test_x, test_y, steps=4, eta=0.05)
    assert t.p.shape == (5, 10)
    assert np.all(np.diff(t.p[:, label]) > 0)
    assert 0 <= t.test_accuracy_before <= 1 and 0 <= t.test_accuracy_after <= 1
    again = step.teach(net, x, label, X[1:], y[1:], test_x, test_y, steps=4, eta=0.05)
    assert np.array_equal(t.p, again.p)
    assert not np.array_equal(t.model.W[0], net.W[0])


def test_teach_turns_a_misread_digit_into_a_correct_one_and_keeps_test_accuracy():
    """The ready-trained model misreads test image 259 (a 6); the page's default teaching fixes it."""
    from mnistcore import data
    from mnistcore.predict import load_shipped_model
    ds = data.load("mnist")
    model, _ = load_shipped_model()
    x, label = ds.x_test[259].reshape(-1) / np.float32(255), int(ds.y_test[259])
    assert model.predict(x[None])[0] != label
    replay = np.random.default_rng(0).choice(len(ds.x_train), 60, replace=False)
    t = step.teach(model, x, label, ds.x_train[replay], ds.y_train[replay], ds.x_test, ds.y_test)
    assert t.p[0].argmax() != label and t.p[-1].argmax() == label
    assert abs(t.test_accuracy_after - t.test_accuracy_before) < 0.01


def test_unit_sum_and_delta_add_up_to_the_record(net):
    X, y = images(1)
    rec = step.step_record(net, X, y, eta=0.1)
    j = int(np.argmax(rec.a[1][0]))
    s = step.unit_sum(net.W[0], net.b[0], rec.a[0][0], j, top=4)
    assert len(s.terms) == 4 and s.n_inputs == 784
    products = [abs(w * a) for _, w, a in s.terms]
    assert products == sorted(products, reverse=True)
    np.testing.assert_allclose(sum(w * a for _, w, a in s.terms) + s.rest + s.bias, s.z, rtol=1e-9)
    np.testing.assert_allclose(s.z, rec.z[0][0][j], rtol=1e-5)
    d = step.unit_delta(net.W[1], rec.delta[1][0], float(rec.a[1][0][j]), "relu", j)
    assert d.slope == 1.0
    np.testing.assert_allclose(d.delta, rec.delta[0][0][j], rtol=1e-5, atol=1e-9)
    off = int(np.flatnonzero(rec.a[1][0] == 0)[0])
    assert step.unit_delta(net.W[1], rec.delta[1][0], 0.0, "relu", off).delta == 0.0
