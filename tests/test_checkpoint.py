"""Model files: round trip, atomic writes, and every kind of bad file refused clearly."""
import io
import json
import os

import numpy as np
import pytest

from mnistcore.checkpoint import ModelFileError, load_model, model_bytes, save_model
from mnistcore.config import TrainConfig
from mnistcore.model import init_mlp


@pytest.fixture
def model():
    return init_mlp((784, 16, 8, 10), activation="tanh", init="xavier", rng=np.random.default_rng(3))


def test_round_trip_keeps_weights_config_and_extras(model, tmp_path):
    config = TrainConfig(hidden=(16, 8), activation="tanh", init="xavier")
    path = save_model(model, tmp_path / "sub" / "m.npz", config, {"dataset": "mnist", "test_accuracy": 0.5})
    loaded, meta = load_model(path)
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))
    assert loaded.activation == "tanh" and loaded.sizes == (784, 16, 8, 10)
    assert TrainConfig.from_dict(meta["config"]) == config
    assert meta["dataset"] == "mnist" and meta["test_accuracy"] == 0.5
    assert load_model(model_bytes(model))[0].sizes == model.sizes  # from bytes too


def test_a_failed_write_leaves_the_old_file_and_no_temporary(model, tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save_model(model, path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(init_mlp((784, 4, 10)), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _meta(**changes) -> np.ndarray:
    meta = {"format": "mnistcore-mlp", "version": 1, "sizes": [784, 10], "activation": "relu", "loss": "ce"}
    return np.array(json.dumps({**meta, **changes}))


GOOD = dict(W0=np.zeros((784, 10), np.float32), b0=np.zeros(10, np.float32))


@pytest.mark.parametrize("data, message", [
    (b"", "not a readable"),
    (b"\x00" * 100, "not a readable"),
    (os.urandom(3000), "not a readable"),
    (_npz(x_train=np.zeros((2, 28, 28), np.uint8)), "no 'meta'"),
    (_npz(meta=np.array("{not json"), **GOOD), "not valid JSON"),
    (_npz(meta=_meta(format="keras"), **GOOD), "not a mnistcore-mlp"),
    (_npz(meta=_meta(version=7), **GOOD), "version"),
    (_npz(meta=_meta(activation="swish"), **GOOD), "activation"),
    (_npz(meta=_meta(sizes=[784, "ten"]), **GOOD), "sizes"),
    (_npz(meta=_meta(), W0=np.zeros((784, 10), np.float32)), "missing array 'b0'"),
    (_npz(meta=_meta(), W0=np.zeros((784, 9), np.float32), b0=np.zeros(10, np.float32)), "do not match"),
    (_npz(meta=_meta(sizes=[784, 5]), W0=np.zeros((784, 5)), b0=np.zeros(5)), "10 classes"),
    (_npz(meta=_meta(), W0=np.full((784, 10), np.nan), b0=np.zeros(10)), "NaN"),
    (_npz(meta=_meta(), W0=np.zeros((784, 10), np.int64), b0=np.zeros(10)), "dtype"),
    (_npz(meta=_meta(), W0=np.array([{"a": 1}], dtype=object), b0=np.zeros(10)), "damaged"),
])
def test_bad_model_files_are_refused_with_a_reason(data, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(data, name="upload.npz")


def test_a_pickled_object_is_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, meta=np.array([print], dtype=object), W0=np.zeros((784, 10)), b0=np.zeros(10))
    with pytest.raises(ModelFileError, match="evil.npz"):
        load_model(path)


def test_a_single_npy_array_and_a_missing_file(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    with pytest.raises(ModelFileError, match="single array"):
        load_model(buffer.getvalue())
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "nope.npz")


def test_a_saved_model_is_readable_by_others_as_any_new_file(model, tmp_path):
    umask = os.umask(0o022)
    try:
        path = save_model(model, tmp_path / "m.npz")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
