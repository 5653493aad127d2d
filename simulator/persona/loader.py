"""Loading persona files from the configured folder, with file/line/field errors.

A file is the persona in its base language plus per-language overlays
(:mod:`.overlay`); loading resolves every overlay at once, so a problem in one names the
overlay's own line and field.
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..errors import FileProblems, Problem
from ..library import FileLibrary
from ..yamlfile import parse_yaml, read_text, validate_data
from .model import Persona
from .overlay import PersonaFile


def read_persona(text: str, name: str = "<persona>") -> tuple[PersonaFile, list[Problem]]:
    """Validate persona YAML; return the persona and the problems of its language overlays
    (a broken overlay leaves the base persona usable). A broken base raises
    :class:`FileProblems`."""
    data, lines = parse_yaml(text, name)
    persona = validate_data(PersonaFile, data, name, lines)
    return persona, persona.resolve_languages(name, lines)


def parse_persona(text: str, name: str = "<persona>") -> PersonaFile:
    """Validate persona YAML held in memory (the web UI's editor), overlays included."""
    persona, problems = read_persona(text, name)
    if problems:
        raise FileProblems(problems)
    return persona


def load_persona(path: Path) -> PersonaFile:
    """Load one persona file, overlays included; raise :class:`FileProblems` naming file,
    line and field."""
    return parse_persona(read_text(path), str(path))


class PersonaLibrary(FileLibrary[PersonaFile]):
    """All persona files in one folder, loaded once. Broken files are kept as problems; a
    file whose base is sound but one language overlay broken is kept, without that
    language, and the overlay's problems are kept too."""

    def __init__(self, folder: Path | None = None):
        super().__init__(PersonaFile, "persona", folder or config.personas_dir())

    def _load(self, path: Path) -> PersonaFile:
        persona, problems = read_persona(read_text(path), str(path))
        self.problems += problems
        return persona

    @property
    def personas(self) -> dict[str, PersonaFile]:
        """Every loaded persona by id."""
        return self.items

    def get_in(self, persona_id: str, language: str | None) -> Persona:
        """The persona played in ``language`` (its base language when None)."""
        persona = self.get(persona_id)
        return persona if language is None else persona.in_language(language)
