"""Checkpoint metadata is built in one place, checkpoint.model_metadata, and reads back as written."""
import numpy as np

from mnistcore.checkpoint import FORMAT, VERSION, load_model, model_bytes, model_metadata
from mnistcore.config import TrainConfig
from mnistcore.model import init_mlp


def test_metadata_names_the_model_its_config_and_the_callers_extras_and_loads_back():
    config = TrainConfig(hidden=(16,), activation="tanh", loss="mse")
    model = init_mlp(config.sizes, config.activation, config.init, config.loss, np.random.default_rng(0))
    extra = {"dataset": "mnist", "class_names": [str(c) for c in range(10)], "test_accuracy": 0.5}
    meta = model_metadata(model, config, extra)
    assert meta == {"format": FORMAT, "version": VERSION, "sizes": [784, 16, 10], "activation": "tanh",
                    "loss": "mse", "config": config.to_dict(), **extra}
    loaded, read = load_model(model_bytes(model, config, extra))
    assert read == meta and loaded.sizes == model.sizes
    assert model_metadata(model)["config"] is None
