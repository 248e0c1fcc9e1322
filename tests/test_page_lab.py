"""AppTest (headless) of the Lab page: each tab renders; the run obeys its buttons; the numbers
shown follow the threshold, the edit and the model chosen.

t-SNE is left to tests/test_embedding.py (a map takes seconds); here the maps are PCA.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from appserver import open_app
from mnistcore import data, neurons
from mnistcore.model import init_mlp
from mnistcore.optimizers import SGD, Adam
from mnistcore.options import OPTIONS
from mnistcore.predict import load_shipped_model
from ui.lab import LAB_TRAINER, TEMPERATURE, THRESHOLD, TRAINED_MODEL
from ui.state import DATASET, UPLOAD, UPLOADED

TIMEOUT = 120
TABS = ("Control the run", "Hidden-layer map", "Neuron lab", "Confidence")  # as the issue names them


def lab(tab: str | None = TABS[0], session: dict | None = None, query: dict | None = None) -> AppTest:
    """The Lab page opened on `tab` (None: the page's default) with session `session` and link `query`."""
    tabs = {"lab": tab} if tab is not None else {}  # the tabs' key (bound to the URL's lab= parameter)
    return open_app("pages/lab.py", query, {**(session or {}), **tabs}, timeout=TIMEOUT)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def metric(at: AppTest, label: str) -> str:
    [value] = [m.value for m in at.metric if m.label == label]
    return value


def percent(text: str) -> float:
    return float(text.rstrip("%")) / 100


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_renders_without_exception(tab):
    at = lab(tab)
    no_exception(at)
    assert at.title[0].value == "Lab"
    assert at.latex, "every tab shows its formula"
    if tab != TABS[0]:
        assert at.radio(key="lab_model").value == "Ready-trained model"
        assert at.get("plotly_chart")


def test_the_link_opens_a_tab_and_a_bad_one_is_said():
    at = lab(None, query={"lab": "Neuron lab"})
    no_exception(at)
    assert at.session_state["lab"] == "Neuron lab" and at.number_input(key="lab_unit").value == 0
    at = lab(None, query={"lab": "Nope"})
    no_exception(at)
    assert "`lab=Nope`" in at.warning[0].value and at.session_state["lab"] == "Control the run"


def test_run_steps_pauses_and_marks_a_learning_rate_change():
    at = lab()
    at.selectbox(key="lab_w_size").set_value(1000)
    at.number_input(key="lab_w_epochs").set_value(2)
    at = click(at, "New run")
    trainer = at.session_state[LAB_TRAINER]
    assert trainer.step == 0 and trainer.config.train_size == 1000

    at = click(at, "One more batch")
    no_exception(at)
    assert trainer.step == 1 and trainer.status == "paused"
    assert trainer.curve["epoch"] == [pytest.approx(1 / 16)]  # 1000 images / batch 64

    # The one rule of the live-run controller (the Train page's too): asked mid-epoch, a new learning
    # rate applies from the next step; a new batch size waits for the epoch's end. Both are marked.
    at.select_slider(key="lab_w_new_lr").set_value(0.03)
    at.selectbox(key="lab_w_new_batch").set_value(32)
    at = click(at, "Change")
    assert trainer.lr == 0.03 and "Waiting for epoch 1 to end" in " ".join(c.value for c in at.caption)
    assert trainer.trainer.batch_size == 64
    at = click(at, "One more epoch")
    no_exception(at)
    assert trainer.epoch == 1 and trainer.step == 16
    assert trainer.lr == 0.03 and trainer.changes == [(pytest.approx(1 / 16), "lr 0.1 → 0.03"), (1.0, "batch 64 → 32")]
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    marks = [a["text"] for spec in specs for a in spec["layout"].get("annotations", [])]
    assert marks.count("lr 0.1 → 0.03") == 2  # on the loss and the accuracy chart

    at = click(at, "Run")
    no_exception(at)
    assert trainer.epoch == 2 and trainer.status == "done"
    assert trainer.curve["kind"].count("epoch") == 2
    assert [b for b in at.button if b.label == "Run"][0].disabled  # the run is over; one more epoch is not
    at = click(at, "One more batch")          # on past the plan: said so, never "epoch 2.03 of 2"
    no_exception(at)
    [line] = [m.value for m in at.markdown if "step 49" in m.value]   # 16 + 32 steps (batch 32), then one
    assert "Epoch 2.03, past the 2 planned" in line and "of 2" not in line


def test_the_run_tab_shows_the_update_its_own_optimizer_computes():
    """Issue 15: not the plain-SGD update whatever the run's optimizer: the options table's formula of
    the optimizer chosen (before a run) and of the run's (after), on its batch gradient."""
    def shown(at, tex: str) -> bool:   # written a statement a line (ui.training.widgets.formula)
        return any(all(p.strip().rstrip(",") in e.value for p in re.split(r"\\q?quad", tex)) for e in at.latex)

    at = lab()
    assert shown(at, SGD.formula) and not shown(at, Adam.formula)
    assert at.selectbox(key="lab_w_opt").format_func("adam") == "Adam"      # plain names, not "adam"
    at.selectbox(key="lab_w_opt").set_value("adam")
    at.selectbox(key="lab_w_size").set_value(1000)
    at = click(at, "New run")
    no_exception(at)
    assert at.session_state[LAB_TRAINER].config.optimizer == "adam"
    assert shown(at, Adam.formula) and not shown(at, SGD.formula) and shown(at, OPTIONS["batch_size"].formula)
    assert any("optimizer, Adam, updates every weight" in c.value and "B = 64" in c.value for c in at.caption)


def test_threshold_trades_coverage_for_accuracy():
    at = lab("Confidence")
    at.slider(key="w_confidence_threshold").set_value(0.0).run()
    assert metric(at, "Coverage") == "100.0%" and metric(at, "Not sure") == "0"
    assert metric(at, "Accuracy of the answers") == metric(at, "Accuracy answering all")
    everything = percent(metric(at, "Accuracy of the answers"))
    at.slider(key="w_confidence_threshold").set_value(0.99).run()
    no_exception(at)
    assert percent(metric(at, "Coverage")) < 1.0
    assert percent(metric(at, "Accuracy of the answers")) > everything
    # Heating the softmax makes the model less sure: fewer answers clear the same threshold.
    sure = percent(metric(at, "Coverage"))
    at.select_slider(key="w_softmax_temperature").set_value(2.0).run()
    assert percent(metric(at, "Coverage")) < sure
    # Both stay in the session under named keys, for the Draw page to answer the same way.
    assert at.session_state[THRESHOLD] == 0.99 and at.session_state[TEMPERATURE] == 2.0


def test_switching_a_unit_off_reports_the_change():
    at = lab("Neuron lab")
    at.number_input(key="lab_unit").set_value(5)
    at.slider(key="lab_scale").set_value(1.0).run()
    no_exception(at)
    assert metric(at, "Predictions changed") == "0"
    assert metric(at, "Test accuracy") == metric(at, "Before the edit")
    at.slider(key="lab_scale").set_value(0.0).run()
    no_exception(at)
    # The page shows what the engine finds for the same edit of the same model.
    model, _ = load_shipped_model()
    ds = data.load("mnist")
    edit = neurons.compare(model, neurons.scale_unit(model, 0, 5, 0.0), data.as_inputs(ds.x_test), ds.y_test)
    assert metric(at, "Test accuracy") == f"{edit.accuracy_after:.2%}"
    assert metric(at, "Predictions changed") == f"{edit.predictions_changed:,}"
    assert at.session_state["lab_model"] == "Ready-trained model"


def test_the_visitors_trained_model_is_studied_first():
    model = init_mlp((784, 12, 10), rng=np.random.default_rng(0))  # untrained: about one in ten right
    at = lab("Confidence", {TRAINED_MODEL: (model, {"dataset": "mnist"})})
    no_exception(at)
    assert at.radio(key="lab_model").value == "Your model from the Train page"
    assert percent(metric(at, "Accuracy answering all")) < 0.3
    at.radio(key="lab_model").set_value("Ready-trained model").run()
    assert percent(metric(at, "Accuracy answering all")) > 0.9


@pytest.mark.parametrize("tab", TABS)
def test_a_tiny_uploaded_data_set_gets_words_not_a_traceback(tab):
    mnist = data.load("mnist")
    tiny = data.Dataset("tiny.npz", mnist.x_train[:4], mnist.y_train[:4], mnist.x_test[:3], mnist.y_test[:3],
                        data.MNIST_CLASSES)
    at = lab(tab, {UPLOAD: tiny, "upload_digest": f"tiny-{tab}", DATASET: UPLOADED})
    no_exception(at)
    if tab == "Control the run":
        at = click(click(at, "New run"), "One more epoch")
        no_exception(at)
        trainer = at.session_state[LAB_TRAINER]
        assert trainer.config.train_size == 4 and trainer.epoch == 1 and trainer.step == 1  # one batch of 4
    elif tab == "Hidden-layer map":
        assert "3 test images" in " ".join(w.value for w in at.warning)
    else:
        assert "learned MNIST digits" in " ".join(w.value for w in at.warning)  # the ready model, elsewhere


@pytest.mark.parametrize("tab", TABS[1:])
def test_a_model_without_hidden_layer_or_from_another_data_set_is_explained(tab):
    model = init_mlp((784, 10), rng=np.random.default_rng(0))   # inputs straight to outputs
    at = lab(tab, {TRAINED_MODEL: (model, {"dataset": "fashion"})})
    no_exception(at)
    assert "learned from Fashion-MNIST; here it looks at MNIST images" in at.warning[0].value   # plain names
    if tab == "Confidence":
        assert metric(at, "Coverage")       # softmax and threshold need no hidden layer
    else:
        assert "no hidden layer" in at.info[0].value and not at.metric


# --- the Lab's link: model, temperature and threshold (issue 16) ----------------------------------

def test_the_confidence_settings_and_the_model_come_from_the_link_and_go_back_into_it():
    model = init_mlp((784, 12, 10), rng=np.random.default_rng(0))
    at = lab("Confidence", {TRAINED_MODEL: (model, {"dataset": "mnist"})},
             query={"model": "ready", "temperature": "2", "threshold": "0.9"})
    no_exception(at)
    assert not at.warning
    assert at.radio(key="lab_model").value == "Ready-trained model"     # not the visitor's, as the link says
    assert at.select_slider(key="w_softmax_temperature").value == 2.0
    assert at.slider(key="w_confidence_threshold").value == 0.9
    assert percent(metric(at, "Accuracy answering all")) > 0.9          # the ready model's numbers
    at.slider(key="w_confidence_threshold").set_value(0.75).run()
    at.radio(key="lab_model").set_value("Your model from the Train page").run()
    no_exception(at)
    assert at.query_params["threshold"] == "0.75" and at.query_params["temperature"] == "2"
    assert at.query_params["model"] == "trained"
    assert percent(metric(at, "Accuracy answering all")) < 0.3         # ...and now the visitor's


def test_a_plain_visit_puts_the_defaults_in_the_link_without_notes():
    at = lab("Confidence")
    no_exception(at)
    assert not at.warning
    assert at.query_params["model"] == "ready" and at.query_params["threshold"] == "0.5"
    assert at.query_params["temperature"] == "1"


def test_bad_lab_link_values_fall_back_with_a_note():
    at = lab("Confidence", query={"model": "mine", "temperature": "7", "threshold": "1.5"})
    notes = " ".join(w.value for w in at.warning)
    for said in ("`model=mine`", "`temperature=7`", "`threshold=1.5`"):
        assert said in notes
    assert at.select_slider(key="w_softmax_temperature").value == 1.0
    assert at.slider(key="w_confidence_threshold").value == 0.5
    assert at.radio(key="lab_model").value == "Ready-trained model"
    at = lab("Confidence", query={"threshold": "0.333"})                # off the slider's steps
    assert "`threshold=0.333`" in at.warning[0].value and at.slider(key="w_confidence_threshold").value == 0.5


def test_a_linked_model_this_session_does_not_have_is_said_once():
    at = lab("Neuron lab", query={"model": "trained"})                  # a new session: no model from Train
    [note] = [w.value for w in at.warning if "`model=trained`" in w.value]
    assert "no model from the Train page" in note and "ready-trained model" in note
    assert at.radio(key="lab_model").value == "Ready-trained model"
    at.run()
    assert not [w for w in at.warning if "model=" in w.value]           # said once, not at every rerun
