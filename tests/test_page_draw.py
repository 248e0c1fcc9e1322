"""The Draw page under AppTest (a drawing injected into the canvas's session state) and its figures."""
from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
import streamlit as st
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from mnistcore.figures.draw import activation_figure, input_html, probability_html, unit_weights_figure
from mnistcore.model import init_mlp

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "draw.py")
CANVAS = "draw_canvas"         # the page's canvas key (pages/draw.py: CANVAS)
TRAINED_MODEL = "trained_model"
try:
    from ui.state import TRAINED_MODEL  # noqa: F811  (the Train page's key, once ui/state.py has it)
except ImportError:
    pass


def drawing(shape: str, size: int = 280) -> np.ndarray:
    """What the canvas returns: RGBA, white pen 20 px on black. "0" a ring, "1" a bar, "." a speck."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    d = ImageDraw.Draw(img)
    white = (255, 255, 255, 255)
    if shape == "0":
        d.ellipse((150, 120, 250, 270), outline=white, width=20)     # off-centre, bottom right
    elif shape == "1":
        d.line([(60, 20), (70, 160)], fill=white, width=20)          # top left
    elif shape == "7":
        d.line([(80, 60), (200, 60), (120, 230)], fill=white, width=20, joint="curve")
    elif shape == ".":
        d.point((140, 140), fill=white)
    return np.asarray(img)


def png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def inject(at: AppTest, a: np.ndarray, key: str = CANVAS) -> AppTest:
    """Put a drawing into the canvas the way its frontend sends one: a PNG data URL."""
    url = "data:image/png;base64," + base64.b64encode(png(a)).decode()
    at.session_state[key] = {"drawing": {"raw": {"objects": []}, "data": url}}
    return at.run()


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    return found[0] if found else None


@pytest.fixture
def at() -> AppTest:
    st.cache_resource.clear()
    return AppTest.from_file(PAGE, default_timeout=60).run()


def test_empty_canvas_asks_for_a_digit(at):
    assert not at.exception
    assert metric(at, "Prediction") is None
    assert "Draw a digit" in at.info[0].value


@pytest.mark.parametrize("shape", ["0", "1", "7"])
def test_injected_drawing_is_read(at, shape):
    inject(at, drawing(shape))
    assert not at.exception
    m = metric(at, "Prediction")
    assert m is not None and m.value == shape
    assert m.delta.startswith("probability ")
    assert float(m.delta.split()[1].rstrip("%")) > 50


def test_speck_is_not_a_digit(at):
    inject(at, drawing("."))
    assert not at.exception
    assert metric(at, "Prediction") is None and at.info


def test_toggle_shows_the_naive_prediction(at):
    inject(at, drawing("1"))
    at.toggle(key="draw_raw").set_value(True).run()
    assert not at.exception
    assert metric(at, "Without preprocessing") is not None
    assert len(at.get("html")) == 4 and not at.get("plotly_chart")   # input and bars, with and without
    at.toggle(key="draw_inside").set_value(True).run()
    assert not at.exception and len(at.get("plotly_chart")) >= 2   # + activations and weights
    at.toggle(key="draw_times_x").set_value(True).run()
    assert not at.exception


def test_an_emptied_pad_asks_for_a_digit_again(at):
    """What the pad sends after Clear (or after undoing its last stroke): no picture."""
    inject(at, drawing("0"))
    assert metric(at, "Prediction") is not None
    at.session_state[CANVAS] = {"drawing": {"data": None}}
    at.run()
    assert not at.exception and not at.error
    assert metric(at, "Prediction") is None and "Draw a digit" in at.info[0].value


def test_each_run_tells_the_pad_which_picture_it_read(at):
    """The pad numbers its pictures; the page hands the number back, so that the pad sends its
    next picture while the pen moves only once this one has been read (ui/canvas.py)."""
    url = "data:image/png;base64," + base64.b64encode(png(drawing("1"))).decode()
    at.session_state[CANVAS] = {"drawing": {"data": url, "seq": 7}}
    at.run()
    pad = at.get("bidi_component")[0].proto
    assert pad.component_name == "mnist_explainer.digit_pad"
    assert json.loads(pad.json) == {"side": 280, "pen": 20, "preview_ms": 200, "answered": 7}
    assert metric(at, "Prediction").value == "1"


@pytest.mark.parametrize("value", [{"data": 42}, {"data": "data:image/jpeg;base64,AAAA"},
                                   {"data": "data:image/png;base64,not base64!"},
                                   {"data": "data:image/png;base64," + "A" * 3_000_000}],
                         ids=["a number", "not a PNG", "not base64", "too long"])
def test_a_forged_drawing_is_refused_with_a_message(at, value):
    """The pad's value comes from the browser: anything but a PNG data URL of a sane size is refused."""
    at.session_state[CANVAS] = {"drawing": value}
    at.run()
    assert not at.exception
    assert metric(at, "Prediction") is None
    assert at.error and at.error[0].value.startswith("The drawing cannot be read: ")


def test_uploaded_picture_goes_through_the_same_path(at):
    at.radio(key="draw_source").set_value("Upload a picture").run()
    scan = 255 - drawing("7")[..., 0]                       # dark ink on white, grey PNG
    at.file_uploader[0].set_value(("seven.png", png(scan), "image/png")).run()
    assert not at.exception
    assert metric(at, "Prediction").value == "7"


def test_bad_upload_is_refused_with_a_message(at):
    at.radio(key="draw_source").set_value("Upload a picture").run()
    at.file_uploader[0].set_value(("broken.png", b"\x89PNG not really", "image/png")).run()
    assert not at.exception
    assert metric(at, "Prediction") is None
    assert "broken.png" in at.error[0].value


def test_the_train_pages_model_can_be_chosen(at):
    model = init_mlp((784, 16, 10), rng=np.random.default_rng(0))
    model.b[-1][:] = 0
    model.b[-1][3] = 100.0                                  # this model always says 3
    at.session_state[TRAINED_MODEL] = (model, {"dataset": "mnist", "class_names": list("0123456789")})
    inject(at, drawing("0"))
    assert metric(at, "Prediction").value == "0"            # still the ready model
    at.radio(key="draw_model").set_value("Your model from the Train page").run()
    assert not at.exception
    assert metric(at, "Prediction").value == "3"
    fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
    at.session_state[TRAINED_MODEL] = (model, {"dataset": "fashion", "class_names": fashion})
    at.run()
    assert metric(at, "Prediction").value == "Dress" and "Fashion-MNIST" in at.warning[0].value   # its plain name


def test_missing_shipped_model_says_how_to_rebuild_it(monkeypatch, tmp_path):
    import mnistcore.predict
    monkeypatch.setattr(mnistcore.predict, "SHIPPED_MODEL", tmp_path / "nowhere.npz")
    st.cache_resource.clear()
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "python -m mnistcore train --preset default" in at.error[0].value
    st.cache_resource.clear()


# --- the figure builders --------------------------------------------------------------------------

def test_probability_html_gives_each_class_its_bar_and_highlights_the_top_one():
    p = np.array([0.01, 0.02, 0.05, 0.7, 0.02, 0.1, 0.02, 0.03, 0.03, 0.02])
    html = probability_html(p)
    heights = [float(h) for h in re.findall(r"height: ([0-9.]+)px; background", html)]
    np.testing.assert_allclose(heights, p * 140, atol=0.05)           # bar heights follow p
    colours = re.findall(r"px; background: (#[0-9a-f]+)", html)
    assert len(colours) == 10 and colours.count(colours[3]) == 1      # only the top bar has its colour
    assert 'title="3: 70.0%"' in html and ">70%<" in html


def test_probability_html_escapes_class_names_from_a_visitors_data_set():
    html = probability_html(np.array([0.4, 0.6]), ["<b>cat</b>", 'dog" onmouseover="x'])
    assert "<b>cat</b>" not in html and "&lt;b&gt;cat&lt;/b&gt;" in html
    assert 'onmouseover="x' not in html
    with pytest.raises(ValueError, match="2 probabilities but 3 class names"):
        probability_html(np.array([0.4, 0.6]), ["a", "b", "c"])


def test_input_html_shows_the_pixels_as_is():
    x = np.zeros((28, 28), np.float32)
    x[5, 7], x[20, 3] = 1, 0.5
    src = re.search(r'src="data:image/png;base64,([^"]+)"', input_html(x)).group(1)
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(src))))
    assert shown.shape == (28, 28)                                    # one PNG pixel per input pixel
    assert shown[5, 7] == 255 and shown[20, 3] == 128 and shown.sum() == 255 + 128   # row 0 on top


def test_activation_figure_counts_active_units():
    a = np.array([0.0, 2.0, 0.0, 0.5, 1.0])
    f = activation_figure(a, top=[1, 4])
    assert "3 of 5 units active" in f.layout.title.text
    colours = list(f.data[0].marker.color)
    assert colours[1] == colours[4] != colours[0]


def test_unit_weights_figure_tiles_each_unit_scaled_to_its_max():
    rng = np.random.default_rng(0)
    W0 = rng.normal(size=(784, 6))
    f = unit_weights_figure(W0, [4, 1, 2], cols=2)
    z = np.asarray(f.data[0].z, dtype=float)
    assert z.shape == (2 * 30 - 2, 2 * 30 - 2)
    np.testing.assert_allclose(z[:28, :28], W0[:, 4].reshape(28, 28) / np.abs(W0[:, 4]).max())
    assert np.isnan(z[30:, 30:]).all()                      # no fourth unit: empty tile
    assert len(f.layout.annotations) == 3
    x = np.zeros((28, 28))
    x[10:12, 10:12] = 1
    z_times_x = np.asarray(unit_weights_figure(W0, [4], x=x).data[0].z, dtype=float)
    assert np.count_nonzero(z_times_x) == 4                 # only where there is ink
    with pytest.raises(ValueError):
        unit_weights_figure(W0, [])
