"""The Train page's figure builders, on small arrays: what each trace holds, not how it looks."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from mnistcore.figures import training as figs


def curve_of(events: list[tuple[float, str, float, float | None]]) -> dict[str, list]:
    """A curve from (epoch_fraction, kind, train_loss, test_loss) rows; accuracy = 1 - loss."""
    curve = figs.empty_curve()
    for x, kind, train, test in events:
        curve["epoch"].append(x)
        curve["kind"].append(kind)
        curve["train_loss"].append(train)
        curve["train_accuracy"].append(None if train is None else 1 - train)
        curve["test_loss"].append(test)
        curve["test_accuracy"].append(None if test is None else 1 - test)
        curve["val_loss"].append(None)
        curve["val_accuracy"].append(None)
    return curve


EVENTS = [(0.5, "step", 0.9, 0.8), (1.0, "epoch", 0.5, 0.45), (1.5, "step", 0.4, None),
          (2.0, "epoch", 0.3, 0.35)]


def traces(fig: go.Figure) -> dict[str, go.Scatter]:
    return {t.name: t for t in fig.data}


def test_learning_curves_keep_batch_means_apart_from_epoch_scores():
    fig = figs.learning_curves(curve_of(EVENTS), "loss", epochs=4)
    t = traces(fig)
    assert list(t["train (recent batches)"].x) == [0.5, 1.5]
    assert list(t["train"].x) == [1.0, 2.0] and list(t["train"].y) == [0.5, 0.3]
    # test: every event that scored the test set, the unscored one left out
    assert list(t["test"].x) == [0.5, 1.0, 2.0] and list(t["test"].y) == [0.8, 0.45, 0.35]
    assert list(t["test"].marker.size) == [4, 8, 8]      # epoch-end scores drawn larger
    assert "validation" not in t                         # no validation split, no trace
    assert tuple(fig.layout.xaxis.range) == (0, 4)       # a live chart fills in, never rescales


def test_learning_curves_accuracy_and_validation():
    curve = curve_of(EVENTS)
    curve["val_accuracy"] = [None, 0.6, None, 0.7]
    fig = figs.learning_curves(curve, "accuracy")
    t = traces(fig)
    assert list(t["train"].y) == pytest.approx([0.5, 0.7])
    assert list(t["validation"].y) == [0.6, 0.7]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_learning_curves_skip_non_finite_values_and_mark_changes():
    events = EVENTS + [(2.5, "step", math.nan, None), (3.0, "epoch", math.inf, math.nan)]
    fig = figs.learning_curves(curve_of(events), "loss", changes=[(1.0, "lr 0.1 → 0.01")])
    t = traces(fig)
    assert list(t["train"].x) == [1.0, 2.0]
    assert list(t["test"].x) == [0.5, 1.0, 2.0]
    assert [s.x0 for s in fig.layout.shapes] == [1.0]
    assert fig.layout.annotations[0].text == "lr 0.1 → 0.01"


def test_learning_curves_of_an_empty_curve_have_the_axes_they_will_have():
    loss = figs.learning_curves(figs.empty_curve(), "loss", epochs=3)
    accuracy = figs.learning_curves(figs.empty_curve(), "accuracy", epochs=3)
    assert all(len(t.x) == 0 for t in loss.data + accuracy.data)
    assert tuple(loss.layout.yaxis.range) == (0, pytest.approx(math.log(10)))   # from 0 to a uniform guess
    assert tuple(accuracy.layout.yaxis.range) == (0, 1)                          # 0-100%, not -100%..400%
    assert tuple(loss.layout.xaxis.range) == (0, 3)                              # the planned epochs
    with pytest.raises(ValueError, match="metric must be one of"):
        figs.learning_curves(figs.empty_curve(), "f1")


def test_accuracy_axis_fits_the_points_and_stays_within_0_and_100_percent():
    # a diverged run sitting at 8-9%: at least 10 points tall (no "9%, 8%, 8%" ticks), not below 0
    flat = figs.accuracy_range([0.0892, 0.0980, 0.0958])
    assert flat[0] == 0.0 and 0.098 < flat[1] <= 0.11
    good = figs.accuracy_range([0.91, 0.955, 0.972, 0.981])
    assert good[1] <= 1.0 and good[0] < 0.91 and good[1] - good[0] >= 0.1
    assert figs.accuracy_range([0.97, 0.999, 1.0])[1] == 1.0
    fig = figs.learning_curves(curve_of(EVENTS), "accuracy")
    assert fig.layout.yaxis.range[1] <= 1.0 and fig.layout.yaxis.range[0] <= 0.1   # accuracy 0.1 shown


def test_a_diverged_runs_loss_is_drawn_on_a_log_axis():
    # the numbers of a run at lr 5: 2.30 at the start, then losses near 900k, then NaN
    events = [(0.2, "step", 2.31, 2.28), (0.4, "step", 51.7, None), (0.6, "step", 8.9e5, 9.1e5),
              (0.8, "step", math.nan, None)]
    fig = figs.learning_curves(curve_of(events), "loss", epochs=1)
    assert fig.layout.yaxis.type == "log" and "log" in fig.layout.yaxis.title.text
    low, high = fig.layout.yaxis.range                              # powers of ten
    assert low < math.log10(2.28) and high > math.log10(9.1e5)     # start and blow-up both in view


def test_one_loss_spike_is_clipped_with_a_note():
    # MSE losses falling from 0.09 to 0.01 with one batch at 0.62
    train = list(np.linspace(0.09, 0.01, 20))
    train[7] = 0.62
    events = [((i + 1) / 10, "step", v, None) for i, v in enumerate(train)]
    fig = figs.learning_curves(curve_of(events), "loss", epochs=2)
    assert fig.layout.yaxis.type == "linear"
    top = fig.layout.yaxis.range[1]
    assert fig.layout.yaxis.range[0] == 0 and 0.09 < top < 0.62      # the rest fills the chart
    note = [a.text for a in fig.layout.annotations if "clipped" in a.text]
    assert note == [f"clipped at {top:.3g}: the highest point is 0.62"]
    marked = figs.learning_curves(curve_of(events), "loss", epochs=2, changes=[(1.5, "lr 0.1 → 0.01")])
    [mark] = [a for a in marked.layout.annotations if a.text == "lr 0.1 → 0.01"]
    assert mark.y < 1                                              # under the note, not on top of it
    plain = figs.learning_curves(curve_of(EVENTS), "loss", epochs=4)
    assert plain.layout.yaxis.range[0] == 0 and plain.layout.yaxis.range[1] >= 0.9   # no clipping
    assert not plain.layout.annotations


def test_x_axis_fits_what_was_given():
    short = figs.learning_curves(curve_of(EVENTS[:2]), "loss", epochs=1.0)   # a run stopped after 1 of 20
    assert tuple(short.layout.xaxis.range) == (0, 1.0)
    free = figs.learning_curves(curve_of(EVENTS), "loss")                     # no epochs: Plotly fits the points
    assert free.layout.xaxis.range is None


def test_change_marks_close_together_get_labels_on_different_lines():
    changes = [(1.0, "lr 0.1 → 0.01"), (1.0, "batch 64 → 128"), (1.2, "momentum 0 → 0.9"), (4.0, "lr 0.01 → 0.001")]
    fig = figs.learning_curves(curve_of(EVENTS), "loss", epochs=5, changes=changes)
    labels = [(a.x, a.y, a.text) for a in fig.layout.annotations]
    assert labels[0] == (1.0, 1, "lr 0.1 → 0.01; batch 64 → 128")   # one x: one label
    assert labels[1][0] == 1.2 and labels[1][1] < labels[0][1]       # close by: one line lower
    assert labels[2][:2] == (4.0, 1)                                 # far away: back on top
    assert [s.x0 for s in fig.layout.shapes] == [1.0, 1.2, 4.0]


def test_runs_overlay_draws_one_line_per_run():
    short = curve_of(EVENTS[:2])
    fig = figs.runs_overlay([("#1 sgd", curve_of(EVENTS)), ("#2 adam", short)], "loss", "test")
    assert [t.name for t in fig.data] == ["#1 sgd", "#2 adam"]
    assert list(fig.data[0].y) == [0.8, 0.45, 0.35] and list(fig.data[1].y) == [0.8, 0.45]
    assert fig.data[0].line.color != fig.data[1].line.color
    train = figs.runs_overlay([("a", curve_of(EVENTS))], "accuracy", "train")
    assert list(train.data[0].x) == [1.0, 2.0]           # train: epoch-end scores only
    with pytest.raises(ValueError, match="split"):
        figs.runs_overlay([], "loss", "dev")


def test_confusion_figure_colours_only_the_mistakes():
    cm = np.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])
    counts = figs.confusion_figure(cm, ["a", "b", "c"])
    heat = counts.data[0]
    assert heat.text.tolist() == [["8", "2", "0"], ["1", "3", "0"], ["0", "0", "0"]]
    z = np.array(heat.z, dtype=float)
    assert np.isnan(np.diag(z)).all()                              # the right answers take no colour
    assert z[0, 1] == pytest.approx(0.2) and z[1, 0] == pytest.approx(0.25)   # colour = share of the true class
    assert np.isnan(z[2]).all()                                    # a class with no images: no rate
    assert (heat.zmin, heat.zmax) == (0, pytest.approx(0.25))      # the scale ends at the worst mistake
    assert np.asarray(heat.customdata).tolist() == cm.tolist()
    title = heat.colorbar.title   # one line along the bar: Plotly's colour-bar titles ignore <br>
    assert "<br>" not in title.text and "share of the true class" in title.text and title.side == "right"
    grey = [(s.x0, s.y0) for s in counts.layout.shapes]
    assert grey == [(-0.5, -0.5), (0.5, 0.5), (1.5, 1.5)] and {s.layer for s in counts.layout.shapes} == {"below"}
    rates = figs.confusion_figure(cm, ["a", "b", "c"], rates=True).data[0]
    assert rates.text.tolist() == [["80.0%", "20.0%", "0.0%"], ["25.0%", "75.0%", "0.0%"], ["", "", ""]]
    assert counts.layout.yaxis.autorange == "reversed"              # true class 0 on top
    with pytest.raises(ValueError, match="square"):
        figs.confusion_figure(np.zeros((2, 3)), ["a", "b"])


def test_confusion_figure_at_98_percent_shows_each_mistake():
    """A 98%-right matrix: the rarest mistake still gets a visible share of the colour scale."""
    cm = np.diag([970, 1120, 1010, 995, 960, 875, 940, 1005, 955, 985])
    cm[4, 9], cm[7, 2], cm[3, 5], cm[9, 4] = 18, 12, 9, 1
    mistakes = figs.confusion_figure(cm, [str(c) for c in range(10)]).data[0]
    z = np.array(mistakes.z, dtype=float)
    assert mistakes.zmax == pytest.approx(18 / 978)                 # the worst mistake: full colour
    assert z[9, 4] / mistakes.zmax > 0.05                           # one image in 986 is not white-on-white
    assert mistakes.colorscale[0][1].endswith(", 0)")              # no mistakes: transparent (theme shows)


def test_per_class_figure_marks_the_weakest_class_and_stops_at_100_percent():
    fig = figs.per_class_figure(np.array([0.99, 0.80, np.nan, 1.0]), ["0", "1", "2", "3"])
    bars = fig.data[0]
    assert list(bars.x) == ["0", "1", "2", "3"]
    assert bars.text == ("99.0", "80.0", "n/a", "100.0")
    assert bars.marker.color[1] != bars.marker.color[0] == bars.marker.color[3]
    assert fig.layout.yaxis.range[0] <= 0.8
    assert fig.layout.yaxis.range[1] == 1.0                         # never 104%
    assert bars.textposition == "outside" and bars.cliponaxis is False   # a 100% bar's label sits in the margin


def test_mistakes_figure_captions_true_and_predicted_class():
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[1, 5, 5] = 255
    fig = figs.mistakes_figure(images, [4, 7, 0], [9, 1, 6], [0.97, 0.5, 0.612],
                               ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], cols=2, ids=[10, 20, 30])
    assert [a.text for a in fig.layout.annotations] == ["4→9 97%", "7→1 50%", "0→6 61%"]
    z = np.array(fig.data[0].z, dtype=float)
    assert np.nanmax(z) == 255                                     # image 1's ink is in the mosaic
    assert list(fig.data[1].customdata) == [10, 20, 30]
    long = figs.mistakes_figure(images[:1], [0], [6], [0.9], ["T-shirt/top", "b", "c", "d", "e", "f", "Shirt"])
    assert long.layout.annotations[0].text == "T-shir…→Shirt 90%"


def test_tile_weights_scales_each_unit_and_keeps_its_pattern():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((784, 5))
    W[:, 2] *= 100
    W[:, 4] = 0
    z, scales = figs.tile_weights(W, n=5, cols=3)
    assert z.shape == (2 * 29 - 1, 3 * 29 - 1)
    assert scales == pytest.approx(np.abs(W).max(axis=0))
    tile = z[0:28, 58:86]                                          # unit 2: row 0, column 2
    assert tile == pytest.approx(W[:, 2].reshape(28, 28) / np.abs(W[:, 2]).max())
    assert np.nanmax(np.abs(z)) == pytest.approx(1.0)
    assert (z[29:57, 29:57] == 0).all()                            # an all-zero unit stays 0, not NaN
    assert np.isnan(z[28, :]).all()                                # gap row between the tiles


def test_weights_figure_is_diverging_and_centred_on_zero():
    W = np.random.default_rng(1).standard_normal((784, 40))
    fig = figs.weights_figure(W, n=32, cols=8)
    heat = fig.data[0]
    assert (heat.zmin, heat.zmid, heat.zmax) == (-1, 0, 1)
    assert np.array(heat.z, dtype=float).shape == (4 * 29 - 1, 8 * 29 - 1)   # 32 of the 40 units
    owner = np.asarray(heat.customdata)[..., 0]
    assert set(np.unique(owner)) == set(range(-1, 32))
    assert fig.layout.yaxis.scaleanchor == "x"                     # square pixels
    with pytest.raises(ValueError, match="784"):
        figs.weights_figure(np.zeros((100, 4)))


def test_runs_overlay_scales_to_show_every_run():
    good = curve_of([(1.0, "epoch", 0.4, 0.35), (2.0, "epoch", 0.3, 0.28)])
    diverged = curve_of([(1.0, "epoch", 2.3, 2.31), (2.0, "epoch", 8.7e5, 9.0e5)])
    loss = figs.runs_overlay([("#1 sgd", good), ("#2 lr 5", diverged)], "loss", "test")
    assert loss.layout.yaxis.type == "log" and "log" in loss.layout.yaxis.title.text   # 0.28 and 900k both shown
    accuracy = figs.runs_overlay([("#1 sgd", good)], "accuracy", "test")
    assert accuracy.layout.yaxis.range[1] <= 1.0                   # never above 100%
