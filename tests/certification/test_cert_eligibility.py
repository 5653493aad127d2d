"""What makes a transcript count for an exam, said everywhere (issue 16, item 10): header
lines that let a plain-text transcript name its persona and mode, `frontline practice
--exam`, the CLI's eligibility lines with a reason per transcript, and the report's
histogram whose ticks sit on the bin edges."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.certification.report_html import distribution_svg
from simulator.errors import FileProblems
from simulator.grading.transcript_input import HEADERS, parse_plain_text, parse_text

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "gold"
BILLING = "aggressive-rational-billing"
CONVERSATION = (GOLD / "aggressive-exemplary.txt").read_text(encoding="utf-8")


# -- plain-text headers ----------------------------------------------------------------
def test_headers_name_persona_mode_candidate_and_date():
    text = (
        f"Persona: {BILLING}\nmode: Exam\nCandidate: alice\n"
        "Created: 2026-03-01T09:00:00+00:00\nRubric: complaint-handling\n\n" + CONVERSATION
    )
    t = parse_plain_text(text, "alice.txt")
    assert (t.persona.id, t.persona.hash, t.mode, t.candidate, t.created, t.rubric) == (
        BILLING,
        "unknown",
        "exam",
        "alice",
        "2026-03-01T09:00:00+00:00",
        "complaint-handling",
    )
    assert t.turns == parse_plain_text(CONVERSATION, "x.txt").turns


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("Mode: quiz\nCustomer: a\nAgent: b\n", 1, "must be training or exam (got 'quiz')"),
        ("Persona: a\nPersona: b\nCustomer: a\nAgent: b\n", 2, "header given twice"),
        ("Persona:\nCustomer: a\nAgent: b\n", 1, "header has no value"),
        ("Customer: a\nPersona: x\nAgent: b\n", 2, "unknown speaker label 'Persona'"),
        ("Grade: A\nCustomer: a\nAgent: b\n", 1, "before the first turn, a header: Persona:"),
    ],
)
def test_bad_headers_name_the_line(text, line, message):
    with pytest.raises(FileProblems) as info:
        parse_plain_text(text, "t.txt")
    problem = info.value.problems[0]
    assert problem.line == line and message in problem.message


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*HEADERS, "Mode", "PERSONA", "x"]),
            st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
        ),
        max_size=6,
    )
)
def test_any_header_lines_give_a_transcript_or_problems(headers):
    text = "".join(f"{k}: {v}\n" for k, v in headers) + "Customer: hi\nAgent: hello\n"
    loaded, problems = parse_text(text, "fuzz.txt", "text")
    assert bool(loaded) != bool(problems)
    assert all(p.line for p in problems)


# -- the CLI: practice --exam, and certify saying who is eligible and why ----------------
def test_practice_exam_mode_exports_are_accepted_by_the_exam(cli, tmp_path):
    personas = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    export = tmp_path / "alice-billing.json"
    agent = [
        line.split(": ", 1)[1] for line in CONVERSATION.splitlines() if line.startswith("Agent: ")
    ]
    run = cli(
        "practice",
        "--exam",
        "--persona",
        BILLING,
        "--user",
        "alice",
        "--export",
        str(export),
        stdin="\n".join(agent) + "\n/end\n",
        env=personas,
    )
    assert run.returncode == 0, run.stderr
    assert "Exam mode" in run.stdout and "mood:" not in run.stdout
    transcript = json.loads(export.read_text(encoding="utf-8"))
    assert transcript["mode"] == "exam" and transcript["candidate"] == "alice"

    # A plain-text transcript with headers counts too; one without them cannot.
    (tmp_path / "bob.txt").write_text(
        f"Persona: {BILLING}\nMode: exam\n\n{CONVERSATION}", encoding="utf-8"
    )
    (tmp_path / "carl.txt").write_text(CONVERSATION, encoding="utf-8")
    out = tmp_path / "run"
    cert = cli(
        "certify",
        "foundation",
        "--transcripts",
        str(export),
        str(tmp_path / "bob.txt"),
        str(tmp_path / "carl.txt"),
        "--out",
        str(out),
        "--quiet",
        env=personas,
    )
    assert cert.returncode == 0, cert.stderr
    assert "2 of 3 graded transcripts eligible for exam foundation; 1 not eligible:" in cert.stdout
    assert re.search(r"not eligible: \S*carl\.txt: no persona recorded", cert.stdout)
    assert "2 candidates" in cert.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["cohort"]["transcripts"]["eligible"] == 2


def test_when_none_is_eligible_the_cli_and_report_say_so(cli, tmp_path):
    personas = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    (tmp_path / "t.txt").write_text(
        f"Persona: {BILLING}\nMode: training\n\n{CONVERSATION}", encoding="utf-8"
    )
    out = tmp_path / "run"
    cert = cli(
        "certify",
        "foundation",
        "--transcripts",
        str(tmp_path / "t.txt"),
        "--out",
        str(out),
        "--quiet",
        env=personas,
    )
    assert cert.returncode == 0, cert.stderr
    assert "0 of 1 graded transcripts eligible" in cert.stdout
    assert "run in training mode; exam foundation accepts exam mode only" in cert.stdout
    assert "No transcript was eligible, so exam foundation has no candidates" in cert.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'class="none-eligible"' in page and "0 eligible, 1 not eligible" in page


def test_eligibility_lines_read_only_the_ineligible_they_show():
    from simulator.cli.certify import eligibility_lines

    read = []

    def ineligible():  # as iter_ineligible streams them from the results store
        for i in range(1000):
            read.append(i)
            yield {"source": f"t{i}.txt", "reason": "no persona recorded in the transcript"}

    counts = {"total": 1003, "malformed": 1, "eligible": 2, "ineligible": 1000}
    lines = eligibility_lines("foundation", counts, ineligible(), limit=3)
    assert lines[0] == (
        "2 of 1002 graded transcripts eligible for exam foundation; 1000 not eligible:"
    )
    assert lines[1:4] == [
        f"  not eligible: t{i}.txt: no persona recorded in the transcript" for i in range(3)
    ]
    assert lines[4] == "  … and 997 more (all listed in report.json)"
    assert len(lines) == 5 and len(read) == 3


# -- the report's histogram -------------------------------------------------------------
def test_histogram_ticks_sit_on_bin_edges_where_the_pass_mark_is_drawn():
    bins = [{"from": lo, "to": lo + 10, "count": lo // 10} for lo in range(0, 100, 10)]
    svg = distribution_svg(bins, pass_mark=60)
    ticks = {
        int(m[2]): float(m[1])
        for m in re.finditer(r'<text class="tick-label" x="([\d.]+)"[^>]*>(\d+)</text>', svg)
    }
    assert sorted(ticks) == list(range(0, 101, 10))
    mark = float(re.search(r'<line x1="([\d.]+)"[^>]*stroke-dasharray', svg)[1])
    assert ticks[60] == pytest.approx(mark, abs=0.1)
    bar60 = float(re.search(r'<rect x="([\d.]+)"[^>]*><title>60-70', svg)[1])
    assert ticks[60] < bar60 < ticks[70]  # the 60-70 bar starts at the 60 tick
