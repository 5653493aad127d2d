"""``frontline moves`` as a trainer and a script use it: a subprocess, turns from the
arguments or standard input, plain or ``--json`` output, detected or given language."""

from __future__ import annotations

import json
from pathlib import Path


def test_a_turn_in_the_arguments_prints_its_moves_and_evidence(cli) -> None:
    done = cli("moves", "--language", "en", "Please calm down, I'll refund you today.")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[en] Please calm down, I'll refund you today.")
    assert "calm_down" in done.stdout and "violation" in done.stdout
    assert "\u201ccalm down\u201d" in done.stdout and "remedy" in done.stdout


def test_json_gives_one_object_per_stdin_line_with_verbatim_quotes(cli) -> None:
    lines = [
        "Please stay on the line while I transfer you. Your call is important to us.",
        "",
        "Is there anything else you're unhappy about?",
    ]
    done = cli("moves", "--json", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 2  # the blank line is no turn
    for row, text in zip(rows, [lines[0], lines[2]], strict=True):
        assert set(row) == {"text", "language", "moves"}
        assert row["text"] == text and row["language"] == "en"
        for m in row["moves"]:
            assert set(m) == {"move", "quote", "start", "end", "source"}
            assert text[m["start"] : m["end"]] == m["quote"] and m["source"] == "rules"
    first = {m["move"] for m in rows[0]["moves"]}
    second = {m["move"] for m in rows[1]["moves"]}
    assert "bare_transfer" in first and "explain_transfer" not in first
    assert "check_satisfaction" in second and "negative_closing" not in second


def test_the_language_of_each_line_is_detected(cli) -> None:
    done = cli("moves", "--json", stdin="I'm so sorry about that.\n您还有其他不满意的地方吗？\n")
    assert done.returncode == 0, done.stderr
    en, zh = (json.loads(line) for line in done.stdout.splitlines())
    assert en["language"] == "en" and {m["move"] for m in en["moves"]} == {"apologise"}
    # Read with the shipped Chinese pack (simulator/languages/zh/moves.yaml), the way
    # practice and grading read a Chinese session.
    assert zh["language"] == "zh" and zh["text"] == "您还有其他不满意的地方吗？"
    assert {m["move"] for m in zh["moves"]} == {"check_satisfaction"}


def test_an_unknown_language_is_a_clear_error(cli) -> None:
    done = cli("moves", "--language", "xx", "hello")
    assert done.returncode == 1
    assert "'xx'" in done.stderr and "no move patterns" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_language_code_that_is_no_code_is_refused(cli) -> None:
    done = cli("moves", "--language", "../../etc", "hello")
    assert done.returncode == 1
    assert "not a language code" in done.stderr and "Traceback" not in done.stderr


def test_a_line_with_no_language_is_named_and_the_others_still_read(cli) -> None:
    done = cli("moves", "--json", stdin="12345\nThank you for telling us.\n")
    assert done.returncode == 1
    assert "stdin line 1" in done.stderr and "--language" in done.stderr
    (row,) = (json.loads(line) for line in done.stdout.splitlines())
    assert {m["move"] for m in row["moves"]} == {"thank"}


def test_bytes_that_are_not_utf8_are_named(cli, tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import cli_env

    done = subprocess.run(
        [sys.executable, "-m", "simulator", "moves"],
        input=b"Thanks for waiting.\n\xff\xfe broken\n",
        capture_output=True,
        cwd=tmp_path,
        env=cli_env(tmp_path),
        timeout=120,
    )
    assert done.returncode == 1
    assert b"stdin line 2: not UTF-8" in done.stderr and b"Traceback" not in done.stderr
    assert b"thank" in done.stdout


def test_an_overlong_turn_is_refused_with_its_size(cli) -> None:
    done = cli("moves", "--language", "en", "sorry " * 5000)
    assert done.returncode == 1
    assert "argument 1" in done.stderr and "at most 20,000" in done.stderr
