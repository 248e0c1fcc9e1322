"""The command line against inputs nobody meant: huge networks, odd --save targets, pipes, pickles.

Each ends in one clear sentence and an exit status (2 for a bad argument, found before any
training; 1 for a bad file), never a traceback, a hang, or a replaced device or folder.
"""
import json
import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnistcore import cli
from mnistcore.cli import main
from mnistcore.options import MAX_HIDDEN_LAYERS, MAX_PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--train-size", "500", "--epochs", "1", "--hidden", "8", "--quiet"]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if training starts: the argument must be refused before it."""
    def trainer(*args, **kwargs):
        pytest.fail("training started before the bad argument was refused")
    monkeypatch.setattr(cli, "Trainer", trainer)


def exit_2(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("hidden", ["100000", "99999999999999999999999", "60000,60000", "4096," * 5 + "4096"])
def test_networks_past_the_bound_are_refused_saying_the_bound(hidden, no_training, capsys):
    err = exit_2(["train", "--hidden", hidden], capsys)
    assert f"{MAX_PARAMETERS:,}" in err and "parameters" in err


def test_too_many_layers_are_refused_saying_the_bound(no_training, capsys):
    err = exit_2(["train", "--hidden", ",".join(["2"] * (MAX_HIDDEN_LAYERS + 1))], capsys)
    assert f"at most {MAX_HIDDEN_LAYERS}" in err


def test_the_bound_is_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "50,000,000" in " ".join(capsys.readouterr().out.split())


def test_save_to_a_folder_is_refused_before_training(tmp_path, no_training, capsys):
    for target in (str(tmp_path), str(tmp_path) + "/", ""):
        assert "not a regular file" in exit_2(["train", "--save", target], capsys)
    assert tmp_path.is_dir()


def test_save_to_a_device_never_replaces_it(no_training, capsys):
    assert "not a regular file" in exit_2(["train", "--save", os.devnull], capsys)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_save_to_a_pipe_never_replaces_it(tmp_path, no_training, capsys):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    assert "not a regular file" in exit_2(["train", "--save", str(fifo)], capsys)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_save_where_nothing_can_be_written_is_refused_before_training(tmp_path, no_training, capsys):
    (tmp_path / "file.txt").write_text("x")
    assert "not a folder" in exit_2(["train", "--save", str(tmp_path / "file.txt" / "m.npz")], capsys)
    assert "cannot write" in exit_2(["train", "--save", "/proc/mnistcore-model.npz"], capsys)  # read-only


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in a read-only folder")
def test_save_in_a_read_only_folder_is_refused_before_training(tmp_path, no_training, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert "cannot write" in exit_2(["train", "--save", str(folder / "m.npz")], capsys)
    finally:
        folder.chmod(0o755)


def test_save_into_a_new_folder_and_over_an_old_model_still_works(tmp_path, capsys):
    target = tmp_path / "new" / "deeper" / "m.npz"
    assert main(["train", *QUICK, "--save", str(target)]) == 0
    assert main(["train", *QUICK, "--save", str(target), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["saved"] == str(target)
    assert [p.name for p in target.parent.iterdir()] == ["m.npz"]  # no probe or temporary file left


def test_a_save_that_fails_after_training_still_prints_the_scores(tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(cli, "save_model", refuse)
    assert main(["train", *QUICK, "--json", "--save", str(tmp_path / "m.npz")]) == 1
    captured = capsys.readouterr()
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert "saved" not in result and result["test_accuracy"] > 0.1
    assert "not saved" in captured.err and "No space left" in captured.err


def test_out_of_memory_is_a_sentence_not_a_traceback(monkeypatch, capsys):
    def trainer(*args, **kwargs):
        raise MemoryError
    monkeypatch.setattr(cli, "Trainer", trainer)
    assert main(["train", *QUICK]) == 1
    assert "not enough memory" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["evaluate", "{model}"], ["predict", str(ROOT / "docs" / "screenshot-dataset.png"),
                                                               "--model", "{model}"]])
def test_a_model_read_from_a_pipe_is_refused_at_once(tmp_path, command):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    argv = [part.format(model=fifo) for part in command]
    proc = subprocess.run([sys.executable, "-m", "mnistcore", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)  # a hang would end here, in failure
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "not a regular file" in proc.stderr


def test_a_model_that_is_a_folder_is_refused(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert ("directory" in err or "not a regular file" in err) and "Traceback" not in err


@pytest.mark.parametrize("payload", [pickle.dumps({"W0": [1, 2]}), pickle.dumps(np.zeros(3), protocol=2)])
def test_a_pickle_is_refused_without_numpys_advice_to_load_it_unsafely(tmp_path, payload, capsys):
    path = tmp_path / "m.npz"
    path.write_bytes(payload)
    assert main(["evaluate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "pickle" in err and "allow_pickle" not in err and "unsafe" not in err and "pickle.load" not in err


def test_an_object_array_inside_an_npz_is_refused_without_the_advice(tmp_path, capsys):
    path = tmp_path / "m.npz"
    np.savez(path, meta=np.array('{"format": "mnistcore-mlp"}'), W0=np.array([{"a": 1}], dtype=object))
    assert main(["evaluate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "allow_pickle" not in err and "unsafe" not in err and "Traceback" not in err
