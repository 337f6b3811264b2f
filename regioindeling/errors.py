"""The one error type a user ever sees: what is wrong, where, and how to fix it."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A bad input, reported as one line naming the file, the field and the fix.

    The CLI turns it into exit code 2 and the app into a red message box; neither shows a traceback.
    """

    def __init__(self, where: str | Path, problem: str, fix: str, field: str | None = None) -> None:
        self.where = str(where)
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        loc = self.where if self.field is None else f"{self.where}, field '{self.field}'"
        return f"{loc}: {self.problem}; fix: {self.fix}"
