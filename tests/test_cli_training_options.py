"""`python -m mnistcore train` with --val-split, --early-stopping, --schedule and --augment, end to end."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnistcore.checkpoint import load_model
from mnistcore.cli import main
from mnistcore.schedules import lr_at

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--train-size", "1000", "--hidden", "32", "--quiet", "--json"]


def run(argv: list[str], capsys) -> dict:
    assert main(["train", *argv]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_val_split_holds_images_out_and_scores_them_each_epoch(capsys):
    result = run([*SMALL, "--epochs", "2", "--val-split", "0.25"], capsys)
    assert result["config"]["val_split"] == 0.25
    assert [h["epoch"] for h in result["history"]] == [1, 2]
    for h in result["history"]:
        assert 0 < h["val_loss"] and 0.3 < h["val_accuracy"] <= 1
    plain = run([*SMALL, "--epochs", "1"], capsys)
    assert plain["history"][0]["val_loss"] is None and plain["history"][0]["val_accuracy"] is None


def test_early_stopping_stops_after_patience_and_keeps_the_best_epochs_weights(capsys, tmp_path):
    # 200 training images, 128 units, up to 40 epochs: the validation loss turns up early.
    saved = tmp_path / "early.npz"
    result = run(["--train-size", "400", "--val-split", "0.5", "--hidden", "128", "--optimizer", "adam",
                  "--lr", "0.001", "--batch-size", "64", "--epochs", "40", "--early-stopping", "2",
                  "--quiet", "--json", "--save", str(saved)], capsys)
    history = result["history"]
    val = [h["val_loss"] for h in history]
    best = int(np.argmin(val)) + 1
    assert result["status"] == "early_stopped"
    assert result["epochs"] == len(history) == best + 2 < 40
    assert f"restored the weights of epoch {best}" in result["message"]
    # The test set was scored with the best epoch's weights then; the final model scores the same,
    # not what the last (worse) epoch scored.
    assert result["test_loss"] == pytest.approx(history[best - 1]["test_loss"], rel=1e-6)
    assert result["test_loss"] != pytest.approx(history[-1]["test_loss"], rel=1e-6)
    model, meta = load_model(saved)
    assert meta["config"]["early_stopping"] == 2 and meta["test_accuracy"] == result["test_accuracy"]


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine"])
def test_schedule_sets_each_epochs_learning_rate(schedule, capsys):
    result = run([*SMALL, "--train-size", "300", "--epochs", "8", "--lr", "0.2", "--schedule", schedule], capsys)
    lrs = [h["lr"] for h in result["history"]]
    np.testing.assert_allclose(lrs, [lr_at(schedule, 0.2, e, 8) for e in range(8)])
    if schedule == "step":
        np.testing.assert_allclose(lrs, [0.2, 0.2, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    if schedule == "cosine":
        assert lrs[0] == pytest.approx(0.2) and all(np.diff(lrs) < 0)


def test_augment_trains_on_shifted_copies_and_can_be_turned_off_over_a_preset(capsys):
    quick = [*SMALL, "--epochs", "2", "--optimizer", "adam", "--lr", "0.003"]
    plain, augmented = run(quick, capsys), run([*quick, "--augment"], capsys)
    assert augmented["config"]["augment"] is True and plain["config"]["augment"] is False
    # Same seed, same subset and initial weights: only the shifted images differ, and they do.
    assert augmented["train_loss"] != pytest.approx(plain["train_loss"])
    assert augmented["test_accuracy"] > 0.6 and plain["test_accuracy"] > 0.6
    off = run(["--preset", "best", "--no-augment", "--hidden", "16", "--dropout", "0", *SMALL,
               "--epochs", "1"], capsys)
    assert off["config"]["augment"] is False


@pytest.mark.parametrize("argv, message", [
    (["--val-split", "1.5"], "val_split must be in [0.0, 0.9]; got 1.5"),
    (["--val-split", "abc"], "invalid float value: 'abc'"),
    (["--val-split", "nan"], "val_split must be in"),
    (["--early-stopping", "-1", "--val-split", "0.1"], "early_stopping must be a whole number >= 0; got -1"),
    (["--early-stopping", "2"], "needs a validation split"),
    (["--schedule", "linear"], "invalid choice: 'linear'"),
])
def test_bad_values_exit_2_saying_what_is_wrong(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--quiet", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_a_split_that_leaves_nothing_to_train_on_is_an_error_not_a_traceback(capsys):
    assert main(["train", "--quiet", "--train-size", "1", "--val-split", "0.9", "--epochs", "1"]) == 1
    assert "error: the validation split leaves no training images" in capsys.readouterr().err


def test_all_four_options_through_the_real_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "mnistcore", "train", "--train-size", "600", "--hidden", "32", "--epochs", "3",
         "--val-split", "0.2", "--early-stopping", "5", "--schedule", "cosine", "--augment", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "epochs" in proc.stderr   # the progress bar
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    config = result["config"]
    assert (config["val_split"], config["early_stopping"], config["schedule"], config["augment"]) == \
           (0.2, 5, "cosine", True)
    assert result["status"] == "done" and len(result["history"]) == 3
    assert all(h["val_accuracy"] is not None for h in result["history"])
