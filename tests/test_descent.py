"""Gradient descent on the toy functions: the seed's numbers, the maths, the presets, divergence,
the animated figures and the batch-mode comparison (on small synthetic data, so it stays fast)."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from mnistcore.batch_modes import common_budget, leader, loss_at
from mnistcore.descent import (BEHAVIOUR_NOTES, BATCH_MODES, DIVERGENCE_LIMIT, FUNCTIONS_1D, FUNCTIONS_2D, OPTIMIZERS_2D,
                               PRESET_NAMES, batch_mode_curves, descend, descend_1d, descend_2d, grid_2d,
                               behaviour, iterate_table, learning_rates, view_1d)
from mnistcore.figures.descent import (batch_modes_figure, descent_1d_figure, descent_2d_figure, moving_average,
                                       surface_image)

FNS_1D = list(FUNCTIONS_1D)
FNS_2D = list(FUNCTIONS_2D)


# -- the seed's example ---------------------------------------------------------------------------

def test_seed_iterates_are_two_times_point_eight_to_the_k():
    """x <- x - 0.1 * 2x = 0.8 x from x = 2: the seed notebook's 2, 1.6, 1.28, 1.024, 0.8192 ..."""
    traj = descend_1d("quadratic", start=2.0, eta=0.1, steps=12)
    k = np.arange(13)
    np.testing.assert_allclose(traj.theta[:, 0], 2.0 * 0.8 ** k, rtol=1e-12)
    np.testing.assert_allclose(traj.value, (2.0 * 0.8 ** k) ** 2 + 3.0, rtol=1e-12)
    np.testing.assert_allclose(traj.grad[:, 0], 2.0 * 2.0 * 0.8 ** k, rtol=1e-12)
    assert traj.theta[:5, 0] == pytest.approx([2.0, 1.6, 1.28, 1.024, 0.8192], rel=1e-12)
    assert not traj.diverged and traj.message == ""


def test_iterate_table_has_x_f_slope_and_the_step_taken():
    traj = descend_1d("quadratic", 2.0, 0.1, 4)
    table = iterate_table(traj)
    assert list(table) == ["k", "x", "f(x)", "f'(x)", "step −η f'(x)"]
    assert table["k"].tolist() == [0, 1, 2, 3, 4]
    # Each row's step, added to its x, is the next row's x.
    np.testing.assert_allclose(table["x"][:-1] + table["step −η f'(x)"][:-1], table["x"][1:], rtol=1e-12)
    assert table["step −η f'(x)"][0] == pytest.approx(-0.4)


# -- the maths --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FNS_1D)
def test_1d_derivatives_match_finite_differences(name):
    fn = FUNCTIONS_1D[name]
    x = np.linspace(*fn.domain, 41)
    h = 1e-6
    np.testing.assert_allclose(fn.df(x), (fn.f(x + h) - fn.f(x - h)) / (2 * h), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", FNS_2D)
def test_2d_gradients_match_finite_differences(name):
    fn = FUNCTIONS_2D[name]
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = fn.domain
    p = np.stack([rng.uniform(x0, x1, 25), rng.uniform(y0, y1, 25)], axis=-1)
    h = 1e-6
    numeric = np.stack([(fn.f(p + h * e) - fn.f(p - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)
    np.testing.assert_allclose(fn.grad(p), numeric, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("name", FNS_2D)
def test_listed_minima_are_minima(name):
    fn = FUNCTIONS_2D[name]
    for m in fn.minima:
        assert np.abs(fn.grad(np.array(m))).max() < 1e-4
        around = np.array(m) + 1e-2 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]])
        assert np.all(fn.f(around) > fn.f(np.array(m)))


def test_momentum_and_adam_first_steps_by_hand():
    """On f = x^2 from x = 1 (f' = 2x), eta = 0.1, mu = 0.9, beta1 = 0.9, beta2 = 0.999."""
    f, grad = (lambda t: float(t[0] ** 2)), (lambda t: 2 * t)
    m = descend(f, grad, [1.0], 0.1, 2, "momentum").theta[:, 0]
    v1 = -0.1 * 2.0                       # v = 0.9 * 0 - eta * 2
    v2 = 0.9 * v1 - 0.1 * 2 * (1 + v1)
    assert m.tolist() == pytest.approx([1.0, 1 + v1, 1 + v1 + v2], rel=1e-12)
    # Adam's first step is eta * sign(g) (up to eps): its bias-corrected m / sqrt(s) is g / |g|.
    a = descend(f, grad, [1.0], 0.1, 1, "adam").theta[:, 0]
    assert a[1] == pytest.approx(0.9, rel=1e-6)


# -- presets and divergence -------------------------------------------------------------------------

def test_every_preset_rate_is_a_stop_of_the_log_slider():
    stops = learning_rates()
    assert stops == sorted(stops) and stops[0] == pytest.approx(1e-4) and stops[-1] == pytest.approx(100)
    ratios = np.diff(np.log10(stops))
    assert ratios.max() < 0.08 and ratios.min() > 0.025   # about 20 stops per decade (2 significant digits)
    for fn in FUNCTIONS_1D.values():
        assert set(fn.presets) == set(PRESET_NAMES)
        assert all(v in stops for v in fn.presets.values())
    for fn in FUNCTIONS_2D.values():
        assert set(fn.presets) == set(OPTIMIZERS_2D)
        assert all(v in stops for v in fn.presets.values())


@pytest.mark.parametrize("name", FNS_1D)
@pytest.mark.parametrize("preset", ["too small", "good", "too large"])
def test_1d_presets_up_to_too_large_stay_finite(name, preset):
    fn = FUNCTIONS_1D[name]
    traj = descend_1d(name, fn.start, fn.presets[preset], 100)
    assert not traj.diverged
    assert traj.theta.shape == (101, 1) and np.all(np.isfinite(traj.theta)) and np.all(np.isfinite(traj.value))


@pytest.mark.parametrize("name", FNS_1D)
def test_1d_good_preset_settles_at_a_minimum(name):
    fn = FUNCTIONS_1D[name]
    traj = descend_1d(name, fn.start, fn.presets["good"], 60)
    assert abs(traj.grad[-1, 0]) < 1e-3
    assert traj.value[-1] < traj.value[0]


def test_quadratic_presets_crawl_settle_and_oscillate():
    fn = FUNCTIONS_1D["quadratic"]
    crawl = descend_1d("quadratic", 2.0, fn.presets["too small"], 20).theta[:, 0]
    good = descend_1d("quadratic", 2.0, fn.presets["good"], 20).theta[:, 0]
    wobble = descend_1d("quadratic", 2.0, fn.presets["too large"], 20).theta[:, 0]
    assert crawl[-1] > 1.3 and abs(good[-1]) < 0.05
    assert np.all(np.sign(wobble[1:]) != np.sign(wobble[:-1]))   # jumps over the minimum every step
    assert np.all(np.abs(wobble[1:]) < np.abs(wobble[:-1]))       # ... yet still closes in


@pytest.mark.parametrize("name", FNS_1D)
@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_preset_does_what_its_caption_claims(name, preset):
    """The claim a preset's caption makes (BEHAVIOUR_NOTES[fn.behaviour(preset)]) holds for its
    run from the function's start over its default number of steps, as the page shows it."""
    fn = FUNCTIONS_1D[name]
    assert behaviour(descend_1d(name, fn.start, fn.presets[preset], fn.steps)) == fn.behaviour(preset)


def test_flat_then_steep_too_large_ends_in_a_two_point_cycle():
    """eta = 1.0 against f''(0) = 2.04: each step multiplies x by about -1.04 near 0, so the run
    never settles; it ends bouncing between two points, +-0.14 (issue 15's example)."""
    fn = FUNCTIONS_1D["flat_then_steep"]
    assert 1.0 * 2.04 > 2 and fn.behaviour("too large") == "cycles"
    x = descend_1d("flat_then_steep", fn.start, fn.presets["too large"], 200).theta[:, 0]
    assert np.all(np.abs(x[-20:]) > 0.1)                          # not settling at the minimum 0
    np.testing.assert_allclose(x[-1], x[-3], atol=1e-4)           # period two
    np.testing.assert_allclose(x[-1], -x[-2], atol=1e-3)
    assert "never settles" in BEHAVIOUR_NOTES["cycles"]


def test_behaviour_tells_crawl_settle_oscillate_cycle_and_divergence_apart():
    # On x^2 each step multiplies x by 1 - 2 eta.
    assert behaviour(descend_1d("quadratic", 2.0, 0.01, 20)) == "crawls"       # 0.98
    assert behaviour(descend_1d("quadratic", 2.0, 0.3, 20)) == "settles"       # 0.4
    assert behaviour(descend_1d("quadratic", 2.0, 0.8, 20)) == "oscillates"    # -0.6
    assert behaviour(descend_1d("quadratic", 2.0, 1.0, 20)) == "cycles"        # -1: 2, -2, 2, ...
    assert behaviour(descend_1d("quadratic", 2.0, 1.2, 20)) == "diverges"      # -1.4


def test_run_note_gives_the_run_its_own_numbers():
    """A crawl's sentence says where x got to and how long its last step still is (0.98^k on x^2),
    so 100 small steps that cover 87% of the way are not called far from the minimum."""
    from mnistcore.descent import run_note
    long_crawl, short_crawl = descend_1d("quadratic", 2.0, 0.01, 100), descend_1d("quadratic", 2.0, 0.01, 20)
    assert behaviour(long_crawl) == behaviour(short_crawl) == "crawls"
    assert "from 2 to 0.265" in run_note(long_crawl) and f"{0.98 ** 99:.0%} of its longest" in run_note(long_crawl)
    assert "from 2 to 1.34" in run_note(short_crawl) and f"{0.98 ** 19:.0%} of its longest" in run_note(short_crawl)
    assert "far from" not in run_note(long_crawl)
    settled = descend_1d("quadratic", 2.0, 0.3, 20)
    assert run_note(settled).startswith(BEHAVIOUR_NOTES["settles"]) and f"x = {settled.theta[-1, 0]:.3g}" in run_note(settled)
    assert run_note(descend_1d("quadratic", 2.0, 3.2, 20)) == BEHAVIOUR_NOTES["diverges"]


def test_leader_reads_the_lowest_loss_where_every_mode_can_be_compared():
    curves = {"a": {"eval_steps": np.array([0, 10, 100]), "loss": np.array([2.0, 1.0, 0.2])},
              "b": {"eval_steps": np.array([0, 5, 20]), "loss": np.array([2.0, 0.5, 0.4])}}
    assert common_budget(curves, "steps") == 20
    assert leader(curves, "steps") == ("b", 0.4, 20)          # at 20 steps a is still at 1.0
    assert leader(curves, "steps", 100) == ("a", 0.2, 100)
    assert np.isnan(loss_at(curves["a"], "steps", -1))


def test_two_minima_where_you_start_decides_which_minimum():
    fn = FUNCTIONS_1D["two_minima"]
    right = descend_1d("two_minima", 0.5, fn.presets["good"], 60)
    left = descend_1d("two_minima", 0.0, fn.presets["good"], 60)
    assert right.theta[-1, 0] > 1 and left.theta[-1, 0] < -1
    assert left.value[-1] < right.value[-1]   # the left minimum is the deeper one


@pytest.mark.parametrize("name", FNS_1D)
def test_far_too_large_preset_is_detected_and_cut(name):
    fn = FUNCTIONS_1D[name]
    traj = descend_1d(name, fn.start, fn.presets["far too large"], 100)
    assert traj.diverged and 1 <= traj.diverged_at <= 100
    assert len(traj.theta) == traj.diverged_at            # steps 0 .. diverged_at - 1 are kept
    assert np.all(np.isfinite(traj.theta)) and np.abs(traj.theta).max() <= DIVERGENCE_LIMIT
    assert np.all(np.isfinite(traj.value)) and np.all(np.isfinite(traj.grad))
    assert f"step {traj.diverged_at}" in traj.message and "too large" in traj.message
    # The next step from the last kept point really does leave the allowed range.
    nxt = traj.theta[-1, 0] - traj.eta * traj.grad[-1, 0]
    assert not np.isfinite(nxt) or abs(nxt) > DIVERGENCE_LIMIT


def test_non_finite_values_stop_the_run_without_warnings():
    steep = lambda t: float(np.exp(1000 * t[0]))   # noqa: E731  overflows to inf once x > 0.71
    with np.errstate(all="raise"):
        traj = descend(steep, lambda t: -np.ones_like(t), [0.5], 0.1, 10)
        nan = descend(steep, lambda t: np.full_like(t, np.nan) if t[0] > 0.25 else -np.ones_like(t), [0.0], 0.1, 10)
    assert traj.diverged_at == 3 and traj.theta[:, 0] == pytest.approx([0.5, 0.6, 0.7])
    assert "gives a value too large to represent" in traj.message
    assert nan.diverged_at == 4 and len(nan.theta) == 4 and "is not a finite number" in nan.message


@pytest.mark.parametrize("name", FNS_2D)
@pytest.mark.parametrize("opt", list(OPTIMIZERS_2D))
def test_2d_presets_give_finite_descending_trajectories(name, opt):
    fn = FUNCTIONS_2D[name]
    traj = descend_2d(name, opt, fn.start, fn.presets[opt], fn.steps)
    assert not traj.diverged
    assert traj.theta.shape == (fn.steps + 1, 2) and np.all(np.isfinite(traj.theta))
    assert traj.value[-1] < traj.value[0]


@pytest.mark.parametrize("name", ["bowl", "himmelblau"])
@pytest.mark.parametrize("opt", list(OPTIMIZERS_2D))
def test_2d_presets_reach_a_minimum_on_the_easy_surfaces(name, opt):
    fn = FUNCTIONS_2D[name]
    end = descend_2d(name, opt, fn.start, fn.presets[opt], 300).theta[-1]
    assert min(np.hypot(*(end - np.array(m))) for m in fn.minima) < 0.05


def test_momentum_goes_further_down_the_narrow_valley_than_plain_descent():
    fn = FUNCTIONS_2D["bowl"]
    plain = descend_2d("bowl", "sgd", fn.start, fn.presets["sgd"], fn.steps)
    heavy = descend_2d("bowl", "momentum", fn.start, fn.presets["momentum"], fn.steps)
    assert abs(heavy.theta[-1, 0]) < abs(plain.theta[-1, 0]) / 10
    assert heavy.value[-1] < plain.value[-1]


def test_2d_too_large_rate_diverges_and_is_cut():
    traj = descend_2d("rosenbrock", "sgd", (-1.2, 1.0), 0.01, 50)
    assert traj.diverged and len(traj.theta) == traj.diverged_at and np.all(np.isfinite(traj.theta))


@pytest.mark.parametrize("kwargs, words", [
    (dict(eta=0.0), "learning rate must be a number > 0"),
    (dict(eta=-1.0), "learning rate must be a number > 0"),
    (dict(eta=float("nan")), "learning rate must be a number > 0"),
    (dict(steps=-1), "steps must be a whole number"),
    (dict(steps=2.5), "steps must be a whole number"),
    (dict(start=float("inf")), "start must be finite"),
])
def test_bad_arguments_raise_value_errors_that_say_what_is_wrong(kwargs, words):
    args = dict(name="quadratic", start=2.0, eta=0.1, steps=5) | kwargs
    with pytest.raises(ValueError, match=words):
        descend_1d(**args)


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match="quadratic"):
        descend_1d("cubic", 1.0, 0.1, 5)
    with pytest.raises(ValueError, match="rosenbrock"):
        descend_2d("sphere", "sgd", (0, 0), 0.1, 5)
    with pytest.raises(ValueError, match="sgd, momentum, adam"):
        descend_2d("bowl", "lbfgs", (0, 0), 0.1, 5)


def test_view_widens_to_the_iterates_but_not_forever():
    assert view_1d("quadratic", np.array([2.0, 1.0])) == (-3.0, 3.0)
    assert view_1d("quadratic", np.array([2.0, -5.0])) == (-5.0, 3.0)
    assert view_1d("quadratic", np.array([2.0, 1e5])) == (-3.0, 12.0)


# -- figures ----------------------------------------------------------------------------------------

def figure_1d(name: str, preset: str, steps: int):
    fn = FUNCTIONS_1D[name]
    traj = descend_1d(name, fn.start, fn.presets[preset], steps)
    cx = np.linspace(*view_1d(name, traj.theta[:, 0]), 200)
    return traj, descent_1d_figure(cx, fn.f(cx), traj.theta[:, 0], traj.value, traj.grad[:, 0], traj.eta)


@pytest.mark.parametrize("steps", [1, 20, 100])
def test_1d_animation_has_one_frame_per_step_and_a_play_button(steps):
    traj, fig = figure_1d("quadratic", "good", steps)
    assert len(fig.frames) == steps + 1 == len(traj.theta)        # frame k shows x_k, k = 0 .. steps
    assert [s.label for s in fig.layout.sliders[0].steps] == [str(k) for k in range(steps + 1)]
    assert [list(s.args[0]) for s in fig.layout.sliders[0].steps] == [[f.name] for f in fig.frames]
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.method == "animate" and play.args[0] is None and play.args[1]["fromcurrent"]
    assert list(pause.args[0]) == [None]
    for k in (0, steps):
        point = fig.frames[k].data[3]
        assert point.x == (pytest.approx(traj.theta[k, 0]),) and point.y == (pytest.approx(traj.value[k]),)
        trail = fig.frames[k].data[0]
        assert len(trail.x) == k + 1


def test_1d_frame_shows_tangent_and_the_step_to_the_next_iterate():
    traj, fig = figure_1d("quadratic", "good", 5)
    x, f, df = traj.theta[:, 0], traj.value, traj.grad[:, 0]
    tangent, step = fig.frames[2].data[1], fig.frames[2].data[2]
    slope = (tangent.y[1] - tangent.y[0]) / (tangent.x[1] - tangent.x[0])
    assert slope == pytest.approx(df[2])
    assert step.x == pytest.approx((x[2], x[3], x[3]))                 # along the tangent, then to the curve
    assert step.y == pytest.approx((f[2], f[2] + df[2] * (x[3] - x[2]), f[3]))


def test_1d_animation_of_a_diverging_run_plays_its_finite_part():
    traj, fig = figure_1d("quadratic", "far too large", 50)
    assert traj.diverged and len(fig.frames) == len(traj.theta) == traj.diverged_at
    values = [v for frame in fig.frames for trace in frame.data for v in (trace.y or ()) if v is not None]
    assert np.all(np.isfinite(values))
    lo, hi = fig.layout.xaxis.range
    assert hi - lo <= 8 * 3.0   # the view stays near the curve, not stretched to the last wild iterate


def test_2d_animation_moves_every_optimizer_together():
    fn = FUNCTIONS_2D["rosenbrock"]
    paths = {o: descend_2d("rosenbrock", o, fn.start, fn.presets[o], 40).theta for o in OPTIMIZERS_2D}
    paths["sgd"] = paths["sgd"][:11]            # as if plain descent had diverged after step 10
    xs, ys, Z = grid_2d("rosenbrock", 60)
    fig = descent_2d_figure(xs, ys, Z, paths, OPTIMIZERS_2D, fn.minima)
    assert len(fig.frames) == 41 and len(fig.frames[0].traces) == 2 * len(paths)
    heads = fig.frames[-1].data[1::2]
    assert heads[0].x == pytest.approx((paths["sgd"][-1, 0],))           # stays where it stopped
    assert heads[2].x == pytest.approx((paths["adam"][40, 0],)) and heads[2].y == pytest.approx((paths["adam"][40, 1],))
    assert len(fig.layout.images) == 1 and fig.layout.images[0].source.startswith("data:image/png;base64,")
    assert {t.type for t in fig.data} == {"scatter"}   # no contour trace: it would vanish while playing
    few = descent_2d_figure(xs, ys, Z, {o: descend_2d("bowl", o, (1, 1), 0.01, 400).theta for o in OPTIMIZERS_2D},
                            max_frames=50)
    assert len(few.frames) == 50 and few.frames[-1].name == "400"


def test_surface_image_is_a_png_of_the_grid_with_the_minimum_darkest():
    xs, ys, Z = grid_2d("bowl", 80)
    png = Image.open(io.BytesIO(base64.b64decode(surface_image(Z).split(",", 1)[1])))
    assert png.size == (80, 80)
    grey = np.asarray(png.convert("L"), dtype=float)
    assert grey[40, 40] < grey[0, 0]   # minimum (centre) darker than the corner


# -- from the toy to the network ------------------------------------------------------------------

def synthetic_digits(n: int = 300, seed: int = 0):
    """Images where class c lights up row block c: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for c in range(10):
        x[y == c, 2 * c + 4:2 * c + 6, 4:24] = 255
    return x, y


MODES = {"full": dict(batch_size=0, epochs=6, lr=0.5), "mini": dict(batch_size=20, epochs=2, lr=0.1),
         "single": dict(batch_size=1, epochs=1, lr=0.01)}


def test_batch_mode_curves_record_each_step_and_checkpoints():
    x, y = synthetic_digits()
    curves = batch_mode_curves(x, y, MODES, n=200, hidden=(8,), seed=1, checkpoints=10)
    assert list(curves) == list(MODES)
    full, mini, single = curves["full"], curves["mini"], curves["single"]
    assert len(full["batch_loss"]) == 0 and full["eval_steps"].tolist() == list(range(7))
    assert mini["steps"].tolist() == [s for s in range(1, 21) if s % 10]      # an epoch's last step reports as "epoch"
    assert np.all(np.diff(mini["samples"]) > 0) and mini["samples"][0] == 20
    assert single["steps"][-1] == 199 and single["samples"][-1] == 199
    for c in curves.values():
        assert len(c["eval_steps"]) == len(c["eval_samples"]) == len(c["eval_seconds"]) == len(c["loss"])
        assert c["eval_steps"][0] == 0 and np.all(np.diff(c["eval_steps"]) > 0)
        assert np.all(np.diff(c["eval_seconds"]) >= 0) and np.all(np.isfinite(c["loss"]))
        assert c["loss"][-1] < c["loss"][0]
        assert c["message"] == ""
    # All modes start from the same network on the same images.
    assert full["loss"][0] == mini["loss"][0] == single["loss"][0]


def test_batch_mode_curves_are_seeded():
    x, y = synthetic_digits()
    a = batch_mode_curves(x, y, MODES, n=150, hidden=(8,), seed=3, checkpoints=5)
    b = batch_mode_curves(x, y, MODES, n=150, hidden=(8,), seed=3, checkpoints=5)
    for mode in MODES:
        np.testing.assert_array_equal(a[mode]["loss"], b[mode]["loss"])
        np.testing.assert_array_equal(a[mode]["batch_loss"], b[mode]["batch_loss"])


def test_batch_mode_curves_check_n():
    x, y = synthetic_digits(50)
    with pytest.raises(ValueError, match="n must be from 1 to the 50"):
        batch_mode_curves(x, y, n=51)


def test_default_modes_are_full_mini_and_per_sample():
    assert [m["batch_size"] for m in BATCH_MODES.values()] == [0, 32, 1]


@pytest.fixture(scope="module")
def curves():
    x, y = synthetic_digits()
    return batch_mode_curves(x, y, MODES, n=200, hidden=(8,), checkpoints=10)


@pytest.mark.parametrize("axis", ["steps", "samples", "seconds"])
def test_batch_modes_figure_plots_against_the_chosen_axis(curves, axis):
    fig = batch_modes_figure(curves, axis)
    bold = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in bold] == list(MODES)
    for trace, c in zip(bold, curves.values()):
        assert list(trace.x) == c["eval_" + axis].tolist() and list(trace.y) == c["loss"].tolist()
    assert fig.layout.xaxis.type == "log"
    with pytest.raises(ValueError, match="steps, samples or seconds"):
        batch_modes_figure(curves, "epochs")


def test_moving_average_by_hand():
    np.testing.assert_allclose(moving_average(np.array([2.0, 4.0, 6.0, 8.0]), 2), [2.0, 3.0, 5.0, 7.0])
    np.testing.assert_allclose(moving_average(np.array([1.0, 2.0]), 1), [1.0, 2.0])


def test_batch_loss_lines_stay_inside_the_axis(curves):
    """The thin lines are moving averages that the y axis holds (no band running off the top)."""
    fig = batch_modes_figure(curves, "steps")
    thin = [t for t in fig.data if t.showlegend is False]
    top = fig.layout.yaxis.range[1]
    assert thin and all(max(t.y) <= top for t in thin)
    assert all(len(t.x) <= 400 for t in thin)
