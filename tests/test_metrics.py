"""One scoring function and one forward path."""
import numpy as np
import pytest

from mnistcore.losses import LOSSES, softmax
from mnistcore.metrics import score
from mnistcore.model import init_mlp
from mnistcore.predict import layer_outputs


@pytest.fixture
def model_and_data():
    rng = np.random.default_rng(3)
    model = init_mlp((784, 16, 10), rng=rng)
    x = rng.integers(0, 256, (23, 784), dtype=np.uint8)
    y = rng.integers(0, 10, 23)
    return model, x, y


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_score_is_accuracy_and_mean_loss_whatever_the_chunk(model_and_data, loss):
    model, x, y = model_and_data
    model.loss = loss
    z = model.forward(x.astype(np.float32) / 255)
    want_acc = np.mean(z.argmax(axis=1) == y)
    want_loss = LOSSES[loss].loss_and_delta(z.copy(), y)
    for chunk in (1, 5, 23, 5000):
        s = score(model, x, y, chunk=chunk, proba=True)
        assert s.accuracy == pytest.approx(want_acc) and s.loss == pytest.approx(want_loss, rel=1e-5)
        np.testing.assert_array_equal(s.predicted, z.argmax(axis=1))
        np.testing.assert_allclose(s.proba, softmax(z), rtol=1e-5)


def test_score_takes_uint8_images_or_float_inputs_alike(model_and_data):
    model, x, y = model_and_data
    as_uint8 = score(model, x.reshape(-1, 28, 28), y)
    as_float = score(model, x.astype(np.float32) / np.float32(255), y)
    assert as_uint8.accuracy == as_float.accuracy and as_uint8.loss == pytest.approx(as_float.loss)
    assert score(model, x, y).proba is None


def test_score_of_no_images_is_nan_and_mismatched_labels_are_refused(model_and_data):
    model, x, y = model_and_data
    empty = score(model, x[:0], y[:0])
    assert np.isnan(empty.accuracy) and np.isnan(empty.loss) and len(empty.predicted) == 0
    with pytest.raises(ValueError, match="labels"):
        score(model, x, y[:-1])


def test_layer_outputs_is_the_models_forward_pass_and_leaves_the_model_alone(model_and_data):
    model, x, _ = model_and_data
    X = x.astype(np.float32) / 255
    a1, z = layer_outputs(model, X)
    np.testing.assert_allclose(a1, np.maximum(X @ model.W[0] + model.b[0], 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(z, model.forward(X))
    again = layer_outputs(model, X)
    assert again[0] is not a1 and not model._a  # nothing kept on the model: visitors can share it
    a1[...] = -1
    assert (again[0] >= 0).all()
