"""Streamlit entry point: ``streamlit run app.py`` (the pages live in regioindeling/app/)."""

from regioindeling.app.main import main

main()
