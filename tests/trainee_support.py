"""Shared by the trainee-page tests: a script of replies that gets a shipped customer to
accept, from the exemplary reference policy (deterministic, nothing hand-tuned)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from simulator.calibration.policies import Conversation as PolicyView
from simulator.calibration.policies import Exemplary
from simulator.customer.machine import CustomerMachine
from simulator.customer.state import Outcome, ReactionPlan, Step
from simulator.persona.loader import PersonaLibrary
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest, Turn
from simulator.render.offline import OfflineRenderer

ROOT = Path(__file__).resolve().parent.parent
ACCEPTING = "aggressive-rational-billing"  # accepts the exemplary policy in four replies
CLOSING = "Is there anything else I can help you with today? Are you happy with that?"


@lru_cache(maxsize=8)
def accepting_script(persona_id: str = ACCEPTING, seed: int = 0) -> tuple[str, ...]:
    """The exemplary policy's replies up to and including the one the customer accepts."""
    persona = PersonaLibrary(ROOT / "personas").get(persona_id)
    machine, renderer, policy = CustomerMachine(persona), OfflineRenderer(), Exemplary(persona, 0)
    state = machine.start()
    steps = [
        Step(
            turn=0, moves=[], state=state, plan=ReactionPlan(reaction=Reaction.OPENING), changes=[]
        )
    ]
    turns: list[Turn] = []
    lines: list[str] = []
    for _ in range(persona.max_turns):
        words = "".join(
            renderer.render(
                RenderRequest(
                    persona=persona,
                    state=steps[-1].state,
                    plan=steps[-1].plan,
                    history=turns,
                    seed=seed,
                )
            )
        )
        turns.append(Turn("customer", words.strip()))
        if steps[-1].state.outcome is Outcome.RESOLVED:
            return tuple(lines)
        line = policy.next_turn(PolicyView(persona, list(turns), list(steps)))
        lines.append(line)
        turns.append(Turn("agent", line))
        steps.append(machine.step(steps[-1].state, line))
    raise AssertionError(f"{persona_id} never accepted the exemplary policy")
