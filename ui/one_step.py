"""The One step page's settings and sources: its link parameters, the network and the image it steps
on, and the records it computes (kept per visitor, recomputed only when a setting changes).

    model, about, notes = network(ds)        # fresh from a seed, the Train page's, or the ready one
    x, label, title = image(ds)              # widgets for the image; x (784,) floats in [0, 1]
    label = right_label(model, x, names)     # a drawing's or upload's label: None until picked
    rec = record(model, x, label, eta)       # mnistcore.step.StepRecord, cached in the session
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
import streamlit as st

from mnistcore import step
from mnistcore.data import as_inputs
from mnistcore.figures.step import PHASES
from mnistcore.model import MLP, init_mlp
from mnistcore.preprocess import EmptyImageError, load_image, to_mnist
from ui import lesson, models, state

NETS = {"fresh": "Fresh from a seed", "trained": "Your model from the Train page", "ready": "Ready-trained model"}
SOURCES = {"index": "A training image", "drawing": "Your drawing (Draw page)", "upload": "Upload a picture"}
WIDTHS = (16, 32, 64, 128, 256, 512, 1024)
MAX_UPLOAD_MB = 10


def number(lo: float, hi: float) -> state.Parser:
    """Accept a decimal number in [lo, hi]."""
    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ValueError(f"{value:g} is outside {lo:g}..{hi:g}")
        return value
    return parse


PAGE = "one_step"   # its name in lesson links (ui/lesson.py)
INDEX = state.Param("index", state.OS_INDEX, 0, state.integer(0))
NET = state.Param("net", state.OS_NET, "fresh", state.choice(*NETS))
SEED = state.Param("seed", state.OS_SEED, 0, state.integer(0, 2**32 - 1))
HIDDEN = state.Param("hidden", state.OS_HIDDEN, 128, lambda t: int(state.choice(*map(str, WIDTHS))(t.strip())))
ETA = state.Param("eta", state.OS_ETA, 0.1, number(1e-4, 100.0), to_url=lambda v: f"{v:g}")
PHASE = state.Param("phase", state.OS_PHASE, PHASES[0], state.choice(*PHASES))
BATCH = state.Param("B", state.OS_BATCH, 1, state.integer(1, step.MAX_BATCH))
PARAMS = [INDEX, NET, SEED, HIDDEN, ETA, PHASE, BATCH]
# The label of each setting's control (a lesson link's hide= and fix= name the settings).
LABELS = {"index": "Image index in the training split", "net": "Network", "seed": "Seed", "hidden": "Hidden units",
          "eta": "Learning rate η", "phase": "Phase (Previous, Next, Play)", "B": "Mini-batch size B"}


@st.cache_resource(max_entries=8, show_spinner=False)
def fresh_network(seed: int, hidden: int, k: int) -> MLP:
    """784-hidden-k, ReLU, softmax + cross-entropy, He init, as the first notebook; read-only and
    shared (the same seed gives the same weights to everyone)."""
    model = init_mlp((784, hidden, k), "relu", "he", "ce", np.random.default_rng(seed))
    for p in model.params:
        p.flags.writeable = False
    return model


def _fits(model: MLP, k: int) -> bool:
    return model.sizes[0] == 784 and model.sizes[-1] == k


def network_options(ds) -> list[str]:
    """The network sources this visitor has: a Train page model only when there is one that fits."""
    held = models.held_model()
    return [n for n in NETS if n != "trained" or (held is not None and _fits(held.model, len(ds.class_names)))]


def network(ds) -> tuple[MLP, str, list[str]]:
    """(model, what it is, notes) for the chosen source; a source that cannot be used falls back to
    a fresh network and says why."""
    k, choice, notes = len(ds.class_names), st.session_state[state.OS_NET], []
    if choice == "trained":
        held = models.held_model()
        if held is not None and _fits(held.model, k):
            return held.model, f"your model from the Train page ({held.sizes_text}, {held.model.activation})", notes
        notes.append("There is no model from the Train page for this data set (train one there); "
                     "using a fresh network.")
    if choice == "ready":
        try:
            model, meta = models.shipped_model()
        except (ValueError, OSError) as err:
            notes.append(f"The ready-trained model could not be loaded ({err}); using a fresh network.")
        else:
            if _fits(model, k):
                if ds.name != meta.get("dataset", "mnist"):
                    notes.append(f"The ready-trained model learned {meta.get('dataset', 'mnist')}, not {ds.name}.")
                return model, f"the ready-trained model ({'-'.join(map(str, model.sizes))}, trained on MNIST)", notes
            notes.append(f"The ready-trained model has 10 outputs, {ds.name} has {k} classes; using a fresh network.")
    seed, hidden = st.session_state[state.OS_SEED], st.session_state[state.OS_HIDDEN]
    return (fresh_network(seed, hidden, k),
            f"a fresh 784-{hidden}-{k} network (ReLU, softmax + cross-entropy, He init, seed {seed})", notes)


def pick_random(n: int) -> None:
    """A random training image (its index then goes in the link, so the pick can be shared)."""
    st.session_state[state.OS_INDEX] = int(np.random.default_rng().integers(n))


def forget_label() -> None:
    """A new drawing, upload or source: the label picked for the last one does not apply."""
    st.session_state[state.OS_LABEL] = None
    st.session_state.pop(state.OS_TEACH, None)


def image(ds) -> tuple[np.ndarray | None, int | None, str]:
    """The source's widgets, then (x (784,) floats in [0, 1] or None, its label, a title).

    A training image comes with its label; a drawing or an upload with None: the learner gives
    it with ``right_label``, once the network's reading of it is shown."""
    names, source = ds.class_names, st.session_state.setdefault(state.OS_SOURCE, "index")
    st.session_state.setdefault(state.OS_LABEL, None)
    if source == "index":
        n = len(ds.x_train)
        if st.session_state[state.OS_INDEX] >= n:  # a link's index, or one kept from a larger data set
            st.info(f"Image {st.session_state[state.OS_INDEX]:,} is beyond the {n:,} training images of "
                    "this data set; showing image 0.")
            st.session_state[state.OS_INDEX] = 0
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        lesson.control(PAGE, INDEX.name, left.number_input, LABELS[INDEX.name], 0, n - 1, step=1,
                       help="Which of the training images the step learns from.", **state.bind(state.OS_INDEX))
        lesson.control(PAGE, INDEX.name, right.button, "Random image", icon=":material/shuffle:", on_click=pick_random,
                       args=(n,), help="Any other training image, at random.")
        index = st.session_state[state.OS_INDEX]
        label = int(ds.y_train[index])
        return as_inputs(ds.x_train[index])[0], label, f"training image #{index}, a {names[label]}"
    x = None
    if source == "drawing":
        x = st.session_state.get(state.OS_DRAWN)
        if x is None:
            st.info("Draw a digit on the Draw page first: it comes here as the network saw it.",
                    icon=":material/draw:")
    else:
        upload = st.file_uploader("A picture of one digit", type=["png", "jpg", "jpeg"],
                                  max_upload_size=MAX_UPLOAD_MB, key="os_upload", on_change=forget_label)
        if upload is not None:
            try:
                x = to_mnist(load_image(upload.getvalue()))
            except EmptyImageError:
                st.error(f"{upload.name}: there is no digit in this picture (it is blank).")
            except ValueError as err:
                st.error(f"{upload.name}: {err}")
    if x is None:
        return None, None, ""
    return np.asarray(x, dtype=np.float32).reshape(-1), None, f"your {'drawing' if source == 'drawing' else 'picture'}"


def right_label(model: MLP, x: np.ndarray, names) -> int | None:
    """What the network reads in x (784,), then the learner's label for it: None until picked.

    No guessed default: a label the learner did not choose would be taught as if it were right."""
    p = model.predict_proba(x[None])[0]
    first, second = (int(k) for k in np.argsort(-p, kind="stable")[:2])
    st.markdown(f"The network reads it as **{names[first]}** ({p[first]:.1%}); its second choice is "
                f"{names[second]} ({p[second]:.1%}). What is it really?")
    if st.session_state[state.OS_LABEL] not in range(len(names)):   # e.g. kept from a data set with more classes
        st.session_state[state.OS_LABEL] = None
    return st.selectbox("Its right label", range(len(names)), format_func=lambda c: names[c],
                        placeholder="Pick the right label", help="The label the loss compares the output with: "
                        "the step makes this class more likely.", **state.bind(state.OS_LABEL))


def settings_key(model: MLP, X: np.ndarray, *rest) -> tuple:
    """What a cached result depends on: the model (by identity), the inputs (by content), the rest."""
    return (id(model), hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest(), *rest)


def record(model: MLP, x: np.ndarray, label: int, eta: float) -> step.StepRecord:
    """The step on one image (cached: a phase change or a click must not recompute it)."""
    key = settings_key(model, x, label, eta)
    cached = st.session_state.get(state.OS_CACHE)
    if cached is None or cached[0] != key:
        cached = (key, step.step_record(model, x[None], np.array([label]), eta))
        st.session_state[state.OS_CACHE] = cached
    return cached[1]


def batch(ds, x: np.ndarray, label: int, B: int, seed: int, skip: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The image and B - 1 other training images (seeded; never the image itself twice)."""
    n = len(ds.x_train) - (skip is not None)
    others = np.random.default_rng(seed).choice(n, min(B - 1, n), replace=False)
    if skip is not None:
        others = others + (others >= skip)
    X = np.concatenate([x[None], as_inputs(ds.x_train[np.sort(others)])])
    return X, np.concatenate([[label], ds.y_train[np.sort(others)]]).astype(np.intp)


BATCH_CACHE = "os_batch_cache"   # (key, batch StepRecord, mean of per-image gradients, smaller) of this visitor


def batch_step(model: MLP, X: np.ndarray, y: np.ndarray, eta: float):
    """(record of the batch step, mean of its per-image gradients, the step with eta / 10 when the
    loss did not fall, else None), cached like ``record``."""
    key = settings_key(model, X, y.tobytes(), eta)
    cached = st.session_state.get(BATCH_CACHE)
    if cached is None or cached[0] != key:
        rec = step.step_record(model, X, y, eta)
        smaller = None if rec.loss_after < rec.loss else step.step_record(model, X, y, eta / 10)
        cached = (key, rec, step.mean_of_per_image_gradients(model, X, y), smaller)
        st.session_state[BATCH_CACHE] = cached
    return cached[1:]


def open_with_drawing(x: np.ndarray, net: str) -> None:
    """From the Draw page: step on this drawing (28x28 floats in [0, 1]) with the model it read."""
    st.session_state[state.OS_DRAWN] = np.asarray(x, dtype=np.float32)
    st.session_state[state.OS_SOURCE] = "drawing"
    st.session_state[state.OS_NET] = net
    forget_label()   # the learner says what this drawing is (it was misread: no guess)
    st.session_state.setdefault(state.PARAMS_READ, set()).add("one_step")   # the link must not undo this
    st.switch_page("pages/one_step.py")
