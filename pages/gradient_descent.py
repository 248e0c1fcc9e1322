import streamlit as st

st.title("gradient_descent")
st.info("This page is being built.")
