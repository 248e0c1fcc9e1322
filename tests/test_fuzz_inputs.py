"""Fuzzing the input paths not fuzzed elsewhere: whatever comes in, only mnistcore's (or the
page helpers') own clear errors come out, never a stray exception that would be a traceback.

- ``mnistcore.checkpoint.load_model`` on random bytes, on valid model files with random damage,
  and on well-formed archives whose members are not what they claim: ``ModelFileError`` only.
- ``mnistcore.preprocess.load_image`` on random bytes behind each image format's magic number
  and on valid PNG/JPEG/GIF/BMP/WEBP files with random damage: a ``ValueError`` only, and what it
  returns goes through ``to_mnist`` to a clean input or a ``ValueError``.
- The URL query parameter parsers of ui/state.py, ui/training.py, ui/data.py and ui/inside.py:
  any string gives a value in range or a ``ValueError`` that says what was expected; values
  round-trip through the URL; ``read_params`` turns any link into values and notes.

The data set readers are fuzzed in tests/test_data_fuzz.py, ``to_mnist`` on arrays in
tests/test_preprocess.py; the same kinds of damage (``damaged``) are reused here.
"""
from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from mnistcore.checkpoint import MAX_PARAMETERS, ModelFileError, load_model, model_bytes
from mnistcore.config import PRESETS
from mnistcore.model import MLP, init_mlp
from mnistcore.preprocess import load_image, to_mnist
from test_data_fuzz import damaged
from ui import data as ui_data
from ui import inside, limits as lim, state
from ui import training as tr

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- model files ---------------------------------------------------------------------------------

def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def archive(members: dict[str, bytes], compressed: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as z:
        for name, blob in members.items():
            z.writestr(name, blob)
    return buffer.getvalue()


META = {"format": "mnistcore-mlp", "version": 1, "sizes": [784, 3, 10], "activation": "tanh", "loss": "ce"}
SMALL = init_mlp((784, 3, 10), "tanh", "xavier", rng=np.random.default_rng(0))
MODELS = {
    "plain": model_bytes(SMALL),
    "with config": model_bytes(SMALL, PRESETS["seed"].replace(hidden=(3,), activation="tanh")),
    "compressed": archive({"meta.npy": npy(np.array(json.dumps(META))),
                           **{f"{k}{l}.npy": npy(p) for l, pair in enumerate(zip(SMALL.W, SMALL.b))
                              for k, p in zip("Wb", pair)}}, compressed=True),
}


def check_model(model: MLP, meta: dict) -> None:
    """What load_model promises of a file it accepts."""
    assert isinstance(meta, dict) and model.sizes[0] == 784 and model.sizes[-1] == 10
    assert all(np.isfinite(p).all() for p in model.params)
    assert sum(p.size for p in model.params) <= MAX_PARAMETERS


def load_or_refuse(blob: bytes) -> None:
    try:
        model, meta = load_model(blob, name="fuzz.npz")
    except ModelFileError as e:
        assert "fuzz.npz" in str(e), e
        return
    check_model(model, meta)


def test_the_undamaged_model_files_load():
    for blob in MODELS.values():
        model, _ = load_model(blob)
        assert model.sizes == (784, 3, 10) and np.array_equal(model.W[0], SMALL.W[0])


@FUZZ
@given(blob=st.binary(max_size=3000))
def test_random_bytes_are_refused(blob):
    load_or_refuse(blob)


@FUZZ
@given(blob=st.sampled_from(sorted(MODELS)).flatmap(lambda name: damaged(MODELS[name])))
def test_damaged_model_files_are_refused_or_load_whole(blob):
    load_or_refuse(blob)


# Members a well-formed zip may hold under a model's names: not .npy at all, pickles, other
# dtypes, shapes and metas. np.load hands back raw bytes for a member without the .npy magic.
MEMBER = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([np.zeros((784, 3)), np.zeros(3), np.zeros((784, 3), np.float16), np.zeros((3, 784)),
                     np.zeros((784, 3), np.int64), np.array([print], dtype=object), np.array(["W"]),
                     np.zeros((784 * 1000, 3), np.float32), np.zeros(()), np.full(10, np.inf)]).map(npy),
)
METAS = st.one_of(
    st.fixed_dictionaries({k: st.just(v) for k, v in META.items()}),
    st.dictionaries(st.sampled_from(sorted(META)), st.one_of(
        st.none(), st.booleans(), st.integers(-5, 10**12), st.text(max_size=8),
        st.lists(st.one_of(st.integers(-3, 10**9), st.booleans(), st.text(max_size=2)), max_size=5))),
).map(lambda m: npy(np.array(json.dumps(m))))


@FUZZ
@given(meta=st.one_of(METAS, MEMBER), members=st.dictionaries(
    st.sampled_from(["W0.npy", "b0.npy", "W1.npy", "b1.npy", "W0", "extra.npy"]), MEMBER, max_size=5),
    compressed=st.booleans())
@example(meta=npy(np.array(json.dumps(META))), members={"W0.npy": b"not an array", "b0.npy": b"x"}, compressed=False)
@example(meta=b"raw bytes, not an array", members={}, compressed=False)
def test_archives_with_members_that_are_not_what_they_claim_are_refused(meta, members, compressed):
    load_or_refuse(archive({"meta.npy": meta, **members}, compressed))


def test_a_layer_declared_larger_than_the_limit_is_refused_unread():
    meta = {**META, "sizes": [784, MAX_PARAMETERS, 10]}
    blob = archive({"meta.npy": npy(np.array(json.dumps(meta)))})
    with pytest.raises(ModelFileError, match="fuzz.npz"):
        load_model(blob, name="fuzz.npz")


# --- pictures ----------------------------------------------------------------------------------

def picture(format: str, mode: str = "L") -> bytes:
    white = 65535 if mode == "I;16" else "white"
    img = Image.new(mode, (40, 32), white)
    ImageDraw.Draw(img).line([(20, 4), (20, 28)], fill=0 if mode == "I;16" else "black", width=4)
    buffer = io.BytesIO()
    img.save(buffer, format=format)
    return buffer.getvalue()


PICTURES = {
    "png L": picture("PNG"), "png RGBA": picture("PNG", "RGBA"), "png P": picture("PNG", "P"),
    "png 16-bit": picture("PNG", "I;16"), "jpeg": picture("JPEG", "RGB"), "gif": picture("GIF"),
    "bmp": picture("BMP", "RGB"), "webp": picture("WEBP", "RGB"),
}
MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"RIFF\x00\x00\x00\x00WEBPVP8 "]


def read_or_refuse(blob: bytes) -> None:
    """load_image gives an array that to_mnist reads cleanly or refuses; else a ValueError."""
    try:
        image = load_image(blob)
    except ValueError as e:
        assert str(e)
        return
    assert isinstance(image, np.ndarray) and image.ndim in (2, 3)
    try:
        x = to_mnist(image)
    except ValueError as e:
        assert str(e)
        return
    assert x.shape == (28, 28) and x.dtype == np.float32 and np.isfinite(x).all()
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_the_undamaged_pictures_are_read():
    for name, blob in PICTURES.items():
        assert to_mnist(load_image(blob)).max() == pytest.approx(1.0), name


@FUZZ
@given(magic=st.sampled_from(MAGIC), rest=st.binary(max_size=600))
def test_random_bytes_behind_an_image_magic_number_are_refused(magic, rest):
    read_or_refuse(magic + rest)


@FUZZ
@given(blob=st.sampled_from(sorted(PICTURES)).flatmap(lambda name: damaged(PICTURES[name])))
def test_damaged_pictures_are_read_or_refused(blob):
    read_or_refuse(blob)


# --- link parameters -----------------------------------------------------------------------------

# Any text, and the texts a person (or a bot) puts in a link: numbers in every spelling.
LINK_TEXT = st.one_of(
    st.text(max_size=30),
    st.integers(-2**70, 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", " ", "0", "-0", "1e3", "1_000", " 7 ", "0x10", "nan", "inf", "-inf", "1e309",
                     "true", "False", "٣", "²", "1,2,3,4", ",,", "64,x", "9" * 5000, "\x00", "%20"]),
)
LIMITS = lim.Limits()
N_TRAIN = 60_000


def expect_value_or_clear_error(parse, text: str):
    """parse(text): the value, or None after a ValueError with a message."""
    try:
        return parse(text)
    except ValueError as e:
        assert str(e), f"{text!r}: an error without a message"
        return None


@FUZZ
@given(text=LINK_TEXT)
def test_the_train_pages_parameters_give_a_usable_value_or_say_why(text):
    default = PRESETS[tr.DEFAULT_PRESET]
    for param in tr.setting_params(LIMITS, N_TRAIN):
        value = expect_value_or_clear_error(param.parse, text)
        if value is None:
            continue
        assert param.parse(param.to_url(value)) == value            # the URL gives back what it got
        if isinstance(value, float):
            assert math.isfinite(value)
        try:                                                        # the value goes into a config:
            config = dataclasses.replace(default, **{param.name: value})
        except ValueError:                                          # check_settings says why
            continue
        # Beyond a setting's range only the cost of the whole run (ui/limits.py RULE) may refuse it.
        cost = lim.cost_problems(config, N_TRAIN, LIMITS)
        assert not [p for p in lim.problems(config, N_TRAIN, LIMITS) if p not in cost] or param.name == "batch_size"


@FUZZ
@given(text=LINK_TEXT, lo=st.one_of(st.none(), st.integers(-10, 10)), span=st.integers(0, 2**33))
def test_integer_parameters_stay_in_their_range(text, lo, span):
    hi = None if lo is None else lo + span
    value = expect_value_or_clear_error(state.integer(lo, hi), text)
    if value is not None:
        assert isinstance(value, int) and (lo is None or lo <= value <= hi)


@FUZZ
@given(text=LINK_TEXT, allowed=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4, unique=True))
def test_choice_parameters_accept_only_their_choices(text, allowed):
    value = expect_value_or_clear_error(state.choice(*allowed), text)
    assert value is None or value in allowed


@FUZZ
@given(text=LINK_TEXT)
def test_the_dataset_parameter_accepts_only_a_built_in_name(text):
    param = ui_data.dataset_param(["mnist", "fashion"])
    value = expect_value_or_clear_error(param.parse, text)
    assert value in (None, "mnist", "fashion")


@FUZZ
@given(query=st.dictionaries(st.sampled_from([inside.TAB, inside.PATIENCE, inside.VAL_SPLIT, inside.SCHEDULE,
                                              "other"]), LINK_TEXT, max_size=5))
def test_the_inside_pages_link_notes_name_each_unusable_parameter(query):
    notes = inside.link_notes(query)
    assert len(notes) <= len(set(query) - {"other"})
    for note in notes:
        name = note.split("=")[0].strip("`")
        assert name in query and "using" in note and "expected" in note


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["split", "seed", "lr", "other"]), LINK_TEXT, max_size=4))
def test_read_params_turns_any_link_into_values_and_notes(query):
    params = [state.Param("split", "k_split", "train", state.choice("train", "test")),
              state.Param("seed", "k_seed", 0, state.integer(0, 2**32 - 1)),
              state.Param("lr", "k_lr", 0.1, tr.number(0, 100, lo_open=True), to_url=repr)]
    fake = SimpleNamespace(session_state={}, query_params=dict(query))
    real, state.st = state.st, fake          # read_params touches only these two
    try:
        notes = state.read_params("page", params)
        again = state.read_params("page", params)
    finally:
        state.st = real
    assert again == []                       # once per session and page
    given_any = any(p.name in query for p in params)
    for p in params:
        value, named = fake.session_state[p.key], [n for n in notes if n.startswith(f"`{p.name}")]
        if p.name not in query:
            assert value == p.default and bool(named) == given_any   # "missing" only in a partial link
            continue
        parsed = expect_value_or_clear_error(p.parse, query[p.name])
        if parsed is None:
            assert value == p.default and len(named) == 1 and "using" in named[0]
        else:
            assert value == parsed and not named


def test_a_huge_meta_string_is_refused_unread():
    blob = archive({"meta.npy": npy(np.array("x" * 10**6))}, compressed=True)   # 4 MB as UTF-32
    with pytest.raises(ModelFileError, match="one JSON string"):
        load_model(blob, name="fuzz.npz")
