"""Named session keys, and the link between page settings and the URL's query parameters.

Every value a page keeps for a visitor lives in ``st.session_state`` under a constant below, so
pages never spell a key twice. Settings that define a view are declared once as ``Param``s:

    SPLIT = Param("split", DS_SPLIT, "train", choice("train", "test"))
    notes = read_params("dataset", [SPLIT, ...])   # URL -> state, once per session and page
    st.selectbox("Split", ["train", "test"], **bind(DS_SPLIT))   # widget <-> state
    write_params([SPLIT, ...])                     # state -> URL, every run

A link therefore reproduces the view, and a bad link (missing, malformed or out-of-range value)
falls back to the default with a note that says which parameter and why, never a traceback.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

# --- session keys --------------------------------------------------------------------------------
DATASET = "dataset"              # str: a built-in data set name ("mnist", "fashion") or UPLOADED
UPLOADED = "upload"              # value of DATASET that means this visitor's uploaded file
UPLOAD = "uploaded_dataset"      # mnistcore.data.Dataset read from this visitor's upload
UPLOAD_ERROR = "upload_error"    # str: why the last upload was refused (shown once)
UPLOAD_DIGEST = "upload_digest"  # str: sha256 of the uploaded files, names the upload in shared caches
UPLOADS_TAKEN = "uploads_taken"  # int: uploads accepted so far; numbers the (fresh) uploader widget
UPLOADER = "w_uploader"          # widget key prefix of the data set uploader (+ UPLOADS_TAKEN)
DS_SPLIT = "ds_split"            # Dataset page: "train" or "test"
DS_CLASS = "ds_class"            # Dataset page: class shown in the grid, -1 = all classes
DS_SEED = "ds_seed"              # Dataset page: seed of the random sample in the grid
DS_INDEX = "ds_index"            # Dataset page: index (in the split) of the image shown large
DS_GRID = "ds_grid_select"       # Dataset page: the grid chart's click selection
WORK_LOST = "work_lost"          # ui.lost_work: url path of the page that says "your models are gone", or None;
                                 # set on the session's first script run
PARAMS_READ = "params_read"      # set of page names whose URL parameters were already applied
LESSONS = "lessons"              # ui.lesson: page -> Lesson (hidden/fixed controls, note) of a lesson link
EXP_TRIED = "exp_tried"          # ui.experiments: experiment id -> (prediction picked, outcome or None) at its button
LINK_TRIED = "link_tried"        # ui.lesson: page -> the try= experiment id whose link was last applied there
TRAINED_MODEL = "trained_model"  # ui.models.HeldModel: the Train page's model, which other pages read
TR_SETTING = "tr_cfg_"           # Train page: TR_SETTING + a TrainConfig field name holds that setting
TR_PRESET = "tr_preset"          # Train page: name of the preset last chosen
TR_MINI_BATCH = "tr_mini_batch"  # Train page: mini-batch size kept while full batch / per-sample is chosen
TR_START = "tr_start"            # Train page: True between a press of Train and the run it starts
TR_ACTIVE = "tr_active"          # Train page: ui.training.live.ActiveRun being trained, None when idle
TR_RUNS = "tr_runs"              # Train page: list of ui.training.runs.Run of this session, oldest first
TR_NEXT_RUN = "tr_next_run"      # Train page: number of the next run
TR_RESULTS = "tr_results"        # Train page: ui.training.scoring.Results of TRAINED_MODEL on the test set
TR_CONTINUE = "tr_continue"      # Train page: bool, Train starts from TRAINED_MODEL's weights
TR_CM_RATES = "tr_cm_rates"      # Train page: bool, confusion matrix shows rates, not counts
TR_NOTES = "tr_notes"            # Train page: list of notes from the last action (preset fitted ...)
TR_REMOVE = "tr_remove"          # Train page: run numbers picked for removal
TR_OVERLAY = "tr_overlay"        # Train page: metric of the runs overlay ("accuracy" or "loss")
TR_UPLOADER = "tr_uploader"      # Train page: file uploader of a model to continue from
OS_INDEX = "os_index"            # One step page: index of the training image stepped on
OS_NET = "os_net"                # One step page: network source, "fresh", "trained" or "ready"
OS_SEED = "os_seed"              # One step page: seed of the fresh network and of the batch's other images
OS_HIDDEN = "os_hidden"          # One step page: hidden width of the fresh network
OS_ETA = "os_eta"                # One step page: learning rate eta of the step
OS_PHASE = "os_phase"            # One step page: phase shown, "Forward", "Loss", "Backward" or "Update"
OS_BATCH = "os_batch"            # One step page: mini-batch size B of the batch step
OS_SOURCE = "os_source"          # One step page: where the image comes from ("index", "drawing", "upload")
OS_LABEL = "os_label"            # One step page: the right label of a drawing or uploaded picture
OS_UNIT = "os_unit"              # One step page: (layer, unit) clicked on the diagram, or None
OS_PLAYING = "os_playing"        # One step page: True while Play walks through the phases
OS_CACHE = "os_cache"            # One step page: (settings, network, step record) last computed
OS_TEACH = "os_teach"            # One step page: (settings, result) of the last "Teach it"
OS_DRAWN = "os_drawn"            # Draw page: the last drawing as the network saw it, 28x28 floats in [0, 1]

# Lab page (ui/lab.py, ui/lab_run.py, pages/lab.py)
LAB_TRAINER = "lab_trainer"      # ui.live_run.LiveRun controlled on the Lab page (its curve, its model)
LAB_ACTION = "lab_action"        # what the run does in this script run: "run", "batch", "epoch", "slow",
                                 # or between two slices the work left of one (ui.lab_run._work)
LAB_GOING = "lab_going"          # an action is under way, or was when last drawn (ui.lab_run._stopped_midway)
LAB_WATCHED = "lab_watched"      # the run the page's header-Stop watch was drawn for (ui.lab_run.watch_for_header_stop)
LAB_ERROR = "lab_error"          # why the last New run was refused (shown once)
LAB_DATASET = "lab_dataset"      # dataset_key of the data set the Lab run trains on
LAB_MODEL = "lab_model"          # the "Model to study" radio's widget key (seeded from LAB_STUDIED)
LAB_STUDIED = "lab_studied"      # which model the page studies (ui.lab.READY, TRAINED, LAB_RUN; None: the first)
LAB_MODEL_ASKED = "lab_model_asked"  # the model a link asked for, until the page has it or says why not
LAB_POINT = "lab_point"          # the hidden-layer map's click selection
LAB_TAB = "lab"                  # the Lab tabs' key, bound to the link's lab= parameter
TEMPERATURE = "softmax_temperature"     # float T: the visitor's softmax temperature (Lab; Draw may read it)
THRESHOLD = "confidence_threshold"      # float tau: under it the answer is "not sure" (Lab; Draw may read it)
LAB_W_WIDTH, LAB_W_OPT, LAB_W_LR, LAB_W_BATCH = "lab_w_width", "lab_w_opt", "lab_w_lr", "lab_w_batch"
LAB_W_SIZE, LAB_W_EPOCHS, LAB_W_SEED = "lab_w_size", "lab_w_epochs", "lab_w_seed"   # Lab: a new run's widgets
LAB_W_NEW_LR, LAB_W_NEW_BATCH, LAB_W_SLOW_N = "lab_w_new_lr", "lab_w_new_batch", "lab_w_slow_n"  # Lab: run controls
# Inside page (ui/inside.py, pages/inside.py); widget keys double as URL parameter names
IN_TAB = "inside"                # which tab is open
IN_PATIENCE = "patience"         # early stopping patience, epochs
IN_VAL_SPLIT = "val_split"       # share of the training subset held out for validation
IN_SCHEDULE = "schedule"         # learning-rate schedule of the overfitting run
IN_HIDDEN = "inside_hidden"      # the link's values of the settings a lesson link hides
IN_AUG_SEED = "inside_aug_seed"  # seed of the augmentation preview ("New samples" adds 1)
# Draw page (pages/draw.py)
DRAW_CANVAS = "draw_canvas"      # the pad's key (ui/canvas.py); AppTest injects {"drawing": {"data": PNG data URL}} here
DRAW_SOURCE, DRAW_UPLOAD, DRAW_MODEL = "draw_source", "draw_upload", "draw_model"   # Draw: input, picture, model
DRAW_RAW, DRAW_TIMES_X = "draw_raw", "draw_times_x"   # Draw: the "without preprocessing" and "w × x" toggles

WIDGET_PREFIX = "w_"             # widget key = WIDGET_PREFIX + session key (see bind)


# --- parsers: str from the URL -> value, or ValueError saying what was expected ------------------

Parser = Callable[[str], Any]


def choice(*allowed: str) -> Parser:
    """Accept one of `allowed` exactly."""
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(allowed)}")
        return text
    return parse


def integer(lo: int | None = None, hi: int | None = None) -> Parser:
    """Accept a whole number in [lo, hi] (either bound may be open)."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            if lo is not None and hi is not None:
                raise ValueError(f"{value} is outside {lo}..{hi}")
            raise ValueError(f"{value} is below {lo}" if lo is not None else f"{value} is above {hi}")
        return value
    return parse


@dataclass(frozen=True)
class Param:
    """One view setting: its name in the URL, its session key, default and parser.

    `to_url` turns the value back into the text the parser reads (``str`` by default);
    `default_text` says what the default means when that is not its URL text.
    """
    name: str
    key: str
    default: Any
    parse: Parser
    to_url: Callable[[Any], str] = str
    default_text: str = ""

    def describe_default(self) -> str:
        return self.default_text or self.to_url(self.default)


# --- URL <-> session state -----------------------------------------------------------------------

def init_defaults(params: Iterable[Param]) -> None:
    """Give each param its default in session state unless it has a value already."""
    for p in params:
        st.session_state.setdefault(p.key, p.default)


def read_params(page: str, params: Sequence[Param]) -> list[str]:
    """Apply the URL's values for `params` to session state, once per session for `page`.

    Once only, because afterwards the widgets own the values (the URL then just mirrors them,
    see write_params) and Streamlit clears the query string when the visitor changes page.
    Returns notes for the visitor, one per parameter that was malformed or out of range, or
    missing while others of the page were given (a partial link); a plain visit without any of
    them simply gets the defaults.
    """
    init_defaults(params)
    done: set[str] = st.session_state.setdefault(PARAMS_READ, set())
    if page in done:
        return []
    done.add(page)
    query = st.query_params
    given = [p for p in params if p.name in query]
    notes = []
    for p in params:
        if p.name not in query:
            if given and p.default is not None:   # a None default is the page's own choice, e.g. the grid's first image
                notes.append(Missing(f"`{p.name}` {p.describe_default()}"))
            continue
        text = query[p.name]
        try:
            st.session_state[p.key] = p.parse(text)
        except ValueError as err:
            st.session_state[p.key] = p.default
            notes.append(f"`{p.name}={text}` in the link: {err}; using {p.describe_default()}.")
    return notes


def write_params(params: Iterable[Param]) -> None:
    """Mirror the params' current values into the URL, leaving other parameters alone.

    Only changed values are written: each write is a message to the browser.
    """
    for p in params:
        text = p.to_url(st.session_state.get(p.key, p.default))
        if st.query_params.get(p.name) != text:
            st.query_params[p.name] = text


class Missing(str):
    """A setting that a partial link left out, and its default ("`seed` 0"): nothing was wrong with
    the link, so these are said calmly in one line, apart from the values that could not be used."""


def show_notes(notes: Sequence[str]) -> None:
    """Tell the visitor which link parameters were ignored (a warning) and which the link left out
    (an info box); nothing if the link was whole and right."""
    bad = [n for n in notes if not isinstance(n, Missing)]
    missing = [n for n in notes if isinstance(n, Missing)]
    if bad:
        st.warning("Some settings in the link were not usable:\n\n" + "\n".join(f"- {n}" for n in bad),
                   icon=":material/link_off:")
    if missing:
        st.info("The link sets only some of this page's settings; the others take their defaults: "
                + ", ".join(missing) + ".", icon=":material/link:")


def bind(key: str, then: Callable[[], None] | None = None) -> dict[str, Any]:
    """Keyword arguments that tie a widget to the session value under `key`.

    Streamlit forgets a widget's own state when a page without it runs, so the value lives under
    `key` and the widget (keyed WIDGET_PREFIX + key) is re-seeded from it each run and copies
    changes back in its callback, then calls `then` (e.g. to reset a value that depends on it).
    Use as ``st.slider("Seed", 0, 99, **bind(DS_SEED))`` without a ``value=``/``index=`` argument.
    """
    widget_key = WIDGET_PREFIX + key
    st.session_state[widget_key] = st.session_state[key]
    return {"key": widget_key, "on_change": _copy_back, "args": (widget_key, key, then)}


def _copy_back(widget_key: str, key: str, then: Callable[[], None] | None) -> None:
    st.session_state[key] = st.session_state[widget_key]
    if then is not None:
        then()
