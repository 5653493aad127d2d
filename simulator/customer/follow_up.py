"""The follow-up call: the customer, days later, remembers the promise (DOMAIN §3.11).

Solving the problem is only 80% of handling a complaint (000); the follow-up reports the
result and checks the customer is satisfied (002 stage 4; 004 "call back a few days
later"). The scenario decides how the promise turned out: kept, late or broken
(``case.follow_up`` in the persona; an over-promise is always broken, §4.4). That moves
the customer's mood before the call (``follow_up.yaml``), and the persona's follow-up
lines replace their usual ones for that call. Everything else is the same machine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..errors import FrontlineError
from ..persona.model import PROMISE_OUTCOMES, Persona, PromiseOutcome
from ..yamlfile import load_model
from .effects import Effect
from .state import Change, CustomerState, Outcome

FOLLOW_UP_FILE = Path(__file__).parent / "follow_up.yaml"


class FollowUpEffects(BaseModel):
    """How each way the promise turned out moves the customer's mood before the call."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    outcomes: dict[PromiseOutcome, Effect]


@lru_cache(maxsize=4)
def load_follow_up(path: Path = FOLLOW_UP_FILE) -> FollowUpEffects:
    """The follow-up effects table (cached)."""
    table = load_model(FollowUpEffects, path)
    missing = [o for o in PROMISE_OUTCOMES if o not in table.outcomes]
    if missing:
        raise FrontlineError(f"{path}: outcomes: lacks {', '.join(missing)}")
    return table


def choose_promise(
    persona: Persona, final: CustomerState, seed: int, asked: str | None = None
) -> PromiseOutcome:
    """How the promise turned out: broken after an over-promise (§4.4); else the one asked
    for, if the scenario allows it; else picked among the scenario's outcomes by ``seed``."""
    scenario = persona.case.follow_up
    if scenario is None:
        raise FrontlineError(
            f"persona {persona.id!r} has no follow-up scenario in {persona.language!r} "
            "(case.follow_up: none, or not written in this language); choose a customer "
            "that has one"
        )
    if final.overpromised:
        return "broken"  # an implausible guarantee cannot be kept (§4.4)
    if asked is not None:
        if asked not in scenario.outcomes:
            raise FrontlineError(
                f"in this scenario the promise can only be: {', '.join(scenario.outcomes)}"
            )
        return asked  # type: ignore[return-value]
    return scenario.outcomes[seed % len(scenario.outcomes)]


def follow_up_state(
    persona: Persona,
    final: CustomerState,
    promise: PromiseOutcome,
    effects: FollowUpEffects | None = None,
) -> tuple[CustomerState, list[Change]]:
    """The customer's state when called back, and why it moved: where the conversation
    left them (heard, facts given, the remedy agreed), patience fresh, the promise's effect
    applied. A broken promise leaves no timescale standing: a new date is needed."""
    effect = (effects or load_follow_up()).outcomes[promise]
    state = final.model_copy(
        update={
            "turn": 0,
            "patience": persona.start.patience,
            "timescale": promise != "broken",
            "overpromised": False,
            "outcome": Outcome.ONGOING,
            "rejected": [],
            "follow_up": promise,
        },
        deep=True,
    )
    changes = []
    for name in ("anger", "trust", "patience"):
        delta = getattr(effect, name)
        if delta:
            before = getattr(state, name)
            setattr(state, name, round(max(0.0, min(100.0, before + delta)), 1))
            changes.append(
                Change(
                    field=name,
                    delta=round(getattr(state, name) - before, 1),
                    reason=effect.reason,
                    domain=effect.domain,
                )
            )
    return state, changes


def follow_up_persona(persona: Persona, promise: PromiseOutcome) -> Persona:
    """The persona as they speak in the follow-up call: the scenario's lines for this
    outcome replace their usual ones for those reactions."""
    scenario = persona.case.follow_up
    if scenario is None or promise not in scenario.phrases:
        raise FrontlineError(f"persona {persona.id!r} has no follow-up lines for {promise!r}")
    return persona.model_copy(
        update={"phrases": {**persona.phrases, **scenario.phrases[promise]}}, deep=True
    )
