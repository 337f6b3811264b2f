"""``diagnose``: placeholder replaced below."""
def register(app, data_app):
    pass
