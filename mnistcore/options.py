"""The one table of training options: what each TrainConfig setting may be, and how to say it.

``OPTIONS[name]`` describes the setting ``name`` (a TrainConfig field, which is also its JSON
key and its link parameter; its command-line flag is ``--`` + the name with ``-`` for ``_``):
its kind, default, allowed choices or range (with open or closed ends), label, one sentence of
help and, where it has one, the formula the code computes. A setting with choices points at the
registry that implements them (``ACTIVATIONS``, ``INITS``, ``LOSSES``, ``OPTIMIZERS``,
``SCHEDULES``, ``DTYPES``), whose entries carry the function or class and its own ``label``,
``help`` and ``formula``, written beside the code that computes it. So adding an activation or
an optimizer is one entry in its registry: config validation (config.py), the model's checks,
the command line's choices and help (cli.py) and the pages' widgets and link parsers all read
it from here.

How a page reads it (ui/training.py):

    from mnistcore.options import OPTIONS
    opt = OPTIONS["optimizer"]
    name = st.selectbox(opt.label, list(opt.choices), format_func=opt.choice_label, help=opt.help)
    st.latex(opt.choices[name].formula)                  # the formula of the chosen optimizer
    st.latex(OPTIONS["dropout"].formula)                 # a setting's own formula
    st.slider(OPTIONS["momentum"].label, OPTIONS["momentum"].low, OPTIONS["momentum"].page_high)
    value = OPTIONS["lr"].parse(text)                    # a link's text -> value, or ValueError
    text = OPTIONS["lr"].to_text(value)                  # value -> a link's text (round-trips)

``page_high`` is where a widget's scale ends when that is short of the engine's range (a
momentum of 0.999 is allowed, a slider stops at 0.99); a loaded config beyond it is still valid.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

import numpy as np

from .activations import ACTIVATIONS
from .inits import INITS
from .losses import LOSSES
from .optimizers import OPTIMIZERS, Momentum
from .schedules import SCHEDULES

N_INPUTS = 784   # 28 x 28 pixels
N_CLASSES = 10
MAX_HIDDEN_LAYERS = 32
MAX_PARAMETERS = 50_000_000   # 200 MB of float32, the most a model file may hold (checkpoint.py)


class Choice(NamedTuple):
    """A registry entry for a choice that has no module of its own (the dtypes)."""

    fn: Any
    formula: str
    label: str
    help: str


DTYPES: dict[str, Choice] = {
    "float32": Choice(np.float32, "", "float32", "Single precision: twice as fast, plenty for training."),
    "float64": Choice(np.float64, "", "float64", "Double precision: slower; for checking that float32 changes nothing."),
}

_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class Option:
    """One setting: ``kind`` is "choice", "float", "int", "bool" or "widths" (hidden layers)."""

    name: str
    kind: str
    default: Any
    label: str
    help: str
    choices: Mapping[str, Any] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    page_high: float | None = None
    formula: str | None = None
    metavar: str | None = None

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. "--batch-size"."""
        return "--" + self.name.replace("_", "-")

    @property
    def link(self) -> str:
        """The link (URL query) parameter: the field's name."""
        return self.name

    def choice_label(self, key: str) -> str:
        """The plain-words label of choice ``key`` (for a select box's format_func)."""
        return self.choices[key].label

    @property
    def range_text(self) -> str:
        """The allowed values in words, e.g. "in (0, 100]" or "one of sgd, momentum, adam"."""
        if self.kind == "choice":
            return f"one of {', '.join(self.choices)}"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "widths":
            return (f"whole numbers >= 1, up to {MAX_HIDDEN_LAYERS} layers and "
                    f"{MAX_PARAMETERS:,} parameters in all")
        if self.kind == "int":
            return f"a whole number >= {self.low:g}" + (f" and <= {self.high:g}" if self.high is not None else "")
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"in {left}{self.low}, {self.high}{right}"

    def check(self, value: Any) -> Any:
        """``value`` if it is allowed (widths as a tuple), else ValueError naming it and the range."""
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"{self.name} must be {self.range_text}; got {value!r}")
        elif self.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{self.name} must be true or false; got {value!r}")
            value = bool(value)
        elif self.kind == "widths":
            value = _check_widths(value)
        elif self.kind == "int":
            if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < self.low:
                raise ValueError(f"{self.name} must be a whole number >= {self.low:g}; got {value!r}")
            if self.high is not None and value > self.high:
                raise ValueError(f"{self.name} must be {self.range_text}; got {value!r}")
            value = int(value)
        else:
            if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{self.name} must be a number {self.range_text}; got {value!r}")
            too_low = value <= self.low if self.low_open else value < self.low
            too_high = value >= self.high if self.high_open else value > self.high
            if too_low or too_high or value != value:  # value != value catches NaN
                raise ValueError(f"{self.name} must be {self.range_text}; got {value!r}")
            value = float(value)
        return value

    def parse(self, text: str) -> Any:
        """The value written as ``text`` (a link's or a flag's), checked; ValueError if not usable."""
        text = text.strip()
        if self.kind == "widths":
            return self.check(parse_hidden(text))
        if self.kind == "bool":
            if text.lower() not in _WORDS:
                raise ValueError(f"{self.name}: {text!r} is not true or false")
            return _WORDS[text.lower()]
        if self.kind == "int":
            if not text.lstrip("-").isdigit():
                raise ValueError(f"{self.name}: {text!r} is not a whole number")
            return self.check(int(text))
        if self.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{self.name}: {text!r} is not a number") from None
            return self.check(value)
        return self.check(text)

    def to_text(self, value: Any) -> str:
        """``value`` as a link writes it; ``parse`` reads it back exactly."""
        if self.kind == "widths":
            return ",".join(map(str, value))
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "float":
            return repr(float(value))  # round-trips exactly: a link never nudges a setting
        return str(value)


def parse_hidden(text: str) -> tuple[int, ...]:
    """'256,128' -> (256, 128); '' -> () (no hidden layer: softmax regression). ValueError if not."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise ValueError(f"hidden layer widths are whole numbers separated by commas, like 256,128; got {text!r}")
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"{len(parts)} hidden layers; at most {MAX_HIDDEN_LAYERS} are allowed")
    return tuple(int(p) for p in parts)


def parameter_count(sizes: tuple[int, ...]) -> int:
    """Weights and biases of an MLP with layer widths ``sizes`` (input first)."""
    return sum(i * o + o for i, o in zip(sizes[:-1], sizes[1:]))


def _check_widths(value: Any) -> tuple[int, ...]:
    try:
        hidden = tuple(value)
    except TypeError:
        raise ValueError(f"hidden layer widths must be a list of whole numbers; got {value!r}") from None
    for width in hidden:
        if not isinstance(width, (int, np.integer)) or isinstance(width, (bool, np.bool_)) or width < 1:
            raise ValueError(f"hidden layer widths must be whole numbers >= 1; got {value!r}")
    hidden = tuple(int(w) for w in hidden)
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"{len(hidden)} hidden layers; at most {MAX_HIDDEN_LAYERS} are allowed")
    count = parameter_count((N_INPUTS, *hidden, N_CLASSES))
    if count > MAX_PARAMETERS:
        raise ValueError(f"hidden layer widths {','.join(map(str, hidden))} make {count:,} parameters; "
                         f"at most {MAX_PARAMETERS:,} are allowed (the most a model file may hold)")
    return hidden


_O = Option
OPTIONS: dict[str, Option] = {o.name: o for o in (
    _O("hidden", "widths", (128,), "Hidden layer widths",
       "hidden layer widths, e.g. 256,128 (none: softmax regression). More units can tell more ways of writing "
       "a digit apart but take longer per epoch; deeper stacks are harder to train"),
    _O("activation", "choice", "relu", "Activation",
       "the hidden layers' activation function. ReLU trains fastest here; sigmoid and tanh saturate, so a deep "
       "stack of them learns slowly",
       choices=ACTIVATIONS),
    _O("init", "choice", "he", "Initial weights",
       "how the initial weights are drawn (biases start at 0). A scale that suits the activation (He for ReLU, "
       "Xavier for sigmoid and tanh) starts training fast; U(-0.5, 0.5) starts with huge outputs",
       choices=INITS),
    _O("loss", "choice", "ce", "Loss",
       "the loss on the output scores. Cross-entropy on softmax probabilities pushes hard on confident "
       "mistakes; MSE on the raw scores learns more slowly", choices=LOSSES),
    _O("optimizer", "choice", "sgd", "Optimizer",
       "the update rule. SGD steps against the gradient; momentum keeps part of the last step; Adam also "
       "scales each weight's step and copes with a wider range of learning rates", choices=OPTIMIZERS),
    _O("lr", "float", 0.1, "Learning rate η",
       "learning rate: the step size eta. Too large and the loss jumps about or the run diverges; too small "
       "and it crawls",
       low=0.0, high=100.0, low_open=True),
    _O("momentum", "float", 0.9, "Momentum μ", "momentum mu: the share of the last step kept (momentum only)",
       low=0.0, high=1.0, high_open=True, page_high=0.99),
    _O("nesterov", "bool", False, "Nesterov",
       "Nesterov momentum (the gradient at the look-ahead point), in Sutskever's form: the weights kept "
       "are the look-ahead point w + mu v, "
       "where the gradient is taken", formula=Momentum.nesterov_formula),
    _O("batch_size", "int", 128, "Batch size B",
       "images per step: 0 = full batch, 1 = per-sample SGD. Smaller batches take more, noisier steps per "
       "epoch; larger ones fewer, smoother ones",
       low=0, formula=r"\nabla_w L \approx \frac{1}{B} \sum_{i \in \text{batch}} \nabla_w L_i"),
    _O("epochs", "int", 10, "Epochs",
       "passes over the training set. More epochs train longer; on a small training set they also overfit",
       low=1),
    _O("dropout", "float", 0.0, "Dropout p",
       "share of hidden units zeroed at each training step (off when scoring); the kept ones are divided by 1 - p",
       low=0.0, high=1.0, high_open=True, page_high=0.9,
       formula=r"a \leftarrow \frac{m \odot a}{1 - p}, \quad m_j \sim \mathrm{Bernoulli}(1 - p)"),
    _O("l2", "float", 0.0, "L2 regularisation λ",
       "L2 regularisation: lambda W is added to each weight gradient (the loss plotted leaves the penalty out); "
       "with Adam it is then rescaled like the rest of the gradient, unlike decoupled weight decay (AdamW), "
       "which shrinks the weights by eta lambda W directly",
       low=0.0, high=10.0,
       formula=(r"L_{\text{total}} = L + \frac{\lambda}{2} \sum_l \lVert W_l \rVert^2 \quad "
                r"\Rightarrow\ \nabla_W L_{\text{total}} = \nabla_W L + \lambda W")),
    _O("seed", "int", 0, "Seed", "seed of every random draw: same settings and seed, the same numbers bit for bit",
       low=0, page_high=2**32 - 1),
    _O("dtype", "choice", "float32", "Precision",
       "floating-point precision of weights and arithmetic. float32 is about twice as fast; float64 gives "
       "nearly the same accuracy",
       choices=DTYPES),
    _O("train_size", "int", 0, "Training images",
       "train on a seeded random subset of this size (0 = all). Fewer images train faster but the network "
       "does worse on new ones",
       low=0),
    _O("val_split", "float", 0.0, "Validation split",
       "share of the training set held out for validation: never trained on, it shows when the network "
       "starts to overfit",
       low=0.0, high=0.9, page_high=0.5),
    _O("early_stopping", "int", 0, "Early stopping patience",
       "stop after this many epochs without a better validation loss, keeping the best weights "
       "(needs a validation split; 0 = off)", low=0, page_high=20, metavar="PATIENCE"),
    _O("schedule", "choice", "constant", "Learning-rate schedule",
       "how the learning rate changes epoch by epoch. Decaying it (step, cosine) lets a run take big steps "
       "early and settle late",
       choices=SCHEDULES),
    _O("augment", "bool", False, "Augment the images",
       "random shifts (up to ±2 px) and small rotations of the training images, new ones each epoch. Slower per epoch; "
       "the network learns to read digits that are not perfectly placed"),
)}


def check(name: str, value: Any) -> Any:
    """``OPTIONS[name].check(value)``: the value if allowed, else ValueError saying what is."""
    return OPTIONS[name].check(value)
