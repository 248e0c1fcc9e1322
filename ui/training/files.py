"""Model files on the Train page: download the current model, upload one to continue from."""
from __future__ import annotations

import streamlit as st

from mnistcore.checkpoint import ModelFileError, load_model, model_bytes
from mnistcore.config import PRESETS, TrainConfig
from mnistcore.options import OPTIONS
from ui import limits as lim
from ui import state
from ui.models import HeldModel, held_model, hold
from ui.training.settings import DEFAULT_PRESET, config_from_state, put_config

RELOAD_LOSES = ("Models and runs live in this browser session only: reloading the page (or closing "
                "it) starts a new session without them.")


def into_widgets(config: TrainConfig) -> tuple[TrainConfig, list[str]]:
    """`config` with each setting past the end of its widget's scale (the options table's
    page_high: momentum, dropout, validation split, patience, seed) set to that end, and a note
    naming each one. A model saved by the CLI may use the engine's whole range; a slider cannot
    show a value off its scale (Streamlit raises on every rerun)."""
    changes, moved = {}, []
    for name, option in OPTIONS.items():
        value = getattr(config, name)
        if option.page_high is not None and not isinstance(value, (tuple, str)) and value > option.page_high:
            changes[name] = type(value)(option.page_high)
            moved.append(f"{option.label} {value:g} → {option.page_high:g}")
    return (config.replace(**changes) if changes else config), moved


def _on_model_upload(limits: lim.Limits, n_train: int) -> None:
    file = st.session_state.get(state.TR_UPLOADER)
    if file is None:  # the visitor removed the file from the widget: keep the model
        return
    try:
        model, meta = load_model(file.getvalue(), name=file.name)
    except ModelFileError as err:
        st.session_state[state.TR_NOTES] = [("error", f"That file was not used: {err}")]
        return
    try:
        config = TrainConfig.from_dict(meta["config"]) if isinstance(meta.get("config"), dict) else None
    except (TypeError, ValueError):
        config = None
    trained_on = meta.get("dataset") if isinstance(meta.get("dataset"), str) else ""
    hold(HeldModel(model, {**meta, "source": file.name}, config, trained_on))
    st.session_state[state.TR_RESULTS] = None
    if config is None:
        try:
            config = config_from_state()
        except ValueError:  # the current settings do not fit together: start from the default preset
            config = PRESETS[DEFAULT_PRESET]
    config, moved = into_widgets(config.replace(hidden=tuple(model.sizes[1:-1]), activation=model.activation,
                                                loss=model.loss))
    config, cut = lim.fit(config, n_train, limits)
    put_config(config)
    st.session_state[state.TR_CONTINUE] = True
    st.session_state[state.TR_NOTES] = [("success", f"Loaded {file.name} ({'-'.join(map(str, model.sizes))}): "
                                                    "it is now the current model; Train continues from it.")]
    if moved or cut:
        st.session_state[state.TR_NOTES].append(
            ("warning", f"The settings saved in {file.name} were brought into this page's ranges "
                        f"(the model itself is unchanged): {'; '.join(moved + cut)}."))


def model_files(limits: lim.Limits, n_train: int, locked: bool) -> None:
    """Download the current model; upload one to look at and continue from."""
    held = held_model()
    left, right = st.columns(2, gap="large")
    with left:
        if held is not None:
            model, meta = held.model, held.meta
            extra = {k: v for k, v in meta.items() if k not in ("format", "version", "sizes", "activation", "loss")}
            st.download_button("Download the model (.npz)", data=lambda: model_bytes(model, None, extra),
                               file_name=f"mnist-mlp-{'-'.join(map(str, model.sizes))}.npz",
                               mime="application/octet-stream", on_click="ignore", icon=":material/download:")
            st.caption(f"The current model: {'-'.join(map(str, model.sizes))}, from {meta.get('source', 'a file')}. "
                       "It is also the one the Draw page offers as yours. "
                       f"{RELOAD_LOSES} Download it to keep it.")
        else:
            st.caption("Train a model (or upload one) to download it here.")
    with right:
        st.file_uploader("Continue from a model file (.npz)", type=["npz"], key=state.TR_UPLOADER,
                         on_change=_on_model_upload, args=(limits, n_train), disabled=locked,
                         help="A file downloaded here or saved by `python -m mnistcore train --save`.")
