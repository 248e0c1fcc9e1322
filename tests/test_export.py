"""Export this run: the exported scripts, run as a learner would run them, give the engine's numbers."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnistcore import data
from mnistcore.config import PRESETS, TrainConfig
from mnistcore.export import mnistcore_script, numpy_script, plain_sgd_reason
from mnistcore.train import Trainer, evaluate

ROOT = Path(__file__).resolve().parent.parent
RESULT = re.compile(r"^test accuracy (\d\.\d{4}) \((\d+) of (\d+)\)$", re.M)


def run_script(source: str, tmp_path: Path) -> str:
    """Run `source` as a file in a fresh Python, as a learner would (mnistcore importable)."""
    path = tmp_path / "exported.py"
    path.write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def engine(config: TrainConfig, name: str = "mnist") -> tuple[Trainer, int, float]:
    """(trainer, right answers on the test split, last batch loss) of the engine's run of `config`."""
    ds = data.load(name)
    trainer = Trainer(config, ds, points_per_epoch=1, score_steps=False)
    last = None
    for event in trainer.run():
        last = event
    _, accuracy = evaluate(trainer.model, ds.x_test, ds.y_test)
    return trainer, round(accuracy * len(ds.y_test)), last


def right_answers(stdout: str) -> int:
    found = RESULT.findall(stdout)
    assert found, stdout[-2000:]
    return int(found[-1][1])


def test_mnistcore_script_reproduces_the_run(tmp_path):
    config = PRESETS["default"].replace(train_size=2000, epochs=2)  # Adam, dropout, cosine
    _, right, _ = engine(config)
    assert right_answers(run_script(mnistcore_script(config), tmp_path)) == right


PLAIN = [
    TrainConfig(train_size=2000, epochs=2),                                     # the seed network
    TrainConfig(hidden=(32, 16), activation="sigmoid", init="xavier", loss="mse", lr=0.5,
                batch_size=0, epochs=3, l2=1e-3, train_size=1500, val_split=0.2, seed=3),
    TrainConfig(hidden=(16,), activation="tanh", init="uniform", lr=0.01, batch_size=1, epochs=1,
                train_size=300, seed=5),
    TrainConfig(hidden=(), activation="leaky_relu", batch_size=100, epochs=1, train_size=1000,
                dtype="float64"),
]


@pytest.mark.parametrize("config", PLAIN, ids=["seed", "sigmoid_mse_full_batch", "tanh_per_sample", "no_hidden"])
def test_numpy_script_gets_the_same_numbers(config, tmp_path):
    trainer, right, _ = engine(config)
    out = run_script(numpy_script(config), tmp_path)
    assert right_answers(out) == right
    # The last step's loss too, to the last bit: the same arithmetic in the same order.
    last_loss = float(re.search(r"^last batch loss (\S+)$", out, re.M).group(1))
    assert trainer.history[-1].kind in ("epoch", "done")
    x, y = engine_last_batch_loss(config)
    assert last_loss == x, (last_loss, x, y)


def engine_last_batch_loss(config: TrainConfig) -> tuple[float, int]:
    """The loss of the engine's very last training step (recorded by wrapping the model's step)."""
    ds = data.load("mnist")
    trainer = Trainer(config, ds, points_per_epoch=1, score_steps=False)
    losses = []
    step = trainer.model.loss_and_gradients

    def recording(*args, **kwargs):
        result = step(*args, **kwargs)
        losses.append(result[0])
        return result
    trainer.model.loss_and_gradients = recording
    for _ in trainer.run():
        pass
    return losses[-1], len(losses)


def test_only_plain_sgd_is_written_out_in_numpy():
    for name in ("default", "best", "numpy_tutorial"):
        reason = plain_sgd_reason(PRESETS[name])
        assert reason and "plain SGD" in reason
        with pytest.raises(ValueError, match="plain SGD"):
            numpy_script(PRESETS[name])
    assert plain_sgd_reason(PRESETS["seed"]) is None
    assert "early stopping" in plain_sgd_reason(TrainConfig(val_split=0.2, early_stopping=3))


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_exports_valid_python(name):
    compile(mnistcore_script(PRESETS[name], "fashion"), "exported.py", "exec")
    if plain_sgd_reason(PRESETS[name]) is None:
        compile(numpy_script(PRESETS[name]), "exported.py", "exec")
