"""The models a page can look at: the visitor's held model and the shipped ready-trained one.

    held = models.held_model()          # HeldModel | None: the Train page's model, or an uploaded file
    held.model, held.meta, held.config, held.dataset
    model, meta = models.shipped_model()   # cached once per process, read-only; ValueError if unreadable

The held model lives in ``st.session_state[state.TRAINED_MODEL]`` as one typed record, so every
page reads the same fields instead of unpacking a tuple its own way. A reload starts a new
session and loses it: the Train page says so and offers the download.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from mnistcore.config import TrainConfig
from mnistcore.model import MLP
from mnistcore.predict import load_shipped_model
from ui import state


@dataclass(frozen=True)
class HeldModel:
    """The visitor's current model and what is known of how it was made."""

    model: MLP
    meta: dict[str, Any] = field(default_factory=dict)   # checkpoint metadata: source, class_names, ...
    config: TrainConfig | None = None                    # the settings it was trained with, when known
    dataset: str = ""                                    # name of the data set it learned ("" unknown)
    dataset_key: str = ""                                # ui.data.dataset_key of it, when trained here

    @property
    def source(self) -> str:
        return str(self.meta.get("source", "a file"))

    @property
    def sizes_text(self) -> str:
        return "-".join(map(str, self.model.sizes))


def held_model() -> HeldModel | None:
    """The visitor's current model, or None.

    A bare ``(model, meta)`` pair (how sessions from before this record, and some tests, hold it)
    is read as a HeldModel too; anything else counts as no model.
    """
    value = st.session_state.get(state.TRAINED_MODEL)
    if isinstance(value, HeldModel):
        return value
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], MLP):
        meta = dict(value[1]) if isinstance(value[1], dict) else {}
        return HeldModel(value[0], meta, None, str(meta.get("dataset") or ""))
    return None


def hold(held: HeldModel) -> None:
    """Make `held` the visitor's current model (the Draw, Inside, Lab and One step pages read it)."""
    st.session_state[state.TRAINED_MODEL] = held


@st.cache_resource(show_spinner="Loading the ready-trained model ...")
def shipped_model() -> tuple[MLP, dict]:
    """(model, meta) of the shipped model, loaded once per process and shared, read-only, by every
    visitor. ValueError (or OSError) if the file cannot be read; callers choose their fallback."""
    model, meta = load_shipped_model()
    for p in model.params:
        p.flags.writeable = False
    return model, meta
