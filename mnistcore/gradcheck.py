"""Gradient check: backpropagation against finite differences.

For every weight and bias, the analytic gradient from ``MLP.backward`` is
compared with the central difference (L(w + h) - L(w - h)) / 2h. In float64,
with h = 1e-6, the two agree to about 1e-8 relative error when backward is
right; a wrong sign or a missing term shows up as an error near 1.
"""
from __future__ import annotations

import numpy as np

from .losses import LOSSES
from .model import init_mlp


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||), guarded against 0 / 0.

    Measured on the whole array rather than entry by entry: an entry whose true
    gradient is zero (a dropped unit) would otherwise compare rounding noise with noise.
    """
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def gradient_check(sizes: tuple[int, ...] = (8, 6, 5, 10), activation: str = "tanh", loss: str = "ce",
                   l2: float = 0.0, dropout: float = 0.0, n: int = 7, seed: int = 0,
                   h: float = 1e-6) -> dict[str, float]:
    """Relative error between analytic and numerical gradients, per parameter ("W0", "b0", ...).

    A small float64 network of layer widths ``sizes`` on ``n`` random inputs.
    Dropout masks are drawn from a freshly seeded generator at every evaluation,
    so the loss is a fixed function of the weights and can be differentiated numerically.
    """
    rng = np.random.default_rng(seed)
    model = init_mlp(sizes, activation, "xavier", loss, rng, "float64")
    for b in model.b:  # non-zero biases, so their gradients are tested on a generic point
        b[...] = rng.normal(0, 0.1, b.shape)
    X = rng.normal(0, 1, (n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)

    def total_loss() -> float:
        z = model.forward(X, dropout, np.random.default_rng(seed + 1))
        penalty = 0.5 * l2 * sum(float((w * w).sum()) for w in model.W)
        return LOSSES[loss].loss_and_delta(z, y) + penalty

    _, _, grads = model.loss_and_gradients(X, y, l2, dropout, np.random.default_rng(seed + 1))
    analytic = [g.copy() for g in grads]
    names = [f"{kind}{l}" for l in range(len(model.W)) for kind in ("W", "b")]
    errors = {}
    for name, p, g in zip(names, model.params, analytic):
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + h
            up = total_loss()
            p[i] = saved - h
            down = total_loss()
            p[i] = saved
            numeric[i] = (up - down) / (2 * h)
        errors[name] = relative_error(g, numeric)
    return errors
