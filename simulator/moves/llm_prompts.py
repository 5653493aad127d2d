"""The move detector's prompts: the ``detector`` section of the prompt file (with the turn's
language pack's wording over it), and the
messages asking a model which moves (good ones and violations) one agent turn makes."""

from __future__ import annotations

from string import Template

from pydantic import field_validator

from ..languages import prompt_overlays
from ..llm.backend import Message
from ..llm.prompt_file import PromptSection, defuse, load_section, placeholders
from .vocabulary import GOOD_MOVES, MOVES, VIOLATIONS


class DetectorPrompts(PromptSection):
    """The ``detector`` section of the prompt file."""

    system: str
    user: str

    _system = field_validator("system")(placeholders({"moves"}))
    _user = field_validator("user")(placeholders({"text"}))


def detector_prompts(language: str | None = None) -> DetectorPrompts:
    """The ``detector`` section of the prompt file in use, with the ``language`` pack's own
    wording (its ``prompts.yaml``) over it, field by field."""
    return load_section("detector", DetectorPrompts, overlays=prompt_overlays(language))


def detector_messages(
    text: str, prompts: DetectorPrompts | None = None, language: str | None = None
) -> list[Message]:
    """System prompt listing the good moves and the violations, then the agent turn as
    wrapped data; in ``language``'s wording unless ``prompts`` are given."""
    p = prompts or detector_prompts(language)
    moves = "\n".join(
        [f"- {m.value}: {MOVES[m].description}" for m in sorted(GOOD_MOVES)]
        + [f"- {m.value} (a mistake): {MOVES[m].description}" for m in sorted(VIOLATIONS)]
    )
    return [
        {"role": "system", "content": Template(p.system).substitute(moves=moves)},
        {"role": "user", "content": Template(p.user).substitute(text=defuse(text))},
    ]
