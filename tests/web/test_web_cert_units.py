"""The certification page's parts without a server: uploads read into sources, run folders
named by the server only, and a run's state as the page shows it."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web_uploads import EXAM, write_uploads

from simulator.errors import FrontlineError, NotFound
from simulator.web.calibrate_view import warnings_html
from simulator.web.cert_runs import RUN_META, RunRegistry, upload_sources
from simulator.web.certification import progress_html, report_frame


def test_uploads_become_named_sources(tmp_path):
    paths = write_uploads(tmp_path / "up")
    jsonl = tmp_path / "up" / "cohort.jsonl"
    jsonl.write_text('{"a": 1}\n\n{"b": 2}\n', encoding="utf-8")
    latin = tmp_path / "up" / "old.txt"
    latin.write_bytes("Customer: caf\xe9\nAgent: Hello".encode("latin-1"))
    sources = upload_sources([*paths, jsonl, latin])
    names = [s.name for s in sources]
    assert names == [
        "alice-billing.json",
        "alice-rude-staff.json",
        "bob.txt",
        "cohort.jsonl:1",
        "cohort.jsonl:3",
        "old.txt",
    ]
    assert sources[-1].error and "not UTF-8" in sources[-1].error
    assert sources[0].error is None and json.loads(sources[0].text)["candidate"] == "alice"
    odd = tmp_path / "up" / "x.csv"
    odd.write_text("a,b")
    with pytest.raises(FrontlineError, match="not a transcript file"):
        upload_sources([odd])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_only_run_ids_the_server_gave_are_opened(tmp_path_factory, name):
    folder = tmp_path_factory.mktemp("runs")
    (folder / "20260101-000000-foundation-abcdef").mkdir()
    (folder / "20260101-000000-foundation-abcdef" / RUN_META).write_text("{}")
    registry = RunRegistry(folder)
    if name == "20260101-000000-foundation-abcdef":
        assert registry.path(name) == folder / name
        return
    with pytest.raises(NotFound):
        registry.path(name)


def test_a_run_from_start_to_report(tmp_path):
    registry = RunRegistry(tmp_path / "runs")
    with pytest.raises(FrontlineError, match="no transcripts"):
        registry.start(EXAM, [], False, "tom", "nothing")
    with pytest.raises(FrontlineError, match="rules only"):
        registry.start(EXAM, upload_sources(write_uploads(tmp_path / "u")), True, "tom", "x")
    assert registry.runs() == [], "a refused run leaves no folder"

    run_id = registry.start(
        EXAM, upload_sources(write_uploads(tmp_path / "up")), False, "tom", "3 uploaded file(s)"
    )
    for _ in range(600):
        run = registry.view(run_id)
        if not run.running:
            break
        time.sleep(0.1)
    assert run.phase == "done" and run.complete and run.started_by == "tom"
    assert run.counts["total"] == 3 and "report.html" in run.reports
    assert 'data-complete="true"' in progress_html(run)
    frame = report_frame(run)
    assert (
        'sandbox="allow-same-origin"' in frame
        and "allow-scripts" not in frame
        and "<script" not in frame
        and "&lt;" in frame
    )
    assert [r.id for r in registry.runs()] == [run_id]

    # A new server process knows the run from its folder alone.
    again = RunRegistry(tmp_path / "runs").view(run_id)
    assert again.phase == "done" and again.complete
    (tmp_path / "runs" / run_id / "report.json").unlink()
    assert RunRegistry(tmp_path / "runs").view(run_id).phase == "stopped"


def test_no_warnings_shows_nothing():
    assert 'data-count="0"' in warnings_html([])
