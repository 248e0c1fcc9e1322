"""The glossary, reachable from every page: a popover at the foot of the sidebar (app.py calls it)."""
from __future__ import annotations

import streamlit as st

from mnistcore.glossary import GLOSSARY


def glossary_text() -> str:
    """The glossary as Markdown: one bold term and its explanation a line."""
    return "\n".join(f"- **{term}**: {text}" for term, text in GLOSSARY.items())


def sidebar_glossary() -> None:
    """A "Glossary" popover in the sidebar, the same on every page."""
    with st.sidebar.popover("Glossary", icon=":material/menu_book:", width="stretch"):
        st.markdown(glossary_text())
