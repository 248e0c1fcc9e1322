"""Divergence is a result: a run whose loss climbs far above where it started is reported as diverged."""
import json
import math

import numpy as np
import pytest

from mnistcore import data
from mnistcore.cli import main
from mnistcore.config import TrainConfig
from mnistcore.train import CHANCE_LOSS, DIVERGENCE_FACTOR, Trainer

SMALL = dict(hidden=(32,), train_size=1000, epochs=2, batch_size=50)


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_lr_50_diverges_on_both_losses_and_all_optimizers(mnist, optimizer, loss):
    trainer = Trainer(TrainConfig(optimizer=optimizer, loss=loss, lr=50.0, **SMALL), mnist, score_steps=False)
    events = list(trainer.run())
    assert trainer.status == "diverged" and events[-1].kind == "done" and events[-1].status == "diverged"
    assert "learning rate (50)" in events[-1].message and "ten times smaller" in events[-1].message
    last = events[-2].train_loss if events[-2].kind == "epoch" else events[-1].train_loss
    # The rule, checked on the numbers the run reported: not finite, or far above where it started.
    assert not math.isfinite(last) or last > max(DIVERGENCE_FACTOR * trainer.initial_loss, CHANCE_LOSS)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("momentum", 0.05), ("adam", 0.001)])
@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_a_sensible_rate_is_not_called_diverged(mnist, optimizer, lr, loss):
    trainer = Trainer(TrainConfig(optimizer=optimizer, loss=loss, lr=lr, **SMALL), mnist, score_steps=False)
    list(trainer.run())
    assert trainer.status == "done"


def test_the_chance_floor_keeps_a_trained_models_wobble_from_counting(mnist):
    trainer = Trainer(TrainConfig(**SMALL), mnist)
    trainer.initial_loss = 0.05  # as if continued from a model that was already good
    assert trainer._divergence(0.3) == ""                       # six times higher, but below ln 10
    assert "rose from 0.05" in trainer._divergence(CHANCE_LOSS + 0.1)
    trainer.initial_loss = 2.3
    assert trainer._divergence(4.5) == "" and trainer._divergence(4.7)
    trainer.model.W[0][0, 0] = np.inf
    assert "weights" in trainer._divergence(1.0)


def test_the_command_line_reports_divergence_in_its_json(capsys):
    code = main(["train", "--hidden", "32", "--train-size", "1000", "--epochs", "2", "--lr", "50",
                 "--quiet", "--json"])
    captured = capsys.readouterr()
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert code == 0 and result["diverged"] is True and result["status"] == "diverged"
    assert "learning rate" in result["message"] and "learning rate" in captured.err
