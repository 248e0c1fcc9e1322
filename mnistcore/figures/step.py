"""Figures of one training step (the One step page): the network diagram, long vectors as strips,
gradient images, and the probabilities of "teach it your digit".

Arrays in, ``go.Figure`` out; nothing here knows about Streamlit. The diagram draws every unit of
a narrow layer and, of a wide one, a sample (``shown_units``) plus a "+N more" note; each node
carries ``customdata = [layer, unit]`` so a page can let the visitor click one.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

PHASES = ("Forward", "Loss", "Backward", "Update")
DIVERGING = "RdBu_r"          # blue negative, white 0, red positive
HIGHLIGHT = "#e4572e"         # the selected unit, the label's class, the top entries
REST = "#9aa5b1"
OUTLINE = "#8a8a8a"           # a mid grey: unit rings and "+n more" read on a light and a dark theme
EDGE_BINS = 7                 # colour levels of the edges (one line trace per level)

__all__ = ["PHASES", "shown_units", "diagram_quantities", "network_figure", "strip_figure",
           "image_figure", "gradient_images_figure", "teach_figure"]


def shown_units(width: int, limit: int, rank: np.ndarray | None = None,
                keep: Sequence[int] = ()) -> np.ndarray:
    """Indices of the units of a ``width``-wide layer the diagram draws, ascending.

    All of them when ``width <= limit``; otherwise the ``limit`` with the largest ``rank``
    (e.g. |activation|; the first ones without it), always including the units in ``keep``.
    """
    if width <= limit:
        return np.arange(width)
    rank = np.zeros(width) if rank is None else np.abs(np.asarray(rank, dtype=float))
    keep = [int(k) for k in keep if 0 <= int(k) < width][:limit]
    order = [int(j) for j in np.argsort(-rank, kind="stable") if j not in keep]
    return np.sort(np.array(keep + order[:limit - len(keep)], dtype=int))


def diagram_quantities(phase: str, x: np.ndarray, z: Sequence[np.ndarray], a: Sequence[np.ndarray],
                       p: np.ndarray, delta: Sequence[np.ndarray], W: Sequence[np.ndarray],
                       dW: Sequence[np.ndarray], eta: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(node values per layer, edge values per layer pair) of one image for ``phase``.

    x (784,); z[l], delta[l] (width of layer l+1,); a[l] (width of layer l,), a[0] = x; p (k,);
    W[l], dW[l] (fan_in, fan_out). Forward: nodes are x, the hidden a and p, edge i->j carries
    a_i W_ij (what flows into unit j). Loss: the same nodes, the edges of the last layer only.
    Backward: nodes are delta (inputs: 0), edge i->j carries W_ij delta_j (what flows back to i).
    Update: nodes delta, edge i->j the change -eta dW_ij.
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}; got {phase!r}")
    L = len(W)
    if phase in ("Forward", "Loss"):
        nodes = [np.asarray(x), *[np.asarray(v) for v in a[1:]], np.asarray(p)]
        edges = [np.asarray(a[l])[:, None] * W[l] for l in range(L)]
        if phase == "Loss":
            edges = [np.zeros_like(e) for e in edges[:-1]] + edges[-1:]
    else:
        nodes = [np.zeros_like(np.asarray(x)), *[np.asarray(d) for d in delta]]
        edges = ([W[l] * np.asarray(delta[l])[None, :] for l in range(L)] if phase == "Backward"
                 else [-eta * np.asarray(g) for g in dW])
    return nodes, edges


def _unit_label(layer: int, n_layers: int, unit: int, class_names: Sequence[str] | None) -> str:
    if layer == 0:
        return f"pixel {unit} (row {unit // 28}, col {unit % 28})"
    if layer == n_layers - 1:
        return f"output {unit}" + (f" ({class_names[unit]})" if class_names else "")
    return f"hidden {layer} unit {unit}"


def network_figure(nodes: Sequence[np.ndarray], edges: Sequence[np.ndarray], units: Sequence[np.ndarray],
                   phase: str, selected: tuple[int, int] | None = None,
                   class_names: Sequence[str] | None = None, height: int = 520) -> go.Figure:
    """The network as layers of dots left to right, the quantity of ``phase`` on nodes and edges.

    nodes[l] (width_l,) and edges[l] (width_l, width_{l+1}) as ``diagram_quantities`` gives them;
    units[l] the indices drawn of layer l (``shown_units``). Colour: red positive, blue
    negative, each layer's nodes and each layer pair's edges scaled to their own largest |value| (the
    flows of different layers differ by orders of magnitude); edge width
    grows with |value|. ``selected`` (layer, unit) is ringed. A layer with undrawn units says
    "+N more" under it.
    """
    n_layers = len(units)
    if len(nodes) != n_layers or len(edges) != n_layers - 1:
        raise ValueError("one node vector per layer and one edge matrix per pair of layers")
    ys = [np.linspace(1, -1, len(u)) if len(u) > 1 else np.zeros(1) for u in units]
    levels = np.linspace(-1, 1, EDGE_BINS)
    colours = _colours(levels)
    level_of = []   # per layer pair: each drawn edge's colour level, -1 for edges too weak to draw
    for l, e in enumerate(edges):
        sub = e[np.ix_(units[l], units[l + 1])]
        sub = sub / (float(np.abs(sub).max(initial=0)) or 1.0)   # each pair of layers to its own scale
        level_of.append(np.where(np.abs(sub) > 0.02, np.abs(sub[..., None] - levels).argmin(axis=-1), -1))
    traces = []
    for k, level in enumerate(levels):
        seg_x, seg_y = [], []   # one (start, end, NaN) triple per edge: NaN breaks the line between edges
        for l, lv in enumerate(level_of):
            i, j = np.nonzero(lv == k)
            gap = np.full(len(i), np.nan)
            seg_x.append(np.column_stack([np.full(len(i), l), np.full(len(i), l + 1), gap]).ravel())
            seg_y.append(np.column_stack([ys[l][i], ys[l + 1][j], gap]).ravel())
        if sum(len(sx) for sx in seg_x):   # arrays, not lists: Plotly checks a list element by element
            traces.append(go.Scatter(x=np.concatenate(seg_x), y=np.concatenate(seg_y), mode="lines", hoverinfo="skip",
                                     showlegend=False, line=dict(color=colours[k], width=0.6 + 2.4 * abs(level))))
    xs, yv, colour, text, custom, ring = [], [], [], [], [], []
    for l, u in enumerate(units):
        v = np.asarray(nodes[l], dtype=float)[u]
        scale = float(np.abs(v).max(initial=0)) or 1.0
        for k, j in enumerate(u):
            xs.append(l)
            yv.append(ys[l][k])
            colour.append(v[k] / scale)
            text.append(f"{_unit_label(l, n_layers, int(j), class_names)}<br>value {v[k]:.4g}")
            custom.append([l, int(j)])
            ring.append(selected == (l, int(j)))
    traces.append(go.Scatter(
        # customdata stays a list: a typed array does not reach the click event as [layer, unit]
        x=np.array(xs), y=np.array(yv), mode="markers", customdata=custom, text=text,
        hovertemplate="%{text}<extra></extra>",
        marker=dict(size=[18 if r else 12 for r in ring], color=colour, colorscale=DIVERGING, cmin=-1, cmax=1,
                    line=dict(color=[HIGHLIGHT if r else OUTLINE for r in ring], width=[4 if r else 1 for r in ring])),
        showlegend=False, name="units"))
    fig = go.Figure(traces)   # one figure from all traces: add_trace validates the figure each time
    widths = [len(np.asarray(n)) for n in nodes]
    names = ["input x"] + [f"hidden {l}" for l in range(1, n_layers - 1)] + ["output"]
    annotations = [dict(x=l, y=1.18, text=f"<b>{names[l]}</b> ({widths[l]})", showarrow=False)
                   for l in range(n_layers)]
    annotations += [dict(x=l, y=-1.16, text=f"+{widths[l] - len(u)} more", showarrow=False, font_color=OUTLINE)
                    for l, u in enumerate(units) if widths[l] > len(u)]
    if class_names:   # output class names beside their dots
        out = n_layers - 1
        annotations += [dict(x=out + 0.08, y=ys[out][k], text=class_names[int(j)], showarrow=False, xanchor="left")
                        for k, j in enumerate(units[out])]
    # The phase is named in the layout's meta, not in a title: the page names it above the chart, and
    # a title changed by quick fragment reruns (Play) was left drawn over its successor.
    fig.update_layout(meta={"phase": phase}, height=height, annotations=annotations,
                      margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="rgba(0,0,0,0)", clickmode="event+select",
                      dragmode=False)
    fig.update_xaxes(visible=False, range=[-0.3, n_layers - 0.6])
    fig.update_yaxes(visible=False, range=[-1.25, 1.25])
    return fig


def _colours(levels: np.ndarray) -> list[str]:
    """RdBu-like colours for values in [-1, 1]: blue, light gray at 0, red."""
    out = []
    for t in levels:
        base, target = np.array([200, 200, 200]), np.array([178, 24, 43]) if t > 0 else np.array([33, 102, 172])
        r, g, b = (base + abs(t) * (target - base)).astype(int)
        out.append(f"rgb({r},{g},{b})")
    return out


def strip_figure(v: np.ndarray, title: str, top: int = 5, labels: Sequence[str] | None = None,
                 highlight: int | None = None, height: int = 170, mark: np.ndarray | None = None) -> go.Figure:
    """A long vector v (n,) as a compact bar strip, its ``top`` largest |entries| written as numbers.

    ``labels`` names the entries (default: their index); ``highlight`` colours one bar (the label),
    ``mark`` (n,) of bools the bars it is True for (e.g. the units that are on), else the top
    entries are coloured. The numbers are annotations (bar texts shrink to the width
    of a bar, unreadable among 784); colours go in as numbers on a two-colour scale (Plotly checks
    784 colour strings far more slowly).
    """
    v = np.asarray(v, dtype=float).ravel()
    best = np.argsort(-np.abs(v), kind="stable")[:top]
    marked = (np.asarray(mark, bool).ravel() if mark is not None else np.isin(np.arange(v.size), best)
              if highlight is None else np.arange(v.size) == highlight)
    x = np.array(labels, dtype=object) if labels is not None else np.arange(v.size)
    fig = go.Figure(go.Bar(
        x=x, y=v, marker_line_width=0,
        marker=dict(color=marked.astype(float), colorscale=[[0, REST], [1, HIGHLIGHT]], cmin=0, cmax=1),
        hovertemplate="%{x}: %{y:.4g}<extra></extra>"))
    fig.update_layout(annotations=[dict(x=x[i], y=v[i], text=f"{v[i]:.3g}", showarrow=False, font_size=10,
                                        yshift=9 if v[i] >= 0 else -9) for i in best])
    fig.update_xaxes(type="category" if labels is not None else "linear", showticklabels=v.size <= 32)
    fig.update_layout(title=dict(text=title, font_size=13), height=height, bargap=0.1 if v.size <= 32 else 0,
                      margin=dict(l=0, r=0, t=30, b=0), showlegend=False)
    return fig


def image_figure(v: np.ndarray, title: str, diverging: bool = False, height: int = 240) -> go.Figure:
    """A 784-vector as its 28x28 picture: gray 0..1 (an input), or diverging around 0 (a gradient)."""
    img = np.asarray(v, dtype=float).reshape(28, 28)
    if diverging:
        m = float(np.abs(img).max()) or 1.0
        trace = go.Heatmap(z=img, colorscale=DIVERGING, zmin=-m, zmax=m, colorbar=dict(thickness=10),
                           hovertemplate="row %{y}, col %{x}: %{z:.3g}<extra></extra>")
    else:
        trace = go.Heatmap(z=img, colorscale="gray", zmin=0, zmax=1, showscale=False,
                           hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>")
    fig = go.Figure(trace)
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(title=dict(text=title, font_size=13), height=height, margin=dict(l=0, r=0, t=30, b=0))
    return fig


def gradient_images_figure(dW1: np.ndarray, units: Sequence[int], cols: int = 8) -> go.Figure:
    """-dW1[:, j] of each unit j as a 28x28 image: where the gradient wants its weights to move.

    dW1 (784, h). Red: the step raises the weight on that pixel, blue: lowers it. Each tile is
    scaled to its own largest |value|; a unit that was off (relu) gets no gradient: an empty tile.
    """
    dW1 = np.asarray(dW1, dtype=float)
    units = [int(j) for j in units]
    if not units:
        raise ValueError("units must name at least one first-layer unit")
    cols = max(1, min(cols, len(units)))
    rows, tile = -(-len(units) // cols), 30
    z = np.full((rows * tile - 2, cols * tile - 2), np.nan)
    annotations = []
    for k, j in enumerate(units):
        g = -dW1[:, j].reshape(28, 28)
        r, c = divmod(k, cols)
        z[r * tile:r * tile + 28, c * tile:c * tile + 28] = g / (np.abs(g).max() or 1.0)
        annotations.append(dict(x=c * tile + 13.5, y=r * tile - 1.5, text=f"unit {j}", showarrow=False,
                                font_size=10, yanchor="bottom"))
    fig = go.Figure(go.Heatmap(z=z, colorscale=DIVERGING, zmin=-1, zmax=1, hoverongaps=False,
                               colorbar=dict(title="-dW / max", thickness=10), hovertemplate="%{z:.2f}<extra></extra>"))
    fig.update_layout(annotations=annotations, height=40 + rows * 130, margin=dict(l=0, r=0, t=30, b=0))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, scaleanchor="x", constrain="domain", range=[rows * tile - 2.5, -5])
    return fig


def teach_figure(p: np.ndarray, class_names: Sequence[str], label: int) -> go.Figure:
    """Each class's probability on the image, step by step: p (steps + 1, k); the right label bold."""
    p = np.asarray(p, dtype=float)
    steps = np.arange(len(p))
    fig = go.Figure()
    for c in range(p.shape[1]):
        if c != label and p[:, c].max() < 0.02:
            continue   # classes the network never considered would only clutter the chart
        fig.add_trace(go.Scatter(x=steps, y=p[:, c], mode="lines+markers", name=class_names[c],
                                 line=dict(width=4 if c == label else 1.5, color=HIGHLIGHT if c == label else None)))
    fig.update_xaxes(title="step", dtick=1)
    fig.update_yaxes(title="probability", range=[0, 1.02], tickformat=".0%")
    fig.update_layout(height=280, margin=dict(l=0, r=0, t=10, b=0), legend_title_text="class")
    return fig
