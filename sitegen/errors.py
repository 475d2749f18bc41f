"""Problems found in an author's input, each naming its place and what to do.

The build collects every problem it can find and fails once, so an author fixes them all
in one pass. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: `path:line: message`."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class BuildError(Exception):
    """Raised with every problem found; the previous output is left untouched."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems))
