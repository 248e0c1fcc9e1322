"""Inside training: gradient flow, dead units, capacity, early stopping, schedules, augmentation.

Runs on real MNIST subsets (shipped with mnistcore), a few seconds in all.
"""
import numpy as np
import pytest

from mnistcore import data
from mnistcore.augment import augment
from mnistcore.config import TrainConfig
from mnistcore.diagnostics import (GRADIENT_FLOW_CONFIGS, OVERFIT_CONFIG, CapacityPoint, FitCurves,
                                   augment_preview, capacity_summary, capacity_sweep, constant_units,
                                   dead_units, fit_curves, fit_summary, gradient_flow, images_used,
                                   schedule_curves)
from mnistcore.model import MLP, init_mlp
from mnistcore.schedules import lr_at
from mnistcore.train import Trainer, as_inputs, evaluate


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


@pytest.fixture(scope="module")
def small(mnist):
    """3,000 training and 1,000 test images: enough to learn, quick to go through."""
    return mnist.x_train[:3000], mnist.y_train[:3000], mnist.x_test[:1000], mnist.y_test[:1000]


# --- gradient flow -----------------------------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_reported_gradients_are_dW_whatever_the_optimizer(small, optimizer):
    # Full batch, no subset: the first step's batch is the whole set and the initial weights are
    # the seed's first draw, so the gradient can be recomputed from outside the Trainer.
    x, y = small[0][:500], small[1][:500]
    config = TrainConfig(hidden=(16, 16), optimizer=optimizer, lr=0.05, batch_size=0, epochs=1)
    trainer = Trainer(config, (x, y, x[:0], y[:0]), points_per_epoch=1, score_steps=False)
    event = next(iter(trainer.run(steps=1)))
    fresh = init_mlp(config.sizes, "relu", "he", "ce", np.random.default_rng(config.seed))
    _, _, grads = fresh.loss_and_gradients(as_inputs(x), y.astype(np.intp))
    expected = [np.abs(g).mean() for g in grads[::2]]
    np.testing.assert_allclose(event.grad_norms, expected, rtol=1e-4)


@pytest.fixture(scope="module")
def flows(small):
    short = {k: c.replace(epochs=1, train_size=2000) for k, c in GRADIENT_FLOW_CONFIGS.items()}
    return {k: gradient_flow(c, small, points_per_epoch=5) for k, c in short.items()}


def test_deep_sigmoid_gradients_vanish_towards_the_input_but_relu_ones_do_not(flows):
    sigmoid, relu = flows["sigmoid"], flows["relu"]
    # 5 points within the epoch and its end; 5 hidden layers and the output layer.
    assert sigmoid.grad_norms.shape == relu.grad_norms.shape == (6, 6)
    # Relative to its own output layer, the sigmoid net's first layer gets a far smaller
    # gradient than the ReLU net's, at every point of the run.
    assert np.all(sigmoid.first_over_last * 20 < relu.first_over_last)
    # And it shrinks layer after layer (sigma' <= 1/4 at each step back).
    mean = sigmoid.grad_norms.mean(axis=0)
    assert np.all(np.diff(mean) > 0)
    # With He init the ReLU net keeps the first layer within a factor ~10 of the last.
    assert np.all(relu.first_over_last > 0.05)


def test_the_vanishing_gradients_stall_learning(flows):
    # 1 epoch of SGD on 2,000 images: the ReLU net is learning, the sigmoid one is still at chance.
    assert flows["sigmoid"].test_accuracy < 0.2
    assert flows["relu"].test_accuracy > flows["sigmoid"].test_accuracy + 0.2
    assert flows["sigmoid"].epoch_fraction[-1] == 1.0


# --- dead units --------------------------------------------------------------------------------

def hand_made(activation: str = "relu", bias: float = -1000.0) -> MLP:
    """784-3-2-10 with known weights: hidden unit 1 of layer 1 has a very negative bias, so its
    z is negative for every input in [0, 1]; unit 0 of layer 2 reads only that unit."""
    rng = np.random.default_rng(0)
    W0 = rng.normal(0, 0.05, (784, 3)).astype(np.float32)
    b0 = np.array([0.5, bias, 0.5], np.float32)
    W1 = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    b1 = np.zeros(2, np.float32)
    W2 = rng.normal(0, 0.1, (2, 10)).astype(np.float32)
    return MLP([W0, W1, W2], [b0, b1, np.zeros(10, np.float32)], activation, "ce")


def test_a_unit_with_a_very_negative_bias_is_dead_and_so_is_what_reads_only_it(small):
    x = small[2][:200]
    masks = constant_units(hand_made(), x)
    assert [m.tolist() for m in masks] == [[False, True, False], [True, False]]
    np.testing.assert_allclose(dead_units(hand_made(), x), [1 / 3, 1 / 2])


def test_dead_units_need_a_varied_sample_and_see_saturation_only_with_a_tolerance(small):
    x = small[2][:200]
    with pytest.raises(ValueError, match="at least 2"):
        dead_units(hand_made(), x[:1])
    # A sigmoid unit with bias -30 outputs about 1e-13 for every input, but not exactly the same
    # value: only a tolerance calls it dead (a saturated unit). The unit reading only it gets
    # sigmoid(~1e-13) = 0.5 exactly in float32, constant either way.
    sig = hand_made("sigmoid", bias=-30.0)
    np.testing.assert_allclose(dead_units(sig, x), [0, 1 / 2])
    np.testing.assert_allclose(dead_units(sig, x, tol=1e-6), [1 / 3, 1 / 2])


def test_a_too_large_learning_rate_kills_many_relu_units(small, flows):
    relu = GRADIENT_FLOW_CONFIGS["relu"]
    fresh = dead_units(init_mlp(relu.sizes, "relu", "he", "ce", np.random.default_rng(0)), small[2])
    assert fresh[0] == 0.0 and fresh.mean() < 0.1  # He init: a few deep units start off for all digits
    assert flows["relu"].dead.mean() < 0.1           # lr 0.1 keeps them about as they were
    burnt = gradient_flow(relu.replace(lr=1.0, epochs=1, train_size=2000), small, points_per_epoch=1)
    assert burnt.dead.shape == (5,)
    assert burnt.dead.mean() > 0.25 and burnt.dead.mean() > 4 * fresh.mean()


def test_a_diverged_run_says_so_and_still_counts_its_dead_units(small):
    """lr 50: the loss climbs far above its start (diverged, by the Trainer's rule) while the
    weights stay finite, so the units it killed are counted: most of the first layer's."""
    relu = GRADIENT_FLOW_CONFIGS["relu"].replace(lr=50.0, epochs=1, train_size=1000)
    flow = gradient_flow(relu, small, points_per_epoch=2)
    assert flow.status == "diverged"
    assert flow.dead.shape == (5,) and np.isfinite(flow.dead).all() and flow.dead[0] > 0.5
    assert flow.grad_norms.shape[1] == 6


# --- capacity ----------------------------------------------------------------------------------

def test_capacity_sweep_yields_one_point_per_width_and_wider_fits_better(small):
    base = TrainConfig(hidden=(1,), optimizer="adam", lr=1e-3, batch_size=64, epochs=2, train_size=2000)
    points = list(capacity_sweep(small, widths=(4, 64), config=base))
    assert [p.width for p in points] == [4, 64]
    assert [p.parameters for p in points] == [784 * 4 + 4 + 4 * 10 + 10, 784 * 64 + 64 + 64 * 10 + 10]
    assert all(p.train_seconds > 0 for p in points)
    assert points[1].train_accuracy > points[0].train_accuracy
    assert points[1].test_accuracy > points[0].test_accuracy > 0.2


def test_capacity_sweep_uses_all_images_when_the_subset_is_larger_than_the_data(small):
    tiny = tuple(a[:300] for a in small)
    base = TrainConfig(hidden=(1,), epochs=1, train_size=10_000)
    (point,) = capacity_sweep(tiny, widths=(8,), config=base)
    assert 0 <= point.train_accuracy <= 1


# --- overfitting and early stopping ------------------------------------------------------------

@pytest.fixture(scope="module")
def overfit(mnist):
    """A net far too big for 200 training images, trained 40 epochs: the validation loss turns up."""
    config = OVERFIT_CONFIG.replace(train_size=400, val_split=0.5, epochs=40)
    few_tests = (mnist.x_train, mnist.y_train, mnist.x_test[:1000], mnist.y_test[:1000])
    full = fit_curves(config, few_tests)
    stopped = fit_curves(config.replace(early_stopping=3), few_tests)
    return config, full, stopped, few_tests


def test_the_overfitting_case_overfits(overfit):
    _, full, _, _ = overfit
    assert full.status == "done" and len(full.epoch) == 40
    assert full.train_loss[-1] < full.train_loss[full.best_epoch - 1]   # still fitting the train set
    assert full.val_loss[-1] > full.val_loss[full.best_epoch - 1] * 1.05  # but worse on held-out images
    assert full.best_epoch < 30


def test_early_stopping_restores_the_weights_of_the_best_validation_epoch(overfit):
    config, full, stopped, few_tests = overfit
    assert stopped.status == "early_stopped"
    # Same seed, same steps: the stopped run is the first epochs of the full one, cut `patience`
    # epochs after the best.
    n = len(stopped.epoch)
    assert n == stopped.best_epoch + 3 < len(full.epoch)
    np.testing.assert_allclose(stopped.val_loss, full.val_loss[:n], rtol=1e-6)
    assert f"epoch {stopped.best_epoch}" in stopped.message
    # The model it returns scores exactly the best epoch's validation loss, not the last one's.
    trainer = Trainer(config.replace(early_stopping=3), few_tests, points_per_epoch=1, score_steps=False)
    for _ in trainer.run():
        pass
    val_loss, val_acc = evaluate(trainer.model, trainer.x[trainer.val_idx], trainer.y[trainer.val_idx])
    assert val_loss == pytest.approx(stopped.val_loss.min(), rel=1e-5)
    assert val_loss < stopped.val_loss[-1]
    assert val_acc == pytest.approx(stopped.final_val_accuracy)
    assert stopped.val_accuracy[stopped.best_epoch - 1] == pytest.approx(stopped.final_val_accuracy)


def test_fit_curves_needs_a_validation_split(small):
    with pytest.raises(ValueError, match="val_split"):
        fit_curves(TrainConfig(epochs=1), small)


# --- schedules ---------------------------------------------------------------------------------

def test_schedule_curves_start_at_lr_and_decay_as_their_formulas_say():
    curves = schedule_curves(0.1, 12)
    assert set(curves) == {"constant", "step", "cosine"}
    assert all(c[0] == pytest.approx(0.1) and len(c) == 12 for c in curves.values())
    np.testing.assert_allclose(curves["constant"], 0.1)
    np.testing.assert_allclose(curves["step"], 0.1 * 0.5 ** (np.arange(12) // 3))
    np.testing.assert_allclose(curves["cosine"], 0.05 * (1 + np.cos(np.pi * np.arange(12) / 12)))
    assert np.all(np.diff(curves["cosine"]) < 0)
    with pytest.raises(ValueError):
        schedule_curves(0.1, 0)


def test_the_trainer_uses_the_lr_the_schedule_chart_shows(small):
    config = TrainConfig(hidden=(8,), lr=0.2, epochs=4, batch_size=256, schedule="step",
                         train_size=1000, val_split=0.2)
    curves = fit_curves(config, small)
    np.testing.assert_allclose(curves.lr, schedule_curves(0.2, 4)["step"])
    assert curves.lr[-1] == pytest.approx(lr_at("step", 0.2, 3, 4))


# --- augmentation ------------------------------------------------------------------------------

def test_augment_preview_puts_the_original_first_then_distinct_copies(mnist):
    images = mnist.x_train[:6]
    grid = augment_preview(images, copies=4, seed=1)
    assert grid.shape == (6, 5, 28, 28) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid[:, 0], images)
    # One of the 125 transforms is the identity, so a copy may rarely equal its original.
    same = [np.array_equal(grid[i, 0], grid[i, j]) for i in range(6) for j in range(1, 5)]
    assert sum(same) <= 2
    np.testing.assert_array_equal(grid, augment_preview(images, copies=4, seed=1))  # seeded
    with pytest.raises(ValueError, match="28, 28"):
        augment_preview(mnist.x_train[:2].reshape(2, 784))


def test_augmentation_keeps_image_statistics(mnist):
    x = mnist.x_train[:2000]
    out = augment(x, np.random.default_rng(0))
    assert out.shape == (2000, 784) and out.dtype == np.uint8
    before = x.reshape(2000, -1).astype(np.float64).sum(axis=1)
    after = out.astype(np.float64).sum(axis=1)
    # Mean intensity within 3%; each digit keeps most of its ink (nearest-neighbour rotation
    # drops or doubles a few pixels, a 2-pixel shift never pushes a centred MNIST digit out).
    assert after.mean() == pytest.approx(before.mean(), rel=0.03)
    ratio = after / before
    assert np.median(ratio) == pytest.approx(1.0, abs=0.03)
    assert ratio.min() > 0.75 and ratio.max() < 1.25
    # Pixel values stay the same kind: nothing outside 0..255, as many blank pixels roughly.
    assert np.mean(out == 0) == pytest.approx(np.mean(x == 0), abs=0.02)


def test_augmented_digits_keep_their_labels(mnist, small):
    # A network that never saw a shifted image still reads the augmented copies of each digit
    # as that digit more often than as any other: the label stays true. (An MLP has no notion
    # of translation, so a 2-pixel shift does cost it accuracy: that is why training augments.)
    trainer = Trainer(TrainConfig(hidden=(64,), optimizer="adam", lr=1e-3, epochs=3, batch_size=64),
                      small, points_per_epoch=1, score_steps=False)
    for _ in trainer.run():
        pass
    x, y = mnist.x_test[1000:3000], mnist.y_test[1000:3000]
    plain = trainer.model.predict(as_inputs(x))
    copies = trainer.model.predict(as_inputs(augment(x, np.random.default_rng(0))))
    assert np.mean(plain == y) > 0.8
    assert 0.4 < np.mean(copies == y) < np.mean(plain == y)  # 4x chance, and the copies do differ
    most_read_as = [np.bincount(copies[y == c], minlength=10).argmax() for c in range(10)]
    assert most_read_as == list(range(10))


def test_fit_summary_says_what_the_overfitting_numbers_show(overfit):
    _, full, stopped, _ = overfit
    text = fit_summary(full, stopped)
    e_loss = int(np.nanargmin(full.val_loss)) + 1
    assert f"lowest at epoch {e_loss}" in text
    assert f"restored weights score {stopped.test_accuracy:.1%} and all {len(full.epoch)} epochs {full.test_accuracy:.1%}" in text
    a, b = stopped.test_accuracy, full.test_accuracy
    assert ("early stopping scores better" in text) == (a > b + 0.0005)
    assert ("all epochs score better" in text) == (b > a + 0.0005)
    peak, last = np.nanmax(full.val_accuracy), full.val_accuracy[-1]
    assert ("ends at" in text) == (peak - last >= 0.005)      # "falls" only when it does


def test_fit_summary_of_made_up_curves_that_do_not_overfit():
    from dataclasses import replace
    base = FitCurves(config=TrainConfig(), epoch=np.arange(1, 5), train_loss=np.array([1.0, 0.8, 0.6, 0.5]),
                     val_loss=np.array([1.0, 0.9, 0.8, 0.7]), train_accuracy=np.full(4, 0.9),
                     val_accuracy=np.array([0.80, 0.85, 0.88, 0.90]), lr=np.full(4, 0.1), best_epoch=4,
                     status="done", message="", test_loss=0.7, test_accuracy=0.90, final_val_accuracy=0.90)
    text = fit_summary(base, replace(base, test_accuracy=0.90))
    assert "still lowest at epoch 4" in text and "over-confident" not in text and "the two score the same" in text


def test_capacity_summary_reads_the_sweep_and_notes_times_that_fall():
    pts = [CapacityPoint(8, 100, 0.9, 0.88, 2.0), CapacityPoint(32, 400, 0.95, 0.93, 1.5),
           CapacityPoint(128, 1600, 0.99, 0.935, 3.0)]
    text = capacity_summary(pts)
    assert "from 88.0% with 8 units to 93.5% with 128" in text and "+0.5 points" in text
    assert "32 units trained in 1.5 s, 8 in 2.0 s" in text
    rising = [CapacityPoint(8, 100, 0.9, 0.88, 1.0), CapacityPoint(32, 400, 0.95, 0.93, 2.0)]
    assert "grew with the number of weights" in capacity_summary(rising)
    assert capacity_summary(rising[:1]) == ""


def test_images_used_counts_all_images_for_train_size_0():
    assert images_used(TrainConfig(train_size=0), 4) == 4
    assert images_used(TrainConfig(train_size=2000), 4) == 4
    assert images_used(TrainConfig(train_size=2000), 60000) == 2000
