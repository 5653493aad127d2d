"""The JSON transcript format: what a session exports and what the grader reads.

Documented in ``docs/transcript-format.md``; the JSON Schema
``simulator/schemas/transcript.schema.json`` is generated from these models. Only
``turns`` is required, so a trainer can hand-write or convert a real conversation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .customer.state import Change, Outcome

TRANSCRIPT_SCHEMA_VERSION = 1
# One limit on one turn, wherever it comes from: typed in practice (terminal or web UI, via
# Conversation.reply), saved by the session store, or read by the grader. No spoken or
# chat turn comes near it; past it the text is not a conversation.
MAX_TURN_CHARS = 20_000


def turn_problem(text: str) -> str | None:
    """Why ``text`` cannot be one turn of a conversation (too long, a NUL character), or
    None when it can."""
    if len(text) > MAX_TURN_CHARS:
        return f"turn is {len(text)} characters; the limit is {MAX_TURN_CHARS}"
    if "\x00" in text:
        return "turn contains a NUL character (binary data, not text)"
    return None


class TranscriptTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["customer", "agent"]
    text: str = Field(min_length=1)


class PersonaRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    hash: str = Field(description="sha256 of the persona's content when the session ran.")


class StateRecord(BaseModel):
    """The customer's state after one agent turn, with the reasons it changed."""

    model_config = ConfigDict(extra="forbid")

    turn: int = Field(ge=0, strict=True, description="0 is the opening; n is after the "
                      "n-th agent turn.")
    anger: float = Field(ge=0, le=100, strict=True)
    trust: float = Field(ge=0, le=100, strict=True)
    patience: float = Field(ge=0, le=100, strict=True)
    reaction: str
    moves: list[str] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)


class Transcript(BaseModel):
    """One conversation between a customer and an agent."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    id: str | None = None
    candidate: str | None = Field(None, description="Who the agent was (user name or staff id).")
    persona: PersonaRef | None = None
    rubric: str | None = None
    mode: Literal["training", "exam"] | None = None
    seed: int | None = None
    renderer: str | None = None
    created: str | None = Field(None, description="ISO 8601 time the session started.")
    turns: list[TranscriptTurn] = Field(min_length=1)
    trajectory: list[StateRecord] = Field(default_factory=list)
    outcome: Outcome | None = None

    @field_validator("schema_version", mode="before")
    @classmethod
    def _exact_version(cls, value: object) -> object:
        # JSON's true and 1.0 equal 1 in Python, but are not a version number.
        if type(value) is not int:
            raise ValueError(f"unsupported version {value!r}; this Frontline reads 1")
        return value

    def agent_turns(self) -> list[tuple[int, str]]:
        """(index in ``turns``, text) of every agent turn."""
        return [(i, t.text) for i, t in enumerate(self.turns) if t.role == "agent"]
