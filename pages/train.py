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

state.show_notes(notes)
for note in limits.notes:
    st.warning(f"A limit of this server was set wrongly: {note}.", icon=":material/settings:")
tr.show_notes()
dataset_key = data.dataset_key(ds)
if training:  # the run's progress and charts first, in view as soon as Train is pressed
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
    st.caption("The learning rate and batch size below can be changed while it trains. " + tr.CHANGE_RULE)
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
              icon=":material/play_arrow:", width="stretch")
    if not training:
        reason = tr.continue_reason(config) if config is not None else "the settings are not valid"
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
    if not training and not st.session_state.get(state.TR_RUNS):
        tr.StreamlitView().show_curve(empty_curve(), config.epochs if config else None, [])
        st.caption("Press **Train**: the charts fill in as the network learns.")


with st.empty().container():   # one slot: its stale content goes at once when Train changes the layout
    (settings_part if training else st.fragment(settings_part))()

runs = st.session_state.get(state.TR_RUNS, [])
if not training and runs:
    view = tr.StreamlitView()  # the progress bar and the charts of the last run
    view.show_run(runs[-1])
    tr.run_status(runs[-1])
    st.caption(tr.CURVES)
    st.caption(f"{tr.RELOAD_LOSES} Download the model under *Model file* below to keep it.")

# Each section below sits in its own slot, so that while a run trains a short line replaces it
# at once (nothing greyed out for the length of the run) and the first point comes sooner.
held = held_model()
with st.empty().container():
    if training:
        st.caption(f"What run #{run.number} learned appears here when it ends.")
    elif held is not None:
        st.header("What the network learned")
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
    tr.resume(run, view, limits)
    st.rerun()  # draw the page again, idle, with the new run's results
