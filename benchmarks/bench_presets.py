"""Accuracy and training time of the named presets, through the real command line.

    python benchmarks/bench_presets.py [seed default best ...]

Each preset runs as `python -m mnistcore train --preset NAME --json` in a fresh
process (so no run warms another's caches) and the script prints its test
accuracy and training seconds (training only: no data loading, no evaluation).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from mnistcore.config import PRESET_NOTES

ROOT = Path(__file__).resolve().parents[1]

# What each preset promises (issues 3 and 20): minimum test accuracy, maximum training seconds
# on this project's 2-core machine. Each note's own measured figure is printed beside the run's.
TARGETS = {"seed": (0.965, 60), "default": (0.980, 6), "best": (0.990, 180)}


def run(preset: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "mnistcore", "train", "--preset", preset, "--json",
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def noted_accuracy(preset: str) -> str:
    """The test accuracy the preset's note states ("98.2%"), or "-"."""
    found = re.findall(r"(\d+(?:\.\d+)?)% test accuracy", PRESET_NOTES.get(preset, ""))
    return f"{found[0]}%" if found else "-"


def main() -> None:
    presets = sys.argv[1:] or list(TARGETS)
    print(f"{'preset':<16}{'test acc':>10}{'note says':>10}{'train acc':>11}{'epochs':>8}{'train s':>9}   target")
    for preset in presets:
        r = run(preset)
        target = TARGETS.get(preset)
        verdict = ""
        if target:
            ok = r["test_accuracy"] >= target[0] and r["train_seconds"] <= target[1]
            verdict = f">= {target[0]:.3f} in <= {target[1]} s: {'met' if ok else 'MISSED'}"
        print(f"{preset:<16}{r['test_accuracy']:>10.4f}{noted_accuracy(preset):>10}{r['train_accuracy']:>11.4f}"
              f"{r['epochs']:>8}{r['train_seconds']:>9.1f}   {verdict}", flush=True)


if __name__ == "__main__":
    main()
