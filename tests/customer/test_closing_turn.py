"""After the customer accepts, the trainee closes the call: one more turn is taken (the
follow-up criteria read it), then the session stops; the outcome is the machine's."""

from __future__ import annotations

import pytest
from trainee_support import ACCEPTING, CLOSING, ROOT, accepting_script

from simulator.customer.state import Outcome
from simulator.errors import FrontlineError
from simulator.grading import RubricLibrary, grade
from simulator.persona.loader import PersonaLibrary
from simulator.reactions import Reaction
from simulator.sessions import Conversation


def accepted(store) -> Conversation:
    conv = Conversation.start(PersonaLibrary(ROOT / "personas").get(ACCEPTING), store=store)
    "".join(conv.opening())
    for line in accepting_script():
        "".join(conv.reply(line))
    return conv


def test_the_customer_accepts_and_the_call_can_be_closed(store):
    conv = accepted(store)
    assert conv.outcome is Outcome.RESOLVED and conv.status == "finished"
    assert conv.turns[-1].role == "customer", "the customer's acceptance is said and saved"
    assert conv.closing_open and conv.accepts_input
    before = conv.state
    reply = "".join(conv.reply(CLOSING))
    assert reply.strip() and conv.turns[-2].text == CLOSING
    # The outcome stands; the step only records the closing turn's moves.
    assert conv.outcome is Outcome.RESOLVED and conv.last_step.plan.reaction is Reaction.ACCEPT
    assert conv.state.anger == before.anger and conv.state.turn == before.turn + 1
    assert "check_satisfaction" in conv.last_step.moves
    assert not conv.closing_open and not conv.accepts_input
    with pytest.raises(FrontlineError, match="ended"):
        conv.reply("And one more thing")
    # Saved: a resumed session is in the same place, with the closing turn graded.
    again = Conversation.resume(store, conv.session_id, PersonaLibrary(ROOT / "personas"))
    assert again.turns == conv.turns and not again.accepts_input
    card = grade(again.transcript(), RubricLibrary(ROOT / "rubrics").get("complaint-handling"))
    assert next(c for c in card.criteria if c.id == "check-satisfaction").verdict == "met"


def test_ending_after_acceptance_takes_no_closing_turn(store):
    conv = accepted(store)
    conv.end()
    info = store.get(conv.session_id, "local")
    assert (info.status, info.outcome) == ("finished", Outcome.RESOLVED)


def test_cli_takes_the_closing_turn(cli, tmp_path):
    script = "\n".join([*accepting_script(), CLOSING, "/end"]) + "\n"
    out = cli(
        "practice",
        "--persona",
        ACCEPTING,
        "--offline",
        "--db",
        str(tmp_path / "s.sqlite3"),
        "--export",
        str(tmp_path / "t.json"),
        stdin=script,
        env={"FRONTLINE_PERSONAS": str(ROOT / "personas")},
    )
    assert out.returncode == 0, out.stderr
    assert "Close the call" in out.stdout
    assert "resolved" in out.stdout and f"after {len(accepting_script()) + 1} replies" in out.stdout
    assert CLOSING in (tmp_path / "t.json").read_text()
