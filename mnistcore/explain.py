"""The numbers the pages' explanations state, computed by the engine's own code.

A sentence such as "U(-0.5, 0.5) gives the first layer's z a spread of 3" must be the number
the network really has, so the explanations ask for it here: each function builds what the
Train page talks about (a fresh network under each initial-weights scheme, the output
gradient of each loss on a confidently wrong answer) with the model's own forward pass and the
losses' own ``delta``, and returns plain numbers. No Streamlit: tests check them directly.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .data import as_inputs
from .inits import INITS
from .losses import LOSSES
from .model import init_mlp

N_IMAGES = 1000     # training images the spreads are measured on (a seeded sample)


class InitSpread(NamedTuple):
    """A fresh 784-h-10 ReLU network under one init, on real images (standard deviations over all units)."""

    z_std: float        # of the first layer's z = x W + b
    a_std: float        # of its ReLU outputs a
    logit_std: float    # of the output scores
    start_loss: float   # cross-entropy before any training (ln 10 = 2.30 for a uniform guess)


def init_spreads(images: np.ndarray, labels: np.ndarray, hidden: int = 128, seed: int = 0) -> dict[str, InitSpread]:
    """For each scheme in INITS, the spread of a fresh 784-``hidden``-10 ReLU network's signals.

    ``images``: uint8 (n, 28, 28) or inputs (n, 784), ``labels`` (n,); a seeded sample of
    N_IMAGES is used. Every network is made by ``model.init_mlp`` with the same seed, so only
    the scale of the weights differs; z is taken from the model's own forward pass.
    """
    pick = np.sort(np.random.default_rng(seed).choice(len(images), size=min(N_IMAGES, len(images)), replace=False))
    X, y = as_inputs(np.asarray(images)[pick]), np.asarray(labels, dtype=np.intp)[pick]
    out = {}
    for name in INITS:
        model = init_mlp((X.shape[1], hidden, 10), "relu", name, "ce", rng=np.random.default_rng(seed))
        z: list[np.ndarray] = []
        z_out = model.forward(X, pre=z)
        a = model.activations(X)[0]
        start_loss = LOSSES["ce"].loss_and_delta(z_out.astype(np.float64), y)
        out[name] = InitSpread(float(z[0].std()), float(a.std()), float(z_out.std()), start_loss)
    return out


class OutputGradients(NamedTuple):
    """dL/dz of the right class's score for one confidently wrong answer, under each output loss."""

    score: float          # the right class's score z_y (the wrong class has -z_y, the rest 0)
    p_right: float        # softmax probability of the right class
    cross_entropy: float  # p_y - 1: what losses.cross_entropy's delta holds
    mse: float            # z_y - 1: what losses.mean_squared_error's delta holds (scores, no sigmoid)
    sigmoid_mse: float    # (sigma(z_y) - 1) sigma'(z_y): squared error on sigmoid outputs


def output_gradients(scores: tuple[float, ...] = (-1.0, -3.0, -6.0)) -> list[OutputGradients]:
    """The output gradient on the right class, for answers more and more confidently wrong.

    Each row: one image of class 0 whose score for class 0 is z_y = ``score`` and for class 1 is
    -score (the answer), the other eight 0. The first two gradients are the losses' own deltas
    (losses.py, for one image); the sigmoid one is the squared error of sigmoid outputs, which
    the app does not train with: it is here to show why.
    """
    rows = []
    for score in scores:
        z = np.zeros((1, 10))
        z[0, 0], z[0, 1] = score, -score
        y = np.zeros(1, dtype=np.intp)
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        ce, mse = z.copy(), z.copy()
        LOSSES["ce"].loss_and_delta(ce, y)
        LOSSES["mse"].loss_and_delta(mse, y)
        s = 1.0 / (1.0 + np.exp(-score))
        rows.append(OutputGradients(score, float(p[0, 0]), float(ce[0, 0]), float(mse[0, 0]),
                                    float((s - 1.0) * s * (1.0 - s))))
    return rows
