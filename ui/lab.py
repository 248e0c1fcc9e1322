"""The Lab page's model and its heavy work, cached.

The page studies one model: the visitor's own from the Train page, the one trained on the Lab
page itself, or the shipped ready-trained one. Everything slow (logits of the test set, PCA and
t-SNE maps, the images that excite each unit, an edited model's test scores) is computed once per
(model content, data set, setting) in ``st.cache_data`` and shared by every visitor who looks at
the same model; models are keyed by a hash of their weights, so a model that trains on gets new
entries instead of stale ones.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnistcore import confidence, data, embedding, neurons
from mnistcore.config import TrainConfig
from mnistcore.model import MLP
from mnistcore.train import Trainer
from ui import lesson, state
from ui.data import current_dataset, dataset_key
from ui.data import label as data_label
from ui.models import held_model, shipped_model

# Session keys live in ui.state; these names are kept for the Lab's modules and tests.
from ui.state import (LAB_ACTION, LAB_DATASET, LAB_ERROR, LAB_MODEL, LAB_MODEL_ASKED, LAB_POINT,  # noqa: E402,F401
                      LAB_STUDIED, LAB_TRAINER, TEMPERATURE, THRESHOLD, TRAINED_MODEL)
TAB = state.LAB_TAB
PAGE = "lab"   # its name in lesson links (ui/lesson.py)
# The label of each link setting's control (a lesson link's hide= and fix= name the settings).
LABELS = {"model": "Model to study", "temperature": "Softmax temperature T", "threshold": "Confidence threshold τ"}
TABS = ("Control the run", "Hidden-layer map", "Neuron lab", "Confidence")
READY, TRAINED, LAB_RUN = "Ready-trained model", "Your model from the Train page", "The run on this page"
MODEL_IDS = {TRAINED: "trained", LAB_RUN: "run", READY: "ready"}   # the link's model= values
TEMPERATURES = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)   # the temperature slider's stops
MAP_POINTS = 1000                # test images on a map (a stratified subsample; t-SNE is O(n^2))
MIN_MAP_POINTS = 20              # fewer make no map worth the name (an uploaded set may be tiny)
NEIGHBOURS = 5                   # k of the maps' same-class neighbour share
TOP_IMAGES = 16                  # images shown per unit
TSNE_ITERATIONS = 350            # 125 of them exaggerated: the maps' neighbour agreement stops
                                 # improving by 250 (benchmarks/bench_lab.py)
QUICK = TrainConfig(hidden=(128,), optimizer="adam", lr=1e-3, epochs=2, train_size=20_000, seed=0)


@dataclass(frozen=True)
class Studied:
    """The model the page studies, and the test images it is studied on."""

    model: MLP
    key: str                    # content hash of the weights + data set, for the caches
    data_key: str               # the data set alone (for what does not depend on the model)
    name: str                   # what the visitor chose, for captions
    images: np.ndarray          # uint8 (m, 28, 28), the data set's test images
    labels: np.ndarray          # (m,)
    class_names: tuple[str, ...]
    dataset: data.Dataset


def link_notes(query: dict[str, str]) -> list[str]:
    """A note if the link's lab= names no tab (Streamlit would drop it without a word)."""
    if TAB in query and query[TAB] not in TABS:
        return [f"`{TAB}={query[TAB]}` in the link: expected one of {', '.join(TABS)}; using {TABS[0]}."]
    return []


def _model(text: str) -> str:
    names = {v: k for k, v in MODEL_IDS.items()}
    if text not in names:
        raise ValueError(f"{text!r} is not one of {', '.join(MODEL_IDS.values())}")
    return names[text]


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if value not in TEMPERATURES:
        raise ValueError(f"{text} is not one of the slider's {', '.join(f'{t:g}' for t in TEMPERATURES)}")
    return value


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0 or round(value, 2) != value:   # the slider: 0 to 1 in steps of 0.01
        raise ValueError(f"{text} is not a number from 0 to 1 in steps of 0.01")
    return value


def link_params() -> list[state.Param]:
    """The Lab's settings kept in its link (the tab is the tabs' own lab= parameter)."""
    return [state.Param("model", LAB_STUDIED, None, _model, to_url=MODEL_IDS.get,
                        default_text="the first model there is (yours from the Train page, else the ready-trained one)"),
            state.Param("temperature", TEMPERATURE, 1.0, _temperature, to_url="{:g}".format),
            state.Param("threshold", THRESHOLD, confidence.DEFAULT_THRESHOLD, _threshold, to_url="{:g}".format)]


def read_link() -> list[str]:
    """Apply the link's model=, temperature= and threshold= once per session; notes for bad ones.

    Each is read on its own, so a link as short as ``?threshold=0.9`` draws no "missing" notes.
    The model a link asks for may not exist in this session (a model from the Train page in a new
    session): ``choose_model`` says so when it falls back.
    """
    notes = lesson.read(PAGE, [p.name for p in link_params()])   # hide=, fix=, note=
    for param in link_params():
        first = f"lab:{param.name}" not in st.session_state.get(state.PARAMS_READ, set())
        notes += state.read_params(f"lab:{param.name}", [param])
        if first and param.name == "model" and st.session_state[LAB_STUDIED] is not None:
            st.session_state[LAB_MODEL_ASKED] = st.session_state[LAB_STUDIED]
    return notes


def write_link() -> None:
    """Mirror the Lab's settings into its link (the model once the page has chosen one)."""
    state.write_params([p for p in link_params() if st.session_state.get(p.key) is not None])


def _copy_model() -> None:
    st.session_state[LAB_STUDIED] = st.session_state[LAB_MODEL]


def model_key(model: MLP) -> str:
    """A short hash of the model's weights, activation and loss: same content, same key."""
    h = hashlib.blake2b(digest_size=12)
    h.update(f"{model.sizes}{model.activation}{model.loss}{model.dtype}".encode())
    for p in model.params:
        h.update(np.ascontiguousarray(p).data)
    return h.hexdigest()


def ready_model() -> tuple[MLP, str]:
    """The shipped model (or, if it is missing or unreadable, a quick one trained now), with a note.

    Both are loaded or trained once per process and shared, read-only, by every visitor (edits
    work on copies): the shipped one through ui.models.shipped_model, its one cache.
    """
    try:
        return shipped_model()[0], ""
    except (ValueError, OSError) as err:
        return _stand_in(str(err)), (f"The shipped model could not be read ({err}), so a small one was trained "
                                     f"just now (784-128-10, Adam, 2 epochs on 20,000 images) and kept for this server.")


@st.cache_resource(show_spinner="Training a stand-in for the ready-trained model ...")
def _stand_in(_why: str) -> MLP:
    trainer = Trainer(QUICK, data.load("mnist"))
    for _ in trainer.run():
        pass
    for p in trainer.model.params:
        p.flags.writeable = False
    return trainer.model


def choose_model(hidden: bool = True) -> Studied:
    """The model radio (only the choices that exist) and the data set's test images.

    With ``hidden`` a model without a hidden layer is refused with a message (the page stops).
    """
    ds = current_dataset()
    held = held_model()
    trainer = st.session_state.get(LAB_TRAINER)
    options = ([TRAINED] if held is not None else []) + \
              ([LAB_RUN] if trainer is not None and trainer.step else []) + [READY]
    asked = st.session_state.pop(LAB_MODEL_ASKED, None)
    if asked is not None and asked not in options:
        why = ("this session has no model from the Train page" if asked == TRAINED
               else "no run has been trained on this page in this session")
        state.show_notes([f"`model={MODEL_IDS[asked]}` in the link: {why}; using {options[0].lower()}."])
    if st.session_state.get(LAB_STUDIED) not in options:
        st.session_state[LAB_STUDIED] = options[0]
    st.session_state[LAB_MODEL] = st.session_state[LAB_STUDIED]   # the radio shows the kept choice
    lesson.control(PAGE, "model", st.radio, LABELS["model"], options, key=LAB_MODEL, horizontal=True,
                   on_change=_copy_model, help="Which network the tabs look into: yours from the Train page, the "
                   "run trained on this page, or the app's ready-trained one.")
    choice = st.session_state[LAB_STUDIED]
    if choice == TRAINED:
        model = held.model
        if held.dataset and held.dataset != ds.name:
            st.warning(f"This model learned from {data_label(held.dataset)}; here it looks at {data_label(ds.name)} "
                       "images.")
    elif choice == LAB_RUN:
        model = trainer.model
    else:
        try:
            model, note = ready_model()
        except (ValueError, OSError) as err:
            st.error(f"No ready-trained model could be loaded or trained here: {err}")
            st.stop()
        if note:
            st.info(note, icon=":material/info:")
        if ds.name != "mnist":
            st.warning("The ready-trained model learned MNIST digits; here it looks at "
                       f"{data_label(ds.name)} images. Train a model on this data set for a fair picture.")
    if hidden and len(model.W) < 2:
        st.info("This model has no hidden layer: its inputs go straight to the outputs.")
        st.stop()
    images, labels = ds.x_test, ds.y_test
    if len(labels) == 0:
        st.warning("This data set has no test images; the Lab uses its training images instead.")
        images, labels = ds.x_train, ds.y_train
    if model.sizes[0] != 784 or len(labels) == 0:
        st.error("This model or data set cannot be studied here (784 inputs and some images needed).")
        st.stop()
    names = tuple(ds.class_names) + tuple(str(c) for c in range(len(ds.class_names), model.sizes[-1]))
    return Studied(model, f"{model_key(model)}:{dataset_key(ds)}", dataset_key(ds), choice, images,
                   np.asarray(labels, dtype=np.intp), names, ds)


def hidden_layer_names(model: MLP) -> list[str]:
    return [f"hidden layer {l + 1} ({w} units)" for l, w in enumerate(model.sizes[1:-1])]


def map_indices(s: Studied) -> np.ndarray:
    """The test images shown on the maps: a fixed stratified subsample."""
    return embedding.subsample(s.labels, MAP_POINTS, seed=0)


# --- cached heavy work: keys are strings, the arrays come in unhashed (leading underscore) --------

@st.cache_data(max_entries=16, show_spinner="Scoring the test set ...")
def logits(key: str, _s: Studied) -> np.ndarray:
    """Output scores z of every test image, shape (m, 10)."""
    return _s.model.forward(data.as_inputs(_s.images)).astype(np.float32)


def _points(_s: Studied, layer: int | None, idx: np.ndarray | None = None) -> np.ndarray:
    """Raw pixels (layer None) or hidden layer ``layer``'s activations of the test images ``idx``."""
    X = data.as_inputs(_s.images if idx is None else _s.images[idx])
    return X if layer is None else neurons.layer_activations(_s.model, X, layer)


@st.cache_data(max_entries=32, show_spinner="Projecting on the principal components ...")
def pca_map(key: str, layer: int | None, _s: Studied) -> tuple[np.ndarray, np.ndarray, float]:
    """(Z of the map points (MAP_POINTS, 2), explained variance ratios (2,), neighbour agreement).

    The components are fitted on all test images, then the map's subsample is projected.
    """
    X = _points(_s, layer)
    fit = embedding.pca(X, 2)
    idx = map_indices(_s)
    Z = fit.transform(X[idx])
    return Z, fit.explained_variance_ratio, embedding.neighbour_agreement(Z, _s.labels[idx], NEIGHBOURS)


@st.cache_data(max_entries=16, show_spinner="Running t-SNE on 1,000 test images (a few seconds, once) ...")
def tsne_map(key: str, layer: int | None, _s: Studied) -> tuple[np.ndarray, float]:
    """(t-SNE map of the map points (MAP_POINTS, 2), neighbour agreement)."""
    idx = map_indices(_s)
    Y = embedding.tsne(_points(_s, layer, idx), perplexity(len(idx)), n_iter=TSNE_ITERATIONS, exaggeration_iter=125)
    return Y, embedding.neighbour_agreement(Y, _s.labels[idx], NEIGHBOURS)


def perplexity(n: int) -> float:
    """t-SNE's perplexity for a map of `n` points: the usual 30 for a few hundred points or more."""
    return min(30.0, (n - 1) / 3)


def map_maths(method: str, n: int) -> None:
    """How the map of `n` points is made by `method` ("PCA" or "t-SNE"): words and formulas."""
    if method == "PCA":
        st.write("PCA turns the points so that the first axis carries the most variance, the second the most of "
                 "what is left; the map is the shadow of the points on those two axes.")
        st.latex(r"X - \bar{x} = U \Sigma V^\top,\qquad Z = (X - \bar{x})\,V_{:,1:2},\qquad "
                 r"\text{share}_k = \frac{\sigma_k^2}{\sum_j \sigma_j^2}")
        return
    st.write("t-SNE places the points so that each keeps its nearest neighbours: Gaussian neighbour "
             "probabilities p in the original space, heavy-tailed q on the map, moved to make q like p. "
             "Clusters mean something; distances between them little. Each σ_i is chosen so that point i has "
             f"a perplexity of {perplexity(n):g}: roughly, it keeps about that many neighbours in view.")
    st.latex(r"p_{j|i} = \frac{e^{-\|x_i - x_j\|^2 / 2\sigma_i^2}}{\sum_{k \ne i} e^{-\|x_i - x_k\|^2 / 2\sigma_i^2}},"
             r"\quad q_{ij} = \frac{(1 + \|y_i - y_j\|^2)^{-1}}{\sum_{k \ne l} (1 + \|y_k - y_l\|^2)^{-1}},"
             r"\quad \min_Y \sum_{i \ne j} p_{ij} \log \frac{p_{ij}}{q_{ij}}")


@st.cache_data(max_entries=16, show_spinner="Finding what excites each unit ...")
def top_images(key: str, layer: int, _s: Studied) -> tuple[np.ndarray, np.ndarray]:
    """(indices (TOP_IMAGES, width), activations (TOP_IMAGES, width)): per unit, its top test images."""
    A = _points(_s, layer)
    idx = np.stack([neurons.top_exciting(A, u, TOP_IMAGES) for u in range(A.shape[1])], axis=1)
    return idx, np.take_along_axis(A, idx, axis=0)


@st.cache_data(max_entries=64, show_spinner="Scoring the edited network on the test set ...")
def edit_scores(key: str, layer: int, unit: int, scale: float, _s: Studied) -> neurons.Edit:
    """Test accuracy and confusion matrix before and after scaling one unit (on a copy)."""
    edited = neurons.scale_unit(_s.model, layer, unit, scale)
    return neurons.compare(_s.model, edited, data.as_inputs(_s.images), _s.labels, _s.model.sizes[-1])
