"""Figures for the gradient-descent page: arrays in, ``go.Figure`` out.

The animations run in the browser: every step is a Plotly frame, played by a
Play/Pause button and scrubbed with a step slider, so no frame costs a rerun.
"""
from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale, unlabel_rgb

COLORS = {"sgd": "#d62728", "momentum": "#ff7f0e", "adam": "#2ca02c"}
MODE_COLORS = ("#9467bd", "#ff7f0e", "#17becf")
MAX_POINTS = 400   # points per thin batch-loss line: enough for its shape, light to draw


def moving_average(v: np.ndarray, w: int) -> np.ndarray:
    """Mean of the last ``w`` values (fewer at the start), shape of ``v``."""
    c = np.cumsum(np.insert(v, 0, 0.0))
    i = np.arange(1, len(v) + 1)
    return (c[i] - c[np.maximum(i - w, 0)]) / np.minimum(i, w)


def _animation_controls(names: list[str], labels: list[str], frame_ms: int, redraw: bool = False) -> dict:
    """Layout entries for a Play/Pause pair and a step slider bound to frames ``names``.

    The slider's current value reads "step k". ``redraw`` must be True when the plot
    holds a trace other than scatter (a contour vanishes from frames drawn without it).
    The slider sits below the buttons, full width, so that on a phone the two never overlap;
    their text takes the theme's colour.
    """
    still = {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate", "transition": {"duration": 0}}
    play = {"frame": {"duration": frame_ms, "redraw": redraw}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    return dict(
        updatemenus=[dict(
            type="buttons", direction="left", showactive=False, x=0.0, y=0.0, xanchor="left",
            yanchor="top", pad={"t": 45, "r": 10},
            buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                     dict(label="❚❚ Pause", method="animate", args=[[None], still])])],
        sliders=[dict(
            active=0, x=0.0, len=1.0, y=0.0, yanchor="top", pad={"t": 85},
            currentvalue={"prefix": "step ", "visible": True, "xanchor": "left", "font": {"size": 13}},
            steps=[dict(method="animate", label=label, args=[[name], still])
                   for name, label in zip(names, labels)])],
    )


def descent_1d_figure(curve_x: np.ndarray, curve_f: np.ndarray, x: np.ndarray, f: np.ndarray,
                      df: np.ndarray, eta: float, title: str = "", frame_ms: int = 500) -> go.Figure:
    """Gradient descent on a curve, one frame per iterate.

    ``curve_x``, ``curve_f`` (m,) draw the function (their span fixes the axes);
    ``x``, ``f``, ``df`` (k + 1,) are the iterates x_0..x_k, f(x_i) and f'(x_i).
    Frame i shows the point at x_i, its tangent line, and the step it takes:
    along the tangent by -eta f'(x_i), then down (or up) to the curve at
    x_{i+1}. The last frame's step is the one that would come next.
    """
    x, f, df = (np.asarray(a, dtype=float) for a in (x, f, df))
    lo, hi = float(np.min(curve_x)), float(np.max(curve_x))
    f_lo, f_hi = float(np.min(curve_f)), float(np.max(curve_f))
    pad = 0.06 * (f_hi - f_lo or 1.0)
    half = 0.12 * (hi - lo)   # half-width of the drawn tangent

    def dynamic(i: int) -> list[dict]:
        dx = -eta * df[i]
        step_x = [x[i], x[i] + dx] + ([x[i + 1]] if i + 1 < len(x) else [])
        step_y = [f[i], f[i] + df[i] * dx] + ([f[i + 1]] if i + 1 < len(x) else [])
        # Lists, not arrays: plotly validates lists about three times faster, and frames are many.
        return [
            dict(type="scatter", x=x[:i + 1].tolist(), y=f[:i + 1].tolist()),
            dict(type="scatter", x=[float(x[i] - half), float(x[i] + half)],
                       y=[float(f[i] - df[i] * half), float(f[i] + df[i] * half)]),
            dict(type="scatter", x=[float(v) for v in step_x], y=[float(v) for v in step_y]),
            dict(type="scatter", x=[float(x[i])], y=[float(f[i])]),
            dict(type="scatter", x=[lo + 0.01 * (hi - lo)], y=[f_hi + 2.2 * pad],
                       text=[f"x = {x[i]:.6g},  f(x) = {f[i]:.6g},  f'(x) = {df[i]:.4g},  "
                             f"step −η f'(x) = {dx:.4g}"]),
        ]

    first = dynamic(0)
    styles = [
        dict(name="iterates", mode="lines+markers", line=dict(color="#ff7f0e", width=1, dash="dot"),
             marker=dict(size=6, color="#ff7f0e", opacity=0.6)),
        dict(name="tangent", mode="lines", line=dict(color="#2ca02c", width=2)),
        dict(name="step −η f'(x)", mode="lines+markers", line=dict(color="#d62728", width=3),
             marker=dict(size=5, symbol="circle-open", color="#d62728")),
        dict(name="x_k", mode="markers", marker=dict(size=14, color="#d62728", line=dict(width=2, color="white"))),
        dict(name="readout", mode="text", textposition="middle right", showlegend=False, hoverinfo="skip",
             textfont=dict(size=13)),
    ]
    fig = go.Figure(
        [go.Scatter(x=curve_x, y=curve_f, mode="lines", name="f(x)", line=dict(color="#7f7f7f", width=2),
                    hoverinfo="skip")]
        + [go.Scatter(trace).update(**style) for trace, style in zip(first, styles)])
    names = [str(i) for i in range(len(x))]
    fig.frames = [dict(name=name, data=dynamic(i), traces=[1, 2, 3, 4, 5]) for i, name in enumerate(names)]
    fig.update_layout(
        title=title, height=460, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        xaxis=dict(title="x", range=[lo, hi]), yaxis=dict(title="f(x)", range=[f_lo - pad, f_hi + 3.5 * pad]),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left"),
        **_animation_controls(names, names, frame_ms))
    return fig


def surface_image(Z: np.ndarray, bands: int = 20, colorscale: str = "Blues_r") -> str:
    """A filled contour map of ``Z`` (ny, nx; row 0 at the smallest y) as a PNG data URI.

    The bands are equal steps of log(1 + f - min f), so that steep walls and a
    flat floor both show. Drawn as a layout image rather than a contour trace
    because Plotly drops contour traces from animation frames (plotly.js #4491).
    """
    level = np.log1p(np.nan_to_num(Z - np.nanmin(Z), nan=0.0, posinf=0.0))
    band = np.minimum((level / (level.max() or 1.0) * bands).astype(int), bands - 1)
    # Sample the lighter 80% of the scale so that the paths stay visible at the bottom.
    palette = np.array([unlabel_rgb(c) for c in sample_colorscale(colorscale, np.linspace(0.2, 1.0, bands))],
                       dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(palette[band[::-1]]).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def descent_2d_figure(xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, paths: dict[str, np.ndarray],
                      labels: dict[str, str] | None = None, minima=(), title: str = "",
                      max_frames: int = 101, tail: int = 12, frame_ms: int = 80) -> go.Figure:
    """Several optimizers' paths over a contour map, animated together.

    ``xs`` (nx,), ``ys`` (ny,) and ``Z`` (ny, nx) give the surface (see
    ``surface_image`` for how it is drawn; a few hundred points a side look smooth). ``paths``
    maps an optimizer key to its iterates, shape (k + 1, 2) (lengths may differ
    when one diverged: it then stays at its last point). Each whole path is
    drawn in thinner lines; the frames move a marker per optimizer along it, with its
    last ``tail`` steps in bold, so a frame stays small however long the run.
    Frames are spread evenly over the steps, at most ``max_frames`` of them.
    """
    labels = labels or {}
    paths = {key: np.asarray(p, dtype=float) for key, p in paths.items()}
    last = max(len(p) for p in paths.values()) - 1
    steps = np.unique(np.linspace(0, last, min(last + 1, max_frames)).round().astype(int))

    def dynamic(k: int) -> list[dict]:
        traces = []
        for p in paths.values():
            i = min(k, len(p) - 1)
            recent = p[max(0, i - tail):i + 1]
            # Lists, not arrays: plotly validates lists about three times faster, and frames are many.
            traces += [dict(type="scatter", x=recent[:, 0].tolist(), y=recent[:, 1].tolist()),
                       dict(type="scatter", x=p[i:i + 1, 0].tolist(), y=p[i:i + 1, 1].tolist())]
        return traces

    fig = go.Figure()
    fig.add_layout_image(source=surface_image(Z), xref="x", yref="y", x=xs[0], y=ys[-1],
                         sizex=xs[-1] - xs[0], sizey=ys[-1] - ys[0], sizing="stretch", layer="below")
    first, moving = dynamic(0), []
    for i, (key, p) in enumerate(paths.items()):
        color, name = COLORS.get(key, "#ff7f0e"), labels.get(key, key)
        fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines+markers", name=name, legendgroup=key,
                                 line=dict(color=color, width=2), marker=dict(size=4, color=color), opacity=0.8))
        fig.add_trace(go.Scatter(first[2 * i]).update(mode="lines+markers", legendgroup=key, showlegend=False,
                                          line=dict(color=color, width=3), marker=dict(size=5, color=color)))
        fig.add_trace(go.Scatter(first[2 * i + 1]).update(mode="markers", legendgroup=key, showlegend=False,
                                              marker=dict(size=13, color=color, line=dict(width=2, color="white"))))
        moving += [len(fig.data) - 2, len(fig.data) - 1]
    if len(minima):
        m = np.asarray(minima, dtype=float)
        fig.add_trace(go.Scatter(x=m[:, 0], y=m[:, 1], mode="markers", name="minimum",
                                 marker=dict(symbol="star", size=14, color="gold", line=dict(width=1, color="black"))))
    start = next(iter(paths.values()))[0]
    fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                             marker=dict(symbol="x", size=11, color="white", line=dict(width=1, color="#222"))))  # on both themes
    names = [str(k) for k in steps]
    fig.frames = [dict(name=name, data=dynamic(k), traces=moving) for k, name in zip(steps, names)]
    fig.update_layout(
        title=title, height=520, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        xaxis=dict(title="x", range=[xs[0], xs[-1]], constrain="domain", showgrid=False, zeroline=False),
        yaxis=dict(title="y", range=[ys[0], ys[-1]], scaleanchor="x", scaleratio=1, constrain="domain",
                   showgrid=False, zeroline=False),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left"),
        **_animation_controls(names, names, frame_ms))
    return fig


def batch_modes_figure(curves: dict[str, dict[str, np.ndarray]], x: str = "steps") -> go.Figure:
    """Training loss of several batch modes side by side against ``x``.

    ``curves`` maps a mode's label to arrays as ``mnistcore.descent.batch_mode_curves``
    returns them: per step ``steps``, ``samples``, ``seconds``, ``batch_loss`` (the
    loss of the batch that step used: noisy for small batches) and at checkpoints
    ``eval_steps``, ``eval_samples``, ``eval_seconds``, ``loss`` (the loss on the
    whole training subset). ``x`` is "steps", "samples" or "seconds". The batch losses are
    drawn as a moving average (a per-sample run's raw losses would fill the chart).
    """
    if x not in ("steps", "samples", "seconds"):
        raise ValueError(f"x must be steps, samples or seconds; got {x!r}")
    fig, top = go.Figure(), 0.0
    for color, (label, c) in zip(MODE_COLORS * 3, curves.items()):
        if len(c["batch_loss"]):
            # One image's loss jumps between 0 and 10 from step to step, a solid band on the chart:
            # show the moving average over `w` steps, and thin it to at most `MAX_POINTS` points (so
            # SVG: WebGL's start-up costs a browser more than a few hundred points take to draw).
            w = max(1, len(c["batch_loss"]) // 50)
            smooth = moving_average(np.asarray(c["batch_loss"], float), w)
            keep = np.unique(np.geomspace(1, len(smooth), min(len(smooth), MAX_POINTS)).astype(int) - 1)
            fig.add_trace(go.Scatter(x=np.asarray(c[x])[keep], y=smooth[keep], mode="lines", legendgroup=label,
                                     name=f"{label}: batch loss, mean of {w} step{'s' * (w > 1)}",
                                     showlegend=False, opacity=0.45, line=dict(color=color, width=1)))
            top = max(top, float(np.nanmax(smooth)))
        fig.add_trace(go.Scatter(x=c["eval_" + x], y=c["loss"], mode="lines+markers", legendgroup=label,
                                 name=label, line=dict(color=color, width=3), marker=dict(size=4)))
        top = max(top, float(np.nanmax(c["loss"])))
    titles = {"steps": "optimizer steps", "samples": "training samples seen", "seconds": "training seconds"}
    fig.update_layout(
        height=440, margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title=titles[x] + " (log scale)", type="log"),
        yaxis=dict(title="cross-entropy loss", range=[0, 1.15 * top if np.isfinite(top) and top > 0 else None]),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return fig
