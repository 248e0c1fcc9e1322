"""One hidden unit: its weights as an image, what excites it, and switching it off on a copy."""
from __future__ import annotations

import numpy as np
import pytest

from mnistcore import neurons
from mnistcore.metrics import confusion_matrix
from mnistcore.model import init_mlp


def small_model(hidden=(16, 12), activation="relu", seed=0):
    return init_mlp((784, *hidden, 10), activation, "he", "ce", np.random.default_rng(seed), "float64")


def inputs(n=64, seed=1):
    return np.random.default_rng(seed).random((n, 784))


@pytest.mark.parametrize("layer, unit", [(0, 3), (1, 7)])
def test_switched_off_unit_contributes_nothing(layer, unit):
    model, X = small_model(), inputs()
    off = neurons.scale_unit(model, layer, unit, 0.0)
    z_off = off.forward(X)
    # Whatever the unit computes now (other incoming weights, another bias), the output stays.
    rng = np.random.default_rng(2)
    off.W[layer][:, unit] = rng.standard_normal(off.W[layer].shape[0]) * 5
    off.b[layer][unit] = 3.0
    np.testing.assert_array_equal(off.forward(X), z_off)
    # ...whereas in the unedited model the same change does move the output, so the check bites.
    on = model.copy()
    on.W[layer][:, unit] = off.W[layer][:, unit]
    on.b[layer][unit] = 3.0
    assert not np.allclose(on.forward(X), model.forward(X))


def test_scale_unit_works_on_a_copy_and_scales_the_units_output():
    model, X = small_model(activation="tanh"), inputs()
    before = [w.copy() for w in model.W]
    doubled = neurons.scale_unit(model, 0, 5, 2.0)
    for w, kept in zip(model.W, before):
        np.testing.assert_array_equal(w, kept)  # the model passed in is untouched
    # By hand: run the hidden layers, double unit 5's output, carry on.
    a1 = np.tanh(X @ model.W[0] + model.b[0])
    a1[:, 5] *= 2
    a2 = np.tanh(a1 @ model.W[1] + model.b[1])
    np.testing.assert_allclose(doubled.forward(X), a2 @ model.W[2] + model.b[2], rtol=1e-12)
    np.testing.assert_array_equal(neurons.scale_unit(model, 1, 0, 1.0).forward(X), model.forward(X))


def test_layer_activations_match_the_models_own():
    model, X = small_model(activation="sigmoid"), inputs(n=50)
    expected = model.activations(X)
    for layer in range(2):
        np.testing.assert_allclose(neurons.layer_activations(model, X, layer, chunk=16), expected[layer],
                                   rtol=1e-12)


def test_incoming_weights_are_the_units_column_as_an_image():
    model = small_model()
    image = neurons.incoming_weights(model, 4)
    assert image.shape == (28, 28)
    assert image[3, 17] == model.W[0][3 * 28 + 17, 4]  # row-major: pixel (r, c) is input r*28 + c
    image[0, 0] = 99.0
    assert model.W[0][0, 4] != 99.0  # a copy, not a view into the weights


def test_top_exciting_gives_the_largest_activations_in_order():
    A = np.random.default_rng(0).standard_normal((200, 6))
    top = neurons.top_exciting(A, unit=2, k=10)
    np.testing.assert_array_equal(top, np.argsort(-A[:, 2])[:10])
    assert len(neurons.top_exciting(A[:4], unit=0, k=10)) == 4


def test_compare_reports_accuracy_and_confusion_before_and_after():
    model, X = small_model(), inputs(n=300)
    y = model.predict(X)          # labels the model gets all right
    edit = neurons.compare(model, neurons.scale_unit(model, 0, 0, 0.0), X, y)
    assert edit.accuracy_before == 1.0
    after = neurons.scale_unit(model, 0, 0, 0.0).predict(X)
    assert edit.accuracy_after == np.mean(after == y)
    np.testing.assert_array_equal(edit.confusion_after, confusion_matrix(y, after))
    np.testing.assert_array_equal(edit.confusion_change, edit.confusion_after - edit.confusion_before)
    assert edit.predictions_changed == np.count_nonzero(after != y)
    same = neurons.compare(model, model.copy(), X, y)
    assert same.predictions_changed == 0 and not same.confusion_change.any()


@pytest.mark.parametrize("layer, unit", [(2, 0), (-1, 0), (0, 16), (1, -1)])
def test_bad_layer_or_unit_raises_value_error(layer, unit):
    with pytest.raises(ValueError):
        neurons.scale_unit(small_model(), layer, unit, 0.0)


def test_bad_scale_and_first_layer_only_image_raise_value_error():
    with pytest.raises(ValueError):
        neurons.scale_unit(small_model(), 0, 0, float("nan"))
    with pytest.raises(ValueError):
        neurons.layer_activations(small_model(), inputs(), 2)
