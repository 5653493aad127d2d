"""Loading rubric files from the configured folder, with file/line/field errors."""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..library import FileLibrary
from ..yamlfile import load_model, parse_model
from .rubric import Rubric

DEFAULT_RUBRIC = "complaint-handling"


def load_rubric(path: Path) -> Rubric:
    """Load one rubric file; raise :class:`FileProblems` naming file, line and field."""
    return load_model(Rubric, path)


def parse_rubric(text: str, name: str = "<rubric>") -> Rubric:
    """Validate rubric YAML held in memory (an editor, a test)."""
    return parse_model(Rubric, text, name)


class RubricLibrary(FileLibrary[Rubric]):
    """All rubric files in one folder (``rubrics/*.yaml``), loaded once.

    Broken files do not stop the others from loading; they are kept in ``problems``.
    Subfolders (such as ``rubrics/exams/``) are not rubrics and are not read.
    """

    def __init__(self, folder: Path | None = None):
        super().__init__(Rubric, "rubric", folder or config.rubrics_dir())

    @property
    def rubrics(self) -> dict[str, Rubric]:
        """Every loaded rubric by id."""
        return self.items

    def get(self, rubric_id: str | None = None) -> Rubric:
        """The rubric with this id (the default one when None); :class:`NotFound` otherwise."""
        return super().get(rubric_id or DEFAULT_RUBRIC)
