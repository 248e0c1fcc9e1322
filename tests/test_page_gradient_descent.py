"""The Gradient descent page under AppTest: what it shows, its presets, divergence and the 2-D race."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from appserver import open_app
from mnistcore import batch_modes, data, descent
from mnistcore.descent import FUNCTIONS_1D, FUNCTIONS_2D

PAGE = "pages/gradient_descent.py"
TIMEOUT = 90  # the first run loads MNIST and trains the three small networks of the last section


def open_page(query: dict[str, str] | None = None) -> AppTest:
    return open_app(PAGE, query, timeout=TIMEOUT)


def latex(at: AppTest) -> list[str]:
    """The formulas on the page, without the $$ that st.latex wraps them in."""
    return [el.value.strip("$\n") for el in at.latex]


def charts(at: AppTest) -> list[dict]:
    """The Plotly figures on the page, as the JSON the browser receives."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


@pytest.fixture(scope="module")
def at() -> AppTest:
    return open_page()


def test_page_renders_the_seed_example(at):
    assert not at.exception
    assert at.title[0].value == "Gradient descent"
    table = at.dataframe[0].value
    k = np.arange(len(table))
    assert len(table) == 21   # the default 20 steps, plus the start
    np.testing.assert_allclose(table["x"], 2.0 * 0.8 ** k, rtol=1e-12)
    np.testing.assert_allclose(table["f(x)"], (2.0 * 0.8 ** k) ** 2 + 3, rtol=1e-12)
    np.testing.assert_allclose(table["f'(x)"], 4.0 * 0.8 ** k, rtol=1e-12)
    assert r"x_{k+1} = x_k - \eta\, f'(x_k)" in latex(at)
    assert any("f(x) = x^2 + 3" in tex for tex in latex(at))
    assert any("2x = 0.8" in md.value for md in at.markdown)   # the rule worked through next to it
    assert at.radio(key="w_gd_preset").value == "good"
    assert at.select_slider(key="w_gd_lr").value == 0.1


def test_page_shows_both_animations_with_their_frames(at):
    figs = charts(at)
    one_d, two_d = figs[0], figs[1]
    assert len(one_d["frames"]) == 21
    assert [b["label"] for b in one_d["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert len(one_d["layout"]["sliders"][0]["steps"]) == 21
    bowl = FUNCTIONS_2D["bowl"]
    assert len(two_d["frames"]) == bowl.steps + 1
    legend = [t["name"] for t in two_d["data"] if t.get("showlegend") is not False]
    assert legend[:3] == ["gradient descent", "momentum", "Adam"]
    formulas = " ".join(latex(at))
    assert r"\leftarrow \mu v - \eta" in formulas and r"\beta_1" in formulas
    assert any("Why momentum helps in a narrow valley" in md.value for md in at.markdown)


def test_the_network_section_plots_the_three_batch_modes(at):
    if not data.available().get("mnist"):
        assert any("MNIST" in el.value for el in at.info)
        pytest.skip("MNIST is not on this machine")
    modes = charts(at)[2]
    bold = [t["name"] for t in modes["data"] if t.get("showlegend") is not False]
    assert bold == ["full batch", "mini-batch of 32", "per sample"]
    assert "optimizer steps" in modes["layout"]["xaxis"]["title"]["text"]
    at.radio(key="gd_axis").set_value("seconds").run()
    assert not at.exception
    assert "training seconds" in charts(at)[2]["layout"]["xaxis"]["title"]["text"]


def test_presets_set_the_rate_and_divergence_is_shown_not_crashed():
    at = open_page()
    at.radio(key="w_gd_preset").set_value("far too large").run()
    assert not at.exception
    assert at.select_slider(key="w_gd_lr").value == FUNCTIONS_1D["quadratic"].presets["far too large"]
    warning = " ".join(w.value for w in at.warning)
    assert "Diverged" in warning and "animation plays the finite part" in warning
    table = at.dataframe[0].value
    assert 1 < len(table) < 21 and np.all(np.isfinite(table["x"]))
    assert len(charts(at)[0]["frames"]) == len(table)
    # Moving the rate off every preset clears the preset choice.
    at.select_slider(key="w_gd_lr").set_value(0.2).run()
    assert at.radio(key="w_gd_preset").value is None and not at.warning


def test_two_minima_start_decides_where_descent_ends():
    at = open_page()
    at.selectbox(key="w_gd_fn1").set_value("two_minima").run()
    at.slider(key="w_gd_steps1").set_value(60).run()
    right = at.dataframe[0].value["x"].iloc[-1]
    at.slider(key="w_gd_start").set_value(0.0).run()
    left = at.dataframe[0].value["x"].iloc[-1]
    assert not at.exception and right > 1 and left < -1


def test_2d_surfaces_render_and_a_diverging_optimizer_is_reported():
    at = open_page()
    for name in FUNCTIONS_2D:
        at.selectbox(key="w_gd_fn2").set_value(name).run()
        assert not at.exception and not at.warning
        assert FUNCTIONS_2D[name].latex in latex(at)
    at.select_slider(key="gd_lr2_himmelblau_sgd").set_value(0.1).run()
    assert not at.exception
    assert any(w.value.startswith("gradient descent: Diverged") for w in at.warning)
    heads = charts(at)[1]["frames"][-1]["data"]
    assert all(np.isfinite(v) for trace in heads for v in trace["x"] + trace["y"])


def test_the_link_keeps_function_preset_eta_start_steps_and_surface():
    at = open_page()
    at.selectbox(key="w_gd_fn1").set_value("two_minima").run()
    at.select_slider(key="w_gd_lr").set_value(0.5).run()
    at.slider(key="w_gd_start").set_value(0.0).run()
    at.slider(key="w_gd_steps1").set_value(60).run()
    at.selectbox(key="w_gd_fn2").set_value("saddle").run()
    link = {k: at.query_params[k] for k in ("function", "preset", "eta", "start", "steps", "surface")}
    assert link == {"function": "two_minima", "preset": "too large", "eta": "0.5", "start": "0",
                    "steps": "60", "surface": "saddle"}
    table = at.dataframe[0].value
    again = open_page(link)   # a new visitor following the link sees the same view
    assert not again.exception and not again.warning
    assert again.radio(key="w_gd_preset").value == "too large"
    assert again.select_slider(key="w_gd_lr").value == 0.5 and again.selectbox(key="w_gd_fn2").value == "saddle"
    np.testing.assert_array_equal(again.dataframe[0].value["x"], table["x"])


def test_a_rate_off_the_presets_is_kept_as_custom_and_bad_values_are_named():
    at = open_page({"function": "quadratic", "preset": "good", "eta": "0.2", "start": "1.5", "steps": "5",
                    "surface": "bowl"})
    assert at.radio(key="w_gd_preset").value is None and at.query_params["preset"] == "custom"
    assert at.select_slider(key="w_gd_lr").value == 0.2 and len(at.dataframe[0].value) == 6
    bad = open_page({"function": "cubic", "preset": "huge", "eta": "7.77", "start": "99", "steps": "0",
                     "surface": "moon"})
    assert not bad.exception
    note = bad.warning[0].value
    for words in ("function=cubic", "preset=huge", "eta=7.77", "start=99", "steps=0", "surface=moon"):
        assert words in note
    assert len(bad.dataframe[0].value) == 21 and bad.select_slider(key="w_gd_lr").value == 0.1


@pytest.mark.parametrize("name", list(FUNCTIONS_1D))
def test_each_preset_caption_says_what_its_run_does(name):
    """The preset's caption and the "This run" line agree with the run the page shows."""
    at = open_page({"function": name})
    fn = FUNCTIONS_1D[name]
    captions = list(at.radio(key="w_gd_preset").proto.captions)
    for preset, caption in zip(descent.PRESET_NAMES, captions, strict=True):
        assert caption == f"η = {fn.presets[preset]:g}. {descent.BEHAVIOUR_NOTES[fn.behaviour(preset)]}"
    for preset in descent.PRESET_NAMES:
        at.radio(key="w_gd_preset").set_value(preset).run()
        x0, steps = at.slider(key="w_gd_start").value, at.slider(key="w_gd_steps1").value
        run = descent.descend_1d(name, x0, fn.presets[preset], steps)
        assert descent.behaviour(run) == fn.behaviour(preset)
        assert any(c.value.endswith(descent.run_note(run)) and c.value.startswith("**This run") for c in at.caption)


def test_the_this_run_line_follows_the_steps_shown():
    """Too small a rate for 100 steps gets x from 2 to 0.27: the line gives those numbers and does not
    call it far from the minimum (the preset's caption, for its default 20 steps, still may)."""
    at = open_page({"function": "quadratic", "preset": "too small", "steps": "100"})
    line = next(c.value for c in at.caption if c.value.startswith("**This run"))
    x = descent.descend_1d("quadratic", 2.0, 0.01, 100).theta[:, 0]
    assert "100 steps" in line and f"from 2 to {x[-1]:.3g}" in line and "far from" not in line
    assert abs(x[-1] - 2 * 0.98 ** 100) < 1e-12


def test_the_batch_mode_sentence_names_the_leader_of_each_axis(at):
    if not data.available().get("mnist"):
        pytest.skip("MNIST is not on this machine")
    from ui.data import load_builtin
    ds = load_builtin("mnist")
    curves = descent.batch_mode_curves(ds.x_train, ds.y_train, seed=0)
    sentence = next(m.value for m in at.markdown if m.value.startswith("**In this run**"))
    for axis in ("steps", "samples"):   # seconds differ from run to run; steps and samples do not
        best, loss, _ = batch_modes.leader(curves, axis)
        assert f"**{best}** is lowest (loss {loss:.2f})" in sentence
    assert "hint, not a law" in " ".join(c.value for c in at.caption)
