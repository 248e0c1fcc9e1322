"""One hidden unit at a time: what it looks for, what excites it, what the network loses without it.

Notation (as in model.py)

    a_l      output of hidden layer l (0-based), shape (n, sizes[l + 1])
    W[l]     weights into layer l, shape (fan_in, fan_out); column u is unit u's incoming weights
    s        a scale for one unit u of layer l: the next layer sees s * a_l[:, u]

Scaling unit u is done by scaling row u of W[l + 1] (its outgoing weights):
z_{l+1} = a_l W[l+1] + b, and row u of W[l+1] is exactly what carries a_l[:, u]
forward. A scale of 0 switches the unit off: whatever it computes, nothing of
it reaches the output. The edit is always made on a copy; the model passed in
is never changed (it may be shared by every visitor of the app).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import accuracy, confusion_matrix
from .model import MLP
from .predict import layer_outputs

IMAGE_SIDE = 28


def _check_unit(model: MLP, layer: int, unit: int) -> None:
    hidden = len(model.W) - 1
    if not 0 <= layer < hidden:
        raise ValueError(f"layer must be a hidden layer in [0, {hidden - 1}]; got {layer}")
    width = model.sizes[layer + 1]
    if not 0 <= unit < width:
        raise ValueError(f"unit must be in [0, {width - 1}] for hidden layer {layer}; got {unit}")


def layer_activations(model: MLP, X: np.ndarray, layer: int, chunk: int = 4096) -> np.ndarray:
    """a_layer for inputs X of shape (n, 784): hidden layer ``layer``'s outputs, shape (n, width).

    Chunk by chunk through ``predict.layer_outputs``, which (unlike ``MLP.activations``)
    writes nothing to the model, so threads serving different visitors can share one.
    """
    hidden = len(model.W) - 1
    if not 0 <= layer < hidden:
        raise ValueError(f"layer must be a hidden layer in [0, {hidden - 1}]; got {layer}")
    return np.concatenate([layer_outputs(model, X[i:i + chunk])[layer]
                           for i in range(0, max(len(X), 1), chunk)])[:len(X)]


def incoming_weights(model: MLP, unit: int) -> np.ndarray:
    """Unit ``unit`` of the first hidden layer: its 784 incoming weights as a 28x28 image.

    Its pre-activation is the dot product of this image with the input (plus a
    bias), so positive weights mark pixels whose ink excites the unit and
    negative ones pixels whose ink inhibits it.
    """
    _check_unit(model, 0, unit)
    if model.sizes[0] != IMAGE_SIDE * IMAGE_SIDE:
        raise ValueError(f"the model takes {model.sizes[0]} inputs, not a 28x28 image")
    return model.W[0][:, unit].reshape(IMAGE_SIDE, IMAGE_SIDE).copy()


def top_exciting(activations: np.ndarray, unit: int, k: int = 16) -> np.ndarray:
    """Indices of the k rows of ``activations`` (n, width) where ``unit`` is largest, largest first."""
    values = np.asarray(activations)[:, unit]
    k = min(k, len(values))
    top = np.argpartition(-values, k - 1)[:k] if k else np.arange(0)
    return top[np.argsort(-values[top], kind="stable")]


def scale_unit(model: MLP, layer: int, unit: int, scale: float) -> MLP:
    """A copy of ``model`` in which hidden unit ``unit`` of ``layer`` reaches the next layer times ``scale``.

    Row ``unit`` of W[layer + 1] is multiplied by ``scale``; 0 switches the unit off.
    """
    _check_unit(model, layer, unit)
    if not np.isfinite(scale):
        raise ValueError(f"scale must be a finite number; got {scale!r}")
    edited = model.copy()
    edited.W[layer + 1][unit, :] *= edited.dtype.type(scale)
    return edited


@dataclass(frozen=True)
class Edit:
    """Test results before and after an edit of the model."""

    accuracy_before: float
    accuracy_after: float
    confusion_before: np.ndarray   # (10, 10) counts, rows = true class, columns = predicted
    confusion_after: np.ndarray
    predictions_changed: int       # images whose predicted class differs after the edit

    @property
    def confusion_change(self) -> np.ndarray:
        """After minus before, shape (10, 10): on the diagonal, right answers gained (+) or lost (-)."""
        return self.confusion_after - self.confusion_before


def compare(model: MLP, edited: MLP, X: np.ndarray, y: np.ndarray, n_classes: int = 10) -> Edit:
    """Accuracy and confusion matrix of ``model`` and ``edited`` on inputs X (n, 784), labels y (n,)."""
    y = np.asarray(y)
    before, after = model.predict(X), edited.predict(X)
    return Edit(accuracy(y, before), accuracy(y, after), confusion_matrix(y, before, n_classes),
                confusion_matrix(y, after, n_classes), int(np.count_nonzero(before != after)))
