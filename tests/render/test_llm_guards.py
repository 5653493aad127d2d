"""The customer's words follow the state machine (issue 17): each check, with the replies
real small models gave (copied from the issue), through the real openai client and the
fake server; and the guard record each customer turn keeps."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_support import backend_for

from simulator.customer.machine import CustomerMachine
from simulator.customer.state import ReactionPlan
from simulator.persona.loader import load_persona
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest, Turn
from simulator.render.character import checker_for
from simulator.render.llm import LLMRenderer
from simulator.render.offline import OfflineRenderer
from simulator.render.prompts import instruction_texts
from simulator.sessions import Conversation, SessionStore
from simulator.transcript import Transcript

BILLING = Path(__file__).parents[2] / "personas" / "aggressive-rational-billing.yaml"
OPENING = "You charged me twice this month and my account went overdrawn because of it."
OFFER = "I can refund the duplicate charge of £49.90 to your account today."
GOOD = "I still want to know why this happened at all."


@pytest.fixture(scope="module")
def billing():
    return load_persona(BILLING)


@pytest.fixture
def fake_server():
    with FakeOpenAIServer() as server:
        yield server


def planned(persona, reaction: Reaction, agent: str = OFFER, **plan) -> RenderRequest:
    state = CustomerMachine(persona).start()
    return RenderRequest(
        persona=persona,
        state=state,
        plan=ReactionPlan(reaction=reaction, **plan),
        history=[Turn("customer", OPENING), Turn("agent", agent)],
        seed=3,
    )


def render(server, request: RenderRequest, **kw) -> tuple[str, LLMRenderer]:
    renderer = LLMRenderer(backend_for(server), regenerations=kw.pop("regenerations", 2), **kw)
    return "".join(renderer.render(request)), renderer


# Replies copied from issue 17, with the check that must stop each.
FAILURES = [
    (
        Reaction.DOUBT,
        "Thank you for your understanding, Darren Hollis. I will confirm this payment to your "
        "account today and add £25 to cover the overdraft fee your bank charged.",
        "agent_speech",
    ),
    (
        Reaction.DOUBT,
        "I will confirm this payment to your account today and add £25 to cover the "
        "overdraft fee your bank charged.",
        "role_reversal",
    ),
    (Reaction.DOUBT, "That is fine for now, Darren Hollis.", "self_address"),
    (
        Reaction.VENT,
        "I appreciate your understanding and apologize for the inconvenience.",
        "agent_speech",
    ),
    (Reaction.REJECT_EXCUSE, "I understand. I'll write that down.", "not_rejecting"),
    (Reaction.VENT, OPENING, "repeat"),
    (Reaction.VENT, "Refund the duplicate charge of £49.90 to the account today.", "echo"),
    (Reaction.VENT, "I want my money back.<|im_end|>", "special_token"),
    (Reaction.VENT, "[INST] I want my money back.", "special_token"),
    (Reaction.VENT, "I want my money back.</s>", "special_token"),
    (
        Reaction.VENT,
        "Reply with 1 to 3 short sentences of plain text, as the customer would type them.",
        "prompt_text",
    ),
]


@pytest.mark.parametrize("reaction,bad,kind", FAILURES)
def test_each_failure_from_the_issue_is_regenerated_and_never_shown(
    fake_server, billing, reaction, bad, kind
):
    fake_server.script(Reply(content=bad), Reply(content=GOOD))
    shown, renderer = render(fake_server, planned(billing, reaction))
    assert shown == GOOD
    report = renderer.last_report
    assert report.breaks == [kind] and report.shown == "regenerated"
    assert kind in report.checks
    # The model is told why its draft was refused.
    assert "previous draft" in fake_server.chat_requests()[1]["messages"][0]["content"]


# A planned reveal: the agent asked for the earlier reference; the machine gives it.
REVEAL = dict(fact="previous-reference")


@pytest.mark.parametrize(
    "bad,kind",
    [
        ("I don't have the reference number.", "withholding"),
        ("I'm sorry, but I don't have the order number handy.", "withholding"),
        ("Someone gave me a reference last time and it changed nothing.", "missing_reveal"),
    ],
)
def test_a_planned_reveal_must_be_given_or_the_bank_gives_it(fake_server, billing, bad, kind):
    fake_server.default = Reply(content=bad)
    request = planned(billing, Reaction.ANSWER_QUESTION, "What was the reference?", **REVEAL)
    shown, renderer = render(fake_server, request)
    assert "CR-558120" in shown  # the phrase bank's answer carries the fact
    assert renderer.last_report.breaks == [kind] * 3 and renderer.last_report.shown == "bank"


def test_a_reply_giving_the_planned_fact_passes(fake_server, billing):
    fake_server.default = Reply(content="It was CR-558120, on the 4th. Write it down this time.")
    request = planned(billing, Reaction.ANSWER_QUESTION, "What was the reference?", **REVEAL)
    shown, renderer = render(fake_server, request)
    assert shown == "It was CR-558120, on the 4th. Write it down this time."
    assert renderer.last_report.breaks == [] and renderer.last_report.shown == "llm"


def test_a_reply_giving_a_fact_is_held_whole_until_checked(fake_server, billing):
    # Its first sentence passes every sentence check, but the reply lacks the fact: had the
    # sentence been shown, the failing reply could no longer be replaced.
    fake_server.script(
        Reply(content="I rang you on the 4th. They gave me nothing useful."),
        Reply(content="The reference was CR-558120."),
    )
    request = planned(billing, Reaction.ANSWER_QUESTION, "What was the reference?", **REVEAL)
    renderer = LLMRenderer(backend_for(fake_server), regenerations=2)
    chunks = list(renderer.render(request))
    assert "".join(chunks) == "The reference was CR-558120."
    assert renderer.last_report.breaks == ["missing_reveal"]


@pytest.mark.parametrize(
    "reaction,sentence,plan",
    [
        (Reaction.REJECT_EXCUSE, "I understand, but I don't want excuses, I want it fixed.", {}),
        (Reaction.ASK_TIMESCALE, "So you'll refund the £49.90 to my account today?", {}),
        (
            Reaction.ANSWER_QUESTION,
            "Account number's BM-7731-0492, in my name, Darren Hollis.",
            {"fact": "account-number"},
        ),
        (Reaction.VENT, "I do not want excuses or finger-pointing, I want it fixed.", {}),
        (Reaction.VENT, "I'll take this to my bank if it isn't sorted today.", {}),
        (Reaction.ESCALATE, "I will escalate this to the ombudsman.", {}),
    ],
)
def test_in_character_replies_pass_every_check(billing, reaction, sentence, plan):
    check = checker_for("en").bind(planned(billing, reaction, **plan), instruction_texts())
    assert check(sentence) is None
    assert check.reply(sentence) is None


def test_a_shown_fragment_is_never_left_dangling_under_early_release(fake_server, billing):
    # Issue 17: the trainee saw only "I did ask " (a hidden-fact break after 10 characters).
    fake_server.default = Reply(content="I did ask for the reference CR-558120 on the 4th.")
    request = planned(billing, Reaction.VENT)
    shown, renderer = render(fake_server, request, release="early")
    bank = OfflineRenderer().reply(request)
    assert shown.startswith("I did ask ") and shown.endswith(" … " + bank)
    assert "CR-558120" not in shown
    assert renderer.last_report.completed_from_bank and renderer.last_report.truncated


def test_the_default_holds_each_sentence_until_judged(fake_server, billing):
    fake_server.script(
        Reply(content="I did ask for the reference CR-558120 on the 4th."), Reply(content=GOOD)
    )
    shown, renderer = render(fake_server, planned(billing, Reaction.VENT))
    assert shown == GOOD and renderer.last_report.breaks == ["hidden_fact"]


@pytest.mark.parametrize("release", ["sentence", "early"])
def test_a_reply_cut_at_the_token_limit_drops_its_fragment(fake_server, billing, release):
    # Issue 17: an opening ended in a dangling "…it never came. I".
    fake_server.default = Reply(
        content="I paid for a refund that was promised and it never came. I",
        finish_reason="length",
    )
    shown, _ = render(fake_server, planned(billing, Reaction.VENT), release=release)
    assert shown.rstrip() == "I paid for a refund that was promised and it never came."


def test_a_reply_that_is_only_a_fragment_is_regenerated(fake_server, billing):
    fake_server.script(Reply(content="I paid and", finish_reason="length"), Reply(content=GOOD))
    shown, renderer = render(fake_server, planned(billing, Reaction.VENT))
    assert shown == GOOD and renderer.last_report.breaks == ["cut_off"]


# -- the guard record --------------------------------------------------------------------
def test_each_customer_turn_keeps_its_guard_record(fake_server, billing, tmp_path):
    fake_server.script(
        Reply(content="How can I help you today?"),
        Reply(content=OPENING),
        Reply(content="I appreciate your understanding and apologize for the inconvenience."),
        Reply(content="Thank you for your understanding, Darren Hollis."),
        Reply(content="<|im_end|>"),
    )
    path = tmp_path / "sessions.sqlite3"
    with SessionStore(path) as store:
        renderer = LLMRenderer(backend_for(fake_server), regenerations=2)
        conv = Conversation.start(billing, store=store, renderer=renderer)
        assert "".join(conv.opening()) == OPENING
        "".join(conv.reply("I'm so sorry, that should never have happened."))
        transcript = conv.transcript()
    opening, reply = transcript.turns[0].guard, transcript.turns[2].guard
    assert opening.shown == "regenerated" and opening.failed == ["agent_speech"]
    assert "role_reversal" in opening.checks and "special_token" in opening.checks
    assert reply.shown == "bank" and reply.failed == [
        "agent_speech",
        "agent_speech",
        "special_token",
    ]
    assert transcript.turns[1].guard is None  # agent turns have none
    # It survives the store: a new process reads it back, and the export has it.
    with SessionStore(path) as store:
        again = store.transcript(conv.session_id, conv.info.user)
        exported = json.loads(store.export_json(conv.session_id, conv.info.user))
    assert again.turns[2].guard == reply
    assert exported["turns"][2]["guard"]["shown"] == "bank"


def test_a_phrase_bank_session_and_an_old_transcript_have_no_guard_record(billing, tmp_path):
    with SessionStore(tmp_path / "s.sqlite3") as store:
        conv = Conversation.start(billing, store=store)
        "".join(conv.opening())
        assert conv.transcript().turns[0].guard is None
    old = {"schema_version": 1, "turns": [{"role": "customer", "text": "Hi."}]}
    assert Transcript.model_validate(old).turns[0].guard is None


def test_an_old_database_gets_the_guard_column(billing, tmp_path):
    path = tmp_path / "old.sqlite3"
    with SessionStore(path) as store:
        conv = Conversation.start(billing, store=store)
        "".join(conv.opening())
    with sqlite3.connect(path) as db:  # as a database at schema version 3 was
        # (or one made on a branch that has later versions but not this one: every
        # missing version is applied)
        db.execute("ALTER TABLE turns DROP COLUMN guard")
        db.execute("DELETE FROM schema_migrations WHERE version = 4")
    with SessionStore(path) as store:
        assert store.transcript(conv.session_id, conv.info.user).turns[0].guard is None


# -- the rates, through the CLI ------------------------------------------------------------
def llm_env(server: FakeOpenAIServer) -> dict[str, str]:
    return {
        "FRONTLINE_LLM_KIND": "vllm",
        "FRONTLINE_LLM_BASE_URL": server.base_url,
        "FRONTLINE_LLM_MODEL": "fake-model",
        "FRONTLINE_LLM_MAX_ATTEMPTS": "1",
    }


def test_practice_export_reports_the_guard_rates(cli, fake_server, tmp_path):
    # The first draft of every reply speaks as the agent; the second is in character.
    fake_server.script(
        Reply(content="How can I help you today?"),
        Reply(content="I was charged twice and nobody has fixed it."),
        Reply(content="I appreciate your understanding and apologize for the inconvenience."),
        Reply(content="I want the duplicate charge refunded."),
    )
    out = tmp_path / "t.json"
    result = cli(
        "practice",
        "--persona",
        "fixture-rational-refund",
        "--export",
        str(out),
        stdin="I'm sorry, that should not have happened.\n",
        env=llm_env(fake_server),
    )
    assert result.returncode == 0, result.stderr
    exported = json.loads(out.read_text())
    assert exported["guards"]["replies"] == 2
    assert exported["guards"]["shown"] == {"regenerated": 2}
    assert exported["guards"]["failed"] == {"agent_speech": 2}
    assert [t["guard"]["failed"] for t in exported["turns"] if t["role"] == "customer"] == [
        ["agent_speech"],
        ["agent_speech"],
    ]


def test_calibrate_llm_reports_the_guard_rates(cli, fake_server):
    fake_server.default = Reply(content="<|im_end|>")  # every draft fails: the bank speaks
    result = cli(
        "calibrate",
        "--llm",
        "--runs",
        "1",
        "--policy",
        "exemplary",
        "--persona",
        "fixture-rational-refund",
        "--json",
        "--workers",
        "1",
        env={**llm_env(fake_server), "FRONTLINE_LLM_REGENERATIONS": "0"},
    )
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    guards = data["guards"]
    assert guards["replies"] > 0 and guards["shown"] == {"bank": guards["replies"]}
    assert guards["failed"] == {"special_token": guards["replies"]}


# -- the prompt, shaped for small models --------------------------------------------------
def test_the_prompt_shows_the_personas_own_lines_and_ends_with_the_decision(fake_server, billing):
    fake_server.default = Reply(content="It was CR-558120, on the 4th.")
    request = planned(billing, Reaction.ANSWER_QUESTION, "What was the reference?", **REVEAL)
    render(fake_server, request)
    system = fake_server.chat_requests()[0]["messages"][0]["content"]
    bank = OfflineRenderer().reply(request)
    assert bank in system  # the phrase bank's own line, filled, as a style example
    last = system.rstrip().splitlines()[-1]
    assert last.startswith("In short: The agent asked a question.")
    assert "CR-558120" in last and "Do not accept" in last


def test_the_decision_lets_the_customer_accept_only_when_the_machine_does(billing):
    from simulator.render.prompts import decision

    assert "Do not accept" not in decision(
        planned(billing, Reaction.ACCEPT, offer="refund-plus-fee")
    )
    assert "Do not accept" in decision(planned(billing, Reaction.REJECT_EXCUSE))


# -- no false alarms on the personas' own voice ---------------------------------------------
def test_every_shipped_phrase_bank_line_passes_the_checks():
    """The personas' own lines are what an in-character reply looks like: each, filled in
    for its reaction, passes every check (a check that refused them would refuse good
    model replies too, and the phrase bank would speak far more often than it should)."""
    from simulator.languages import splitter_for
    from simulator.persona.loader import PersonaLibrary
    from simulator.render.offline import bank_for, fill, fill_values

    library = PersonaLibrary(BILLING.parent)
    failures = []
    for pid in library.ids():
        persona = library.get(pid)
        state = CustomerMachine(persona).start()
        for reaction in Reaction:
            plan: dict = {}
            if reaction is Reaction.ANSWER_QUESTION:
                plan["fact"] = persona.case.hidden_facts[0].id
            if reaction in (Reaction.ACCEPT, Reaction.REJECT_OFFER, Reaction.ASK_TIMESCALE):
                plan["offer"] = plan["rejected"] = persona.case.remedies[0].id
            for anger in (20.0, 80.0):
                state.anger = anger
                request = RenderRequest(
                    persona=persona,
                    state=state,
                    plan=ReactionPlan(reaction=reaction, **plan),
                    history=[Turn("customer", "I have a problem."), Turn("agent", "Tell me more.")],
                )
                check = checker_for(persona.language).bind(request, instruction_texts())
                for line in bank_for(persona, reaction, anger):
                    text = fill(line, fill_values(request))
                    brk = next(
                        (
                            b
                            for a, z in splitter_for("en").sentences(text)
                            if (b := check(text[a:z]))
                        ),
                        None,
                    ) or check.reply(text)
                    if brk is not None:
                        failures.append((pid, reaction.value, brk.kind, text))
    assert failures == []


@pytest.mark.parametrize(
    "reply",
    [
        "I see. I just wanted it to arrive on time.",
        "I'll write that down: 'told to calm down, 1st of October'.",
        "I understand, but I want it fixed.",
    ],
)
def test_going_along_and_then_pushing_back_is_in_character(billing, reply):
    check = checker_for("en").bind(planned(billing, Reaction.REJECT_EXCUSE), instruction_texts())
    assert check.reply(reply) is None


def test_echo_and_repetition_work_without_spaces_between_words(billing):
    from simulator.render.reply_checks import containment, jaccard, units

    agent = units("我们会在今天把重复扣的钱退到您的账户。")
    assert containment(units("会在今天把重复扣的钱退到账户"), agent) >= 0.8
    assert jaccard(units("我被扣了两次钱。"), units("我被扣了两次钱！")) == 1.0
    assert containment(units("我要见你们的经理。"), agent) < 0.5


def test_the_customer_never_takes_the_agents_name(billing):
    request = planned(billing, Reaction.VENT, "Hello, my name is Sarah. I'm sorry about this.")
    check = checker_for("en").bind(request, instruction_texts())
    assert check("This is Sarah from billing, how can we sort this?").kind == "self_address"
    assert check("Sarah, I want my money back.") is None  # addressing the agent is fine
    assert check("I'm sorry, but that is not good enough.") is None


def test_an_unreadable_guard_record_loses_nothing_else(billing, tmp_path):
    path = tmp_path / "s.sqlite3"
    with SessionStore(path) as store:
        conv = Conversation.start(billing, store=store)
        opening = "".join(conv.opening()).strip()
    with sqlite3.connect(path) as db:
        db.execute('UPDATE turns SET guard = \'{"shown": "nobody"\' WHERE idx = 0')
    with SessionStore(path) as store:
        turn = store.transcript(conv.session_id, conv.info.user).turns[0]
    assert turn.text == opening and turn.guard is None


def test_a_trainers_pack_adds_its_own_phrases_to_the_checks(billing, tmp_path, monkeypatch):
    folder = tmp_path / "packs" / "en"
    folder.mkdir(parents=True)
    (folder / "character.yaml").write_text(
        "schema_version: 1\nlanguage: en\nrole_reversal:\n  - \\bon behalf of the company\\b\n"
        "echo_overlap: 0.9\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path / "packs"))
    checker = checker_for("en")
    check = checker.bind(planned(billing, Reaction.VENT), instruction_texts())
    assert check("I say this on behalf of the company.").kind == "role_reversal"
    assert check("I will refund you today.").kind == "role_reversal"  # shipped rules stay
    assert checker.rules.echo_overlap == 0.9
    assert checker.rules.special_tokens.count(r"</?s>") == 1
