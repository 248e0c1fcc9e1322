"""Gradient descent: the rule the whole network learns by, on functions small enough to watch."""
import pandas as pd
import streamlit as st

from mnistcore import descent
from mnistcore.figures.descent import batch_modes_figure
from ui import lesson, state
from ui.descent import (FN1, FN2, LABELS, LRS, PAGE, batch_curves, comparison, figure_2d, function_chosen, link_params,
                        lr_slider, preset_chosen, rate_moved, read_link, run_1d)
from ui.router import route_through_app

NO_TOOLBAR = {"displayModeBar": False}   # at 390 px Plotly's toolbar covers these charts' legends

route_through_app()  # a deep link after a server start: go through app.py

st.title("Gradient descent")
st.markdown("A network learns by nudging every weight a little downhill on its loss, again and again. "
            "Here is that one rule on functions you can see, first in one dimension, then in two.")
state.show_notes(read_link())


@st.fragment
def one_dimension() -> None:
    """The 1-D section; its widgets rerun only this part of the page."""
    st.header("One dimension: follow the slope")
    lesson.control(PAGE, "function", st.selectbox, LABELS["function"], list(FN1), format_func=lambda k: FN1[k].label,
                   help="The curve to descend; each has its own slope f′(x) and its own good and bad rates.",
                   **state.bind("gd_fn1", then=function_chosen))
    fn = FN1[st.session_state["gd_fn1"]]
    left, right = st.columns([1, 1], gap="large")
    with left:
        lesson.control(PAGE, "preset", st.radio, LABELS["preset"], descent.PRESET_NAMES,
                       captions=[f"η = {fn.presets[p]:g}. {fn.preset_note(p)}" for p in descent.PRESET_NAMES],
                       help="A rate picked to show each behaviour on this function; the slider beside it "
                            "sets any other.", **state.bind("gd_preset", then=preset_chosen))
    with right:
        lesson.control(PAGE, "eta", st.select_slider, LABELS["eta"], LRS,
                       format_func=lambda v: f"{v:g}", help="How far each step goes, as a multiple of the slope: "
                       "too small crawls, too large overshoots the bottom.", **state.bind("gd_lr", then=rate_moved))
        lesson.control(PAGE, "start", st.slider, LABELS["start"], *fn.domain, step=0.1,
                       help="Where descent starts on the curve.", **state.bind("gd_start"))
        lesson.control(PAGE, "steps", st.slider, LABELS["steps"], 1, 100,
                       help="How many times the rule is applied; the table lists every one.", **state.bind("gd_steps1"))
        name, eta, x0, steps = (st.session_state[k] for k in ("gd_fn1", "gd_lr", "gd_start", "gd_steps1"))
        st.latex(fn.latex + r",\qquad " + fn.dlatex)
        st.caption(fn.note)
    state.write_params(link_params(fn)[:5])

    st.latex(r"x_{k+1} = x_k - \eta\, f'(x_k)")
    st.markdown("**What it does:** f′(x) is the slope at x. Stepping against it goes downhill, and the "
                "step is η times the slope: long where the curve is steep, short where it is flat, zero at "
                "the bottom. For f(x) = x² + 3 and η = 0.1 the rule is x ← x − 0.1·2x = 0.8·x, so from 2 "
                "the iterates are 2 → 1.6 → 1.28 → 1.024 …, each 20% nearer the minimum at 0.")
    traj, figure = run_1d(name, x0, eta, steps)
    st.plotly_chart(figure, key="gd_anim1", config=NO_TOOLBAR)
    if traj.diverged:
        st.warning(traj.message + " The animation plays the finite part.")
    st.caption(f"**This run (η = {eta:g}, {steps} steps from {x0:g}):** "
               f"{descent.run_note(traj)}")
    st.caption("Press Play, or drag the step slider. Red: the step −η f′(x), taken along the green tangent "
               "and then back onto the curve; the gap between the two is where the straight-line guess was wrong.")
    st.dataframe(pd.DataFrame(descent.iterate_table(traj)), hide_index=True, height=250,
                 column_config={c: st.column_config.NumberColumn(format="%.6g") for c in ("x", "f(x)", "f'(x)", "step −η f'(x)")})


one_dimension()

# -- 2-D ---------------------------------------------------------------------------------------
VALLEY_NOTE = (
    "**Why momentum helps in a narrow valley.** Across the valley the walls are steep, along its floor "
    "the slope is gentle. Plain descent must keep η small enough for the walls (about η < 2 / the "
    "steepest curvature), so it zig-zags from wall to wall and creeps along the floor. Momentum adds up "
    "its past steps in v: the zig-zag parts point alternately left and right and cancel, the parts along "
    "the floor all point the same way and build up, to as much as 1 / (1 − μ) = 10 times one step. "
    "Adam instead divides each coordinate's step by the size of its recent gradients, so steep and "
    "gentle directions get steps of similar length.")


@st.fragment
def two_dimensions() -> None:
    """The 2-D race; its widgets rerun only this part of the page."""
    st.header("Two dimensions: valleys, saddles and several minima")
    lesson.control(PAGE, "surface", st.selectbox, LABELS["surface"], list(FN2), format_func=lambda k: FN2[k].label,
                   help="A function of two weights, drawn as contours: a bowl, a narrow valley, a saddle, "
                        "several minima.", **state.bind("gd_fn2"))
    name2 = st.session_state["gd_fn2"]
    state.write_params(link_params(FN1["quadratic"])[5:])
    fn2 = FN2[name2]
    st.latex(fn2.latex)
    st.caption(fn2.note)
    (xlo, xhi), (ylo, yhi) = fn2.domain
    c1, c2, c3 = st.columns(3)
    sx = c1.slider("Start x", xlo, xhi, fn2.start[0], 0.1, key=f"gd_sx_{name2}",
                   help="Where all three optimizers start, across the surface.")
    sy = c2.slider("Start y", ylo, yhi, fn2.start[1], 0.01, key=f"gd_sy_{name2}",
                   help="Where all three optimizers start, up and down the surface.")
    steps2 = c3.slider("Steps", 10, 500, fn2.steps, 10, key=f"gd_steps_{name2}",
                       help="How many updates each optimizer makes.")
    messages, lrs = [], []
    for col, (opt, label) in zip(st.columns(3), descent.OPTIMIZERS_2D.items()):
        with col:
            lr = lr_slider(f"η for {label}", f"gd_lr2_{name2}_{opt}", fn2.presets[opt])
            lrs.append(lr)
            st.latex(descent.UPDATE_RULES[opt])
            t = descent.descend_2d(name2, opt, (sx, sy), lr, steps2)
            st.caption(f"after {len(t.theta) - 1} steps: f = {t.value[-1]:.4g}")
            if t.diverged:
                messages.append(f"{label}: {t.message}")
    for m in messages:
        st.warning(m)
    st.plotly_chart(figure_2d(name2, (sx, sy), tuple(lrs), steps2), key="gd_anim2", config=NO_TOOLBAR)
    if name2 in descent.VALLEYS:
        st.markdown(VALLEY_NOTE)


two_dimensions()

# -- the network -------------------------------------------------------------------------------
AXES = {"steps": "optimizer steps", "samples": "samples seen", "seconds": "seconds of training"}


@st.fragment
def batch_modes_section() -> None:
    try:
        curves = batch_curves()
    except (ImportError, OSError, ValueError) as err:
        st.info(f"The MNIST comparison needs the MNIST files, which could not be loaded here: {err}")
        return
    axis = st.radio("x axis", list(AXES), horizontal=True, key="gd_axis", format_func=AXES.get,
                    help="Compare the three ways per update, per image read, or per second of computing.")
    st.plotly_chart(batch_modes_figure(curves, axis), key="gd_modes", config=NO_TOOLBAR)
    st.caption(" · ".join(f"{label}: batch {m['batch_size'] or 2000}, η = {m['lr']:g}, {m['epochs']} epoch{'s' * (m['epochs'] != 1)}"
                          for label, m in descent.BATCH_MODES.items()))
    for label, c in curves.items():
        if c["message"]:
            st.warning(f"{label}: {c['message']}")
    st.markdown(
        "Thin lines: the loss of the batches each step learned from (a moving average), which is what the "
        "optimizer sees; bold: the loss on all 2,000 images. A full-batch step reads all 2,000 images, a "
        "per-sample step one, so per step the full batch has the surest direction, while for the same "
        "2,000 images read, per sample takes 2,000 small, noisy steps where the full batch takes one. A batch of 32 costs little more "
        "time than one image (the arithmetic runs as one matrix product), and its gradient is far less noisy.")
    st.markdown(f"**In this run**, where every mode can be compared: {comparison(curves)}.")
    st.caption("The seconds are one measurement on this server, shared with other visitors, and each mode has "
               "its own η and number of epochs: the time comparison is a hint, not a law.")


st.header("From the toy to the network")
st.markdown(
    "Training the network is the same rule on some 100,000 weights, with the loss over the training "
    "images as f. Computing its gradient exactly uses every image (full batch); estimating it from one "
    "image (per sample) or a few (mini-batch) is cheaper but noisy. Below, one small network "
    "(784-32-10) per way, trained on the same 2,000 MNIST images.")
batch_modes_section()
