"""The Dataset page's figure builders and the statistics they show, on small made-up data."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from mnistcore.figures import dataset as figs


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, size=(23, 28, 28), dtype=np.uint8)


@pytest.fixture
def labels() -> np.ndarray:
    return np.array([0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7], dtype=np.uint8)


def test_sample_indices_are_seeded_distinct_and_of_the_class(labels):
    a = figs.sample_indices(labels, 10, seed=3)
    assert len(a) == 10 and len(set(a)) == 10 and np.all(np.diff(a) > 0)
    np.testing.assert_array_equal(a, figs.sample_indices(labels, 10, seed=3))
    assert not np.array_equal(a, figs.sample_indices(labels, 10, seed=4))
    sevens = figs.sample_indices(labels, 5, seed=0, cls=7)
    assert len(sevens) == 5 and np.all(labels[sevens] == 7)
    assert len(figs.sample_indices(labels, 40, seed=0, cls=2)) == 3   # fewer than asked: all of them
    assert len(figs.sample_indices(labels, 40, seed=0, cls=9)) == 0   # none of that class


def test_class_counts_and_means(images, labels):
    counts = figs.class_counts(labels, 10)
    np.testing.assert_array_equal(counts, [1, 2, 3, 4, 0, 6, 0, 7, 0, 0])
    means = figs.class_means(images, labels, 10)
    assert means.shape == (10, 28, 28)
    np.testing.assert_allclose(means[5], images[labels == 5].astype(np.float64).mean(axis=0), rtol=1e-6)
    np.testing.assert_array_equal(means[0], images[0])
    assert np.isnan(means[4]).all() and np.isnan(means[9]).all()      # no example: no mean


def test_pixel_counts_count_every_pixel(images):
    counts = figs.pixel_counts(images)
    assert counts.shape == (256,) and counts.sum() == images.size
    values, expected = np.unique(images, return_counts=True)
    np.testing.assert_array_equal(counts[values], expected)


def test_mosaic_places_tiles_with_nan_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3)
    z = figs.mosaic(tiles, cols=2, gap=1, row_gap=4)
    assert z.shape == (3 * 2 + 2 * 4, 2 * 3 + 1)
    np.testing.assert_array_equal(z[0:2, 0:3], tiles[0])
    np.testing.assert_array_equal(z[0:2, 4:7], tiles[1])
    np.testing.assert_array_equal(z[6:8, 4:7], tiles[3])
    np.testing.assert_array_equal(z[12:14, 0:3], tiles[4])
    assert np.isnan(z[:, 3]).all() and np.isnan(z[2:6]).all() and np.isnan(z[12:14, 4:7]).all()


def assert_square_pixels(fig: go.Figure) -> None:
    heatmap = fig.data[0]
    assert heatmap.zsmooth in (None, False)                 # no interpolation between pixels
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    low, high = fig.layout.yaxis.range
    assert low > high                                       # row 0 at the top


def test_image_grid_shows_each_image_crisply_with_caption_and_clickable_id(images):
    ids = [100 + 7 * k for k in range(12)]
    titles = [f"#{i}" for i in ids]
    fig = figs.image_grid(images[:12], titles=titles, ids=ids, cols=5)
    assert_square_pixels(fig)
    z = np.asarray(fig.data[0].z)
    # Image k sits at row k // 5, column k % 5 of the mosaic, values untouched.
    for k in (0, 4, 5, 11):
        r, c = divmod(k, 5)
        np.testing.assert_array_equal(z[r * 37: r * 37 + 28, c * 30: c * 30 + 28], images[k])
    owner = np.asarray(fig.data[0].customdata)
    assert owner[37 + 3, 30 + 3] == ids[6] and owner[30, 0] == -1
    marker = fig.data[1]
    assert list(marker.customdata) == ids and marker.marker.opacity == 0
    assert [a.text for a in fig.layout.annotations] == titles
    assert fig.layout.height > 0


def test_image_heatmap_writes_the_numbers_on_the_image(images):
    fig = figs.image_heatmap(images[3])
    assert_square_pixels(fig)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), images[3])
    assert "%{z" in fig.data[0].texttemplate
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 255)
    assert figs.image_heatmap(images[3], show_values=False).data[0].texttemplate is None


def test_class_counts_figure_puts_train_and_test_side_by_side():
    fig = figs.class_counts_figure(np.array([5, 7]), np.array([1, 2]), ["cat", "dog"])
    assert [t.name for t in fig.data] == ["train", "test"] and fig.layout.barmode == "group"
    assert list(fig.data[0].x) == ["cat", "dog"]
    np.testing.assert_array_equal(fig.data[0].y, [5, 7])
    np.testing.assert_array_equal(fig.data[1].y, [1, 2])


def test_mean_images_figure_captions_every_class(images, labels):
    means = figs.class_means(images, labels, 10)
    fig = figs.mean_images_figure(means, [str(c) for c in range(10)])
    assert [a.text for a in fig.layout.annotations] == [str(c) for c in range(10)]
    z = np.asarray(fig.data[0].z)
    np.testing.assert_allclose(z[0:28, 0:28], means[0])
    assert not np.isnan(z[0:28, 4 * 30: 4 * 30 + 28]).any()  # an absent class is drawn black, not a hole


def test_pixel_histogram_figure_log_and_linear(images):
    counts = figs.pixel_counts(images)
    log = figs.pixel_histogram_figure(counts)
    np.testing.assert_array_equal(log.data[0].y, counts)
    np.testing.assert_array_equal(log.data[0].x, np.arange(256))
    assert log.layout.yaxis.type == "log"
    assert figs.pixel_histogram_figure(counts, log_y=False).layout.yaxis.type in (None, "linear", "-")


def test_long_captions_get_fewer_columns_so_none_is_cut():
    """Fashion-MNIST's "#12345 · Ankle boot" would overlap its neighbours at ten a row."""
    from mnistcore.figures.dataset import CAPTION_CHAR_PX, image_grid
    images = np.zeros((20, 28, 28), dtype=np.uint8)
    short = image_grid(images, titles=[f"#{i} · 7" for i in range(20)])
    long = image_grid(images, titles=[f"#{10000 + i} · Ankle boot" for i in range(20)])
    xs = lambda fig: sorted({a.x for a in fig.layout.annotations})  # noqa: E731
    assert len(xs(short)) == 10
    cols = len(xs(long))
    assert cols < 10 and cols * (len("#10000 · Ankle boot") * CAPTION_CHAR_PX) <= 800
    assert [a.text for a in long.layout.annotations][-1] == "#10019 · Ankle boot"   # whole, not cut
