"""The JSON transcript format: what a session exports and what the grader reads.

Documented in ``docs/transcript-format.md``; the JSON Schema
``simulator/schemas/transcript.schema.json`` is generated from these models. Only
``turns`` is required, so a trainer can hand-write or convert a real conversation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .customer.state import Outcome, StateRecord
from .moves.reading import Reading

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


__all__ = [
    "GuardRecord",
    "GuardSummary",
    "PersonaRef",
    "StateRecord",
    "Transcript",
    "TranscriptTurn",
    "Turn",
]


class GuardRecord(BaseModel):
    """What the in-character checks did to one customer turn worded by a model."""

    model_config = ConfigDict(extra="forbid")

    checks: list[str] = Field(
        default_factory=list, description="The checks every draft of the reply went through."
    )
    failed: list[str] = Field(
        default_factory=list,
        description="The check each failing draft broke, in order (one per failed draft).",
    )
    shown: Literal["llm", "regenerated", "bank"] = Field(
        description="Whose words the trainee saw: the model's first draft, a later draft, "
        "or the phrase bank's after every draft failed."
    )
    attempts: int = Field(1, ge=0, description="Drafts asked of the model.")
    truncated: bool = Field(
        False, description="A check failed after part of the reply was shown; the rest dropped."
    )
    completed_from_bank: bool = Field(
        False, description="A fragment already shown was finished with a phrase-bank reply."
    )


class Turn(BaseModel):
    """One line of the conversation: who spoke, what they said and, for an agent turn read
    during a session, how it was read (the moves the customer reacted to).

    The one shape of a turn everywhere: sessions, renderers' history, grading, exports.
    ``Turn("agent", "Hello")`` works as well as the keyword form."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["customer", "agent"]
    text: str = Field(min_length=1)
    reading: Reading | None = Field(
        None,
        description="How the agent turn was read when the "
        "session ran; absent in hand-written or older transcripts, "
        "which the grader reads afresh.",
    )
    guard: GuardRecord | None = Field(
        None,
        description="For a customer turn worded by a model: the checks it went through and "
        "whose words were shown; absent for phrase-bank sessions and older transcripts.",
    )

    def __init__(self, role: str | None = None, text: str | None = None, /, **data):
        if role is not None:
            data["role"] = role
        if text is not None:
            data["text"] = text
        super().__init__(**data)


# The name the transcript format has always used for a turn.
TranscriptTurn = Turn


class GuardSummary(BaseModel):
    """The guard records of many customer replies, counted: how often each check failed
    and whose words were shown. In an export and in ``frontline calibrate --llm``."""

    model_config = ConfigDict(extra="forbid")

    replies: int = Field(0, ge=0, description="Customer replies worded by a model.")
    drafts: int = Field(0, ge=0, description="Drafts asked of the model for them.")
    shown: dict[str, int] = Field(
        default_factory=dict,
        description="Replies by whose words were shown: llm, regenerated, bank.",
    )
    failed: dict[str, int] = Field(
        default_factory=dict, description="Failed drafts by the check they broke."
    )
    completed_from_bank: int = Field(0, ge=0)

    @classmethod
    def of(cls, records: list[GuardRecord]) -> GuardSummary:
        """Count ``records``."""
        shown: dict[str, int] = {}
        failed: dict[str, int] = {}
        for r in records:
            shown[r.shown] = shown.get(r.shown, 0) + 1
            for kind in r.failed:
                failed[kind] = failed.get(kind, 0) + 1
        return cls(
            replies=len(records),
            drafts=sum(r.attempts for r in records),
            shown=dict(sorted(shown.items())),
            failed=dict(sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))),
            completed_from_bank=sum(r.completed_from_bank for r in records),
        )

    def rates(self) -> str:
        """One line: "12 replies: 75% llm, 17% regenerated, 8% bank; failed drafts:
        echo 3, agent_speech 1"."""
        if not self.replies:
            return "no replies worded by a model"
        parts = ", ".join(
            f"{100 * self.shown.get(k, 0) / self.replies:.0f}% {k}"
            for k in ("llm", "regenerated", "bank")
        )
        fails = ", ".join(f"{k} {n}" for k, n in self.failed.items()) or "none"
        return f"{self.replies} replies: {parts}; failed drafts: {fails}"


class PersonaRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    hash: str = Field(description="sha256 of the persona's content when the session ran.")


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
    language: str | None = Field(
        None, description="The language of the conversation (the session's); absent: the rubric's."
    )
    turns: list[Turn] = Field(min_length=1)
    trajectory: list[StateRecord] = Field(default_factory=list)
    outcome: Outcome | None = None
    guards: GuardSummary | None = Field(
        None,
        description="The customer turns' guard records counted (sessions whose customer a "
        "model worded); absent otherwise.",
    )

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
