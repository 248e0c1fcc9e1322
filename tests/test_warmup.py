"""The warm-up fills, in a thread of its own and without a script run (as at a server's start),
the very cache entries the Inside page reads, so the first visitor computes nothing."""
from __future__ import annotations

import threading

import streamlit as st

from mnistcore import diagnostics
from ui import warmup
from appserver import open_app


def test_a_failing_job_is_skipped_and_the_rest_still_run(caplog):
    ran = []

    def fails():
        raise RuntimeError("no")

    assert warmup.run([("a", lambda: ran.append("a")), ("b", fails), ("c", lambda: ran.append("c"))]) == ["a", "c"]
    assert ran == ["a", "c"] and "warm-up of b failed" in caplog.text


def test_it_can_be_switched_off(monkeypatch):
    monkeypatch.setenv(warmup.ENV, "0")
    warmup.start.clear()
    assert warmup.start() is None
    warmup.start.clear()


def test_the_warmed_entries_are_the_ones_the_inside_page_reads(monkeypatch):
    """Count the engine's runs: the warm-up does each once; the page afterwards does none."""
    st.cache_data.clear()
    calls: list[str] = []
    for name in ("gradient_flow", "capacity_sweep", "fit_curves"):
        real = getattr(diagnostics, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)
        monkeypatch.setattr(diagnostics, name, counted)
    # Small stand-ins for the page's runs: the counting is what is tested, not the training.
    flow_configs = {k: c.replace(train_size=500, epochs=1) for k, c in diagnostics.GRADIENT_FLOW_CONFIGS.items()}
    monkeypatch.setattr(diagnostics, "GRADIENT_FLOW_CONFIGS", flow_configs)
    monkeypatch.setattr(diagnostics, "OVERFIT_CONFIG", diagnostics.OVERFIT_CONFIG.replace(train_size=300, epochs=3))
    monkeypatch.setattr(diagnostics, "CAPACITY_CONFIG", diagnostics.CAPACITY_CONFIG.replace(train_size=500, epochs=1))
    monkeypatch.setattr(diagnostics, "CAPACITY_WIDTHS", (4, 8))
    jobs = [(name, job) for name, job in warmup.tasks() if name != "batch-mode curves"]
    done: list[str] = []
    thread = threading.Thread(target=lambda: done.extend(warmup.run(jobs)))
    thread.start()
    thread.join(timeout=240)
    assert done == [name for name, _ in jobs]
    warmed = len(calls)
    assert 0 < warmed <= len(jobs)                  # the dead units' lr 0.1 run is the ReLU flow's: one entry
    for tab in ("Gradient flow", "Capacity", "Overfitting"):
        at = open_app("pages/inside.py", session={warmup_tab_key(): tab})
        assert not at.exception, [e.value for e in at.exception]
    assert len(calls) == warmed, calls[warmed:]     # every tab was served from the warm cache
    st.cache_data.clear()


def warmup_tab_key() -> str:
    from ui.inside import TAB
    return TAB


def test_the_app_starts_it_once_per_process(monkeypatch):
    from streamlit.testing.v1 import AppTest
    from appserver import ROOT
    monkeypatch.setenv(warmup.ENV, "1")
    warmup.start.clear()
    ran: list[int] = []
    monkeypatch.setattr(warmup, "tasks", lambda: [("probe", lambda: ran.append(1))])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.run()                                        # a second script run starts nothing new
    thread = warmup.start()
    assert thread is not None
    thread.join(timeout=30)
    assert ran == [1]
    warmup.start.clear()


def test_the_lab_maps_it_makes_are_the_ones_the_lab_page_shows(monkeypatch):
    from mnistcore import embedding
    from ui import lab
    from ui.data import load_builtin
    st.cache_data.clear()
    calls: list[int] = []
    real = embedding.tsne

    def counted(X, *args, **kwargs):   # a short t-SNE: the counting is what is tested
        calls.append(len(X))
        return real(X, *args, **{**kwargs, "n_iter": 30, "exaggeration_iter": 10})
    monkeypatch.setattr(embedding, "tsne", counted)
    warmup.lab_maps(load_builtin("mnist"))
    assert len(calls) == 2                           # the pixels' map and the first hidden layer's
    at = open_app("pages/lab.py", query={lab.TAB: "Hidden-layer map"})
    at.button_group(key="lab_method").set_value("t-SNE").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "t-SNE" in at.button_group(key="lab_method").value
    assert len(calls) == 2, calls                     # both maps came from the warm cache
    st.cache_data.clear()
