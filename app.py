"""The router: one st.Page per file in pages/."""
import streamlit as st

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/dataset.py", title="Dataset", icon=":material/grid_view:"),
    st.Page("pages/gradient_descent.py", title="Gradient descent", icon=":material/trending_down:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:"),
]
st.navigation(pages).run()
