"""What every customer of a language reacts to beyond the moves (``triggers.yaml`` in a pack).

A persona's own ``triggers`` are what that one customer feels; some things the sources say
every customer feels, whoever they are, and they are worded per language, so they live in
the language pack, as data a trainer extends: a prompt time limit earns more trust than a
distant one (DOMAIN §3.4 (2): "the sooner, the more trust"), and an emotional customer wants
to hear that buying was not a mistake (§1.2). The machine applies them after the persona's
own triggers; an entry may be limited to one temperament. A language whose packs have no
``triggers.yaml`` has no shared triggers.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from .. import saferegex
from ..errors import FrontlineError
from ..languages import check_folder_language
from ..languages.pack import ENV, pack_file
from ..moves.vocabulary import Move
from ..persona.model import Slug, Strict, Temperament, Trigger
from ..yamlfile import load_model

SHARED_TRIGGERS = "triggers.yaml"  # in each language pack


class SharedTrigger(Trigger):
    """A trigger every customer of the language reacts to (or every one of a temperament)."""

    id: Slug = Field(description="Names it in reports and docs.")
    temperament: Temperament | None = Field(
        None, description="Only customers of this temperament react; every customer if absent."
    )
    requires: Move | None = Field(
        None,
        description="Only inside the words that showed this move: 'today' is a prompt "
        "time limit only where the turn gives a timescale ('I can't do it today' is not).",
    )
    unless: list[Move] = Field(
        default_factory=list,
        description="Not in a turn that makes one of these moves: a guarantee "
        "(over_promise) is no time limit, however soon it promises.",
    )
    examples: list[str] = Field(
        min_length=1,
        description="Agent turns the pattern must match (checked on load, like a move's).",
    )

    @model_validator(mode="after")
    def _examples_match(self) -> SharedTrigger:
        pattern = saferegex.compile(self.pattern)
        missed = [e for e in self.examples if not pattern.search(e)]
        if missed:
            raise ValueError(f"pattern does not match its example {missed[0]!r}")
        return self


class SharedTriggers(Strict):
    """One language's shared triggers (``<pack>/triggers.yaml``)."""

    schema_version: Literal[1]
    language: str = Field(description="The pack's language code (names its folder).")
    triggers: list[SharedTrigger]


def load_shared_triggers_file(path: Path) -> SharedTriggers:
    """Load and validate one ``triggers.yaml`` (FileProblems name file:line: field)."""
    found = load_model(SharedTriggers, path)
    check_folder_language(path, found.language, "shared triggers")
    return found


@lru_cache(maxsize=32)
def _shared(language: str, folders: str) -> tuple[SharedTrigger, ...]:
    try:
        paths = pack_file(language, SHARED_TRIGGERS)
    except FrontlineError:  # a free-form language code that names no pack
        return ()
    return tuple(t for path in paths for t in load_shared_triggers_file(path).triggers)


def shared_triggers(language: str, temperament: Temperament) -> list[SharedTrigger]:
    """The shared triggers a customer of ``temperament`` speaking ``language`` reacts to,
    in file order (shipped pack first, then trainers'); none for a language no pack names.
    A broken file raises :class:`FileProblems` naming its line, as every loader does."""
    found = _shared(language, os.environ.get(ENV, ""))
    return [t for t in found if t.temperament in (None, temperament)]
