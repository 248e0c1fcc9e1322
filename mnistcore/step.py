"""One training step, number by number: every quantity the forward and backward pass compute.

    x --W1,b1--> z1 --f--> a1 --W2,b2--> z2 = logits --softmax--> p --(-log p_y)--> L
    delta2 = p - onehot(y)   dW2 = a1^T delta2   delta1 = (delta2 W2^T) * f'(z1)   dW1 = x^T delta1
    W <- W - eta dW

``step_record(model, X, y, eta)`` runs the engine's own pass (``MLP.loss_and_gradients`` with a
``trace``) on a *copy* of the model, so a model shared by many visitors (the ready-trained one) is
only read, and returns a ``StepRecord``: plain arrays, the same numbers as an ordinary training
step bit for bit. The batch may hold 1 to 256 images; ``mean_of_per_image_gradients`` averages
the gradients of each image alone (the batch gradient), and ``check_gradients`` compares a few
backprop values with finite differences in float64. ``teach`` takes a few steps on one image mixed
with replayed training images (the Draw page's "teach it your digit").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .config import TrainConfig
from .gradcheck import relative_error
from .losses import LOSSES, softmax
from .model import MLP
from .optimizers import SGD
from .train import Trainer, evaluate

MAX_BATCH = 256
OVERFLOW_FLOAT32 = math.log(np.finfo(np.float32).max)   # exp(z) is inf in float32 above ~88.7

# The formulas the page shows; each is what the code beside it computes.
FORMULAS = {
    "x": r"x = \frac{\text{pixels}}{255}",
    "z": r"z_{l} = a_{l-1} W_{l} + b_{l}",
    "shift": r"s = z_{L} - \max_k z_{L,k}",
    "softmax": r"p_k = \frac{e^{s_k}}{\sum_j e^{s_j}} = \frac{e^{z_k}}{\sum_j e^{z_j}}",
    "onehot": r"t = \mathrm{onehot}(y), \quad t_k = [k = y]",
    "loss_ce": r"L = -\log p_y",
    "loss_mse": r"L = \tfrac12 \lVert z_L - t \rVert^2",
    "delta_out_ce": r"\delta_{L} = \frac{\partial L}{\partial z_{L}} = p - t",
    "delta_out_mse": r"\delta_{L} = \frac{\partial L}{\partial z_{L}} = z_{L} - t",
    "dW": r"\frac{\partial L}{\partial W_{l}} = a_{l-1}^{\top}\,\delta_{l}, \quad \frac{\partial L}{\partial b_{l}} = \textstyle\sum_{\text{batch}} \delta_{l}",
    "delta_hidden": r"\delta_{l} = (\delta_{l+1} W_{l+1}^{\top}) \odot f'(z_{l})",
    "update": r"W \leftarrow W - \eta\, \frac{\partial L}{\partial W}, \quad b \leftarrow b - \eta\, \frac{\partial L}{\partial b}",
    "batch": r"\frac{\partial L}{\partial W} = \frac{1}{B}\sum_{i=1}^{B} \frac{\partial L_i}{\partial W}",
    "gradcheck": r"\frac{\partial L}{\partial w} \approx \frac{L(w + h) - L(w - h)}{2h}",
    "relerr": r"\text{rel. error} = \frac{|g_{\text{backprop}} - g_{\text{numeric}}|}{|g_{\text{backprop}}| + |g_{\text{numeric}}|}",
}


@dataclass(frozen=True)
class StepRecord:
    """Everything one SGD step computed, for a batch of B images (B = 1 for one image).

    x (B, 784) inputs; y (B,) labels; z[l] (B, fan_out) pre-activations of layer l+1, z[-1] the
    logits; a[l] (B, fan_in) inputs of layer l+1 (a[0] = x, a[l] = f(z[l-1])); row_max (B,) and
    shifted (B, k) = logits - row_max; p (B, k) softmax; onehot (B, k); delta[l] = dL/dz[l]
    (of the *mean* loss, so already divided by B); grads [dW1, db1, dW2, ...]; W_after, b_after
    the weights after W - eta dW; loss / p_y before and after the step, on these images.
    """
    x: np.ndarray
    y: np.ndarray
    z: list[np.ndarray]
    a: list[np.ndarray]
    row_max: np.ndarray
    shifted: np.ndarray
    p: np.ndarray
    onehot: np.ndarray
    loss: float
    delta: list[np.ndarray]
    grads: list[np.ndarray]
    W_after: list[np.ndarray]
    b_after: list[np.ndarray]
    eta: float
    loss_after: float
    p_y: np.ndarray
    p_y_after: np.ndarray
    loss_name: str
    activation: str

    @property
    def logits(self) -> np.ndarray:
        return self.z[-1]

    @property
    def dW(self) -> list[np.ndarray]:
        return self.grads[::2]

    @property
    def db(self) -> list[np.ndarray]:
        return self.grads[1::2]


def _checked(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    X = X.reshape(1, -1) if X.ndim == 1 else X
    y = np.atleast_1d(np.asarray(y)).astype(np.intp)
    if X.ndim != 2 or X.shape[1] != model.sizes[0]:
        raise ValueError(f"inputs of shape {X.shape}; expected (B, {model.sizes[0]})")
    if not 1 <= len(X) <= MAX_BATCH or len(y) != len(X):
        raise ValueError(f"a step takes 1 to {MAX_BATCH} images with one label each; got {len(X)} and {len(y)}")
    if y.min() < 0 or y.max() >= model.sizes[-1]:
        raise ValueError(f"labels must lie in 0..{model.sizes[-1] - 1}")
    if not (np.isfinite(X).all() and X.min() >= 0 and X.max() <= 1):
        raise ValueError("inputs must be floats in [0, 1] (pixels / 255)")
    return np.ascontiguousarray(X, dtype=model.dtype), y


def loss_and_p_y(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """(mean loss, p_y of each image) of ``model`` on inputs X (B, 784), labels y (B,); read only."""
    z = model.forward(X)
    p_y = softmax(z)[np.arange(len(y)), y]
    return LOSSES[model.loss].loss_and_delta(z, y), p_y


def step_record(model: MLP, X: np.ndarray, y: np.ndarray, eta: float) -> StepRecord:
    """One SGD step with learning rate ``eta`` on inputs X (B, 784) in [0, 1], labels y (B,).

    ``model`` itself is never changed (nor are its buffers used): the step runs on a copy.
    """
    if not (eta > 0 and math.isfinite(eta)):
        raise ValueError(f"eta must be a number > 0; got {eta!r}")
    X, y = _checked(model, X, y)
    work = model.copy()
    trace: dict = {}
    loss, _, grads = work.loss_and_gradients(X, y, trace=trace)
    grads = [g.copy() for g in grads]
    logits = trace["z"][-1]
    row_max = logits.max(axis=1)
    onehot = np.zeros_like(logits)
    onehot[np.arange(len(y)), y] = 1
    p = softmax(logits)
    SGD(work.params).step([g.copy() for g in grads], eta)   # W <- W - eta dW, in place on the copy
    loss_after, p_y_after = loss_and_p_y(work, X, y)
    return StepRecord(
        x=X, y=y, z=trace["z"], a=trace["a"], row_max=row_max, shifted=logits - row_max[:, None],
        p=p, onehot=onehot, loss=loss, delta=trace["delta"], grads=grads, W_after=work.W,
        b_after=work.b, eta=float(eta), loss_after=loss_after, p_y=p[np.arange(len(y)), y],
        p_y_after=p_y_after, loss_name=model.loss, activation=model.activation)


def mean_of_per_image_gradients(model: MLP, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """(1/B) sum_i of the gradients [dW1, db1, ...] of each image alone, image by image.

    Summed in float64 as it goes (memory: one gradient, whatever B), then cast to the model's
    dtype; equal to the batch gradient up to float rounding, since the mean loss is linear in
    the per-image losses.
    """
    X, y = _checked(model, X, y)
    work = model.copy()
    total = [np.zeros(p.shape) for p in work.params]
    for i in range(len(y)):
        for t, g in zip(total, work.loss_and_gradients(X[i:i + 1], y[i:i + 1])[2]):
            t += g
    return [(t / len(y)).astype(model.dtype) for t in total]


def largest_weights(grads: list[np.ndarray], count: int = 5) -> list[tuple[int, tuple[int, ...]]]:
    """(parameter number in [W1, b1, W2, ...], index) of the ``count`` largest |gradients|."""
    flat = np.concatenate([np.abs(g).ravel() for g in grads])
    ends = np.cumsum([g.size for g in grads])
    picks = []
    for k in np.argsort(flat, kind="stable")[::-1][:count]:
        i = int(np.searchsorted(ends, k, side="right"))
        start = ends[i - 1] if i else 0
        picks.append((i, tuple(int(v) for v in np.unravel_index(int(k - start), grads[i].shape))))
    return picks


@dataclass(frozen=True)
class UnitSum:
    """One unit's weighted sum z_j = sum_i w_ij a_i + b_j, its largest terms written out."""
    terms: list[tuple[int, float, float]]   # (i, w_ij, a_i) of the largest |w_ij a_i|, largest first
    rest: float                             # the sum of all the other terms
    n_inputs: int
    bias: float
    z: float


def unit_sum(W: np.ndarray, b: np.ndarray, a_prev: np.ndarray, j: int, top: int = 6) -> UnitSum:
    """The sum behind unit j: W (fan_in, fan_out), b (fan_out,), a_prev (fan_in,) its inputs."""
    products = W[:, j].astype(np.float64) * a_prev
    order = np.argsort(-np.abs(products), kind="stable")
    best = order[:top]
    return UnitSum([(int(i), float(W[i, j]), float(a_prev[i])) for i in best],
                   float(products[order[top:]].sum()), len(a_prev), float(b[j]), float(products.sum() + b[j]))


@dataclass(frozen=True)
class UnitDelta:
    """Where hidden unit j's delta comes from: delta_j = (sum_k W_jk delta_k) f'(z_j)."""
    terms: list[tuple[int, float, float]]   # (k, W_jk, delta_k) of the largest |W_jk delta_k|
    back: float                             # sum_k W_jk delta_k
    slope: float                            # f'(z_j)
    delta: float


def unit_delta(W_next: np.ndarray, delta_next: np.ndarray, a_j: float, activation: str, j: int,
               top: int = 5) -> UnitDelta:
    """W_next (width, fan_out) the weights out of unit j's layer, delta_next (fan_out,) the next
    layer's delta, a_j the unit's activation (f' is computed from it, as backward does)."""
    products = W_next[j].astype(np.float64) * delta_next   # f' below is the engine's own, from a = f(z)
    best = np.argsort(-np.abs(products), kind="stable")[:top]
    slope = float(ACTIVATIONS[activation].backward(np.ones(1), np.array([a_j], dtype=np.float64))[0])
    back = float(products.sum())
    return UnitDelta([(int(k), float(W_next[j, k]), float(delta_next[k])) for k in best], back, slope, back * slope)


@dataclass(frozen=True)
class GradientCheck:
    """One weight's backprop gradient next to its finite-difference estimate (float64)."""
    param: int                  # 0 = W1, 1 = b1, 2 = W2, ...
    index: tuple[int, ...]
    backprop: float
    numeric: float
    relative_error: float

    @property
    def name(self) -> str:
        kind = "W" if self.param % 2 == 0 else "b"
        return f"{kind}{self.param // 2 + 1}[{', '.join(map(str, self.index))}]"


def check_gradients(model: MLP, X: np.ndarray, y: np.ndarray,
                    picks: list[tuple[int, tuple[int, ...]]], h: float = 1e-6) -> list[GradientCheck]:
    """(L(w + h) - L(w - h)) / 2h against backprop for each picked weight, in float64.

    Done on a float64 copy of the model: in float32 the difference of two nearby losses
    keeps only a few digits, and the check would measure rounding instead of the gradient.
    """
    X, y = _checked(model, X, y)
    m = MLP([w.astype(np.float64) for w in model.W], [b.astype(np.float64) for b in model.b],
            model.activation, model.loss)
    X = X.astype(np.float64)
    grads = [g.copy() for g in m.loss_and_gradients(X, y)[2]]
    checks = []
    for param, index in picks:
        w = m.params[param]
        if len(index) != w.ndim or any(not 0 <= i < n for i, n in zip(index, w.shape)):
            raise ValueError(f"no weight {index} in a parameter of shape {w.shape}")
        saved = w[index]
        w[index] = saved + h
        up = loss_and_p_y(m, X, y)[0]
        w[index] = saved - h
        down = loss_and_p_y(m, X, y)[0]
        w[index] = saved
        numeric, backprop = (up - down) / (2 * h), float(grads[param][index])
        checks.append(GradientCheck(param, index, backprop, numeric,
                                    relative_error(np.array([backprop]), np.array([numeric]))))
    return checks


@dataclass(frozen=True)
class Teaching:
    """What a few steps on one image did: its probabilities after each step and the test accuracy."""
    p: np.ndarray               # (steps + 1, k): the image's class probabilities, before and after each step
    test_accuracy_before: float
    test_accuracy_after: float
    model: MLP                  # the taught copy


def teaching_setup(model: MLP, x: np.ndarray, label: int, replay_x: np.ndarray, replay_y: np.ndarray,
                   steps: int = 5, eta: float = 0.02, copies: int = 4,
                   seed: int = 0) -> tuple[TrainConfig, tuple[np.ndarray, ...]]:
    """(config, dataset) of "teach it your digit": ``steps`` full-batch SGD steps with rate ``eta``
    on ``copies`` copies of image x (784,) in [0, 1] with its right ``label``, mixed with
    replayed training images (uint8 (n, 28, 28) or floats in [0, 1]) so that the network learns
    this image without forgetting the rest. The dataset has an empty test split: the page scores
    the test set itself, before and after. Give both to a Trainer (or the app's LiveRun).
    """
    if not 1 <= steps <= 100:
        raise ValueError(f"steps must be 1 to 100; got {steps}")
    x = np.asarray(x, dtype=np.float32).reshape(1, -1)
    replay = replay_x.reshape(len(replay_x), -1)
    replay = replay / np.float32(255) if replay.dtype == np.uint8 else replay
    X = np.concatenate([np.repeat(x, copies, axis=0), replay.astype(np.float32)])
    y = np.concatenate([np.full(copies, label), replay_y]).astype(np.intp)
    config = TrainConfig(hidden=model.sizes[1:-1], activation=model.activation, loss=model.loss,
                         optimizer="sgd", lr=eta, batch_size=0, epochs=steps, seed=seed,
                         dtype=str(model.dtype))
    return config, (X, y, np.zeros((0, X.shape[1]), np.float32), np.zeros(0, np.intp))


def teach(model: MLP, x: np.ndarray, label: int, replay_x: np.ndarray, replay_y: np.ndarray,
          test_x: np.ndarray, test_y: np.ndarray, **setup) -> Teaching:
    """Teach a copy of ``model`` image x with its ``label`` (see ``teaching_setup``, which
    ``setup`` goes to), driven by the engine's controller; scored on the test images."""
    config, dataset = teaching_setup(model, x, label, replay_x, replay_y, **setup)
    trainer = Trainer(config, dataset, model=model.copy(), points_per_epoch=1, score_steps=False)
    x = dataset[0][:1]
    p = [model.predict_proba(x)[0]]
    for event in trainer.run():
        if event.kind == "epoch":
            p.append(trainer.model.predict_proba(x)[0])
    return Teaching(np.array(p), evaluate(model, test_x, test_y)[1],
                    evaluate(trainer.model, test_x, test_y)[1], trainer.model)
