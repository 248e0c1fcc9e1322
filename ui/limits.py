"""How much training one visitor may ask of a shared server, set in one place.

The defaults suit a small hosted demo (a couple of cores shared by a few visitors at once).
Whoever runs the server can raise or lower each limit, first match wins:

1. an environment variable, e.g. ``MNIST_MAX_EPOCHS=500 streamlit run app.py``;
2. the same name at the top level of ``.streamlit/secrets.toml`` (``MNIST_MAX_EPOCHS = 500``);
3. the default below.

A value that is not a whole number >= 1 is ignored with a note (shown on the Train page), never
a crash; without a secrets file, step 2 is simply skipped.

Two rules bound every run whatever its batch size (0 = full batch, 1, 2, ...), from
``mnistcore.cost.run_cost``, before it starts: its peak memory (the weights, gradients and
optimizer slots, the batch's images and each layer's activations, or a score's arrays) must stay
within ``max_run_memory_mb`` MB, and its work (optimizer steps x weights x (3 x batch + 64)
multiply-adds: the products of every image, and each step's pass over every weight) within
``max_run_work`` billion multiply-adds. Full batch on a big training set is refused by the first
(its float copy of the images and activations grow with the set), batch sizes 1 and 2 on a long
run by the second (60,000 steps an epoch).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from mnistcore.config import TrainConfig
from mnistcore.cost import run_cost


@dataclass(frozen=True)
class Limits:
    max_epochs: int = 500          # the from-scratch preset: 500 full-batch iterations (tiny ones)
    max_width: int = 1024          # units in one hidden layer
    max_layers: int = 5            # hidden layers (the vanishing-gradient experiment stacks five)
    per_sample_max: int = 10_000   # per-sample SGD (batch 1) only on training sets up to this size
    max_runs: int = 8              # runs kept per visitor in the runs table
    max_run_memory_mb: int = 256   # estimated peak memory of one run (tiny_full_batch needs 149)
    max_run_work: int = 10_000     # billions of multiply-adds in one run (the best preset: 5,125)
    notes: tuple[str, ...] = field(default=(), compare=False)  # overrides that were ignored, and why


ENV_NAMES = {
    "max_epochs": "MNIST_MAX_EPOCHS",
    "max_width": "MNIST_MAX_WIDTH",
    "max_layers": "MNIST_MAX_LAYERS",
    "per_sample_max": "MNIST_PER_SAMPLE_MAX",
    "max_runs": "MNIST_MAX_RUNS",
    "max_run_memory_mb": "MNIST_MAX_RUN_MB",
    "max_run_work": "MNIST_MAX_RUN_WORK",
}


RULE = ("Each run is bounded whatever its batch size: its memory at once (weights, gradients and "
        "optimizer slots, the batch's images and every layer's activations) and its work (optimizer "
        "steps x weights x (3 x batch + 64) multiply-adds), both estimated before it starts.")


def _secrets() -> tuple[dict, list[str]]:
    """(top-level values of the app's secrets file(s), notes): {} when there is none or it is broken."""
    import streamlit as st
    files = st.get_option("secrets.files")
    if not any(Path(f).expanduser().is_file() for f in files):
        return {}, []  # st.secrets would raise (and log) without a file
    try:
        return {k: v for k, v in st.secrets.to_dict().items() if not isinstance(v, dict)}, []
    except Exception as err:  # a malformed secrets.toml must not take the page down
        return {}, [f"secrets.toml could not be read ({type(err).__name__}), so its limits were ignored"]


def load(environ: dict[str, str] | None = None, secrets: dict | None = None) -> Limits:
    """The limits in force: environment first, then secrets, then the defaults."""
    environ = os.environ if environ is None else environ
    secrets, notes = _secrets() if secrets is None else (secrets, [])
    values = {}
    for name, env in ENV_NAMES.items():
        for source, where in ((environ, "environment variable"), (secrets, "secrets.toml entry")):
            if env not in source:
                continue
            raw = source[env]
            try:
                value = int(str(raw).strip())
                if value < 1:
                    raise ValueError
            except ValueError:
                notes.append(f"{where} {env}={raw!r} is not a whole number >= 1; "
                             "ignored")
                continue
            values[name] = value
            break
    return Limits(**values, notes=tuple(notes))


def problems(config: TrainConfig, n_train: int, limits: Limits) -> list[str]:
    """What in `config` this server does not allow, as sentences (empty list: all fine).

    `n_train` is the size of the data set's training split (what train_size 0 means).
    """
    found = []
    if config.epochs > limits.max_epochs:
        found.append(f"{config.epochs} epochs: this server allows up to {limits.max_epochs} "
                     f"({ENV_NAMES['max_epochs']}).")
    if len(config.hidden) > limits.max_layers:
        found.append(f"{len(config.hidden)} hidden layers: this server allows up to "
                     f"{limits.max_layers} ({ENV_NAMES['max_layers']}).")
    if config.hidden and max(config.hidden) > limits.max_width:
        found.append(f"a hidden layer of {max(config.hidden)} units: this server allows up to "
                     f"{limits.max_width} ({ENV_NAMES['max_width']}).")
    used = config.train_size or n_train
    if config.batch_size == 1 and used > limits.per_sample_max:  # says it of the work: no second sentence
        found.append(f"per-sample SGD on {used:,} images: this server allows it on up to "
                     f"{limits.per_sample_max:,} ({ENV_NAMES['per_sample_max']}); choose a smaller "
                     "training set or mini-batches.")
        return found + cost_problems(config, n_train, limits)[:1 if _over_memory(config, n_train, limits) else 0]
    return found + cost_problems(config, n_train, limits)


def _over_memory(config: TrainConfig, n_train: int, limits: Limits) -> bool:
    return run_cost(config, n_train).peak_mb > limits.max_run_memory_mb


def cost_problems(config: TrainConfig, n_train: int, limits: Limits, epochs: int | None = None) -> list[str]:
    """The memory and work rules (module docstring) for `config`, as sentences; ``epochs``: how
    many epochs are still to go (a run under way), default all."""
    cost, found = run_cost(config, n_train, epochs), []
    mode = "full batch" if config.batch_size == 0 else f"batches of {cost.batch:,}"
    if cost.peak_mb > limits.max_run_memory_mb:
        found.append(f"{mode} on {cost.n:,} images with these layers needs about {cost.peak_mb:,.0f} MB at once: "
                     f"this server allows {limits.max_run_memory_mb:,} MB per run "
                     f"({ENV_NAMES['max_run_memory_mb']}); choose smaller batches, a smaller training set "
                     "or narrower layers.")
    work = cost.multiply_adds / 1e9
    if work > limits.max_run_work:
        found.append(f"{cost.steps:,} steps of {mode} with these layers are {work:,.0f} billion multiply-adds: "
                     f"this server allows {limits.max_run_work:,} billion per run ({ENV_NAMES['max_run_work']}); "
                     "choose fewer epochs, larger batches, a smaller training set or narrower layers.")
    return found


def fit(config: TrainConfig, n_train: int, limits: Limits) -> tuple[TrainConfig, list[str]]:
    """`config` brought within `limits` (for presets and links), with a note per change."""
    changes, notes = {}, []
    if config.epochs > limits.max_epochs:
        changes["epochs"] = limits.max_epochs
        notes.append(f"epochs lowered from {config.epochs} to {limits.max_epochs}, this server's limit")
    hidden = tuple(min(w, limits.max_width) for w in config.hidden[:limits.max_layers])
    if hidden != config.hidden:
        changes["hidden"] = hidden
        notes.append(f"hidden layers {list(config.hidden)} cut to {list(hidden)}, this server's limit")
    if config.batch_size == 1 and (config.train_size or n_train) > limits.per_sample_max:
        size = min(limits.per_sample_max, n_train)
        changes["train_size"] = 0 if size == n_train else size
        notes.append(f"per-sample SGD is limited to {limits.per_sample_max:,} images here: "
                     f"training on a random {size:,}")
    config = dataclasses.replace(config, **changes) if changes else config
    return _fit_cost(config, n_train, limits, notes)


def _fit_cost(config: TrainConfig, n_train: int, limits: Limits, notes: list[str]) -> tuple[TrainConfig, list[str]]:
    """`config` within the memory and work rules: fewer epochs (work grows with them), then a
    smaller training set (memory and work grow with it), halved until it fits."""
    cost = run_cost(config, n_train)
    per_epoch = cost.multiply_adds / max(config.epochs, 1)
    most = int(limits.max_run_work * 1e9 // per_epoch) if per_epoch else config.epochs
    if 1 <= most < config.epochs:
        notes.append(f"epochs lowered from {config.epochs} to {most}, the most this server's work limit allows")
        config = dataclasses.replace(config, epochs=most)
    size = before = min(config.train_size or n_train, n_train)
    while cost_problems(config, n_train, limits) and size > 1:
        size //= 2
        config = dataclasses.replace(config, train_size=size)
    if size != before:
        notes.append(f"training on a random {size:,} of {before:,} images, within this server's "
                     "memory and work limits per run")
    return config, notes
