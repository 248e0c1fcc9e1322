"""How fast does the One step page answer a phase change? (issue 14: < 0.25 s on the server)

For each network width (784-16-10, 784-128-10, 784-1024-10 by default) the page is opened under
Streamlit's AppTest and walked Forward -> Loss -> Backward -> Update -> Backward ... with the
"Next phase" / "Previous phase" buttons, `--repeats` times. Printed per width and phase:

- phase:   the seconds the page's phase fragment took (diagram + that phase's quantities), as the
           page measures and shows it: in a browser a phase change reruns only this fragment, so
           this is what the server spends answering the click (the goal is about this one).
- run:     the wall-clock seconds of the whole script run under AppTest, which reruns the whole
           page on a click (also the mini-batch, gradient-check and teach sections, from cached
           results): an upper bound.
- figure:  of that, building the network diagram and serialising it to JSON, as st.plotly_chart does.
- step:    computing the step record once (not done on a phase change: it is cached per visitor).

    python benchmarks/bench_one_step.py [--widths 16,128,1024] [--repeats 5]

The machine's other load shows in these numbers: compare widths within one run, and measure on a
quiet machine for the final figures.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]  # tests/appserver.py; mnistcore is installed (pyproject.toml)

from appserver import open_app  # noqa: E402
from mnistcore import data, step  # noqa: E402
from mnistcore.figures import step as fig  # noqa: E402
from mnistcore.model import init_mlp  # noqa: E402
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402
from streamlit.testing.v1 import app_test  # noqa: E402

PHASES = fig.PHASES


class RoutedPagesManager(PagesManager):
    """As tests/conftest.py: AppTest sees the app as a server does, after the router ran."""

    def __init__(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        super().__init__(*args, **kwargs)


def figure_seconds(width: int, phase: str) -> tuple[float, float]:
    """(seconds for the step record, seconds for the diagram of `phase` built and serialised)."""
    ds = data.load("mnist")
    model = init_mlp((784, width, 10), rng=np.random.default_rng(0))
    x = ds.x_train[:1].reshape(1, -1) / np.float32(255)
    start = time.perf_counter()
    rec = step.step_record(model, x, ds.y_train[:1], 0.1)
    t_step = time.perf_counter() - start
    start = time.perf_counter()
    units = [fig.shown_units(n, 16, r) for n, r in zip(model.sizes, [rec.x[0], rec.a[1][0], rec.p[0]])]
    nodes, edges = fig.diagram_quantities(phase, rec.x[0], [z[0] for z in rec.z], [a[0] for a in rec.a],
                                          rec.p[0], [d[0] for d in rec.delta], model.W, rec.dW, rec.eta)
    plotly.io.to_json(fig.network_figure(nodes, edges, units, phase, None, [str(c) for c in range(10)]))
    return t_step, time.perf_counter() - start


def page_seconds(width: int, repeats: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """(fragment seconds, whole-run seconds) of each phase change, per phase reached."""
    at = open_app("pages/one_step.py", {"hidden": str(width)}, timeout=120)
    assert not at.exception, at.exception
    times: dict[str, list[float]] = {p: [] for p in PHASES}
    fragment: dict[str, list[float]] = {p: [] for p in PHASES}
    for _ in range(repeats):
        for label in ["Next phase"] * 3 + ["Previous phase"] * 3:
            button = next(b for b in at.button if b.label == label)
            start = time.perf_counter()
            button.click().run()
            times[at.session_state["os_phase"]].append(time.perf_counter() - start)
            fragment[at.session_state["os_phase"]].append(at.session_state["os_phase_seconds"])
            assert not at.exception, at.exception
    return fragment, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="16,128,1024")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    app_test.PagesManager = RoutedPagesManager
    print(f"{'network':>12} {'phase':>9} {'fragment median':>16} {'max':>6} {'run median':>11} {'figure':>7} {'step':>6}")
    worst = 0.0
    for width in (int(w) for w in args.widths.split(",")):
        fragment, times = page_seconds(width, args.repeats)
        for phase in PHASES:
            t_step, t_fig = figure_seconds(width, phase)
            frag, runs = fragment[phase], times[phase]
            worst = max(worst, statistics.median(frag))
            print(f"{f'784-{width}-10':>12} {phase:>9} {statistics.median(frag):>15.3f}s {max(frag):>5.3f}s "
                  f"{statistics.median(runs):>10.3f}s {t_fig:>6.3f}s {t_step:>5.3f}s")
    print(f"slowest median phase change (the phase fragment): {worst:.3f} s "
          f"({'within' if worst < 0.25 else 'over'} the 0.25 s goal)")


if __name__ == "__main__":
    main()
