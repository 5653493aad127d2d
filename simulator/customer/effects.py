"""The shared table of how moves shift a customer's mood (``effects.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..moves.vocabulary import Move
from ..yamlfile import load_model

EFFECTS_FILE = Path(__file__).parent / "effects.yaml"


class Effect(BaseModel):
    """A change to the mood, with the reason and DOMAIN section recorded in the trajectory."""

    model_config = ConfigDict(extra="forbid")

    anger: float = Field(0, ge=-100, le=100)
    trust: float = Field(0, ge=-100, le=100)
    patience: float = Field(0, ge=-100, le=100)
    reason: str
    domain: str


class Diminish(BaseModel):
    """A factor on moves that have already done their work, with the reason shown."""

    model_config = ConfigDict(extra="forbid")

    factor: float = Field(ge=0, le=1, description="Multiplier on the moves' usual effect.")
    reason: str
    domain: str


class TemperamentRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    multipliers: dict[Move, float] = Field(default_factory=dict)
    comfort_without_facts: Effect | None = None
    remedy_before_heard: Effect | None = None
    trust_until_heard: Diminish | None = Field(
        None, description="Factor on the trust other moves earn before the customer feels heard."
    )


class ArchetypeRules(BaseModel):
    """How one archetype (DOMAIN §2.4) hears some moves differently from the average
    customer: these effects replace the shared ones for that archetype."""

    model_config = ConfigDict(extra="forbid")

    moves: dict[Move, Effect] = Field(default_factory=dict)


class Expectation(BaseModel):
    """Bringing a customer's expectation down towards the bottom line (DOMAIN §3.5): a
    precedent or the company's rule explained from the company's side lets a customer who
    wants results take the least they accept as reasonable; offered with no reason, that
    least is felt as falling short of what they expected (§2.5)."""

    model_config = ConfigDict(extra="forbid")

    lowered_by: list[Move] = Field(
        min_length=1, description="Moves that bring the expectation down (an explanation)."
    )
    not_with: list[Move] = Field(
        default_factory=list,
        description="Moves that spoil it in the same turn (a flat refusal stays one).",
    )
    temperaments: list[str] = Field(
        min_length=1, description="Temperaments whose expectation such moves bring down."
    )
    lowered: Effect = Field(description="Applied once, the turn the expectation comes down.")
    short_of_expectation: Effect = Field(
        description="A bottom-line offer, the best on the table, while the expectation "
        "still stands."
    )


class EffectsTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    moves: dict[Move, Effect]
    sincere_apology: Effect
    no_progress: Effect
    temperament: dict[str, TemperamentRules]
    broken_promise: Effect
    offer_below: Effect | None = Field(
        None,
        description="An offer below the customer's bottom "
        "line: replaces the usual effect of proposing a remedy.",
    )
    comfort_again: Diminish | None = Field(
        None, description="Apology and empathy once the customer has already been heard."
    )
    archetype: dict[str, ArchetypeRules] = Field(
        default_factory=dict, description="Per archetype (DOMAIN §2.4): moves heard differently."
    )
    expectation: Expectation | None = Field(
        None, description="Bringing the expectation down towards the bottom line (§3.5)."
    )

    @model_validator(mode="after")
    def _every_move(self) -> EffectsTable:
        # A move the reader can find but the table lacks would stop a session mid-turn.
        missing = [m.value for m in Move if m not in self.moves]
        if missing:
            raise ValueError(f"moves: no effect for {', '.join(missing)}")
        return self

    def effect_for(self, move: Move, archetype: str) -> Effect:
        """The effect of ``move`` on an average customer of ``archetype``."""
        rules = self.archetype.get(archetype)
        if rules and move in rules.moves:
            return rules.moves[move]
        return self.moves[move]


@lru_cache(maxsize=4)
def load_effects(path: Path = EFFECTS_FILE) -> EffectsTable:
    """The effects table; cached because every session step reads it."""
    return load_model(EffectsTable, path)
