"""The prompt file, ``prompts.yaml``: loading one owner's section, and template safety.

The wording sent to a model is data trainers may edit (``FRONTLINE_LLM_PROMPTS`` names an
edited copy). Each concept that talks to a model owns its section and the pydantic model
that validates it: the customer (``customer``, :mod:`simulator.render.prompts`), the judge
(``judge``, :mod:`simulator.grading.judge.prompts`) and the move detector (``detector``,
:mod:`simulator.moves.llm_prompts`). This module knows none of them; it only reads the
file, validates the section it is asked for with the owner's model, and reports problems
as ``file:line: section.field: message``.

Rule for every prompt: the trainee's words go only into user-role messages, inside a
wrapper such as ``<agent_message>``, never into a system prompt. A trainee cannot close
the wrapper early: tag look-alikes in their text are defused (:func:`defuse`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, create_model

from ..yamlfile import Lines, parse_yaml, read_text, validate_data

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


def load_section(section: str, model: type[S], path: Path | None = None) -> S:
    """One owner's section of the prompt file, validated with ``model``.

    Cached per file: edit the file, restart (or set ``FRONTLINE_LLM_PROMPTS`` anew)."""
    return _section(str(path or prompts_path()), section, model)


@lru_cache(maxsize=16)
def _section(path: str, section: str, model: type[S]) -> S:
    return getattr(validate_sections({section: model}, path=Path(path)), section)


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
