"""Figures of what goes on inside training: gradient flow, dead units, capacity, overfitting,
learning-rate schedules, augmentation and robustness.

Arrays in, ``go.Figure`` out; nothing here knows about Streamlit or trains anything. The
records come from ``mnistcore.diagnostics`` and ``mnistcore.robustness``; these functions take
their arrays so that a notebook can feed them numbers of its own.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from .dataset import image_grid

COLORS = qualitative.Plotly
TRAIN_COLOR, VAL_COLOR, BEST_COLOR = "#636efa", "#ef553b", "#00a36c"

__all__ = [
    "gradient_flow_figure", "dead_units_figure", "capacity_figure", "fit_curves_figure",
    "schedules_figure", "augmentation_figure", "robustness_figure", "perturbation_strip",
]


def _legend_on_top(fig: go.Figure) -> go.Figure:
    return fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0))


def gradient_flow_figure(runs: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> go.Figure:
    """Mean |dW| per layer along each run, one panel per run, one line per layer, log scale.

    ``runs`` maps a panel title to (epoch_fraction of shape (k,), grad_norms of shape (k, L)).
    The panels share the y axis, so a line lower in one panel really is a smaller gradient.
    """
    # A title of two short lines ("5 sigmoid layers,<br>Xavier init"): at 390 px one line overlaps the next panel's.
    fig = make_subplots(rows=1, cols=len(runs), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[t.replace(", ", ",<br>", 1) for t in runs])
    for col, (when, norms) in enumerate(runs.values(), start=1):
        norms = np.asarray(norms)
        for l in range(norms.shape[1]):
            name = "output layer" if l == norms.shape[1] - 1 else f"layer {l + 1}"
            fig.add_trace(go.Scatter(
                x=np.asarray(when), y=norms[:, l], mode="lines", name=name, legendgroup=name,
                showlegend=col == 1, line=dict(color=COLORS[l % len(COLORS)], width=2),
                hovertemplate=f"{name}<br>epoch %{{x:.2f}}<br>mean |dW| %{{y:.2e}}<extra></extra>",
            ), row=1, col=col)
        fig.update_xaxes(title_text="epoch", row=1, col=col)
    fig.update_yaxes(type="log", exponentformat="power")  # every panel: shared range, not shared type
    fig.update_yaxes(title_text="mean |dW| (log scale)", row=1, col=1)
    fig.update_layout(height=420, margin=dict(t=120, b=10, l=10, r=10))
    return _legend_on_top(fig).update_layout(legend_y=1.22)   # clear of the two-line panel titles


def dead_units_figure(shares: Mapping[str, np.ndarray]) -> go.Figure:
    """Share of dead units in each hidden layer, one group of bars per layer, one bar per model.

    ``shares`` maps a model's name to an array of shape (n_hidden,) of shares in [0, 1].
    """
    fig = go.Figure()
    for k, (name, share) in enumerate(shares.items()):
        share = np.asarray(share, dtype=float)
        fig.add_trace(go.Bar(
            x=[f"layer {l + 1}" for l in range(len(share))], y=100 * share, name=name,
            marker_color=COLORS[k % len(COLORS)],
            hovertemplate=f"{name}<br>%{{x}}: %{{y:.1f}}% dead<extra></extra>",
        ))
    fig.update_layout(barmode="group", yaxis_title="dead units (%)", yaxis_range=[0, 100],
                      height=320, margin=dict(t=40, b=10, l=10, r=10))
    return _legend_on_top(fig)


def capacity_figure(widths: Sequence[int], test_accuracy: Sequence[float | None],
                    train_accuracy: Sequence[float], train_seconds: Sequence[float]) -> go.Figure:
    """Accuracy (left) and training time (right) against the hidden layer's width (log 2 axis)."""
    widths = np.asarray(widths)
    test = np.array([np.nan if a is None else a for a in test_accuracy], dtype=float)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("accuracy", "training time"),
                        horizontal_spacing=0.1)
    fig.add_trace(go.Scatter(x=widths, y=100 * np.asarray(train_accuracy), name="train",
                             mode="lines+markers", line_color=TRAIN_COLOR,
                             hovertemplate="width %{x}: %{y:.2f}% on training images<extra></extra>"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=widths, y=100 * test, name="test", mode="lines+markers",
                             line_color=VAL_COLOR,
                             hovertemplate="width %{x}: %{y:.2f}% on test images<extra></extra>"),
                  row=1, col=1)
    fig.add_trace(go.Bar(x=[str(w) for w in widths], y=np.asarray(train_seconds), name="seconds",
                         marker_color="#7f7f7f", showlegend=False,
                         hovertemplate="width %{x}: %{y:.2f} s<extra></extra>"), row=1, col=2)
    fig.update_xaxes(type="log", tickvals=widths, ticktext=[str(w) for w in widths],
                     title_text="hidden units", row=1, col=1)
    fig.update_xaxes(type="category", title_text="hidden units", row=1, col=2)
    fig.update_yaxes(title_text="accuracy (%)", row=1, col=1)
    fig.update_yaxes(title_text="seconds of training", row=1, col=2)
    fig.update_layout(height=360, margin=dict(t=70, b=10, l=10, r=10))
    return _legend_on_top(fig)


def fit_curves_figure(epoch: np.ndarray, train_loss: np.ndarray, val_loss: np.ndarray,
                      train_accuracy: np.ndarray, val_accuracy: np.ndarray,
                      best_epoch: int, stop_epoch: int | None = None) -> go.Figure:
    """Train and validation loss (left) and accuracy (right) by epoch, the best validation epoch
    (lowest validation loss) marked with a star and a dotted line.

    With ``stop_epoch`` the epochs after it are shaded: a run with early stopping would not
    have trained them, and would have gone back to the weights of ``best_epoch``.
    """
    epoch = np.asarray(epoch)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss (cross-entropy)", "accuracy (%)"),
                        horizontal_spacing=0.08)
    shade = stop_epoch is not None and stop_epoch < epoch[-1]
    for col, (train, val, scale) in enumerate(((train_loss, val_loss, 1), (train_accuracy, val_accuracy, 100)),
                                              start=1):
        for name, y, color in (("train", train, TRAIN_COLOR), ("validation", val, VAL_COLOR)):
            fig.add_trace(go.Scatter(x=epoch, y=scale * np.asarray(y), name=name, mode="lines+markers",
                                     line_color=color, marker_size=4, legendgroup=name, showlegend=col == 1),
                          row=1, col=col)
        if best_epoch:
            fig.add_trace(go.Scatter(
                x=[best_epoch], y=[scale * np.asarray(val)[best_epoch - 1]], mode="markers",
                name=f"lowest validation loss (epoch {best_epoch})", showlegend=col == 1,
                legendgroup="best", marker=dict(symbol="star", size=15, color=BEST_COLOR,
                                                line=dict(width=1, color="black")),
            ), row=1, col=col)
            fig.add_vline(x=best_epoch, line=dict(color=BEST_COLOR, dash="dot"), row=1, col=col)
        if shade:
            fig.add_vrect(x0=stop_epoch, x1=epoch[-1], fillcolor="grey", opacity=0.15, line_width=0,
                          row=1, col=col)
        fig.update_xaxes(title_text="epoch", row=1, col=col)
    if shade:
        fig.add_annotation(x=(stop_epoch + epoch[-1]) / 2, y=0.98, xref="x", yref="y domain",
                           text="skipped by<br>early stopping", showarrow=False, yanchor="top")
    fig.update_layout(height=380, margin=dict(t=80, b=10, l=10, r=10))
    return _legend_on_top(fig)


def schedules_figure(curves: Mapping[str, np.ndarray], highlight: str | None = None) -> go.Figure:
    """The learning rate of each epoch e = 0, 1, ... under each schedule (``curves``: name ->
    (epochs,) array), a step per epoch; ``highlight`` draws one schedule bolder."""
    fig = go.Figure()
    for k, (name, lr) in enumerate(curves.items()):
        lr = np.asarray(lr)
        fig.add_trace(go.Scatter(
            x=np.arange(len(lr)), y=lr, name=name, mode="lines+markers", line_shape="hv", marker_size=4,
            line=dict(color=COLORS[k % len(COLORS)], width=4 if name == highlight else 2),
            opacity=1.0 if highlight in (None, name) else 0.45,
            hovertemplate=f"{name}<br>epoch e = %{{x}}: lr %{{y:.3g}}<extra></extra>",
        ))
    fig.update_layout(xaxis_title="epoch e (counted from 0)", yaxis_title="learning rate", height=280,
                      margin=dict(t=40, b=10, l=10, r=10))
    return _legend_on_top(fig)


def augmentation_figure(grid: np.ndarray, labels: Sequence[str]) -> go.Figure:
    """Rows of (original, augmented copies...): ``grid`` of shape (n, 1 + copies, 28, 28)."""
    grid = np.asarray(grid)
    n, k = grid.shape[:2]
    titles = [f"{labels[i]}: original" if j == 0 else f"copy {j}" for i in range(n) for j in range(k)]
    return image_grid(grid.reshape(n * k, *grid.shape[2:]), titles=titles, cols=k,
                      zmax=255 if grid.dtype == np.uint8 else 1.0, width_px=520)


def robustness_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
                      axis_titles: Mapping[str, str] | None = None) -> go.Figure:
    """Accuracy against the size of each perturbation, one panel each.

    ``curves`` maps a perturbation's name to (levels of shape (k,), accuracy of shape (k,)).
    """
    fig = make_subplots(rows=1, cols=len(curves), shared_yaxes=True, subplot_titles=list(curves),
                        horizontal_spacing=0.04)
    for col, (kind, (levels, acc)) in enumerate(curves.items(), start=1):
        fig.add_trace(go.Scatter(
            x=np.asarray(levels), y=100 * np.asarray(acc), mode="lines+markers", name=kind,
            showlegend=False, line=dict(color=COLORS[col - 1], width=2),
            hovertemplate=f"{kind} %{{x:g}}: %{{y:.1f}}% correct<extra></extra>",
        ), row=1, col=col)
        fig.update_xaxes(title_text=(axis_titles or {}).get(kind, kind), tickvals=np.asarray(levels),
                         row=1, col=col)
    fig.update_yaxes(title_text="accuracy (%)", range=[0, 100], row=1, col=1)
    fig.update_layout(height=360, margin=dict(t=40, b=10, l=10, r=10))
    return fig


def perturbation_strip(images: np.ndarray, levels: Sequence[float], unit: str = "") -> go.Figure:
    """One image at each level of a perturbation, side by side: float (k, 28, 28) in [0, 1]."""
    titles = [f"{level:g}{unit}" for level in levels]
    return image_grid(np.asarray(images), titles=titles, cols=len(images), zmax=1.0, width_px=420)
