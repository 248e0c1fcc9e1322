"""The training loop: reproducible, stoppable, pausable, honest about divergence."""
import math

import numpy as np
import pytest

from mnistcore.config import PRESETS, TrainConfig
from mnistcore.train import Trainer, evaluate, train


def squares(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class is where a bright 6x6 square sits (10 places), on noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(y):
        r, c = 2 + 12 * (k // 5), 1 + 5 * (k % 5)
        x[i, r:r + 6, c:c + 6] = 255
    return x, y.astype(np.uint8)


@pytest.fixture(scope="module")
def toy():
    return (*squares(600, 0), *squares(200, 1))


def run(config, data, **kwargs):
    trainer = Trainer(config, data, **kwargs)
    events = list(trainer.run())
    return trainer, events


def test_same_config_and_seed_give_bit_identical_curves(toy):
    config = TrainConfig(hidden=(32,), epochs=2, batch_size=32, dropout=0.2, augment=True)
    (a, ea), (b, eb) = run(config, toy), run(config, toy)
    assert [e.record() | {"train_seconds": 0, "samples_per_second": 0, "seconds_left": 0} for e in ea] == \
           [e.record() | {"train_seconds": 0, "samples_per_second": 0, "seconds_left": 0} for e in eb]
    assert all(np.array_equal(p, q) for p, q in zip(a.model.params, b.model.params))
    c, _ = run(config.replace(seed=1), toy)
    assert not np.array_equal(a.model.W[0], c.model.W[0])


def test_learns_and_reports_events_in_order(toy):
    trainer, events = run(TrainConfig(hidden=(32,), epochs=3, batch_size=32, lr=0.1), toy)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "done" and kinds.count("epoch") == 3 and "step" in kinds
    fractions = [e.epoch_fraction for e in events[:-1]]
    assert fractions == sorted(fractions) and fractions[0] < 1
    assert events[-1].status == "done" and trainer.status == "done"
    assert events[-1].test_accuracy > 0.9
    assert events[-1].train_seconds > 0 and events[-1].samples_per_second > 0
    assert len(events[-1].grad_norms) == 2


def test_a_real_mnist_run_clearly_learns():
    from mnistcore import data
    mnist = data.load("mnist")
    config = TrainConfig(hidden=(64,), epochs=2, train_size=10_000, optimizer="adam", lr=3e-3)
    trainer, events = run(config, mnist, score_steps=False)
    # 156 steps on a sixth of the data: far from chance (0.1), near what such a short run can reach.
    assert events[-1].test_accuracy > 0.9
    first_epoch = next(e for e in events if e.kind == "epoch")
    assert events[-1].test_loss < first_epoch.test_loss
    assert len(trainer.train_idx) == 10_000


@pytest.mark.parametrize("batch_size, steps", [(0, 1), (1, 600), (128, 5)])
def test_batch_modes(toy, batch_size, steps):
    trainer, events = run(TrainConfig(hidden=(8,), epochs=1, batch_size=batch_size, lr=0.01), toy)
    assert trainer.step == steps


def test_breaking_out_stops_the_run_and_keeps_the_model(toy):
    trainer = Trainer(TrainConfig(hidden=(16,), epochs=5, batch_size=16), toy)
    for event in trainer.run():
        break
    assert trainer.status == "stopped" and trainer.epoch == 0 and trainer.step >= 1
    assert event.model is trainer.model


def test_pausing_after_steps_resumes_bit_identically(toy):
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=64, dropout=0.1)
    whole, _ = run(config, toy)
    stepped = Trainer(config, toy)
    while stepped.status not in ("done", "diverged"):
        list(stepped.run(steps=3))
    assert stepped.step == whole.step
    assert all(np.array_equal(p, q) for p, q in zip(whole.model.params, stepped.model.params))


def test_one_more_epoch_and_changes_between_epochs(toy):
    trainer, _ = run(TrainConfig(hidden=(16,), epochs=1, batch_size=64), toy)
    trainer.set_lr(0.01)
    trainer.set_batch_size(32)
    events = list(trainer.run(epochs=1))
    assert trainer.epoch == 2 and events[-1].lr == 0.01 and events[-1].batch_size == 32
    assert trainer.changes == [(1.0, "lr 0.1 → 0.01"), (1.0, "batch 64 → 32")]
    with pytest.raises(ValueError, match="lr"):
        trainer.set_lr(-1)


def test_divergence_ends_the_run_with_a_clear_status(toy):
    # MSE's gradient grows with the error, so too large a step feeds on itself.
    trainer, events = run(TrainConfig(hidden=(32,), epochs=3, batch_size=32, lr=5.0, loss="mse"), toy)
    assert trainer.status == "diverged"
    assert events[-1].kind == "done" and events[-1].status == "diverged"
    assert "learning rate" in events[-1].message
    assert sum(e.kind == "done" for e in events) == 1


def test_early_stopping_restores_the_best_validation_weights(toy):
    x, y = toy[0][:120], toy[1][:120].copy()
    y[::3] = (y[::3] + 1) % 10  # a third of the labels wrong: fitting them hurts validation
    config = TrainConfig(hidden=(256,), epochs=60, batch_size=8, lr=0.05, val_split=0.5,
                         early_stopping=3, optimizer="momentum")
    trainer, events = run(config, (x, y, toy[2], toy[3]))
    assert trainer.status == "early_stopped", "this tiny training set should overfit"
    epochs = [e for e in events if e.kind == "epoch"]
    best = min(epochs, key=lambda e: e.val_loss)
    assert trainer.epoch == best.epoch + 3
    val_loss, _ = evaluate(trainer.model, x[trainer.val_idx], y[trainer.val_idx])
    assert val_loss == pytest.approx(best.val_loss, rel=1e-5)
    assert f"epoch {best.epoch}" in events[-1].message


def test_validation_split_and_subset_are_disjoint_and_seeded(toy):
    config = TrainConfig(hidden=(8,), epochs=1, train_size=300, val_split=0.2)
    a, b = Trainer(config, toy), Trainer(config, toy)
    assert len(a.train_idx) == 240 and len(a.val_idx) == 60
    assert not set(a.train_idx) & set(a.val_idx)
    assert np.array_equal(a.val_idx, b.val_idx)
    with pytest.raises(ValueError, match="larger than"):
        Trainer(config.replace(train_size=10_000), toy)


def test_a_loaded_model_of_other_shape_is_refused(toy):
    trainer = Trainer(TrainConfig(hidden=(8,)), toy)
    with pytest.raises(ValueError, match="differ"):
        Trainer(TrainConfig(hidden=(16,)), toy, model=trainer.model)


def test_float64_and_every_preset_config_is_valid(toy):
    trainer, events = run(TrainConfig(hidden=(8,), epochs=1, dtype="float64"), toy)
    assert trainer.model.W[0].dtype == np.float64 and math.isfinite(events[-1].train_loss)
    assert {"seed", "default", "best"} <= set(PRESETS)
    assert PRESETS["seed"] == TrainConfig(hidden=(128,), activation="relu", init="he", loss="ce",
                                          optimizer="sgd", lr=0.1, batch_size=128, epochs=10)


def test_train_shorthand(toy):
    events = list(train(TrainConfig(hidden=(8,), epochs=1), toy))
    assert events[-1].kind == "done"


def test_a_late_closed_old_run_does_not_stop_a_newer_one(toy):
    trainer = Trainer(TrainConfig(hidden=(16,), epochs=2, batch_size=64), toy)
    old = trainer.run()
    next(old)                       # the old run is suspended mid-epoch...
    new = trainer.run()
    next(new)                       # ...a new one goes on from there...
    old.close()                     # ...and the old generator is closed late
    assert trainer.status == "running"
    assert list(new)[-1].status == "done" and trainer.epoch == 2


def test_a_learning_rate_change_mid_epoch_applies_at_once(toy):
    trainer = Trainer(TrainConfig(hidden=(16,), epochs=1, batch_size=64), toy)
    list(trainer.run(steps=2))
    trainer.set_lr(0.02)
    events = list(trainer.run(steps=1))
    assert events[-1].lr == pytest.approx(0.02)
    assert trainer.changes[-1][0] == pytest.approx(2 / 10)


def test_augment_moves_each_image_through_one_of_its_index_maps():
    from mnistcore.augment import OUTSIDE, _MAPS, augment
    x, _ = squares(40, 3)
    out = augment(x, np.random.default_rng(7))
    choice = np.random.default_rng(7).integers(len(_MAPS), size=len(x))  # the draw augment makes
    padded = np.concatenate([x.reshape(len(x), OUTSIDE), np.zeros((len(x), 1), np.uint8)], axis=1)
    expected = np.stack([padded[i, _MAPS[c]] for i, c in enumerate(choice)])
    assert out.dtype == np.uint8 and np.array_equal(out, expected)
    assert any(np.array_equal(m, np.arange(OUTSIDE)) for m in _MAPS)  # "no change" is one of them
    assert not np.array_equal(out, x.reshape(len(x), OUTSIDE))
