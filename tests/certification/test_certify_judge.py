"""The LLM judge in certification runs, against the fake OpenAI-compatible server.

A judge that fails is retried and then sends the transcript to human review; it never
turns into a fail. A judge that works stamps its model and prompt hash on the results.
"""

from __future__ import annotations

import json

import pytest
from certify_support import fixture_env, judge_env, judge_reply, write_transcripts
from fake_openai_server import FakeOpenAIServer, Reply

from simulator.certification.exam import ExamLibrary
from simulator.certification.judging import current_prompt_hash, judge_questions
from simulator.certification.plan import plan_run
from simulator.certification.runner import run
from simulator.certification.sources import file_sources
from simulator.certification.verify import verify
from simulator.errors import FrontlineError


@pytest.fixture
def env(tmp_path, monkeypatch):
    return fixture_env(tmp_path, monkeypatch)


def _run(tmp_path, n=6, out="out", **kw):
    inputs = tmp_path / "in"
    if not inputs.exists():
        write_transcripts(inputs, n, {"fixture-rational-refund": _hash()})
    plan = plan_run(ExamLibrary().get("test-exam"), tmp_path / out, use_judge=True, workers=1, **kw)
    return run(plan, file_sources([inputs]))


def _hash():
    from simulator.persona.loader import PersonaLibrary

    return PersonaLibrary().get("fixture-rational-refund").content_hash()


def _questions() -> list[str]:
    """The ids of the criteria the shipped rubric asks the judge about."""
    from simulator.grading.rubric_loader import RubricLibrary

    return [q.id for q in judge_questions(RubricLibrary().get("complaint-handling"))]


def _report(tmp_path, out="out"):
    return json.loads((tmp_path / out / "report.json").read_text())


def test_backend_errors_are_retried_then_marked_for_review_not_failed(env, tmp_path, monkeypatch):
    with FakeOpenAIServer(default=Reply(status=500)) as srv:
        judge_env(monkeypatch, srv.base_url)
        summary = _run(tmp_path)
        calls = len(srv.chat_requests())
    assert summary.counts["needs_review"] == 6 and summary.counts["judged"] == 0
    # exam judge.max_attempts is 2: each transcript's first question is tried twice, and
    # the questions after a dead backend are not sent.
    assert calls == 6 * 2
    report = _report(tmp_path)
    assert {c["result"] for c in report["candidates"]} == {"needs_review"}
    assert report["cohort"]["failed"] == 0
    review = report["candidates"][0]["personas"][0]["best"]["review"]
    assert any("the model failed" in r for r in review)


def test_transient_errors_are_retried_and_then_judged(env, tmp_path, monkeypatch):
    with FakeOpenAIServer(default=judge_reply()) as srv:
        srv.script(Reply(status=503))  # one transient failure, whichever call meets it
        judge_env(monkeypatch, srv.base_url)
        summary = _run(tmp_path, n=2)
        calls = len(srv.chat_requests())
    assert summary.counts["judged"] == 2 and summary.counts["needs_review"] == 0
    assert calls == 2 * len(_questions()) + 1


def test_judge_verdicts_are_stored_stamped_and_compared_with_the_rules(env, tmp_path, monkeypatch):
    with FakeOpenAIServer(default=judge_reply()) as srv:
        judge_env(monkeypatch, srv.base_url)
        summary = _run(tmp_path)
        first_calls = len(srv.chat_requests())
        # A rerun judges nothing again.
        again = _run(tmp_path)
        assert len(srv.chat_requests()) == first_calls and again.did_nothing
    assert summary.counts["judged"] == 6
    assert verify(tmp_path / "out").ok  # stamps include the judge's model and prompt hash
    report = _report(tmp_path)
    assert report["stamp"]["judge"] == {
        "model": "fake-judge",
        "prompt_hash": current_prompt_hash(),
        "samples": 1,
    }
    for c in report["candidates"]:
        for p in c["personas"]:
            best = p["best"]
            rules = {cr["id"]: cr["verdict"] for cr in best["criteria"]}
            judged = {v["criterion"]: v["verdict"] for v in best["judge"]["verdicts"]}
            assert set(judged) == set(_questions())
            # This judge always says yes: wherever the rules found a miss, a human decides.
            disagree = [k for k, v in judged.items() if rules[k] == "missed"]
            assert bool(best["review"]) == bool(disagree)
            if disagree:
                assert p["result"] in ("needs_review", "pass")


def test_an_exam_without_the_judge_refuses_judge(env, tmp_path):
    exam = (
        ExamLibrary()
        .get("test-exam")
        .model_copy(
            update={
                "judge": ExamLibrary()
                .get("test-exam")
                .judge.model_copy(update={"participation": "none"})
            }
        )
    )
    with pytest.raises(FrontlineError, match="rules only"):
        plan_run(exam, tmp_path / "out", use_judge=True)


def test_judge_without_a_configured_model_is_a_clear_error(env, tmp_path, monkeypatch):
    for name in ("MODEL", "BASE_URL", "CONFIG", "KIND"):
        monkeypatch.delenv(f"FRONTLINE_LLM_{name}", raising=False)
    with pytest.raises(FrontlineError, match="no model is configured"):
        plan_run(ExamLibrary().get("test-exam"), tmp_path / "out", use_judge=True)


def test_a_farm_of_judge_servers_shares_the_transcripts(env, tmp_path, monkeypatch):
    with (
        FakeOpenAIServer(default=judge_reply()) as one,
        FakeOpenAIServer(default=judge_reply()) as two,
    ):
        judge_env(monkeypatch, one.base_url)
        summary = _run(tmp_path, n=12, farm=[one.base_url, two.base_url])
        calls = (len(one.chat_requests()), len(two.chat_requests()))
    assert summary.counts["judged"] == 12
    per = len(_questions())
    assert sum(calls) == 12 * per and min(calls) > 0
    assert all(n % per == 0 for n in calls), "a transcript's questions go to one server"
