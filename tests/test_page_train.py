"""The Train page under AppTest (short runs on small subsets of MNIST), its live loop, and its limits.

The browser test (tests/browser/test_browser_train.py) presses Train and Stop for real; here the
same paths are driven headless: a press of Train, a run interrupted and resumed, a run stopped.
"""
from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from appserver import open_app
from mnistcore import data, explain
from mnistcore.checkpoint import load_model, model_bytes
from mnistcore.config import PRESETS, TrainConfig
from mnistcore.experiments import EXPERIMENTS, on_page
from mnistcore.model import init_mlp
from mnistcore.optimizers import Adam, Momentum
from mnistcore.options import OPTIONS
from mnistcore.train import Trainer
from ui import limits as lim
from ui import state
from ui import training as tr
from ui.training import explain as why
from ui.live_run import LiveRun

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/train.py"
TIMEOUT = 120
SHORT = {"preset": "seed", "train_size": "2000", "epochs": "2"}


def open_train(query: dict[str, str] | None = None) -> AppTest:
    """The app opened on the Train page with the link parameters `query`."""
    return open_app(PAGE, query, timeout=TIMEOUT)


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    return found[0] if found else None


def charts(at: AppTest) -> list[dict]:
    """The page's Plotly figures as dicts, in page order."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A figure's array as Plotly's JSON has it: a list, or typed bytes {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(value)


def traces(fig: dict) -> dict[str, dict]:
    return {t.get("name"): t for t in fig["data"]}


def shown(at: AppTest, tex: str) -> bool:
    """Whether the page shows formula `tex`, written one statement a line (ui.training.widgets.formula)."""
    return any(all(part.strip().rstrip(",") in e.value for part in re.split(r"\\q?quad", tex)) for e in at.latex)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def synthetic(n_train: int = 600, n_test: int = 200, seed: int = 0):
    """Ten separable "digits": class c lights up its own band of rows. (x_train, y_train, x_test, y_test)."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, 2 * c + 4:2 * c + 6, 4:24] = 255
        return x, y.astype(np.uint8)
    return (*make(n_train), *make(n_test))


# --- the page ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained() -> AppTest:
    """The page after pressing Train on 2,000 images for 2 epochs."""
    at = open_train(SHORT)
    no_exception(at)
    assert not charts(at)[0]["data"][0]["x"]          # nothing trained yet: empty charts
    button(at, "Train").click()
    at.run()
    no_exception(at)
    return at


def test_train_fills_the_curves_of_both_epochs(trained):
    runs = trained.session_state[state.TR_RUNS]
    assert len(runs) == 1 and runs[0].status == "done"
    assert runs[0].config.train_size == 2000 and runs[0].epochs == 2
    loss, accuracy = charts(trained)[:2]
    for fig, name in ((loss, "loss"), (accuracy, "accuracy")):
        t = traces(fig)
        assert t["train"]["x"] == [1.0, 2.0]                       # one score per epoch's end
        steps = t["train (recent batches)"]["x"]
        assert len(steps) >= 20 and steps == sorted(steps)         # points within each epoch too
        assert 0 < steps[0] <= 0.1                                 # the first came early in epoch 1
        assert t["test"]["x"][0] == steps[0]                       # ...with a test score
        assert fig["layout"]["xaxis"]["range"] == [0, 2]
    t = traces(loss)
    assert t["train"]["y"][1] < t["train"]["y"][0] < t["train (recent batches)"]["y"][0]   # it learned
    assert runs[0].first_point_seconds is not None      # (how soon: benchmarks/bench_page_train.py)


def test_results_appear_after_training(trained):
    metrics = {m.label: m.value for m in trained.metric}
    accuracy = float(metrics["Test accuracy"].rstrip("%")) / 100
    assert 0.6 < accuracy < 1
    assert metrics["Test images"] == "10,000"
    run = trained.session_state[state.TR_RUNS][0]
    assert accuracy == pytest.approx(run.test_accuracy, abs=1e-4)  # the page's result = the run's last score
    figs = charts(trained)
    confusion = next(f for f in figs if f["data"][0]["type"] == "heatmap" and "predicted" in json.dumps(f["layout"]))
    cm = array(confusion["data"][0]["customdata"])
    assert cm.shape == (10, 10) and cm.sum() == 10_000
    assert np.trace(cm) / 10_000 == pytest.approx(accuracy, abs=1e-4)
    [done] = [s.value for s in trained.success if "Run #1 done" in s.value]
    assert f"in {run.seconds:.1f} s, measured here: {run.train_seconds:.1f} s of training steps" in done
    assert 0 < run.train_seconds <= run.seconds                      # the page says what it measured
    assert any("recent batches" in c.value and "L2 penalty is left out" in c.value for c in trained.caption)
    held = trained.session_state[state.TRAINED_MODEL]                # what the Draw page reads
    model, meta = held.model, held.meta
    assert model.sizes == (784, 128, 10) and meta["source"] == "run #1"
    assert meta["config"] == run.config.to_dict()


def test_a_run_scores_its_model_on_the_test_split_once(monkeypatch):
    """The runs table's accuracy and the results below it come from one pass over the test split."""
    calls, real = [], tr.score
    monkeypatch.setattr(tr.scoring, "score", lambda *args: calls.append(args) or real(*args))
    at = open_train(SHORT)
    button(at, "Train").click()
    at.run()
    no_exception(at)
    [record] = at.session_state[state.TR_RUNS]
    shown = at.session_state[state.TR_RESULTS]
    assert len(calls) == 1 and len(calls[0][2]) == 10_000
    assert shown.model is at.session_state[state.TRAINED_MODEL].model
    assert shown.accuracy == record.test_accuracy and shown.dataset == "mnist"


def test_confusion_matrix_toggles_to_rates(trained):
    trained.toggle(key=state.WIDGET_PREFIX + state.TR_CM_RATES).set_value(True).run()
    no_exception(trained)
    confusion = next(f for f in charts(trained) if "predicted" in json.dumps(f["layout"]))
    assert all(text.endswith("%") for row in confusion["data"][0]["text"] for text in row)
    trained.toggle(key=state.WIDGET_PREFIX + state.TR_CM_RATES).set_value(False).run()


def test_second_run_is_compared_and_removable(trained):
    trained.session_state[tr.key("optimizer")] = "adam"
    trained.session_state[tr.key("lr")] = 0.001
    trained.run()
    button(trained, "Train").click()
    trained.run()
    no_exception(trained)
    runs = trained.session_state[state.TR_RUNS]
    assert [r.number for r in runs] == [1, 2] and runs[1].config.optimizer == "adam"
    overlay = next(f for f in charts(trained) if "of each run" in f["layout"].get("title", {}).get("text", ""))
    assert [t["name"][:2] for t in overlay["data"]] == ["#1", "#2"]
    table = next(d.value for d in trained.dataframe if "run" in d.value.columns)
    assert list(table["run"]) == ["#1", "#2"] and list(table["status"]) == ["done", "done"]
    assert list(table["settings"])[1].startswith("784-128-10 ReLU, cross-entropy, Adam η=0.001")   # plain names
    assert table["validation accuracy"].isna().all()            # no validation split: nothing to compare on
    assert any("tuned to the test images" in c.value for c in trained.caption)   # validation, not test, to choose
    trained.multiselect(key=state.WIDGET_PREFIX + state.TR_REMOVE).set_value([1]).run()
    button(trained, "Remove").click()
    trained.run()
    no_exception(trained)
    assert [r.number for r in trained.session_state[state.TR_RUNS]] == [2]


def test_the_explanations_state_the_numbers_mnistcore_computes():
    """Issue 15: He's factor 2 and U(-0.5, 0.5) with the spreads measured on this data set; the output
    gradients of each loss side by side; each beside its setting, each formula the code's."""
    at = open_train(SHORT)
    no_exception(at)
    ds = data.load("mnist")
    spread = explain.init_spreads(ds.x_train, ds.y_train, hidden=128)
    [he_text] = [m.value for m in at.markdown if "U(−0.5, 0.5) has Var(W) = 1/12" in m.value]
    for number in (f"{spread['uniform'].z_std:.2f}", f"{spread['he'].z_std:.2f}", f"{spread['uniform'].start_loss:.1f}",
                   f"{spread['he'].start_loss:.2f}", "784 inputs 33 times"):
        assert number in he_text, number
    inits = next(t.value for t in at.table if "initial weights" in t.value.columns)
    assert list(inits["std of z"]) == [f"{v.z_std:.2f}" for v in spread.values()]
    grads = next(t.value for t in at.table if "z_y = -3" in t.value.columns)
    assert [row[1] for row in grads.values[:, 1:].T] == [f"{r.cross_entropy:.3f}" for r in explain.output_gradients()]
    titles = [e.label for e in at.expander]
    for title in ("Why shuffle every epoch?", "Why cross-entropy, not squared error?", "Too few units: underfitting",
                  "Dropout: why ÷ (1 − p), and off when scoring"):
        assert title in titles
    capacity = EXPERIMENTS["capacity"]                                   # "under Try this runs it": it does
    assert capacity in on_page("train") and any(capacity.title in m.value for m in at.markdown)
    assert shown(at, OPTIONS["dropout"].formula) and shown(at, why.HE) and shown(at, why.GRADIENTS)
    assert any("recent batches" in c.value and "dropout off" in c.value for c in at.caption)


def test_the_lab_and_train_show_the_chosen_optimizers_own_update():
    at = open_train({**SHORT, "optimizer": "momentum", "nesterov": "true"})
    no_exception(at)
    assert shown(at, Momentum.nesterov_formula) and not shown(at, Momentum.formula)
    at = open_train({**SHORT, "optimizer": "adam"})
    assert shown(at, Adam.formula) and not shown(at, Momentum.formula)
    assert [s for s in at.selectbox if s.label == "Optimizer"][0].format_func("sgd") == "SGD"   # plain names


def test_settings_are_mirrored_in_the_link():
    at = open_train({"preset": "seed"})
    no_exception(at)
    at.selectbox(key=state.WIDGET_PREFIX + tr.key("activation")).set_value("tanh").run()
    at.slider(key=state.WIDGET_PREFIX + tr.key("epochs")).set_value(4).run()
    no_exception(at)
    assert at.query_params["activation"] == "tanh" and at.query_params["epochs"] == "4"
    assert at.query_params["lr"] == "0.1" and at.query_params["hidden"] == "128"
    assert any("tanh" in latex.value for latex in at.latex)       # the formula follows the choice


def test_a_preset_link_applies_the_preset_without_notes():
    at = open_train({"preset": "numpy_tutorial"})
    no_exception(at)
    assert not at.warning
    got = TrainConfig(**{f: at.session_state[tr.key(f)] for f in tr.FIELDS})
    assert got == PRESETS["numpy_tutorial"]
    assert at.radio(key=tr._w("mode")).value == "per-sample"


def test_bad_link_parameters_fall_back_with_a_note():
    at = open_train({"lr": "fast", "epochs": "100000", "activation": "swish", "hidden": "64,x", "dropout": "0.5"})
    no_exception(at)
    notes = " ".join(w.value for w in at.warning)
    for name in ("lr=fast", "epochs=100000", "activation=swish", "hidden=64,x"):
        assert name in notes
    default = PRESETS["default"]
    assert at.session_state[tr.key("lr")] == default.lr
    assert at.session_state[tr.key("epochs")] == default.epochs
    assert at.session_state[tr.key("hidden")] == default.hidden
    assert at.session_state[tr.key("dropout")] == 0.5               # the good one is kept
    assert button(at, "Train").disabled is False


def test_settings_that_do_not_fit_together_disable_train():
    at = open_train({"early_stopping": "3", "val_split": "0.0"})
    no_exception(at)
    assert button(at, "Train").disabled
    assert any("validation split" in e.value for e in at.error)


def test_a_stopped_run_keeps_its_model_and_curve():
    at = open_train(SHORT)
    trainer = Trainer(TrainConfig(train_size=2000, epochs=3), synthetic(2000, 300))
    run = tr.ActiveRun(7, LiveRun.from_trainer(trainer), "synthetic", tuple("0123456789"), "fresh weights")
    run.live.advance(steps=5)                          # what an interrupted script run got through
    run.live.stop()                                    # then Stop was pressed
    at.session_state[state.TR_ACTIVE] = run
    at.session_state[state.TR_NEXT_RUN] = 8
    at.run()
    no_exception(at)
    assert at.session_state[state.TR_ACTIVE] is None
    [record] = at.session_state[state.TR_RUNS]
    assert record.status == "stopped" and record.epochs == pytest.approx(5 / 16)
    assert record.curve["epoch"] == run.curve["epoch"]
    assert any("Run #7 stopped at epoch 0.31" in i.value for i in at.info)
    assert at.session_state[state.TRAINED_MODEL].model is trainer.model   # the model so far is kept
    assert button(at, "Stop") is None and not button(at, "Train").disabled


def test_an_interrupted_run_resumes_where_it_was():
    at = open_train(SHORT)
    trainer = Trainer(TrainConfig(train_size=2000, epochs=2), synthetic(2000, 300))
    run = tr.ActiveRun(1, LiveRun.from_trainer(trainer), "synthetic", tuple("0123456789"), "fresh weights")
    run.live.advance(steps=20)                         # into the second epoch, then a click
    before = list(run.curve["epoch"])
    at.session_state[state.TR_ACTIVE] = run
    at.run()
    no_exception(at)
    [record] = at.session_state[state.TR_RUNS]
    assert record.status == "done" and record.epochs == 2.0 and trainer.step == 32
    assert record.curve["epoch"][:len(before)] == before and record.curve["epoch"][-1] == 2.0
    assert record.curve["epoch"] == sorted(record.curve["epoch"])


def test_a_learning_rate_changed_while_training_is_marked():
    at = open_train(SHORT)
    trainer = Trainer(TrainConfig(train_size=2000, epochs=2, lr=0.1), synthetic(2000, 300))
    run = tr.ActiveRun(1, LiveRun.from_trainer(trainer), "synthetic", tuple("0123456789"), "fresh weights")
    run.live.advance(steps=3)
    at.session_state[state.TR_ACTIVE] = run
    at.session_state[tr.key("lr")] = 0.05                  # the visitor moved the slider meanwhile
    at.run()
    no_exception(at)
    [record] = at.session_state[state.TR_RUNS]
    assert record.changes == [(pytest.approx(3 / 16), "lr 0.1 → 0.05")]
    loss = charts(at)[0]
    assert [a["text"] for a in loss["layout"]["annotations"] if "lr" in a["text"]] == ["lr 0.1 → 0.05"]


def test_divergence_stops_the_run_and_says_what_to_try():
    at = open_train({"preset": "seed", "train_size": "2000", "epochs": "2", "loss": "mse",
                     "lr": "90.0", "hidden": "512"})
    button(at, "Train").click()
    at.run()
    no_exception(at)
    [record] = at.session_state[state.TR_RUNS]
    assert record.status == "diverged"
    [error] = [e.value for e in at.error if "diverged" in e.value]
    assert "learning rate" in error and "Set the learning rate to 9 " in error
    assert state.TRAINED_MODEL not in at.session_state or at.session_state[state.TRAINED_MODEL] is None


def test_model_upload_continues_from_it_and_bad_files_keep_the_state():
    at = open_train(SHORT)
    rng = np.random.default_rng(0)
    model = init_mlp((784, 32, 10), "tanh", "xavier", "ce", rng)
    config = PRESETS["seed"].replace(hidden=(32,), activation="tanh", init="xavier", epochs=1, train_size=2000)
    at.file_uploader(key=state.TR_UPLOADER).set_value(("mine.npz", model_bytes(model, config), "application/octet-stream"))
    at.run()
    no_exception(at)
    held, meta = at.session_state[state.TRAINED_MODEL].model, at.session_state[state.TRAINED_MODEL].meta
    assert held.sizes == (784, 32, 10) and meta["source"] == "mine.npz"
    assert at.session_state[tr.key("hidden")] == (32,) and at.session_state[tr.key("activation")] == "tanh"
    assert at.session_state[state.TR_CONTINUE] is True
    assert any("Loaded mine.npz" in s.value for s in at.success)
    assert [m.value for m in at.metric if m.label == "Test accuracy"]    # scored on the test split
    at.file_uploader(key=state.TR_UPLOADER).set_value(("junk.npz", b"not a zip at all", "application/octet-stream"))
    at.run()
    no_exception(at)
    assert any("That file was not used" in e.value and "junk.npz" in e.value for e in at.error)
    assert at.session_state[state.TRAINED_MODEL].model is held           # the previous model stays
    button(at, "Train").click()
    at.run()
    no_exception(at)
    [record] = at.session_state[state.TR_RUNS]
    assert record.start == "continued from mine.npz" and record.status == "done"
    trained_model = at.session_state[state.TRAINED_MODEL].model
    assert trained_model is not held and not np.allclose(trained_model.W[0], held.W[0])
    assert np.array_equal(held.W[0], model.W[0])                        # continuing trains a copy


def test_download_gives_a_model_file_that_loads_back(trained):
    model, meta = trained.session_state[state.TRAINED_MODEL].model, trained.session_state[state.TRAINED_MODEL].meta
    # exactly one model download (the page also offers the run as a script: ui/export.py)
    [download] = [d for d in trained.download_button if d.label == "Download the model (.npz)"]
    data = tr.model_bytes(model, None, {k: v for k, v in meta.items()
                                         if k not in ("format", "version", "sizes", "activation", "loss")})
    loaded, loaded_meta = load_model(data)
    assert loaded.sizes == model.sizes and np.array_equal(loaded.W[0], model.W[0])
    assert loaded_meta["config"] == meta["config"] and loaded_meta["source"] == meta["source"]


# --- the live loop, without Streamlit ----------------------------------------------------------------

class RecordingView:
    """A View that notes what the page would have drawn."""

    def __init__(self) -> None:
        self.drawn: list[int] = []      # points in the curve at each redraw
        self.fractions: list[float] = []
        self.polls = 0

    def poll(self) -> None:
        self.polls += 1

    def progress(self, run, event) -> None:
        self.fractions.append(event.epoch_fraction)

    def charts(self, run) -> None:
        self.drawn.append(len(run.curve["epoch"]))


def test_train_live_draws_growing_curves_and_polls_every_event(monkeypatch):
    monkeypatch.setattr(tr.live, "DRAW_INTERVAL", 0.0)  # redraw whenever the budget allows
    trainer = Trainer(TrainConfig(hidden=(32,), epochs=3, batch_size=32), synthetic(640, 100))
    run = tr.ActiveRun(1, LiveRun.from_trainer(trainer), "synthetic", tuple("0123456789"), "fresh weights")
    view = RecordingView()
    tr.train_live(run, view)
    n = len(run.curve["epoch"])
    assert trainer.status == "done" and n == 3 * 20     # 19 step points + 1 epoch point, per epoch
    assert view.polls == n + 1                          # every event, the final "done" included
    assert view.drawn[0] == 1 and view.drawn == sorted(set(view.drawn))   # first point at once, then growing
    assert view.fractions[-1] == 3.0
    assert run.curve["test_accuracy"][0] is not None    # the first point is scored on the test subset
    assert run.curve["train_accuracy"][-1] > 0.9


def test_pacer_keeps_scoring_and_drawing_within_budget():
    pacer = tr.Pacer()
    assert pacer.score_next(train_seconds=0.0)                        # nothing spent yet: score
    pacer.score_cost = 2 * tr.SCORE_SHARE
    assert not pacer.score_next(train_seconds=1.0)                    # twice the budget of 1 s
    assert pacer.score_next(train_seconds=2.0)
    gap = 0.1 / tr.DRAW_SHARE                                         # a redraw costing 0.1 s
    pacer.last_draw, pacer.last_draw_cost = 100.0, 0.1
    assert gap > tr.DRAW_INTERVAL
    assert not pacer.draw_due(100.0 + 0.9 * gap, first=False)
    assert pacer.draw_due(100.0 + 1.1 * gap, first=False)
    assert pacer.draw_due(100.01, first=True)
    pacer.last_draw_cost = 0.0                                        # cheap redraws: DRAW_INTERVAL apart
    assert not pacer.draw_due(100.0 + 0.9 * tr.DRAW_INTERVAL, first=False)
    assert pacer.draw_due(100.0 + tr.DRAW_INTERVAL, first=False)


def test_streamlits_header_stop_ends_the_run_as_stopped(monkeypatch):
    """The header Stop raises StopException out of the page's drawing (and again at every Streamlit
    call): the run is stopped there, not left paused to train on at the next click."""
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    class HeaderStop(RecordingView):
        def poll(self) -> None:
            super().poll()
            if self.polls == 3:
                raise StopException()

    trainer = Trainer(TrainConfig(hidden=(8,), epochs=2, batch_size=64), synthetic(640, 100))
    run = tr.ActiveRun(1, LiveRun.from_trainer(trainer), "synthetic", tuple("0123456789"), "fresh weights")
    monkeypatch.setattr(tr.runs, "apply_live_changes", lambda *args: None)  # (no settings outside a page)
    monkeypatch.setattr(tr.runs, "finish", lambda *args: pytest.fail("filed in a stopped script run"))
    with pytest.raises(StopException):
        tr.resume(run, HeaderStop(), lim.Limits())
    assert run.live.status == "stopped" and len(run.curve["epoch"]) == 3   # kept as far as it got
    assert run.live.advance() == []                                         # it trains no more


def test_a_model_scored_on_another_data_set_says_so():
    model = init_mlp((784, 8, 10), rng=np.random.default_rng(0))
    at = open_app(PAGE, SHORT, {state.TRAINED_MODEL: tr.HeldModel(model, {"source": "run #1"}, None, "fashion",
                                                                     "fashion")}, timeout=TIMEOUT)
    no_exception(at)
    [warning] = [w.value for w in at.warning if "learned Fashion-MNIST" in w.value]   # plain names (issue 16)
    assert "scores on MNIST's test images" in warning and "mnist" not in warning
    assert any("test images of MNIST." in c.value for c in at.caption)      # not "which it never trained on"


def test_a_run_that_outlives_a_data_set_switch_is_scored_on_its_own_data_and_says_so():
    """Issue 19: the sidebar switched data sets mid-run. The run trains and is scored on the data it
    started with; the results below, on the data set now chosen, say that the model never saw it."""
    at = open_train(SHORT)
    trainer = Trainer(TrainConfig(hidden=(8,), epochs=1, train_size=600), synthetic(600, 200))
    run = tr.ActiveRun(1, LiveRun.from_trainer(trainer), "synthetic", tuple("0123456789"), "fresh weights",
                       dataset_key="synthetic")
    run.live.advance(steps=2)
    at.session_state[state.TR_ACTIVE] = run
    at.run()
    no_exception(at)
    [record] = at.session_state[state.TR_RUNS]
    assert record.dataset == "synthetic" and len(run.results.cm) == 10 and run.results.cm.sum() == 200
    held = at.session_state[state.TRAINED_MODEL]
    assert held.dataset == "synthetic" and held.model is trainer.model
    [warning] = [w.value for w in at.warning if "learned synthetic" in w.value]
    assert "scores on MNIST's test images" in warning


# (the curve record's test, test_add_point_skips_done_events_and_non_finite_values, moved with
# the code to tests/test_live_run.py: test_record_point_keeps_steps_and_epochs_and_hides_non_finite_values)


# --- limits --------------------------------------------------------------------------------------

def test_limits_come_from_environment_then_secrets_then_defaults():
    got = lim.load(environ={"MNIST_MAX_EPOCHS": "40", "MNIST_MAX_RUNS": "lots"},
                   secrets={"MNIST_MAX_EPOCHS": 10, "MNIST_MAX_RUNS": 3, "MNIST_MAX_WIDTH": "0"})
    assert got.max_epochs == 40                          # environment first
    assert got.max_runs == 3                             # a bad environment value falls to secrets
    assert got.max_width == lim.Limits().max_width       # a bad secrets value to the default
    assert len(got.notes) == 2 and any("MNIST_MAX_RUNS='lots'" in n for n in got.notes)


def test_limits_without_a_secrets_file_are_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert lim.load(environ={}) == lim.Limits()


def test_limits_check_and_fit_a_config():
    limits = lim.Limits(max_epochs=20, max_width=256, max_layers=2, per_sample_max=5000)
    big = TrainConfig(hidden=(512, 64, 32), epochs=30, batch_size=1)
    problems = lim.problems(big, 60_000, limits)
    assert len(problems) == 4 and any("per-sample SGD on 60,000" in p for p in problems)
    fitted, notes = lim.fit(big, 60_000, limits)
    assert fitted.hidden == (256, 64) and fitted.epochs == 20 and fitted.train_size == 5000
    assert len(notes) == 3 and not lim.problems(fitted, 60_000, limits)
    assert lim.fit(PRESETS["seed"], 60_000, limits) == (PRESETS["seed"], [])


def test_filing_a_run_twice_files_it_once():
    """An interrupted filing is completed by the next script run: the writes must be repeatable."""
    def script():
        import numpy as np
        import streamlit as st
        from mnistcore.config import TrainConfig
        from ui import limits, state
        from ui import training as tr
        from ui.live_run import LiveRun

        rng = np.random.default_rng(0)
        data = (rng.integers(0, 255, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300),
                rng.integers(0, 255, (50, 28, 28), dtype=np.uint8), rng.integers(0, 10, 50))
        run = tr.ActiveRun(1, LiveRun(TrainConfig(hidden=(8,), epochs=1), data), "noise", (), "fresh weights")
        run.live.advance()
        st.session_state[state.TR_ACTIVE] = run
        first = tr.finish(run, limits.Limits())
        second = tr.finish(run, limits.Limits())
        st.session_state["same"] = first is second

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    no_exception(at)
    assert at.session_state["same"]
    assert len(at.session_state[state.TR_RUNS]) == 1 and at.session_state[state.TR_ACTIVE] is None
    assert at.session_state[state.TRAINED_MODEL].meta["source"] == "run #1"
