"""mnistcore.figures.step: the One step page's figures, built from a real step record."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from mnistcore import step
from mnistcore.figures import step as fig
from mnistcore.model import init_mlp


def record(sizes=(784, 16, 10), seed=0):
    rng = np.random.default_rng(seed)
    model = init_mlp(sizes, rng=rng)
    x = np.where(rng.random((1, 784)) < 0.2, rng.random((1, 784)), 0).astype(np.float32)
    return model, step.step_record(model, x, np.array([3]), eta=0.1)


def quantities(model, rec, phase):
    return fig.diagram_quantities(phase, rec.x[0], [z[0] for z in rec.z], [a[0] for a in rec.a], rec.p[0],
                                  [d[0] for d in rec.delta], model.W, rec.dW, rec.eta)


def node_trace(f: go.Figure) -> go.Scatter:
    return [t for t in f.data if t.name == "units"][0]


def test_shown_units_all_when_narrow_else_the_largest_plus_kept():
    assert list(fig.shown_units(10, 16)) == list(range(10))
    rank = np.arange(100.0)
    assert list(fig.shown_units(100, 4, rank)) == [96, 97, 98, 99]
    assert list(fig.shown_units(100, 4, rank, keep=[5])) == [5, 97, 98, 99]
    assert list(fig.shown_units(100, 3)) == [0, 1, 2]


@pytest.mark.parametrize("phase", fig.PHASES)
def test_diagram_quantities_per_phase(phase):
    model, rec = record()
    nodes, edges = quantities(model, rec, phase)
    assert [len(n) for n in nodes] == [784, 16, 10]
    assert [e.shape for e in edges] == [(784, 16), (16, 10)]
    if phase == "Forward":
        np.testing.assert_allclose(edges[0].sum(axis=0) + model.b[0], rec.z[0][0], rtol=1e-4, atol=1e-5)
        assert np.array_equal(nodes[2], rec.p[0])
    elif phase == "Loss":
        assert not edges[0].any() and edges[1].any()
    elif phase == "Backward":
        assert np.array_equal(nodes[2], rec.delta[1][0])
        np.testing.assert_allclose(edges[1].sum(axis=1) * (rec.z[0][0] > 0), rec.delta[0][0], rtol=1e-4, atol=1e-7)
    else:
        np.testing.assert_allclose(edges[0], rec.W_after[0] - model.W[0], rtol=1e-3, atol=1e-7)


def test_diagram_quantities_refuses_an_unknown_phase():
    model, rec = record()
    with pytest.raises(ValueError, match="phase"):
        quantities(model, rec, "Sideways")


def test_network_figure_narrow_shows_every_hidden_and_output_unit_and_is_clickable():
    model, rec = record()
    nodes, edges = quantities(model, rec, "Forward")
    units = [fig.shown_units(784, 12, rec.x[0]), fig.shown_units(16, 16), fig.shown_units(10, 16)]
    f = fig.network_figure(nodes, edges, units, "Forward", selected=(1, 4), class_names=[str(c) for c in range(10)])
    units_trace = node_trace(f)
    assert len(units_trace.x) == 12 + 16 + 10
    assert [1, 4] in [list(c) for c in units_trace.customdata]
    assert max(units_trace.marker.size) == 18 and sorted(units_trace.marker.size)[-2] == 12   # one ringed unit
    notes = [a.text for a in f.layout.annotations]
    assert "+772 more" in notes and not any("+" in n and "more" in n and n != "+772 more" for n in notes)
    assert f.layout.meta == {"phase": "Forward"}
    assert any(t.mode == "lines" for t in f.data)


def test_network_figure_wide_layer_samples_units_and_says_how_many_more():
    model, rec = record((784, 300, 10))
    nodes, edges = quantities(model, rec, "Backward")
    units = [fig.shown_units(784, 16, rec.x[0]), fig.shown_units(300, 16, rec.a[1][0]), np.arange(10)]
    f = fig.network_figure(nodes, edges, units, "Backward")
    assert len(node_trace(f).x) == 16 + 16 + 10
    assert "+284 more" in [a.text for a in f.layout.annotations]


def test_network_figure_edge_colours_follow_sign_of_flow():
    nodes = [np.array([1.0, 1.0]), np.array([0.5, -0.5])]
    edges = [np.array([[1.0, -1.0], [0.0, 0.0]])]
    f = fig.network_figure(nodes, edges, [np.arange(2), np.arange(2)], "Forward")
    lines = [t for t in f.data if t.mode == "lines"]
    assert len(lines) == 2                       # one red level, one blue level; the zero edges are not drawn
    reds = [t for t in lines if t.line.color.startswith("rgb(178")]
    blues = [t for t in lines if t.line.color.startswith("rgb(33")]
    assert len(reds) == 1 and len(blues) == 1
    assert list(reds[0].y[:2]) == [1.0, 1.0] and list(blues[0].y[:2]) == [1.0, -1.0]


def test_network_figure_checks_its_inputs():
    with pytest.raises(ValueError):
        fig.network_figure([np.zeros(2)], [], [np.arange(2), np.arange(2)], "Forward")


def test_strip_figure_writes_the_top_entries_as_numbers():
    v = np.zeros(784)
    v[[10, 500, 783]] = [0.5, -2.0, 1.0]
    f = fig.strip_figure(v, "x", top=2)
    notes = {a.x: a.text for a in f.layout.annotations}
    assert notes == {500: "-2", 783: "1"}
    assert list(np.flatnonzero(np.asarray(f.data[0].marker.color))) == [500, 783]
    assert f.layout.xaxis.showticklabels is False
    small = fig.strip_figure(np.array([0.1, 0.9]), "p", labels=["a", "b"], highlight=0)
    assert list(small.data[0].x) == ["a", "b"] and list(small.data[0].marker.color) == [1.0, 0.0]
    assert small.data[0].marker.colorscale[-1][1] == fig.HIGHLIGHT


def test_image_and_gradient_images():
    model, rec = record()
    img = fig.image_figure(rec.x[0], "x")
    assert np.asarray(img.data[0].z).shape == (28, 28)
    g = fig.gradient_images_figure(rec.dW[0], [0, 1, 2], cols=2)
    z = np.asarray(g.data[0].z, dtype=float)
    assert z.shape == (58, 58)
    for k, j in enumerate([0, 1, 2]):
        r, c = divmod(k, 2)
        tile = z[r * 30:r * 30 + 28, c * 30:c * 30 + 28]
        expected = -rec.dW[0][:, j].reshape(28, 28)
        m = np.abs(expected).max()
        np.testing.assert_allclose(tile, expected / m if m else expected, atol=1e-6)
    with pytest.raises(ValueError):
        fig.gradient_images_figure(rec.dW[0], [])


def test_teach_figure_draws_the_label_and_the_classes_that_matter():
    p = np.array([[0.8, 0.15, 0.05, 0, 0], [0.4, 0.5, 0.1, 0, 0], [0.1, 0.9, 0, 0, 0]])
    f = fig.teach_figure(p, ["a", "b", "c", "d", "e"], label=1)
    assert [t.name for t in f.data] == ["a", "b", "c"]
    bold = [t for t in f.data if t.line.width == 4]
    assert len(bold) == 1 and bold[0].name == "b" and list(bold[0].y) == [0.15, 0.5, 0.9]


def test_strip_figure_marks_the_bars_asked_for():
    v = np.array([0.5, -1.0, 2.0, 0.0])
    f = fig.strip_figure(v, "z", mark=v > 0)
    assert list(f.data[0].marker.color) == [1.0, 0.0, 1.0, 0.0]


def test_network_figure_nodes_say_what_they_are_on_hover():
    model, rec = record()
    nodes, edges = quantities(model, rec, "Forward")
    units = [fig.shown_units(784, 4, rec.x[0]), np.arange(16), np.arange(10)]
    t = node_trace(fig.network_figure(nodes, edges, units, "Forward", class_names=list("abcdefghij")))
    assert t.hovertemplate == "%{text}<extra></extra>"
    assert t.text[4].startswith("hidden 1 unit 0<br>value ") and t.text[-1].startswith("output 9 (j)")
