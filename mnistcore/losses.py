"""Output losses. Each returns the mean loss over the batch and delta = dL/dz_out.

``z`` is the output layer's pre-activation, shape (n, 10); ``y`` holds the
class labels, shape (n,). Both functions overwrite ``z`` with delta (the
gradient of the *mean* loss, so already divided by n): the backward pass starts
from it without another (n, 10) array. ``scale`` multiplies delta, and with it
every gradient of the backward pass (they are all linear in delta): SGD passes
its learning rate here, which is cheaper than scaling each gradient later.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np


class Loss(NamedTuple):
    """One entry of ``LOSSES``: adding a loss is one more entry (options.py lists it)."""

    loss_and_delta: Callable[..., float]
    formula: str            # LaTeX of the loss computed
    label: str = ""
    help: str = ""


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log p for p = softmax(z), row-wise, shape (n, k).

    Subtracting each row's maximum first changes nothing mathematically (softmax
    is shift-invariant) but keeps exp() from overflowing for large logits.
    """
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    """Class probabilities, shape (n, k); rows sum to 1."""
    return np.exp(log_softmax(z))


def cross_entropy(z: np.ndarray, y: np.ndarray, scale: float = 1.0) -> float:
    """Softmax + cross-entropy: L = -mean(log p_y); delta = scale * (p - onehot(y)) / n.

    Softmax and cross-entropy are fused because their joint derivative is this
    simple difference, cheaper and more stable than going through dp/dz. The
    loss is computed as log(sum(exp(z - max))) - (z_y - max): no log of a
    probability that may have rounded to 0.
    """
    n = len(y)
    rows = np.arange(n)
    z -= z.max(axis=1, keepdims=True)
    z_y = z[rows, y]
    np.exp(z, out=z)
    total = z.sum(axis=1, keepdims=True)
    loss = float(np.log(total).sum() - z_y.sum()) / n  # sums, not means: two calls fewer a step
    z *= scale / n / total  # p = exp / total, and the 1/n of the mean, in one pass
    z[rows, y] -= scale / n
    return loss


def mean_squared_error(z: np.ndarray, y: np.ndarray, scale: float = 1.0) -> float:
    """MSE on linear outputs (as NumPy's MNIST tutorial): L = mean(0.5 * ||z - onehot(y)||^2).

    delta = scale * (z - onehot(y)) / n. The outputs are scores, not
    probabilities: nothing makes them positive or sum to one.
    """
    n = len(y)
    z[np.arange(n), y] -= 1  # z - onehot(y), in place
    loss = 0.5 * float(np.einsum("ij,ij->", z, z)) / n
    z *= scale / n
    return loss


LOSSES: dict[str, Loss] = {
    # Two short statements each (\quad between them): the Train page puts them on two lines of a
    # narrow column.
    "ce": Loss(cross_entropy, r"L = -\frac{1}{n}\sum_i \log p_{i,y_i} \quad p_i = \mathrm{softmax}(z_i)",
               "cross-entropy",
               "Softmax turns the scores into probabilities; the loss is minus the log of the right one."),
    "mse": Loss(mean_squared_error,
                r"L = \frac{1}{2n}\sum_i \lVert z_i - t_i \rVert^2 \quad t_i = \mathrm{onehot}(y_i)",
                "mean squared error", "Half the squared distance of the raw scores from the one-hot target."),
}
