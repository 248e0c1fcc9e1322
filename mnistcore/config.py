"""Training configuration: plain, validated, seeded data.

A ``TrainConfig`` says everything that decides a run. The same config (seed
included) gives the same numbers, bit for bit, so a config is also the name of
a result: it is what the command line prints, what a saved model stores and
what a page puts in its URL.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

from .options import MAX_PARAMETERS, N_CLASSES, N_INPUTS, OPTIONS  # noqa: F401 (config.N_INPUTS ... as before)

# The option names each setting accepts, from the one table (options.py).
ACTIVATION_NAMES = tuple(OPTIONS["activation"].choices)
INIT_NAMES = tuple(OPTIONS["init"].choices)
LOSS_NAMES = tuple(OPTIONS["loss"].choices)
OPTIMIZER_NAMES = tuple(OPTIONS["optimizer"].choices)
SCHEDULE_NAMES = tuple(OPTIONS["schedule"].choices)
DTYPE_NAMES = tuple(OPTIONS["dtype"].choices)

_D = {name: option.default for name, option in OPTIONS.items()}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; each field's range and default are in options.py.

    ``batch_size`` 0 means full batch (one step per epoch over all samples), 1
    means per-sample SGD. ``train_size`` 0 uses the whole training set, a
    positive number a seeded random subset of that size. ``early_stopping`` is
    a patience in epochs (0 = off) and needs a validation split.
    """

    hidden: tuple[int, ...] = _D["hidden"]
    activation: str = _D["activation"]
    init: str = _D["init"]
    loss: str = _D["loss"]
    optimizer: str = _D["optimizer"]
    lr: float = _D["lr"]
    momentum: float = _D["momentum"]
    nesterov: bool = _D["nesterov"]
    batch_size: int = _D["batch_size"]
    epochs: int = _D["epochs"]
    dropout: float = _D["dropout"]
    l2: float = _D["l2"]
    seed: int = _D["seed"]
    dtype: str = _D["dtype"]
    train_size: int = _D["train_size"]
    val_split: float = _D["val_split"]
    early_stopping: int = _D["early_stopping"]
    schedule: str = _D["schedule"]
    augment: bool = _D["augment"]

    def __post_init__(self) -> None:
        # Each field checked against its row of the table; hidden is stored as a tuple (a JSON
        # list is accepted), so configs stay hashable.
        for f in fields(self):
            object.__setattr__(self, f.name, OPTIONS[f.name].check(getattr(self, f.name)))
        if self.early_stopping and self.val_split == 0:
            raise ValueError("early_stopping needs a validation split: set val_split > 0")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths from input to output, e.g. (784, 128, 10)."""
        return (N_INPUTS, *self.hidden, N_CLASSES)

    def to_dict(self) -> dict:
        """A JSON-ready dict (hidden as a list)."""
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Build a config from a dict such as ``to_dict`` makes; unknown keys are an error."""
        if not isinstance(d, dict):
            raise ValueError(f"a config must be a dict of settings; got {type(d).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(map(str, set(d) - known))
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        return cls(**d)

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


PRESETS: dict[str, TrainConfig] = {
    # The seed notebook: 784-128-10, ReLU, softmax + cross-entropy, He init, SGD.
    "seed": TrainConfig(),
    # What the app starts with: about ten seconds on two cores, past 98%.
    "default": TrainConfig(hidden=(512,), optimizer="adam", lr=2e-3, batch_size=128,
                           epochs=6, dropout=0.2, schedule="cosine"),
    # The best this engine does within three minutes on two cores.
    "best": TrainConfig(hidden=(1024,), optimizer="adam", lr=2e-3, batch_size=128,
                        epochs=20, dropout=0.2, schedule="cosine", augment=True),
    # NumPy's "deep learning on MNIST" tutorial: 1000 samples, MSE on linear outputs,
    # dropout, per-sample updates.
    "numpy_tutorial": TrainConfig(hidden=(100,), init="uniform", loss="mse", lr=0.005,
                                  batch_size=1, epochs=20, dropout=0.5, train_size=1000),
    # The "from scratch" notebook: 784-10-10, uniform(-0.5, 0.5) init, full-batch descent.
    "tiny_full_batch": TrainConfig(hidden=(10,), init="uniform", lr=0.1, batch_size=0,
                                   epochs=300),
    # Per-sample SGD: one update per image, noisy but many steps per epoch.
    "per_sample": TrainConfig(hidden=(128,), lr=0.01, batch_size=1, epochs=1),
}

PRESET_NOTES: dict[str, str] = {
    "seed": "The seed notebook: 784-128-10 with ReLU, He init and plain SGD (lr 0.1, batch 128, 10 epochs).",
    "default": "A 512-unit layer with dropout, Adam and a cosine schedule: past 98% in about ten seconds.",
    "best": "1024 hidden units, dropout and shifted/rotated copies of the images each epoch: past 99%, a couple of minutes.",
    "numpy_tutorial": "NumPy's tutorial: 1000 samples, MSE loss on linear outputs, dropout 0.5, one sample per update.",
    "tiny_full_batch": "A 784-10-10 network trained on all 60,000 images at once per step, as in the from-scratch notebook.",
    "per_sample": "Per-sample SGD: one update per image, a noisy path with 60,000 steps per epoch.",
}
