"""The product's message catalogues: ``ui.yaml`` in each language pack, one key per string.

Every string a person reads outside the customer's words comes from here: the web UI,
and (keys by prefix) the scorecard, certificates and reports and the CLI's own frame, so
that grading and certification, which must not import the web layer, use the same
catalogues. A catalogue maps keys (``practice.send``) to the text a trainee reads, with
``{name}`` placeholders filled in by the caller. English is complete by definition; every other
language must have every English key, and a value equal to the English one is taken for
a leak unless ``same_as_english`` names the key with a reason ("OK" reads the same in
Spanish). A trainer's ``ui.yaml`` for a language adds keys or replaces values (last one
found wins). See docs/languages.md.
"""

from __future__ import annotations

import os
import string
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..yamlfile import load_model
from . import CODE, ENV, check_folder_language, pack_file

UI_FILE = "ui.yaml"
BASE = "en"
KEY = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
MAX_VALUE = 2000  # characters; a UI string is a label or a short paragraph


class UiCatalogue(BaseModel):
    """One language's UI strings (``simulator/languages/<code>/ui.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = Field(description="Version of this file format.")
    language: str = Field(pattern=CODE.pattern, description="The pack's language code.")
    messages: dict[str, str] = Field(
        description="Key (dotted, lower-case: 'practice.send') to the text shown. "
        "Placeholders are {name}, filled in by the page; write them as the English does."
    )
    same_as_english: dict[str, str] = Field(
        default_factory=dict,
        description="Keys whose text is rightly the same as the English (a number, 'OK'), "
        "each with the reason; any other value equal to the English is reported as a leak.",
    )

    @field_validator("messages")
    @classmethod
    def _keys_and_values(cls, messages: dict[str, str]) -> dict[str, str]:
        import re

        for key, value in messages.items():
            if not re.match(KEY, key):
                raise ValueError(f"key {key!r} is not dotted lower-case words ('practice.send')")
            if not value.strip():
                raise ValueError(f"{key}: the text is empty")
            if len(value) > MAX_VALUE:
                raise ValueError(f"{key}: longer than {MAX_VALUE} characters")
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
            except ValueError as exc:
                hint = "write {{ for a literal brace"
                raise ValueError(f"{key}: broken placeholder: {exc} ({hint})") from None
            bad = [f for f in fields if not f.isidentifier()]
            if bad:
                raise ValueError(f"{key}: placeholder {{{bad[0]}}} must be a plain name")
        return messages


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders in a catalogue value."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def load_catalogue_file(path: Path) -> UiCatalogue:
    """One ``ui.yaml``, validated; its ``language`` must name its folder."""
    cat = load_model(UiCatalogue, path)
    check_folder_language(path, cat.language, "catalogue")
    return cat


@lru_cache(maxsize=64)
def _messages(language: str, folders: str) -> tuple[tuple[str, str], ...]:
    merged: dict[str, str] = {}
    for path in pack_file(language, UI_FILE):
        merged.update(load_catalogue_file(path).messages)
    return tuple(merged.items())


def messages(language: str) -> dict[str, str]:
    """Every UI string of ``language`` (shipped, then trainers'); empty if it has none.
    Read once per configuration: restart the server after editing a catalogue."""
    return dict(_messages(language, os.environ.get(ENV, "")))


def whitelist(language: str) -> dict[str, str]:
    """The keys ``language`` rightly writes as the English does, with the reasons."""
    found: dict[str, str] = {}
    for path in pack_file(language, UI_FILE):
        found.update(load_catalogue_file(path).same_as_english)
    return found


def catalogue_problems(language: str) -> list[str]:
    """What ``language``'s catalogue lacks against English: missing keys, values left in
    English (not whitelisted), placeholders that differ. Empty when complete."""
    base, mine, same = messages(BASE), messages(language), whitelist(language)
    problems = [f"{language}: {k}: missing (English: {base[k]!r})" for k in base if k not in mine]
    for key, value in mine.items():
        if key not in base:
            problems.append(f"{language}: {key}: not an English key (a typo?)")
            continue
        if language != BASE and value == base[key] and key not in same:
            problems.append(
                f"{language}: {key}: still the English text {value!r}; translate it or list "
                "the key under same_as_english with the reason"
            )
        if placeholders(value) != placeholders(base[key]):
            problems.append(
                f"{language}: {key}: placeholders {sorted(placeholders(value))} differ from "
                f"the English {sorted(placeholders(base[key]))}"
            )
    return problems


class Texts:
    """The UI strings of one language, falling back to English key by key."""

    def __init__(self, language: str):
        self.language = language
        self._base = messages(BASE)
        self._mine = messages(language) if language != BASE else self._base

    def __call__(self, key: str, **values: object) -> str:
        """The text for ``key`` with its placeholders filled in."""
        text = self._mine.get(key) or self._base.get(key)
        if text is None:  # a programming error: the key is in no catalogue
            raise KeyError(f"UI string {key!r} is in no catalogue (add it to en/ui.yaml)")
        return text.format(**values) if values else text
