"""Each preset's text says what its seeded run does, and the run does it.

A preset note may state settings ("lr 0.1", "batch 128", "10 epochs", "784-128-10") and at most
one outcome ("98.3% test accuracy"). The settings are checked against the preset's config here,
cheaply; the outcome by training the preset, seeded, through the command line (the Trainer the
Train page uses too), which scores the final model on the whole test split.

Same config and seed give the same numbers bit for bit on the same BLAS thread count, but
OpenBLAS splits a matrix product differently on one thread and on two, which changes the last
bits of its sums and, over a run, a few test images. The notes' figures were measured with one
BLAS thread, so these runs use one too (OPENBLAS_NUM_THREADS=1) and must match to the digit.
One note states a floor instead ("at least 99.0% test accuracy"): `best`'s 30 augmented epochs
also depend on the CPU's OpenBLAS kernel (99.00% on one machine, 99.15% on another, both on one
thread), so what it promises is the floor, and its run must reach it.
Training times are not asserted (no timed assertions in tests): benchmarks/bench_presets.py
measures them.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from mnistcore.config import PRESET_NOTES, PRESETS, TrainConfig

ACCURACY = re.compile(r"(\d+(?:\.\d+)?)% test accuracy")
AT_LEAST = re.compile(r"at least \d+(?:\.\d+)?% test accuracy")
# What a preset named for its job promises (issue 20): at least this test accuracy.
PROMISES = {"default": 0.98, "best": 0.99}


def claimed_accuracy(note: str) -> float | None:
    """The test accuracy a note states, as a fraction, or None if it states none."""
    found = ACCURACY.findall(note)
    assert len(found) <= 1, f"a note states one outcome at most: {note!r}"
    return float(found[0]) / 100 if found else None


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_every_preset_has_a_note_and_every_note_a_preset():
    assert set(PRESET_NOTES) == set(PRESETS)
    assert all(isinstance(c, TrainConfig) for c in PRESETS.values())


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_settings_a_note_names_are_the_presets(name):
    note, config = PRESET_NOTES[name], PRESETS[name]
    for widths in re.findall(r"\b784(?:-\d+)+\b", note):
        assert tuple(int(w) for w in widths.split("-")) == config.sizes, (name, widths)
    for lr in re.findall(r"\blr (\d+(?:\.\d+)?(?:e-?\d+)?)", note):
        assert float(lr) == config.lr, (name, lr)
    for batch in re.findall(r"\bbatch (\d+)\b", note):
        assert int(batch) == config.batch_size, (name, batch)
    for epochs in re.findall(r"\b(\d+) (?:epochs|iterations)\b", note):
        assert int(epochs) == config.epochs, (name, epochs)
    for p in re.findall(r"\bdropout (0\.\d+)", note):
        assert float(p) == config.dropout, (name, p)
    for images in re.findall(r"\b(\d[\d,]*) (?:training )?images\b", note):
        assert _number(images) in {config.train_size, config.train_size - round(config.train_size * config.val_split),
                                   round(config.train_size * config.val_split)} or not config.train_size, (name, images)


def test_the_promised_presets_state_an_outcome_that_keeps_the_promise():
    for name, promise in PROMISES.items():
        claimed = claimed_accuracy(PRESET_NOTES[name])
        assert claimed is not None and claimed >= promise, (name, claimed)


def _seeded_run_accuracy(name: str) -> float:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "mnistcore", "train", "--preset", name, "--json", "--quiet"],
                          env=env, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result["diverged"], result
    return result["test_accuracy"]


# Every preset whose note states a test accuracy, cheapest first. `best` trains for about three
# minutes on one thread: the one slow test here, kept because its claim is the app's headline.
CLAIMS = [name for name in ("numpy_tutorial", "seed", "default", "tiny_full_batch", "per_sample", "best")
          if name in PRESETS and claimed_accuracy(PRESET_NOTES[name]) is not None]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", CLAIMS)
def test_a_preset_reaches_the_test_accuracy_its_note_states(name):
    claimed = claimed_accuracy(PRESET_NOTES[name])
    accuracy = _seeded_run_accuracy(name)
    if AT_LEAST.search(PRESET_NOTES[name]):
        assert accuracy >= claimed, f"{name}: measured {accuracy:.2%}, the note says at least {claimed:.1%}"
    else:   # the note rounds to one decimal; the same seed gives the same run: only rounding is allowed
        assert abs(accuracy - claimed) <= 0.0005 + 1e-9, f"{name}: measured {accuracy:.2%}, the note says {claimed:.1%}"
    assert accuracy >= PROMISES.get(name, 0.0)
