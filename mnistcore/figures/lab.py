"""Figures of the Lab page: maps of the hidden space, one unit's weights, confidence, edits.

Arrays in, ``go.Figure`` out; nothing here knows about Streamlit. Images are uint8 (n, 28, 28),
labels int (n,). A point of a map shows its image on hover as a small picture drawn in characters
(Plotly's hover labels take text, not images); clicking a point selects it, and its
``customdata`` carries the image's index so a page can show it at full size.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from .dataset import image_grid
from .training import DIVERGING

__all__ = [
    "CLASS_COLOURS", "hover_art", "embedding_maps", "unit_weights_figure", "top_images_figure",
    "threshold_figure", "confidence_histogram", "confusion_change_figure",
]

CLASS_COLOURS = qualitative.D3            # ten distinct colours, one per class
SHADES = " .:-=+*#%@"                     # no ink to full ink; ASCII, one byte each in the figure's JSON
COVERAGE_COLOUR, ACCURACY_COLOUR = "#2563eb", "#ea580c"


def hover_art(images: np.ndarray, rows: int = 14, cols: int = 28) -> list[str]:
    """Each image of shape (n, 28, 28) as a small picture in characters, lines joined by <br>.

    A monospace character is about twice as tall as wide, so 14 lines of 28 characters keep the
    digit's shape: pixels are averaged in blocks of 2 rows, and each block's ink picks one of
    ten characters from blank to '@' (scaled to the image's own darkest block). Plain ASCII,
    with trailing blanks and empty lines cut, keeps a map of a thousand points light to send.
    """
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape
    if h % rows or w % cols:
        raise ValueError(f"rows and cols must divide the image size {h}x{w}; got {rows}x{cols}")
    blocks = images.reshape(n, rows, h // rows, cols, w // cols).mean(axis=(2, 4))
    top = np.maximum(blocks.max(axis=(1, 2), keepdims=True), 1e-9)  # each image its own contrast
    level = np.minimum((blocks / top * len(SHADES)).astype(int), len(SHADES) - 1)
    pictures = []
    for picture in np.array(list(SHADES))[level]:
        lines = ["".join(row).rstrip() for row in picture]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        pictures.append("<br>".join(lines))
    return pictures


def embedding_maps(
    maps: Sequence[np.ndarray],
    titles: Sequence[str],
    labels: np.ndarray,
    class_names: Sequence[str],
    ids: np.ndarray | None = None,
    art: Sequence[str] | None = None,
    axis_titles: Sequence[tuple[str, str] | None] | None = None,
    height: int = 460,
) -> go.Figure:
    """2-D maps side by side, each of shape (n, 2) for the same n points, coloured by class.

    One trace per class and panel, grouped by class, so a click in the legend hides or shows
    a class in every panel at once. ``ids`` (each point's index in its split) go into
    ``customdata``; ``art`` (from ``hover_art``) is shown on hover. ``axis_titles`` per panel,
    e.g. ("PC 1 (9.7%)", "PC 2 (7.1%)"); None hides the axes, as t-SNE's carry no units.
    """
    labels = np.asarray(labels)
    n = len(labels)
    ids = np.arange(n) if ids is None else np.asarray(ids)
    for Y in maps:
        if np.shape(Y) != (n, 2):
            raise ValueError(f"each map must have shape ({n}, 2); got {np.shape(Y)}")
    names = [str(c) for c in class_names]
    fig = make_subplots(rows=1, cols=len(maps), subplot_titles=list(titles), horizontal_spacing=0.06)
    art_text = np.asarray(art if art is not None else [""] * n, dtype=object)
    for col, Y in enumerate(maps, start=1):
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            name = names[c] if c < len(names) else str(c)
            fig.add_trace(go.Scatter(
                x=Y[members, 0], y=Y[members, 1], mode="markers", name=name, legendgroup=name,
                showlegend=col == 1, customdata=ids[members], text=art_text[members],
                marker=dict(size=6, color=CLASS_COLOURS[int(c) % len(CLASS_COLOURS)], opacity=0.8,
                            line=dict(width=0)),
                hovertemplate=f"<b>{name}</b> · image #%{{customdata}}<br><br>%{{text}}<extra></extra>",
            ), row=1, col=col)
        titles_ = (axis_titles or [None] * len(maps))[col - 1]
        if titles_ is None:
            fig.update_xaxes(showticklabels=False, row=1, col=col)
            fig.update_yaxes(showticklabels=False, row=1, col=col)
        else:
            fig.update_xaxes(title_text=titles_[0], row=1, col=col)
            fig.update_yaxes(title_text=titles_[1], row=1, col=col)
    fig.update_xaxes(zeroline=False)
    fig.update_yaxes(zeroline=False)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10), clickmode="event+select",
        legend=dict(title="true class", itemsizing="constant"),
        hoverlabel=dict(font=dict(family="DejaVu Sans Mono, Menlo, Consolas, monospace", size=9),
                        bgcolor="black", font_color="white"),
    )
    return fig


def unit_weights_figure(weights: np.ndarray, title: str | None = None, height: int = 320) -> go.Figure:
    """One unit's incoming weights of shape (28, 28), red positive, blue negative, white 0."""
    weights = np.asarray(weights, dtype=np.float64)
    top = float(np.abs(weights).max()) or 1.0
    fig = go.Figure(go.Heatmap(
        z=weights, colorscale=DIVERGING, zmid=0, zmin=-top, zmax=top,
        colorbar=dict(title="weight", thickness=12),
        hovertemplate="row %{y}, column %{x}<br>weight %{z:.3f}<extra></extra>",
    ))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", scaleratio=1, constrain="domain")
    fig.update_layout(title=title, height=height, margin=dict(l=4, r=4, t=30 if title else 4, b=4),
                      plot_bgcolor="rgba(0,0,0,0)", dragmode=False)
    return fig


def top_images_figure(images: np.ndarray, values: np.ndarray, ids: Sequence[int], cols: int = 8) -> go.Figure:
    """The images (k, 28, 28) that excite a unit most, each captioned with the unit's activation."""
    return image_grid(np.asarray(images), titles=[f"{v:.2f}" for v in values], ids=ids, cols=cols)


def threshold_figure(thresholds: np.ndarray, coverage: np.ndarray, accuracy: np.ndarray,
                     threshold: float | None = None, height: int = 400) -> go.Figure:
    """Coverage (top panel, 0-100%) and accuracy of the answered images (bottom panel) against τ.

    Two panels over one x axis rather than two y axes on one plot: accuracy moves within a few
    percent while coverage spans 0 to 100%, and on twin axes its line would seem to climb from
    the bottom of the chart. Each panel's axis says its own range; a dotted line marks ``threshold``.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.16, row_heights=[0.5, 0.5],
                        subplot_titles=("Coverage: share of images answered", "Accuracy of the answers"))
    fig.add_trace(go.Scatter(x=thresholds, y=coverage, name="coverage", mode="lines", showlegend=False,
                             line=dict(color=COVERAGE_COLOUR, width=2.5),
                             hovertemplate="threshold %{x:.2f}<br>coverage %{y:.1%}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=thresholds, y=accuracy, name="accuracy of the answers", mode="lines", showlegend=False,
                             line=dict(color=ACCURACY_COLOUR, width=2.5),
                             hovertemplate="threshold %{x:.2f}<br>accuracy %{y:.2%}<extra></extra>"), row=2, col=1)
    if threshold is not None:
        for row in (1, 2):
            fig.add_vline(x=threshold, line=dict(color="#6b7280", dash="dot", width=1), row=row, col=1)
        fig.add_annotation(x=threshold, y=0, xref="x2", yref="y2 domain", text=f"τ = {threshold:.2f}",
                           showarrow=False, xanchor="left", yanchor="bottom", xshift=3, font_size=10)
    acc = np.asarray(accuracy, dtype=float)
    acc = acc[np.isfinite(acc)]
    low = float(acc.min()) if acc.size else 0.0
    pad = max((1.0 - low) * 0.1, 0.002)
    bottom = max(0.0, low - pad)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(tickformat=".1%" if 1 - bottom < 0.1 else ".0%", range=[bottom, 1 + pad / 4], row=2, col=1)
    fig.update_xaxes(range=[0, 1], row=1, col=1)
    fig.update_xaxes(title_text="confidence threshold τ", range=[0, 1], row=2, col=1)
    for title in ("Coverage: share of images answered", "Accuracy of the answers"):
        fig.update_annotations(font_size=12, selector=dict(text=title))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def confidence_histogram(confidence: np.ndarray, correct: np.ndarray, threshold: float | None = None,
                         bins: int = 40, height: int = 300) -> go.Figure:
    """How sure the model is (top probability per image): right and wrong answers side by side.

    Counts on a log axis, because most right answers pile up near 1 while the wrong ones are a
    few dozen: side by side (never stacked, which a log axis would misstate), each bar is its
    own count. The τ label sits inside the plot's top, clear of the tick labels.
    """
    confidence, correct = np.asarray(confidence), np.asarray(correct, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure()
    for name, mask, colour in (("right", correct, COVERAGE_COLOUR), ("wrong", ~correct, "#dc2626")):
        counts, _ = np.histogram(confidence[mask], bins=edges)
        fig.add_trace(go.Bar(x=centres, y=counts, name=name, marker_color=colour,
                             hovertemplate=f"{name}: %{{y:,}} images<br>confidence ≈ %{{x:.3f}}<extra></extra>"))
    if threshold is not None:
        fig.add_vline(x=threshold, line=dict(color="#6b7280", dash="dot", width=1))
        fig.add_annotation(x=threshold, y=1, xref="x", yref="paper", yanchor="top", showarrow=False,
                           text="← not sure | answered →", font_size=10, bgcolor="rgba(128,128,128,0.15)")
    fig.update_layout(barmode="group", bargap=0.1, bargroupgap=0, height=height, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis=dict(title="confidence (top probability)", range=[0, 1]),
                      yaxis=dict(title="images (log scale)", type="log", dtick=1),   # ticks at 1, 10, 100, ...
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return fig


def confusion_change_figure(before: np.ndarray, after: np.ndarray, class_names: Sequence[str],
                            height: int = 420) -> go.Figure:
    """After minus before of two confusion matrices (k, k), coloured by whether the change helps.

    A cell's text is the signed change in images. Its colour is that change counted as good
    (blue: more right answers on the diagonal, fewer mistakes off it) or bad (red), so the
    cells where an edit hurts stand out whichever side of the diagonal they are on.
    """
    before, after = np.asarray(before), np.asarray(after)
    if before.shape != after.shape or before.ndim != 2 or before.shape[0] != before.shape[1]:
        raise ValueError(f"two square confusion matrices of one shape expected; got {before.shape} and {after.shape}")
    diff = after - before
    k = len(diff)
    good = np.where(np.eye(k, dtype=bool), diff, -diff)
    top = max(int(np.abs(diff).max()), 1)
    names = [str(c) for c in class_names][:k] + [str(c) for c in range(len(class_names), k)]
    text = np.where(diff == 0, "", np.char.mod("%+d", diff))
    fig = go.Figure(go.Heatmap(
        z=good, x=names, y=names, text=text, texttemplate="%{text}", textfont=dict(size=12),
        colorscale="RdBu", zmid=0, zmin=-top, zmax=top, showscale=False,
        customdata=np.stack([before, after, diff], axis=-1),
        hovertemplate=("true %{y}, predicted %{x}<br>%{customdata[0]} → %{customdata[1]} images "
                       "(%{customdata[2]:+d})<extra></extra>"),
    ))
    fig.update_xaxes(title="predicted class", type="category", side="top")
    fig.update_yaxes(title="true class", type="category", autorange="reversed")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=60, b=10))
    return fig
