"""The maths of the MLP: gradients, a network worked by hand, init, L2, optimizers."""
import math

import numpy as np
import pytest

from mnistcore.activations import ACTIVATIONS
from mnistcore.config import TrainConfig
from mnistcore.gradcheck import gradient_check
from mnistcore.losses import LOSSES, softmax
from mnistcore.model import MLP, init_mlp
from mnistcore.optimizers import make_optimizer


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("l2, dropout", [(0.0, 0.0), (0.05, 0.3)])
def test_backprop_matches_finite_differences(activation, loss, l2, dropout):
    errors = gradient_check(activation=activation, loss=loss, l2=l2, dropout=dropout)
    assert set(errors) == {"W0", "b0", "W1", "b1", "W2", "b2"}
    assert max(errors.values()) < 1e-6, errors


def test_gradient_check_detects_a_wrong_gradient(monkeypatch):
    # Break relu's backward (let gradient through where the unit was off): the check must notice.
    from mnistcore import activations
    broken = activations.Activation(activations.relu, lambda delta, a: delta, "")
    monkeypatch.setitem(ACTIVATIONS, "relu", broken)
    assert max(gradient_check(activation="relu").values()) > 1e-3


def test_two_layer_network_worked_by_hand():
    # x = (1, 2); W0 = [[1, -1], [0, 1]], b0 = (0, 0.5) -> z1 = (1, 1.5) -> relu = (1, 1.5)
    # W1 = [[1, 0], [0, 2]], b1 = (0, 0) -> z2 = (1, 3); label 0.
    model = MLP([np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])],
                [np.array([0.0, 0.5]), np.array([0.0, 0.0])], "relu", "ce")
    loss, correct, grads = model.loss_and_gradients(np.array([[1.0, 2.0]]), np.array([0]))
    p0 = math.exp(1) / (math.exp(1) + math.exp(3))
    assert loss == pytest.approx(-math.log(p0))
    assert correct == 0  # class 1 has the larger score
    d2 = np.array([p0 - 1, 1 - p0])                     # softmax - onehot
    assert grads[3] == pytest.approx(d2)                 # db1
    assert grads[2] == pytest.approx(np.outer([1, 1.5], d2))  # dW1 = a1.T @ d2
    d1 = np.array([d2[0] * 1, d2[1] * 2])                # d2 @ W1.T, both units on
    assert grads[1] == pytest.approx(d1)
    assert grads[0] == pytest.approx(np.outer([1, 2], d1))


def test_softmax_is_stable_and_normalised():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 1.0, 1.0]])
    p = softmax(z)
    assert np.all(np.isfinite(p))
    assert p.sum(axis=1) == pytest.approx([1, 1])
    assert p[0, 0] == pytest.approx(1) and p[1] == pytest.approx([1 / 3] * 3)


def test_cross_entropy_of_huge_wrong_logit_is_finite():
    z = np.array([[1000.0, -1000.0]])
    loss = LOSSES["ce"].loss_and_delta(z, np.array([1]))
    assert loss == pytest.approx(2000.0)


@pytest.mark.parametrize("init, check", [
    ("he", lambda W, fan_in, fan_out: abs(W.std() - math.sqrt(2 / fan_in)) < 0.05 * math.sqrt(2 / fan_in)),
    ("xavier", lambda W, fan_in, fan_out: np.abs(W).max() <= math.sqrt(6 / (fan_in + fan_out))),
    ("uniform", lambda W, fan_in, fan_out: W.min() >= -0.5 and W.max() <= 0.5 and W.std() > 0.25),
])
def test_initialisations(init, check):
    model = init_mlp((784, 300, 10), init=init, rng=np.random.default_rng(1))
    assert check(model.W[0], 784, 300)
    assert model.W[0].dtype == np.float32 and not model.b[0].any()


def test_float64_on_request():
    model = init_mlp((784, 8, 10), dtype="float64")
    assert all(p.dtype == np.float64 for p in model.params)


def test_shapes_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="layer 1"):
        MLP([np.zeros((4, 3)), np.zeros((5, 2))], [np.zeros(3), np.zeros(2)])


def _toy_problem(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 20)).astype(np.float32)
    y = (X[:, :3].sum(axis=1) > 0).astype(np.intp) + 2 * (X[:, 3] > 0)
    return X, y


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_loss_falls_on_200_samples(optimizer, loss):
    X, y = _toy_problem()
    model = init_mlp((20, 16, 4), loss=loss, rng=np.random.default_rng(0))
    opt = make_optimizer(optimizer, model.params)
    lr = 0.01 if optimizer == "adam" else 0.1
    first = model.loss_and_gradients(X, y)[0]
    for _ in range(200):
        _, _, grads = model.loss_and_gradients(X, y)
        opt.step(grads, lr)
    assert model.loss_and_gradients(X, y)[0] < 0.5 * first


def test_l2_shrinks_weights():
    X, y = _toy_problem()
    norms = {}
    for l2 in (0.0, 0.1):
        model = init_mlp((20, 16, 4), rng=np.random.default_rng(0))
        opt = make_optimizer("sgd", model.params)
        for _ in range(100):
            _, _, grads = model.loss_and_gradients(X, y, l2=l2)
            opt.step(grads, 0.1)
        norms[l2] = sum(float((w ** 2).sum()) for w in model.W)
    assert norms[0.1] < 0.8 * norms[0.0]


def test_nesterov_differs_from_plain_momentum_and_both_learn():
    X, y = _toy_problem()
    finals = []
    for nesterov in (False, True):
        model = init_mlp((20, 16, 4), rng=np.random.default_rng(0))
        opt = make_optimizer("momentum", model.params, 0.9, nesterov)
        for _ in range(50):
            opt.step(model.loss_and_gradients(X, y)[2], 0.05)
        finals.append(model.loss_and_gradients(X, y)[0])
    assert finals[0] != finals[1] and max(finals) < 0.5


@pytest.mark.parametrize("bad, message", [
    (dict(lr=0), "lr"), (dict(lr=-1.0), "lr"), (dict(batch_size=-1), "batch_size"),
    (dict(hidden=(128, 0)), "hidden"), (dict(activation="swish"), "activation"),
    (dict(epochs=0), "epochs"), (dict(dropout=1.0), "dropout"), (dict(optimizer="rmsprop"), "optimizer"),
    (dict(loss="hinge"), "loss"), (dict(init="ones"), "init"), (dict(early_stopping=3), "validation"),
    (dict(lr=float("nan")), "lr"), (dict(val_split=0.95), "val_split"), (dict(seed=-2), "seed"),
])
def test_config_refuses_bad_values_naming_them(bad, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**bad)


def test_config_round_trips_through_a_dict():
    config = TrainConfig(hidden=[64, 32], lr=0.01, augment=True)
    assert config.hidden == (64, 32)
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown config keys: colour"):
        TrainConfig.from_dict({**config.to_dict(), "colour": "red"})


def test_reading_activations_leaves_the_model_untouched():
    # A cached model is shared by every visitor: looking inside it must not store anything on it.
    model = init_mlp((784, 16, 8, 10), rng=np.random.default_rng(0))
    X = np.random.default_rng(1).random((3, 784), dtype=np.float32)
    hidden1, hidden2, z = model.activations(X)
    assert hidden1.shape == (3, 16) and hidden2.shape == (3, 8) and z.shape == (3, 10)
    assert np.array_equal(z, model.forward(X)) and (hidden1 >= 0).all()
    assert model._a == [] and model._f == [] and model._masks == []
