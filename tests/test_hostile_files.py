"""Regression tests for issue 15 defects 1, 2, 3 and 9: hostile and sloppy files.

Each test here failed on main before the fix: alias bombs, recursive aliases, regexes that
backtrack exponentially, and the validation gaps (booleans as numbers, empty phrases, NUL
characters, duplicate JSON keys, absurd trajectory numbers, a BOM on JSON, and a reply
limit that differed between practice, grading and the web UI).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURE_PERSONA_ID, FIXTURE_PERSONAS
from test_loader_fuzz import BILLION_LAUGHS, RECURSIVE

from simulator import saferegex
from simulator.errors import FileProblems, FrontlineError
from simulator.grading.rubric_loader import parse_rubric
from simulator.grading.transcript_input import parse_text
from simulator.moves.detector import RuleDetector, load_pattern_file
from simulator.persona.loader import parse_persona
from simulator.sessions import Conversation
from simulator.transcript import MAX_TURN_CHARS
from simulator.web.persona_edit import form_values, validate_text

ROOT = Path(__file__).resolve().parent.parent
PERSONA = (FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml").read_text(encoding="utf-8")
RUBRIC = (ROOT / "rubrics" / "complaint-handling.yaml").read_text(encoding="utf-8")


def problems_of(parse, text: str) -> str:
    with pytest.raises(FileProblems) as err:
        parse(text, "f.yaml")
    return str(err.value)


def run_limited(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, int]:
    """Run ``python -m simulator ARGS`` under a 1.5 GB address-space limit (so a bomb dies
    instead of the machine); the result and that command's own peak resident memory in
    bytes.

    A small launcher process starts the command and reports its peak (from wait4). The
    command must not be started from this pytest process directly: Linux carries the
    parent's memory high-water mark through fork and exec into the child's ``ru_maxrss``,
    so a long test run's own size (350+ MB seen) would be counted as the command's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, *args],
            stdout=out,
            stderr=err,
            text=True,
            cwd=cwd,
            env=env,
        )
        try:
            proc.wait(timeout=300)  # a backstop, never the measure; main took minutes
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.seek(0)
        err.seek(0)
        stderr, _, peak = err.read().rpartition("\nPEAK_RSS_KB=")
        done = subprocess.CompletedProcess(args, proc.returncode, out.read(), stderr)
    return done, int(peak or 0) * 1024


_LAUNCHER = """
import os, resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
child = subprocess.Popen([sys.executable, "-m", "simulator", *sys.argv[1:]], preexec_fn=limit)
_, status, usage = os.wait4(child.pid, 0)
sys.stderr.write(f"\\nPEAK_RSS_KB={usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


# ------------------------------------------------------------------ 1, 2: YAML aliases
def test_validate_refuses_an_alias_bomb_with_file_line_message(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    proc, peak = run_limited(["validate", "bomb.yaml"], tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert (
        "bomb.yaml:6: invalid YAML: aliases expand this to more than 20,000 values"
        in proc.stdout + proc.stderr
    )
    assert peak < 300 * 2**20


def test_validate_refuses_a_recursive_alias_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "rec.yaml").write_text(RECURSIVE, encoding="utf-8")
    proc, _ = run_limited(["validate", "rec.yaml"], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in out and "RecursionError" not in out
    assert "rec.yaml:2: invalid YAML: an alias refers to the value that contains it" in out


def test_designer_live_check_refuses_a_bomb() -> None:
    persona, problems = validate_text(BILLION_LAUGHS)
    assert persona is None
    assert [(p.line, p.message) for p in problems] == [
        (
            6,
            "invalid YAML: aliases expand this to more than 20,000 values; write the values "
            "out instead",
        )
    ]
    assert all(v is None for v in form_values(BILLION_LAUGHS))  # the form stays blank


def test_aliases_within_the_bounds_still_work() -> None:
    text = PERSONA.replace("archetype: ", "x-anchor: &arch aggressive\narchetype: ", 1)
    # an unknown field, but the alias itself parsed fine: only the field is reported
    assert "x-anchor: unknown field" in problems_of(parse_persona, text)


# ------------------------------------------------------------------ 3: regexes
CATASTROPHIC = [
    "(a+)+$",
    r"(\w+\s?)+$",
    "(a|a)*$",
    "(a|aa)+$",
    r"\w*\w*!",
    "(.*a){12}",
    r"(x+x+)+y",
    r"(\d+)*$",
    r"(a)\1",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused_with_a_reason(pattern: str) -> None:
    why = saferegex.problem(pattern)
    assert why and ("time" in why or "invalid" in why)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\b(the|our) (\w+ ){0,3}(team|staff)\b",
        r"(a+b)+",
        r"^\W*((ok|okay|look)\W+)*relax\b",
        r"(\w+\s+){0,2}?x",
        r"\bI (do |can |can certainly )*(understand|see)\b",
    ],
)
def test_ordinary_repeats_are_accepted(pattern: str) -> None:
    assert saferegex.problem(pattern) is None


def test_every_shipped_pattern_passes_the_check() -> None:
    detector = RuleDetector([load_pattern_file(ROOT / "simulator/languages/en/moves.yaml")])
    shipped = [p for m in detector.patterns.values() for p in m.patterns + m.unless + m.unless_turn]
    assert shipped and [p for p in shipped if saferegex.problem(p)] == []


def test_validate_reports_a_catastrophic_persona_trigger_at_its_line(
    cli,
    tmp_path: Path,
) -> None:
    text = PERSONA.replace('triggers: ["refund"]', 'triggers: ["refund", "(a+)+$"]', 1)
    assert text != PERSONA
    path = tmp_path / "redos.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(n for n, s in enumerate(text.splitlines(), 1) if "(a+)+$" in s)
    proc = cli("validate", str(path))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"redos.yaml:{line}: case.remedies[0].triggers: '(a+)+$': nested repeat" in proc.stdout


def test_designer_refuses_a_catastrophic_trigger() -> None:
    text = PERSONA.replace('triggers: ["refund"]', 'triggers: ["refund", "(a+)+$"]', 1)
    persona, problems = validate_text(text)
    assert persona is None
    assert any(
        p.field == "case.remedies[0].triggers" and "exponential" in p.message for p in problems
    )


def test_a_pattern_that_slips_through_stops_and_counts_as_no_match(caplog) -> None:
    # Not refused by the shape check (no nested or adjacent repeat), yet cubic on "aaa…":
    # the time limit ends it; a timeout is no match, with a warning in the log.
    pattern = saferegex.compile(r"\w*a\w*b")
    assert saferegex.problem(pattern.pattern) is None
    with caplog.at_level(logging.WARNING, logger="frontline.saferegex"):
        assert pattern.search("a" * MAX_TURN_CHARS) is None
    assert "counted as no match" in caplog.text


def test_finditer_stops_at_the_time_limit_and_keeps_what_it_found(caplog) -> None:
    pattern = saferegex.compile(r"x|\w*a\w*b")
    with caplog.at_level(logging.WARNING, logger="frontline.saferegex"):
        found = [m.group() for m in pattern.finditer("x " + "a" * MAX_TURN_CHARS)]
    assert found == ["x"] and "counted as no match" in caplog.text


def test_a_trainers_pattern_pack_runs_with_the_time_limit(tmp_path: Path, caplog) -> None:
    pack = tmp_path / "en-extra.yaml"
    pack.write_text(
        "schema_version: 1\nlanguage: en\nmoves:\n  thank:\n    patterns:\n      - '\\w*a\\w*b'\n",
        encoding="utf-8",
    )
    detector = RuleDetector([load_pattern_file(pack)])
    with caplog.at_level(logging.WARNING, logger="frontline.saferegex"):
        assert detector.detect("a" * MAX_TURN_CHARS) == []
    assert "counted as no match" in caplog.text
    assert detector.detect("ab")[0].text == "ab"


def test_a_catastrophic_pack_pattern_is_refused_at_its_line(tmp_path: Path) -> None:
    pack = tmp_path / "en-extra.yaml"
    pack.write_text(
        "schema_version: 1\nlanguage: en\nmoves:\n  thank:\n    patterns:\n"
        "      - 'thanks'\n      - '(a+)+$'\n",
        encoding="utf-8",
    )
    with pytest.raises(FileProblems) as err:
        load_pattern_file(pack)
    assert f"{pack}:7: moves.thank.patterns[1]: nested repeat" in str(err.value)


# ------------------------------------------------------------------ 9: validation gaps
@pytest.mark.parametrize("value", ["true", "1.0"])
def test_schema_version_must_be_the_integer(value: str) -> None:
    text = PERSONA.replace("schema_version: 1", f"schema_version: {value}", 1)
    assert f"f.yaml:2: schema_version: unsupported version {value.title()}" in problems_of(
        parse_persona, text
    )


@pytest.mark.parametrize("value", ["true", "1.0"])
def test_transcript_schema_version_must_be_the_integer(value: str) -> None:
    text = '{"schema_version": ' + value + ', "turns": [{"role": "agent", "text": "Hi"}]}'
    _, problems = parse_text(text, "t.json")
    assert [p.field for p in problems] == ["schema_version"]


def test_rubric_weight_must_be_a_number() -> None:
    assert "weight: " in RUBRIC
    text = RUBRIC.replace("weight: ", "weight: true  # ", 1)
    # In plain words (simulator/validation_messages.py, issue 16 item 9).
    assert "weight: must be a whole number (got True)" in problems_of(parse_rubric, text)


def test_empty_phrases_are_refused() -> None:
    text = PERSONA.replace("  opening: [", '  opening: ["  ", ', 1)
    assert text != PERSONA
    found = problems_of(parse_persona, text)
    assert "f.yaml:44: phrases.opening" in found and "must be text, not only spaces" in found


def test_nul_characters_in_a_transcript_are_refused() -> None:
    _, problems = parse_text('{"turns": [{"role": "agent", "text": "a\\u0000b"}]}', "t.json")
    assert [(p.field, p.message) for p in problems] == [
        ("turns[0].text", "turn contains a NUL character (binary data, not text)")
    ]


def test_duplicate_json_keys_are_refused_at_their_line() -> None:
    text = '{"turns": [{"role": "agent", "text": "Hi"}],\n "turns": []}'
    _, problems = parse_text(text, "t.json")
    assert [(p.line, p.message) for p in problems] == [
        (2, 'invalid JSON: key "turns" appears twice in one object')
    ]


def test_trajectory_numbers_are_bounded() -> None:
    data = {
        "turns": [{"role": "agent", "text": "Hi"}],
        "trajectory": [
            {
                "turn": 0,
                "anger": 50,
                "trust": 50,
                "patience": 50,
                "reaction": "open",
                "changes": [{"field": "anger", "delta": 1e30, "reason": "x"}],
            }
        ],
    }
    _, problems = parse_text(json.dumps(data), "t.json")
    assert [p.field for p in problems] == ["trajectory[0].changes[0].delta"]


def test_a_json_transcript_with_a_bom_is_read_like_yaml_and_text() -> None:
    for text in (
        '\ufeff{"turns": [{"role": "agent", "text": "Sorry."}]}',
        "\ufeffCustomer: Hi\nAgent: Sorry.\n",
    ):
        loaded, problems = parse_text(text, "t")
        assert problems == [] and loaded[0].transcript.turns[-1].text == "Sorry."


def test_one_reply_limit_in_practice_the_store_and_grading(persona, store) -> None:
    conv = Conversation.start(persona, store=store)
    list(conv.opening())
    with pytest.raises(FrontlineError, match=f"the limit is {MAX_TURN_CHARS}"):
        conv.reply("x" * (MAX_TURN_CHARS + 1))
    assert [t.role for t in conv.turns] == ["customer"]  # nothing half-saved
    list(conv.reply("x" * MAX_TURN_CHARS))  # exactly at the limit is fine
    text = json.dumps({"turns": [{"role": "agent", "text": "x" * (MAX_TURN_CHARS + 1)}]})
    _, problems = parse_text(text, "t.json")
    assert f"the limit is {MAX_TURN_CHARS}" in problems[0].message


def test_cli_practice_refuses_a_huge_reply_with_a_message(cli) -> None:
    proc = cli(
        "practice",
        "--persona",
        FIXTURE_PERSONA_ID,
        "--offline",
        stdin="x" * 550_000 + "\nI am so sorry.\n/end\n",
    )
    assert "Traceback" not in proc.stderr
    assert f"the limit is {MAX_TURN_CHARS}" in proc.stdout + proc.stderr
