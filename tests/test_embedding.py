"""PCA and t-SNE: known axes are recovered, clusters stay apart, the maths checks out."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from mnistcore import embedding
from mnistcore.embedding import neighbour_agreement, pca, subsample, tsne


def rotation(d: int, seed: int) -> np.ndarray:
    """A random orthogonal matrix of shape (d, d)."""
    Q, R = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return Q * np.sign(np.diag(R))


@pytest.mark.parametrize("d", [6, 24])  # fewer dimensions than points (scatter-matrix SVD), then more
def test_pca_recovers_known_axes_and_variances(d):
    # Every sign combination of (3, 2, 1, 0.5) along four axes: the sample covariance is exactly
    # diagonal with these squared scales, so the principal axes are known exactly. The axes are
    # then rotated into d dimensions by a random orthogonal Q and shifted away from the origin.
    scales = np.array([3.0, 2.0, 1.0, 0.5])
    Z = np.array(list(itertools.product([-1.0, 1.0], repeat=4))) * scales     # (16, 4)
    Q = rotation(d, seed=1)
    mean = np.linspace(-7.0, 5.0, d)
    X = Z @ Q[:, :4].T + mean

    fit = pca(X, k=3)
    n = len(X)
    for i in range(3):  # component i is Q's column i, up to sign
        assert abs(fit.components[i] @ Q[:, i]) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(fit.explained_variance, scales[:3] ** 2 * n / (n - 1), rtol=1e-12)
    np.testing.assert_allclose(fit.explained_variance_ratio, scales[:3] ** 2 / (scales ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(fit.mean, mean, atol=1e-12)
    # The projection gives back the original coordinates along those axes (up to the same signs).
    signs = np.sign(fit.components @ Q[:, :3]).diagonal()
    np.testing.assert_allclose(fit.transform(X), Z[:, :3] * signs, atol=1e-10)


def test_pca_of_noisy_gaussian_finds_the_axes():
    rng = np.random.default_rng(0)
    Q = rotation(10, seed=2)
    std = np.array([4.0, 2.0, 1.0] + [0.1] * 7)
    X = (rng.standard_normal((4000, 10)) * std) @ Q.T
    fit = pca(X, k=2)
    assert abs(fit.components[0] @ Q[:, 0]) > 0.999
    assert abs(fit.components[1] @ Q[:, 1]) > 0.999
    np.testing.assert_allclose(fit.explained_variance, std[:2] ** 2, rtol=0.06)
    # The variance of the projected data is exactly the explained variance.
    np.testing.assert_allclose(fit.transform(X).var(axis=0, ddof=1), fit.explained_variance, rtol=1e-10)


def test_pca_sign_is_fixed_and_components_orthonormal():
    X = np.random.default_rng(3).standard_normal((50, 8))
    a, b = pca(X, 4), pca(-X, 4)  # flipping the data flips every SVD direction; the fix undoes it
    np.testing.assert_allclose(a.components, b.components, atol=1e-12)
    np.testing.assert_allclose(a.components @ a.components.T, np.eye(4), atol=1e-12)
    assert (a.components[np.arange(4), np.abs(a.components).argmax(axis=1)] > 0).all()


@pytest.mark.parametrize("X, k", [(np.zeros((5, 3)), 4), (np.zeros((5, 3)), 0), (np.zeros(5), 1),
                                  (np.zeros((1, 3)), 1), (np.full((5, 3), np.nan), 1)])
def test_pca_bad_input_raises_value_error(X, k):
    with pytest.raises(ValueError):
        pca(X, k)


def blobs(n_per: int = 100, d: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs of unit spread whose centres are 20 apart."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, d))
    centres *= 20 / np.linalg.norm(centres[0] - centres[1])
    labels = np.repeat(np.arange(3), n_per)
    return centres[labels] + rng.standard_normal((3 * n_per, d)), labels


def test_tsne_keeps_separated_clusters_separated():
    X, labels = blobs()
    Y = tsne(X, perplexity=20, n_iter=300)
    assert Y.shape == (300, 2) and np.isfinite(Y).all()
    assert neighbour_agreement(Y, labels, k=5) > 0.9
    # Each cluster's points are nearer their own centre than any other cluster's.
    centres = np.stack([Y[labels == c].mean(axis=0) for c in range(3)])
    nearest = np.linalg.norm(Y[:, None, :] - centres[None], axis=2).argmin(axis=1)
    assert np.mean(nearest == labels) > 0.95


def test_tsne_is_seeded():
    X, _ = blobs(n_per=20)
    a = tsne(X, perplexity=10, n_iter=100, init="random", seed=5)
    b = tsne(X, perplexity=10, n_iter=100, init="random", seed=5)
    c = tsne(X, perplexity=10, n_iter=100, init="random", seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_conditional_p_reaches_the_perplexity():
    X, _ = blobs(n_per=30)
    P = embedding.conditional_p(embedding.squared_distances(X), perplexity=15)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert (np.diag(P) == 0).all()
    with np.errstate(divide="ignore", invalid="ignore"):
        H = -np.where(P > 0, P * np.log(P), 0.0).sum(axis=1)
    np.testing.assert_allclose(np.exp(H), 15, rtol=1e-3)


def kl(P: np.ndarray, Y: np.ndarray) -> float:
    D = ((Y[:, None] - Y[None]) ** 2).sum(-1)
    W = 1 / (1 + D)
    np.fill_diagonal(W, 0)
    Q = W / W.sum()
    off = ~np.eye(len(P), dtype=bool)
    return float((P[off] * np.log(P[off] / Q[off])).sum())


def test_kl_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    P = rng.random((7, 7))
    P = P + P.T
    np.fill_diagonal(P, 0)
    P /= P.sum()
    Y = rng.standard_normal((7, 2))
    numeric = np.zeros_like(Y)
    h = 1e-6
    for i, j in np.ndindex(*Y.shape):
        step = np.zeros_like(Y)
        step[i, j] = h
        numeric[i, j] = (kl(P, Y + step) - kl(P, Y - step)) / (2 * h)
    np.testing.assert_allclose(embedding._kl_gradient(P, Y), numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("kwargs", [dict(perplexity=0.5), dict(perplexity=50), dict(init="spectral")])
def test_tsne_bad_arguments_raise_value_error(kwargs):
    X, _ = blobs(n_per=10)
    with pytest.raises(ValueError):
        tsne(X, n_iter=1, **kwargs)


def test_neighbour_agreement_tells_separated_from_mixed():
    X, labels = blobs(n_per=50, d=2)
    assert neighbour_agreement(X, labels, k=3) == 1.0
    shuffled = np.random.default_rng(0).permutation(labels)
    assert neighbour_agreement(X, shuffled, k=3) < 0.5  # about 1/3 when labels carry no place


def test_subsample_is_stratified_distinct_and_sorted():
    labels = np.repeat(np.arange(4), [500, 300, 150, 50])
    idx = subsample(labels, 100, seed=1)
    assert len(idx) == 100 and len(np.unique(idx)) == 100 and (np.diff(idx) > 0).all()
    np.testing.assert_array_equal(np.bincount(labels[idx]), [50, 30, 15, 5])
    np.testing.assert_array_equal(idx, subsample(labels, 100, seed=1))
    np.testing.assert_array_equal(subsample(labels, 5000), np.arange(1000))
