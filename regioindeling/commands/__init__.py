"""CLI command groups; each module has ``register(app, data_app)``."""
