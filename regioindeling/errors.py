"""The one error type a user ever sees: what is wrong, where, and how to fix it."""

from __future__ import annotations

from pathlib import Path

# A message may quote what was in the file (a header, a code); keep the line one readable line whatever it holds.
_LIMITS = {"where": 200, "field": 80, "problem": 600, "fix": 300}


def _clean(text: str, limit: int) -> str:
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        """``<where>[, field '<field>']: <problem>; fix: <fix>`` on one line, however odd the quoted input."""
        where = _clean(self.where, _LIMITS["where"])
        loc = where if self.field is None else f"{where}, field '{_clean(self.field, _LIMITS['field'])}'"
        return f"{loc}: {_clean(self.problem, _LIMITS['problem'])}; fix: {_clean(self.fix, _LIMITS['fix'])}"
