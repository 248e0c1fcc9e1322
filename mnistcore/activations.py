"""Hidden-layer activations, each with its derivative written beside it.

Every derivative is expressed through the activation's *output* ``a`` rather
than its input ``z``: that is all the backward pass keeps, so no layer needs to
store ``z`` as well. (sigma'(z) = a (1 - a), tanh'(z) = 1 - a^2, relu'(z) = [a > 0].)

``forward(z)`` overwrites ``z`` with ``a`` and returns it (no new array per
step); ``backward(delta, a)`` multiplies ``delta`` in place by f'(z).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

LEAK = 0.01  # slope of leaky ReLU for z < 0


class Activation(NamedTuple):
    """One entry of ``ACTIVATIONS``: adding an activation is one more entry (options.py lists it)."""

    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str            # LaTeX of what ``forward`` computes, for the pages
    label: str = ""         # its name in plain words, for widgets
    help: str = ""          # one sentence on when to use it


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, out=z)


def relu_backward(delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    # Where the unit was off, no gradient flows back through it.
    return np.multiply(delta, a > 0, out=delta)


def leaky_relu(z: np.ndarray) -> np.ndarray:
    return np.multiply(z, np.where(z > 0, 1.0, LEAK).astype(z.dtype), out=z)


def leaky_relu_backward(delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.multiply(delta, np.where(a > 0, 1.0, LEAK).astype(delta.dtype), out=delta)


def sigmoid(z: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-z), computed in place; exp overflow for z << 0 gives inf -> a = 0, which is right.
    with np.errstate(over="ignore"):
        np.negative(z, out=z)
        np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


def sigmoid_backward(delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    delta *= a
    delta *= 1 - a
    return delta


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z, out=z)


def tanh_backward(delta: np.ndarray, a: np.ndarray) -> np.ndarray:
    delta *= 1 - a * a
    return delta


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(relu, relu_backward, r"\mathrm{relu}(z) = \max(0, z)", "ReLU",
                       "Zero below 0, the identity above: cheap, and its gradient does not fade for z > 0."),
    "leaky_relu": Activation(leaky_relu, leaky_relu_backward, rf"\mathrm{{leaky}}(z) = \max({LEAK:g}\,z,\ z)",
                             "leaky ReLU", f"Like ReLU, with slope {LEAK:g} below 0, so no unit is ever fully off."),
    "sigmoid": Activation(sigmoid, sigmoid_backward, r"\sigma(z) = \frac{1}{1 + e^{-z}}", "sigmoid",
                          "Squashes z into (0, 1); its gradient is at most 1/4 and fades for large |z|."),
    "tanh": Activation(tanh, tanh_backward, r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}", "tanh",
                       "Squashes z into (-1, 1), centred on 0; its gradient fades for large |z|."),
}
