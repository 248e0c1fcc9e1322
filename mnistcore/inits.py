"""Initial weights: each scheme draws W of shape (fan_in, fan_out) from the run's generator.

Biases start at 0 (model.init_mlp); only the weights need breaking of symmetry, and their
scale decides whether the signal survives many layers (too small: it fades; too large: the
units saturate or the loss starts far off).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np


class Init(NamedTuple):
    """One entry of ``INITS``: adding a scheme is one more entry (options.py lists it)."""

    fn: Callable[[int, int, np.random.Generator, np.dtype], np.ndarray]
    formula: str
    label: str
    help: str

    def __call__(self, fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
        return self.fn(fan_in, fan_out, rng, dtype)


def he(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """N(0, 2 / fan_in): keeps the variance of ReLU activations steady layer to layer."""
    return (rng.standard_normal((fan_in, fan_out), dtype=dtype) * np.sqrt(2.0 / fan_in)).astype(dtype)


def xavier(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """Glorot uniform, U(-r, r) with r = sqrt(6 / (fan_in + fan_out)): made for tanh and sigmoid."""
    r = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-r, r, (fan_in, fan_out)).astype(dtype)


def uniform(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """U(-0.5, 0.5) whatever the layer's size, as the from-scratch notebook does."""
    return rng.uniform(-0.5, 0.5, (fan_in, fan_out)).astype(dtype)


def uniform_small(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """U(-0.1, 0.1) whatever the layer's size, as NumPy's MNIST tutorial does."""
    return rng.uniform(-0.1, 0.1, (fan_in, fan_out)).astype(dtype)


def zeros(fan_in: int, fan_out: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """All zero: every unit of a layer computes the same thing and gets the same gradient, so
    they never become different (with ReLU the gradient into the hidden layer is exactly 0)."""
    return np.zeros((fan_in, fan_out), dtype)


INITS: dict[str, Init] = {
    "he": Init(he, r"W_{ij} \sim \mathcal{N}\!\left(0,\ \tfrac{2}{n_{\text{in}}}\right)",
               "He (normal)",
               "Variance 2 / fan-in: a ReLU zeroes half its inputs, the factor 2 makes up for it."),
    "xavier": Init(xavier, r"W_{ij} \sim U(-r, r),\quad r = \sqrt{\tfrac{6}{n_{\text{in}} + n_{\text{out}}}}",
                   "Xavier/Glorot (uniform)", "Scaled to fan-in and fan-out: made for tanh and sigmoid."),
    "uniform": Init(uniform, r"W_{ij} \sim U(-0.5,\ 0.5)", "uniform ±0.5",
                    "The same range whatever the layer's size, as the from-scratch notebook does."),
    "uniform_small": Init(uniform_small, r"W_{ij} \sim U(-0.1,\ 0.1)", "uniform ±0.1",
                          "The same small range whatever the layer's size, as NumPy's MNIST tutorial does."),
    "zeros": Init(zeros, r"W_{ij} = 0", "all zeros",
                  "Every weight 0: all units of a layer stay identical (no symmetry breaking); "
                  "a lesson in why weights start random."),
}
