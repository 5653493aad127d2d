"""The customer's reaction rules (``decisions.yaml``): which reaction follows a turn.

After the mood has moved, the machine works out a fixed set of facts about the turn and
the customer's new state (:data:`CONDITIONS`) and the rules, tried in order, pick the
reaction: the first rule whose conditions all hold decides. The rules are data, validated
here, so trainers can read and change how the customer reacts as they do the effects.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ..moves.vocabulary import Move
from ..reactions import Reaction
from ..yamlfile import load_model

DECISIONS_FILE = Path(__file__).parent / "decisions.yaml"

# The facts a rule may test, with what each means (shown in docs/reactions.md).
CONDITIONS: dict[str, str] = {
    "offer_on_table": "an acceptable remedy has been offered (this turn or before)",
    "anger_at_escalation": "anger has reached the persona's thresholds.escalate_at",
    "patience_gone": "patience is at 0",
    "facts_missing": "a required hidden fact is still unknown",
    "timescale_given": "the customer has been told when (a timescale, or a big promise)",
    "emotional_unheard": "an emotional customer whose feelings were never acknowledged",
    "calm_enough": "anger is at or below thresholds.accept_anger",
    "trusting_enough": "trust is at or above thresholds.accept_trust",
    "turns_used_up": "this was the persona's max_turns-th agent turn",
    "unheard_remedy": "an emotional customer, not yet heard, was offered a remedy this turn",
    "offer_rejected": "every remedy offered this turn is below the bottom line",
    "offer_discussed": "a remedy was offered this turn, or the one on the table was "
    "followed up with a timescale or an 'I will'",
    "comfort_only": "the turn comforts (apology, empathy) and does nothing of substance",
    "rational": "the persona's temperament is rational",
    "never_satisfied": "the persona's archetype is never satisfied",
    "offering_move": "the turn proposes a remedy or options",
    "persona_offer": "the turn offers one of the persona's own remedies",
    "fact_revealed": "a question this turn uncovered a hidden fact",
    "wish_asked": "a question asked what the customer would like done (and no fact)",
    "stalled": "nothing moved forward (no progress move, or only thanks and offers of help)",
    "anger_fell": "anger is lower than before the turn",
    "hot": "anger is 60 or more (the customer's 'hot' voice)",
    "doubts_promise": "a rational customer was given an implausible guarantee (over-promise)",
    "follow_up": "this is the follow-up call days after a resolved one (§3.11)",
    "promise_broken": "a follow-up call in which the customer found the promise broken",
}

_MOVE = "move:"


def _check_condition(term: str) -> str:
    name = term.removeprefix("not ").strip()
    if name.startswith(_MOVE):
        move = name[len(_MOVE) :]
        if move not in {m.value for m in Move}:
            raise ValueError(f"unknown move {move!r} in condition {term!r}")
    elif name not in CONDITIONS:
        raise ValueError(
            f"unknown condition {name!r}; known: {', '.join(CONDITIONS)}, or move:<move>"
        )
    return term


class Rule(BaseModel):
    """One decision: when every condition holds, the customer reacts this way."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    when: list[str] = Field(
        description="Conditions that must all hold; each a condition "
        "name or move:<move>, optionally preceded by 'not '. Empty: "
        "always (a last rule)."
    )
    reaction: Reaction | Literal["exit"] = Field(
        description="The reaction, or 'exit': the persona's way out (leave or escalate)."
    )
    with_: list[Literal["offer", "rejected"]] = Field(
        default_factory=list,
        alias="with",
        description="Which remedy the reply is about: the offer on the table, the rejected one.",
    )
    domain: str = Field("", description="The DOMAIN section the rule follows.")

    @field_validator("when")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return [_check_condition(t) for t in value]


class DecisionRules(BaseModel):
    """The ordered reaction rules of ``decisions.yaml``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    rules: list[Rule] = Field(min_length=1)
    _compiled: list = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> DecisionRules:
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"rule ids must be unique: {', '.join(dup)}")
        if self.rules[-1].when:
            raise ValueError(
                "the last rule must have an empty 'when', so every turn gets a reaction"
            )
        return self

    def model_post_init(self, _context: object) -> None:
        # Each term parsed once: (negated, move or None, condition name). decide() runs on
        # every turn of every session.
        self._compiled = [(rule, [_parse(t) for t in rule.when]) for rule in self.rules]

    def decide(self, facts: dict[str, bool], moves: set[Move]) -> Rule:
        """The first rule whose conditions all hold for ``facts`` and ``moves``."""
        for rule, terms in self._compiled:
            for negated, move, name in terms:
                value = move in moves if move is not None else facts[name]
                if value == negated:
                    break
            else:
                return rule
        raise AssertionError("unreachable: the last rule has no conditions")


def _parse(term: str) -> tuple[bool, Move | None, str]:
    negated = term.startswith("not ")
    name = term[4:].strip() if negated else term
    if name.startswith(_MOVE):
        return negated, Move(name[len(_MOVE) :]), name
    return negated, None, name


@lru_cache(maxsize=4)
def load_decisions(path: Path = DECISIONS_FILE) -> DecisionRules:
    """The reaction rules; cached because every session step reads them."""
    return load_model(DecisionRules, path)
