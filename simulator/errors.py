"""Errors a user can act on: each names the file, the line and the field at fault.

Every loader in Frontline raises :class:`FileProblems` instead of letting a parser's
or pydantic's exception escape, so the CLI and the web UI can print one clear line
per problem and never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    file: str
    message: str
    line: int | None = None
    field: str = ""

    @property
    def where(self) -> str:
        """``file:line`` (or just the file), as editors and terminals link it."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def __str__(self) -> str:
        what = f"{self.field}: " if self.field else ""
        return f"{self.where}: {what}{self.message}"


class FrontlineError(Exception):
    """Base class for errors that carry a message meant for the user."""


@dataclass
class FileProblems(FrontlineError):
    """A file (or several) could not be used; ``problems`` says why, one entry each."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class NotFound(FrontlineError):
    """A persona, rubric, session or file that was asked for does not exist."""
