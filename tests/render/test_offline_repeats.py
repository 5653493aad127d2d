"""The customer never says the same line twice running while the bank has another.

The phrase-bank renderer took an unsaid line while there was one, then any line at all:
once a bank was used up, the customer could say the line of the turn before again word
for word ("Is there anything that can be done?" two turns running, meek persona, seed 1),
however short. The LLM customer's repeat check only compared sentences of four content
words or more, so a model's "No idea." passed turn after turn.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_support import backend_for

from simulator.customer.state import CustomerState, ReactionPlan
from simulator.persona.loader import PersonaLibrary
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest, Turn
from simulator.render.llm import LLMRenderer
from simulator.render.offline import OfflineRenderer, bank_for

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = PersonaLibrary(ROOT / "personas")
MEEK = "meek-emotional-late-delivery"


def customer_turns(persona, reaction: Reaction, n: int, seed: int) -> list[str]:
    """``n`` replies in a row, all planned as ``reaction``, the agent saying "I see."."""
    state = CustomerState(anger=20, trust=50, patience=50)
    history: list[Turn] = []
    out = []
    for _ in range(n):
        plan = ReactionPlan(reaction=reaction)
        request = RenderRequest(persona, state, plan, list(history), seed=seed)
        out.append(OfflineRenderer().reply(request))
        if not out[-1]:
            return []  # the reaction needs what this plan lacks (a fact to give)
        history += [Turn("customer", out[-1]), Turn("agent", "I see.")]
    return out


@pytest.mark.parametrize("pid", LIBRARY.ids())
def test_no_line_twice_running_in_any_bank(pid):
    persona = LIBRARY.get(pid)
    for reaction in persona.phrases:
        size = len(set(bank_for(persona, reaction, 20)))
        if size < 2:
            continue  # one line: nothing else to say
        for seed in range(3):
            said = customer_turns(persona, reaction, 2 * size + 2, seed)
            again = [(i, a) for i, (a, b) in enumerate(zip(said, said[1:], strict=False)) if a == b]
            assert not again, f"{pid} {reaction.value} seed {seed}: said twice running {again}"


def test_practice_never_has_the_customer_repeat_the_last_reply(cli):
    # The real thing: the meek customer asked again and again what happens now.
    replies = "".join("I see.\n" for _ in range(8))
    personas = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    run = cli(
        "practice", "--persona", MEEK, "--offline", "--seed", "1", stdin=replies, env=personas
    )
    assert run.returncode == 0, run.stderr
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("Customer: ")]
    assert len(lines) >= 5
    assert all(a != b for a, b in zip(lines, lines[1:], strict=False)), lines


def test_a_model_saying_a_short_earlier_reply_again_is_regenerated(persona):
    request = RenderRequest(
        persona,
        CustomerState(anger=50, trust=30, patience=60),
        ReactionPlan(reaction=Reaction.VENT),
        [Turn("customer", "No idea."), Turn("agent", "When did it start?")],
    )
    with FakeOpenAIServer() as server:
        server.script(Reply(content="No idea!"), Reply(content="It started on Monday."))
        renderer = LLMRenderer(backend_for(server), regenerations=2)
        assert "".join(renderer.render(request)) == "It started on Monday."
        assert renderer.last_report.breaks == ["repeat"]
        # Always the same: the bank's reply instead, which is not that line either.
        server.default = Reply(content="No idea.")
        server.script()
        shown = "".join(LLMRenderer(backend_for(server), regenerations=1).render(request))
        assert shown == OfflineRenderer().reply(request) and shown != "No idea."
