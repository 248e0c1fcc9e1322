import streamlit as st

st.title("dataset")
st.info("This page is being built.")
