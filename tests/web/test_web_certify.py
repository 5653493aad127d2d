"""The certification page and the designer's calibration, driven through the running app's
API with gradio_client: a trainer grades uploaded transcripts and stored sessions and gets
the report files; trainees are refused on the server; calibration shows the matrix, the
failed DOMAIN expectations and the linter's warnings."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from web_server import ROOT, api_client, start_server
from web_uploads import EXAM, write_uploads

pytestmark = pytest.mark.slow

USERS = [
    ("ann", "trainee", "ann-password"),
    ("tom", "trainer", "tom-password"),
    ("ada", "admin", "ada-password"),
]
POLL_LIMIT = 120  # polls (one a second at most): a ceiling for a slow machine, not a claim
BILLING = "aggressive-rational-billing"
# A remedy example its own triggers do not recognise, and a customer who escalates early.
BAD_EXAMPLE = (
    "      example: \"I'll refund the duplicate £64.50 to your account today and add "
    '£25 to cover the overdraft fee your bank charged."'
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-certify"), USERS)
    yield srv
    srv.stop()


client = api_client


def find(result, marker: str) -> str:
    """The output (an HTML string, perhaps inside an update) that contains ``marker``."""
    for out in result if isinstance(result, (list, tuple)) else [result]:
        text = out.get("value") if isinstance(out, dict) else out
        if isinstance(text, str) and marker in text:
            return text
    raise AssertionError(f"no output contains {marker!r}: {result!r}"[:2000])


def attr(html: str, name: str) -> str:
    return re.search(rf'{name}="([^"]*)"', html)[1]


def files_of(result) -> dict[str, Path]:
    """The downloadable report files in a result, by file name."""
    for out in result:
        value = out.get("value") if isinstance(out, dict) and "value" in out else out
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return {Path(v).name: Path(v) for v in value}
    raise AssertionError(f"no file list in {result!r}"[:2000])


def run_to_the_end(c: Client, started) -> tuple[str, tuple]:
    """Poll the run the client started until it is complete; return its id and last poll."""
    run_id = attr(find(started, 'id="fl-cert-progress"'), "data-run")
    for _ in range(POLL_LIMIT):
        polled = c.predict(api_name="/certify_status")
        progress = find(polled, 'id="fl-cert-progress"')
        if attr(progress, "data-phase") == "failed":
            pytest.fail(f"the run failed: {progress}")
        if attr(progress, "data-complete") == "true":
            return run_id, polled
        time.sleep(0.5)
    pytest.fail(f"the run did not finish: {progress}")


def test_trainer_certifies_uploaded_transcripts(server, tmp_path):
    tom = client(server, "tom")
    uploads = write_uploads(tmp_path / "uploads")
    started = tom.predict(
        EXAM,
        "Uploaded transcript files",
        [handle_file(str(p)) for p in uploads],
        "",
        False,
        api_name="/certify_start",
    )
    run_id, polled = run_to_the_end(tom, started)
    progress = find(polled, 'id="fl-cert-progress"')
    assert attr(progress, "data-total") == "3" and attr(progress, "data-graded") == "3"
    # The server chose the folder: under the data folder, named by the run id.
    folder = server.folder / "runs" / run_id
    assert (folder / "report.json").is_file() and run_id.split("-")[2:3] == ["foundation"]

    report = find(polled, 'id="fl-cert-report"')
    assert 'sandbox="allow-same-origin"' in report and "srcdoc=" in report and "alice" in report
    files = files_of(polled)
    assert {"report.html", "report.json", "candidates.csv", "criteria.csv"} <= set(files)
    certificates = [n for n in files if n.startswith("certificates-")]
    assert len(certificates) == 1, "alice passed both customers and gets a certificate"
    data = json.loads(files["report.json"].read_text())
    assert [c["candidate"] for c in data["candidates"]] == ["alice"]
    assert data["candidates"][0]["result"] == "pass"
    assert "bob" in json.dumps(data), "bob's transcript names no persona: listed, not graded"
    assert files["candidates.csv"].read_text().startswith("candidate,result")

    # Runs belong to the server: another trainer (an admin) lists and opens it.
    ada = client(server, "ada")
    listed = ada.predict(api_name="/certify_runs")
    assert run_id in json.dumps(listed)
    opened = ada.predict(run_id, api_name="/certify_open")
    assert attr(find(opened, 'id="fl-cert-progress"'), "data-complete") == "true"
    assert set(files_of(opened)) == set(files)


def test_trainer_certifies_stored_sessions(server):
    ann, tom = client(server, "ann"), client(server, "tom")
    ann.predict(BILLING, "complaint-handling", "exam", False, api_name="/start")
    ann.predict(
        "Thank you for telling us. I'm so sorry, that sounds really frustrating.",
        False,
        api_name="/send",
    )
    ann.predict(api_name="/end")
    started = tom.predict(
        EXAM, "Stored practice sessions", [], "user=ann", False, api_name="/certify_start"
    )
    run_id, polled = run_to_the_end(tom, started)
    data = json.loads(files_of(polled)["report.json"].read_text())
    assert [c["candidate"] for c in data["candidates"]] == ["ann"]
    assert data["candidates"][0]["result"] == "fail", "one customer never attempted"
    with pytest.raises(AppError, match="unknown key"):
        tom.predict(
            EXAM, "Stored practice sessions", [], "who=ann", False, api_name="/certify_start"
        )


def test_certification_is_closed_to_trainees(server, tmp_path):
    ann = client(server, "ann")
    uploads = [handle_file(str(p)) for p in write_uploads(tmp_path / "uploads")]
    runs_before = sorted((server.folder / "runs").glob("*"))
    calls = [
        ("/certify_start", (EXAM, "Uploaded transcript files", uploads, "", False)),
        ("/certify_runs", ()),
        ("/certify_status", ()),
        ("/certify_open", ("20260101-000000-foundation-abcdef",)),
        ("/certify_stop", ()),
    ]
    for endpoint, args in calls:
        with pytest.raises(AppError, match="for trainers"):
            ann.predict(*args, api_name=endpoint)
    assert sorted((server.folder / "runs").glob("*")) == runs_before, "no run was started"


def test_runs_are_named_by_the_server_only(server, tmp_path):
    tom = client(server, "tom")
    for bad in ("../users.yaml", "/etc", "..", "20260101-000000-foundation-abcdef"):
        with pytest.raises(AppError, match="no certification run"):
            tom.predict(bad, api_name="/certify_open")
    with pytest.raises(AppError, match="judge is unavailable"):
        tom.predict(
            EXAM,
            "Uploaded transcript files",
            [handle_file(str(p)) for p in write_uploads(tmp_path / "u")],
            "",
            True,
            api_name="/certify_start",
        )
    odd = tmp_path / "notes.csv"
    odd.write_text("a,b\n")
    with pytest.raises(AppError, match="not a transcript file|Invalid file type"):
        tom.predict(
            EXAM,
            "Uploaded transcript files",
            [handle_file(str(odd))],
            "",
            False,
            api_name="/certify_start",
        )


def test_calibrate_a_shipped_persona_shows_the_matrix(server):
    tom = client(server, "tom")
    text = (ROOT / "personas" / f"{BILLING}.yaml").read_text(encoding="utf-8")
    summary, matrix = tom.predict(text, api_name="/designer_calibrate")
    assert attr(summary, "data-valid") == "true" and attr(summary, "data-persona") == BILLING
    assert attr(summary, "data-failed") == "0" and attr(summary, "data-distinct") == "true"
    assert f"Calibration of `{BILLING}`" in matrix
    assert re.search(r"^\| Exemplary \| 100% \|", matrix, re.M), matrix
    assert "**PASS** `exemplary-resolves`" in matrix


def test_calibrate_a_bad_draft_shows_failures_and_warnings(server):
    tom = client(server, "tom")
    text = (ROOT / "personas" / f"{BILLING}.yaml").read_text(encoding="utf-8")
    assert BAD_EXAMPLE in text and "escalate_at: 95" in text
    bad = text.replace(BAD_EXAMPLE, '      example: "Have a lovely day."').replace(
        "escalate_at: 95", "escalate_at: 80"
    )
    summary, matrix = tom.predict(bad, api_name="/designer_calibrate")
    assert int(attr(summary, "data-failed")) >= 1
    assert 'data-expectation="exemplary-resolves"' in summary
    assert f"FAIL {BILLING} x exemplary" in summary
    assert 'data-code="remedy-unrecognised"' in summary
    assert 'data-field="case.remedies[0].example"' in summary
    assert "**FAIL** `exemplary-resolves`" in matrix and "remedy-unrecognised" in matrix

    # The same warning shows on validation and on save, and does not block saving.
    checked = tom.predict(bad, api_name="/designer_check")[0]
    assert 'data-count="0"' in checked and 'data-code="remedy-unrecognised"' in checked
    saved = tom.predict(bad, api_name="/designer_save")
    assert "Saved" in saved[0] and 'data-code="remedy-unrecognised"' in saved[1]
    (server.personas / f"{BILLING}.yaml").write_text(text, encoding="utf-8")

    invalid = tom.predict(
        bad.replace("difficulty:", "difficulty: 9\nold_difficulty:", 1),
        api_name="/designer_calibrate",
    )
    assert attr(invalid[0], "data-valid") == "false" and "old_difficulty" in invalid[0]
    assert invalid[1] == ""


def test_calibration_is_closed_to_trainees(server):
    with pytest.raises(AppError, match="for trainers"):
        client(server, "ann").predict("id: x", api_name="/designer_calibrate")
