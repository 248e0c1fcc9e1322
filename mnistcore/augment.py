"""Cheap data augmentation: random small shifts and rotations of 28x28 images.

Each transform (a shift of up to +-2 pixels and a rotation of up to +-10
degrees) is precomputed once as an index map: for every output pixel, the
input pixel it comes from (nearest neighbour). Augmenting a batch is then one
gather, ``x[rows, maps[choice]]``, which costs far less than the batch's matrix
products. Pixels that come from outside the image read a zero appended at
index 784.
"""
from __future__ import annotations

import numpy as np

SIDE = 28
OUTSIDE = SIDE * SIDE  # index of the appended zero pixel


def transform_maps(max_shift: int = 2, angles: tuple[float, ...] = (-10, -5, 0, 5, 10)) -> np.ndarray:
    """Index maps for every (angle, dy, dx), shape (n_transforms, 784), values in 0..784."""
    r, c = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    centre = (SIDE - 1) / 2
    maps = []
    for angle in angles:
        t = np.deg2rad(angle)
        cos, sin = np.cos(t), np.sin(t)
        for dy in range(-max_shift, max_shift + 1):
            for dx in range(-max_shift, max_shift + 1):
                # Inverse map: where in the source does output pixel (r, c) come from?
                y, x = r - centre - dy, c - centre - dx
                src_r = np.rint(cos * y + sin * x + centre).astype(int)
                src_c = np.rint(-sin * y + cos * x + centre).astype(int)
                inside = (src_r >= 0) & (src_r < SIDE) & (src_c >= 0) & (src_c < SIDE)
                maps.append(np.where(inside, src_r * SIDE + src_c, OUTSIDE).ravel())
    return np.stack(maps)


_MAPS = transform_maps()


def augment(x: np.ndarray, rng: np.random.Generator, maps: np.ndarray = _MAPS) -> np.ndarray:
    """A randomly shifted and rotated copy of each row of ``x``, shape (n, 784), same dtype."""
    n = len(x)
    padded = np.zeros((n, OUTSIDE + 1), dtype=x.dtype)
    padded[:, :OUTSIDE] = x.reshape(n, OUTSIDE)
    choice = rng.integers(len(maps), size=n)
    # Row i's map shifted to row i's place in the flattened batch: one flat take, about three
    # times faster than the equivalent two-dimensional fancy index padded[rows, maps[choice]].
    flat = maps[choice]
    flat += (np.arange(n) * (OUTSIDE + 1))[:, None]
    return np.take(padded, flat)
