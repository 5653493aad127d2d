"""Replaying a turn another way: the deterministic customer's other reaction, the score
beside what happened, and replays kept with the session but never counted as sessions."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trainee_support import ACCEPTING, CLOSING, ROOT, accepting_script

from simulator.errors import FrontlineError, NotFound
from simulator.grading import RubricLibrary
from simulator.persona.loader import PersonaLibrary
from simulator.sessions import Conversation, SessionStore
from simulator.sessions.replay import ReplayResult, replay_turn

PERSONAS = PersonaLibrary(ROOT / "personas")
RUBRIC = RubricLibrary(ROOT / "rubrics").get("complaint-handling")
CALM_DOWN = "Calm down, please. It's only a bill."
WARM = "I'm so sorry, that sounds really frustrating. I'll look into it right now."


def session(store: SessionStore, lines: list[str], seed: int = 4, user: str = "ana"):
    conv = Conversation.start(
        PERSONAS.get(ACCEPTING), store=store, seed=seed, user=user, rubric=RUBRIC.id
    )
    "".join(conv.opening())
    for line in lines:
        "".join(conv.reply(line))
    return conv


def replay(store, conv, turn, text, user="ana") -> ReplayResult:
    return replay_turn(
        store, conv.session_id, user, turn=turn, reply=text, personas=PERSONAS, rubric=RUBRIC
    )


def test_replaying_a_turn_with_the_same_words_gives_what_happened(store):
    conv = session(store, list(accepting_script()))
    for n, line in enumerate(accepting_script(), 1):
        r = replay(store, conv, n, line)
        assert r.replay.customer == r.actual.customer and r.replay.mood == r.actual.mood
        assert r.replay.score == r.actual.score and r.changed == []
        assert r.actual.reply == line


def test_a_different_reply_shows_the_other_reaction_and_score(store):
    conv = session(store, [WARM, *accepting_script()[1:2]])
    r = replay(store, conv, 1, CALM_DOWN)
    assert r.actual.reply == WARM and r.replay.reply == CALM_DOWN
    assert r.replay.mood.anger > r.before.anger > r.actual.mood.anger
    assert r.replay.customer and r.replay.customer != r.actual.customer
    assert any("calm down" in reason.lower() for reason in r.replay.reasons)
    assert r.replay.violations and not r.actual.violations
    assert r.replay.score < r.actual.score
    assert any(c.actual == "met" and c.replay != "met" for c in r.changed)
    # The session itself is untouched.
    assert [t.text for t in store.turns(conv.session_id) if t.role == "agent"] == [
        WARM,
        accepting_script()[1],
    ]


def test_a_replay_can_end_the_call_where_the_real_one_went_on(store):
    script = accepting_script()
    conv = session(store, [*script[:-1], "Let me see."])
    r = replay(store, conv, len(script), script[-1])
    assert r.actual.outcome == "ongoing" and r.replay.outcome == "resolved"
    assert r.replay.ended and not r.actual.ended


@pytest.mark.parametrize(
    ("turn", "text", "message"),
    [
        (0, WARM, "no agent turn 0"),
        (3, WARM, "no agent turn 3"),
        (1, "  ", "empty"),
        (1, "x" * 20_001, "the limit is 20000"),  # the one limit on a turn, everywhere
    ],
)
def test_bad_requests_say_what_is_wrong(store, turn, text, message):
    conv = session(store, [WARM, "When did it happen?"])
    with pytest.raises(FrontlineError, match=message):
        replay(store, conv, turn, text)


def test_the_closing_turn_after_acceptance_is_not_replayed(store):
    conv = session(store, [*accepting_script(), CLOSING])
    with pytest.raises(FrontlineError, match="after the customer had decided"):
        replay(store, conv, len(accepting_script()) + 1, "Bye then.")


def test_another_users_session_is_not_found(store):
    conv = session(store, [WARM])
    with pytest.raises(NotFound):
        replay(store, conv, 1, CALM_DOWN, user="eve")
    with pytest.raises(NotFound):
        store.load_replays(conv.session_id, "eve")


def test_a_changed_persona_refuses_to_replay(store, tmp_path):
    conv = session(store, [WARM])
    changed = PERSONAS.get(ACCEPTING).model_copy(update={"summary": "Someone else now."})
    with pytest.raises(FrontlineError, match="has changed since"):
        replay_turn(
            store,
            conv.session_id,
            "ana",
            turn=1,
            reply=CALM_DOWN,
            personas=_Lib(changed),
            rubric=RUBRIC,
        )


class _Lib:
    def __init__(self, persona):
        self.persona = persona

    def get(self, _pid):
        return self.persona


def test_replays_are_kept_with_the_session_and_never_counted(store):
    conv = session(store, [WARM, "When did it happen?"])
    before = store.list_sessions("ana")
    first = replay(store, conv, 1, CALM_DOWN)
    second = replay(store, conv, 2, "Could you tell me exactly what went wrong?")
    for r in (first, second):
        store.save_replay(conv.session_id, "ana", r.model_dump(mode="json"))
    kept = [ReplayResult.model_validate(d) for d in store.load_replays(conv.session_id, "ana")]
    assert kept == [first, second] and all(k.kind == "replay" for k in kept)
    assert store.list_sessions("ana") == before, "a replay is not a session"
    assert store.get(conv.session_id, "ana").agent_turns == 2
    with pytest.raises(NotFound):
        store.save_replay(conv.session_id, "eve", first.model_dump(mode="json"))


def test_a_database_made_before_replays_gets_the_table(tmp_path):
    path = tmp_path / "old.sqlite3"
    with SessionStore(path) as s:
        conv = session(s, [WARM])
    with sqlite3.connect(path) as db:  # as a database at schema version 2 was
        db.execute("DROP TABLE replays")
        db.execute("ALTER TABLE turns DROP COLUMN guard")  # migration 4's
        db.execute("DELETE FROM schema_migrations WHERE version >= 3")
    with SessionStore(path) as s:
        assert s.load_replays(conv.session_id, "ana") == []
        s.save_replay(conv.session_id, "ana", replay(s, conv, 1, CALM_DOWN).model_dump(mode="json"))
        assert len(s.load_replays(conv.session_id, "ana")) == 1


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=300))
def test_any_reply_text_replays_or_is_refused_cleanly(store, text):
    """Whatever the trainee types: a result, or a FrontlineError with a message."""
    conv = _shared(store)
    try:
        r = replay(store, conv, 1, text)
    except FrontlineError as exc:
        assert str(exc)
        return
    assert r.replay.reply == text.strip() and 0 <= r.replay.score <= 100


_SHARED: dict = {}


def _shared(store):
    key = str(store.path)
    if key not in _SHARED:
        _SHARED[key] = session(store, [WARM])
    return _SHARED[key]


def test_cli_replay_prints_both_sides_and_saves_the_replay(cli, tmp_path):
    import re

    env = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    db = str(tmp_path / "s.sqlite3")
    done = cli(
        "practice",
        "--persona",
        ACCEPTING,
        "--offline",
        "--db",
        db,
        stdin=f"{WARM}\n/end\n",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    sid = re.search(r"Session (\w+) is saved", done.stdout).group(1)
    out = cli("replay", sid, "--turn", "1", "--reply", CALM_DOWN, "--db", db, env=env)
    assert out.returncode == 0, out.stderr
    assert "Replay of turn 1 (practice" in out.stdout
    assert f"You: {WARM}" in out.stdout and f"You: {CALM_DOWN}" in out.stdout
    assert re.search(r"Score [\d.]+ -> [\d.]+ \(-", out.stdout)
    with SessionStore(db) as s:
        assert len(s.load_replays(sid, "local")) == 1 and len(s.list_sessions("local")) == 1
    bad = cli("replay", sid, "--turn", "9", "--reply", "Hi", "--db", db, env=env)
    assert bad.returncode == 1 and "no agent turn 9" in bad.stderr
    assert "Traceback" not in bad.stderr
