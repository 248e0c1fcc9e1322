"""How much more does training cost in the Train page than on the command line?

Runs one config three ways, interleaved, `--repeats` times, and prints the median seconds of each
and their ratio to the command line (goal: the page costs < 15% more, ratio < 1.15):

- cli:     what ``python -m mnistcore train`` does: ``Trainer(config, data, score_steps=False)``,
           every event consumed (no drawing);
- figures: the page's loop ``ui.training.train_live`` with a view that builds both Plotly figures
           and serialises them to JSON at each redraw, as ``st.plotly_chart`` does;
- page:    the Train page itself under Streamlit's AppTest, Train pressed: real Streamlit calls
           (progress bar, charts, session state); the time is the run's own wall-clock time in
           the loop, as the runs table shows it.

Each time covers the training loop only (not loading data or building the Trainer). All three include the end-of-epoch scoring (train sample and test set) the command line does
too; the page adds test scores within epochs and redraws, each held to a budget by ui.training.Pacer.
Also prints when the page's first point arrived after the press of Train.

    python benchmarks/bench_page_train.py [--preset default] [--epochs 2] [--train-size 0] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import plotly.io

ROOT = Path(__file__).resolve().parents[1]

from mnistcore import data  # noqa: E402
from mnistcore.config import PRESETS, TrainConfig  # noqa: E402
from mnistcore.figures import training as figs  # noqa: E402
from mnistcore.train import Trainer  # noqa: E402
from ui import state  # noqa: E402
from ui import training as tr  # noqa: E402
from ui.live_run import LiveRun  # noqa: E402


def cli(config: TrainConfig, ds) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the command line's loop."""
    trainer = Trainer(config, ds, score_steps=False)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in trainer.run():
        pass
    return time.perf_counter() - start, time.process_time() - cpu


class FigureView:
    """The page's drawing work without a browser: build the figures, serialise them."""

    def poll(self) -> None:
        pass

    def progress(self, run, event) -> None:
        tr.progress_text(event)

    def charts(self, run) -> None:
        for metric in ("loss", "accuracy"):
            plotly.io.to_json(figs.learning_curves(run.curve, metric, run.config.epochs, run.trainer.changes),
                              validate=False)


def figures(config: TrainConfig, ds) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, seconds to the first point) of train_live with FigureView."""
    run = tr.ActiveRun(1, LiveRun(config, ds), ds.name, tuple(ds.class_names), "fresh weights")
    run.created = time.perf_counter()
    tr.train_live(run, FigureView())
    return run.wall_seconds, run.cpu_seconds, run.first_point_seconds


def page(config: TrainConfig) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, first point seconds, points drawn) of the Train page under AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=3600)
    at.run()
    at.switch_page("pages/train.py")
    at.run()
    for name in tr.FIELDS:  # the settings, as the widgets would have set them
        at.session_state[tr.key(name)] = getattr(config, name)
    at.run()
    [train] = [b for b in at.button if b.label == "Train"]
    train.click()
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    [run] = at.session_state[state.TR_RUNS]
    if run.config != config:
        raise RuntimeError(f"the page trained {run.config}, not {config}")
    return run.seconds, run.cpu_seconds, run.first_point_seconds, len(run.curve["epoch"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default", choices=sorted(PRESETS))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dataset", default="mnist")
    args = parser.parse_args()
    config = PRESETS[args.preset].replace(epochs=args.epochs, train_size=args.train_size)
    ds = data.load(args.dataset)
    print(f"{args.preset} preset, {args.epochs} epochs on {args.train_size or len(ds.y_train):,} images "
          f"({tr.describe(config)}), {args.repeats} repeats, interleaved", flush=True)
    wall = {"cli": [], "figures": [], "page": []}
    cpu = {"cli": [], "figures": [], "page": []}
    firsts = {"figures": [], "page": []}
    for r in range(args.repeats):
        for name in wall:
            if name == "cli":
                got = cli(config, ds)
            elif name == "figures":
                *got, first = figures(config, ds)
                firsts[name].append(first)
            else:
                *got, first, n_points = page(config)
                firsts[name].append(first)
            wall[name].append(got[0])
            cpu[name].append(got[1])
        print(f"  repeat {r + 1}: " + ", ".join(f"{k} {wall[k][-1]:.2f} s ({cpu[k][-1]:.2f} s CPU)" for k in wall)
              + f"; the page drew {n_points} points", flush=True)
    # The best of the repeats is the least disturbed by whatever else the machine runs; the
    # median is shown too, for a sense of the noise. CPU time (all threads of this process)
    # is steadier than wall-clock time on a shared machine.
    for label, times in (("wall", wall), ("CPU", cpu)):
        best, middle = min(times["cli"]), statistics.median(times["cli"])
        for name, values in times.items():
            print(f"{label:4s} {name:8s} best {min(values):7.2f} s (ratio to cli {min(values) / best:.3f})   "
                  f"median {statistics.median(values):7.2f} s (ratio {statistics.median(values) / middle:.3f})")
    for name, values in firsts.items():
        print(f"first point ({name}): median {statistics.median(values) * 1000:.0f} ms after the start")


if __name__ == "__main__":
    main()
