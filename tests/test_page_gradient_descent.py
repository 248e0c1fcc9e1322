"""The Gradient descent page under AppTest: what it shows, its presets, divergence and the 2-D race."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from appserver import open_app
from mnistcore import data
from mnistcore.descent import FUNCTIONS_1D, FUNCTIONS_2D

PAGE = "pages/gradient_descent.py"
TIMEOUT = 90  # the first run loads MNIST and trains the three small networks of the last section


def open_page() -> AppTest:
    return open_app(PAGE, timeout=TIMEOUT)


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
    assert at.radio(key="gd_preset_quadratic").value == "good"
    assert at.select_slider(key="gd_lr_quadratic").value == 0.1


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
    at.radio(key="gd_preset_quadratic").set_value("far too large").run()
    assert not at.exception
    assert at.select_slider(key="gd_lr_quadratic").value == FUNCTIONS_1D["quadratic"].presets["far too large"]
    warning = " ".join(w.value for w in at.warning)
    assert "Diverged" in warning and "animation plays the finite part" in warning
    table = at.dataframe[0].value
    assert 1 < len(table) < 21 and np.all(np.isfinite(table["x"]))
    assert len(charts(at)[0]["frames"]) == len(table)
    # Moving the rate off every preset clears the preset choice.
    at.select_slider(key="gd_lr_quadratic").set_value(0.2).run()
    assert at.radio(key="gd_preset_quadratic").value is None and not at.warning


def test_two_minima_start_decides_where_descent_ends():
    at = open_page()
    at.selectbox(key="gd_fn1").set_value("two_minima").run()
    at.slider(key="gd_steps1").set_value(60).run()
    right = at.dataframe[0].value["x"].iloc[-1]
    at.slider(key="gd_start_two_minima").set_value(0.0).run()
    left = at.dataframe[0].value["x"].iloc[-1]
    assert not at.exception and right > 1 and left < -1


def test_2d_surfaces_render_and_a_diverging_optimizer_is_reported():
    at = open_page()
    for name in FUNCTIONS_2D:
        at.selectbox(key="gd_fn2").set_value(name).run()
        assert not at.exception and not at.warning
        assert FUNCTIONS_2D[name].latex in latex(at)
    at.select_slider(key="gd_lr2_himmelblau_sgd").set_value(0.1).run()
    assert not at.exception
    assert any(w.value.startswith("gradient descent: Diverged") for w in at.warning)
    heads = charts(at)[1]["frames"][-1]["data"]
    assert all(np.isfinite(v) for trace in heads for v in trace["x"] + trace["y"])
