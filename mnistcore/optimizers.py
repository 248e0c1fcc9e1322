"""Optimizers: each keeps its state beside the parameters and has one ``step``.

``params`` and ``grads`` are matching lists of arrays ([W0, b0, W1, b1, ...]).
Updates are written in place with ``out=`` so a step allocates (almost) nothing:
for a small MLP the arithmetic around the matrix products is what costs time.
``step`` may overwrite ``grads`` (they are recomputed every step anyway).

SGD and momentum only ever use the product eta * grad, so they declare
``lr_in_gradient``: the trainer then asks the backward pass for gradients
already multiplied by eta (see losses.py) and calls ``step(grads, lr=1.0)``,
which saves a full pass over the weights every step.
"""
from __future__ import annotations

import math

import numpy as np


class SGD:
    r"""Plain gradient descent: w <- w - eta * dw."""

    formula = r"w \leftarrow w - \eta\, \nabla_w L"
    lr_in_gradient = True

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        for w, g in zip(self.params, grads):
            if lr != 1.0:
                g *= lr
            w -= g


class Momentum:
    r"""Heavy ball: v <- mu v - eta dw; w <- w + v.

    With ``nesterov`` the gradient is, in effect, taken at the look-ahead point
    w + mu v: w <- w + mu v_new - eta dw (Sutskever et al.'s reformulation).
    """

    formula = r"v \leftarrow \mu v - \eta\, \nabla_w L, \qquad w \leftarrow w + v"
    lr_in_gradient = True

    def __init__(self, params: list[np.ndarray], mu: float = 0.9, nesterov: bool = False) -> None:
        self.params, self.mu, self.nesterov = params, mu, nesterov
        self.velocity = [np.zeros_like(w) for w in params]

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        for w, g, v in zip(self.params, grads, self.velocity):
            if lr != 1.0:
                g *= lr
            v *= self.mu
            v -= g
            if self.nesterov:
                w += self.mu * v
                w -= g
            else:
                w += v


class Adam:
    r"""Adam (Kingma & Ba): running means of the gradient and its square.

    m <- b1 m + (1 - b1) g;  s <- b2 s + (1 - b2) g^2;
    w <- w - eta_t m / (sqrt(s) + eps),  eta_t = eta sqrt(1 - b2^t) / (1 - b1^t)
    (the bias correction folded into the step size).
    """

    formula = (r"m \leftarrow \beta_1 m + (1-\beta_1) g,\quad s \leftarrow \beta_2 s + (1-\beta_2) g^2,"
               r"\quad w \leftarrow w - \eta\,\frac{\hat m}{\sqrt{\hat s} + \epsilon}")
    lr_in_gradient = False

    def __init__(self, params: list[np.ndarray], beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.params, self.beta1, self.beta2, self.eps = params, beta1, beta2, eps
        self.m = [np.zeros_like(w) for w in params]
        self.s = [np.zeros_like(w) for w in params]
        self.t = 0

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        lr_t = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for w, g, m, s in zip(self.params, grads, self.m, self.s):
            m *= b1
            m += (1 - b1) * g
            s *= b2
            np.multiply(g, g, out=g)
            g *= 1 - b2
            s += g
            # g is free now: reuse it for the update m / (sqrt(s) + eps).
            np.sqrt(s, out=g)
            g += self.eps
            np.divide(m, g, out=g)
            g *= lr_t
            w -= g


def make_optimizer(name: str, params: list[np.ndarray], momentum: float = 0.9,
                   nesterov: bool = False) -> SGD | Momentum | Adam:
    """The optimizer called ``name`` ("sgd", "momentum" or "adam") over ``params``."""
    if name == "sgd":
        return SGD(params)
    if name == "momentum":
        return Momentum(params, mu=momentum, nesterov=nesterov)
    if name == "adam":
        return Adam(params)
    raise ValueError(f"optimizer must be one of sgd, momentum, adam; got {name!r}")


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
