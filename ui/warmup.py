"""Work that is the same for every visitor, done once per server process before anyone asks.

The Inside page's runs (gradient flow, dead units, the capacity sweep, the over-fitting curves),
the Lab's hidden-layer maps and the Gradient descent page's batch-mode curves take seconds each
on two cores. They are
cached per process (``st.cache_data``), so without this the first visitor to open each would
wait for it. The first script run of the process starts one background thread that fills those
caches for the built-in MNIST with the pages' default settings, one after another. A visitor who
opens a tab while its entry is still being computed waits for that same computation: Streamlit's
caches compute a key once.

``MNIST_WARMUP=0`` switches it off (the test suite does, so that the servers it starts stay idle).
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

import streamlit as st

from mnistcore import diagnostics as dg

ENV = "MNIST_WARMUP"
log = logging.getLogger(__name__)


def tasks() -> list[tuple[str, Callable[[], object]]]:
    """(name, job) of every cached computation to fill ahead: the same calls the pages make."""
    from ui import descent, inside
    from ui.data import load_builtin

    ds = load_builtin("mnist")
    overfit = dg.OVERFIT_CONFIG.replace(val_split=inside.DEFAULTS[inside.VAL_SPLIT],
                                        schedule=inside.DEFAULTS[inside.SCHEDULE])
    jobs: list[tuple[str, Callable[[], object]]] = [("batch-mode curves", descent.batch_curves)]
    jobs += [(f"gradient flow ({k})", lambda c=c: inside.gradient_flow(ds, c))
             for k, c in dg.GRADIENT_FLOW_CONFIGS.items()]
    jobs += [(f"dead units (lr {lr:g})", lambda lr=lr: inside.gradient_flow(ds, dg.GRADIENT_FLOW_CONFIGS["relu"].replace(lr=lr)))
             for lr in dg.DEAD_UNIT_LRS]
    jobs += [("Lab maps (t-SNE, PCA)", lambda: lab_maps(ds))]
    jobs += [("capacity sweep", lambda: inside.capacity(ds)),
             ("over-fitting curves", lambda: inside.fit_curves(ds, overfit)),
             ("early stopping", lambda: inside.fit_curves(ds, overfit.replace(early_stopping=inside.DEFAULTS[inside.PATIENCE])))]
    return jobs


def lab_maps(ds) -> None:
    """The Lab's hidden-layer maps of the ready-trained model on MNIST, as the page first shows them
    (t-SNE takes seconds): the raw pixels' map and the first hidden layer's, by PCA and t-SNE."""
    import numpy as np

    from ui import lab
    model, _ = lab.ready_model()
    key = f"{lab.model_key(model)}:{ds.name}"
    s = lab.Studied(model, key, ds.name, lab.READY, ds.x_test, np.asarray(ds.y_test, dtype=np.intp),
                    tuple(ds.class_names), ds)
    for layer_map in (lab.pca_map, lab.tsne_map):
        layer_map(s.data_key, None, s)
        layer_map(s.key, 0, s)


def run(jobs: list[tuple[str, Callable[[], object]]]) -> list[str]:
    """Run each job in turn; one that fails is logged and skipped (the page will say why itself).
    Returns the names of the jobs that finished."""
    done = []
    for name, job in jobs:
        try:
            job()
            done.append(name)
        except Exception:  # noqa: BLE001 - a warm-up must never take the server down
            log.exception("warm-up of %s failed", name)
    return done


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread | None:
    """Start the warm-up thread once per process (None when switched off)."""
    if os.environ.get(ENV, "1") == "0":
        return None
    thread = threading.Thread(target=lambda: run(tasks()), name="mnist-warmup", daemon=True)
    thread.start()
    return thread
