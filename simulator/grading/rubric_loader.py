"""Loading rubric files from the configured folder, with file/line/field errors.

A file is the rubric in its base language plus per-language overlays
(:mod:`.rubric_overlay`); an overlay naming a stage, criterion, level or phrasing rule the
base lacks is an error at the overlay's own line.
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..errors import FileProblems, Problem
from ..library import FileLibrary
from ..yamlfile import parse_yaml, read_text, validate_data
from .rubric import Rubric
from .rubric_overlay import missing_texts, overlay_problems

DEFAULT_RUBRIC = "complaint-handling"


def read_rubric(text: str, name: str = "<rubric>") -> tuple[Rubric, list[Problem]]:
    """Validate rubric YAML; return the rubric and what its languages still lack (for
    ``frontline validate``). A broken file or an overlay naming an unknown id raises
    :class:`FileProblems`."""
    data, lines = parse_yaml(text, name)
    rubric = validate_data(Rubric, data, name, lines)
    unknown = overlay_problems(rubric, name, lines)
    if unknown:
        raise FileProblems(unknown)
    return rubric, missing_texts(rubric, name, lines)


def load_rubric(path: Path) -> Rubric:
    """Load one rubric file; raise :class:`FileProblems` naming file, line and field."""
    return read_rubric(read_text(path), str(path))[0]


def parse_rubric(text: str, name: str = "<rubric>") -> Rubric:
    """Validate rubric YAML held in memory (an editor, a test)."""
    return read_rubric(text, name)[0]


def rubric_gaps(path: Path) -> list[Problem]:
    """What each language a rubric file offers still lacks, one problem per overlay part
    (``file:line: languages.es.criteria: missing in this language: mood-first.tip``)."""
    return read_rubric(read_text(path), str(path))[1]


class RubricLibrary(FileLibrary[Rubric]):
    """All rubric files in one folder (``rubrics/*.yaml``), loaded once.

    Broken files do not stop the others from loading; they are kept in ``problems``.
    Subfolders (such as ``rubrics/exams/``) are not rubrics and are not read.
    """

    def __init__(self, folder: Path | None = None):
        super().__init__(Rubric, "rubric", folder or config.rubrics_dir())

    def _load(self, path: Path) -> Rubric:
        return load_rubric(path)

    @property
    def rubrics(self) -> dict[str, Rubric]:
        """Every loaded rubric by id."""
        return self.items

    def get(self, rubric_id: str | None = None) -> Rubric:
        """The rubric with this id (the default one when None); :class:`NotFound` otherwise."""
        return super().get(rubric_id or DEFAULT_RUBRIC)
