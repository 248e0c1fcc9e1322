"""Draw page: draw (or upload) a digit, see the 28x28 input the network sees and what it thinks."""
import time

import streamlit as st

from mnistcore.figures import draw as fig
from mnistcore.model import MLP
from mnistcore.predict import SHIPPED_MODEL, layer_outputs, predict_image, top_units
from mnistcore.preprocess import EmptyImageError, canvas_image, display_image, load_image
from ui import experiments, state
from ui.canvas import digit_pad
from ui.data import label
from ui.models import held_model, shipped_model
from ui.one_step import open_with_drawing
from ui.router import route_through_app

route_through_app()  # a deep link after a server start: go through app.py

CANVAS = state.DRAW_CANVAS   # session keys: all defined in ui.state
SOURCE, UPLOAD, MODEL, RAW, TIMES_X = state.DRAW_SOURCE, state.DRAW_UPLOAD, state.DRAW_MODEL, state.DRAW_RAW, state.DRAW_TIMES_X
TRAINED_MODEL = state.TRAINED_MODEL   # set by the Train page
DRAW, FILE = "Draw", "Upload a picture"
READY, YOURS = "Ready-trained model", "Your model from the Train page"
SIZE, PEN = 280, 20           # canvas 280 px = 10x the 28 px input; a 20 px pen, like MNIST's strokes
TOP_UNITS = 8
INSIDE = "draw_inside"        # toggle: draw the hidden layers' charts with each stroke


def trained_model() -> tuple[MLP, dict] | None:
    """(model, meta) of this visitor's Train page, if there is one."""
    held = held_model()
    return (held.model, {**held.meta, "dataset": held.dataset or held.meta.get("dataset", "mnist")}) if held else None


st.title("Draw a digit")
st.write("Draw a digit with the mouse (or a finger): the network reads it as you draw, and again each time "
         "you lift the pen.")
experiments.link_note("draw")   # a try= link: its question is at the foot of the page

options = [READY] + ([YOURS] if trained_model() is not None else [])
choice = st.radio("Model", options, horizontal=True, key=MODEL) if len(options) > 1 else READY
if choice == YOURS:
    model, meta = trained_model()
    if meta.get("dataset", "mnist") != "mnist":
        st.warning(f"This model learned {label(meta['dataset'])}, not digits: it names what it was trained on.")
else:
    try:
        model, meta = shipped_model()
    except ValueError as e:
        st.error(f"The ready-trained model could not be loaded ({e}). Rebuild it with "
                 f"`python -m mnistcore train --preset default --save {SHIPPED_MODEL.relative_to(SHIPPED_MODEL.parents[2])}`, "
                 "or train one on the Train page.")
        st.stop()
names = meta.get("class_names") or [str(c) for c in range(10)]
sidebar_choice = st.session_state.get(state.DATASET, "mnist")
if choice == READY and sidebar_choice != "mnist":
    st.info(f"The data set chosen in the sidebar ({label(sidebar_choice, st.session_state.get(state.UPLOAD))}) "
            "does not change this page: the ready-trained model learned MNIST digits and reads every "
            "drawing as a digit. To read other classes, train a model on that data set on the Train "
            "page and pick it here.", icon=":material/info:")

@st.fragment
def reader() -> None:
    """The canvas (or upload) and everything read from it. A stroke reruns only this fragment,
    not the page around it; the model was chosen outside it (the module's `model`, `names`)."""
    source = st.radio("Input", [DRAW, FILE], horizontal=True, key=SOURCE, label_visibility="collapsed",
                      help="Draw with the mouse or a finger, or upload a picture of a digit.")
    left, right = st.columns(2)
    image = None
    with left:
        if source == DRAW:
            st.caption("Your drawing")
            start = time.perf_counter()
            try:   # the PNG the browser sent, checked before it is decoded
                image = canvas_image(digit_pad(CANVAS, SIZE, PEN))
            except ValueError as e:
                st.error(f"The drawing cannot be read: {e}")
        else:
            upload = st.file_uploader("A picture of one digit", type=["png", "jpg", "jpeg"],
                                      max_upload_size=10, key=UPLOAD)
            start = time.perf_counter()
            if upload is not None:
                try:
                    image = load_image(upload.getvalue())
                except ValueError as e:
                    st.error(f"{upload.name}: {e}")
                else:
                    st.image(display_image(image), width=SIZE)   # what we made, never the upload

    try:
        p, x = predict_image(model, image) if image is not None else (None, None)
    except EmptyImageError:
        p = None
    except ValueError as e:
        st.error(f"This picture cannot be read as a digit: {e}")
        return
    ms = (time.perf_counter() - start) * 1000

    with right:
        if p is None:
            st.info("Draw a digit on the black square (or upload a picture of one) and the network "
                    "will read it.", icon=":material/draw:")
            return
        st.html(fig.input_html(x))
        k = int(p.argmax())
        st.metric("Prediction", names[k], f"probability {p[k]:.1%}", delta_color="off", delta_arrow="off")
        st.caption(f"{ms:.0f} ms from the drawing arriving to the prediction")
        if st.button("Wrong? Teach it your digit", icon=":material/school:", key="draw_teach",
                     help="Give the right label and watch a few training steps on your drawing (One step page)"):
            open_with_drawing(x, "trained" if choice == YOURS else "ready")

    st.html(fig.probability_html(p, names))
    st.latex(r"p = \mathrm{softmax}(z), \quad p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}")
    st.caption("The ten outputs z of the last layer become probabilities that add up to 1.")

    st.subheader("Why the drawing is cropped, scaled and centred")
    st.write("Every MNIST digit was scaled to fit a 20x20 box and placed in the 28x28 square so that its "
             "centre of mass sits in the middle. The network has only ever seen digits like that: a "
             "pixel in a corner it never saw ink in has weights that were never trained. So your "
             "drawing is made the same way before the network reads it.")
    st.latex(r"(\bar r, \bar c) = \frac{\sum_{r,c} x_{rc}\,(r, c)}{\sum_{r,c} x_{rc}} \;\to\; (14, 14)")
    st.caption("Crop to the ink, scale the longer side to 20 pixels, then shift the digit so that its centre "
               "of mass (the ink-weighted mean row and column) lands on the middle of the 28x28 square.")
    if st.toggle("Show the prediction without this preprocessing", key=RAW):
        p_raw, x_raw = predict_image(model, image, preprocess=False)
        a, b = st.columns(2)
        a.html(fig.input_html(x_raw, "the whole canvas squeezed to 28x28"))
        b.metric("Without preprocessing", names[int(p_raw.argmax())], f"probability {p_raw.max():.1%}",
                 delta_color="off", delta_arrow="off")
        b.html(fig.probability_html(p_raw, names))

    st.subheader("Inside the network")
    if not st.toggle("Show what the hidden layers do with your drawing", key=INSIDE):
        st.caption("Off, each stroke redraws only the prediction above, which is quicker; on, the bars of "
                   "every hidden unit and the weights of the most active ones follow each stroke too.")
        return
    outputs = layer_outputs(model, x.reshape(1, -1))
    hidden = [a[0] for a in outputs[:-1]]
    if not hidden:
        st.write("This model has no hidden layer: each class's weights are a template the input is "
                 "compared with. Here are the ten templates.")
        st.plotly_chart(fig.unit_weights_figure(model.W[0], range(10), None, cols=5))
        return
    st.latex(r"a_1 = f(x W_1 + b_1)")
    st.caption(f"Each hidden unit weighs all 784 pixels x and passes the sum through f = {model.activation}; "
               "the bars are a₁ for your digit.")
    for layer, a in enumerate(hidden, start=1):
        top = top_units(a, TOP_UNITS) if layer == 1 else []
        st.plotly_chart(fig.activation_figure(a, top, layer), config={"displayModeBar": False}, key=f"act{layer}")
    st.write(f"The {TOP_UNITS} first-layer units that fired most, as the 28x28 pattern each one looks "
             "for (red: ink there raises the unit, blue: ink there lowers it).")
    times_x = st.toggle("Multiply by your digit (w × x: where your ink met the weights)", key=TIMES_X)
    top = top_units(hidden[0], TOP_UNITS)
    st.plotly_chart(fig.unit_weights_figure(model.W[0], top, hidden[0], cols=4, x=x if times_x else None),
                    config={"displayModeBar": False})


reader()
experiments.try_this("draw", model=model)  # this page's guided experiment (issue 17)
