"""How sure the network is: softmax with a temperature, and "not sure" under a threshold.

Notation

    z        output scores (logits), shape (n, 10)
    T        temperature > 0: p_k = exp(z_k / T) / sum_j exp(z_j / T)
    c        confidence of an answer, the top probability max_k p_k
    tau      threshold: the model answers argmax_k p_k when c >= tau, else NOT_SURE
    coverage share of images answered, (1/n) sum_i [c_i >= tau]
    accuracy share of the answered images answered right

T = 1 is the plain softmax; T > 1 flattens the probabilities (less sure), T < 1
sharpens them. T never changes which class is on top, only how sure it looks,
so it moves images across a fixed threshold. Raising tau can only remove
answers: coverage never rises with it, and the answers kept are the surer ones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import softmax as _softmax

NOT_SURE = -1              # the label answered under the threshold (no class is -1)
NOT_SURE_TEXT = "not sure"
DEFAULT_THRESHOLD = 0.5    # tau where the app starts: a wrong answer is rarely surer than this


def _check_temperature(temperature: float) -> None:
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0; got {temperature!r}")


def _check_threshold(threshold: float) -> None:
    if not 0.0 <= threshold <= 1.0:  # also False for NaN
        raise ValueError(f"threshold must be in [0, 1]; got {threshold!r}")


def softmax(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """p = softmax(z / T), same shape as z (rows sum to 1); z of shape (n, k) or (k,)."""
    _check_temperature(temperature)
    z = np.asarray(z, dtype=np.float64)
    return _softmax(np.atleast_2d(z) / temperature).reshape(z.shape)


def entropy(p: np.ndarray) -> np.ndarray:
    """H(p) = -sum_k p_k log p_k in nats, one per row (0 log 0 counted as 0); 0 = sure, log k = no idea."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return -terms.sum(axis=-1)


def answer(proba: np.ndarray, threshold: float) -> np.ndarray | int:
    """The top class where its probability is >= threshold, else NOT_SURE.

    ``proba`` of shape (n, k) gives an int array of shape (n,); one row of
    shape (k,) gives one int (as the Draw page needs).
    """
    _check_threshold(threshold)
    proba = np.asarray(proba)
    top = proba.argmax(axis=-1)
    sure = proba.max(axis=-1) >= threshold
    labels = np.where(sure, top, NOT_SURE)
    return int(labels) if proba.ndim == 1 else labels


@dataclass(frozen=True)
class ThresholdCurve:
    """Coverage and accuracy of the answers at each threshold, each of shape (m,)."""

    thresholds: np.ndarray
    coverage: np.ndarray   # share of images answered
    accuracy: np.ndarray   # share answered right among those answered (NaN where none is answered)
    answered: np.ndarray   # how many images were answered (int)


def threshold_curve(proba: np.ndarray, y: np.ndarray, thresholds: np.ndarray | None = None) -> ThresholdCurve:
    """Coverage and accuracy against the threshold, for probabilities (n, k) and labels y (n,).

    Sorting the confidences once lets every threshold be answered by a binary
    search: the images answered at tau are those from the first c >= tau on,
    and the right ones among them a suffix sum. ``thresholds`` defaults to
    0, 0.01, ..., 1.
    """
    proba, y = np.asarray(proba), np.asarray(y)
    if proba.ndim != 2 or len(proba) != len(y):
        raise ValueError(f"proba must have shape (n, k) with n = {len(y)} labels; got {proba.shape}")
    thresholds = np.linspace(0.0, 1.0, 101) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    if thresholds.size and (thresholds.min() < 0 or thresholds.max() > 1 or np.isnan(thresholds).any()):
        raise ValueError("thresholds must lie in [0, 1]")
    c = proba.max(axis=1)
    order = np.argsort(c, kind="stable")
    c_sorted = c[order]
    right_sorted = (proba.argmax(axis=1) == y)[order]
    right_from = np.concatenate([np.cumsum(right_sorted[::-1])[::-1], [0]])  # right answers in c_sorted[i:]
    first = np.searchsorted(c_sorted, thresholds, side="left")               # first i with c >= tau
    answered = len(c) - first
    right = right_from[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(answered > 0, right / np.maximum(answered, 1), np.nan)
    coverage = answered / len(c) if len(c) else np.full(len(thresholds), np.nan)
    return ThresholdCurve(thresholds, coverage, acc, answered)
