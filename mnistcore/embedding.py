"""Maps of high-dimensional points in 2-D: PCA (linear) and t-SNE (neighbourhoods).

Notation

    X        points, shape (n, d): raw pixels (d = 784) or a hidden layer's activations
    x_bar    the mean point, shape (d,)
    V_k      the first k principal directions, shape (d, k), orthonormal columns
    Z        the projection (X - x_bar) V_k, shape (n, k)
    P, Q     t-SNE's neighbour probabilities in the original space and in the map, (n, n)
    Y        the t-SNE map, shape (n, 2)

PCA keeps the directions of largest variance, so it shows the global shape of
the data; t-SNE keeps who is whose neighbour, so it shows clusters but its
distances between clusters mean little. Both are plain NumPy; t-SNE is the
exact O(n^2) algorithm, meant for a subsample of up to a few thousand points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_TSNE_POINTS = 3000  # exact t-SNE holds a few (n, n) float64 arrays: 3000 points = 72 MB each


@dataclass(frozen=True)
class PCA:
    """A fitted PCA: ``transform(X)`` projects new points of shape (m, d) to (m, k)."""

    mean: np.ndarray                      # x_bar, shape (d,)
    components: np.ndarray                # V_k.T, shape (k, d): orthonormal rows, largest variance first
    explained_variance: np.ndarray        # variance along each component, shape (k,)
    explained_variance_ratio: np.ndarray  # its share of the total variance, shape (k,)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Z = (X - x_bar) V_k, shape (m, k)."""
        return (np.asarray(X, dtype=np.float64) - self.mean) @ self.components.T


def pca(X: np.ndarray, k: int = 2) -> PCA:
    """Fit PCA with k components to X of shape (n, d), through an SVD.

    With X - x_bar = U S V^T, the rows of V^T are the principal directions and
    S^2 / (n - 1) the variances along them. When there are more points than
    dimensions (10,000 test images of 784 pixels) the same V and S^2 come from
    the SVD of the (d, d) scatter matrix (X - x_bar)^T (X - x_bar) = V S^2 V^T,
    about ten times faster; squaring only costs precision in components far
    smaller than the ones a map shows. Each component's sign is fixed so that
    its largest-magnitude entry is positive, which makes the map the same from
    one run (or machine) to the next.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d); got shape {X.shape}")
    n, d = X.shape
    if n < 2:
        raise ValueError(f"PCA needs at least 2 points; got {n}")
    if not 1 <= k <= min(n, d):
        raise ValueError(f"k must be in [1, {min(n, d)}] for X of shape {X.shape}; got {k}")
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or infinite values")
    mean = X.mean(axis=0)
    Xc = X - mean
    if n > d:
        _, S2, Vt = np.linalg.svd(Xc.T @ Xc, hermitian=True)
    else:
        _, S, Vt = np.linalg.svd(Xc, full_matrices=False)
        S2 = S ** 2
    components = Vt[:k]
    biggest = np.abs(components).argmax(axis=1)
    components = components * np.sign(components[np.arange(k), biggest])[:, None]
    variance = np.maximum(S2, 0.0) / (n - 1)
    total = variance.sum()
    ratio = variance[:k] / total if total > 0 else np.zeros(k)
    return PCA(mean, components, variance[:k], ratio)


def squared_distances(X: np.ndarray) -> np.ndarray:
    """||x_i - x_j||^2 for all pairs, shape (n, n), via ||x||^2 + ||y||^2 - 2 x.y (clipped at 0)."""
    X = np.asarray(X, dtype=np.float64)
    sq = np.einsum("ij,ij->i", X, X)
    D = sq[:, None] + sq[None, :] - 2.0 * (X @ X.T)
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)
    return D


def conditional_p(D: np.ndarray, perplexity: float, tol: float = 1e-5, max_iter: int = 100) -> np.ndarray:
    """p_{j|i} = exp(-beta_i D_ij) / sum_k exp(-beta_i D_ik), shape (n, n), rows summing to 1.

    Each beta_i (= 1 / 2 sigma_i^2) is found by bisection so that row i's
    entropy is log(perplexity): a point in a dense region gets a narrow
    Gaussian, one in a sparse region a wide one, so each has about
    ``perplexity`` effective neighbours. All rows are searched at once.
    """
    n = len(D)
    off = ~np.eye(n, dtype=bool)
    # Shifting a row by its smallest distance leaves p_{j|i} unchanged and keeps exp() from
    # underflowing to all zeros when distances are large.
    D = D - np.where(off, D, np.inf).min(axis=1, keepdims=True)
    target = np.log(perplexity)
    beta, lo, hi = np.ones(n), np.zeros(n), np.full(n, np.inf)
    for _ in range(max_iter):
        P = np.exp(-D * beta[:, None]) * off
        sum_p = P.sum(axis=1)
        H = np.log(sum_p) + beta * (D * P).sum(axis=1) / sum_p
        diff = H - target
        if np.all(np.abs(diff) < tol):
            break
        wide = diff > 0  # entropy too high: too many neighbours, so narrow the Gaussian (raise beta)
        lo = np.where(wide, beta, lo)
        hi = np.where(wide, hi, beta)
        beta = np.where(wide, np.where(np.isinf(hi), beta * 2, (beta + hi) / 2), (beta + lo) / 2)
    return P / sum_p[:, None]


def tsne(X: np.ndarray, perplexity: float = 30.0, n_iter: int = 500, seed: int = 0,
         init: str = "pca", exaggeration: float = 12.0, exaggeration_iter: int = 250) -> np.ndarray:
    """Exact t-SNE of X, shape (n, d) -> the map Y, shape (n, 2).

    Minimises KL(P || Q) by gradient descent, where P holds symmetrised
    Gaussian neighbour probabilities p_ij = (p_{j|i} + p_{i|j}) / 2n and Q the
    map's Student-t ones, q_ij proportional to (1 + ||y_i - y_j||^2)^-1. The heavy
    tail of Q lets far-apart clusters sit far apart in 2-D. The gradient is

        dKL/dy_i = 4 sum_j (p_ij - q_ij) (y_i - y_j) / (1 + ||y_i - y_j||^2).

    The first ``exaggeration_iter`` steps multiply P by ``exaggeration``, which
    pulls clusters together early; steps use momentum and per-coordinate gains
    as in van der Maaten's reference code, with learning rate max(n / 12, 50).
    ``init="pca"`` starts from the first two principal components (deterministic,
    keeps more of the global layout); ``"random"`` from N(0, 1e-4) drawn from ``seed``.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d); got shape {X.shape}")
    n = len(X)
    if not 4 <= n <= MAX_TSNE_POINTS:
        raise ValueError(f"t-SNE here takes 4 to {MAX_TSNE_POINTS} points (exact, O(n^2) memory); got {n}")
    if not 1 <= perplexity < n - 1:
        raise ValueError(f"perplexity must be in [1, {n - 1}) for {n} points; got {perplexity}")
    if init not in ("pca", "random"):
        raise ValueError(f"init must be 'pca' or 'random'; got {init!r}")
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or infinite values")

    P = conditional_p(squared_distances(X), perplexity)
    # The descent runs in float32: its cost is memory passes over (n, n) arrays, halved so,
    # and a map needs nowhere near float64's precision.
    P = ((P + P.T) / (2 * n)).astype(np.float32)
    np.maximum(P, 1e-12, out=P)
    if init == "pca":
        Y = pca(X, 2).transform(X)
        Y = Y / (Y[:, 0].std() or 1.0) * 1e-4
    else:
        Y = np.random.default_rng(seed).normal(0.0, 1e-4, (n, 2))
    Y = Y.astype(np.float32)

    eta = np.float32(max(n / exaggeration, 50.0))
    update, gains = np.zeros_like(Y), np.ones_like(Y)
    for it in range(n_iter):
        exaggerate = it < exaggeration_iter
        momentum = 0.5 if exaggerate else 0.8
        grad = _kl_gradient(P * exaggeration if exaggerate else P, Y)
        # Grow a coordinate's step while the gradient keeps pointing the way it moves, else shrink it.
        same = np.sign(grad) == np.sign(update)
        gains = np.where(same, gains * 0.8, gains + 0.2)
        np.maximum(gains, 0.01, out=gains)
        update = momentum * update - eta * gains * grad
        Y = Y + update
        Y -= Y.mean(axis=0)
    return Y.astype(np.float64)


def _kl_gradient(P: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """dKL/dY, shape (n, 2), for joint probabilities P (n, n) and the map Y (n, 2).

    An iteration's cost is its passes over (n, n) arrays, so they are few and in
    place, and elementwise: with only two columns, BLAS products such as Y @ Y.T
    run slower than plain loops over the pairs.
    """
    W = np.subtract.outer(Y[:, 0], Y[:, 0])
    W *= W
    d1 = np.subtract.outer(Y[:, 1], Y[:, 1])
    d1 *= d1
    W += d1
    W += 1
    np.reciprocal(W, out=W)      # Student-t kernel (1 + ||y_i - y_j||^2)^-1: q_ij before normalising
    np.fill_diagonal(W, 0)
    PQ = np.multiply(W, 1 / W.sum(), out=d1)   # Q
    np.subtract(P, PQ, out=PQ)
    PQ *= W
    return 4 * (PQ.sum(axis=1)[:, None] * Y - np.einsum("ij,jk->ik", PQ, Y))


def neighbour_agreement(Y: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Share of each point's k nearest neighbours (itself excluded) that have its label, averaged.

    A number for "does this map separate the classes": near 1 when each class
    forms its own cluster, about 1 / (number of classes) when classes are mixed.
    """
    Y, labels = np.asarray(Y, dtype=np.float64), np.asarray(labels)
    n = len(Y)
    if len(labels) != n:
        raise ValueError(f"{n} points but {len(labels)} labels")
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] for {n} points; got {k}")
    agree = 0.0
    for start in range(0, n, 1000):  # 1000 rows of distances at a time bounds the memory
        rows = slice(start, min(start + 1000, n))
        D = np.einsum("ij,ij->i", Y[rows], Y[rows])[:, None] - 2 * Y[rows] @ Y.T + np.einsum("ij,ij->i", Y, Y)
        D[np.arange(D.shape[0]), np.arange(rows.start, rows.stop)] = np.inf
        nearest = np.argpartition(D, k - 1, axis=1)[:, :k]
        agree += float((labels[nearest] == labels[rows, None]).sum())
    return agree / (n * k)


def subsample(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Up to n indices into ``labels``, the same share of each class as the whole, sorted.

    Stratified, so that a small map still shows every class in its proportion.
    """
    labels = np.asarray(labels)
    if n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * n / len(labels)).astype(int)
    # Hand the places left by rounding down to the classes with the largest remainders.
    short = n - quota.sum()
    quota[np.argsort(-(counts * n / len(labels) - quota), kind="stable")[:short]] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked))
