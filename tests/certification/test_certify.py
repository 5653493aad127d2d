"""Certification runs: exams, the results store, reports, stamps and --verify.

Runs are in-process here with a few dozen synthetic transcripts; the killed-and-resumed
run is in test_certify_resume.py and the judge in test_certify_judge.py.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from certify_support import (
    FIXTURE_PERSONA,
    fixture_env,
    persona_hashes,
    transcript,
    write_transcripts,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.certification.exam import ExamLibrary, parse_exam
from simulator.certification.plan import exam_inputs, plan_run
from simulator.certification.report import report_paths
from simulator.certification.results_store import MALFORMED, ResultsStore, Source
from simulator.certification.runner import run, start_run
from simulator.certification.sources import file_sources, parse_session_filter
from simulator.certification.stamps import Stamp
from simulator.certification.verify import verify
from simulator.errors import FileProblems, FrontlineError

GOOD_EXAM = """\
schema_version: 1
id: small-exam
title: Small exam
rubric: complaint-handling
personas: [fixture-rational-refund]
pass_mark: 60
"""


# -- exam files ---------------------------------------------------------------------------
def test_shipped_exams_load_and_name_existing_rubrics_and_personas():
    lib = ExamLibrary()
    assert lib.problems == []
    assert len(lib.ids()) >= 2
    for exam in lib.exams.values():
        rubric, personas = exam_inputs(exam)
        assert rubric.id == exam.rubric
        assert [p.id for p in personas] == exam.personas


def test_exam_defaults_and_judge_participation():
    exam = parse_exam(GOOD_EXAM)
    assert (exam.attempts, exam.mode, exam.judge.participation) == (1, "exam", "optional")
    assert exam.uses_judge(True) and not exam.uses_judge(False)
    none = parse_exam(GOOD_EXAM + "judge: {participation: none}\n")
    assert not none.uses_judge(True)
    required = parse_exam(GOOD_EXAM + "judge: {participation: required}\n")
    assert required.uses_judge(False)


@pytest.mark.parametrize(
    "extra, line, field, words",
    [
        ("pass_mark: 120\n", 6, "pass_mark", "must be at most 100"),
        ("attempts: 0\n", 7, "attempts", "must be at least 1"),
        ("colour: blue\n", 7, "colour", "unknown field"),
        ("mode: practice\n", 7, "mode", "'exam', 'training' or 'any'"),
        ("judge: {samples: 20}\n", 7, "judge.samples", "must be at most 9"),
    ],
)
def test_bad_exam_fields_are_reported_with_line_and_field(extra, line, field, words):
    text = GOOD_EXAM.replace("pass_mark: 60\n", "") if "pass_mark" in extra else GOOD_EXAM
    with pytest.raises(FileProblems) as err:
        parse_exam(text + extra, "exams/x.yaml")
    problem = err.value.problems[0]
    assert (problem.file, problem.field) == ("exams/x.yaml", field)
    assert problem.line == line
    assert words in problem.message


def test_exam_lists_a_persona_twice_is_refused():
    with pytest.raises(FileProblems, match="persona listed twice"):
        parse_exam(GOOD_EXAM.replace("[fixture-rational-refund]", "[abc-x, abc-x]"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_exam_parser_never_raises_anything_but_file_problems(text):
    try:
        parse_exam(text, "fuzz.yaml")
    except FileProblems as exc:
        assert exc.problems and all(p.file == "fuzz.yaml" for p in exc.problems)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "schema_version",
                "id",
                "title",
                "rubric",
                "personas",
                "pass_mark",
                "attempts",
                "mode",
                "judge",
                "x",
            ]
        ),
        st.one_of(
            st.integers(-5, 200),
            st.text(max_size=20),
            st.none(),
            st.lists(st.text(max_size=10), max_size=3),
            st.dictionaries(st.text(max_size=8), st.integers(), max_size=2),
        ),
        max_size=9,
    )
)
def test_exam_validation_of_structured_junk_gives_file_problems(data):
    import yaml

    try:
        parse_exam(yaml.safe_dump(data), "fuzz.yaml")
    except FileProblems as exc:
        assert exc.problems


# -- the results store ---------------------------------------------------------------------
def test_store_registers_each_content_once_and_keeps_first_result(tmp_path):
    with ResultsStore(tmp_path) as store:
        assert (
            store.register([Source("a.json", "x"), Source("b.json", "x"), Source("c.json", "y")])
            == 2
        )
        assert store.register([Source("a.json", "x")]) == 0
        key_x = Source("a.json", "x").key
        assert store.source_names(key_x) == ["a.json", "b.json"]
        assert len(store.ungraded()) == 2
        store.save_results([(key_x, MALFORMED, {"error": "first"})])
        store.save_results([(key_x, MALFORMED, {"error": "second"})])
        rows = {r.key: r for r in store.rows()}
        assert rows[key_x].record == {"error": "first"}
        assert store.ungraded() == [Source("c.json", "y").key]
    with ResultsStore(tmp_path) as again:  # survives reopening
        assert again.counts()["malformed"] == 1


# -- runs ----------------------------------------------------------------------------------
@pytest.fixture
def env(tmp_path, monkeypatch):
    """Exams, personas and rubrics for a run: the fixture persona, the shipped rubric."""
    return fixture_env(tmp_path, monkeypatch)


def _plan(env, out: Path, **kw):
    exam = ExamLibrary().get("test-exam")
    return plan_run(exam, out, **kw)


def test_run_grades_everything_skips_malformed_and_writes_reports(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 30, env["hashes"])
    (inputs / "broken.json").write_text('{"turns": [', encoding="utf-8")
    (inputs / "no-agent.json").write_text(
        json.dumps({"turns": [{"role": "customer", "text": "Hello?"}]}), encoding="utf-8"
    )
    (inputs / "latin1.txt").write_bytes("Agent: caf\xe9".encode("latin-1"))
    (inputs / "many.jsonl").write_text(
        json.dumps(transcript(100, env["hashes"])) + "\n{oops\n", encoding="utf-8"
    )
    summary = run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    assert summary.counts["graded"] == 31 and summary.counts["malformed"] == 4
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    skipped = {Path(s["source"]).name: s["reason"] for s in report["skipped"]}
    assert set(skipped) == {"broken.json", "no-agent.json", "latin1.txt", "many.jsonl:2"}
    assert "invalid JSON" in skipped["broken.json"]
    assert "no agent turns" in skipped["no-agent.json"]
    assert "not UTF-8" in skipped["latin1.txt"]
    assert set(report_paths(tmp_path / "out")) >= {
        "report.json",
        "candidates.csv",
        "criteria.csv",
        "report.html",
    }


def test_candidate_results_follow_the_exam_rules(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 40, env["hashes"])
    run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    out = tmp_path / "out"
    report = json.loads((out / "report.json").read_text())
    assert report["cohort"]["candidates"] == 20
    results = {c["result"] for c in report["candidates"]}
    assert results == {"pass", "fail"}, "the synthetic cohort should have both"
    for c in report["candidates"]:
        (p,) = c["personas"]
        counted = [a for a in p["attempts"] if a["counted"]]
        best = max(a["score"] for a in counted)
        assert c["score"] == p["score"] == best
        assert (c["result"] == "pass") == (best >= 55)
        assert c["stamp"]["digest"] == Stamp.model_validate(report["stamp"]).digest()
        assert c["stamp"]["rubric"] == report["stamp"]["rubric"]["hash"]
        cert = c["certificate"]
        assert (cert is not None) == (c["result"] == "pass")
        if cert:
            html = (out / cert).read_text()
            assert c["candidate"] in html and c["certificate_id"] in html
        # every criterion of the deciding attempt carries its verdict and evidence
        for crit in p["best"]["criteria"]:
            assert crit["verdict"] in ("met", "missed", "not_applicable")
            if crit["verdict"] == "met":
                assert crit["evidence"] and all(e["quote"] for e in crit["evidence"])
    rows = list(csv.DictReader((out / "candidates.csv").open()))
    assert [r["candidate"] for r in rows] == [c["candidate"] for c in report["candidates"]]
    assert {r["rubric_hash"] for r in rows} == {report["stamp"]["rubric"]["hash"]}
    passed = sum(c["result"] == "pass" for c in report["candidates"])
    assert report["cohort"]["pass_rate"] == round(passed / 20, 4)
    assert sum(b["count"] for b in report["cohort"]["distribution"]) == 20
    assert len(list((out / "certificates").glob("*.html"))) == passed
    html = (out / "report.html").read_text()
    assert (
        "<svg" in html
        and "<script" not in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_attempts_beyond_the_limit_and_ineligible_transcripts_do_not_count(env, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    h = env["hashes"]
    # Three attempts by one candidate: the exam counts the first two (oldest first).
    scores = {}
    for n, i in enumerate([3, 5, 7]):
        t = transcript(i, h, candidate="ann")
        t["created"] = f"2026-04-0{n + 1}T09:00:00+00:00"
        (inputs / f"ann-{n}.json").write_text(json.dumps(t))
        scores[n] = t
    bob = transcript(9, h, candidate="bob", mode="training")
    (inputs / "bob.json").write_text(json.dumps(bob))
    other = transcript(
        11, {"someone-else": "sha256:0", **h}, candidate="cy", persona="someone-else"
    )
    (inputs / "cy.json").write_text(json.dumps(other))
    run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [c["candidate"] for c in report["candidates"]] == ["ann"]
    attempts = report["candidates"][0]["personas"][0]["attempts"]
    assert [Path(a["source"]).name for a in attempts] == ["ann-0.json", "ann-1.json", "ann-2.json"]
    assert [a["counted"] for a in attempts] == [True, True, False]
    assert "beyond the 2 attempt(s)" in attempts[2]["note"]
    reasons = {Path(x["source"]).name: x["reason"] for x in report["ineligible"]}
    assert "training mode" in reasons["bob.json"]
    assert "not part of exam" in reasons["cy.json"]
    # Counted or not, ann's three are eligible: the running tally says so (issue 16, item 10).
    assert report["cohort"]["transcripts"] == {
        "total": 5,
        "malformed": 0,
        "eligible": 3,
        "ineligible": 2,
    }


def test_a_finished_run_rerun_does_nothing(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 12, env["hashes"])
    first = run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    assert first.newly_graded == 12 and first.reports
    before = {
        p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.*") if "sqlite" not in p.name
    }
    again = run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    assert again.did_nothing
    assert {p: p.stat().st_mtime_ns for p in before} == before
    # New transcripts in the same folder: only they are graded, and reports follow.
    write_transcripts(inputs, 4, env["hashes"], start=12)
    more = run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    assert more.newly_graded == 4 and more.counts["graded"] == 16


def test_worker_processes_give_the_same_report_as_one_process(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 150, env["hashes"])
    for i in range(3):  # ineligible ones too: their count and list must not depend on slices
        (inputs / f"z-training-{i}.json").write_text(
            json.dumps(transcript(200 + i, env["hashes"], candidate=f"t{i}", mode="training"))
        )
    plan_one = _plan(env, tmp_path / "one", workers=1)
    plan_two = _plan(env, tmp_path / "two", workers=2)
    plan_two.chunk_size = 16  # several chunks, so the pool really is used
    run(plan_one, file_sources([inputs]))
    run(plan_two, file_sources([inputs]))

    def files(out: Path) -> dict[str, bytes]:
        return {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and "results.sqlite3" not in p.name and p.name != "run.lock"
        }

    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert any(name.startswith("certificates/") for name in one)
    assert one == two  # reports written in slices by two processes, certificates included
    counts = json.loads(one["report.json"])["cohort"]["transcripts"]
    assert (counts["eligible"], counts["ineligible"]) == (150, 3)


def test_background_run_reports_progress_and_status(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 40, env["hashes"])
    seen = []
    plan = _plan(env, tmp_path / "out", workers=2)
    plan.chunk_size = 8  # worker processes started from a thread (as in a web server)
    handle = start_run(plan, file_sources([inputs]), seen.append)
    summary = handle.wait(120)
    assert not handle.running and handle.error is None
    assert summary is not None and summary.counts["graded"] == 40
    grading = [p for p in seen if p.phase == "grading"]
    assert grading[0].done == 0 and grading[-1].done == grading[-1].total == 40
    assert seen[-1].phase == "done" and handle.latest.phase == "done"
    from simulator.certification.runner import run_status

    status = run_status(tmp_path / "out")
    assert status["counts"]["graded"] == 40 and status["complete"]
    assert "report.html" in status["reports"]


def test_resuming_with_a_changed_rubric_is_refused(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 5, env["hashes"])
    run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    _edit_rubric(env)
    with pytest.raises(FrontlineError, match="rubric complaint-handling changed"):
        run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))


def _edit_rubric(env) -> None:
    path = env["rubrics"] / "complaint-handling.yaml"
    text = path.read_text()
    assert "weight: 3" in text
    path.write_text(text.replace("weight: 3", "weight: 1", 1))


# -- verify --------------------------------------------------------------------------------
def test_verify_passes_then_detects_a_rubric_changed_after_the_run(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 20, env["hashes"])
    run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    ok = verify(tmp_path / "out")
    assert ok.ok and ok.checked == 20
    _edit_rubric(env)
    bad = verify(tmp_path / "out")
    assert not bad.ok
    assert any(
        p.startswith("stamp: rubric complaint-handling changed since the run") for p in bad.problems
    )


def test_verify_detects_an_edited_report(env, tmp_path):
    inputs = tmp_path / "in"
    write_transcripts(inputs, 10, env["hashes"])
    run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    csv_path = tmp_path / "out" / "candidates.csv"
    csv_path.write_text(csv_path.read_text().replace(",fail,", ",pass,", 1))
    result = verify(tmp_path / "out")
    assert result.problems == [
        "candidates.csv: differs from what the stored results give (edited after the run?)"
    ]


# -- sources -------------------------------------------------------------------------------
def test_session_filter_syntax():
    where, params = parse_session_filter("user=alice|bob, persona=x,since=2026-01-01")
    assert where == "user IN (?,?) AND persona_id IN (?) AND created >= ?"
    assert params == ["alice", "bob", "x", "2026-01-01"]
    assert parse_session_filter("all") == ("1=1", [])
    for bad in ("user", "colour=red", "", "until="):
        with pytest.raises(FrontlineError):
            parse_session_filter(bad)


def test_sessions_are_selected_by_filter_and_exported(env, tmp_path):
    from simulator.certification.sources import session_sources
    from simulator.persona.loader import PersonaLibrary
    from simulator.sessions import Conversation, SessionStore

    persona = PersonaLibrary().get(FIXTURE_PERSONA)
    db = tmp_path / "s.sqlite3"
    with SessionStore(db) as store:
        for user, mode in (("alice", "exam"), ("bob", "exam"), ("alice", "training")):
            conv = Conversation.start(persona, store=store, user=user, mode=mode)
            list(conv.opening())
            list(conv.reply("I'm sorry this happened. When did you notice the charge?"))
    sources = session_sources("user=alice,mode=exam", db)
    assert len(sources) == 1 and sources[0].name.startswith("session:")
    data = json.loads(sources[0].text)
    assert data["candidate"] == "alice" and data["mode"] == "exam"
    assert len(session_sources("all", db)) == 3
    assert session_sources("user=nobody", db) == []


def test_persona_hashes_helper_matches_library(env):
    assert persona_hashes(env["personas"], [FIXTURE_PERSONA]) == env["hashes"]


def test_candidate_names_cannot_inject_markup(env, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    evil = "<script>alert(1)</script>"
    for i in range(2):
        (inputs / f"{i}.json").write_text(json.dumps(transcript(i, env["hashes"], candidate=evil)))
    run(_plan(env, tmp_path / "out", workers=1), file_sources([inputs]))
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_session_filters_are_parsed_or_refused_clearly(text):
    try:
        where, params = parse_session_filter(text)
    except FrontlineError as exc:
        assert str(exc).startswith("--sessions")
        return
    assert where.count("?") == len(params)


def test_a_second_run_on_the_same_folder_at_once_is_refused(env, tmp_path):
    import fcntl

    inputs = tmp_path / "in"
    write_transcripts(inputs, 3, env["hashes"])
    out = tmp_path / "out"
    out.mkdir()
    with open(out / "run.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running process would
        with pytest.raises(FrontlineError, match="another certification run"):
            run(_plan(env, out, workers=1), file_sources([inputs]))
    assert run(_plan(env, out, workers=1), file_sources([inputs])).counts["graded"] == 3


def test_run_status_while_the_run_is_creating_or_writing_its_store(tmp_path):
    """Progress polling must not race the run: a store without tables yet reads as starting,
    and a writer holding its lock does not stop a reader (WAL)."""
    import sqlite3

    from simulator.certification.results_store import DB_NAME, ResultsStore
    from simulator.certification.runner import run_status

    (tmp_path / DB_NAME).touch()  # the run has created the file, nothing more
    status = run_status(tmp_path)
    assert status["exists"] and not status["complete"] and status["counts"] == {}

    (tmp_path / DB_NAME).unlink()
    with ResultsStore(tmp_path):
        pass  # tables and WAL in place, as after a run's first moment
    writer = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        status = run_status(tmp_path)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert status["exists"] and status["counts"]["total"] == 0 and not status["complete"]
