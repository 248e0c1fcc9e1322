"""The current model on the test split: scored once per model and data set, then shown."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnistcore import metrics
from mnistcore.figures import training as figs
from mnistcore.metrics import confusion_matrix, per_class_accuracy, worst_mistakes
from mnistcore.model import MLP
from ui import state

N_MISTAKES = 24
N_UNITS = 32


@dataclass
class Results:
    """The current model on the test split, computed once per model and data set."""

    model: MLP                 # held, so a new model (never the same object) means new results
    dataset: str
    accuracy: float
    cm: np.ndarray             # (k, k) counts, row = true class
    per_class: np.ndarray      # (k,)
    mistakes: np.ndarray       # test indices of the most confident mistakes, most confident first
    predicted: np.ndarray      # the model's answer for each of them
    confidence: np.ndarray     # its probability for that answer


def score(model: MLP, x_test: np.ndarray, y_test: np.ndarray, dataset_key: str) -> Results | None:
    """Results of `model` on the test images `x_test` and labels `y_test` (None if there are none).

    No Streamlit calls: a run's end scores its model here (see finish) without being interrupted.
    """
    y = np.asarray(y_test)
    if len(y) == 0:
        return None
    scored = metrics.score(model, x_test, y, proba=True)
    proba, pred = scored.proba, scored.predicted
    cm = confusion_matrix(y, pred, max(proba.shape[1], int(y.max()) + 1))
    wrong = worst_mistakes(proba, y, N_MISTAKES)
    return Results(model, dataset_key, scored.accuracy, cm, per_class_accuracy(cm), wrong,
                   pred[wrong], proba[wrong, pred[wrong]])


def results(model: MLP, dataset, dataset_key: str) -> Results | None:
    """Results of `model` on `dataset`'s test split (None if it has none), cached in the session."""
    cached = st.session_state.get(state.TR_RESULTS)
    if cached is not None and cached.model is model and cached.dataset == dataset_key:
        return cached
    found = score(model, dataset.x_test, dataset.y_test, dataset_key)
    st.session_state[state.TR_RESULTS] = found
    return found


def show_results(res: Results, dataset, class_names: list[str]) -> None:
    """Test accuracy, confusion matrix, per-class accuracy, worst mistakes, first-layer weights."""
    model = res.model
    n = int(res.cm.sum())
    a, b, c = st.columns(3)
    a.metric("Test accuracy", f"{res.accuracy:.2%}")
    b.metric("Test images", f"{n:,}")
    c.metric("Mistakes", f"{n - int(np.trace(res.cm)):,}")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Confusion matrix**")
        st.session_state.setdefault(state.TR_CM_RATES, False)
        rates = st.toggle("Rates instead of counts", **state.bind(state.TR_CM_RATES))
        st.plotly_chart(figs.confusion_figure(res.cm, class_names, rates=rates))
        st.caption("Row: the true class; column: the network's answer. The grey diagonal holds the right "
                   "answers; only the mistakes are coloured, the deeper the red the larger their share of "
                   "the true class (the scale ends at the worst one): a pair of classes the network confuses.")
    with right:
        st.markdown("**Accuracy per class**")
        st.plotly_chart(figs.per_class_figure(res.per_class, class_names))
        st.latex(r"\text{accuracy}_c = \frac{C_{cc}}{\sum_j C_{cj}}")
    st.markdown("**The most confident mistakes**")
    if len(res.mistakes):
        st.caption("Test images the network got wrong while most sure of its answer: true class → "
                   "answer, and its probability. Many are badly written; a few are mislabelled.")
        st.plotly_chart(figs.mistakes_figure(dataset.x_test[res.mistakes], dataset.y_test[res.mistakes],
                                             res.predicted, res.confidence, class_names, ids=res.mistakes),
                        config={"displayModeBar": False})
    else:
        st.caption("No mistakes on the test set.")
    W = model.W[0]
    unit = "unit" if len(model.W) > 1 else "class"
    st.markdown(f"**First-layer weights** ({min(N_UNITS, W.shape[1])} of {W.shape[1]} {unit}s)")
    st.caption("Each image is one unit's 784 input weights laid out as the 28x28 picture: red pixels "
               "raise the unit's input z when there is ink there, blue ones lower it.")
    st.latex(r"z_j = \sum_{p=1}^{784} x_p\, W_{pj} + b_j")
    st.plotly_chart(figs.weights_figure(W, N_UNITS, cols=8, unit_name=unit), config={"displayModeBar": False})
