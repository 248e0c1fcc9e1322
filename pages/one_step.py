"""One step: a single training step, number by number: forward, loss, backward, update."""
import functools
import time

import streamlit as st
from streamlit.errors import StreamlitAPIException

from mnistcore.figures import step as fig
from ui import data, lesson, one_step, state
from ui import one_step_views as views
from ui.router import route_through_app

route_through_app()  # a deep link after a server start: go through app.py

PHASES, LIMIT, PLAY_SECONDS = fig.PHASES, 16, 1.5
DIAGRAM, SECONDS = "os_diagram", "os_phase_seconds"   # the diagram's chart, the phase view's timing


def move(by: int) -> None:
    i = PHASES.index(st.session_state[state.OS_PHASE])
    st.session_state[state.OS_PHASE] = PHASES[min(max(i + by, 0), len(PHASES) - 1)]
    st.session_state[state.OS_PLAYING] = False


def play() -> None:
    st.session_state[state.OS_PHASE], st.session_state[state.OS_PLAYING] = PHASES[0], True


def pick_unit() -> None:
    points = st.session_state[DIAGRAM].selection.points
    if points:   # a second click on the same unit clears the selection: keep the unit shown
        layer, unit = points[0]["customdata"]
        st.session_state[state.OS_UNIT] = (int(layer), int(unit))
        if layer > 0:   # the pickers below show the clicked unit too
            st.session_state.os_pick_layer, st.session_state.os_pick_unit = int(layer), int(unit)


def pick_unit_by_number() -> None:
    st.session_state[state.OS_UNIT] = (st.session_state.os_pick_layer, st.session_state.os_pick_unit)


@st.fragment
def phase_view(model, rec, names) -> None:
    """The diagram and the phase shown: a phase change or a click reruns only this part."""
    start, phase = time.perf_counter(), st.session_state[state.OS_PHASE]
    row = st.container(horizontal=True, vertical_alignment="center")   # wraps: labels shown whole
    held = not lesson.changeable(one_step.PAGE, one_step.PHASE.name)   # a lesson link may hold the phase
    row.button("Previous phase", icon=":material/arrow_back:", on_click=move, args=(-1,),
               disabled=held or phase == PHASES[0], help="Back to the phase before this one.")
    row.button("Next phase", icon=":material/arrow_forward:", on_click=move, args=(1,),
               disabled=held or phase == PHASES[-1], help="On to the next phase of the step.")
    row.button("Play", icon=":material/play_arrow:", on_click=play, disabled=held,
               help="Each phase in turn, slowly, from Forward to Update.")
    row.markdown(f"Phase {PHASES.index(phase) + 1} of {len(PHASES)}: **{phase}** &nbsp; ("
                 + " → ".join(f"**:orange[{p}]**" if p == phase else p for p in PHASES) + ")")
    state.write_params([one_step.PHASE])
    sizes, unit = model.sizes, st.session_state.get(state.OS_UNIT)
    if unit is not None and not (0 <= unit[0] < len(sizes) and 0 <= unit[1] < sizes[unit[0]]):
        unit = st.session_state[state.OS_UNIT] = None
    keep = lambda l: [unit[1]] if unit and unit[0] == l else []   # noqa: E731
    ranks = [rec.x[0], *[a[0] for a in rec.a[1:]], rec.p[0]]
    units = [fig.shown_units(n, LIMIT, ranks[l], keep(l)) for l, n in enumerate(sizes)]
    nodes, edges = fig.diagram_quantities(phase, rec.x[0], [z[0] for z in rec.z], [a[0] for a in rec.a], rec.p[0],
                                          [d[0] for d in rec.delta], model.W, rec.dW, rec.eta)
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(fig.network_figure(nodes, edges, units, phase, unit, names), key=DIAGRAM,
                        on_select=pick_unit, selection_mode="points", config=views.CHART)
        st.caption("Forward: edges carry a·w into each unit; Backward: w·delta back; Update: -eta·dW. "
                   "Red positive, blue negative. Click a unit to see its sum.")
    with right:
        st.markdown("**The unit you clicked**")
        a, b = st.columns(2)
        layer = a.selectbox("Layer", range(1, len(sizes)), key="os_pick_layer", on_change=pick_unit_by_number,
                            format_func=lambda l: "output" if l == len(sizes) - 1 else f"hidden {l}",
                            help="The layer of the unit to read: a hidden layer or the output.")
        if st.session_state.get("os_pick_unit", 0) >= sizes[layer]:   # e.g. unit 100, then the output layer
            st.session_state.os_pick_unit = sizes[layer] - 1
        b.number_input("Unit", 0, sizes[layer] - 1, step=1, key="os_pick_unit", on_change=pick_unit_by_number,
                       help="Its number in the layer, from 0; the same as clicking it on the diagram.")
        if unit is None:
            st.info("Click a unit on the diagram (or pick one above) to see its weighted sum.", icon=":material/touch_app:")
        else:
            views.unit(rec, model, unit[0], unit[1], phase, names)
    {"Forward": lambda: views.forward(rec, names), "Loss": lambda: views.loss(rec, names),
     "Backward": lambda: views.backward(rec, model, names), "Update": lambda: views.update(rec, names)}[phase]()
    seconds = st.session_state[SECONDS] = time.perf_counter() - start
    st.caption(f"This phase was computed and drawn in {seconds:.2f} s on the server.")
    if st.session_state.get(state.OS_PLAYING):
        if phase == PHASES[-1]:
            st.session_state[state.OS_PLAYING] = False
        else:
            time.sleep(PLAY_SECONDS)   # slow motion: the visitor reads each phase before the next
            st.session_state[state.OS_PHASE] = PHASES[PHASES.index(phase) + 1]
            try:
                st.rerun(scope="fragment")
            except StreamlitAPIException:   # this run is a full run (not the fragment's own)
                st.rerun()


st.title("One step")
st.caption("One training step of the network on one image, number by number, in the order the notebooks compute it.")
notes = lesson.read(one_step.PAGE, [p.name for p in one_step.PARAMS])   # hide=, fix=, note=
notes += state.read_params(one_step.PAGE, one_step.PARAMS)
ds = data.current_dataset()
names = list(ds.class_names)
options = one_step.network_options(ds)
if st.session_state[state.OS_NET] not in options:
    notes.append("There is no model from the Train page for this data set (train one there); using a fresh network.")
    st.session_state[state.OS_NET] = "fresh"
c = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
control = functools.partial(lesson.control, one_step.PAGE)   # a lesson link may hide or fix each setting
control("net", c[0].radio, one_step.LABELS["net"], options, format_func=one_step.NETS.get, horizontal=True,
        help="Whose weights take the step: a fresh network (random weights from the seed), the one you "
             "trained on the Train page, or the app's ready-trained one.", **state.bind(state.OS_NET))
if st.session_state[state.OS_NET] == "fresh":
    control("seed", c[1].number_input, one_step.LABELS["seed"], 0, 2**32 - 1, step=1,
            help="The random start of the fresh network's weights: the same seed, the same numbers.",
            **state.bind(state.OS_SEED))
    control("hidden", c[2].selectbox, one_step.LABELS["hidden"], one_step.WIDTHS,
            help="Units in the fresh network's one hidden layer; the diagram shows at most 16 of them.",
            **state.bind(state.OS_HIDDEN))
control("eta", c[3].number_input, one_step.LABELS["eta"], 0.0001, 100.0, step=0.05, format="%.4f",
        help="How far the update moves each weight against its gradient: W ← W − η·∂L/∂W.",
        **state.bind(state.OS_ETA))
st.session_state.setdefault(state.OS_SOURCE, "index")
st.radio("Image", list(one_step.SOURCES), format_func=one_step.SOURCES.get, horizontal=True,
         help="What the step learns from: a training image, the digit you drew on the Draw page, or a "
              "picture you upload.", **state.bind(state.OS_SOURCE, then=one_step.forget_label))
x, label, title = one_step.image(ds)
model, about, more = one_step.network(ds)
state.show_notes(notes + more)
state.write_params(one_step.PARAMS)
if x is None:
    st.stop()
if label is None:   # a drawing or an upload: the learner says what it is
    label = one_step.right_label(model, x, names)
    if label is None:
        st.info("Pick its right label above: the loss, the backward pass and the teaching all start from "
                "what the network should have said.", icon=":material/label:")
        st.stop()
    title += f", labelled {names[label]}"
rec = one_step.record(model, x, label, st.session_state[state.OS_ETA])
st.markdown(f"Stepping {about} on {title}.")
phase_view(model, rec, names)
st.header("The same step on a mini-batch")
views.batch_view(model, ds, x, label, st.session_state[state.OS_ETA],
                 st.session_state[state.OS_INDEX] if st.session_state[state.OS_SOURCE] == "index" else None, rec)
st.header("Check the gradient")
views.check_view(model, rec)
st.header("Teach it your digit")
st.caption("The network got it wrong? Give the right label: a few steps on this image, mixed with "
           f"{views.REPLAY} replayed training images so that it does not forget the rest.")
views.teach_view(model, ds, x, label, names)
