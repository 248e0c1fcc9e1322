"""A multilayer perceptron, forward and backward side by side.

Notation (row-major: one sample per row)

    n        samples in the batch
    X        inputs, shape (n, 784), pixels in [0, 1]
    W[l]     weights of layer l, shape (fan_in, fan_out)
    b[l]     biases of layer l, shape (fan_out,)
    z        pre-activation  z = a_prev @ W[l] + b[l], shape (n, fan_out)
    a        activation      a = f(z); a_0 = X
    delta    dL/dz of a layer, shape (n, fan_out)
    dW, db   dL/dW[l] = a_prev.T @ delta,  dL/db[l] = sum of delta over the batch

The output layer has no activation of its own: its z goes to the loss
(softmax + cross-entropy, or MSE), which hands back delta for the output.
"""
from __future__ import annotations

import numpy as np

from . import options
from .activations import ACTIVATIONS
from .inits import INITS, he, uniform, xavier  # noqa: F401 (model.he ... as before)
from .losses import LOSSES, softmax


# The initial-weight schemes live in inits.py; imported here, where init_mlp uses them.


class MLP:
    """Weights ``W``, biases ``b``, an activation for the hidden layers and an output loss."""

    def __init__(self, W: list[np.ndarray], b: list[np.ndarray],
                 activation: str = "relu", loss: str = "ce") -> None:
        options.check("activation", activation)
        options.check("loss", loss)
        if len(W) != len(b) or not W:
            raise ValueError("an MLP needs as many bias vectors as weight matrices, at least one")
        for l, (w, bias) in enumerate(zip(W, b)):
            if w.ndim != 2 or bias.shape != (w.shape[1],):
                raise ValueError(f"layer {l}: W {w.shape} and b {bias.shape} do not fit")
            if l and W[l - 1].shape[1] != w.shape[0]:
                raise ValueError(f"layer {l}: takes {w.shape[0]} inputs but layer {l - 1} gives {W[l - 1].shape[1]}")
        self.W, self.b = W, b
        self.activation, self.loss = activation, loss
        self.grads = [np.zeros_like(p) for p in self.params]  # dW0, db0, dW1, db1, ...
        self._a: list[np.ndarray] = []        # inputs of each layer (after dropout), kept by forward
        self._f: list[np.ndarray] = []        # hidden activations f(z) before dropout
        self._masks: list[np.ndarray | None] = []

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.W[0].shape[0], *(w.shape[1] for w in self.W))

    @property
    def params(self) -> list[np.ndarray]:
        """[W0, b0, W1, b1, ...]: the arrays an optimizer updates, in place."""
        return [p for pair in zip(self.W, self.b) for p in pair]

    @property
    def dtype(self) -> np.dtype:
        return self.W[0].dtype

    def copy(self) -> "MLP":
        return MLP([w.copy() for w in self.W], [b.copy() for b in self.b], self.activation, self.loss)

    # -- forward ---------------------------------------------------------------------------
    def forward(self, X: np.ndarray, dropout: float = 0.0,
                rng: np.random.Generator | None = None, keep: bool = False,
                pre: list | None = None) -> np.ndarray:
        """Output pre-activations z_out, shape (n, 10), for inputs X of shape (n, 784).

        With ``keep`` the layer inputs (and dropout masks) are kept on the model
        for ``backward``; without it the model is only read, so one model can
        serve many visitors at once. Dropout zeroes each hidden unit with
        probability ``dropout`` and scales the rest by 1 / (1 - dropout)
        ("inverted" dropout), so nothing changes at test time. A list ``pre`` gets a
        copy of every layer's z (the activation overwrites it), for a step walked through.
        """
        z, layer_inputs, outputs, masks = self._layers(X, dropout, rng, pre)
        if keep:
            self._a, self._f, self._masks = layer_inputs, outputs, masks
        return z

    def _layers(self, X: np.ndarray, dropout: float = 0.0, rng: np.random.Generator | None = None,
                pre: list | None = None):
        """(z_out, inputs of every layer, hidden activations before dropout, dropout masks)."""
        f = ACTIVATIONS[self.activation].forward
        a, layer_inputs, outputs, masks = X, [], [], []
        last = len(self.W) - 1
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            layer_inputs.append(a)
            z = a @ W
            z += b
            if pre is not None:
                pre.append(z.copy())
            if l == last:
                break
            a = f(z)
            outputs.append(a)  # f'(z) is computed from this, before any dropout
            mask = None
            if dropout > 0:
                # One array for the mask: the uniform draws u, then [u >= p] / (1 - p) in their place.
                mask = rng.random(a.shape, dtype=a.dtype)
                np.multiply(mask >= dropout, a.dtype.type(1.0 / (1.0 - dropout)), out=mask)
                a = a * mask
            masks.append(mask)
        return z, layer_inputs, outputs, masks

    # -- backward --------------------------------------------------------------------------
    def backward(self, delta: np.ndarray, l2: float = 0.0, deltas: list | None = None) -> list[np.ndarray]:
        """Gradients [dW0, db0, ...] from delta = dL/dz_out, shape (n, 10).

        Walks the layers from the output back: dW = a_prev.T @ delta, then
        delta_prev = (delta @ W.T) * f'(z_prev). The input layer's delta is
        never needed, so that product is skipped. ``l2`` adds l2 * W to dW
        (the gradient of (l2 / 2) ||W||^2). A list ``deltas`` gets a copy of every
        layer's delta, input side first, for a step walked through.
        """
        f_backward = ACTIVATIONS[self.activation].backward
        for l in range(len(self.W) - 1, -1, -1):
            if deltas is not None:
                deltas.insert(0, delta.copy())
            a_prev, dW, db = self._a[l], self.grads[2 * l], self.grads[2 * l + 1]
            np.matmul(a_prev.T, delta, out=dW)
            np.sum(delta, axis=0, out=db)
            if l2:
                dW += l2 * self.W[l]  # (l2 arrives multiplied by the same scale as delta)
            if l:
                delta = delta @ self.W[l].T
                if self._masks[l - 1] is not None:
                    delta *= self._masks[l - 1]
                f_backward(delta, self._f[l - 1])
        return self.grads

    def loss_and_gradients(self, X: np.ndarray, y: np.ndarray, l2: float = 0.0, dropout: float = 0.0,
                           rng: np.random.Generator | None = None,
                           scale: float = 1.0, trace: dict | None = None) -> tuple[float, int, list[np.ndarray]]:
        """One forward and backward pass: (mean loss, correct predictions, [dW0, db0, ...]).

        The loss is the data loss alone; the L2 penalty only enters the gradient.
        Every gradient comes multiplied by ``scale`` (see losses.py). A dict ``trace``
        gets copies of what the pass computed on the way (mnistcore/step.py shows them):
        "z" and "delta" of every layer, "a" the inputs of every layer (a_0 = X).
        """
        pre = None if trace is None else trace.setdefault("z", [])
        z = self.forward(X, dropout, rng, keep=True, pre=pre)
        if trace is not None:
            trace["a"] = [a.copy() for a in self._a]
        correct = int(np.count_nonzero(z.argmax(axis=1) == y))
        loss = LOSSES[self.loss].loss_and_delta(z, y, scale)  # z now holds delta
        grads = self.backward(z, l2 * scale, None if trace is None else trace.setdefault("delta", []))
        self._a, self._f, self._masks = [], [], []  # not kept past the step: a full batch is 188 MB
        return loss, correct, grads

    # -- using a trained model ---------------------------------------------------------------
    def predict_proba(self, X: np.ndarray, temperature: float = 1.0, chunk: int = 8192) -> np.ndarray:
        """Class probabilities softmax(z_out / T), shape (n, 10).

        For an MSE model the outputs were trained as scores, not probabilities;
        softmax still ranks them the same way and makes them comparable.
        """
        return np.concatenate([softmax(self.forward(X[i:i + chunk]) / temperature)
                               for i in range(0, max(len(X), 1), chunk)])[:len(X)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class for each row of X, shape (n,)."""
        return self.predict_proba(X).argmax(axis=1)

    def activations(self, X: np.ndarray) -> list[np.ndarray]:
        """[a_1, ..., a_{L-1}, z_out]: each hidden layer's output, then the output scores."""
        z, _, hidden, _ = self._layers(X)
        return [*hidden, z]


def init_mlp(sizes: tuple[int, ...], activation: str = "relu", init: str = "he", loss: str = "ce",
             rng: np.random.Generator | None = None, dtype: str = "float32") -> MLP:
    """A fresh MLP with layer widths ``sizes`` (input first), weights drawn by ``init``, biases 0."""
    options.check("init", init)
    rng = rng if rng is not None else np.random.default_rng(0)
    dt = np.dtype(dtype)
    W = [INITS[init](fan_in, fan_out, rng, dt) for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
    b = [np.zeros(fan_out, dtype=dt) for fan_out in sizes[1:]]
    return MLP(W, b, activation, loss)
