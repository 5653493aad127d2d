"""A folder of YAML files of one kind (personas, rubrics, exams), loaded once by id.

Every such folder is read the same way: each ``*.yaml`` directly in it is validated into
the model; a broken file does not stop the others from loading but is kept in
``problems``, as is a second file claiming an id already taken. Subfolders are not read
(``rubrics/exams/`` holds exams, not rubrics). A file that is a link leading out of the
folder is not read: it is a problem too (files are read only from the configured folders).
"""

from __future__ import annotations

from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

from .confined import confined
from .errors import FileProblems, NotFound, Problem
from .yamlfile import load_model

# Every library model has a string ``id`` that names it (a slug).
M = TypeVar("M", bound=BaseModel)


class FileLibrary(Generic[M]):
    """All ``model`` files in ``folder``, keyed by id; ``noun`` names one in messages."""

    def __init__(self, model: type[M], noun: str, folder: Path):
        self.model = model
        self.noun = noun
        self.folder = folder
        self.items: dict[str, M] = {}
        self.paths: dict[str, Path] = {}
        self.problems: list[Problem] = []
        for path in sorted(folder.glob("*.yaml")):
            try:
                item = self._load(confined(path, folder, f"{noun} folder"))
            except FileProblems as exc:
                self.problems += exc.problems
                continue
            item_id: str = item.id  # type: ignore[attr-defined]
            if item_id in self.items:
                self.problems.append(
                    Problem(
                        str(path),
                        f"duplicate {noun} id {item_id!r} (also in {self.paths[item_id].name})",
                        None,
                        "id",
                    )
                )
                continue
            self.items[item_id] = item
            self.paths[item_id] = path

    def _load(self, path: Path) -> M:
        """One file as a model; a subclass may load more (and add to ``problems``)."""
        return load_model(self.model, path)

    def ids(self) -> list[str]:
        """The ids of every file that loaded, sorted."""
        return sorted(self.items)

    def get(self, item_id: str) -> M:
        """The item with this id; :class:`NotFound` lists what exists."""
        try:
            return self.items[item_id]
        except KeyError:
            known = ", ".join(self.ids()) or "none"
            raise NotFound(
                f"no {self.noun} {item_id!r} in {self.folder} (known: {known})"
            ) from None
