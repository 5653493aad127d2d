"""Certification at any cohort size: the compact results store and the streaming reports.

The figures (time, memory, bytes per transcript at 100,000 transcripts) come from
bench/bench_certify.py scale; these tests hold the pieces that make them possible to
their contracts: tallies that give exactly what statistics over the whole list give,
results arriving in any order storing the same, registration that resumes with the same
numbers, and a store several times smaller than the scorecards it came from.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import statistics

import pytest
from certify_support import FIXTURE_PERSONA, ROOT, persona_hashes, transcript
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.certification.cohort import CohortTally
from simulator.certification.results_store import (
    DB_NAME,
    GRADED,
    ResultsStore,
    Source,
    pack_chunk,
    pack_result,
)
from simulator.errors import FrontlineError

scores = st.lists(st.integers(0, 1000).map(lambda k: round(k / 10, 1)), max_size=60)


def _tally(values: list[float]) -> CohortTally:
    tally = CohortTally({})
    for v in values:
        tally.add({"score": v, "result": "pass" if v >= 60 else "fail", "personas": []})
    return tally


@settings(max_examples=300, deadline=None)
@given(scores, scores)
def test_running_tallies_give_exactly_the_statistics_of_the_whole_list(first, second):
    tally = _tally(first)
    tally.merge(_tally(second))  # two slices of a cohort, as two report workers give them
    values = first + second
    summary = tally.summary({}, {})
    if not values:
        assert summary["mean_score"] is None and summary["median_score"] is None
        return
    assert summary["mean_score"] == round(statistics.mean(values), 1)
    assert summary["median_score"] == round(statistics.median(values), 1)
    assert summary["candidates"] == len(values)
    assert sum(b["count"] for b in summary["distribution"]) == len(values)


@functools.cache
def _grader_and_hashes():
    from simulator.certification.rule_grading import TranscriptGrader
    from simulator.grading.rubric_loader import RubricLibrary

    rubric = RubricLibrary(ROOT / "rubrics").get("complaint-handling")
    hashes = persona_hashes(ROOT / "tests" / "fixtures" / "personas", [FIXTURE_PERSONA])
    return TranscriptGrader(rubric), hashes


def _graded(i: int) -> tuple[str, dict]:
    grader, hashes = _grader_and_hashes()
    text = json.dumps(transcript(i, hashes, agent_turns=10))
    return text, grader(f"t{i}.json", text)[1]


def test_results_in_any_order_store_the_same_criteria_index(tmp_path):
    graded = [_graded(i) for i in range(12)]
    stores = {}
    for name, order in (("in-order", range(12)), ("reversed", reversed(range(12)))):
        with ResultsStore(tmp_path / name) as store:
            store.register(Source(f"t{i}.json", text) for i, (text, _) in enumerate(graded))
            for i in order:  # chunks of one, finishing in the given order
                store.save_packed(pack_chunk([pack_result(i, GRADED, graded[i][1])]))
            stores[name] = (store.criteria_index(), [r.record for r in store.rows()])
    assert stores["in-order"] == stores["reversed"]
    index = stores["in-order"][0]
    # Tips are kept once, from the earliest transcript that missed the criterion.
    assert any("tip" in v for v in index.values())
    assert list(index) == [c["id"] for c in graded[0][1]["criteria"]]


def test_registration_killed_half_way_resumes_with_the_same_numbers(tmp_path):
    sources = [Source(f"s{i}.json", f"text {i % 7}") for i in range(40)]  # with repeats
    with ResultsStore(tmp_path / "whole") as store:
        assert store.register(sources) == 7
        whole = [(r.key, r.seq, r.source) for r in store.rows()]
    with ResultsStore(tmp_path / "resumed") as store:
        store.register(sources[:3])  # what a killed run had committed
        assert store.register(sources) == 4
        resumed = [(r.key, r.seq, r.source) for r in store.rows()]
        assert store.source_names(sources[0].key) == [
            "s0.json",
            "s14.json",
            "s21.json",
            "s28.json",
            "s35.json",
            "s7.json",
        ]
    assert resumed == whole


def test_the_store_keeps_a_twenty_turn_transcript_in_under_3_kb(tmp_path):
    """It was 16 KB: the whole scorecard as JSON, the text on 4 KiB pages."""
    n = 600
    graded = [_graded(i) for i in range(n)]
    with ResultsStore(tmp_path) as store:
        store.register(Source(f"t{i}.json", text) for i, (text, _) in enumerate(graded))
        store.save_packed(
            pack_chunk(pack_result(i, GRADED, rec) for i, (_, rec) in enumerate(graded))
        )
        text_bytes = sum(len(text) for text, _ in graded)
    size = (tmp_path / DB_NAME).stat().st_size  # checkpointed when the store closed
    assert text_bytes / n > 2000  # twenty turns of real length
    assert size / n < 3000, f"{size / n:.0f} bytes per transcript"


def test_a_store_from_an_older_frontline_is_refused_with_a_clear_message(tmp_path):
    db = sqlite3.connect(tmp_path / DB_NAME)
    db.execute(
        "CREATE TABLE transcripts (key TEXT PRIMARY KEY, source TEXT NOT NULL, "
        "text TEXT NOT NULL, seq INTEGER NOT NULL)"
    )
    db.commit()
    db.close()
    with pytest.raises(FrontlineError, match="older Frontline.*new --out folder"):
        ResultsStore(tmp_path)


def _files(out) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "results.sqlite3" not in p.name and p.name != "run.lock"
    }


@pytest.mark.parametrize("where", ["certificate", "assembly"])
def test_a_run_that_dies_while_writing_reports_resumes_to_the_same_files(
    tmp_path, monkeypatch, where
):
    """Reports are written in slices and put together; dying half-way (after some
    certificates, or with every slice written but the files not yet assembled) must
    leave nothing behind that the resumed run does not replace."""
    from certify_support import fixture_env, write_transcripts

    from simulator.certification import report
    from simulator.certification.exam import ExamLibrary
    from simulator.certification.plan import plan_run
    from simulator.certification.runner import run
    from simulator.certification.sources import file_sources

    env = fixture_env(tmp_path, monkeypatch)
    write_transcripts(tmp_path / "in", 120, env["hashes"])
    exam = ExamLibrary().get("test-exam")
    run(plan_run(exam, tmp_path / "whole", workers=1), file_sources([tmp_path / "in"]))
    # A certificate that no longer belongs: the report must remove it.
    (tmp_path / "died" / "certificates").mkdir(parents=True)
    (tmp_path / "died" / "certificates" / "someone-else.html").write_text("old")

    calls = {"n": 0}
    real = report.certificate_html if where == "certificate" else report._assemble

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3 or where == "assembly":
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    name = "certificate_html" if where == "certificate" else "_assemble"
    monkeypatch.setattr(report, name, dying)
    with pytest.raises(KeyboardInterrupt):
        run(plan_run(exam, tmp_path / "died", workers=1), file_sources([tmp_path / "in"]))
    monkeypatch.setattr(report, name, real)
    # kill -9 gives no chance to clean up: a slice folder stays behind.
    (tmp_path / "died" / ".report-stale" / "part-000").mkdir(parents=True)
    (tmp_path / "died" / ".report-stale" / "part-000" / "candidates.jsonl").write_text("x")
    summary = run(plan_run(exam, tmp_path / "died", workers=1), file_sources([tmp_path / "in"]))
    assert summary.newly_graded == 0 and summary.reports
    assert any(n.startswith("certificates/") for n in _files(tmp_path / "whole"))
    assert _files(tmp_path / "died") == _files(tmp_path / "whole")
    leftovers = [p.name for p in (tmp_path / "died").iterdir() if p.name.startswith(".")]
    assert leftovers == []
