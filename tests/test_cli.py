"""The command line: JSON results, clear errors with exit status 2, no tracebacks."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mnistcore.checkpoint import load_model
from mnistcore.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--train-size", "2000", "--epochs", "1", "--hidden", "32", "--quiet"]


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_train_json_has_the_promised_keys_and_saves_a_model(capsys, tmp_path):
    assert main(["train", *QUICK, "--json", "--save", str(tmp_path / "m.npz")]) == 0
    result = last_json(capsys.readouterr().out)
    for key in ("test_accuracy", "train_accuracy", "epochs", "train_seconds", "diverged"):
        assert key in result
    assert result["epochs"] == 1 and result["diverged"] is False
    assert 0.5 < result["test_accuracy"] <= 1 and result["train_seconds"] > 0
    assert result["config"]["hidden"] == [32] and result["config"]["train_size"] == 2000
    model, meta = load_model(tmp_path / "m.npz")
    assert model.sizes == (784, 32, 10) and meta["dataset"] == "mnist"


def test_flags_override_the_preset(capsys):
    assert main(["train", *QUICK, "--preset", "default", "--optimizer", "momentum", "--nesterov",
                 "--lr", "0.05", "--batch-size", "0", "--l2", "0.001", "--dropout", "0.1", "--json"]) == 0
    config = last_json(capsys.readouterr().out)["config"]
    assert config["optimizer"] == "momentum" and config["nesterov"] is True
    assert config["batch_size"] == 0 and config["schedule"] == "cosine"  # the rest from the preset


@pytest.mark.parametrize("argv, message", [
    (["train", "--lr", "-1"], "lr must be"),
    (["train", "--batch-size", "-3"], "batch_size"),
    (["train", "--hidden", "12,x"], "--hidden"),
    (["train", "--activation", "swish"], "invalid choice"),
    (["train", "--early-stopping", "3"], "validation"),
    (["train", "--epochs", "0"], "epochs"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_diverging_run_reports_it(capsys):
    code = main(["train", *QUICK, "--loss", "mse", "--lr", "20", "--json"])
    captured = capsys.readouterr()
    result = last_json(captured.out)
    assert code == 0 and result["diverged"] is True and "learning rate" in captured.err


def test_evaluate_and_a_bad_model_file(capsys, tmp_path):
    main(["train", *QUICK, "--save", str(tmp_path / "m.npz")])
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "m.npz"), "--json"]) == 0
    result = last_json(capsys.readouterr().out)
    assert len(result["per_class_accuracy"]) == 10 and 0.5 < result["test_accuracy"] <= 1
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert main(["evaluate", str(tmp_path / "junk.npz")]) == 1
    assert "junk.npz" in capsys.readouterr().err


def test_info_lists_mnist_with_its_counts(capsys):
    assert main(["info", "--json"]) == 0
    mnist = last_json(capsys.readouterr().out)["mnist"]
    assert mnist["found"] and mnist["train"] == 60000 and mnist["test"] == 10000
    assert sum(mnist["train_counts"]) == 60000 and len(mnist["test_counts"]) == 10


def test_as_a_process_progress_goes_to_stderr_and_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "mnistcore", "train", "--train-size", "1000",
                           "--epochs", "1", "--hidden", "16", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "epochs" in proc.stderr  # the progress bar
    assert last_json(proc.stdout)["epochs"] == 1
    bad = subprocess.run([sys.executable, "-m", "mnistcore", "train", "--lr", "0"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "lr must be" in bad.stderr
