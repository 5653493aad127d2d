"""The prompt file, ``prompts.yaml``: loading one owner's section, and template safety.

The wording sent to a model is data trainers may edit (``FRONTLINE_LLM_PROMPTS`` names an
edited copy). Each concept that talks to a model owns its section and the pydantic model
that validates it: the customer (``customer``, :mod:`simulator.render.prompts`), the judge
(``judge``, :mod:`simulator.grading.judge.prompts`) and the move detector (``detector``,
:mod:`simulator.moves.llm_prompts`). This module knows none of them; it only reads the
file, validates the section it is asked for with the owner's model, and reports problems
as ``file:line: section.field: message``.

Over the base file may lie *overlays*: a language pack's ``prompts.yaml`` holding any
subset of the sections and of their fields, in that language's wording. The owners find
them (``simulator.languages.pack_file``) and pass them in; here they are merged field by
field over the base (a mapping such as ``reactions`` key by key), and a problem in a value
an overlay set is reported at the overlay's file and line.

Rule for every prompt: the trainee's words go only into user-role messages, inside a
wrapper such as ``<agent_message>``, never into a system prompt. A trainee cannot close
the wrapper early: tag look-alikes in their text are defused (:func:`defuse`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from ..errors import FileProblems, Problem
from ..validation_messages import human_message
from ..yamlfile import (
    Lines,
    field_path,
    line_for,
    parse_yaml,
    read_text,
    validate_data,
)

PROMPTS_FILE = Path(__file__).parent / "prompts.yaml"
SCHEMA_VERSION = 1

S = TypeVar("S", bound=BaseModel)


class PromptSection(BaseModel):
    """Base of every section model: unknown keys are typos, and refused."""

    model_config = ConfigDict(extra="forbid")


def placeholders(allowed: set[str]) -> Callable[[str], str]:
    """A field check: the template may use only ``$name`` placeholders from ``allowed``
    (``$$`` is a literal dollar sign). Use as ``field_validator("x")(placeholders({...}))``."""

    def check(value: str) -> str:
        try:
            names = {
                m.group("named") or m.group("braced")
                for m in Template.pattern.finditer(value)
                if not m.group("escaped")
            }
        except (ValueError, TypeError) as exc:
            raise ValueError(f"bad placeholder: {exc}") from None
        if None in names:
            raise ValueError("a lone '$' (write $$ for a dollar sign)")
        unknown = names - allowed
        if unknown:
            raise ValueError(
                f"unknown placeholder ${sorted(unknown)[0]}; this template may "
                f"use: {', '.join('$' + n for n in sorted(allowed)) or 'none'}"
            )
        return value

    return check


def prompts_path() -> Path:
    """The prompt file in use: ``FRONTLINE_LLM_PROMPTS`` if set, else the shipped one."""
    return Path(os.environ.get("FRONTLINE_LLM_PROMPTS") or PROMPTS_FILE)


@lru_cache(maxsize=4)
def _parsed(path: str) -> tuple[Any, Lines]:
    return parse_yaml(read_text(Path(path)), path)


@lru_cache(maxsize=32)
def _wrapper(sections: tuple[tuple[str, type[BaseModel]], ...], strict: bool):
    fields: dict[str, Any] = {name: (model, ...) for name, model in sections}
    return create_model(
        "PromptFile",
        __config__=ConfigDict(extra="forbid" if strict else "ignore"),
        schema_version=(Literal[1], SCHEMA_VERSION),
        **fields,
    )


def validate_sections(
    sections: dict[str, type[BaseModel]], *, strict: bool = False, path: Path | None = None
) -> BaseModel:
    """The prompt file (``path``, else :func:`prompts_path`) validated with one model per
    section; ``strict`` also refuses sections nobody named. Raises FileProblems."""
    name = str(path or prompts_path())
    data, lines = _parsed(name)
    return validate_data(_wrapper(tuple(sections.items()), strict), data, name, lines)


def load_section(
    section: str, model: type[S], path: Path | None = None, overlays: Sequence[Path] = ()
) -> S:
    """One owner's section of the prompt file, validated with ``model``, with the same
    section of each overlay (a language pack's ``prompts.yaml``) merged over it in order.

    Cached per file and overlays: edit a file, restart (or set ``FRONTLINE_LLM_PROMPTS``
    anew)."""
    key = tuple(str(o) for o in overlays)
    return _section(str(path or prompts_path()), section, model, key)


@lru_cache(maxsize=64)
def _section(path: str, section: str, model: type[S], overlays: tuple[str, ...]) -> S:
    base = getattr(validate_sections({section: model}, path=Path(path)), section)
    if not overlays:
        return base
    return merged_section(section, model, base, [Path(o) for o in overlays], Path(path))


def overlay_sections(path: Path, known: Iterable[str], *, strict: bool = False) -> dict[str, Any]:
    """An overlay file's ``known`` sections (each a mapping) after checking its
    ``schema_version``; ``strict`` also refuses sections not known (an owner loading its
    own section leaves the others to theirs). Raises FileProblems."""
    name = str(path)
    data, lines = _parsed(name)
    fields: dict[str, Any] = {s: (dict[str, Any] | None, None) for s in known}
    shape = create_model(
        "PromptOverlay",
        __config__=ConfigDict(extra="forbid" if strict else "ignore"),
        schema_version=(Literal[1], ...),
        **fields,
    )
    validate_data(shape, data, name, lines)
    return {s: data[s] for s in known if data.get(s) is not None}


def merged_section(
    section: str, model: type[S], base: S, overlays: Sequence[Path], base_path: Path
) -> S:
    """``base`` with each overlay's ``section`` merged over it, validated with ``model``.

    A problem is reported in the file that set the value at fault (the last overlay that
    wrote the field, else the base file), at that file's line for it."""
    merged: Any = base.model_dump(mode="json")
    layers: list[tuple[str, Any, Lines]] = []
    for path in overlays:
        got = overlay_sections(path, [section])
        if section in got:
            merged = _merge(merged, got[section])
            layers.append((str(path), got[section], _parsed(str(path))[1]))
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise FileProblems(_located(exc, section, str(base_path), layers)) from None


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in over.items()}}
    return over


def _has(data: Any, loc: tuple[Any, ...]) -> bool:
    for key in loc:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def _located(
    exc: ValidationError, section: str, base: str, layers: list[tuple[str, Any, Lines]]
) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
        where, lines = base, _parsed(base)[1]
        # The deepest part of the path an overlay wrote, the latest overlay first.
        for n in range(len(loc), 0, -1):
            found = next((layer for layer in reversed(layers) if _has(layer[1], loc[:n])), None)
            if found:
                where, lines = found[0], found[2]
                break
        full = (section, *loc)
        problems.append(Problem(where, human_message(err), line_for(full, lines), field_path(full)))
    return problems


def sha256(text: str) -> str:
    """``sha256:<hex>`` of ``text``, the form prompt hashes are recorded in."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


_CITATION = re.compile(r"\s*\(DOMAIN §[^)]*\)")


def uncite(text: str) -> str:
    """Drop the "(DOMAIN §n)" citations kept in the prompt file for trainers."""
    return _CITATION.sub("", text)


_TAG = re.compile(r"<\s*/?\s*(agent_message|transcript)\b", re.IGNORECASE)


def defuse(text: str) -> str:
    """Make wrapper tags inside untrusted text inert, so it cannot close its wrapper."""
    return _TAG.sub(lambda m: m.group(0).replace("<", "‹"), text)
