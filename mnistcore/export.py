"""Export this run: a Train page run as a short standalone Python script.

    mnistcore_script(config, "mnist")   # trains with mnistcore's Trainer: the same numbers, any settings
    numpy_script(config, "mnist")       # plain SGD only: the network written out in NumPy, notebook style
    plain_sgd_reason(config)            # why numpy_script cannot write these settings (None: it can)

Both scripts print each epoch's test accuracy and end with the line
``test accuracy 0.9697 (9697 of 10000)``. The NumPy one redoes mnistcore's arithmetic step for
step: one ``np.random.Generator`` from the seed draws the training subset, the validation split,
the initial weights and then each epoch's shuffle in mnistcore's order, the batches are scaled,
multiplied and summed in the same order, and the learning rate is folded into the output's
delta as mnistcore's SGD does. So it gets the same weights bit for bit (tests/test_export.py
checks the test accuracy and the last loss on several settings). What it leaves out: the
progress reports and the divergence check (a run that diverges in the app just goes on here).
"""
from __future__ import annotations

from .config import TrainConfig

MNISTCORE_TEMPLATE = '''\
"""Reproduce a run of the MNIST explainer's Train page with mnistcore.

Settings: {describe}
Run it where mnistcore is installed (pip install -e . in the app's folder): same settings and
seed, the same numbers, bit for bit.
"""
from mnistcore import data
from mnistcore.config import TrainConfig
from mnistcore.train import Trainer, evaluate

config = TrainConfig.from_dict({config!r})
dataset = data.load({dataset!r})

trainer = Trainer(config, dataset)
for event in trainer.run():
    if event.kind == "epoch":
        print(f"epoch {{event.epoch}}: train loss {{event.train_loss:.4f}}, test accuracy {{event.test_accuracy:.4f}}")
print("status:", trainer.status)
loss, accuracy = evaluate(trainer.model, dataset.x_test, dataset.y_test)
print(f"test accuracy {{accuracy:.4f}} ({{round(accuracy * len(dataset.y_test))}} of {{len(dataset.y_test)}})")
'''

NUMPY_HEAD = '''\
"""A network that reads digits, in plain NumPy: the MNIST explainer's Train page run, written out.

Settings: {describe}
The same numbers as the app (mnistcore's Trainer) for these settings: one random generator
from the seed draws, in this order, the training subset, the validation split, the initial
weights, then each epoch's shuffle; SGD folds the learning rate into the output's delta.
"""
import math

import numpy as np

from mnistcore import data  # only to read the images and labels (uint8) that mnistcore ships

SEED, HIDDEN, ETA, BATCH, EPOCHS = {seed}, {hidden!r}, {lr!r}, {batch_size}, {epochs}
L2, TRAIN_SIZE, VAL_SPLIT = {l2!r}, {train_size}, {val_split!r}   # BATCH 0 = full batch, TRAIN_SIZE 0 = all
DTYPE = np.{dtype}

ds = data.load({dataset!r})
x_train, y_train = ds.x_train.reshape(len(ds.y_train), 784), ds.y_train.astype(np.intp)
x_test, y_test = ds.x_test.reshape(len(ds.y_test), 784), ds.y_test.astype(np.intp)

rng = np.random.default_rng(SEED)
train = np.arange(len(y_train))
if TRAIN_SIZE:                                  # a seeded random subset, kept in order
    train = np.sort(rng.permutation(train)[:TRAIN_SIZE])
n_val = int(round(len(train) * VAL_SPLIT))
if n_val:                                       # held out: never trained on
    shuffled = rng.permutation(train)
    val, train = np.sort(shuffled[:n_val]), np.sort(shuffled[n_val:])

sizes = [784, *HIDDEN, 10]
'''

INIT_CODE = {
    "he": ("# He init: N(0, 2 / fan_in), so ReLU activations keep their size layer to layer\n"
           "W = [(rng.standard_normal((n_in, n_out), dtype=DTYPE) * np.sqrt(2.0 / n_in)).astype(DTYPE)\n"
           "     for n_in, n_out in zip(sizes[:-1], sizes[1:])]\n"),
    "xavier": ("# Xavier/Glorot init: U(-r, r), r = sqrt(6 / (fan_in + fan_out))\n"
               "W = [rng.uniform(-np.sqrt(6.0 / (n_in + n_out)), np.sqrt(6.0 / (n_in + n_out)), (n_in, n_out)).astype(DTYPE)\n"
               "     for n_in, n_out in zip(sizes[:-1], sizes[1:])]\n"),
    "uniform": ("# U(-0.5, 0.5) whatever the layer's size, as the from-scratch notebook does\n"
                "W = [rng.uniform(-0.5, 0.5, (n_in, n_out)).astype(DTYPE) for n_in, n_out in zip(sizes[:-1], sizes[1:])]\n"),
    "uniform_small": ("# U(-0.1, 0.1) whatever the layer's size, as NumPy's MNIST tutorial does\n"
                      "W = [rng.uniform(-0.1, 0.1, (n_in, n_out)).astype(DTYPE) for n_in, n_out in zip(sizes[:-1], sizes[1:])]\n"),
    "zeros": ("# every weight 0: all units of a layer stay the same (nothing breaks the symmetry)\n"
              "W = [np.zeros((n_in, n_out), DTYPE) for n_in, n_out in zip(sizes[:-1], sizes[1:])]\n"),
}

ACTIVATION_CODE = {
    "relu": ("def f(z):                 # ReLU, in place\n"
             "    return np.maximum(z, 0, out=z)\n\n\n"
             "def f_prime(delta, a):    # delta * relu'(z), from the output a\n"
             "    return np.multiply(delta, a > 0, out=delta)\n"),
    "leaky_relu": ("def f(z):                 # leaky ReLU (slope 0.01 below 0), in place\n"
                   "    return np.multiply(z, np.where(z > 0, 1.0, 0.01).astype(z.dtype), out=z)\n\n\n"
                   "def f_prime(delta, a):\n"
                   "    return np.multiply(delta, np.where(a > 0, 1.0, 0.01).astype(delta.dtype), out=delta)\n"),
    "sigmoid": ("def f(z):                 # sigmoid 1 / (1 + e^-z), in place\n"
                "    with np.errstate(over=\"ignore\"):\n"
                "        np.negative(z, out=z)\n"
                "        np.exp(z, out=z)\n"
                "    z += 1\n"
                "    return np.reciprocal(z, out=z)\n\n\n"
                "def f_prime(delta, a):    # sigma'(z) = a (1 - a)\n"
                "    delta *= a\n"
                "    delta *= 1 - a\n"
                "    return delta\n"),
    "tanh": ("def f(z):                 # tanh, in place\n"
             "    return np.tanh(z, out=z)\n\n\n"
             "def f_prime(delta, a):    # tanh'(z) = 1 - a^2\n"
             "    delta *= 1 - a * a\n"
             "    return delta\n"),
}

LOSS_CODE = {
    "ce": ('def loss_and_delta(z, y, scale):\n'
           '    """Softmax + cross-entropy: mean loss, and z overwritten by scale * (p - onehot(y)) / n."""\n'
           '    n, rows = len(y), np.arange(len(y))\n'
           '    z -= z.max(axis=1, keepdims=True)   # softmax does not change, exp cannot overflow\n'
           '    z_y = z[rows, y]\n'
           '    np.exp(z, out=z)\n'
           '    total = z.sum(axis=1, keepdims=True)\n'
           '    loss = float(np.log(total).sum() - z_y.sum()) / n\n'
           '    z *= scale / n / total\n'
           '    z[rows, y] -= scale / n\n'
           '    return loss\n'),
    "mse": ('def loss_and_delta(z, y, scale):\n'
            '    """MSE on the raw outputs: mean 0.5 ||z - onehot(y)||^2, and z overwritten by scale * (z - onehot(y)) / n."""\n'
            '    n = len(y)\n'
            '    z[np.arange(n), y] -= 1\n'
            '    loss = 0.5 * float(np.einsum("ij,ij->", z, z)) / n\n'
            '    z *= scale / n\n'
            '    return loss\n'),
}

NUMPY_BODY = '''\
b = [np.zeros(n_out, dtype=DTYPE) for n_out in sizes[1:]]


{activation}

{loss}

def forward(X):
    """Output scores z, shape (n, 10), and every layer's input a (a_0 = X) for backprop."""
    a, inputs = X, []
    for l in range(len(W)):
        inputs.append(a)
        z = a @ W[l]
        z += b[l]
        if l == len(W) - 1:
            return z, inputs
        a = f(z)


def accuracy(x, y, chunk=5000):
    """Share of the images x (uint8, divided by 255) whose highest score is their label."""
    right = 0
    for i in range(0, len(y), chunk):
        z, _ = forward(np.divide(x[i:i + chunk], DTYPE(255), dtype=DTYPE))
        right += int(np.count_nonzero(z.argmax(axis=1) == y[i:i + chunk]))
    return right / len(y)


for epoch in range(1, EPOCHS + 1):
    n = len(train)
    B = n if BATCH == 0 else min(BATCH, n)
    order = train if B == n else rng.permutation(train)       # a fresh shuffle each epoch
    for s in range(math.ceil(n / B)):
        rows = order[s * B:(s + 1) * B]
        X = np.divide(x_train[rows], DTYPE(255), dtype=DTYPE) if len(rows) == n else x_train[rows] * DTYPE(1 / 255)
        z, inputs = forward(X)
        loss = loss_and_delta(z, y_train[rows], ETA)   # z is now delta = eta * dL/dz (eta folded in)
        delta = z
        for l in range(len(W) - 1, -1, -1):            # backward, updating each layer once its delta is passed on
            dW = inputs[l].T @ delta
            db = np.sum(delta, axis=0)                  # the sum over the batch
            if L2:
                dW += (L2 * ETA) * W[l]
            if l:
                delta = f_prime(delta @ W[l].T, inputs[l])
            W[l] -= dW                                  # SGD: w <- w - eta * dL/dw
            b[l] -= db
    print(f"epoch {{epoch}}: last batch loss {{loss:.4f}}, test accuracy {{accuracy(x_test, y_test):.4f}}")

print("last batch loss", repr(loss))
acc = accuracy(x_test, y_test)
print(f"test accuracy {{acc:.4f}} ({{round(acc * len(y_test))}} of {{len(y_test)}})")
'''


def describe(config: TrainConfig) -> str:
    """The settings that differ from TrainConfig's defaults, e.g. "hidden=(20,), epochs=5"."""
    default = TrainConfig()
    changed = [f"{k}={v!r}" for k, v in config.to_dict().items() if v != default.to_dict()[k]]
    return ", ".join(changed) or "TrainConfig's defaults"


def mnistcore_script(config: TrainConfig, dataset: str = "mnist") -> str:
    """A script that trains ``config`` on the built-in data set ``dataset`` with mnistcore."""
    return MNISTCORE_TEMPLATE.format(describe=describe(config), config=config.to_dict(), dataset=dataset)


def plain_sgd_reason(config: TrainConfig) -> str | None:
    """Why ``numpy_script`` cannot write ``config`` out (None when it can)."""
    extras = [name for name, on in (
        (f"the {config.optimizer} optimizer", config.optimizer != "sgd"),
        ("dropout", config.dropout > 0), ("augmentation", config.augment),
        (f"the {config.schedule} schedule", config.schedule != "constant"),
        ("early stopping", config.early_stopping > 0)) if on]
    if extras:
        return "the plain NumPy version covers plain SGD only, without " + ", ".join(extras)
    return None


def numpy_script(config: TrainConfig, dataset: str = "mnist") -> str:
    """The run written out in plain NumPy (plain SGD only: ValueError saying why otherwise)."""
    reason = plain_sgd_reason(config)
    if reason:
        raise ValueError(reason)
    head = NUMPY_HEAD.format(describe=describe(config), seed=config.seed, hidden=config.hidden, lr=config.lr,
                             batch_size=config.batch_size, epochs=config.epochs, l2=config.l2,
                             train_size=config.train_size, val_split=config.val_split, dtype=config.dtype,
                             dataset=dataset)
    return (head + INIT_CODE[config.init]
            + NUMPY_BODY.format(activation=ACTIVATION_CODE[config.activation], loss=LOSS_CODE[config.loss]))
