"""The router: one st.Page per file in pages/, and the data set choice that every page shares."""
import streamlit as st

from ui.data import choose_dataset
from ui.glossary import sidebar_glossary
from ui.lesson import other_page
from ui import lost_work, warmup

st.set_page_config(page_title="MNIST explainer", page_icon=":material/neurology:", layout="wide")
warmup.start()         # once per process: the pages' shared runs computed before the first visitor asks

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/dataset.py", title="Dataset", icon=":material/grid_view:"),
    st.Page("pages/gradient_descent.py", title="Gradient descent", icon=":material/trending_down:"),
    st.Page("pages/one_step.py", title="One step", icon=":material/footprint:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/inside.py", title="Inside the network", icon=":material/neurology:"),
    st.Page("pages/lab.py", title="Lab", icon=":material/science:"),
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
]
page = st.navigation(pages)
lost_work.check(page.url_path)  # a reload or a lost server session: say that the trained models are gone
choose_dataset()
sidebar_glossary()
other_page(page.url_path)  # a lesson link's note on any page (Train reads its own: ui/lesson.py)
page.run()
lost_work.done()       # what this run trained is now in the session: say so in the link
