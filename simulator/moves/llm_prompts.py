"""The move detector's prompts: the ``detector`` section of the prompt file, and the
messages asking a model which moves (good ones and violations) one agent turn makes."""

from __future__ import annotations

from string import Template

from pydantic import field_validator

from ..llm.backend import Message
from ..llm.prompt_file import PromptSection, defuse, load_section, placeholders
from .vocabulary import GOOD_MOVES, MOVES, VIOLATIONS


class DetectorPrompts(PromptSection):
    """The ``detector`` section of the prompt file."""

    system: str
    user: str

    _system = field_validator("system")(placeholders({"moves"}))
    _user = field_validator("user")(placeholders({"text"}))


def detector_prompts() -> DetectorPrompts:
    """The ``detector`` section of the prompt file in use."""
    return load_section("detector", DetectorPrompts)


def detector_messages(text: str, prompts: DetectorPrompts | None = None) -> list[Message]:
    """System prompt listing the good moves and the violations, then the agent turn as
    wrapped data."""
    p = prompts or detector_prompts()
    moves = "\n".join(
        [f"- {m.value}: {MOVES[m].description}" for m in sorted(GOOD_MOVES)]
        + [f"- {m.value} (a mistake): {MOVES[m].description}" for m in sorted(VIOLATIONS)]
    )
    return [
        {"role": "system", "content": Template(p.system).substitute(moves=moves)},
        {"role": "user", "content": Template(p.user).substitute(text=defuse(text))},
    ]
