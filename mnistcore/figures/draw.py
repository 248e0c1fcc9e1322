"""Figures of one prediction: the probabilities, the 28x28 input, the hidden units and their weights.

Arrays in, ``go.Figure`` (or, for the two views redrawn at every stroke, HTML) out; nothing here
knows about Streamlit. Images are drawn with
``go.Heatmap`` on axes locked to equal aspect (one square cell per pixel, no smoothing), row 0 at
the top as in the array.
"""
from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from html import escape

import numpy as np
import plotly.graph_objects as go
from PIL import Image

DIVERGING = "RdBu_r"        # weights: red pulls a unit up where there is ink, blue pushes it down
TOP = "#e4572e"             # the bar of the predicted class / the most active units
REST = "#9aa5b1"

__all__ = ["probability_html", "input_html", "activation_figure", "unit_weights_figure"]


def _image_axes(fig: go.Figure, height: int) -> go.Figure:
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0))
    return fig


# The two views that follow the pen are HTML, not Plotly: the Draw page redraws them at every
# stroke, and a browser shows an <img> and ten <div>s at once where two Plotly charts took about
# 60 ms of script and 15 ms of figure building per stroke (benchmarks/bench_browser.py, Draw).

def probability_html(p: np.ndarray, class_names: Sequence[str] | None = None) -> str:
    """The class probabilities p, shape (k,), as k bars with their percentages; the top one highlighted.

    Class names may come from a visitor's own data set, so they are escaped.
    """
    p = np.asarray(p, dtype=float)
    names = list(class_names) if class_names is not None else [str(c) for c in range(len(p))]
    if len(names) != len(p):
        raise ValueError(f"{len(p)} probabilities but {len(names)} class names")
    top = int(p.argmax())
    bars = "".join(
        f'<div title="{escape(str(name))}: {q:.1%}" style="flex: 1; display: flex; flex-direction: column; '
        f'align-items: center; justify-content: flex-end; min-width: 0">'
        f'<span style="font-size: 0.75rem">{f"{q:.0%}" if q >= 0.005 else ""}</span>'
        f'<div style="width: 70%; height: {q * 140:.1f}px; background: {TOP if c == top else REST}"></div></div>'
        for c, (name, q) in enumerate(zip(names, p)))
    labels = "".join(
        f'<span style="flex: 1; min-width: 0; text-align: center; font-size: 0.8rem; overflow: hidden; '
        f'text-overflow: ellipsis; white-space: nowrap{"; font-weight: 700" if c == top else ""}">'
        f'{escape(str(name))}</span>' for c, name in enumerate(names))
    row = "display: flex; gap: 2px"
    return (f'<figure role="img" aria-label="probability of each class" style="margin: 0">'
            f'<div style="{row}; height: 160px; align-items: flex-end; border-bottom: 1px solid {REST}">{bars}</div>'
            f'<div style="{row}">{labels}</div>'
            f'<figcaption style="font-size: 0.8rem; opacity: 0.7">probability of each class</figcaption></figure>')


def input_html(x: np.ndarray, title: str = "what the network sees (28x28)", side: int = 224) -> str:
    """The 28x28 input x (float in [0, 1], ink = 1) as a side x side picture of crisp grey pixels."""
    x = np.asarray(x, dtype=float).reshape(28, 28)
    png = io.BytesIO()
    Image.fromarray(np.round(np.clip(x, 0, 1) * 255).astype(np.uint8)).save(png, format="PNG")
    src = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    return (f'<figure style="margin: 0"><img src="{src}" width="{side}" height="{side}" alt="{escape(title)}" '
            f'style="image-rendering: pixelated; display: block">'
            f'<figcaption style="font-size: 0.8rem; opacity: 0.7">{escape(title)}</figcaption></figure>')


def activation_figure(a: np.ndarray, top: Sequence[int] = (), layer: int = 1) -> go.Figure:
    """Every unit's activation in hidden layer ``layer`` for this input, a bar each (shape (h,)).

    The ``top`` units (shown as weight images below it) are highlighted; the title counts the
    units that are on at all, for ReLU typically a minority: each input lights up its own subset.
    """
    a = np.asarray(a, dtype=float)
    top = set(int(j) for j in top)
    on = int(np.count_nonzero(a > 0))
    fig = go.Figure(go.Bar(
        x=np.arange(a.size), y=a, marker_color=[TOP if j in top else REST for j in range(a.size)],
        marker_line_width=0, hovertemplate="unit %{x}: %{y:.3f}<extra></extra>",
    ))
    fig.update_xaxes(title=f"unit of hidden layer {layer}")
    fig.update_yaxes(title="activation a")
    fig.update_layout(title=dict(text=f"hidden layer {layer}: {on} of {a.size} units active", font_size=13),
                      height=240, margin=dict(l=0, r=0, t=30, b=0), bargap=0)
    return fig


def unit_weights_figure(W0: np.ndarray, units: Sequence[int], a: np.ndarray | None = None,
                        cols: int = 8, x: np.ndarray | None = None) -> go.Figure:
    """The incoming weights of first-layer ``units`` as 28x28 images, side by side.

    W0: first weight matrix, shape (784, h); column j is what unit j looks for in the picture.
    Each tile is scaled to its own largest |w| (one colour scale, -1..1, centred on 0), because
    units differ in overall weight size and the pattern is what matters. ``a`` (shape (h,)) puts
    each unit's activation in its tile title. With the input ``x`` (28x28) the tiles show w * x
    instead: each pixel's share of the unit's sum z = x . w + b, i.e. where this input's ink met
    the weights.
    """
    W0 = np.asarray(W0, dtype=float)
    units = [int(j) for j in units]
    n = len(units)
    if n == 0:
        raise ValueError("units must name at least one first-layer unit")
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    gap = 2
    tile = 28 + gap
    z = np.full((rows * tile - gap, cols * tile - gap), np.nan)
    annotations = []
    for k, j in enumerate(units):
        w = W0[:, j].reshape(28, 28) * (1.0 if x is None else np.asarray(x, dtype=float))
        scale = np.abs(w).max() or 1.0
        r, c = divmod(k, cols)
        z[r * tile:r * tile + 28, c * tile:c * tile + 28] = w / scale
        label = f"unit {j}" + (f": a={a[j]:.2f}" if a is not None else "")
        annotations.append(dict(x=c * tile + 13.5, y=r * tile - 1.5, text=label, showarrow=False,
                                font_size=10, yanchor="bottom", xref="x", yref="y"))
    fig = go.Figure(go.Heatmap(z=z, colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0,
                               colorbar=dict(title="w / max|w|" if x is None else "w*x / max", thickness=10),
                               hoverongaps=False, hovertemplate="%{z:.2f}<extra></extra>"))
    fig.update_layout(annotations=annotations)
    _image_axes(fig, 40 + rows * 130)
    fig.update_yaxes(range=[rows * tile - gap - 0.5, -5])   # room above each tile for its label
    return fig
