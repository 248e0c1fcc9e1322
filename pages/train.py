"""Train: choose the settings, press Train, watch the network learn, then see what it learned."""
import streamlit as st

from mnistcore.figures.training import empty_curve
from ui import data, experiments, lesson, state
from ui import limits as lim
from ui import training as tr
from ui.export import export_run
from ui.models import held_model
from ui.router import route_through_app

route_through_app()  # a deep link after a server start: go through app.py

st.title("Train a network")
st.caption("Every setting of the network and its training, each formula beside the setting it belongs "
           "to. The settings are in the page's link: share it to share the experiment.")

limits = lim.load()
ds = data.current_dataset()
n_train = len(ds.y_train)
names = [str(c) for c in ds.class_names]
notes = lesson.read("train", ["preset"] + [p.name for p in tr.setting_params(limits, n_train)])  # hide=, fix=, note=
notes += tr.read_settings(limits, n_train)
st.session_state.setdefault(state.TR_CONTINUE, False)

run = tr.settle_active(limits)
pressed = st.session_state.pop(state.TR_START, None)
if run is None and pressed is not None:
    config, problems = tr.check_settings(limits, n_train)
    try:
        if problems:
            raise ValueError("; ".join(problems))
        run = tr.start_run(config, ds, data.dataset_key(ds), pressed)
    except ValueError as err:
        st.error(f"Training could not start: {err}", icon=":material/error:")
training = run is not None

# The page keeps one layout whether or not a run trains: the same top-level slots, each with the
# same number of parts. The browser keeps an element of the last script run at a place the new run
# has not written yet (greyed out, until the run ends), and a block written where a block was
# inherits the old one's children: a training run that wrote fewer or other parts would show the
# idle page's leftovers for its whole length, squeezed into its new columns.
with st.container():
    state.show_notes(notes)
    experiments.link_note("train")   # a try= link: its question is below the settings
    for note in limits.notes:
        st.warning(f"A limit of this server was set wrongly: {note}.", icon=":material/settings:")
    tr.show_notes()
dataset_key = data.dataset_key(ds)
runs = st.session_state.get(state.TR_RUNS, [])
RESULTS = "what-the-network-learned"   # the results' header anchor, linked to when a run ends
live = st.empty()   # the run's progress and charts, in view as soon as Train is pressed; still there when it ends
if training:
    with live.container():
        stop, more = st.columns([1, 6], vertical_alignment="center")
        stop.button("Stop", on_click=tr.request_stop, icon=":material/stop:", width="stretch")
        more.caption(f"Run #{run.number}: {tr.describe(run.config)}, from {run.start}. Stop (here or Streamlit's, "
                     "top right) ends it and keeps its model so far. Leaving this page pauses the run; coming "
                     "back resumes it where it was.")
        view = tr.StreamlitView()
        view.progress_waiting(run)
        view.charts(run)
        st.caption(tr.CURVES)
        if run.dataset_key and run.dataset_key != dataset_key:
            st.info(f"Run #{run.number} goes on training on {data.label(run.dataset)}, the data set it started on; "
                    f"its test scores are on {data.label(run.dataset)}'s test images, not {data.label(ds.name)}'s.",
                    icon=":material/dataset:")
        else:
            st.empty()
        st.caption("The learning rate and batch size below can be changed while it trains. " + tr.CHANGE_RULE)
elif runs:
    with live.container():   # the last run where it trained, part for part, and a link down to its results
        tr.run_status(runs[-1])
        view = tr.StreamlitView()
        view.show_run(runs[-1])
        st.caption(tr.CURVES)
        st.markdown(f"**[Results below: what the network learned ↓](#{RESULTS})**")
        st.caption(f"{tr.RELOAD_LOSES} Download the model under *Model file* below to keep it.")
def start() -> None:
    """Train's callback: ask for a run, and rerun the whole page (not only the fragment) to start it."""
    tr.request_start()
    st.rerun()


def settings_part() -> None:
    """The settings, Train and what depends only on them (a run's x axis when there is no run yet).

    While nothing trains this is an ``st.fragment``: a setting changed reruns this part, not the
    results, runs and model file below. While a run trains it is not: a click inside a fragment
    would wait for the training script run to end, where any other click interrupts it at once
    (the run goes on from where it was in the next script run, see ui/training/live.py).
    """
    tr.show_notes()   # what a preset chosen here fitted to this server's limits
    tr.preset_picker(limits, n_train, locked=training)
    tr.settings_widgets(limits, n_train, locked=training, data_set=ds)
    config, problems = tr.check_settings(limits, n_train)
    tr.write_settings(limits, n_train)

    go, more = st.columns([1, 6], vertical_alignment="center")
    go.button("Train", type="primary", on_click=start, disabled=training or bool(problems),
              icon=":material/play_arrow:", width="stretch",
              help="Train a network with the settings above; the charts follow it live, and Stop ends it early.")
    # shown (disabled) while a run trains too: the same parts in both layouts
    reason = ("a run is training" if training else tr.continue_reason(config) if config is not None
              else "the settings are not valid")
    more.toggle("Continue from the current model", disabled=reason is not None, **state.bind(state.TR_CONTINUE),
                help=f"Not possible now: {reason}." if reason else "Start from the current model's weights "
                     "instead of fresh random ones (the optimizer starts afresh).")
    with more:
        export_run(config)
    for problem in problems:
        st.error(problem, icon=":material/block:")
    if config is not None and lim.cost_problems(config, n_train, limits):
        st.caption(lim.RULE)

    with st.empty().container():
        experiments.try_this("train", locked=training, start=start)
    tail = st.empty()   # an element while a run trains, so that the idle parts below go at once
    if not training and not st.session_state.get(state.TR_RUNS):
        with tail.container():
            tr.StreamlitView().show_curve(empty_curve(), config.epochs if config else None, [])
            st.caption("Press **Train**: the charts fill in as the network learns.")


# The settings in two slots, one per state, the other left an empty element: a new run's settings
# block then never lands where the last run's block was (Streamlit sends st.empty().container() as
# one block message, which would take over the old block's children, laid out anew in its rows).
idle_slot, training_slot = st.empty(), st.empty()
with (training_slot if training else idle_slot).container():
    (settings_part if training else st.fragment(settings_part))()

# Each section below sits in its own slot, so that while a run trains a short line replaces it
# at once (nothing greyed out for the length of the run) and the first point comes sooner.
held = held_model()
results_slot = st.empty()
if training:   # one element: it replaces the whole results block at once
    results_slot.caption(f"What run #{run.number} learned appears here when it ends.")
elif held is not None:
    with results_slot.container():
        st.header("What the network learned", anchor=RESULTS)
        res = tr.results(held.model, ds, dataset_key)
        if res is None:
            st.info(f"{data.label(ds.name)} has no test split to score the model on.")
        else:
            other = held.dataset and (held.dataset_key or held.dataset) not in (dataset_key, ds.name)
            if other:
                st.warning(f"The current model learned {data.label(held.dataset)}; these are its scores on "
                           f"{data.label(ds.name)}'s test images, a data set it never saw. Choose "
                           f"{data.label(held.dataset)} in the sidebar to score it on its own test images.",
                           icon=":material/dataset:")
            st.caption(f"The current model ({held.source}) on the {len(ds.y_test):,} test images of {data.label(ds.name)}"
                       f"{'' if other else ', which it never trained on'}.")
            tr.show_results(res, ds, names)

with st.empty().container():
    if runs:
        st.header("Runs so far")
        tr.runs_table(runs, limits, locked=training)

with st.empty().container():
    st.header("Model file")
    tr.model_files(limits, n_train, locked=training)

if training:  # last, so that the whole page is drawn (not greyed out) while the charts fill in
    tr.watch_for_header_stop(run)
    if pressed is not None:   # just started: Train was pressed further down, so bring the run into view
        tr.scroll_into_view()
    tr.resume(run, view, limits)
    st.rerun()  # draw the page again, idle, with the new run's results
