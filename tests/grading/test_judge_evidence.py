"""Issue 15, defect 4: the judge must show the behaviour, not merely quote some agent words.

A judge "yes" may change a criterion's verdict only when its quote is a whole clause, or at
least three whole words, verbatim in an agent turn, that the rule move detector reads as
one of the criterion's moves; otherwise the criterion goes to human review and the rules'
verdict stands. Driven through the real openai client against the fake server
(tests/fake_openai_server.py), through ``frontline grade --judge`` and through a
certification run, whose report counts how many criteria the judge changed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from certify_support import fixture_env, judge_env, judge_reply, write_transcripts
from fake_openai_server import FakeOpenAIServer, Reply
from llm_support import backend_for

from simulator.certification.cohort import judge_flips
from simulator.certification.exam import ExamLibrary
from simulator.certification.plan import plan_run
from simulator.certification.runner import run
from simulator.certification.sources import file_sources
from simulator.grading import RubricLibrary, grade
from simulator.grading.judge import grade_with_judge
from simulator.grading.judge.relevance import (
    criterion_moves,
    evidence_problem,
    is_whole_clause,
    substantial,
)
from simulator.moves.detector import default_detector
from simulator.moves.vocabulary import Move
from simulator.transcript import Transcript

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = RubricLibrary(ROOT / "rubrics").get("complaint-handling")
CRITERIA = {c.id: c for _, c in RUBRIC.criteria()}
ID_OF = {c.judge: c.id for _, c in RUBRIC.criteria() if c.judge}
DETECTOR = default_detector()

# The agent of the issue: only a violation in each turn.
RUDE = Transcript.model_validate(
    {
        "turns": [
            {"role": "customer", "text": "You charged me twice, £64.50 each time. Sort it out!"},
            {"role": "agent", "text": "Calm down, that's our policy"},
            {"role": "customer", "text": "Your policy is to charge me twice?"},
            {"role": "agent", "text": "You should have checked your bank earlier"},
        ]
    }
)
# Real agent words that show nothing about feelings.
PAYMENTS = "I can see the two payments of £64.50"
FACTUAL = Transcript.model_validate(
    {
        "turns": [
            {"role": "customer", "text": "You charged me twice, £64.50 each time. I'm furious!"},
            {"role": "agent", "text": f"{PAYMENTS}. I will refund the second one today."},
        ]
    }
)


def answer(turn: int | None, quote: str | None, verdict: str = "yes") -> str:
    return json.dumps(
        {"reasoning": "It is there.", "verdict": verdict, "turn": turn, "quote": quote}
    )


def trivial(turn: int):
    """The lying judge of the issue: "yes" to every question, quoting the letter "a"."""
    return lambda body: Reply(content=answer(turn, "a"))


def per_criterion(answers: dict[str, str], default: str = answer(None, None, "no")):
    def respond(body: dict) -> Reply:
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        cid = ID_OF[re.search(r"^Question: (.*)$", user, re.M).group(1)]
        return Reply(content=answers.get(cid, default))

    return respond


@pytest.fixture
def server():
    with FakeOpenAIServer() as srv:
        yield srv


# -- the lying judge ------------------------------------------------------------------------
@pytest.mark.parametrize("turn", [1, 3])
def test_a_judge_quoting_a_letter_cannot_raise_the_score(server, turn):
    rules = grade(RUDE, RUBRIC)
    server.default = trivial(turn)
    card = grade_with_judge(RUDE, RUBRIC, backend_for(server))
    assert card.overall == rules.overall == 0.0
    assert [c.verdict for c in card.criteria] == [c.verdict for c in rules.criteria]
    changed = [j for j in card.judge.criteria if j.effect == "changed"]
    assert changed == []
    # Every "yes" that would have changed a verdict asks a human instead.
    doubted = [j for j in card.judge.criteria if j.evidence_problem]
    assert doubted and all(j.effect == "review" and j.result == j.rule_verdict for j in doubted)
    assert all("neither a whole clause nor 3" in j.evidence_problem for j in doubted)
    assert card.needs_review and card.judge.needs_review
    assert {r.split(":")[0] for r in card.judge.review} >= {j.criterion for j in doubted}


def test_real_words_that_do_not_show_the_behaviour_go_to_review(server):
    rules = grade(FACTUAL, RUBRIC)
    assert next(c for c in rules.criteria if c.id == "acknowledge-feelings").verdict == "missed"
    server.default = per_criterion({"acknowledge-feelings": answer(1, PAYMENTS)})
    card = grade_with_judge(FACTUAL, RUBRIC, backend_for(server))
    c = next(c for c in card.criteria if c.id == "acknowledge-feelings")
    assert (c.verdict, c.needs_review) == ("missed", True)
    j = next(j for j in card.judge.criteria if j.criterion == "acknowledge-feelings")
    assert (j.verdict, j.verified, j.effect) == ("yes", True, "review")
    assert "does not recognise" in j.evidence_problem and "empathise" in j.evidence_problem
    assert card.overall == rules.overall and card.needs_review


def test_the_cli_shows_the_rejected_evidence_and_keeps_the_rule_score(cli, server, tmp_path):
    call = tmp_path / "call.json"
    call.write_text(RUDE.model_dump_json(), encoding="utf-8")
    server.default = trivial(1)
    env = {
        "FRONTLINE_LLM_MODEL": "fake-model",
        "FRONTLINE_LLM_BASE_URL": server.base_url,
        "FRONTLINE_LLM_KIND": "vllm",
        "FRONTLINE_LLM_BATCH_QUESTIONS": "false",  # this fake answers one question a call
        "FRONTLINE_LLM_MAX_ATTEMPTS": "1",
        "FRONTLINE_RUBRICS": str(ROOT / "rubrics"),
    }
    result = cli("grade", str(call), "--judge", "--json", env=env)
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["overall"] == 0.0 and card["needs_review"] is True
    assert not [j for j in card["judge"]["criteria"] if j["effect"] == "changed"]
    text = cli("grade", str(call), "--judge", env=env)
    assert "NEEDS HUMAN REVIEW" in text.stdout and "neither a whole clause" in text.stdout
    assert "Traceback" not in text.stderr


# -- the pieces ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,quote,ok",
    [
        ("Calm down, that's our policy", "a", False),  # a letter inside a word
        ("Calm down, that's our policy", "that's our", False),  # two words
        ("Calm down, that's our policy", "lm down, that", False),  # cut mid-word
        ("Calm down, that's our policy", "down, that's our", True),  # three whole words
        ("I'm sorry. It was our mistake.", "I'm sorry.", True),  # a whole sentence
        ("I'm sorry. It was our mistake.", "I'm sorry", True),  # ... without its stop
        ("We can't refund it, but I can replace it.", "I can replace it", True),  # a clause
        ("Sorry! Fixed.", "Fixed", True),
    ],
)
def test_substantial_quotes(text, quote, ok):
    start = text.index(quote)
    assert substantial(text, start, start + len(quote)) is ok


def test_a_whole_clause_must_start_where_the_clause_starts():
    text = "We can't refund it, but I can replace it."
    assert is_whole_clause(text, text.index("but I can"), len(text))
    assert is_whole_clause(text, 0, text.index(","))
    assert not is_whole_clause(text, text.index("can replace"), len(text))


def test_a_criterion_is_read_over_every_move_its_check_names():
    assert criterion_moves(CRITERIA["acknowledge-feelings"]) == {Move.EMPATHISE}
    assert criterion_moves(CRITERIA["sincere-apology"]) == {Move.APOLOGISE, Move.OWN}
    assert Move.EXPLAIN in criterion_moves(CRITERIA["remedy-explained"])


def test_the_product_reading_decides_relevance():
    feelings = CRITERIA["acknowledge-feelings"]
    assert (
        evidence_problem(
            "That sounds really frustrating",
            "That sounds really frustrating, I'm sorry.",
            feelings,
            DETECTOR,
        )
        is None
    )
    assert "does not recognise" in evidence_problem(PAYMENTS, f"{PAYMENTS}.", feelings, DETECTOR)
    assert "not in the agent turn" in evidence_problem(
        "nowhere", "Hello there.", feelings, DETECTOR
    )


# -- certification counts the flips -----------------------------------------------------------
def test_judge_flips_are_counted_per_transcript_and_in_total(tmp_path, monkeypatch):
    fixture_env(tmp_path, monkeypatch)
    inputs = tmp_path / "in"
    from simulator.persona.loader import PersonaLibrary

    write_transcripts(
        inputs,
        4,
        {"fixture-rational-refund": PersonaLibrary().get("fixture-rational-refund").content_hash()},
    )
    with FakeOpenAIServer(default=judge_reply()) as srv:
        judge_env(monkeypatch, srv.base_url)
        plan = plan_run(ExamLibrary().get("test-exam"), tmp_path / "out", use_judge=True, workers=1)
        run(plan, file_sources([inputs]))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    flips = report["cohort"]["judge_flips"]
    attempts = [a for c in report["candidates"] for p in c["personas"] for a in p["attempts"]]
    assert len(attempts) == 4 and all("judge_flips" in a for a in attempts)
    assert flips["criteria"] == sum(a["judge_flips"] for a in attempts)
    assert flips["transcripts"] == sum(a["judge_flips"] > 0 for a in attempts)
    html = (tmp_path / "out" / "report.html").read_text()
    assert f"it changed {flips['criteria']} criterion verdict(s)" in html


def test_judge_flips_count_only_changed_verdicts():
    record = {
        "verdicts": [
            {"effect": "changed"},
            {"effect": "review"},
            {"effect": "agrees"},
            {"effect": "changed"},
        ]
    }
    assert judge_flips(record) == 2
    assert judge_flips(None) == 0 and judge_flips({}) == 0
