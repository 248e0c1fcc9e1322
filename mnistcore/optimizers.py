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

    label = "SGD"
    help = "Plain gradient descent: a step of eta times the gradient."
    formula = r"w \leftarrow w - \eta\, \nabla_w L"
    lr_in_gradient = True

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params

    @classmethod
    def build(cls, params: list[np.ndarray], momentum: float = 0.9, nesterov: bool = False) -> "SGD":
        return cls(params)

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        for w, g in zip(self.params, grads):
            if lr != 1.0:
                g *= lr
            w -= g


class Momentum:
    r"""Heavy ball: v <- mu v - eta dw; w <- w + v.

    With ``nesterov`` the weights stored are the look-ahead point (Sutskever et al.'s form):
    v <- mu v - eta dw; w <- w + mu v - eta dw, the gradient taken at the stored w. It is
    Nesterov's method written for w' = w + mu v, so no second gradient is needed.
    """

    label = "momentum"
    help = "Gradient descent with a velocity: steps keep some of their direction from step to step."
    formula = r"v \leftarrow \mu v - \eta\, \nabla_w L, \qquad w \leftarrow w + v"
    nesterov_formula = (r"v \leftarrow \mu v - \eta\, \nabla_w L(w), \qquad "
                        r"w \leftarrow w + \mu v - \eta\, \nabla_w L(w)")
    lr_in_gradient = True

    def __init__(self, params: list[np.ndarray], mu: float = 0.9, nesterov: bool = False) -> None:
        self.params, self.mu, self.nesterov = params, mu, nesterov
        self.velocity = [np.zeros_like(w) for w in params]

    @classmethod
    def build(cls, params: list[np.ndarray], momentum: float = 0.9, nesterov: bool = False) -> "Momentum":
        return cls(params, mu=momentum, nesterov=nesterov)

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


BETA1, BETA2, EPS = 0.9, 0.999, 1e-8  # Kingma & Ba's defaults


class Adam:
    r"""Adam, exactly Kingma & Ba's Algorithm 1, with g = dw and t the step count from 1:

    m <- b1 m + (1 - b1) g;  s <- b2 s + (1 - b2) g^2;
    m_hat = m / (1 - b1^t);  s_hat = s / (1 - b2^t);  w <- w - eta m_hat / (sqrt(s_hat) + eps).

    eps is added outside the square root of the bias-corrected s_hat, as in the paper. (Folding
    the correction into the step size and leaving eps as it is would move eps: at the first step
    it would act like 3e-7, not 1e-8; ``step`` scales eps with it, so the number is the paper's.)
    """

    label = "Adam"
    help = ("Steps scaled per weight by running means of the gradient (m) and of its square (s); "
            "the same step size suits most problems.")
    formula = (r"m \leftarrow \beta_1 m + (1-\beta_1) g,\quad s \leftarrow \beta_2 s + (1-\beta_2) g^2,"
               r"\quad \hat m = \frac{m}{1-\beta_1^t},\quad \hat s = \frac{s}{1-\beta_2^t},"
               r"\quad w \leftarrow w - \eta\,\frac{\hat m}{\sqrt{\hat s} + \epsilon},"
               rf"\quad g = \nabla_w L,\ t = \text{{step}},\quad \beta_1 = {BETA1:g},\ \beta_2 = {BETA2:g},"
               rf"\quad \epsilon = 10^{{{round(math.log10(EPS))}}}")
    lr_in_gradient = False

    def __init__(self, params: list[np.ndarray], beta1: float = BETA1, beta2: float = BETA2,
                 eps: float = EPS) -> None:
        self.params, self.beta1, self.beta2, self.eps = params, beta1, beta2, eps
        self.m = [np.zeros_like(w) for w in params]
        self.s = [np.zeros_like(w) for w in params]
        self.t = 0

    @classmethod
    def build(cls, params: list[np.ndarray], momentum: float = 0.9, nesterov: bool = False) -> "Adam":
        return cls(params)

    def step(self, grads: list[np.ndarray], lr: float) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        root_s_correction = math.sqrt(1 - b2 ** self.t)
        lr_t = lr * root_s_correction / (1 - b1 ** self.t)
        for w, g, m, s in zip(self.params, grads, self.m, self.s):
            m *= b1
            m += (1 - b1) * g
            s *= b2
            np.multiply(g, g, out=g)
            g *= 1 - b2
            s += g
            # g is free now: reuse it for the step. eta m_hat / (sqrt(s_hat) + eps) is, multiplied
            # through by sqrt(1 - b2^t), eta_t m / (sqrt(s) + eps sqrt(1 - b2^t)) with
            # eta_t = eta sqrt(1 - b2^t) / (1 - b1^t): the same number, one pass fewer.
            np.sqrt(s, out=g)
            g += self.eps * root_s_correction
            np.divide(m, g, out=g)
            g *= lr_t
            w -= g


Optimizer = SGD | Momentum | Adam

# The optimizers by name: adding one is one more class here (options.py lists them for the pages).
OPTIMIZERS: dict[str, type] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, params: list[np.ndarray], momentum: float = 0.9,
                   nesterov: bool = False) -> Optimizer:
    """The optimizer called ``name`` (a key of ``OPTIMIZERS``) over ``params``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {name!r}")
    return OPTIMIZERS[name].build(params, momentum=momentum, nesterov=nesterov)
