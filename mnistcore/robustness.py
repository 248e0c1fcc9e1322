"""How well a trained network copes with test images it was not shown: noise, rotation, stroke width.

Each perturbation takes images (uint8 of shape (n, 28, 28), or floats in [0, 1]) and a level,
and returns float32 images of shape (n, 28, 28) in [0, 1]. Level 0 returns the images unchanged,
so the first point of every curve is the model's plain accuracy.

    curves = robustness_curves(model, x_test[:2000], y_test[:2000])
    curves["noise"].accuracy     # one accuracy per level in LEVELS["noise"]
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .model import MLP
from .train import as_inputs

SIDE = 28


def as_images(images: np.ndarray) -> np.ndarray:
    """float32 images of shape (n, 28, 28) in [0, 1], from uint8 (n, 28, 28) or (n, 784) arrays."""
    images = np.asarray(images)
    if images.ndim not in (2, 3) or images.shape[1:] not in ((SIDE, SIDE), (SIDE * SIDE,)):
        raise ValueError(f"images must have shape (n, 28, 28) or (n, 784); got {images.shape}")
    return as_inputs(images).reshape(len(images), SIDE, SIDE)


def add_noise(images: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Images plus Gaussian noise N(0, sigma^2) on every pixel, clipped back to [0, 1].

    The same noise pattern (from ``seed``) is scaled for every sigma, so a curve over sigma
    shows the effect of its size rather than of a new draw at each point.
    """
    if not sigma >= 0:
        raise ValueError(f"noise sigma must be >= 0; got {sigma!r}")
    x = as_images(images)
    if sigma == 0:
        return x.copy()
    noise = np.random.default_rng(seed).standard_normal(x.shape, dtype=np.float32)
    return np.clip(x + np.float32(sigma) * noise, 0, 1)


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Images turned anticlockwise by ``degrees`` about their centre, bilinear interpolation.

    For each output pixel we look up where it comes from in the source (the inverse rotation)
    and blend the four pixels around that point; points outside the image read 0 (background).
    """
    x = as_images(images)
    if degrees % 360 == 0:
        return x.copy()
    t = np.deg2rad(degrees)
    centre = (SIDE - 1) / 2
    r, c = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64) - centre
    # Rows grow downwards, so on screen an anticlockwise turn reads the source at:
    src_r = np.cos(t) * r + np.sin(t) * c + centre
    src_c = -np.sin(t) * r + np.cos(t) * c + centre
    r0, c0 = np.floor(src_r).astype(int), np.floor(src_c).astype(int)
    fr, fc = src_r - r0, src_c - c0
    out = np.zeros_like(x)
    for dr, dc, w in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc),
                      (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        rr, cc = r0 + dr, c0 + dc
        inside = (rr >= 0) & (rr < SIDE) & (cc >= 0) & (cc < SIDE)
        weight = np.where(inside, w, 0).astype(np.float32)
        out += x[:, np.clip(rr, 0, SIDE - 1), np.clip(cc, 0, SIDE - 1)] * weight
    return np.clip(out, 0, 1)


def _neighbourhood(x: np.ndarray, reduce: Callable) -> np.ndarray:
    """``reduce`` (np.maximum or np.minimum) of each pixel and its 4 neighbours (a plus shape)."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = reduce(x, p[:, :-2, 1:-1])          # above
    out = reduce(out, p[:, 2:, 1:-1])         # below
    out = reduce(out, p[:, 1:-1, :-2])        # left
    return reduce(out, p[:, 1:-1, 2:])        # right


def thickness(images: np.ndarray, steps: float) -> np.ndarray:
    """Strokes made thicker (``steps`` > 0, grey dilation) or thinner (< 0, grey erosion).

    Each whole step replaces every pixel by the maximum (dilation) or minimum (erosion) of
    itself and its four neighbours, which grows or shrinks a stroke by about one pixel on each
    side. A fractional step blends the two whole steps around it, as a stroke edge that covers
    part of a pixel would: MNIST strokes are only 2-3 pixels wide, so a whole step of erosion
    already rubs out much of a digit.
    """
    if not np.isfinite(steps):
        raise ValueError(f"thickness steps must be a finite number; got {steps!r}")
    x = as_images(images)
    reduce = np.maximum if steps > 0 else np.minimum
    whole, part = divmod(abs(float(steps)), 1.0)
    for _ in range(int(whole)):
        x = _neighbourhood(x, reduce)
    if part:
        x = (1 - part) * x + part * _neighbourhood(x, reduce)
    return x.copy() if steps == 0 else x.astype(np.float32, copy=False)


PERTURBATIONS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "noise": add_noise,
    "rotation": rotate,
    "thickness": thickness,
}
LEVELS: dict[str, tuple[float, ...]] = {
    "noise": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
    "rotation": (0, 10, 20, 30, 45, 60, 90),
    "thickness": (-1, -0.5, 0, 0.5, 1, 2, 3),
}
# What each perturbation does to pixel p of image x, in LaTeX, and a note on its symbols.
FORMULAS = {
    "noise": r"x' = \operatorname{clip}(x + \sigma\varepsilon,\ 0,\ 1)",
    "rotation": r"x'(p) = x\big(R_{-\theta}(p - c) + c\big)",
    "thickness": r"x'(p) = \max_{q \in N(p)} x(q)",
}
FORMULA_NOTES = {
    "noise": "ε: one fixed pattern of standard normal noise",
    "rotation": "c: the centre; between pixels, bilinear interpolation",
    "thickness": "N(p): p and its 4 neighbours, once per step; min makes strokes thinner",
}
# Every curve has its plain accuracy at level 0, the unchanged images; thickness also goes below 0.
PLAIN_NOTE = ("Each curve passes through its plain accuracy at level 0 (the unchanged images); for "
              "thickness that point is in the middle, with thinner strokes to its left.")
LEVEL_LABELS = {
    "noise": "noise σ (pixel values run 0 to 1)",
    "rotation": "rotation (degrees)",
    "thickness": "stroke width change (pixels per side; < 0 thinner)",
}


def perturb(images: np.ndarray, kind: str, level: float) -> np.ndarray:
    """``PERTURBATIONS[kind](images, level)``, with a clear error for an unknown kind."""
    if kind not in PERTURBATIONS:
        raise ValueError(f"perturbation must be one of {', '.join(PERTURBATIONS)}; got {kind!r}")
    return PERTURBATIONS[kind](images, level)


@dataclass(frozen=True)
class RobustnessCurve:
    """Accuracy of one model at each level of one perturbation."""

    kind: str
    levels: np.ndarray     # (k,)
    accuracy: np.ndarray   # (k,) share of images classified correctly


def accuracy_curve(model: MLP, images: np.ndarray, labels: np.ndarray, kind: str,
                   levels: Sequence[float]) -> RobustnessCurve:
    """The model's accuracy on ``images`` perturbed by ``kind`` at each of ``levels``."""
    labels = np.asarray(labels)
    if len(labels) != len(images) or len(labels) == 0:
        raise ValueError(f"need as many labels as images, at least one; got {len(images)} images "
                         f"and {len(labels)} labels")
    acc = [float(np.mean(model.predict(perturb(images, kind, level).reshape(len(labels), -1)
                                       .astype(model.dtype, copy=False)) == labels))
           for level in levels]
    return RobustnessCurve(kind, np.asarray(levels, dtype=float), np.array(acc))


def robustness_curves(model: MLP, images: np.ndarray, labels: np.ndarray,
                      levels: Mapping[str, Sequence[float]] = LEVELS) -> dict[str, RobustnessCurve]:
    """One accuracy curve per perturbation kind in ``levels``."""
    return {kind: accuracy_curve(model, images, labels, kind, lv) for kind, lv in levels.items()}
