"""Perturbed test images and a model's accuracy on them."""
import numpy as np
import pytest

from mnistcore import data
from mnistcore.config import TrainConfig
from mnistcore.robustness import (LEVELS, accuracy_curve, add_noise, as_images, perturb,
                                  robustness_curves, rotate, thickness)
from mnistcore.train import Trainer, as_inputs, evaluate


@pytest.fixture(scope="module")
def mnist():
    return data.load("mnist")


@pytest.fixture(scope="module")
def model(mnist):
    """784-64-10 trained 2 epochs on 5,000 images (about 90% on the test set)."""
    config = TrainConfig(hidden=(64,), optimizer="adam", lr=1e-3, epochs=2, batch_size=64, train_size=5000)
    trainer = Trainer(config, (mnist.x_train, mnist.y_train, mnist.x_test[:0], mnist.y_test[:0]),
                      points_per_epoch=1, score_steps=False)
    for _ in trainer.run():
        pass
    return trainer.model


@pytest.fixture(scope="module")
def test_set(mnist):
    return mnist.x_test[:1500], mnist.y_test[:1500]


def dot(r: int, c: int) -> np.ndarray:
    img = np.zeros((1, 28, 28), np.uint8)
    img[0, r, c] = 255
    return img


# --- the perturbations -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["noise", "rotation", "thickness"])
def test_level_zero_changes_nothing_and_every_level_keeps_shape_dtype_and_range(kind, test_set):
    x = test_set[0][:50]
    np.testing.assert_array_equal(perturb(x, kind, 0), as_inputs(x).reshape(50, 28, 28))
    for level in LEVELS[kind]:
        out = perturb(x, kind, level)
        assert out.shape == (50, 28, 28) and out.dtype == np.float32
        assert out.min() >= 0 and out.max() <= 1
    assert not np.array_equal(perturb(x, kind, LEVELS[kind][-1]), perturb(x, kind, 0))


def test_noise_has_the_asked_spread_and_the_same_pattern_at_every_sigma():
    grey = np.full((20, 28, 28), 0.5, np.float32)          # far from the clipping edges
    for sigma in (0.05, 0.1):
        assert np.std(add_noise(grey, sigma) - 0.5) == pytest.approx(sigma, rel=0.05)
    np.testing.assert_allclose(add_noise(grey, 0.1) - 0.5, (add_noise(grey, 0.05) - 0.5) * 2, atol=1e-6)
    assert not np.array_equal(add_noise(grey, 0.1, seed=1), add_noise(grey, 0.1, seed=2))
    with pytest.raises(ValueError, match="sigma"):
        add_noise(grey, -0.1)


def test_rotation_turns_anticlockwise_about_the_centre_and_keeps_ink():
    # A dot right of centre goes above it after a quarter turn, below after three quarters.
    assert np.unravel_index(rotate(dot(13, 24), 90)[0].argmax(), (28, 28)) == (3, 13)
    assert np.unravel_index(rotate(dot(13, 24), -90)[0].argmax(), (28, 28)) == (24, 14)
    np.testing.assert_allclose(rotate(dot(10, 5), 360), as_images(dot(10, 5)))
    # Bilinear interpolation spreads a pixel over its neighbours, keeping about its total.
    spread = rotate(dot(10, 12), 33)[0]
    assert (spread > 0).sum() > 1 and spread.sum() == pytest.approx(1.0, rel=0.1)


def test_rotation_there_and_back_is_close_to_the_original(test_set):
    x = as_images(test_set[0][:100])
    back = rotate(rotate(x, 20), -20)
    assert np.abs(back - x).mean() < 0.03
    assert back.sum() == pytest.approx(x.sum(), rel=0.05)


def test_thickness_grows_and_shrinks_strokes_by_a_pixel_a_step(test_set):
    x = test_set[0][:100]
    ink = [thickness(x, k).sum() for k in (-2, -1, -0.5, 0, 0.5, 1, 2)]
    assert ink == sorted(ink) and len(set(ink)) == 7
    # A one-pixel dot grows into a plus of 5 pixels, then a diamond of 13; erosion removes it.
    assert (thickness(dot(14, 14), 1) > 0).sum() == 5
    assert (thickness(dot(14, 14), 2) > 0).sum() == 13
    assert thickness(dot(14, 14), -1).sum() == 0
    # A half step is half way between the whole steps around it.
    np.testing.assert_allclose(thickness(dot(14, 14), 1.5),
                               (thickness(dot(14, 14), 1) + thickness(dot(14, 14), 2)) / 2)
    # A 3-pixel-wide bar eroded once keeps its middle row (13 of 15 pixels: the ends wear too).
    bar = np.zeros((1, 28, 28), np.uint8)
    bar[0, 10:13, 5:20] = 255
    assert (thickness(bar, -1)[0] > 0).sum() == 13
    with pytest.raises(ValueError, match="finite"):
        thickness(bar, float("nan"))


def test_bad_input_is_refused_with_a_message(test_set):
    with pytest.raises(ValueError, match="28, 28"):
        as_images(np.zeros((3, 10, 10)))
    with pytest.raises(ValueError, match="noise, rotation, thickness"):
        perturb(test_set[0][:2], "blur", 1)


# --- the curves --------------------------------------------------------------------------------

def test_accuracy_at_zero_perturbation_is_the_plain_accuracy(model, test_set):
    x, y = test_set
    _, plain = evaluate(model, x, y)
    curves = robustness_curves(model, x, y)
    assert set(curves) == {"noise", "rotation", "thickness"}
    for kind, curve in curves.items():
        zero = list(curve.levels).index(0)
        assert curve.accuracy[zero] == pytest.approx(plain, abs=1e-12)
        np.testing.assert_array_equal(curve.levels, LEVELS[kind])
    assert plain > 0.85


def test_accuracy_falls_as_noise_and_rotation_grow(model, test_set):
    x, y = test_set
    noise = accuracy_curve(model, x, y, "noise", (0, 0.2, 0.4, 0.6)).accuracy
    assert np.all(np.diff(noise) < 0)
    assert noise[-1] < noise[0] - 0.3
    rotation = accuracy_curve(model, x, y, "rotation", (0, 15, 30, 60)).accuracy
    assert np.all(np.diff(rotation) < 0)
    assert rotation[-1] < 0.4
    # Stroke width: the further from the original width, the worse, both ways.
    width = accuracy_curve(model, x, y, "thickness", (-1, -0.5, 0, 1, 2, 3)).accuracy
    assert width.argmax() == 2
    assert width[0] < width[1] and width[3] > width[4] > width[5]


def test_curves_need_matching_labels(model, test_set):
    x, y = test_set
    with pytest.raises(ValueError, match="as many labels"):
        accuracy_curve(model, x[:10], y[:5], "noise", (0,))


def test_the_plain_note_matches_the_levels():
    """PLAIN_NOTE (shown on the Inside page) says level 0 is on every curve and thickness has
    levels below it: true of LEVELS."""
    from mnistcore.robustness import PLAIN_NOTE
    assert all(0 in levels for levels in LEVELS.values()) and "level 0" in PLAIN_NOTE
    assert min(LEVELS["thickness"]) < 0 < max(LEVELS["thickness"]) and "thickness" in PLAIN_NOTE
    assert all(min(levels) == 0 for kind, levels in LEVELS.items() if kind != "thickness")
