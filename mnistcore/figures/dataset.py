"""Figures of a data set: image grids, one image with its numbers, class counts, histograms.

Arrays in, ``go.Figure`` out; nothing here knows about Streamlit. Images are uint8 of shape
(n, 28, 28) (or float means of the same shape), labels int of shape (n,).

Images are drawn with ``go.Heatmap`` on axes locked to equal aspect, so each stored pixel is one
square cell: the browser never smooths a 28x28 picture into a blur. Many images are drawn as one
heatmap of a mosaic (tiles separated by NaN, which Plotly leaves transparent) rather than as one
subplot each, which keeps a grid of 100 images a single light trace.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

GRAY = [[0.0, "rgb(0,0,0)"], [1.0, "rgb(255,255,255)"]]  # 0 = black, 255 = white, as stored
PIXEL_MAX = 255

__all__ = [
    "sample_indices", "class_counts", "class_means", "pixel_counts", "mosaic",
    "image_grid", "image_heatmap", "class_counts_figure", "mean_images_figure",
    "pixel_histogram_figure",
]


# --- statistics the figures show (pure NumPy, cheap to test) ---------------------------------

def sample_indices(labels: np.ndarray, n: int, seed: int, cls: int | None = None) -> np.ndarray:
    """Up to `n` distinct indices into `labels`, drawn at random from `seed`, in ascending order.

    With `cls` only examples of that class are drawn. Same labels, n, seed, cls -> same indices.
    """
    pool = np.arange(len(labels)) if cls is None else np.flatnonzero(np.asarray(labels) == cls)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))


def class_counts(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Number of examples of each class, int of shape (n_classes,)."""
    labels = np.asarray(labels)
    return np.bincount(labels.astype(np.int64), minlength=n_classes)[:n_classes]


def class_means(images: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Mean image of each class, float32 of shape (n_classes, 28, 28); NaN for an absent class.

    Summed class by class in float64 so 6,000 uint8 images add up without overflow or drift.
    """
    labels = np.asarray(labels)
    h, w = images.shape[1:]
    means = np.full((n_classes, h, w), np.nan, dtype=np.float32)
    for c in range(n_classes):
        members = images[labels == c]
        if len(members):
            means[c] = members.reshape(len(members), -1).sum(axis=0, dtype=np.float64).reshape(h, w) / len(members)
    return means


def pixel_counts(images: np.ndarray, chunk: int = 1 << 18) -> np.ndarray:
    """How many pixels take each value 0..255, int of shape (256,).

    Counted `chunk` pixels at a time: bincount widens its input to int64, and on all of MNIST
    at once that is a 376 MB temporary and six times slower (1.6 s against 0.27 s).
    """
    flat = np.asarray(images, dtype=np.uint8).reshape(-1)
    counts = np.zeros(PIXEL_MAX + 1, dtype=np.int64)
    for start in range(0, flat.size, chunk):
        counts += np.bincount(flat[start: start + chunk], minlength=PIXEL_MAX + 1)
    return counts


# --- images ------------------------------------------------------------------------------------

def mosaic(images: np.ndarray, cols: int, gap: int = 1, row_gap: int | None = None) -> np.ndarray:
    """Tile images of shape (n, h, w) into one float array, rows of `cols`, NaN between tiles.

    Returns shape (rows*(h+row_gap) - row_gap, cols*(w+gap) - gap); tile k's top-left corner is
    at (k // cols * (h+row_gap), k % cols * (w+gap)).
    """
    n, h, w = images.shape
    row_gap = gap if row_gap is None else row_gap
    rows = max(1, -(-n // cols))
    cols = min(cols, max(n, 1))
    out = np.full((rows * (h + row_gap) - row_gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + row_gap): r * (h + row_gap) + h, c * (w + gap): c * (w + gap) + w] = images[k]
    return out


def _square_pixels(fig: go.Figure, shape: tuple[int, int], title: str | None, height: int, top_room: float = 0) -> go.Figure:
    """Show data cells 0..shape as square pixels, image rows going down, `top_room` cells of
    space above row 0 (for captions), in a figure `height` pixels tall."""
    fig.update_xaxes(visible=False, range=[-0.5, shape[1] - 0.5], constrain="domain")
    fig.update_yaxes(visible=False, range=[shape[0] - 0.5, -0.5 - top_room],  # reversed: row 0 on top
                     scaleanchor="x", scaleratio=1, constrain="domain")
    fig.update_layout(title=title, height=height, plot_bgcolor="rgba(0,0,0,0)", dragmode=False,
                      margin=dict(l=4, r=4, t=34 if title else 4, b=4))
    return fig


CAPTION_CHAR_PX = 6.5   # width of one caption character at 11 px, generously


def image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
    cols: int = 10,
    zmax: float = PIXEL_MAX,
    title: str | None = None,
    width_px: int = 800,
) -> go.Figure:
    """A grid of images of shape (n, h, w), each with an optional caption above it.

    `cols` is cut down so that each caption fits above its own tile (at `width_px`).

    The figure's height is set so the grid fills `width_px` pixels of width (a narrower chart
    shrinks it to fit, keeping pixels square).

    `ids` (e.g. each image's index in its split) are shown on hover and carried by an invisible
    marker over each tile (trace 1, ``customdata``): clicking a tile selects that marker, which
    Streamlit's ``on_select`` reports, whereas clicks on a heatmap report nothing.
    """
    images = np.asarray(images)
    n, h, w = images.shape
    if titles:   # fewer columns when the captions are long (Fashion-MNIST's "T-shirt/top"), never cut
        longest = max(len(str(t)) for t in titles)
        cols = max(1, min(cols, int(width_px // (longest * CAPTION_CHAR_PX + 8))))
    gap = 2
    row_gap = 9 if titles is not None else gap  # room for a caption line above each row
    z = mosaic(images, cols, gap, row_gap)
    cols = min(cols, max(n, 1))
    ids = list(range(n)) if ids is None else [int(i) for i in ids]
    rows_, cols_ = np.divmod(np.arange(n), cols)
    top, left = rows_ * (h + row_gap), cols_ * (w + gap)
    top_room = row_gap if titles is not None else 0
    px_per_cell = width_px / z.shape[1]

    # Which image each cell belongs to, for the hover label (-1 in the gaps).
    owner = np.full(z.shape, -1, dtype=np.int64)
    for k in range(n):
        owner[top[k]: top[k] + h, left[k]: left[k] + w] = ids[k]
    fig = go.Figure(go.Heatmap(
        z=z, colorscale=GRAY, zmin=0, zmax=zmax, showscale=False, customdata=owner,
        hovertemplate="image #%{customdata}<br>value %{z:.0f}<extra></extra>", hoverongaps=False,
    ))
    fig.add_trace(go.Scatter(
        x=left + (w - 1) / 2, y=top + (h - 1) / 2, customdata=ids, mode="markers", showlegend=False,
        marker=dict(symbol="square", size=w * px_per_cell, opacity=0), hoverinfo="none",
    ))
    # All captions in one update: add_annotation one by one costs ~10 ms each.
    fig.update_layout(annotations=[
        dict(x=left[k] + (w - 1) / 2, y=top[k] - 0.5, text=text, showarrow=False, yanchor="bottom", font_size=11)
        for k, text in enumerate(titles or ())
    ])
    height = int(px_per_cell * (z.shape[0] + top_room)) + (34 if title else 4) + 4
    return _square_pixels(fig, z.shape, title, height, top_room)


def image_heatmap(
    image: np.ndarray, title: str | None = None, show_values: bool = True, height: int = 580,
) -> go.Figure:
    """One image of shape (h, w) as square cells, with each cell's value written on it."""
    image = np.asarray(image)
    fig = go.Figure(go.Heatmap(
        z=image, colorscale=GRAY, zmin=0, zmax=PIXEL_MAX, showscale=False,
        texttemplate="%{z:.0f}" if show_values else None, textfont=dict(size=9),
        hovertemplate="row %{y}, column %{x}<br>value %{z:.0f}<extra></extra>",
    ))
    return _square_pixels(fig, image.shape, title, height)


# --- statistics as charts ---------------------------------------------------------------------

def class_counts_figure(
    train_counts: np.ndarray, test_counts: np.ndarray, class_names: Sequence[str],
) -> go.Figure:
    """Bars of examples per class, train and test side by side."""
    names = [str(c) for c in class_names]
    fig = go.Figure([
        go.Bar(x=names, y=np.asarray(train_counts), name="train"),
        go.Bar(x=names, y=np.asarray(test_counts), name="test"),
    ])
    fig.update_layout(
        barmode="group", xaxis_title="class", yaxis_title="examples",
        xaxis_type="category", legend=dict(orientation="h", y=1.1), margin=dict(t=30, b=4), height=380,
    )
    return fig


def mean_images_figure(means: np.ndarray, class_names: Sequence[str], cols: int = 10) -> go.Figure:
    """The mean image of each class of shape (n_classes, h, w), captioned with the class name."""
    zmax = float(np.nanmax(means)) if np.isfinite(means).any() else PIXEL_MAX
    return image_grid(np.nan_to_num(means), titles=[str(c) for c in class_names], cols=cols, zmax=max(zmax, 1.0))


def pixel_histogram_figure(counts: np.ndarray, log_y: bool = True) -> go.Figure:
    """How often each intensity 0..255 occurs (counts of shape (256,)), log scale by default
    because the black background outnumbers every other value by far."""
    counts = np.asarray(counts)
    fig = go.Figure(go.Bar(
        x=np.arange(len(counts)), y=counts, marker_line_width=0,
        hovertemplate="value %{x}: %{y:,} pixels<extra></extra>",
    ))
    fig.update_layout(xaxis_title="pixel value (0 = black, 255 = white)", yaxis_title="pixels",
                      bargap=0, margin=dict(t=10, b=4), height=330)
    if log_y:  # ticks at powers of ten only (1, 10, 100, ...), not Plotly's 2s and 5s between
        fig.update_yaxes(type="log", dtick=1)
    return fig
