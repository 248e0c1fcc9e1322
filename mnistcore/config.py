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
    # What the app starts with (issue 20: >= 98% in under 6 s of training on two cores;
    # benchmarks/bench_presets.py measures the time). Batches of 256 halve the optimizer's
    # steps, and so Adam's per-weight arithmetic, which a 512-unit layer makes costly.
    "default": TrainConfig(hidden=(512,), optimizer="adam", lr=3e-3, batch_size=256,
                           epochs=4, dropout=0.2, schedule="cosine"),
    # The best this engine does within three minutes on two cores (issue 20: >= 99%).
    "best": TrainConfig(hidden=(1024,), optimizer="adam", lr=2e-3, batch_size=128,
                        epochs=30, dropout=0.2, schedule="cosine", augment=True),
    # NumPy's "Deep learning on MNIST" tutorial (numpy-tutorials): 784-100-10, ReLU, squared
    # error on linear outputs, dropout 0.5, lr 0.005, one image per update, 20 epochs, 1,000
    # training images. Its U(-0.1, 0.1) weights are not among the app's inits: Xavier is the
    # nearest (U(+-0.08) into the hidden layer); U(-0.5, 0.5) makes this run diverge.
    "numpy_tutorial": TrainConfig(hidden=(100,), init="uniform_small", loss="mse", lr=0.005,
                                  batch_size=1, epochs=20, dropout=0.5, train_size=1000),
    # The from-scratch notebook (Kaggle): 784-10-10, U(-0.5, 0.5) weights, full-batch descent
    # with lr 0.1 for 500 iterations on Kaggle's 42,000-image train.csv, 1,000 of them held out
    # as its dev set (val_split 1/42 of 42,000 is exactly 1,000).
    "tiny_full_batch": TrainConfig(hidden=(10,), init="uniform", lr=0.1, batch_size=0,
                                   epochs=500, train_size=42_000, val_split=1 / 42),
    # Per-sample SGD: one update per image, noisy but many steps per epoch.
    "per_sample": TrainConfig(hidden=(128,), lr=0.01, batch_size=1, epochs=1),
}

# Each note states settings and at most one measured outcome ("N% test accuracy"), which
# tests/test_presets.py checks against the preset's seeded run.
PRESET_NOTES: dict[str, str] = {
    "seed": ("The seed notebook: 784-128-10 with ReLU, He init and plain SGD (lr 0.1, batch 128, 10 epochs): "
             "97.0% test accuracy."),
    "default": ("784-512-10 with dropout 0.2, Adam (lr 0.003) on batches of 256 and a cosine schedule, "
                "4 epochs: 98.1% test accuracy."),
    "best": ("784-1024-10 with dropout 0.2, Adam (lr 0.002) and a cosine schedule, 30 epochs, each image "
             "shifted by up to 2 pixels and turned by up to 10 degrees afresh every epoch: at least 99.0% test accuracy."),
    "numpy_tutorial": ("NumPy's \"Deep learning on MNIST\" tutorial: 784-100-10 with ReLU, squared error on "
                       "linear outputs, dropout 0.5, lr 0.005, one image per update, 20 epochs on 1,000 training "
                       "images, weights U(-0.1, 0.1): 88.0% test accuracy. Where the app differs: the tutorial takes "
                       "the first 1,000 images in the same order every epoch, here a seeded random 1,000 shuffled "
                       "each epoch; it has no biases, here they start at 0 and learn (every layer of the app's "
                       "networks has them); its backward "
                       "pass lets the gradient through switched-off ReLUs and leaves out dropout's factor 2, here "
                       "the gradient is the exact one. It reports the summed squared error of an image, "
                       "twice the loss shown here (which halves it so that its gradient is z - t)."),
    "tiny_full_batch": ("The from-scratch notebook: 784-10-10 with ReLU and softmax, weights U(-0.5, 0.5), "
                        "full-batch gradient descent with lr 0.1 for 500 iterations on 41,000 training images "
                        "(a 42,000-image subset, the size of Kaggle's train.csv, less 1,000 held out for "
                        "validation as its dev set): 84.2% test accuracy. Where the app differs: the notebook's "
                        "biases start U(-0.5, 0.5) and each layer's biases share one gradient (the sum over "
                        "the whole matrix); here they start at 0 and each gets its own, the exact gradient."),
    # No count of steps: a server's limit may train it on fewer than all 60,000 images.
    "per_sample": ("Per-sample SGD: one update per training image, so an epoch takes as many steps as "
                   "there are images, each on one image's gradient: a long, noisy path."),
}
