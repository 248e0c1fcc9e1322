"""Training configuration: plain, validated, seeded data.

A ``TrainConfig`` says everything that decides a run. The same config (seed
included) gives the same numbers, bit for bit, so a config is also the name of
a result: it is what the command line prints, what a saved model stores and
what a page puts in its URL.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

# The option names each setting accepts. The modules that implement them hold
# the functions in dicts under the same keys (ACTIVATIONS in activations.py ...);
# the names are repeated here so that a config can be checked without NumPy work.
ACTIVATION_NAMES = ("relu", "leaky_relu", "sigmoid", "tanh")
INIT_NAMES = ("he", "xavier", "uniform")
LOSS_NAMES = ("ce", "mse")
OPTIMIZER_NAMES = ("sgd", "momentum", "adam")
SCHEDULE_NAMES = ("constant", "step", "cosine")
DTYPE_NAMES = ("float32", "float64")

N_INPUTS = 784  # 28 x 28 pixels
N_CLASSES = 10


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _check_range(name: str, value: float, low: float, high: float,
                 low_open: bool = False, high_open: bool = False) -> None:
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high or value != value:  # value != value catches NaN
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low}, {high}{right}; got {value!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run.

    ``batch_size`` 0 means full batch (one step per epoch over all samples), 1
    means per-sample SGD. ``train_size`` 0 uses the whole training set, a
    positive number a seeded random subset of that size. ``early_stopping`` is
    a patience in epochs (0 = off) and needs a validation split.
    """

    hidden: tuple[int, ...] = (128,)
    activation: str = "relu"
    init: str = "he"
    loss: str = "ce"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = False
    batch_size: int = 128
    epochs: int = 10
    dropout: float = 0.0
    l2: float = 0.0
    seed: int = 0
    dtype: str = "float32"
    train_size: int = 0
    val_split: float = 0.0
    early_stopping: int = 0
    schedule: str = "constant"
    augment: bool = False

    def __post_init__(self) -> None:
        # Accept lists (from JSON) but store a tuple, so configs stay hashable.
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for width in self.hidden:
            if not isinstance(width, int) or isinstance(width, bool) or width < 1:
                raise ValueError(f"hidden layer widths must be whole numbers >= 1; got {self.hidden!r}")
        _check_choice("activation", self.activation, ACTIVATION_NAMES)
        _check_choice("init", self.init, INIT_NAMES)
        _check_choice("loss", self.loss, LOSS_NAMES)
        _check_choice("optimizer", self.optimizer, OPTIMIZER_NAMES)
        _check_choice("schedule", self.schedule, SCHEDULE_NAMES)
        _check_choice("dtype", self.dtype, DTYPE_NAMES)
        _check_range("lr", self.lr, 0.0, 100.0, low_open=True)
        _check_range("momentum", self.momentum, 0.0, 1.0, high_open=True)
        _check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        _check_range("l2", self.l2, 0.0, 10.0)
        _check_range("val_split", self.val_split, 0.0, 0.9)
        for name in ("batch_size", "epochs", "seed", "train_size", "early_stopping"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0; got {value!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1; got {self.epochs}")
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
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
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
