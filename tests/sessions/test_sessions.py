"""The session store and the Conversation runner, in-process."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import jsonschema
import pytest

from simulator.customer.machine import CustomerMachine
from simulator.customer.state import Outcome
from simulator.errors import FrontlineError, NotFound
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest
from simulator.render.offline import OfflineRenderer
from simulator.schema_export import SCHEMAS_DIR
from simulator.sessions import Conversation, SessionStore

AGENT = [
    "I'm so sorry, that sounds really frustrating.",
    "When exactly were you charged?",
    "Let me look at your account.",
    "I will refund the duplicate charge today.",
]
# Moves nothing forward, so the customer's patience runs out within max_turns.
STALL = "Let me see."


def say(chunks: Iterator[str]) -> str:
    return "".join(chunks)


def play(conv: Conversation, texts: list[str]) -> list[str]:
    """Reply with each text while the session lasts; return the customer's replies."""
    replies = []
    for text in texts:
        if conv.finished:
            break
        replies.append(say(conv.reply(text)))
    return replies


def run_out(conv: Conversation) -> None:
    for _ in range(conv.persona.max_turns + 1):
        if conv.finished:
            return
        say(conv.reply(STALL))
    raise AssertionError("the session never finished")


class FailingRenderer:
    """Streams a few words, then fails, like an LLM connection dropping mid-reply."""

    name = "failing"

    def render(self, request: RenderRequest) -> Iterator[str]:
        yield "Well, "
        raise ConnectionError("connection dropped")


def test_opening_is_streamed_and_saved(persona, store):
    conv = Conversation.start(persona, store=store, seed=3, user="ana")
    assert conv.owes_reply and conv.steps[0].plan.reaction is Reaction.OPENING
    chunks = list(conv.opening())
    assert len(chunks) > 1  # streamed word by word
    text = "".join(chunks)
    assert conv.turns[0].role == "customer" and conv.turns[0].text == text.strip()
    assert store.turns(conv.session_id) == conv.turns
    assert not conv.owes_reply
    with pytest.raises(FrontlineError, match="already opened"):
        conv.opening()


def test_agent_turn_and_step_are_committed_before_the_reply_streams(persona, store, tmp_path):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    stream = conv.reply("  I'm sorry, that sounds really frustrating.  ")
    # Not a single chunk read yet: another connection already sees the turn and the step.
    with SessionStore(store.path) as other:
        assert [t.role for t in other.turns(conv.session_id)] == ["customer", "agent"]
        assert other.turns(conv.session_id)[1].text == "I'm sorry, that sounds really frustrating."
        assert other.steps(conv.session_id)[1].state == conv.state
    reply = say(stream)
    assert store.turns(conv.session_id)[-1].text == reply.strip()
    assert conv.state.turn == 1 and len(conv.steps) == 2


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_agent_text_is_refused_and_nothing_saved(persona, store, text):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    with pytest.raises(FrontlineError, match="empty"):
        conv.reply(text)
    assert len(store.turns(conv.session_id)) == 1 and len(store.steps(conv.session_id)) == 1


def test_reply_before_the_customer_answered_is_refused(persona, store):
    conv = Conversation.start(persona, store=store)
    with pytest.raises(FrontlineError, match="not answered"):
        conv.reply("Hello")


def test_a_finished_session_refuses_more_turns(persona, store):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    run_out(conv)
    assert conv.outcome is not Outcome.ONGOING and conv.status == "finished"
    assert conv.turns[-1].role == "customer"  # the final words were said
    with pytest.raises(FrontlineError, match="ended"):
        conv.reply("One more thing")
    info = store.get(conv.session_id, "local")
    assert (info.status, info.outcome) == ("finished", conv.outcome)


def test_end_keeps_the_outcome_and_refuses_more_turns(persona, store):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    play(conv, AGENT[:1])
    conv.end()
    assert conv.finished and conv.status == "ended" and conv.outcome is Outcome.ONGOING
    with pytest.raises(FrontlineError, match="ended by you"):
        conv.reply("Wait")
    info = store.get(conv.session_id, "local")
    assert (info.status, info.outcome, info.agent_turns) == ("ended", Outcome.ONGOING, 1)


def test_renderer_failure_keeps_the_agent_turn_and_the_reply_can_be_retried(persona, store):
    conv = Conversation.start(persona, store=store, renderer=OfflineRenderer())
    say(conv.opening())
    conv.renderer = FailingRenderer()
    stream = conv.reply(AGENT[0])
    with pytest.raises(ConnectionError):
        say(stream)
    saved = store.turns(conv.session_id)
    assert saved[-1].role == "agent" and saved[-1].text == AGENT[0]
    assert conv.owes_reply
    with pytest.raises(FrontlineError, match="not answered"):
        conv.reply(AGENT[1])
    conv.renderer = OfflineRenderer()
    reply = say(conv.pending_reply())
    assert store.turns(conv.session_id)[-1].text == reply.strip()
    with pytest.raises(FrontlineError, match="your turn"):
        conv.pending_reply()


def test_an_abandoned_stream_leaves_the_reply_owed(persona, store):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    stream = conv.reply(AGENT[0])
    next(stream)
    stream.close()
    assert conv.owes_reply and store.turns(conv.session_id)[-1].role == "agent"
    assert say(conv.pending_reply())


def test_resume_gives_the_same_session(persona, store):
    conv = Conversation.start(persona, store=store, seed=7, user="ana", rubric="standard")
    say(conv.opening())
    play(conv, AGENT[:3])
    with SessionStore(store.path) as again:
        back = Conversation.resume(again, conv.session_id, {persona.id: persona}, user="ana")
        assert back.turns == conv.turns and back.steps == conv.steps
        assert back.state == conv.state and not back.owes_reply
        assert (back.info.seed, back.info.rubric) == (7, "standard")


def test_resumed_session_continues_like_an_uninterrupted_one(persona, store, tmp_path):
    straight = Conversation.start(persona, store=store, seed=1)
    say(straight.opening())
    straight_replies = play(straight, AGENT)

    split = Conversation.start(persona, store=store, seed=1)
    say(split.opening())
    first = play(split, AGENT[:2])
    back = Conversation.resume(store, split.session_id, {persona.id: persona})
    rest = play(back, AGENT[2:])
    assert first + rest == straight_replies
    assert back.steps == straight.steps


def test_resume_after_a_crash_between_turn_and_reply(persona, store):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    play(conv, AGENT[:1])
    conv.reply(AGENT[1])  # the agent turn is saved; the process "dies" before rendering
    back = Conversation.resume(store, conv.session_id, {persona.id: persona})
    assert back.owes_reply and back.turns[-1].text == AGENT[1]
    assert back.state.turn == 2
    reply = say(back.pending_reply())
    assert store.turns(conv.session_id)[-1] == back.turns[-1]
    assert back.turns[-1].text == reply.strip()


def test_stored_states_match_a_replay_of_the_agent_turns(persona, store):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    play(conv, AGENT)
    machine = CustomerMachine(persona)
    state = machine.start()
    states = [state]
    for turn in store.turns(conv.session_id):
        if turn.role == "agent":
            state = machine.step(state, turn.text).state
            states.append(state)
    assert [s.state for s in store.steps(conv.session_id)] == states


def test_resume_refuses_a_changed_persona(persona, store):
    conv = Conversation.start(persona, store=store)
    changed = persona.model_copy(update={"max_turns": persona.max_turns + 1})
    with pytest.raises(FrontlineError, match="has changed"):
        Conversation.resume(store, conv.session_id, {persona.id: changed})


def test_two_writers_on_one_session_do_not_interleave(persona, store):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    twin = Conversation.resume(store, conv.session_id, {persona.id: persona})
    say(conv.reply(AGENT[0]))
    with pytest.raises(FrontlineError, match="changed elsewhere"):
        twin.reply(AGENT[1])
    assert [t.text for t in store.turns(conv.session_id) if t.role == "agent"] == [AGENT[0]]


def test_unknown_mode_is_refused(persona, store):
    with pytest.raises(FrontlineError, match="unknown mode"):
        Conversation.start(persona, store=store, mode="quiz")


def test_users_see_only_their_own_sessions(persona, store):
    mine = [Conversation.start(persona, store=store, user="ana").session_id for _ in range(2)]
    theirs = Conversation.start(persona, store=store, user="ben")
    assert sorted(s.id for s in store.list_sessions("ana")) == sorted(mine)
    assert [s.id for s in store.list_sessions("ben")] == [theirs.session_id]
    assert store.list_sessions("cy") == []
    for call in (
        lambda: store.get(theirs.session_id, "ana"),
        lambda: store.transcript(theirs.session_id, "ana"),
        lambda: store.load_scorecard(theirs.session_id, "ana"),
        lambda: store.save_scorecard(theirs.session_id, "ana", {}),
        lambda: Conversation.resume(store, theirs.session_id, {persona.id: persona}, user="ana"),
    ):
        with pytest.raises(NotFound):
            call()


def test_transcript_records_the_session(persona, store):
    conv = Conversation.start(persona, store=store, seed=5, user="ana", rubric="std", mode="exam")
    say(conv.opening())
    play(conv, AGENT[:2])
    t = conv.transcript()
    assert (t.id, t.candidate, t.rubric, t.mode, t.seed, t.renderer) == (
        conv.session_id,
        "ana",
        "std",
        "exam",
        5,
        "offline",
    )
    assert t.persona.id == persona.id and t.persona.hash == persona.content_hash()
    assert [(x.role, x.text) for x in t.turns] == [(x.role, x.text) for x in conv.turns]
    assert [r.turn for r in t.trajectory] == [0, 1, 2]
    assert t.trajectory[0].reaction == "opening"
    assert t.trajectory[0].anger == persona.start.anger
    assert t.trajectory[2].moves == conv.steps[2].moves
    assert t.outcome is Outcome.ONGOING and t.created
    schema = json.loads((SCHEMAS_DIR / "transcript.schema.json").read_text())
    jsonschema.validate(json.loads(store.export_json(conv.session_id, "ana")), schema)


def test_transcript_of_a_session_without_turns_is_refused(persona, store):
    conv = Conversation.start(persona, store=store)
    with pytest.raises(FrontlineError, match="no turns"):
        conv.transcript()


def test_scorecards_are_kept_per_session(persona, store):
    conv = Conversation.start(persona, store=store, user="ana")
    assert store.load_scorecard(conv.session_id, "ana") is None
    store.save_scorecard(conv.session_id, "ana", {"score": 71, "notes": ["é"]})
    assert store.load_scorecard(conv.session_id, "ana") == {"score": 71, "notes": ["é"]}
    store.save_scorecard(conv.session_id, "ana", '{"score": 80}')
    assert store.load_scorecard(conv.session_id, "ana") == {"score": 80}
    with pytest.raises(ValueError):
        store.save_scorecard(conv.session_id, "ana", "not json")
    assert store.load_scorecard(conv.session_id, "ana") == {"score": 80}


def test_one_store_serves_many_threads(persona, store):
    errors: list[BaseException] = []
    ids: dict[int, str] = {}

    def session(n: int) -> None:
        try:
            conv = Conversation.start(persona, store=store, user=f"u{n}", seed=n)
            say(conv.opening())
            play(conv, AGENT)
            ids[n] = conv.session_id
        except BaseException as exc:  # collected, so the test fails with the cause
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(ids) == 8
    for n, sid in ids.items():
        turns = store.turns(sid)
        assert [t.role for t in turns[:3]] == ["customer", "agent", "customer"]
        assert [t.text for t in turns if t.role == "agent"] == AGENT[: len(turns) // 2]
        assert len(store.steps(sid)) == sum(t.role == "agent" for t in turns) + 1
        assert [s.id for s in store.list_sessions(f"u{n}")] == [sid]


def test_a_database_that_is_not_sqlite_gives_a_clear_error(tmp_path):
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(FrontlineError, match="cannot open the session database"):
        SessionStore(path)


def test_an_in_memory_store_for_scratch_sessions(persona):
    with SessionStore(":memory:") as scratch:
        conv = Conversation.start(persona, store=scratch)
        say(conv.opening())
        play(conv, AGENT[:2])
        assert [t.role for t in scratch.turns(conv.session_id)] == ["customer", "agent"] * 2 + [
            "customer"
        ]


def test_an_ended_session_takes_no_turn_from_a_stale_copy(persona, store):
    conv = Conversation.start(persona, store=store)
    say(conv.opening())
    stale = Conversation.resume(store, conv.session_id, {persona.id: persona})
    conv.end()
    with pytest.raises(FrontlineError, match="has ended"):
        stale.reply(AGENT[0])
    assert store.get(conv.session_id, "local").status == "ended"
    assert len(store.turns(conv.session_id)) == 1


def test_resume_with_a_missing_persona(persona, store):
    conv = Conversation.start(persona, store=store)
    with pytest.raises(NotFound, match="no longer exists"):
        Conversation.resume(store, conv.session_id, {})


def test_a_database_folder_that_cannot_be_made(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(FrontlineError, match="cannot open the session database"):
        SessionStore(tmp_path / "file" / "db.sqlite3")
