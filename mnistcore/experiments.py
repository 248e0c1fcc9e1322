"""Guided experiments ("Try this"): predict the outcome, run it, see why.

Each ``Experiment`` is plain data: the question, a few predictions (one right), the runs it
makes (a page and the settings of that page's link, so the button, the Home page's list and a
shared URL all set the page up the same way), the outcome explained, and ``Claim``s that a
test checks on the same seeded runs:

    exp = EXPERIMENTS["lr_too_large"]
    exp.link()      # "train?dataset=mnist&preset=seed&train_size=10000&epochs=3&lr=5.0&try=lr_too_large"
    outcomes = [measure(run.config(), dataset) for run in exp.runs]
    failed = exp.failed_claims(outcomes)   # [] when the run showed what the page says it shows

The Train page's link names its settings by their ``TrainConfig`` field names (plus
``preset=``, whose settings the others change, and the app's ``dataset=``), so a run's
``config()`` is exactly what the page trains when the link is opened.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from .config import PRESETS, TrainConfig
from .model import MLP
from .options import OPTIONS
from .predict import predict_image
from .train import Trainer, evaluate

# --- what a run measured -----------------------------------------------------------------------

Outcome = dict  # metric name -> number or status string; see measure() and shifted_digits()


def measure(config: TrainConfig, dataset) -> Outcome:
    """Train ``config`` on ``dataset`` as the Train page does and return what the claims look at.

    - ``status``: "done", "diverged" or "early_stopped"
    - ``test_accuracy``, ``test_loss``: the final model on the whole test split (after early
      stopping, the restored best weights), as the page's results show
    - ``train_accuracy``: the last epoch's, on the page's training sample
    - ``gap``: train_accuracy - test_accuracy (overfitting shows as a large gap)
    - ``initial_loss``: the untrained network's mean loss on the test split
    - ``grad_first``, ``grad_last``: mean |dW| of the first and last layer at the end of
      epoch 1; ``grad_ratio`` = grad_first / grad_last (vanishing gradients: tiny)
    - ``test_loss_rise``: the last epoch's test loss minus the lowest of any epoch
    - ``epochs``: epochs trained
    The numbers do not depend on how often progress is reported: the seed stream is the same.
    """
    trainer = Trainer(config, dataset, points_per_epoch=1, score_steps=False)
    initial_loss, _ = evaluate(trainer.model, trainer.x_test, trainer.y_test)
    for _ in trainer.run():
        pass
    epochs = [e for e in trainer.history if e.kind == "epoch"]
    test_loss, test_accuracy = evaluate(trainer.model, trainer.x_test, trainer.y_test)
    finite = [e.test_loss for e in epochs if e.test_loss is not None and math.isfinite(e.test_loss)]
    grads = epochs[0].grad_norms if epochs else [math.nan]
    train_accuracy = epochs[-1].train_accuracy if epochs else math.nan
    return {
        "status": trainer.status,
        "test_accuracy": test_accuracy, "test_loss": test_loss, "train_accuracy": train_accuracy,
        "gap": train_accuracy - test_accuracy, "initial_loss": initial_loss,
        "grad_first": grads[0], "grad_last": grads[-1],
        "grad_ratio": grads[0] / grads[-1] if grads[-1] else math.nan,
        "test_loss_rise": finite[-1] - min(finite) if finite else math.nan,
        "epochs": trainer.epoch,
    }


def to_corner(image: np.ndarray) -> np.ndarray:
    """The 28x28 uint8 digit moved so that its ink touches the top-left corner (same pixels)."""
    out = np.zeros_like(image)
    rows, cols = np.nonzero(image)
    if len(rows):
        out[rows - rows.min(), cols - cols.min()] = image[rows, cols]
    return out


def shifted_digits(model: MLP, dataset, n: int = 300) -> Outcome:
    """Accuracy on the first ``n`` test digits moved to the top-left corner, read as the Draw page
    reads a drawing (cropped, scaled and centred: ``centred_accuracy``) and without that step
    (``raw_accuracy``), next to the unshifted digits' (``plain_accuracy``)."""
    x, y = dataset.x_test[:n], dataset.y_test[:n]

    def accuracy(images, preprocess: bool) -> float:
        return float(np.mean([predict_image(model, im, preprocess)[0].argmax() == t for im, t in zip(images, y)]))

    moved = np.stack([to_corner(im.reshape(28, 28)) for im in x])
    return {"centred_accuracy": accuracy(moved, True), "raw_accuracy": accuracy(moved, False),
            "plain_accuracy": accuracy(x.reshape(-1, 28, 28), False)}


# --- experiments as data -----------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    """One run of an experiment: the page it runs on and the settings its link gives.

    ``preset`` and ``changes`` (TrainConfig field -> value) for the Train page; ``dataset``
    the app's data set (``dataset=`` in every page's link).
    """
    label: str
    page: str = "train"
    preset: str | None = "seed"
    changes: tuple[tuple[str, object], ...] = ()
    dataset: str = "mnist"

    def config(self) -> TrainConfig:
        """The TrainConfig the Train page trains when this run's link is opened."""
        return PRESETS[self.preset or "default"].replace(**dict(self.changes))

    def query(self) -> dict[str, str]:
        """The link's parameters, in the order they are written."""
        q: dict[str, str] = {"dataset": self.dataset}  # always: a link followed in a session sets it too
        if self.page == "train":
            q["preset"] = self.preset or "default"
            q.update({name: OPTIONS[name].to_text(value) for name, value in self.changes})
        return q

    def link(self, extra: dict[str, str] | None = None) -> str:
        """The page's link: path and query string, e.g. "train?preset=seed&lr=5.0"."""
        q = {**self.query(), **(extra or {})}
        return self.page + ("?" + urlencode(q) if q else "")


OPS = {"<": operator.lt, ">": operator.gt, "==": operator.eq}


@dataclass(frozen=True)
class Claim:
    """A checkable sentence: ``metric`` of run ``run`` ``op`` a bound.

    The bound is ``value``, or, with ``than`` (another run's index), that run's same metric
    times ``value`` (``by="times"``) or plus ``value`` (``by="plus"``).
    """
    text: str
    metric: str
    op: str
    value: float | str
    run: int = 0
    than: int | None = None
    by: str = "times"

    def holds(self, outcomes: list[Outcome]) -> bool:
        left = outcomes[self.run][self.metric]
        if self.than is None:
            right = self.value
        else:
            other = outcomes[self.than][self.metric]
            right = other * self.value if self.by == "times" else other + self.value
        return bool(OPS[self.op](left, right))


@dataclass(frozen=True)
class Experiment:
    """A guided experiment: ask, let the learner predict, run, explain, and claims to test."""
    id: str
    title: str
    question: str
    predictions: tuple[str, ...]
    answer: int                      # index of the right prediction
    runs: tuple[Run, ...]            # the first is the one the button runs; the others compare
    explanation: str
    claims: tuple[Claim, ...] = field(default=())

    @property
    def page(self) -> str:
        return self.runs[0].page

    def link(self, i: int = 0) -> str:
        """Run ``i``'s link, with ``try=`` naming this experiment (its page opens it set up)."""
        return self.runs[i].link({"try": self.id})

    def failed_claims(self, outcomes: list[Outcome]) -> list[Claim]:
        return [c for c in self.claims if not c.holds(outcomes)]


SMALL = (("train_size", 10_000), ("epochs", 3))  # 10,000 images, 3 epochs: a few seconds a run
# The default preset's kind of network, spelled out (the preset may be retuned): 512 units, Adam, dropout, cosine.
DIGITS_BEST = (("hidden", (512,)), ("optimizer", "adam"), ("lr", 0.002), ("batch_size", 128), ("dropout", 0.2),
               ("schedule", "cosine"), *SMALL)

EXPERIMENTS_LIST: tuple[Experiment, ...] = (
    Experiment(
        "lr_too_large", "A learning rate ten times too large",
        "The seed network (it uses η = 0.1) also learns well with η = 0.5. What happens at η = 5, ten times larger?",
        ("It learns faster and ends higher.", "About the same: the rate hardly matters.",
         "It fails: test accuracy stays near chance (10%).", "It learns, but a little slower."),
        2,
        (Run("η = 5", changes=(*SMALL, ("lr", 5.0))), Run("η = 0.5", changes=(*SMALL, ("lr", 0.5)))),
        "Each step moves the weights by η times the gradient. At η = 5 the first steps overshoot so far "
        "that the weights land where the network answers no better than a guess, and it never gets "
        "back (a run whose loss blows up is stopped as diverged). Ten times smaller, η = 0.5, learns fine.",
        (Claim("η = 5 ends below 20% test accuracy", "test_accuracy", "<", 0.2),
         Claim("η = 0.5 ends above 85%", "test_accuracy", ">", 0.85, run=1)),
    ),
    Experiment(
        "lr_too_small", "A learning rate ten times too small",
        "The seed network uses η = 0.1. With η = 0.01 and the same three epochs, where does it end?",
        ("Higher: small steps are more careful.", "The same, just as fast.",
         "Lower: it is still crawling downhill when the epochs run out.", "It diverges."),
        2,
        (Run("η = 0.01", changes=(*SMALL, ("lr", 0.01))), Run("η = 0.1", changes=SMALL)),
        "Ten times smaller steps go ten times less far per step: after the same number of steps the "
        "loss is still far above where η = 0.1 got to. Nothing is wrong with the network; it just "
        "needs many more epochs. Compare the two runs in the runs overlay.",
        (Claim("η = 0.01 ends at least 5 points below η = 0.1", "test_accuracy", "<", -0.05, than=1, by="plus"),),
    ),
    Experiment(
        "sigmoid_deep", "Vanishing gradients: five sigmoid layers",
        "A network with five hidden sigmoid layers (Xavier init) trains for two epochs. How much gradient "
        "reaches its first layer, compared with its last?",
        ("About as much: every layer learns equally.", "More: the first layer is closest to the data.",
         "Hundreds of times less: the first layer hardly learns.", "None at all: it is exactly zero."),
        2,
        (Run("sigmoid", changes=(("hidden", (128,) * 5), ("activation", "sigmoid"), ("init", "xavier"),
                                 ("train_size", 10_000), ("epochs", 2))),
         Run("ReLU + He", changes=(("hidden", (128,) * 5), ("train_size", 10_000), ("epochs", 2)))),
        "Backpropagation multiplies the gradient by σ'(z) ≤ 0.25 at every sigmoid layer, and the "
        "layers' weights are small, so the signal shrinks layer by layer on its way back: the first "
        "layer gets a few thousandths of what the last gets, and the network stays near chance. "
        "ReLU passes the gradient unchanged where a unit is on (slope 1), and He init keeps the "
        "signal's size steady, so all its layers learn. See the gradient-flow chart on Inside the network.",
        (Claim("sigmoid: first layer's gradient < 1/100 of the last layer's", "grad_ratio", "<", 0.01),
         Claim("the sigmoid stack stays below 30% test accuracy", "test_accuracy", "<", 0.3),
         Claim("ReLU + He: first layer's gradient > 1/10 of the last layer's", "grad_ratio", ">", 0.1, run=1),
         Claim("ReLU + He ends above the sigmoid stack", "test_accuracy", ">", 0.3, run=1, than=0, by="plus")),
    ),
    Experiment(
        "zero_init", "All weights start at zero",
        "Why start from random weights at all? What happens when every weight of the seed network "
        "starts at 0?",
        ("It learns as usual, only a little slower.", "It learns faster: no bad random start to undo.",
         "It cannot learn: the hidden layer gets no gradient and stays at chance.",
         "It diverges."),
        2,
        (Run("all zeros", changes=(*SMALL, ("init", "zeros"))), Run("He", changes=SMALL)),
        "With every weight 0 each hidden unit computes the same thing, 0, and the gradient each one "
        "gets comes back through the output weights, which are 0 too: the hidden layer's gradient is "
        "exactly zero and it never moves. Only the output biases learn, so the network guesses the "
        "commonest digit. Random weights break this symmetry: each unit starts different, so each "
        "learns a different feature.",
        (Claim("all zeros: the first layer's gradient is exactly 0", "grad_first", "==", 0.0),
         Claim("all zeros stays near chance (below 20%)", "test_accuracy", "<", 0.2),
         Claim("He learns (above 80%)", "test_accuracy", ">", 0.8, run=1)),
    ),
    Experiment(
        "uniform_init", "Initial weights U(-0.5, 0.5) on 784 inputs",
        "The from-scratch notebook draws every weight from U(-0.5, 0.5). With 784 inputs per unit, "
        "how does that compare with He init (variance 2/784)?",
        ("The same: training fixes any start.", "Better: bigger weights learn faster.",
         "Worse: the first outputs are huge, the start loss is several times higher and it ends lower.",
         "It cannot train at all."),
        2,
        (Run("U(-0.5, 0.5)", changes=(*SMALL, ("init", "uniform"))), Run("He", changes=SMALL)),
        "A unit sums 784 inputs times weights; with U(-0.5, 0.5) that sum has a spread of several "
        "units, and the next layer makes it larger still, so the untrained network is confidently "
        "wrong: its loss starts around 12 instead of log 10 ≈ 2.3. He init scales each weight by "
        "√(2/fan-in) so the outputs start small, and it learns faster from the first step.",
        (Claim("uniform's loss before training > 3x He's", "initial_loss", ">", 3.0, than=1),
         Claim("uniform ends at least 3 points below He", "test_accuracy", "<", -0.03, than=1, by="plus")),
    ),
    Experiment(
        "capacity", "20 hidden units against 128",
        "The notebook's capacity lesson: on all 60,000 images for five epochs, does a 784-20-10 network "
        "do as well as 784-128-10?",
        ("Yes: 20 units are plenty for ten digits.", "20 units do better: fewer weights to learn.",
         "128 units do better, by more than a point.", "Neither learns in five epochs."),
        2,
        (Run("20 units", changes=(("hidden", (20,)), ("epochs", 5))),
         Run("128 units", changes=(("epochs", 5),))),
        "Twenty units can only look for twenty patterns of ink; 128 can tell apart many more ways of "
        "writing each digit. Both learn, but the small network runs out of room sooner.",
        (Claim("128 units end more than a point above 20", "test_accuracy", ">", 0.01, run=1, than=0, by="plus"),),
    ),
    Experiment(
        "dropout", "50% dropout on a small training set",
        "On 1,000 training images for 100 epochs the network learns them by heart. What does switching off "
        "half the hidden units at random in every step (dropout 0.5) do to the test accuracy?",
        ("Lowers it: half the network is missing.", "Raises it: the network cannot lean on any one unit.",
         "Nothing: dropout only slows training.", "The run diverges."),
        1,
        (Run("dropout 0.5", changes=(("train_size", 1000), ("epochs", 100), ("dropout", 0.5))),
         Run("no dropout", changes=(("train_size", 1000), ("epochs", 100)))),
        "Dropout trains a different thinned network at every step, so no unit can rely on a few others "
        "to memorise particular images; at test time all units work together (scaled to match). It "
        "narrows the gap between training and test accuracy, and the test accuracy ends higher.",
        (Claim("dropout ends above no dropout", "test_accuracy", ">", 0.0, than=1, by="plus"),
         Claim("dropout's train-test gap is smaller", "gap", "<", 0.0, than=1, by="plus")),
    ),
    Experiment(
        "batch_modes", "Full batch, mini-batch, per sample: one epoch each",
        "One epoch over 5,000 images: full batch (1 step), mini-batches of 128 (40 steps) or one image per "
        "step (5,000 steps, η = 0.01). Which ends with the best test accuracy?",
        ("Full batch: it uses the exact gradient.", "Mini-batch.", "Per sample: most steps.",
         "All the same: they all saw every image once."),
        2,
        (Run("full batch", changes=(("train_size", 5000), ("epochs", 1), ("batch_size", 0))),
         Run("mini-batch 128", changes=(("train_size", 5000), ("epochs", 1))),
         Run("per sample", changes=(("train_size", 5000), ("epochs", 1), ("batch_size", 1), ("lr", 0.01)))),
        "An epoch is one pass over the data, but learning happens per step. Full batch takes a single "
        "exact step and is still near chance; mini-batches take 40 noisy ones and per-sample SGD "
        "5,000 noisier ones (with a smaller η, since one image's gradient is so noisy). Per epoch, "
        "more steps win. (Per second is another race: the Train page shows each run's time.)",
        (Claim("full batch stays below 30%", "test_accuracy", "<", 0.3),
         Claim("mini-batch ends 40 points above full batch", "test_accuracy", ">", 0.4, run=1, than=0, by="plus"),
         Claim("per sample ends above mini-batch", "test_accuracy", ">", 0.0, run=2, than=1, by="plus")),
    ),
    Experiment(
        "mse_vs_ce", "Mean squared error against cross-entropy",
        "Same network, same three epochs on all 60,000 images; only the loss changes from cross-entropy "
        "to mean squared error on the outputs. What happens?",
        ("MSE learns faster: it is the simpler loss.", "No difference.",
         "MSE gets smaller gradients and ends a little lower.", "MSE cannot learn classes at all."),
        2,
        (Run("MSE", changes=(("loss", "mse"), ("epochs", 3))), Run("cross-entropy", changes=(("epochs", 3),))),
        "With cross-entropy after softmax the output gradient is p - onehot(y): a confidently wrong "
        "answer gets a large push. MSE on raw outputs gives z - onehot(y), which never grows with how "
        "wrong the class ranking is, and it also spends effort making outputs exactly 0 and 1. Its "
        "gradients at the output are several times smaller, so at the same η it learns more slowly.",
        (Claim("MSE's output-layer gradient < 1/3 of cross-entropy's", "grad_last", "<", 1 / 3, than=1),
         Claim("MSE ends below cross-entropy", "test_accuracy", "<", 0.0, than=1, by="plus")),
    ),
    Experiment(
        "overfitting", "1,000 images for 100 epochs: overfitting",
        "Train on only 1,000 images for 100 epochs. What happens to the training and test accuracy?",
        ("Both reach 100%.", "Training reaches 100%, test stays more than 8 points lower and its loss climbs again.",
         "Both stay low: 1,000 images are too few.", "Test ends higher than training."),
        1,
        (Run("1,000 images, 100 epochs", changes=(("train_size", 1000), ("epochs", 100))),),
        "With 1,000 images and 100 epochs the network sees each image 100 times and learns those "
        "images, including their quirks, perfectly. The test images are new: their accuracy stays far "
        "behind, and the test loss turns up again as the network grows over-confident. That is "
        "overfitting; the next experiment stops at the right moment.",
        (Claim("training accuracy reaches 99%", "train_accuracy", ">", 0.99),
         Claim("test accuracy ends more than 8 points below training", "gap", ">", 0.08),
         Claim("the test loss ends above its lowest", "test_loss_rise", ">", 0.0)),
    ),
    Experiment(
        "early_stopping", "Early stopping",
        "Same 1,000 images and 100 epochs, but 20% of them held out for validation and patience 5: "
        "training stops when the validation loss has not improved for 5 epochs. When does it stop?",
        ("It runs all 100 epochs.", "Well before 100 epochs, keeping the best epoch's weights.",
         "After the first epoch.", "It never starts: there is too little data."),
        1,
        (Run("early stopping", changes=(("train_size", 1000), ("epochs", 100), ("val_split", 0.2),
                                        ("early_stopping", 5))),),
        "The validation images play the part of new data during training. Their loss falls, then "
        "turns up as the network starts to memorise; five epochs after its lowest point the run "
        "stops and the weights of the best epoch are restored. It trains a fraction of the 100 "
        "epochs and keeps the model from before it overfitted.",
        (Claim("the run stops early", "status", "==", "early_stopped"),
         Claim("it trains fewer than 60 epochs", "epochs", "<", 60)),
    ),
    Experiment(
        "shifted_digit", "An off-centre digit, with and without centring",
        "Draw a digit small, in the top-left corner. The network never saw a digit there. Will it still "
        "read it?",
        ("Yes, always: it reads shapes wherever they are.", "Only because the Draw page crops, scales and "
         "centres the drawing first; without that it mostly fails.",
         "No, never.", "Only if it is drawn large."),
        1,
        (Run("Draw", page="draw", preset=None),),
        "The network has one weight per pixel: ink in a corner where no training digit ever had ink "
        "meets weights that were never trained. Test digits moved to the corner are read correctly "
        "almost always after the page's centring, and almost never without it. Switch on "
        "'Show the prediction without this preprocessing' on the Draw page to see it with yours.",
        (Claim("centred: more than 90% of the moved test digits read right", "centred_accuracy", ">", 0.9),
         Claim("without centring: fewer than 30%", "raw_accuracy", "<", 0.3)),
    ),
    Experiment(
        "fashion", "Fashion-MNIST with the digits' settings",
        "The default settings (512 units, Adam, dropout, cosine), three epochs on 10,000 images, reach "
        "about 95% on digits. Same settings on Fashion-MNIST (ten kinds of clothing, same 28x28 format)?",
        ("About the same: same format, same network.", "Higher: clothes are bigger than digits.",
         "Clearly lower, by more than 5 points: shirts, pullovers and coats look alike.", "It cannot train."),
        2,
        (Run("Fashion-MNIST", preset="default", changes=DIGITS_BEST, dataset="fashion"),
         Run("MNIST", preset="default", changes=DIGITS_BEST)),
        "Fashion-MNIST was made as a harder drop-in for MNIST: the same network that reads digits "
        "confuses kinds of clothing whose outlines differ little, such as shirts, pullovers and coats. "
        "The confusion matrix on the Train page shows which classes it mixes up.",
        (Claim("MNIST ends above 93%", "test_accuracy", ">", 0.93, run=1),
         Claim("Fashion-MNIST ends more than 5 points below MNIST", "test_accuracy", "<", -0.05, than=1, by="plus")),
    ),
)

EXPERIMENTS: dict[str, Experiment] = {e.id: e for e in EXPERIMENTS_LIST}


def on_page(page: str) -> list[Experiment]:
    """The experiments that run on ``page`` ("train", "draw", ...), in the Home page's order."""
    return [e for e in EXPERIMENTS_LIST if e.page == page]
