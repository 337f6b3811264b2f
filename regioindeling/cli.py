"""The ``regioindeling`` command line.

Each command group lives in its own module under :mod:`regioindeling.commands` and registers itself on the
Typer apps below. Bad input of any kind becomes one line on stderr and exit code 2; never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from regioindeling.errors import InputError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Redraw the samenwerkingsverbanden passend onderwijs: one SWV for po and vo, "
                  "inside one jeugdzorgregio, close to home.")
data_app = typer.Typer(no_args_is_help=True, help="Build, fetch and inspect the national dataset.")
app.add_typer(data_app, name="data")

# Modules that register commands with ``register(app, data_app)``; order is the order in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "regioindeling.commands.data",
    "regioindeling.commands.diagnose",
    "regioindeling.commands.solve",
    "regioindeling.commands.evaluate",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app, data_app)

EXIT_VIOLATION = 1
EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns (and, without ``argv``, exits with) the exit code.

    Commands signal "a hard constraint is violated" with ``raise typer.Exit(EXIT_VIOLATION)``; Typer itself turns
    usage errors into exit code 2.
    """
    try:
        app(args=argv, standalone_mode=True, prog_name="regioindeling")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_BAD_INPUT)
    except InputError as exc:
        typer.echo(f"error: {exc.line()}", err=True)
        code = EXIT_BAD_INPUT
    except MemoryError:
        typer.echo("error: out of memory; fix: choose a smaller region (--jeugdregio) or unit level", err=True)
        code = EXIT_BAD_INPUT
    if argv is None:
        sys.exit(code)
    return code
