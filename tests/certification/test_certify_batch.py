"""The judge through the OpenAI Batch API: submit, poll, collect, resume; failures go to
human review. Against tests/fake_batch_api.py (the fake OpenAI server plus /v1/files and
/v1/batches)."""

from __future__ import annotations

import json

import pytest
from certify_support import fixture_env, judge_env, judge_reply, write_transcripts
from fake_batch_api import FakeBatchServer
from fake_openai_server import Reply

from simulator.certification.exam import ExamLibrary
from simulator.certification.judging import judge_questions
from simulator.certification.plan import plan_run
from simulator.certification.runner import run
from simulator.certification.sources import file_sources
from simulator.cli import main as cli_main
from simulator.grading.rubric_loader import RubricLibrary


@pytest.fixture
def env(tmp_path, monkeypatch):
    e = fixture_env(tmp_path, monkeypatch)
    write_transcripts(tmp_path / "in", 6, e["hashes"])
    return e


def _run(tmp_path, wait=True):
    plan = plan_run(
        ExamLibrary().get("test-exam"),
        tmp_path / "out",
        workers=1,
        batch={"poll_interval": 0.001, "wait": wait},
    )
    return run(plan, file_sources([tmp_path / "in"]))


def _state(tmp_path):
    return json.loads((tmp_path / "out" / "batch" / "state.json").read_text())


def test_batch_is_submitted_polled_and_collected(env, tmp_path, monkeypatch):
    with FakeBatchServer(default=judge_reply(), polls_to_complete=3) as srv:
        judge_env(monkeypatch, srv.base_url)
        summary = _run(tmp_path)
        assert srv.created == 1
        (batch,) = srv.batches.values()
        requests = srv.files[batch["input_file_id"]]["data"].decode().splitlines()
    questions = judge_questions(RubricLibrary().get("complaint-handling"))
    assert len(requests) == 6 * len(questions)  # every judge question, one sample each
    assert json.loads(requests[0])["url"] == "/v1/chat/completions"
    assert summary.counts["judged"] == 6
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["stamp"]["judge"]["model"] == "fake-judge"
    verdicts = report["candidates"][0]["personas"][0]["best"]["judge"]["verdicts"]
    assert {v["verdict"] for v in verdicts} == {"yes"}
    assert _state(tmp_path)["batches"][0]["collected"] is True


def test_no_wait_runs_resume_the_same_batch_until_it_completes(env, tmp_path, monkeypatch):
    with FakeBatchServer(default=judge_reply(), polls_to_complete=3) as srv:
        judge_env(monkeypatch, srv.base_url)
        first = _run(tmp_path, wait=False)
        assert first.counts["judged"] == 0 and srv.created == 1
        report = json.loads((tmp_path / "out" / "report.json").read_text())
        assert {c["result"] for c in report["candidates"]} == {"needs_review"}
        # A run killed between creating the batch and saving its id: the rerun finds the
        # batch made from the same uploaded file instead of submitting another.
        state = _state(tmp_path)
        del state["batches"][0]["batch_id"]
        (tmp_path / "out" / "batch" / "state.json").write_text(json.dumps(state))
        _run(tmp_path, wait=False)
        last = _run(tmp_path, wait=False)
        assert srv.created == 1
    assert last.counts["judged"] == 6


def test_failed_batches_are_resubmitted_then_sent_to_review(env, tmp_path, monkeypatch):
    with FakeBatchServer(default=judge_reply(), polls_to_complete=1, fail_batches=9) as srv:
        judge_env(monkeypatch, srv.base_url)
        summary = _run(tmp_path)
        assert srv.created == 2  # the exam allows two attempts
    assert summary.counts["needs_review"] == 6 and summary.counts["judged"] == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["cohort"]["failed"] == 0
    assert "ended failed 2 time(s)" in report["candidates"][0]["personas"][0]["best"]["review"][0]


def test_request_errors_in_a_batch_send_those_transcripts_to_review(env, tmp_path, monkeypatch):
    with FakeBatchServer(default=judge_reply(), polls_to_complete=1) as srv:
        srv.script(Reply(status=500, error_message="replica out of memory"))
        judge_env(monkeypatch, srv.base_url)
        summary = _run(tmp_path)
    assert summary.counts["needs_review"] == 1 and summary.counts["judged"] == 5


def test_cli_batch_api(env, tmp_path, monkeypatch, capsys):
    with FakeBatchServer(default=judge_reply(), polls_to_complete=2) as srv:
        judge_env(monkeypatch, srv.base_url)
        code = cli_main(
            [
                "certify",
                "test-exam",
                "--transcripts",
                str(tmp_path / "in"),
                "--out",
                str(tmp_path / "out"),
                "--batch-api",
                "--poll-interval",
                "0.001",
                "--quiet",
                "--workers",
                "1",
            ]
        )
    out = capsys.readouterr().out
    assert code == 0 and "6 judged, 0 need human review" in out
