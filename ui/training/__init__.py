"""The Train page's parts, one module per job; the page imports them from here as ``tr``.

    settings.py  the settings: one session value per TrainConfig field, tied to the link
    widgets.py   the settings widgets, each formula beside its setting
    explain.py   what the notebooks explain, beside the setting it is about (issue 15)
    live.py      the live loop: ActiveRun (a ui.live_run.LiveRun and its timings), Pacer, the view
    runs.py      a run's lifecycle: start, settle, resume, finish; the Run record; status lines
    scoring.py   the current model on the test split: scored once, shown
    table.py     this session's runs: table, overlay, removal
    files.py     model files: download, upload to continue from
"""
from ui.live_run import CHANGE_RULE, record_point
from ui.training.explain import CURVES
from ui.training.files import RELOAD_LOSES, model_files
from ui.training.live import (DRAW_INTERVAL, DRAW_SHARE, POINTS_PER_EPOCH, SCORE_SHARE, STOP_WAIT, ActiveRun,
                              Pacer, StreamlitView, View, progress_text, scroll_into_view, train_live)
from ui.training.scoring import N_MISTAKES, Results, results, score, show_results
from ui.training.runs import (Run, continue_reason, describe, finish, request_start, request_stop, resume,
                              run_status, settle_active, show_notes, start_run, watch_for_header_stop)
from ui.training.settings import (DEFAULT_PRESET, FIELDS, apply_preset, check_settings, config_from_state, flag,
                                  key, number, preset_param, put_config, read_settings, setting_params, widths,
                                  write_settings)
from ui.training.table import runs_table
from ui.training.widgets import LABELS, _w, formula, optimizer_formula, preset_picker, settings_widgets
from mnistcore.checkpoint import model_bytes
from ui.models import HeldModel

__all__ = [
    "CHANGE_RULE", "CURVES", "record_point", "RELOAD_LOSES", "model_files", "DRAW_INTERVAL", "DRAW_SHARE",
    "POINTS_PER_EPOCH", "SCORE_SHARE", "STOP_WAIT", "ActiveRun", "Pacer", "StreamlitView", "View",
    "progress_text", "train_live", "N_MISTAKES", "Results", "results", "score", "show_results", "Run",
    "continue_reason", "describe", "finish", "request_start", "request_stop", "resume", "run_status",
    "settle_active", "show_notes", "start_run", "watch_for_header_stop", "DEFAULT_PRESET", "FIELDS", "apply_preset",
    "check_settings", "config_from_state", "flag", "key", "number", "preset_param", "put_config",
    "read_settings", "setting_params", "widths", "write_settings", "runs_table", "LABELS", "_w",
    "formula", "optimizer_formula", "preset_picker", "settings_widgets", "model_bytes", "HeldModel",
]
