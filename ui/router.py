"""Make every visit go through app.py's router, even a deep link right after a server start.

Streamlit treats a folder named ``pages/`` beside the entrypoint as a legacy
multipage app until some session runs ``st.navigation``. So the first visitor
after a (re)start who arrives by a shared link such as ``/dataset?split=test``
would get pages/dataset.py run on its own: no router, no data set choice, no
page config. Each page calls ``route_through_app()`` first: in that legacy
mode it switches the legacy mode off (as ``st.navigation`` itself does) and
reruns, and the rerun goes through app.py to the same page, query string kept.
"""
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager  # pinned Streamlit: see requirements.txt


def route_through_app() -> None:
    """Rerun through app.py if Streamlit ran this page file without the router."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
