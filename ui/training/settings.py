"""The Train page's settings: one session value per TrainConfig field, tied to the page's link.

``key(name)`` is the session key of the field ``name``; ``read_settings`` applies a link once per
session (a bad value falls back with a note), ``write_settings`` mirrors the settings into it,
``check_settings`` says whether they can be trained on this server.
"""
from __future__ import annotations

import dataclasses

import streamlit as st

from mnistcore.config import PRESETS, TrainConfig
from mnistcore.options import OPTIONS, Option
from ui import limits as lim
from ui import state

FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))
DEFAULT_PRESET = "default"
# Widget ranges (the options table's page_high); a link's values are held to the same ones (a slider
# cannot show a value off its scale).
MOMENTUM_MAX, DROPOUT_MAX, VAL_SPLIT_MAX, PATIENCE_MAX = (
    OPTIONS[name].page_high for name in ("momentum", "dropout", "val_split", "early_stopping"))

# --- settings <-> session state <-> URL ----------------------------------------------------------


def key(name: str) -> str:
    """Session key of the setting `name` (a TrainConfig field)."""
    return state.TR_SETTING + name


def config_from_state() -> TrainConfig:
    """The settings as a TrainConfig; ValueError (saying what is wrong) if they do not fit together."""
    return TrainConfig(**{name: st.session_state[key(name)] for name in FIELDS})


def put_config(config: TrainConfig) -> None:
    """Make `config` the current settings."""
    for name in FIELDS:
        st.session_state[key(name)] = getattr(config, name)
    if config.batch_size > 1:
        st.session_state[state.TR_MINI_BATCH] = config.batch_size


def number(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> state.Parser:
    """Accept a finite number in the interval from lo to hi (open ends where asked), read and
    checked as the options table reads a float setting."""
    return Option("value", "float", lo, "", "", low=lo, high=hi, low_open=lo_open, high_open=hi_open).parse


def flag(text: str) -> bool:
    """Accept true/false (also 1/0, yes/no), as the options table reads a yes/no setting."""
    return Option("value", "bool", False, "", "").parse(text)


def widths(max_layers: int, max_width: int) -> state.Parser:
    """Accept hidden layer widths like "256,128" ("" = no hidden layer), as the options table reads
    them (the engine's one parser and its bounds), then within this server's limits."""
    def parse(text: str) -> tuple[int, ...]:
        hidden = OPTIONS["hidden"].parse(text)
        if len(hidden) > max_layers:
            raise ValueError(f"{len(hidden)} hidden layers; this server allows up to {max_layers}")
        if any(not 1 <= w <= max_width for w in hidden):
            raise ValueError(f"widths must be from 1 to {max_width}")
        return hidden
    return parse


def preset_param() -> state.Param:
    return state.Param("preset", state.TR_PRESET, DEFAULT_PRESET, state.choice(*PRESETS))


def from_table(name: str, high: float | None = None) -> state.Parser:
    """The options table's parser of setting `name` (its kind and range), held to `high` too: the
    end of this page's scale or this server's limit, where that is short of the engine's range."""
    option = OPTIONS[name]

    def parse(text: str):
        value = option.parse(text)
        if high is not None and value > high:
            raise ValueError(f"{text} is above {high:g}, the most this page takes")
        return value
    return parse


def setting_params(limits: lim.Limits, n_train: int) -> list[state.Param]:
    """One URL parameter per TrainConfig field, named as the field, read by the options table."""
    d = PRESETS[DEFAULT_PRESET]
    highs = {name: option.page_high for name, option in OPTIONS.items() if option.page_high is not None}
    highs.update(batch_size=n_train, train_size=n_train, epochs=limits.max_epochs)
    params = []
    for name, option in OPTIONS.items():
        parse = widths(limits.max_layers, limits.max_width) if name == "hidden" else from_table(name, highs.get(name))
        default_text = "all" if name == "train_size" else option.to_text(d.hidden) if name == "hidden" else ""
        params.append(state.Param(option.link, key(name), getattr(d, name), parse, to_url=option.to_text,
                                  default_text=default_text))
    return params


def read_settings(limits: lim.Limits, n_train: int) -> list[str]:
    """Apply the link's settings once per session; a note for each one that was not usable.

    Settings the link leaves out keep their defaults, or those of the link's ``preset=``: a
    link may be as short as ``?preset=best`` or ``?lr=0.01``. Each parameter is read on its
    own, so a short link draws no "missing" notes.
    """
    first = "train" not in st.session_state.get(state.PARAMS_READ, set())
    notes = state.read_params("train", [preset_param()])
    if first and "preset" in st.query_params:
        notes += apply_preset(st.session_state[state.TR_PRESET], limits, n_train)
    for param in setting_params(limits, n_train):
        notes += state.read_params(f"train:{param.name}", [param])
    batch = st.session_state[key("batch_size")]
    st.session_state.setdefault(state.TR_MINI_BATCH, batch if batch > 1 else 128)
    return notes


def write_settings(limits: lim.Limits, n_train: int) -> None:
    state.write_params([preset_param(), *setting_params(limits, n_train)])


def apply_preset(name: str, limits: lim.Limits, n_train: int) -> list[str]:
    """Make preset `name` the settings, within this server's limits; notes for what was cut."""
    config, notes = lim.fit(PRESETS[name], n_train, limits)
    put_config(config)
    st.session_state[state.TR_PRESET] = name
    return [f"Preset {name}: {n}." for n in notes]



def check_settings(limits: lim.Limits, n_train: int) -> tuple[TrainConfig | None, list[str]]:
    """(config, []) when the settings can be trained here, else (config or None, reasons)."""
    try:
        config = config_from_state()
    except ValueError as err:
        return None, [str(err)]
    reasons = lim.problems(config, n_train, limits)
    if config.train_size > n_train:
        reasons.append(f"training on {config.train_size:,} images, but the data set has {n_train:,}")
    return config, reasons
