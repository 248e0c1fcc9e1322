r"""Gradient descent on toy functions: the algorithm the network rests on, small enough to watch.

Notation

    theta    the point being moved: x in 1-D, (x, y) in 2-D; shape (d,)
    f        the function (the "loss") to minimise
    g        its gradient at theta, shape (d,)
    eta      the learning rate
    k        the step, theta_0 is the start

Plain gradient descent is theta_{k+1} = theta_k - eta * g(theta_k). The 2-D
surfaces are also run with momentum and Adam, using the very optimizers
(``mnistcore.optimizers``) that train the network, so what is seen here is what
happens there. A run that blows up is not an error: ``descend`` stops at the
first non-finite or huge iterate and says so in ``Trajectory.message``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .optimizers import OPTIMIZERS, make_optimizer

DIVERGENCE_LIMIT = 1e6   # |theta| beyond this counts as blown up (no toy minimum lies past 5)

# -- 1-D functions ------------------------------------------------------------------------------

PRESET_NAMES = ("too small", "good", "too large", "far too large")
# What each preset does on most functions; a function whose run behaves otherwise says so in
# its own ``behaviours`` (tests/test_descent.py runs every preset and checks the claim).
PRESET_BEHAVIOURS = {"too small": "crawls", "good": "settles", "too large": "oscillates",
                     "far too large": "diverges"}
BEHAVIOUR_NOTES = {
    "crawls": "Each step is tiny: the point crawls and is still far from the minimum when the steps run out.",
    "settles": "Big enough to move quickly, small enough to settle: the point slides into the minimum.",
    "oscillates": "Each step jumps past the minimum to the other side: the point oscillates and settles slowly.",
    "cycles": "Each step jumps across the minimum and lands where it was two steps before: the point "
              "bounces between two points for ever and never settles (a two-point cycle).",
    "diverges": "Each jump lands higher up than the last: the iterates grow without bound (divergence).",
}


@dataclass(frozen=True)
class Function1D:
    """A function of one variable with its derivative, where to look and learning-rate presets.

    ``f`` and ``df`` work elementwise on arrays of any shape. ``presets`` maps
    each of ``PRESET_NAMES`` to a learning rate that shows that behaviour from
    ``start`` in ``steps`` steps (the rates differ because the curvature f'' differs).
    """

    label: str
    latex: str
    dlatex: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    domain: tuple[float, float]
    start: float
    presets: dict[str, float]
    note: str
    steps: int = 20                               # the default number of steps shown
    behaviours: dict[str, str] = field(default_factory=dict)   # presets that behave otherwise

    def behaviour(self, preset: str) -> str:
        """What the run of ``preset`` from ``start`` in ``steps`` steps does (see ``behaviour``)."""
        return self.behaviours.get(preset, PRESET_BEHAVIOURS[preset])

    def preset_note(self, preset: str) -> str:
        return BEHAVIOUR_NOTES[self.behaviour(preset)]


def _softwell(x):
    return 1.0 - np.exp(-x * x) + 0.02 * x * x


def _softwell_prime(x):
    return 2.0 * x * np.exp(-x * x) + 0.04 * x


FUNCTIONS_1D: dict[str, Function1D] = {
    "quadratic": Function1D(
        label="x² + 3 (the seed's example)", latex=r"f(x) = x^2 + 3", dlatex=r"f'(x) = 2x",
        f=lambda x: x * x + 3.0, df=lambda x: 2.0 * x, domain=(-3.0, 3.0), start=2.0,
        presets={"too small": 0.01, "good": 0.1, "too large": 0.89, "far too large": 3.2},
        note="One minimum and the same curvature everywhere (f'' = 2): each step multiplies x by "
             "1 - 2η, so η < 1 converges and η > 1 diverges."),
    "two_minima": Function1D(
        label="two minima", latex=r"f(x) = \tfrac14 x^4 - x^2 + \tfrac14 x + 3",
        dlatex=r"f'(x) = x^3 - 2x + \tfrac14",
        f=lambda x: 0.25 * x ** 4 - x * x + 0.25 * x + 3.0, df=lambda x: x ** 3 - 2.0 * x + 0.25,
        domain=(-2.5, 2.5), start=0.5,
        presets={"too small": 0.01, "good": 0.1, "too large": 0.5, "far too large": 1.0},
        note="A deep minimum on the left and a shallower one on the right, split by a bump near 0.1. "
             "Start at 0.5 and descent ends in the shallow one; start at 0 and it finds the deep one."),
    "flat_then_steep": Function1D(
        label="flat, then steep", latex=r"f(x) = 1 - e^{-x^2} + 0.02\,x^2",
        dlatex=r"f'(x) = 2x\,e^{-x^2} + 0.04\,x",
        f=_softwell, df=_softwell_prime, domain=(-4.0, 4.0), start=3.5,
        presets={"too small": 0.1, "good": 0.79, "too large": 1.0, "far too large": 100.0}, steps=30,
        # f''(0) = 2.04, so at the bottom each step multiplies x by 1 - 2.04 eta: eta = 1.0 gives
        # -1.04, just past the -1 of a steady oscillation, and the run ends in a two-point cycle.
        behaviours={"too large": "cycles"},
        note="A wide plateau where the slope is almost 0 around a narrow, steep well: a rate small "
             "enough for the well crawls on the plateau, one big enough for the plateau overshoots the "
             "well. At the bottom f''(0) = 2.04, so descent settles only for η < 2 / 2.04 ≈ 0.98."),
}


def learning_rates(low: float = 1e-4, high: float = 100.0, per_decade: int = 20) -> list[float]:
    """Log-spaced learning rates from ``low`` to ``high``, two significant digits (for a slider).

    Every preset rate in ``FUNCTIONS_1D`` and ``FUNCTIONS_2D`` is one of these.
    """
    exponents = np.arange(round(np.log10(low) * per_decade), round(np.log10(high) * per_decade) + 1)
    return [float(f"{10 ** (e / per_decade):.2g}") for e in exponents]


# -- 2-D functions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Function2D:
    """A surface f(x, y) with its gradient, a view, a start, its minima and good learning rates.

    ``f(p)`` and ``grad(p)`` take points of shape (..., 2) (the last axis is
    (x, y)); ``f`` returns shape (...), ``grad`` shape (..., 2). ``presets``
    maps each optimizer key of ``OPTIMIZERS_2D`` to a learning rate that
    reaches a minimum from ``start`` in ``steps`` steps without blowing up.
    """

    label: str
    latex: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    domain: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    presets: dict[str, float]
    steps: int
    note: str


def _xy(p):
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def _bowl(p):
    x, y = _xy(p)
    return 0.1 * x * x + 10.0 * y * y


def _bowl_grad(p):
    x, y = _xy(p)
    return np.stack([0.2 * x, 20.0 * y], axis=-1)


def _rosenbrock(p):
    x, y = _xy(p)
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _rosenbrock_grad(p):
    x, y = _xy(p)
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)], axis=-1)


def _saddle(p):
    x, y = _xy(p)
    return 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y


def _saddle_grad(p):
    x, y = _xy(p)
    return np.stack([x, y ** 3 - y], axis=-1)


def _himmelblau(p):
    x, y = _xy(p)
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def _himmelblau_grad(p):
    x, y = _xy(p)
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return np.stack([4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b], axis=-1)


FUNCTIONS_2D: dict[str, Function2D] = {
    "bowl": Function2D(
        label="narrow bowl (ill-conditioned quadratic)", latex=r"f(x, y) = 0.1\,x^2 + 10\,y^2",
        f=_bowl, grad=_bowl_grad, domain=((-5.0, 5.0), (-2.0, 2.0)), start=(-4.5, 1.5),
        minima=((0.0, 0.0),), presets={"sgd": 0.089, "momentum": 0.05, "adam": 0.2}, steps=100,
        note="100 times more curved across (y) than along (x): a rate safe across is tiny along."),
    "rosenbrock": Function2D(
        label="Rosenbrock (curved valley)", latex=r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
        f=_rosenbrock, grad=_rosenbrock_grad, domain=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.2, 1.0),
        minima=((1.0, 1.0),), presets={"sgd": 0.001, "momentum": 0.001, "adam": 0.1}, steps=400,
        note="A steep-walled, flat-bottomed banana: easy to fall into, slow to follow to (1, 1)."),
    "saddle": Function2D(
        label="saddle", latex=r"f(x, y) = \tfrac12 x^2 + \tfrac14 y^4 - \tfrac12 y^2",
        f=_saddle, grad=_saddle_grad, domain=((-3.0, 3.0), (-1.8, 1.8)), start=(-2.8, 0.01),
        minima=((0.0, -1.0), (0.0, 1.0)), presets={"sgd": 0.1, "momentum": 0.035, "adam": 0.063},
        steps=100,
        note="(0, 0) is a minimum along x and a maximum along y: the gradient vanishes there, so "
             "descent lingers before it rolls off to a minimum at y = ±1."),
    "himmelblau": Function2D(
        label="several minima (Himmelblau)", latex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        f=_himmelblau, grad=_himmelblau_grad, domain=((-5.0, 5.0), (-5.0, 5.0)), start=(-4.0, 0.0),
        minima=((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        presets={"sgd": 0.01, "momentum": 0.002, "adam": 0.2}, steps=100,
        note="Four minima, all at f = 0: which one an optimizer finds depends on its path."),
}

VALLEYS = ("bowl", "rosenbrock")   # the surfaces where momentum's narrow-valley lesson applies
OPTIMIZERS_2D = {"sgd": "gradient descent", "momentum": "momentum", "adam": "Adam"}


# -- running descent ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Trajectory:
    """The iterates of one run, cut before the first one that blew up.

    ``theta`` has shape (k + 1, d) with ``theta[0]`` the start; ``value`` (k + 1,)
    and ``grad`` (k + 1, d) are f and its gradient there. ``steps`` is how many
    steps were asked for; when the run diverged, ``diverged_at`` is the step
    whose result was non-finite or beyond ``DIVERGENCE_LIMIT`` (so k =
    diverged_at - 1) and ``message`` says so in a sentence.
    """

    theta: np.ndarray
    value: np.ndarray
    grad: np.ndarray
    steps: int
    eta: float
    diverged_at: int | None = None
    message: str = ""
    optimizer: str = "sgd"

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


def _check_run(eta: float, steps: int, start: np.ndarray) -> None:
    if not (isinstance(eta, (int, float, np.floating)) and np.isfinite(eta) and eta > 0):
        raise ValueError(f"the learning rate must be a number > 0; got {eta!r}")
    if not (isinstance(steps, (int, np.integer)) and 0 <= steps <= 100_000):
        raise ValueError(f"steps must be a whole number from 0 to 100000; got {steps!r}")
    if not np.all(np.isfinite(start)) or np.abs(start).max() > DIVERGENCE_LIMIT:
        raise ValueError(f"the start must be finite and within ±{DIVERGENCE_LIMIT:g}; got {start.tolist()}")


def descend(f: Callable, grad: Callable, start, eta: float, steps: int,
            optimizer: str = "sgd") -> Trajectory:
    """Run ``steps`` steps of ``optimizer`` ("sgd", "momentum" or "adam") on f from ``start``.

    ``f(theta)`` gives a number and ``grad(theta)`` an array of theta's shape (d,).
    Stops early, without raising, at the first iterate that is not finite or
    lies beyond ``DIVERGENCE_LIMIT``: that is what a too large learning rate does.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {optimizer!r}")
    theta = np.array(start, dtype=float).reshape(-1)
    _check_run(eta, steps, theta)
    opt = make_optimizer(optimizer, [theta])   # updates theta in place, as it does the weights
    thetas, values, grads = [theta.copy()], [float(f(theta))], [np.asarray(grad(theta), float)]
    diverged_at, message = None, ""
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            opt.step([grads[-1].copy()], eta)
            value = float(f(theta))
            if not (np.all(np.isfinite(theta)) and np.isfinite(value)) or np.abs(theta).max() > DIVERGENCE_LIMIT:
                diverged_at = k
                shown = ", ".join(f"{t:.3g}" for t in theta)
                why = "is not a finite number" if not np.all(np.isfinite(theta)) else (
                    f"is beyond ±{DIVERGENCE_LIMIT:g}" if np.abs(theta).max() > DIVERGENCE_LIMIT
                    else "gives a value too large to represent")
                message = (f"Diverged: step {k} lands at ({shown}), which {why}. The learning rate "
                           f"η = {eta:g} is too large here; the trajectory stops after step {k - 1}.")
                break
            thetas.append(theta.copy())
            values.append(value)
            grads.append(np.asarray(grad(theta), float))
    return Trajectory(theta=np.array(thetas), value=np.array(values), grad=np.array(grads),
                      steps=steps, eta=float(eta), diverged_at=diverged_at, message=message,
                      optimizer=optimizer)


def function_1d(name: str) -> Function1D:
    if name not in FUNCTIONS_1D:
        raise ValueError(f"function must be one of {', '.join(FUNCTIONS_1D)}; got {name!r}")
    return FUNCTIONS_1D[name]


def function_2d(name: str) -> Function2D:
    if name not in FUNCTIONS_2D:
        raise ValueError(f"surface must be one of {', '.join(FUNCTIONS_2D)}; got {name!r}")
    return FUNCTIONS_2D[name]


def descend_1d(name: str, start: float, eta: float, steps: int) -> Trajectory:
    """Plain gradient descent x <- x - eta f'(x) on ``FUNCTIONS_1D[name]``; theta has shape (k + 1, 1)."""
    fn = function_1d(name)
    return descend(lambda t: fn.f(t[0]), fn.df, [start], eta, steps)


def descend_2d(name: str, optimizer: str, start, eta: float, steps: int) -> Trajectory:
    """``optimizer`` on the surface ``FUNCTIONS_2D[name]`` from ``start`` = (x, y)."""
    fn = function_2d(name)
    return descend(fn.f, fn.grad, start, eta, steps, optimizer)


def iterate_table(traj: Trajectory) -> dict[str, np.ndarray]:
    """Columns of the 1-D iterate table: k, x_k, f(x_k), f'(x_k) and the step -eta f'(x_k).

    The last row's step is the one not taken (it is where the next x would be).
    """
    x, df = traj.theta[:, 0], traj.grad[:, 0]
    return {"k": np.arange(len(x)), "x": x, "f(x)": traj.value, "f'(x)": df, "step −η f'(x)": -traj.eta * df}


def behaviour(traj: Trajectory) -> str:
    """What a 1-D run did, one of the keys of ``BEHAVIOUR_NOTES``.

    "diverges" if it blew up or its last jumps back and forth each grow by over 5%; "cycles" if
    its last steps still jump back and forth by as much as before (each reverses the one before, at least 95% as long, and not under 5% of the
    longest step); "oscillates" if more than half of its steps reverse the one before; else
    "settles" if its last step is under 5% of its longest, and "crawls" if not.
    """
    if traj.diverged:
        return "diverges"
    dx = np.diff(traj.theta[:, 0])
    if len(dx) < 3:
        return "crawls"
    longest = np.abs(dx).max()
    reversing = dx[-1] * dx[-2] < 0 and dx[-2] * dx[-3] < 0
    if reversing and abs(dx[-1]) > 1.05 * abs(dx[-2]) > 1.05 ** 2 * abs(dx[-3]):
        return "diverges"        # each jump longer than the last, not yet past DIVERGENCE_LIMIT
    if reversing and abs(dx[-1]) >= 0.95 * abs(dx[-2]) and abs(dx[-1]) >= 0.05 * longest:
        return "cycles"
    moving = dx[np.abs(dx) >= 1e-6 * longest]   # not the rounding-level wiggles of a settled run
    if len(moving) > 2 and np.mean(moving[1:] * moving[:-1] < 0) > 0.5:
        return "oscillates"
    return "settles" if abs(dx[-1]) < 0.05 * longest else "crawls"


def run_note(traj: Trajectory) -> str:
    """What this 1-D run did, in a sentence with its own numbers (``BEHAVIOUR_NOTES`` describe a
    preset's default run; this one follows whatever steps, start and eta were chosen).

    A crawl says how far x went and how long its last step still is against its longest, the
    measure ``behaviour`` uses, rather than "far from the minimum": 100 small steps can get most of
    the way there.
    """
    kind = behaviour(traj)
    if kind == "diverges":
        return BEHAVIOUR_NOTES[kind]
    x = traj.theta[:, 0]
    k = len(x) - 1
    if kind == "crawls":
        dx = np.abs(np.diff(x))
        share = f", and its last step is still {dx[-1] / dx.max():.0%} of its longest" if k > 1 else ""
        return (f"The point is still moving when the steps run out: in {k} step{'s' * (k != 1)} x went "
                f"from {x[0]:.3g} to {x[-1]:.3g}{share} (a run that has settled takes steps under 5% of its longest).")
    return f"{BEHAVIOUR_NOTES[kind]} After {k} steps x = {x[-1]:.3g}."


def view_1d(name: str, x: np.ndarray, margin: float = 4.0) -> tuple[float, float]:
    """The x interval to draw: the function's domain widened to hold the iterates ``x``,
    but never past ``margin`` domain-widths from its centre (the rest are off-screen)."""
    lo, hi = function_1d(name).domain
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    x = np.asarray(x, dtype=float)
    lo, hi = min(lo, float(x.min(initial=lo))), max(hi, float(x.max(initial=hi)))
    return max(lo, centre - margin * half), min(hi, centre + margin * half)


def grid_2d(name: str, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (n,), ys (n,) and f on their grid, shape (n, n) indexed [y, x] (as contour plots want)."""
    fn = function_2d(name)
    (x0, x1), (y0, y1) = fn.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, fn.f(np.stack([X, Y], axis=-1))


# -- from the toy to the network ------------------------------------------------------------

UPDATE_RULES = {   # broken into short lines, so that the three fit side by side
    "sgd": r"\theta \leftarrow \theta - \eta\, \nabla f(\theta)",
    "momentum": r"\begin{aligned} v &\leftarrow \mu v - \eta\, \nabla f(\theta) \\ "
                r"\theta &\leftarrow \theta + v \qquad (\mu = 0.9) \end{aligned}",
    "adam": r"\begin{aligned} g &= \nabla f(\theta) \\ m &\leftarrow \beta_1 m + (1-\beta_1)\, g \\ "
            r"s &\leftarrow \beta_2 s + (1-\beta_2)\, g^2 \\ "
            r"\theta &\leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat s} + \epsilon} \\ "
            r"&\hat m = \tfrac{m}{1-\beta_1^k},\ \hat s = \tfrac{s}{1-\beta_2^k} \end{aligned}",
}


# The batch-mode comparison lives in its own module; these names are kept here too.
from .batch_modes import BATCH_MODES, batch_mode_curves  # noqa: E402,F401
