"""Loading rubric files from the configured folder, with file/line/field errors."""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..errors import FileProblems, NotFound, Problem
from ..yamlfile import load_model, parse_yaml, validate_data
from .rubric import Rubric

DEFAULT_RUBRIC = "complaint-handling"


def load_rubric(path: Path) -> Rubric:
    """Load one rubric file; raise :class:`FileProblems` naming file, line and field."""
    return load_model(Rubric, path)


def parse_rubric(text: str, name: str = "<rubric>") -> Rubric:
    """Validate rubric YAML held in memory (an editor, a test)."""
    data, lines = parse_yaml(text, name)
    return validate_data(Rubric, data, name, lines)


class RubricLibrary:
    """All rubric files in one folder (``rubrics/*.yaml``), loaded once.

    Broken files do not stop the others from loading; they are kept in ``problems``.
    Subfolders (such as ``rubrics/exams/``) are not rubrics and are not read.
    """

    def __init__(self, folder: Path | None = None):
        self.folder = folder or config.rubrics_dir()
        self.rubrics: dict[str, Rubric] = {}
        self.paths: dict[str, Path] = {}
        self.problems: list[Problem] = []
        for path in sorted(self.folder.glob("*.yaml")):
            try:
                rubric = load_rubric(path)
            except FileProblems as exc:
                self.problems += exc.problems
                continue
            if rubric.id in self.rubrics:
                self.problems.append(Problem(str(path), f"duplicate rubric id {rubric.id!r} "
                                             f"(also in {self.paths[rubric.id].name})",
                                             None, "id"))
                continue
            self.rubrics[rubric.id] = rubric
            self.paths[rubric.id] = path

    def ids(self) -> list[str]:
        return sorted(self.rubrics)

    def get(self, rubric_id: str | None = None) -> Rubric:
        """The rubric with this id (the default one when None); :class:`NotFound` otherwise."""
        rubric_id = rubric_id or DEFAULT_RUBRIC
        try:
            return self.rubrics[rubric_id]
        except KeyError:
            known = ", ".join(self.ids()) or "none"
            raise NotFound(f"no rubric {rubric_id!r} in {self.folder} (known: {known})") from None
