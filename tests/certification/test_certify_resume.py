"""A certification run killed with SIGKILL mid-way, then resumed, gives the same report
as a run that was never interrupted, and grades nothing twice."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from certify_support import FIXTURE_PERSONA, ROOT, persona_hashes, write_exam, write_transcripts

N = 300


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["FRONTLINE_PERSONAS"] = str(ROOT / "tests" / "fixtures" / "personas")
    env["FRONTLINE_EXAMS"] = str(tmp_path / "exams")
    env["FRONTLINE_DATA"] = str(tmp_path / "data")
    return env


def _certify(tmp_path: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "simulator",
        "certify",
        "test-exam",
        "--transcripts",
        str(tmp_path / "in"),
        str(tmp_path / "bad.json"),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def _stored(out: Path, table: str = "results") -> int:
    db = out / "results.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:  # the tables are not created yet
        return 0


def _report_files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and "results.sqlite3" not in p.name
    }


def test_killed_run_resumes_to_the_same_report(tmp_path):
    personas = ROOT / "tests" / "fixtures" / "personas"
    write_exam(tmp_path / "exams", [FIXTURE_PERSONA])
    write_transcripts(tmp_path / "in", N, persona_hashes(personas, [FIXTURE_PERSONA]))
    (tmp_path / "bad.json").write_text('{"turns": "not a list"}', encoding="utf-8")
    env = _env(tmp_path)

    whole = tmp_path / "whole"
    done = subprocess.run(
        _certify(tmp_path, whole, "--workers", "2"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr

    killed = tmp_path / "killed"
    # Small chunks on one worker: results land steadily, so the kill falls mid-run.
    proc = subprocess.Popen(
        _certify(tmp_path, killed, "--workers", "1", "--chunk-size", "8"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    while proc.poll() is None and _stored(killed) < 40:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    at_kill = _stored(killed)
    assert 0 < at_kill < N + 1
    assert not (killed / "report.json").exists()

    resumed = subprocess.run(
        _certify(tmp_path, killed, "--workers", "2"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    graded_now = int(re.search(r"\((\d+) read in this run\)", resumed.stdout).group(1))
    assert graded_now == N + 1 - at_kill, "each transcript is graded exactly once"
    assert _stored(killed) == N + 1

    assert _report_files(killed) == _report_files(whole)

    again = subprocess.run(
        _certify(tmp_path, killed), env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0 and "nothing to do" in again.stdout


def _judged(out: Path) -> int:
    return _stored(out, "judgements")


def test_run_killed_while_judging_resumes_to_the_same_report(tmp_path):
    from certify_support import judge_reply, nodelay_server

    n = 40
    personas = ROOT / "tests" / "fixtures" / "personas"
    write_exam(tmp_path / "exams", [FIXTURE_PERSONA])
    write_transcripts(tmp_path / "in", n, persona_hashes(personas, [FIXTURE_PERSONA]))
    (tmp_path / "bad.json").write_text("Agent", encoding="utf-8")
    with nodelay_server(default=judge_reply(delay=0.02)) as srv:
        env = _env(tmp_path) | {
            "FRONTLINE_LLM_MODEL": "fake-judge",
            "FRONTLINE_LLM_BASE_URL": srv.base_url,
            "FRONTLINE_LLM_KIND": "vllm",
            "FRONTLINE_LLM_BATCH_QUESTIONS": "false",  # one question a call, counted below
        }
        judge = ("--judge", "--concurrency", "2", "--workers", "1")
        whole = tmp_path / "whole"
        done = subprocess.run(
            _certify(tmp_path, whole, *judge), env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        calls_whole = len(srv.chat_requests())

        killed = tmp_path / "killed"
        proc = subprocess.Popen(
            _certify(tmp_path, killed, *judge),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        while proc.poll() is None and _judged(killed) < 8:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
        at_kill = _judged(killed)
        assert 0 < at_kill < n
        resumed = subprocess.run(
            _certify(tmp_path, killed, *judge), env=env, capture_output=True, text=True, timeout=300
        )
        assert resumed.returncode == 0, resumed.stderr
        calls_total = len(srv.chat_requests())
    assert _judged(killed) == n
    # A transcript's judgement is stored once all its questions are answered, so at most
    # the transcripts in flight at the kill (two threads, one transcript each) are asked
    # again, every question of them.
    per_transcript = calls_whole // n
    assert calls_total - calls_whole <= calls_whole + 2 * per_transcript
    assert _report_files(killed) == _report_files(whole)
