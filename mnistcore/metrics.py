"""Scores of a trained classifier: accuracy and loss, confusion matrix, its worst mistakes.

``score`` is the one place a model is scored on a set of images: training curves, the command
line and the pages all call it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .data import as_inputs
from .losses import LOSSES, softmax

SCORE_CHUNK = 5000  # images per forward pass: 5000 x 1024 float32 activations are 20 MB


@dataclass
class Score:
    """A model's scores on n labelled images."""

    accuracy: float                 # share right (NaN for no images)
    loss: float                     # mean data loss (no L2 penalty), as training reports it
    predicted: np.ndarray           # (n,) the class each image got
    proba: np.ndarray | None = None  # (n, k) softmax of the scores, when asked for


def score(model, x: np.ndarray, y: np.ndarray, chunk: int = SCORE_CHUNK, proba: bool = False) -> Score:
    """Accuracy and mean loss of ``model`` on images ``x`` with labels ``y``, without dropout.

    x: uint8 images of shape (n, 28, 28) or (n, 784) (divided by 255 here, chunk by chunk) or
    float inputs in [0, 1]. Works through ``x`` in chunks so that scoring 60,000 images never
    holds more than one chunk's activations; only reads the model, so visitors may share it.
    With ``proba`` the class probabilities are kept too (for the worst mistakes).
    """
    y = np.asarray(y)
    n = len(y)
    if len(x) != n:
        raise ValueError(f"{len(x)} images but {n} labels")
    loss_fn = LOSSES[model.loss].loss_and_delta
    predicted = np.empty(n, dtype=np.intp)
    probabilities = [] if proba else None
    total_loss = 0.0
    for i in range(0, n, chunk):
        z = model.forward(as_inputs(x[i:i + chunk], model.dtype))
        yb = y[i:i + chunk]
        predicted[i:i + len(yb)] = z.argmax(axis=1)
        if proba:
            probabilities.append(softmax(z))
        total_loss += loss_fn(z, yb) * len(yb)  # overwrites z (with delta): done with it
    if n == 0:
        return Score(math.nan, math.nan, predicted, np.zeros((0, model.sizes[-1])) if proba else None)
    return Score(int(np.count_nonzero(predicted == y)) / n, total_loss / n, predicted,
                 np.concatenate(probabilities) if proba else None)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of predictions equal to the true label."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts of shape (n_classes, n_classes): row = true class, column = predicted class."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.intp), np.asarray(y_pred, dtype=np.intp)), 1)
    return cm


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class, shape (n_classes,): the diagonal over the row sums (NaN for an empty row)."""
    totals = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / totals, np.nan)


def worst_mistakes(proba: np.ndarray, y_true: np.ndarray, k: int = 16) -> np.ndarray:
    """Indices of the k wrong predictions made with the highest confidence, most confident first.

    ``proba`` has shape (n, n_classes). These are the images the model is
    surest about and still wrong on: often badly written digits, sometimes
    mislabelled ones.
    """
    pred = proba.argmax(axis=1)
    wrong = np.flatnonzero(pred != np.asarray(y_true))
    confidence = proba[wrong, pred[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:k]]
