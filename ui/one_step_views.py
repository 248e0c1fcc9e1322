"""What the One step page shows in each phase, a clicked unit's sum, and its three sections below
(mini-batch, gradient check, teach it your digit): every quantity with its shape, its numbers and
its formula (mnistcore.step.FORMULAS, the formulas the engine computes).

Each function draws one part of the page from a ``StepRecord`` of one image; the sentences that
state an outcome ("37 of 128 units are on", "the loss fell") are computed from its numbers.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from mnistcore import step
from mnistcore.activations import ACTIVATIONS
from mnistcore.figures import step as fig
from mnistcore.gradcheck import relative_error
from mnistcore.model import MLP
from mnistcore.train import evaluate
from ui import lesson, limits, one_step, state
from ui.live_run import LiveRun

F = step.FORMULAS
CHART = {"displayModeBar": False}
TOP_IMAGES = 8
REPLAY = 60                 # training images replayed beside the image taught
CHECKS = "os_checks"        # session key: (weights picked, their gradient checks)


def shape(a: np.ndarray) -> str:
    return "(" + ", ".join(map(str, np.shape(a))) + ("," if np.ndim(a) == 1 else "") + ")"


def vector(v: np.ndarray, name: str, key: str, labels: Sequence[str] | None = None,
           highlight: int | None = None, mark: np.ndarray | None = None, title: str = "",
           more: dict[str, np.ndarray] | None = None) -> None:
    """A vector as a strip with its largest entries as numbers; one click shows every number
    (with the vectors in ``more`` beside it)."""
    v = np.asarray(v)
    st.plotly_chart(fig.strip_figure(v, title or f"{name}, shape {shape(v)}", labels=labels, highlight=highlight,
                                     mark=mark), config=CHART, key=f"strip_{key}")
    if v.size > 12:
        numbers(v, name, more)


def numbers(v: np.ndarray, name: str, more: dict[str, np.ndarray] | None = None) -> None:
    beside = f", beside {' and '.join(more)}" if more else ""   # e.g. "All 784 numbers of x, beside pixel value 0-255"
    with st.expander(f"All {v.size} numbers of {name}{beside}"):
        st.dataframe({"entry": np.arange(v.size), name: v, **(more or {})}, hide_index=True, height=220)


def forward(rec: step.StepRecord, names: Sequence[str]) -> None:
    x = rec.x[0]
    st.markdown(f"**The input** x, shape {shape(x)}: the 28x28 pixels row after row.")
    st.latex(F["x"])
    st.caption("Pixels are stored as whole numbers 0 to 255. Divided by 255 every input lies in [0, 1], so "
               "the first layer's sums z = xW + b stay of order one, where a learning rate like 0.1 makes "
               "sensible steps; raw pixels would make every z 255 times larger.")
    a, b = st.columns([1, 2])
    a.plotly_chart(fig.image_figure(x, "x as a picture"), config=CHART, key="x_image")
    with b:
        ink = np.argsort(-x, kind="stable")[:5]
        st.markdown(f"{int(np.count_nonzero(x))} of the 784 inputs are not 0 (ink). The largest: "
                    + ", ".join(f"x[{i}] = {x[i]:.3f}" for i in ink) + ".")
        numbers(x, "x", {"pixel value 0-255": np.round(x * 255).astype(int)})
    L = len(rec.z)
    for l in range(L - 1):
        z, act = rec.z[l][0], rec.a[l + 1][0]
        st.markdown(f"**Layer {l + 1}**: z{l + 1} = a{l} W{l + 1} + b{l + 1} (a0 = x), "
                    f"W{l + 1} of shape {shape(rec.grads[2 * l])}, z{l + 1} of shape {shape(z)}.")
        st.latex(F["z"].replace("{l}", f"{{{l + 1}}}").replace("{l-1}", f"{{{l}}}"))
        on = int(np.count_nonzero(act > 0))
        st.latex(rf"a_{{{l + 1}}} = f(z_{{{l + 1}}}), \quad " + ACTIVATIONS[rec.activation].formula)
        st.markdown(f"a{l + 1} = {rec.activation}(z{l + 1}): **{on} of {act.size} units are on** (a > 0) for this image.")
        vector(z, f"z{l + 1}", f"z{l}", mark=act > 0, more={f"a{l + 1}": act},
               title=f"z{l + 1}, shape {shape(z)}: in colour the units that are on (a{l + 1} > 0)")
    st.markdown(f"**The output layer**: z{L} = a{L - 1} W{L} + b{L}, the {len(names)} scores (logits), "
                f"shape {shape(rec.logits[0])}.")
    vector(rec.logits[0], f"z{L}", "logits", labels=names, highlight=int(rec.y[0]))


def loss(rec: step.StepRecord, names: Sequence[str]) -> None:
    z, m, s, p, y = rec.logits[0], float(rec.row_max[0]), rec.shifted[0], rec.p[0], int(rec.y[0])
    if rec.loss_name == "mse":
        st.markdown("This network was trained with mean squared error on its raw scores (no softmax):")
        st.latex(F["onehot"])
        st.latex(F["loss_mse"])
        st.metric("Loss L on this image", f"{rec.loss:.4f}")
        return
    st.markdown(f"**Softmax** turns the scores into probabilities. First the row maximum m = {m:.4f} is "
                "subtracted from every score:")
    st.latex(F["shift"])
    st.latex(F["softmax"])
    st.dataframe({"class": list(names), "z": z, "s = z - m": s, "exp(s)": np.exp(s.astype(np.float64)), "p": p},
                 hide_index=True)
    with np.errstate(over="ignore"):
        too_big = np.exp(np.float32(step.OVERFLOW_FLOAT32 + 1))
    st.caption(f"Why the shift: in float32, exp(z) overflows to infinity once z is above about "
               f"{step.OVERFLOW_FLOAT32:.1f} (exp({step.OVERFLOW_FLOAT32 + 1:.1f}) = {too_big}), and then "
               "p = inf / inf is not a number. After the shift the largest exponent is e^0 = 1 and none can "
               "overflow; the probabilities are unchanged, because the factor e^-m cancels above and below.")
    st.markdown(f"**The target**: the label {names[y]} as a one-hot vector t of shape {shape(rec.onehot[0])}.")
    st.latex(F["onehot"])
    st.code(np.array2string(rec.onehot[0].astype(int), separator=", "), language=None)
    st.caption("The label is one class number, the network gives one probability per class: one-hot writes "
               "the label as a vector of the same shape, 1 at the right class and 0 elsewhere, so the two "
               "can be compared: the loss -sum t_k log p_k keeps only -log p_y.")
    st.latex(F["loss_ce"] + rf" = -\log {p[y]:.4f} = {rec.loss:.4f}")


def backward(rec: step.StepRecord, model: MLP, names: Sequence[str]) -> None:
    L, y = len(rec.z), int(rec.y[0])
    ce = rec.loss_name == "ce"
    st.markdown(f"**The output's delta** = dL/dz{L}, shape {shape(rec.delta[-1][0])}:")
    st.latex(F["delta_out_ce" if ce else "delta_out_mse"].replace("{L}", f"{{{L}}}"))
    vector(rec.delta[-1][0], f"delta{L}", "delta_out", labels=names, highlight=y)
    if ce:
        st.caption("Why so simple: softmax's derivative is p_k (1[k = j] - p_j) and cross-entropy's is -t_j / p_j; "
                   "multiplied and summed, the p's cancel and leave p - t: what the network said minus what it "
                   f"should have said. Here the right class {names[y]} gets p - 1 = {rec.delta[-1][0][y]:.4f} "
                   "(push its score up), every other class its own p (push it down).")
    for l in range(L - 1, -1, -1):
        dW, db = rec.dW[l], rec.db[l]
        st.markdown(f"**Gradients of layer {l + 1}**: dW{l + 1} = a{l}ᵀ delta{l + 1}, shape {shape(dW)}; "
                    f"db{l + 1} = delta{l + 1}, shape {shape(db)}.")
        st.latex(F["dW"].replace("{l}", f"{{{l + 1}}}").replace("{l-1}", f"{{{l}}}"))
        flat = np.argsort(-np.abs(dW), axis=None, kind="stable")[:6]
        rows, cols = np.unravel_index(flat, dW.shape)
        st.dataframe({"weight": [f"W{l + 1}[{i}, {j}]" for i, j in zip(rows, cols)],
                      f"a{l}_i": rec.a[l][0][rows], f"delta{l + 1}_j": rec.delta[l][0][cols],
                      "dW = a_i delta_j": dW[rows, cols]}, hide_index=True)
        if l == 0:
            break
        d, act = rec.delta[l - 1][0], rec.a[l][0]
        st.markdown(f"**Delta of hidden layer {l}**, shape {shape(d)}:")
        st.latex(F["delta_hidden"].replace("{l}", f"{{{l}}}").replace("{l+1}", f"{{{l + 1}}}"))
        off = int(np.count_nonzero(act <= 0))
        st.caption(f"{off} of {act.size} units were off (a = 0): where relu'(z) = 0 nothing flows back, so "
                   "their delta and their incoming weights' gradients are 0." if rec.activation == "relu"
                   else f"f'(z) is computed from a = f(z) ({rec.activation}).")
        vector(d, f"delta{l}", f"delta{l}")
    d1 = rec.delta[0][0]
    if len(rec.z) > 1:
        units = [int(j) for j in np.argsort(-np.abs(d1), kind="stable")[:TOP_IMAGES] if d1[j] != 0]
        if units:
            st.markdown(f"**dW1 as pictures**: column j of dW1 (784 numbers) is unit j's gradient on every pixel. "
                        f"The {len(units)} units with the largest |delta1|, drawn as -dW1: where the step moves each "
                        "unit's weights (red up, blue down). Only pixels with ink get a gradient (dW = x_i delta_j).")
            st.plotly_chart(fig.gradient_images_figure(rec.dW[0], units, cols=4), config=CHART, key="dw1_images")


def update(rec: step.StepRecord, names: Sequence[str]) -> None:
    st.latex(F["update"])
    biggest = max(float(np.abs(rec.eta * g).max()) for g in rec.grads)
    st.markdown(f"Every weight moves against its gradient, scaled by eta = {rec.eta:g}; the largest single "
                f"change is {biggest:.4g}.")
    y = int(rec.y[0])
    a, b = st.columns(2)
    a.metric("Loss on this image", f"{rec.loss_after:.4f}", f"{rec.loss_after - rec.loss:+.4f} (was {rec.loss:.4f})",
             delta_color="inverse")
    b.metric(f"p({names[y]}) on this image", f"{rec.p_y_after[0]:.4f}",
             f"{rec.p_y_after[0] - rec.p_y[0]:+.4f} (was {rec.p_y[0]:.4f})")
    if not np.isfinite(rec.loss_after):
        st.warning(f"The loss after the step is not a finite number ({rec.loss_after}): eta = {rec.eta:g} threw "
                   "the weights so far that exp overflowed. Try one ten times smaller.")
        return
    verb = "fell" if rec.loss_after < rec.loss else "rose" if rec.loss_after > rec.loss else "stayed"
    st.markdown(f"**The step works:** the loss on this image {verb} from {rec.loss:.4f} to {rec.loss_after:.4f}."
                if verb == "fell" else f"The loss on this image {verb} from {rec.loss:.4f} to {rec.loss_after:.4f}: "
                "the step overshot, eta is too large for it.")


def unit(rec: step.StepRecord, model: MLP, layer: int, j: int, phase: str, names: Sequence[str]) -> None:
    """A clicked unit: its weighted sum written out with the largest terms, bias, activation, delta."""
    L = len(rec.z)
    if layer == 0:
        st.markdown(f"**Pixel {j}** (row {j // 28}, column {j % 28}): x = {rec.x[0][j]:.4f} "
                    f"= {round(rec.x[0][j] * 255)} / 255. Inputs have no weights of their own; click a hidden or "
                    "output unit to see its sum.")
        return
    name = f"output {names[j]}" if layer == L else f"hidden unit {j} of layer {layer}"
    s = step.unit_sum(model.W[layer - 1], model.b[layer - 1], rec.a[layer - 1][0], j)
    src = "x" if layer == 1 else f"a{layer - 1}"
    st.markdown(f"**{name}**: z = Σᵢ wᵢ {src}ᵢ + b over {s.n_inputs} inputs; the {len(s.terms)} largest terms:")
    st.latex(rf"z = \sum_{{i=1}}^{{{s.n_inputs}}} w_i\,{src}_i + b = {s.z:.4f}")
    st.dataframe({"input i": [i for i, _, _ in s.terms], "w_i": [w for _, w, _ in s.terms],
                  f"{src}_i": [a for _, _, a in s.terms], "w_i·a_i": [w * a for _, w, a in s.terms]}, hide_index=True)
    st.markdown(f"the other {s.n_inputs - len(s.terms)} terms add up to {s.rest:.4f}; bias b = {s.bias:.4f}; "
                f"**z = {s.z:.4f}**" + (f", a = {rec.activation}(z) = **{rec.a[layer][0][j]:.4f}**" if layer < L
                                        else f", p = **{rec.p[0][j]:.4f}**"))
    if phase in ("Backward", "Update"):
        if layer == L:
            t = rec.onehot[0][j]
            st.markdown(f"delta = p - t = {rec.p[0][j]:.4f} - {t:.0f} = **{rec.delta[-1][0][j]:.4f}**")
        else:
            d = step.unit_delta(model.W[layer], rec.delta[layer][0], float(rec.a[layer][0][j]), rec.activation, j)
            parts = " + ".join(f"({w:.3f})({dk:.4f})" for _, w, dk in d.terms)
            st.markdown(f"delta comes back from the {model.W[layer].shape[1]} units it feeds: Σₖ Wⱼₖ deltaₖ = "
                        f"{parts}{' + …' if len(d.terms) < model.W[layer].shape[1] else ''} = {d.back:.4f}; "
                        f"times f'(z) = {d.slope:g}: **delta = {d.delta:.4f}**")


# --- the sections below the phases, each its own fragment -----------------------------------------

def change(before: float, after: float) -> str:
    """How a loss moved, in one word (NaN after an overflow is neither more nor less)."""
    return ("fell" if after < before else "rose" if after >= before else "became not a finite number")


def batch_note(B: int, asked: int, seed: int, err: float, dtype) -> str:
    """What the batch is and how its gradient compares with the mean of the per-image ones."""
    if B == 1:
        return ("B = 1: the batch is this image alone, so its gradient is this image's gradient and the "
                "step is the one above.")
    others = f"{B - 1} other training image{'s' if B > 2 else ''}"
    fewer = f" (B = {asked} asked for; the data set has only {B} training images)" if B < asked else ""
    rounding = err <= 1000 * np.finfo(dtype).eps   # float32: ~1e-4; a wrong mean would be far above
    return (f"This image and {others} (seed {seed}){fewer}. The batch gradient and the mean of the {B} "
            f"per-image gradients differ by a relative {err:.1e}: "
            + ("rounding, the same numbers." if rounding else "more than rounding explains."))


def step_note(batch: step.StepRecord, alone: step.StepRecord, smaller: step.StepRecord | None) -> str:
    """The batch step's outcome next to the same eta on this image alone, and, when the batch's loss
    did not fall, what a step ten times smaller does: every clause from the numbers it states."""
    B, eta, verb = len(batch.y), batch.eta, change(batch.loss, batch.loss_after)
    whose = "the batch's mean loss" if B > 1 else "the loss on this image"
    said = (f"After one step with eta = {eta:g} {whose} **{verb}** "
            f"({batch.loss:.4f} → {batch.loss_after:.4f}).")
    if B > 1:
        mine = change(alone.loss, alone.loss_after)
        said += (f" On this image alone, with the same eta, the loss {mine} "
                 f"({alone.loss:.4f} → {alone.loss_after:.4f})")
        said += (": a step that suits one image overshoots for the batch." if mine == "fell" and verb != "fell"
                 else ".")
    if smaller is not None and verb != "fell":
        said += (f" With eta = {smaller.eta:g}, ten times smaller, {whose} "
                 f"{change(smaller.loss, smaller.loss_after)} ({smaller.loss:.4f} → {smaller.loss_after:.4f}).")
    return said


@st.fragment
def batch_view(model, ds, x, label, eta, skip, alone: step.StepRecord) -> None:
    """The step on a batch of B images: its gradient is the mean of theirs, and what it did."""
    lesson.control(one_step.PAGE, one_step.BATCH.name, st.slider, one_step.LABELS["B"], 1, step.MAX_BATCH,
                   help="Images in the batch: this one and B − 1 others; the step follows the mean of their gradients.",
                   **state.bind(state.OS_BATCH))
    B = st.session_state[state.OS_BATCH]
    state.write_params([one_step.BATCH])
    seed = st.session_state[state.OS_SEED]
    X, y = one_step.batch(ds, x, label, B, seed, skip)
    rec, mean, smaller = one_step.batch_step(model, X, y, eta)
    st.latex(step.FORMULAS["batch"])
    err = max(relative_error(g, m) for g, m in zip(rec.grads, mean))
    st.markdown(batch_note(len(y), B, seed, err, model.dtype))
    c = st.columns(2)
    c[0].metric("Mean loss on the batch", f"{rec.loss_after:.4f}", f"{rec.loss_after - rec.loss:+.4f} (was {rec.loss:.4f})",
                delta_color="inverse")
    c[1].markdown(step_note(rec, alone, smaller))


@st.fragment
def check_view(model, rec) -> None:
    st.latex(step.FORMULAS["gradcheck"])
    st.caption("Why: backpropagation is a long chain of hand-derived formulas, and a wrong one still trains, "
               "only worse. The derivative's definition, evaluated twice per weight in float64, shows whether "
               "the backward pass computes the true gradient.")
    which = st.radio("Weights to check", ["The 5 largest gradients", "The clicked unit's largest terms"],
                     horizontal=True, key="os_check_which",
                     help="Which weights to nudge: the five whose gradients are largest, or the ones feeding the unit clicked.")
    unit = st.session_state.get(state.OS_UNIT)
    picks = step.largest_weights(rec.grads, 5)
    if which != "The 5 largest gradients" and unit is not None and unit[0] > 0:
        s = step.unit_sum(model.W[unit[0] - 1], model.b[unit[0] - 1], rec.a[unit[0] - 1][0], unit[1], top=4)
        picks = [(2 * (unit[0] - 1), (i, unit[1])) for i, _, _ in s.terms] + [(2 * unit[0] - 1, (unit[1],))]
    if st.button("Check the gradient", icon=":material/calculate:",
                 help="Nudge each chosen weight by ±h, compute the loss twice, compare the slope with backprop's."):
        st.session_state[CHECKS] = (picks, step.check_gradients(model, rec.x, rec.y, picks))
    found = st.session_state.get(CHECKS)
    if found and found[0] == picks:
        checks = found[1]
        st.latex(step.FORMULAS["relerr"])
        st.dataframe({"weight": [c.name for c in checks], "backprop": [c.backprop for c in checks],
                      "(L(w+h) - L(w-h)) / 2h": [c.numeric for c in checks],
                      "relative error": [f"{c.relative_error:.1e}" for c in checks]}, hide_index=True)
        worst = max(c.relative_error for c in checks)
        st.markdown(f"Largest relative error **{worst:.1e}**, h = 1e-6: " + (
            "below 1e-6, so backprop's numbers are the loss's true derivatives." if worst < 1e-6
            else "above 1e-6: at a kink of relu (a z within h of 0) the difference is not a derivative."))


@st.fragment
def teach_view(model, ds, x, label, names) -> None:
    c = st.columns(2)
    steps = c[0].slider("Teaching steps", 1, 20, 5, key="os_teach_steps",
                        help="How many updates on your image and the replayed ones, one after another.")
    eta = c[1].select_slider("Teaching rate", [0.005, 0.01, 0.02, 0.05, 0.1], 0.02, key="os_teach_eta",
                             help="The learning rate of those steps: how far each one moves the weights.")
    key = (one_step.settings_key(model, x, label), steps, eta)
    if st.button(f"Teach it: this is a {names[label]}", icon=":material/school:",
                 help="Take the steps, then compare what the network reads in this image before and after."):
        replay = np.random.default_rng(st.session_state[state.OS_SEED]).choice(len(ds.x_train), REPLAY, replace=False)
        config, taught = step.teaching_setup(model, x, label, ds.x_train[replay], ds.y_train[replay], steps, eta)
        refused = limits.cost_problems(config, len(taught[1]), limits.load())  # the Train page's rules
        if refused:
            st.error(f"This model is too large to teach on this server: {refused[0]}", icon=":material/block:")
            return
        run = LiveRun(config, taught, model=model.copy(), points_per_epoch=1, score_steps=False)
        p = [model.predict_proba(x[None])[0]]
        run.advance(on_event=lambda e: p.append(run.model.predict_proba(x[None])[0]) if e.kind == "epoch" else None)
        scores = [evaluate(m, ds.x_test, ds.y_test)[1] for m in (model, run.model)]
        st.session_state[state.OS_TEACH] = (key, np.array(p), scores)
    found = st.session_state.get(state.OS_TEACH)
    if found and found[0] == key:
        p, (before, after) = found[1], found[2]
        st.plotly_chart(fig.teach_figure(p, names, label), config=CHART, key="teach_chart")
        st.markdown(f"It read **{names[int(p[0].argmax())]}** ({p[0][label]:.1%} for {names[label]}) before and "
                    f"**{names[int(p[-1].argmax())]}** ({p[-1][label]:.1%}) after {len(p) - 1} steps.")
        if len(ds.y_test):
            st.metric("Test accuracy", f"{after:.2%}", f"{100 * (after - before):+.2f} points (was {before:.2%})")
