"""regioindeling: redraw the Dutch samenwerkingsverbanden passend onderwijs (SWV).

One SWV for po and vo together, close to home, inside one jeugdzorgregio.
"""

from regioindeling.errors import InputError

__version__ = "0.1.0"
__all__ = ["InputError", "__version__"]
