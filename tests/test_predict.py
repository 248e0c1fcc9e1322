"""mnistcore.predict and ``python -m mnistcore predict``: the shipped model reads digits."""
from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnistcore.checkpoint import save_model
from mnistcore.config import PRESETS
from mnistcore.model import init_mlp
from mnistcore.predict import (
    SHIPPED_MODEL,
    layer_outputs,
    load_shipped_model,
    predict_command,
    predict_image,
    top_units,
)
from mnistcore.preprocess import EmptyImageError, to_mnist

ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = ROOT / "mnistcore" / "datasets" / "mnist"
N_DIGITS = 2000


@lru_cache(maxsize=1)
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (10000, 28, 28), labels (10000,)): the data module, else the shipped IDX files."""
    try:
        from mnistcore import data
    except ImportError:
        def idx(name: str, offset: int) -> np.ndarray:
            return np.frombuffer(gzip.decompress((MNIST_DIR / name).read_bytes()), np.uint8, offset=offset)
        return (idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28),
                idx("t10k-labels-idx1-ubyte.gz", 8))
    ds = data.load("mnist")
    return ds.x_test, ds.y_test


@pytest.fixture(scope="module")
def shipped():
    if not SHIPPED_MODEL.exists():
        pytest.fail(f"{SHIPPED_MODEL} is missing: see mnistcore/models/README.md to rebuild it")
    return load_shipped_model()


def on_canvas(digit: np.ndarray) -> np.ndarray:
    """A 28x28 MNIST digit scaled up 10x (anti-aliased) onto a 280x280 RGBA canvas, as drawn."""
    big = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR))
    rgba = np.empty((280, 280, 4), np.uint8)
    rgba[..., :3] = big[..., None]
    rgba[..., 3] = 255
    return rgba


def test_shipped_model_is_a_good_mnist_model(shipped):
    model, meta = shipped
    images, labels = mnist_test()
    acc = (model.predict(images.reshape(len(images), -1) / np.float32(255)) == labels).mean()
    assert acc > 0.97, acc
    assert meta["sizes"][0] == 784 and meta["sizes"][-1] == 10
    # Made by the documented command (mnistcore/models/README.md): the default preset, seed 0.
    # If the preset changed, rebuild the file with that command.
    assert meta["config"] == PRESETS["default"].replace(seed=0).to_dict(), \
        "ready.npz no longer matches `--preset default --seed 0`: rebuild it (mnistcore/models/README.md)"


def test_preprocessing_keeps_the_shipped_models_accuracy(shipped):
    model, _ = shipped
    images, labels = mnist_test()
    images, labels = images[:N_DIGITS], labels[:N_DIGITS]
    plain = (model.predict(images.reshape(N_DIGITS, -1) / np.float32(255)) == labels).mean()
    x = np.stack([to_mnist(on_canvas(im)).ravel() for im in images])
    through = (model.predict(x) == labels).mean()
    assert through >= plain - 0.015, (plain, through)


def test_predict_image_returns_probabilities_and_the_input(shipped):
    model, _ = shipped
    images, labels = mnist_test()
    p, x = predict_image(model, on_canvas(images[0]))
    assert p.shape == (10,) and np.isclose(p.sum(), 1.0) and (p >= 0).all()
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert p.argmax() == labels[0]
    p_raw, x_raw = predict_image(model, on_canvas(images[0]), preprocess=False)
    assert x_raw.shape == (28, 28) and np.isclose(p_raw.sum(), 1.0)
    with pytest.raises(EmptyImageError):
        predict_image(model, np.zeros((280, 280, 4), np.uint8))


def test_layer_outputs_agree_with_the_model_and_leave_it_alone():
    model = init_mlp((784, 32, 16, 10), "tanh", rng=np.random.default_rng(1))
    X = np.random.default_rng(2).random((5, 784), dtype=np.float32)
    before = [w.copy() for w in model.params]
    outs = layer_outputs(model, X)
    expected = model.activations(X)
    assert [o.shape for o in outs] == [(5, 32), (5, 16), (5, 10)]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.exp(outs[-1]) / np.exp(outs[-1]).sum(1, keepdims=True),
                               model.predict_proba(X), rtol=1e-5)
    assert all((a == b).all() for a, b in zip(model.params, before))


def test_top_units_are_the_most_active_first():
    a = np.array([0.0, 3.0, 1.0, 5.0, 2.0])
    assert top_units(a, 3).tolist() == [3, 1, 4]
    assert top_units(a, 10).tolist() == [3, 1, 4, 2, 0]


# --- the command line ---------------------------------------------------------------------------

def write_digit(path: Path, shape: str) -> Path:
    """A PNG of a dark digit on white paper (as a scan would be): a ring for 0, a bar for 1."""
    img = Image.new("L", (200, 240), 255)
    d = ImageDraw.Draw(img)
    if shape == "0":
        d.ellipse((50, 30, 150, 210), outline=0, width=16)
    else:
        d.line([(110, 30), (100, 210)], fill=0, width=16)
    img.save(path)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mnistcore", "predict", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("shape", ["0", "1"])
def test_cli_predict_json(tmp_path, shape):
    out = run_cli(str(write_digit(tmp_path / f"digit{shape}.png", shape)), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["prediction"] == int(shape)
    assert len(result["probabilities"]) == 10 and abs(sum(result["probabilities"]) - 1) < 1e-4
    assert max(result["probabilities"]) == result["probabilities"][int(shape)]


def test_cli_predict_text_with_an_explicit_model(tmp_path, shipped):
    model, meta = shipped
    path = save_model(model, tmp_path / "copy.npz", extra={"class_names": meta["class_names"]})
    out = run_cli(str(write_digit(tmp_path / "d.png", "0")), "--model", str(path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{tmp_path / 'd.png'}: 0 (probability")


@pytest.mark.parametrize("content,message", [
    (None, "no such image file"),
    (b"not an image at all", "not a readable image"),
    ("blank", "no digit found"),
])
def test_cli_predict_bad_images_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "in.png"
    if content == "blank":
        Image.new("L", (100, 100), 255).save(path)
    elif content is not None:
        path.write_bytes(content)
    out = run_cli(str(path), "--json")
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr


def test_cli_predict_bad_model_file(tmp_path):
    model = tmp_path / "model.npz"
    model.write_bytes(b"PK\x03\x04 not really a zip")
    out = run_cli(str(write_digit(tmp_path / "d.png", "1")), "--model", str(model))
    assert out.returncode == 1 and "model.npz" in out.stderr and "Traceback" not in out.stderr


def test_predict_command_in_process(tmp_path, capsys, shipped):
    args = argparse.Namespace(image=str(write_digit(tmp_path / "d.png", "0")), model=None, json=True)
    assert predict_command(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["prediction"] == 0 and result["label"] == "0"
    assert result["model"] == str(SHIPPED_MODEL)
