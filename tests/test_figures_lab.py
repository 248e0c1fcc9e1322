"""The Lab page's figure builders: what the visitor reads off them is what the arrays say."""
from __future__ import annotations

import numpy as np
import pytest

from mnistcore.figures import lab


def test_hover_art_draws_the_ink_where_it_is():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[10:18, 6:8] = 255          # a bar: rows 10-17 (text lines 5-8), columns 6-7
    [art] = lab.hover_art(image[None])
    lines = art.split("<br>")
    assert len(lines) == 4           # empty lines above and below are cut
    assert all(line == " " * 6 + "@@" for line in lines)
    assert art.isascii()
    assert lab.hover_art(np.zeros((1, 28, 28))) == [""]   # a blank image is blank, not an error


def test_embedding_maps_groups_classes_across_panels_and_carries_the_ids():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1, 1, 2, 0])
    ids = np.array([10, 11, 12, 13, 14])
    fig = lab.embedding_maps([rng.random((5, 2)), rng.random((5, 2))], ["pixels", "hidden"], labels,
                             ["zero", "one", "two"], ids=ids, art=["a", "b", "c", "d", "e"])
    assert len(fig.data) == 6    # three classes in each of two panels
    ones = [t for t in fig.data if t.name == "one"]
    assert [t.showlegend for t in ones] == [True, False] and {t.legendgroup for t in ones} == {"one"}
    assert list(ones[0].customdata) == [11, 12] and list(ones[1].text) == ["b", "c"]
    with pytest.raises(ValueError):
        lab.embedding_maps([np.zeros((4, 2))], ["x"], labels, ["a"])


def test_confusion_change_colours_by_whether_the_change_helps():
    before = np.array([[5, 1], [2, 4]])
    after = np.array([[4, 2], [1, 5]])   # class 0 lost a right answer, class 1 gained one
    heat = lab.confusion_change_figure(before, after, ["0", "1"]).data[0]
    np.testing.assert_array_equal(heat.z, [[-1, -1], [1, 1]])   # red (bad) for 0's row, blue for 1's
    assert heat.text.tolist() == [["-1", "+1"], ["-1", "+1"]]


def test_threshold_figure_puts_coverage_and_accuracy_on_panels_of_their_own():
    t = np.linspace(0, 1, 11)
    accuracy = np.r_[np.linspace(0.981, 1, 10), np.nan]           # a 98%-right model: 98.1-100%
    fig = lab.threshold_figure(t, np.linspace(1, 0, 11), accuracy, 0.3)
    coverage_line, accuracy_line = fig.data
    assert (coverage_line.yaxis, accuracy_line.yaxis) == ("y", "y2")
    assert fig.layout.yaxis2.overlaying is None                    # no twin axes on one plot
    top, bottom = fig.layout.yaxis.domain, fig.layout.yaxis2.domain
    assert bottom[1] < top[0]                                      # stacked, apart
    assert tuple(fig.layout.yaxis.range) == (0, 1.02)
    low, high = fig.layout.yaxis2.range
    assert 0.97 < low < 0.981 and high > 1                         # its own range, said by its own ticks
    titles = [a.text for a in fig.layout.annotations]
    assert "Coverage: share of images answered" in titles and "Accuracy of the answers" in titles
    assert "τ = 0.30" in titles
    assert len(fig.layout.shapes) == 2                             # τ marked on both panels


def test_confidence_histogram_sets_right_and_wrong_side_by_side():
    rng = np.random.default_rng(0)
    confidence = np.r_[rng.uniform(0.95, 1, 9800), rng.uniform(0.3, 0.9, 200)]
    correct = np.r_[np.ones(9800, bool), rng.random(200) < 0.4]
    hist = lab.confidence_histogram(confidence, correct, threshold=0.5, bins=10)
    right, wrong = hist.data
    assert right.y.sum() == correct.sum() and wrong.y.sum() == (~correct).sum()
    assert hist.layout.barmode == "group"                          # never stacked on the log axis
    assert hist.layout.yaxis.type == "log" and hist.layout.yaxis.dtick == 1   # a tick a decade, no 2s and 5s
    [label] = [a for a in hist.layout.annotations if "not sure" in a.text]
    assert (label.yref, label.y, label.yanchor) == ("paper", 1, "top")   # inside the top, off the ticks
