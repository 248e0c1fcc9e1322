"""Figures of a training run: learning curves, runs compared, and what the trained network does.

Arrays in, ``go.Figure`` out; nothing here knows about Streamlit. A run's curve is a plain
mapping of equal-length lists, one entry per progress event (see ``mnistcore.train.Progress``):

    curve = {"epoch": [0.1, 0.2, ..., 1.0, ...],      # epoch_fraction of the event
             "kind": ["step", "step", ..., "epoch", ...],
             "train_loss": [...], "train_accuracy": [...],
             "test_loss": [... or None], "test_accuracy": [... or None],
             "val_loss": [... or None], "val_accuracy": [... or None]}

"step" points are the mean over the batches since the previous point (dropout on, weights
moving), "epoch" points score the network as it stands at the end of an epoch (dropout off).
The two measure different things, so the curves keep them in separate traces.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .dataset import image_grid, mosaic

__all__ = [
    "CURVE_KEYS", "empty_curve", "accuracy_range", "loss_scale", "learning_curves", "runs_overlay", "confusion_figure",
    "per_class_figure", "mistakes_figure", "weights_figure", "tile_weights",
]

CURVE_KEYS = ("epoch", "kind", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
              "val_loss", "val_accuracy")
METRICS = ("loss", "accuracy")
SPLIT_NAMES = {"train": "train", "test": "test", "val": "validation"}
COLOURS = {"train": "#2563eb", "test": "#ea580c", "val": "#16a34a"}
RUN_COLOURS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04",
               "#db2777", "#6b7280", "#65a30d")  # every one reads on a light and a dark theme
DIVERGING = "RdBu_r"  # blue = negative weight, white = 0, red = positive
MIN_ACCURACY_SPAN = 0.10   # an accuracy axis is at least 10 percentage points tall
MUTED = "rgba(128, 128, 128, 0.25)"   # the right answers: grey on light and dark themes alike
MISTAKES = [[0, "rgba(220, 38, 38, 0)"], [1, "rgba(220, 38, 38, 1)"]]   # none: transparent; most: red
CLIP_FACTOR = 3.0          # a loss over 3x the 90th percentile would flatten the rest: clip it


def empty_curve() -> dict[str, list]:
    """A curve with no points yet (the shape every builder here reads)."""
    return {k: [] for k in CURVE_KEYS}


def _points(curve: Mapping[str, Sequence], y_key: str, kinds: tuple[str, ...]) -> tuple[list, list]:
    """(x, y) of the events of `kinds` whose `y_key` value is a finite number."""
    xs, ys = [], []
    for x, kind, y in zip(curve["epoch"], curve["kind"], curve[y_key]):
        if kind in kinds and y is not None and math.isfinite(y):
            xs.append(x)
            ys.append(y)
    return xs, ys


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")


def accuracy_range(values: Sequence[float]) -> list[float]:
    """The y range of an accuracy chart: 0-100% with no points, else the points within [0, 1].

    At least 10 percentage points tall, so a flat run (a diverged one sitting at 8-9%) is not
    blown up into ticks like "9%, 8%, 8%", and never past 0 or 100%.
    """
    ys = [v for v in values if v is not None and math.isfinite(v)]
    if not ys:
        return [0.0, 1.0]
    lo, hi = min(ys), max(ys)
    pad = max(0.05 * (hi - lo), 0.005)
    bottom = max(0.0, min(lo - pad, hi - MIN_ACCURACY_SPAN))
    return [bottom, min(1.0, max(hi + pad, bottom + MIN_ACCURACY_SPAN))]


def loss_scale(values: Sequence[float]) -> tuple[str, list[float] | None, float | None]:
    """How to draw losses: (axis type, range, clipped_at).

    - no points: linear from 0 to ln 10 = 2.30 (a uniform guess's cross-entropy, where runs start);
    - spanning more than two decades (a diverged run next to its start): log, so both show;
    - one point far above the rest (the largest over ``CLIP_FACTOR`` times the 90th percentile):
      linear from 0, clipped just above the 90th percentile (``clipped_at``; the page notes it);
    - otherwise linear from 0 to just above the largest point.
    Log axes take their range as powers of ten (Plotly's convention).
    """
    ys = np.array([v for v in values if v is not None and math.isfinite(v) and v >= 0], dtype=float)
    if ys.size == 0:
        return "linear", [0.0, math.log(10)], None
    hi = float(ys.max())
    positive = ys[ys > 0]
    if positive.size and hi / float(positive.min()) > 100:
        return "log", [math.log10(positive.min()) - 0.1, math.log10(hi) + 0.1], None
    typical = float(np.quantile(ys, 0.9))
    if ys.size >= 5 and typical > 0 and hi > CLIP_FACTOR * typical:
        top = 1.25 * typical
        return "linear", [0.0, top], top
    return "linear", [0.0, 1.05 * hi if hi > 0 else 1.0], None


def _stagger(changes: Sequence[tuple[float, str]], span: float) -> list[tuple[float, str, int]]:
    """(x, text, level) per mark: marks at one x share a label; marks closer than a tenth of the
    axis to the previous label go one line lower (levels 0, 1, 2, then back to 0)."""
    merged: list[list] = []
    for at, text in sorted(changes, key=lambda c: c[0]):
        if merged and abs(at - merged[-1][0]) <= 1e-9 * max(span, 1):
            merged[-1][1] += f"; {text}"
        else:
            merged.append([at, text])
    out, last_at, level = [], None, 0
    for at, text in merged:
        level = (level + 1) % 3 if last_at is not None and at - last_at < 0.1 * span else 0
        out.append((at, text, level))
        last_at = at
    return out


def learning_curves(
    curve: Mapping[str, Sequence],
    metric: str = "loss",
    epochs: float | None = None,
    changes: Sequence[tuple[float, str]] = (),
    height: int = 340,
) -> go.Figure:
    """Train, test (and validation) `metric` ("loss" or "accuracy") against epochs.

    `epochs` fixes the x axis to [0, epochs]: a live chart passes the planned epochs so it fills
    in rather than rescales, a finished one what was trained. `changes` are (epoch_fraction,
    text) marks such as ``Trainer.changes``, drawn as dotted vertical lines with staggered labels.
    The y axis is chosen to show the data (see ``accuracy_range`` and ``loss_scale``); a clipped
    loss says so in a note. ``uirevision`` keeps the visitor's zoom while the chart is redrawn.
    """
    _check_metric(metric)
    fig = go.Figure()
    shown: list[float] = []
    x, y = _points(curve, f"train_{metric}", ("step",))
    shown += y
    fig.add_trace(go.Scatter(
        x=x, y=y, name="train (recent batches)", mode="lines",
        line=dict(color=COLOURS["train"], width=1), opacity=0.45,
        hovertemplate="epoch %{x:.2f}<br>train batches: %{y:.4f}<extra></extra>",
    ))
    x, y = _points(curve, f"train_{metric}", ("epoch",))
    shown += y
    fig.add_trace(go.Scatter(
        x=x, y=y, name="train", mode="lines+markers", line=dict(color=COLOURS["train"], width=2.5),
        hovertemplate="epoch %{x:.0f}<br>train: %{y:.4f}<extra></extra>",
    ))
    x, y = _points(curve, f"test_{metric}", ("step", "epoch"))
    shown += y
    kinds = [k for k, v in zip(curve["kind"], curve[f"test_{metric}"])
             if k in ("step", "epoch") and v is not None and math.isfinite(v)]
    fig.add_trace(go.Scatter(
        x=x, y=y, name="test", mode="lines+markers", line=dict(color=COLOURS["test"], width=2.5),
        marker=dict(size=[8 if k == "epoch" else 4 for k in kinds]),
        hovertemplate="epoch %{x:.2f}<br>test: %{y:.4f}<extra></extra>",
    ))
    x, y = _points(curve, f"val_{metric}", ("epoch",))
    shown += y
    if x:
        fig.add_trace(go.Scatter(
            x=x, y=y, name="validation", mode="lines+markers",
            line=dict(color=COLOURS["val"], width=2, dash="dash"),
            hovertemplate="epoch %{x:.0f}<br>validation: %{y:.4f}<extra></extra>",
        ))
    xs = [v for v in curve["epoch"] if v is not None and math.isfinite(v)]
    span = float(epochs) if epochs else max(xs + [at for at, _ in changes] + [1.0])
    kind, y_range, clipped_at = loss_scale(shown) if metric == "loss" else ("linear", accuracy_range(shown), None)
    below = 1 if clipped_at is not None else 0   # the clipping note takes the top line
    for at, text, level in _stagger(changes, span):
        fig.add_vline(x=at, line=dict(color="#6b7280", dash="dot", width=1))
        fig.add_annotation(x=at, y=1 - 0.09 * (level + below), xref="x", yref="paper", text=text, showarrow=False,
                           xanchor="left", yanchor="top", xshift=2, font_size=10, bgcolor="rgba(128,128,128,0.12)")
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10), uirevision=metric,
        title=dict(text=metric.capitalize(), x=0, font_size=15),
        # under the chart: at the top right, Plotly's toolbar would cover it on a phone
        legend=dict(orientation="h", y=-0.18, yanchor="top", x=0, xanchor="left"),
        xaxis_title=dict(text="epoch", standoff=4), yaxis_title=metric,
    )
    fig.update_xaxes(range=[0, span] if epochs or not xs else None)
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%", range=y_range)
    else:
        fig.update_yaxes(type=kind, range=y_range)
        if kind == "log":
            fig.update_yaxes(title="loss (log scale)")
        if clipped_at is not None:
            over = max(v for v in shown)
            fig.add_annotation(x=1, y=1, xref="paper", yref="paper", xanchor="right", yanchor="top",
                               showarrow=False, font_size=10, bgcolor="rgba(128,128,128,0.12)",
                               text=f"clipped at {clipped_at:.3g}: the highest point is {over:.3g}")
    return fig


def runs_overlay(
    runs: Sequence[tuple[str, Mapping[str, Sequence]]], metric: str = "accuracy", split: str = "test",
    height: int = 360,
) -> go.Figure:
    """One line per run: its `split` ("train", "test" or "val") `metric` against epochs.

    Test points come from every event that scored the test set (a fixed fifth of it within
    an epoch, all of it at an epoch's end); train and validation ones from epoch ends.
    """
    _check_metric(metric)
    if split not in SPLIT_NAMES:
        raise ValueError(f"split must be train, test or val; got {split!r}")
    kinds = ("step", "epoch") if split == "test" else ("epoch",)
    fig = go.Figure()
    shown: list[float] = []
    for k, (name, curve) in enumerate(runs):
        x, y = _points(curve, f"{split}_{metric}", kinds)
        shown += y
        fig.add_trace(go.Scatter(
            x=x, y=y, name=name, mode="lines+markers", marker=dict(size=4),
            line=dict(color=RUN_COLOURS[k % len(RUN_COLOURS)], width=2),
            hovertemplate=f"{name}<br>epoch %{{x:.2f}}<br>{split} {metric}: %{{y:.4f}}<extra></extra>",
        ))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10),
        title=dict(text=f"{SPLIT_NAMES[split].capitalize()} {metric} of each run", x=0, font_size=15),
        xaxis_title="epoch", yaxis_title=f"{split} {metric}", legend=dict(title="run"),
    )
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".0%", range=accuracy_range(shown))
    else:   # a diverged run beside good ones: log; one spike: the log axis too, nothing is hidden
        kind, y_range, clipped_at = loss_scale(shown)
        if clipped_at is not None:
            kind, y_range = "log", None
        fig.update_yaxes(type=kind, range=y_range, title=f"{split} loss" + (" (log scale)" if kind == "log" else ""))
    return fig


def confusion_figure(cm: np.ndarray, class_names: Sequence[str], rates: bool = False,
                     height: int = 480) -> go.Figure:
    """Heatmap of a confusion matrix of shape (k, k): row = true class, column = predicted.

    Only the mistakes are coloured: at 98% right the diagonal would take the whole colour scale
    and leave every mistake white. Off the diagonal, colour is the row rate (share of each true
    class given each wrong answer, so a rare class's mistakes show as clearly as a common one's)
    on a scale that runs from 0 (transparent, so the chart follows the theme) to the largest
    mistake rate. The diagonal, the right answers, is left uncoloured on grey squares, with its
    number. The cells' text is the count, or with `rates` the rate in percent.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix must be square; got shape {cm.shape}")
    k = len(cm)
    names = [str(c) for c in class_names][:k]
    names += [str(c) for c in range(len(names), k)]
    totals = cm.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(totals > 0, cm / np.maximum(totals, 1), np.nan)
    text = np.where(np.isnan(rate), "", np.char.mod("%.1f%%", 100 * np.nan_to_num(rate))) if rates \
        else cm.astype(str)
    mistakes = np.where(np.eye(k, dtype=bool), np.nan, rate)
    top = float(np.nanmax(mistakes)) if np.isfinite(mistakes).any() else 0.0
    top = top if top > 0 else 1.0
    fig = go.Figure(go.Heatmap(
        z=mistakes, x=names, y=names, text=text, texttemplate="%{text}", textfont=dict(size=11),
        colorscale=MISTAKES, zmin=0, zmax=top, customdata=cm,
        colorbar=dict(title=dict(text="mistakes: share of the true class", side="right"),   # Plotly ignores <br> here
                      tickformat=".1%" if top < 0.1 else ".0%"),
        hovertemplate="true %{y}, predicted %{x}<br>%{customdata:,} images<extra></extra>",
    ))
    for c in range(k):   # the right answers: grey squares under the (uncoloured) diagonal
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=c - 0.5, y1=c + 0.5, xref="x", yref="y",
                      fillcolor=MUTED, line_width=0, layer="below")
    fig.update_xaxes(title="predicted class", type="category", side="top", showgrid=False)
    fig.update_yaxes(title="true class", type="category", autorange="reversed", showgrid=False)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=60, b=10))
    return fig


def per_class_figure(accuracy: np.ndarray, class_names: Sequence[str], height: int = 340) -> go.Figure:
    """Bars of each class's accuracy (recall), shape (k,); the weakest class in another colour.

    The axis ends at 100% (nothing is more than all right); it starts a little under the weakest
    class so the differences show; each bar's value is written above it (in the top margin for a
    bar at 100%, since the chart does not clip its texts).
    """
    accuracy = np.asarray(accuracy, dtype=float)
    names = [str(c) for c in class_names][:len(accuracy)]
    names += [str(c) for c in range(len(names), len(accuracy))]
    colours = [COLOURS["train"]] * len(accuracy)
    if np.isfinite(accuracy).any():
        colours[int(np.nanargmin(accuracy))] = COLOURS["test"]
    finite = accuracy[np.isfinite(accuracy)]
    low = max(0.0, math.floor((finite.min() if finite.size else 0.0) * 20) / 20 - 0.05)
    fig = go.Figure(go.Bar(
        # Numbers without "%" (the axis says it): ten "98.1%" labels overlap on a narrow chart.
        x=names, y=accuracy, marker_color=colours, text=[f"{100 * a:.1f}" if math.isfinite(a) else "n/a" for a in accuracy],
        textposition="outside", cliponaxis=False, textfont=dict(size=11),   # in the margin above 100%
        hovertemplate="class %{x}: %{y:.2%} right<extra></extra>",
    ))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=36, b=10), uniformtext=dict(minsize=9, mode="show"),
                      xaxis=dict(title="true class", type="category"),
                      yaxis=dict(title="accuracy (%)", tickformat=".0%", range=[low, 1.0]))
    return fig


def _short(name: str, limit: int = 7) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"


def mistakes_figure(images: np.ndarray, y_true: Sequence[int], y_pred: Sequence[int],
                    confidence: Sequence[float], class_names: Sequence[str], cols: int = 6,
                    ids: Sequence[int] | None = None) -> go.Figure:
    """The given wrong answers as a grid of images (n, 28, 28) captioned "true→said confidence".

    Six columns and no spaces in "3→7 86%": on a 390 px phone a caption must fit in a tile's
    60 px (Plotly's captions keep their font size when the chart shrinks).
    """
    names = [str(c) for c in class_names]

    def name(c: int) -> str:
        return _short(names[c]) if c < len(names) else str(c)

    titles = [f"{name(int(t))}→{name(int(p))} {c:.0%}" for t, p, c in zip(y_true, y_pred, confidence)]
    return image_grid(np.asarray(images), titles=titles, ids=ids, cols=cols)


def tile_weights(W: np.ndarray, n: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `n` columns of `W` (784, h) as 28x28 images, each scaled by its largest |w|.

    Returns (mosaic of shape (rows*29-1, cols*29-1) in [-1, 1] with NaN gaps, scales (n,)).
    Scaling each unit on its own shows its pattern whatever its overall size; the scale is
    kept for the hover text.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != 784:
        raise ValueError(f"first-layer weights must have shape (784, units); got {W.shape}")
    n = min(n, W.shape[1])
    units = W[:, :n].T
    scales = np.abs(units).max(axis=1)
    safe = np.where(scales > 0, scales, 1.0)
    images = (units / safe[:, None]).reshape(n, 28, 28)
    return mosaic(images, cols), scales


def weights_figure(W: np.ndarray, n: int = 32, cols: int = 8, unit_name: str = "unit",
                   width_px: int = 800) -> go.Figure:
    """First-layer weights W of shape (784, h): the first `n` units' 784 weights as 28x28 images.

    Red pixels push the unit up when ink is there, blue ones push it down: each image is the
    pattern of ink the unit responds to. Diverging colours centred on 0.
    """
    z, scales = tile_weights(W, n, cols)
    shown = len(scales)
    cols = min(cols, max(shown, 1))
    gap = 1
    owner = np.full(z.shape, -1, dtype=np.int64)
    for k in range(shown):
        r, c = divmod(k, cols)
        owner[r * (28 + gap): r * (28 + gap) + 28, c * (28 + gap): c * (28 + gap) + 28] = k
    scale_of = np.where(owner >= 0, scales[np.maximum(owner, 0)] if shown else 0.0, np.nan)
    fig = go.Figure(go.Heatmap(
        z=z, colorscale=DIVERGING, zmid=0, zmin=-1, zmax=1, hoverongaps=False,
        customdata=np.stack([owner, scale_of], axis=-1),
        colorbar=dict(title="w / max|w|", thickness=12),
        hovertemplate=f"{unit_name} %{{customdata[0]}}<br>weight %{{z:.2f}} × %{{customdata[1]:.3g}}<extra></extra>",
    ))
    px_per_cell = width_px / max(z.shape[1], 1)
    fig.update_xaxes(visible=False, range=[-0.5, z.shape[1] - 0.5], constrain="domain")
    fig.update_yaxes(visible=False, range=[z.shape[0] - 0.5, -0.5], scaleanchor="x", scaleratio=1,
                     constrain="domain")
    fig.update_layout(height=int(px_per_cell * z.shape[0]) + 10, margin=dict(l=4, r=4, t=4, b=4),
                      plot_bgcolor="rgba(0,0,0,0)", dragmode=False)
    return fig
