"""What the notebooks explain, on the Train page beside the setting it is about (issue 15).

Each ``why_*`` draws one short, closed expander: a sentence or three, the formula (from the
options table where it is a setting's formula), and any number it states computed by
mnistcore.explain on this data set. The captions for the charts and the runs table are here too,
so the page says each thing once.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore import explain
from mnistcore.experiments import EXPERIMENTS
from mnistcore.inits import INITS
from mnistcore.options import N_CLASSES, N_INPUTS, OPTIONS, parameter_count
from mnistcore.train import EVAL_SAMPLES

SHUFFLE = (r"\pi_e = \mathrm{shuffle}_e(1, \dots, n), \quad "
           r"\text{batch}_k = \{\pi_e(kB + 1), \dots, \pi_e(kB + B)\}")
GRADIENTS = (r"\delta_{\text{CE}} = p - t, \quad \delta_{\text{MSE}} = z - t, \quad "
             r"\delta_{\sigma\text{-MSE}} = (\sigma(z) - t)\,\sigma'(z), \quad \delta = \partial L_i / \partial z")
HE = (r"\mathrm{Var}(z) = n_{\text{in}}\, \mathrm{Var}(W)\, \mathbb{E}[a^2], \quad "
      r"\mathbb{E}[\mathrm{relu}(z)^2] = \tfrac{1}{2} \mathrm{Var}(z), \quad "
      r"\Rightarrow\; \mathrm{Var}(W) = \tfrac{2}{n_{\text{in}}}")
DROPOUT_MEAN = r"\mathbb{E}\!\left[\frac{m_j a_j}{1 - p}\right] = \frac{(1 - p)\, a_j}{1 - p} = a_j"
WEIGHTS = r"\#\text{parameters} = \sum_l (n_{l-1} + 1)\, n_l"
SMALL, LARGE = 20, 128   # the notebook's capacity lesson (experiments.py "capacity")

RECENT_VS_EPOCH = ("**train (recent batches)** is the mean over the batches since the last point, as they were "
                   "trained: weights still moving, dropout on, images augmented if asked. **train** scores up "
                   f"to {EVAL_SAMPLES:,} training images at each epoch's end with the weights fixed and dropout "
                   "off, so with dropout the recent batches' accuracy lies below it.")
L2_NOT_PLOTTED = ("The loss plotted is the data loss L alone: the L2 penalty is left out, so runs with and "
                  "without it compare like for like.")
CURVES = RECENT_VS_EPOCH + " " + L2_NOT_PLOTTED
VALIDATION_VS_TEST = ("Choose between runs by their **validation** accuracy (a validation split under "
                      "*Advanced* holds images out of training for that) and read the test accuracy once, "
                      "at the end: settings picked for their test accuracy are tuned to the test images, "
                      "which then no longer say how the network does on new ones.")


@st.cache_data(max_entries=8, show_spinner=False)
def _spreads(dataset_key: str, _images: np.ndarray, _labels: np.ndarray) -> dict[str, explain.InitSpread]:
    return explain.init_spreads(_images, _labels, hidden=LARGE)


def _why(title: str, text: str, *formulas: str):
    """A closed expander titled `title` with `text` and `formulas`; returned for anything more."""
    from ui.training.widgets import formula   # (widgets imports this module)
    box = st.expander(title, expanded=False)
    box.write(text)
    with box:
        for tex in formulas:
            formula(tex)   # one statement a line: the half-width column of a phone is narrow
    return box


def why_shuffle() -> None:
    _why("Why shuffle every epoch?",
         "Each epoch deals the training images into batches in a new random order (drawn from the seed). "
         "Every batch is then a fair sample of all the digits, its gradient an unbiased estimate of the whole "
         "set's; a fixed order would repeat the same batches every epoch, and a sorted one would learn all the "
         "0s, then all the 1s, each undoing the last. A full batch needs no shuffle: its one batch is every image.",
         SHUFFLE)


def why_cross_entropy() -> None:
    box = _why("Why cross-entropy, not squared error?",
               "The output gradient δ should stay large when the network is confidently wrong. Cross-entropy's "
               "is p − t: on the right class p_y − 1, near −1 however wrong the answer, never more. Squared "
               "error on sigmoid outputs multiplies by σ′(z), which vanishes just then. This app's squared error "
               "is on raw scores (z − t): it does not vanish, but it grows with the score and also pulls a right "
               "answer that is too sure back to 1.", GRADIENTS)
    rows = explain.output_gradients()
    box.table({"": ["p_y", "δ cross-entropy", "δ MSE (this app)", "δ MSE, sigmoid"],
               **{f"z_y = {r.score:g}": [f"{r.p_right:.2g}", f"{r.cross_entropy:.3f}", f"{r.mse:.3g}",
                                         f"{r.sigmoid_mse:.4f}"] for r in rows}})
    box.caption("One image of class 0 scored z_y for class 0 and −z_y for class 1 (its answer), 0 for the "
                "rest; δ of the right class, from the losses' own code.")


def why_he(dataset_key: str, images: np.ndarray, labels: np.ndarray, dataset_name: str) -> None:
    box = _why("Why He's factor 2? Why not U(−0.5, 0.5)?",
               "A unit's z sums its inputs times weights, so its variance is n_in·Var(W)·E[a²]. A ReLU zeroes "
               "the negative half of z, halving E[a²]; Var(W) = 2/n_in makes up for it, so the signal keeps its "
               "size from layer to layer.", HE)
    if len(labels) == 0:
        return
    s = _spreads(dataset_key, images, labels)
    he, uni = s["he"], s["uniform"]
    box.write(f"U(−0.5, 0.5) has Var(W) = 1/12 whatever n_in: on {N_INPUTS} inputs {N_INPUTS / 24:.0f} times "
              f"He's 2/{N_INPUTS}. Measured on {min(explain.N_IMAGES, len(labels)):,} {dataset_name} training "
              f"images, a fresh 784-{LARGE}-10 network's first-layer z has a spread (std) of {uni.z_std:.2f} "
              f"under it against {he.z_std:.2f} under He, its output scores {uni.logit_std:.1f} against "
              f"{he.logit_std:.2f}: it starts confidently wrong, at a loss of {uni.start_loss:.1f} instead of "
              f"{he.start_loss:.2f} (ln 10 = 2.30 is a uniform guess).")
    box.table({"initial weights": [INITS[n].label.split(" (")[0] for n in s],
               "std of z": [f"{v.z_std:.2f}" for v in s.values()],
               "std of scores": [f"{v.logit_std:.2f}" for v in s.values()],
               "start loss": [f"{v.start_loss:.2f}" for v in s.values()]})


def why_capacity() -> None:
    small, large = (parameter_count((N_INPUTS, h, N_CLASSES)) for h in (SMALL, LARGE))
    _why("Too few units: underfitting",
         "A network too small for the task underfits: training and test accuracy stay low together and more "
         "epochs barely help, because it has too few units to tell the ways of writing a digit apart. The "
         f"from-scratch notebook's lesson: {SMALL} hidden units ({small:,} parameters) against {LARGE} "
         f"({large:,}); the experiment \"{EXPERIMENTS['capacity'].title}\" under *Try this* runs it. "
         "Overfitting is the opposite: training accuracy far above the test accuracy.", WEIGHTS)


def why_dropout() -> None:
    _why("Dropout: why ÷ (1 − p), and off when scoring",
         "Each hidden unit is kept with probability 1 − p. Dividing the kept ones by 1 − p keeps every unit's "
         "expected output what it is without dropout, so the next layer sees the same scale in training and "
         "when the network is scored. Scoring (the test accuracy, the epoch-end curves, the Draw page) uses no "
         "mask: every unit works.", OPTIONS["dropout"].formula, DROPOUT_MEAN).caption(RECENT_VS_EPOCH)
