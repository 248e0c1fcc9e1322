"""The "Inside the network" page under AppTest, and its figure builders.

The page's ready-made runs are shrunk here (fewer epochs and images, set on the diagnostics
module the page reads at run time) so each tab answers in a second or two; what they show is
tested at full size in test_diagnostics.py.
"""
from __future__ import annotations

import base64
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from appserver import open_app
from mnistcore import data, diagnostics
from mnistcore.config import TrainConfig
from mnistcore.figures import inside as fig
from mnistcore.model import init_mlp
from ui.state import DATASET, TRAINED_MODEL, UPLOAD, UPLOADED

PAGE = "pages/inside.py"
TAB = "inside"   # the tabs' key, also their URL parameter


@pytest.fixture(autouse=True)
def small_runs(monkeypatch):
    flow = {k: c.replace(epochs=1, train_size=1000) for k, c in diagnostics.GRADIENT_FLOW_CONFIGS.items()}
    monkeypatch.setattr(diagnostics, "GRADIENT_FLOW_CONFIGS", flow)
    monkeypatch.setattr(diagnostics, "CAPACITY_WIDTHS", (8, 32))
    monkeypatch.setattr(diagnostics, "CAPACITY_CONFIG", diagnostics.CAPACITY_CONFIG.replace(epochs=1, train_size=2000))
    monkeypatch.setattr(diagnostics, "OVERFIT_CONFIG",
                        diagnostics.OVERFIT_CONFIG.replace(hidden=(128,), train_size=600, epochs=15))


def open_tab(tab: str | None = None, query: dict | None = None, state: dict | None = None) -> AppTest:
    """The Inside page opened on `tab` (None: the page's default) with link `query` and session `state`."""
    tabs = {TAB: tab} if tab is not None else {}
    return open_app(PAGE, query, {**(state or {}), **tabs})


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def specs(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A figure's array as Plotly's JSON holds it: a list, or base64 typed data."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def text(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "latex", "warning", "info")
                     for e in getattr(at, kind))


def test_gradient_flow_tab_shows_vanishing_sigmoid_gradients_and_dead_units():
    at = open_tab()   # the first tab opens by default
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Inside the network"
    m = metrics(at)
    sigmoid = float(m["5 sigmoid layers, Xavier init: first / last layer gradient"])
    relu = float(m["5 ReLU layers, He init: first / last layer gradient"])
    assert sigmoid * 20 < relu
    flow, dead = specs(at)
    assert len(flow["data"]) == 12                                     # 6 layers x 2 panels
    assert flow["layout"]["yaxis"]["type"] == flow["layout"]["yaxis2"]["type"] == "log"
    names = [t["name"] for t in dead["data"]]
    assert [n.split(" (")[0] for n in names[:3]] == ["lr 0.1", "lr 0.5", "lr 1"]
    ends = [re.search(r"\((diverged|test \d+%)\)$", n) for n in names[:3]]
    assert all(ends), names                                          # each run says how it ended
    assert "ready-trained model" in [t["name"] for t in dead["data"]]  # no trained model: the shipped one
    assert r"\sigma'(z)" in text(at) and "dead" in text(at)


def test_capacity_tab_lists_each_width_with_its_accuracy_and_time():
    at = open_tab("Capacity")
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["hidden units"]) == [8, 32]
    assert list(table["parameters"]) == [784 * 8 + 8 + 8 * 10 + 10, 784 * 32 + 32 + 32 * 10 + 10]
    chart = specs(at)[0]
    assert [t["name"] for t in chart["data"]] == ["train", "test", "seconds"]
    assert np.all(array(chart["data"][2]["y"]) > 0)
    accuracy = [float(a.rstrip("%")) for a in table["test accuracy"]]
    np.testing.assert_allclose(array(chart["data"][1]["y"]), accuracy, atol=0.006)


def test_overfitting_tab_stops_patience_epochs_after_the_best_and_follows_the_sliders():
    at = open_tab("Overfitting")
    assert not at.exception, [e.value for e in at.exception]
    m = metrics(at)
    best, stopped = int(m["Best epoch"]), int(m["Stopped after epoch"])
    assert stopped in (best + 5, 15)   # patience 5 by default, or the run's last epoch
    assert at.slider(key="patience").value == 5
    at.slider(key="patience").set_value(2).run()
    m = metrics(at)
    assert int(m["Stopped after epoch"]) == min(int(m["Best epoch"]) + 2, 15)
    # The schedule chart highlights the chosen schedule, and every formula is shown.
    at.radio(key="schedule").set_value("cosine").run()
    assert not at.exception
    lr_chart = specs(at)[-1]
    widths = {t["name"]: t["line"]["width"] for t in lr_chart["data"]}
    assert widths["cosine"] > widths["constant"] == widths["step"]
    assert r"\cos" in text(at) and r"\lfloor" in text(at)
    assert "--early-stopping 2 --schedule cosine" in text(at)


def test_augmentation_tab_shows_originals_and_copies_and_new_samples_change_them():
    at = open_tab("Augmentation")
    assert not at.exception, [e.value for e in at.exception]
    before = specs(at)[0]["data"][0]["z"]
    titles = [a["text"] for a in specs(at)[0]["layout"]["annotations"]]
    assert len(titles) == 6 * 6 and sum(t.endswith("original") for t in titles) == 6
    at.button[0].click().run()
    assert specs(at)[0]["data"][0]["z"] != before


def test_robustness_tab_scores_the_visitors_model_when_there_is_one():
    at = open_tab("Robustness")
    assert not at.exception, [e.value for e in at.exception]
    assert "ready-trained model" in text(at)
    curves = specs(at)[0]
    assert [t["name"] for t in curves["data"]] == ["noise", "rotation", "thickness"]

    # A visitor's (untrained, so near-chance) model from the Train page, said to be from
    # Fashion-MNIST: the page uses it and warns that it learned other images.
    model = init_mlp((784, 16, 10), "relu", "he", "ce", np.random.default_rng(0))
    at = open_tab("Robustness", state={TRAINED_MODEL: (model, {"dataset": "fashion"})})
    assert not at.exception, [e.value for e in at.exception]
    assert "your model from the Train page (784-16-10)" in text(at)
    assert any("Fashion-MNIST" in w.value for w in at.warning)   # named plainly
    noise = specs(at)[0]["data"][0]
    assert array(noise["y"]).max() < 40   # an untrained model is far from the ready one's 97%


def test_a_link_opens_the_named_tab():
    at = open_tab(query={TAB: "Robustness"})
    assert not at.exception
    assert at.session_state[TAB] == "Robustness"
    assert "Robustness" in [h.value for h in at.subheader]


def test_a_link_with_unusable_settings_says_which_and_uses_the_defaults():
    at = open_tab(query={TAB: "Overfitting", "patience": "abc", "val_split": "7", "schedule": "zzz"})
    assert not at.exception
    (warning,) = at.warning
    for note in ("`patience=abc`", "`val_split=7`", "`schedule=zzz`", "using 5", "using 0.25", "using constant"):
        assert note in warning.value
    assert at.slider(key="patience").value == 5 and at.radio(key="schedule").value == "constant"
    at = open_tab(query={TAB: "Nope"})
    assert "`inside=Nope`" in at.warning[0].value and at.session_state[TAB] == "Gradient flow"
    at = open_tab(query={TAB: "Overfitting", "patience": "3", "val_split": "0.3", "schedule": "step"})
    assert not at.warning
    assert at.slider(key="patience").value == 3 and at.select_slider(key="val_split").value == 0.3
    assert at.radio(key="schedule").value == "step"


@pytest.mark.parametrize("tab", ["Gradient flow", "Capacity", "Overfitting", "Augmentation", "Robustness"])
def test_every_tab_copes_with_a_tiny_uploaded_data_set(tab):
    mnist = data.load("mnist")
    tiny = data.Dataset("tiny.npz", mnist.x_train[:4], mnist.y_train[:4], mnist.x_test[:3], mnist.y_test[:3],
                        data.MNIST_CLASSES)
    at = open_tab(tab, state={UPLOAD: tiny, "upload_digest": f"tiny-{tab}", DATASET: UPLOADED})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.session_state[DATASET] == UPLOADED
    if tab == "Robustness":   # the shipped MNIST model, scored on the upload's 3 test images
        assert "tiny.npz" in at.warning[0].value
    words = " ".join(el.value for el in [*at.caption, *at.markdown])
    assert "on 0 training images" not in words and " 0 training images" not in words
    if tab in ("Gradient flow", "Capacity", "Overfitting"):
        assert "4 training images" in words


def test_an_engine_error_is_said_in_the_page(monkeypatch):
    def refuse(config, dataset):
        raise ValueError("train_size 2000 is larger than the 4 training images")
    monkeypatch.setattr(diagnostics, "fit_curves", refuse)
    monkeypatch.setattr(diagnostics, "OVERFIT_CONFIG", diagnostics.OVERFIT_CONFIG.replace(seed=12345))  # uncached
    at = open_tab("Overfitting")
    assert not at.exception
    assert "larger than the 4 training images" in at.error[0].value


# --- figure builders ---------------------------------------------------------------------------

def test_gradient_flow_figure_has_a_line_per_layer_per_run_on_log_axes():
    when = np.linspace(0.1, 1, 4)
    f = fig.gradient_flow_figure({"a": (when, np.ones((4, 3))), "b": (when, np.full((4, 3), 1e-3))})
    assert isinstance(f, go.Figure) and len(f.data) == 6
    assert [t.name for t in f.data[:3]] == ["layer 1", "layer 2", "output layer"]
    assert sum(t.showlegend for t in f.data) == 3      # one legend entry per layer
    assert f.layout.yaxis.type == f.layout.yaxis2.type == "log"


def test_fit_curves_figure_marks_the_best_epoch_and_shades_what_early_stopping_skips():
    epoch = np.arange(1, 11)
    val = np.array([5, 4, 3, 2, 2.5, 3, 3.5, 4, 4.5, 5.0])
    f = fig.fit_curves_figure(epoch, 1 / epoch, val, epoch / 10, 1 - val / 10, best_epoch=4, stop_epoch=6)
    stars = [t for t in f.data if t.mode == "markers"]
    assert [list(t.x) for t in stars] == [[4], [4]] and stars[0].y[0] == 2
    assert [s.type for s in f.layout.shapes].count("rect") == 2
    f = fig.fit_curves_figure(epoch, 1 / epoch, val, epoch / 10, 1 - val / 10, best_epoch=4, stop_epoch=10)
    assert "rect" not in [s.type for s in f.layout.shapes]


def test_capacity_robustness_schedule_and_dead_unit_figures_take_the_records():
    points = list(diagnostics.capacity_sweep(
        (np.zeros((20, 28, 28), np.uint8), np.arange(20) % 10, np.zeros((0, 28, 28), np.uint8), np.zeros(0)),
        widths=(2, 4), config=TrainConfig(hidden=(1,), epochs=1)))
    assert points[0].test_accuracy is None            # no test images: nothing to score
    f = fig.capacity_figure([p.width for p in points], [p.test_accuracy for p in points],
                            [p.train_accuracy for p in points], [p.train_seconds for p in points])
    assert len(f.data) == 3 and f.layout.xaxis.type == "log"
    f = fig.robustness_figure({"noise": ([0, 0.5], [0.9, 0.3])}, {"noise": "sigma"})
    assert list(f.data[0].y) == [90, 30] and f.layout.xaxis.title.text == "sigma"
    f = fig.schedules_figure(diagnostics.schedule_curves(0.1, 8), highlight="step")
    assert [t.line.width for t in f.data] == [2, 4, 2]
    f = fig.dead_units_figure({"m": np.array([0.0, 0.5])})
    assert list(f.data[0].y) == [0, 50]
