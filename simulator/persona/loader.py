"""Loading persona files from the configured folder, with file/line/field errors."""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..library import FileLibrary
from ..yamlfile import load_model, parse_model
from .model import Persona


def load_persona(path: Path) -> Persona:
    """Load one persona file; raise :class:`FileProblems` naming file, line and field."""
    return load_model(Persona, path)


def parse_persona(text: str, name: str = "<persona>") -> Persona:
    """Validate persona YAML held in memory (the web UI's editor)."""
    return parse_model(Persona, text, name)


class PersonaLibrary(FileLibrary[Persona]):
    """All persona files in one folder, loaded once. Broken files are kept as problems."""

    def __init__(self, folder: Path | None = None):
        super().__init__(Persona, "persona", folder or config.personas_dir())

    @property
    def personas(self) -> dict[str, Persona]:
        """Every loaded persona by id."""
        return self.items
