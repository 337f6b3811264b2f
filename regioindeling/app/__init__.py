"""The planner's Streamlit app: map layers, the scenario form, background runs, files and the scenario store.

``app.py`` only wires pages together; everything here is importable (and testable) without a running server.
"""
