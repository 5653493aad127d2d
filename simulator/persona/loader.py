"""Loading persona files from the configured folder, with file/line/field errors."""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..errors import FileProblems, NotFound, Problem
from ..yamlfile import load_model, parse_yaml, validate_data
from .model import Persona


def load_persona(path: Path) -> Persona:
    """Load one persona file; raise :class:`FileProblems` naming file, line and field."""
    return load_model(Persona, path)


def parse_persona(text: str, name: str = "<persona>") -> Persona:
    """Validate persona YAML held in memory (the web UI's editor)."""
    data, lines = parse_yaml(text, name)
    return validate_data(Persona, data, name, lines)


class PersonaLibrary:
    """All persona files in one folder, loaded once. Broken files are kept as problems."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or config.personas_dir()
        self.personas: dict[str, Persona] = {}
        self.paths: dict[str, Path] = {}
        self.problems: list[Problem] = []
        for path in sorted(self.folder.glob("*.yaml")):
            try:
                persona = load_persona(path)
            except FileProblems as exc:
                self.problems += exc.problems
                continue
            if persona.id in self.personas:
                self.problems.append(Problem(str(path), f"duplicate persona id {persona.id!r} "
                                             f"(also in {self.paths[persona.id].name})",
                                             None, "id"))
                continue
            self.personas[persona.id] = persona
            self.paths[persona.id] = path

    def ids(self) -> list[str]:
        return sorted(self.personas)

    def get(self, persona_id: str) -> Persona:
        """The persona with this id; :class:`NotFound` lists what exists."""
        try:
            return self.personas[persona_id]
        except KeyError:
            known = ", ".join(self.ids()) or "none"
            raise NotFound(f"no persona {persona_id!r} in {self.folder} (known: {known})") from None
