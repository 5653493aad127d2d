"""The ``frontline`` commands, run as subprocesses the way people and CI run them."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURE_PERSONA_ID, FIXTURE_PERSONAS, FIXTURES, cli_env

from simulator.cli.validate import validate
from simulator.customer.machine import CustomerMachine
from simulator.persona.loader import load_persona
from simulator.sessions import SessionStore
from simulator.transcript import Transcript

AGENT = [
    "I'm so sorry, that sounds really frustrating.",
    "When exactly were you charged?",
    "Let me look at your account.",
    "I will refund the duplicate charge today.",
    "Is there anything else I can help with?",
]


BROKEN = FIXTURES / "broken_personas"
# Each file in BROKEN has exactly one mistake; this is the line `frontline validate` prints
# for it, after the file name.
EXPECTED = {
    "bad_domain.yaml": ":8: domain: 'aggressive customers' should start with a "
    "DOMAIN section such as '§2.4'",
    "bad_enum.yaml": ":5: archetype: must be 'ordinary', 'meek', 'aggressive', 'vip', "
    "'chronic' or 'never_satisfied' (got 'grumpy')",
    "bad_indent.yaml": ":13: invalid YAML: mapping values are not allowed here",
    "bad_regex.yaml": ":34: case.remedies[0].triggers: invalid regular expression "
    "'refund(': missing ), unterminated subpattern at position 6",
    "bad_version.yaml": ":2: schema_version: unsupported version 7; this Frontline reads 1, 2",
    "empty.yaml": ":1: expected a mapping of fields, got empty",
    "missing_reaction.yaml": ":43: phrases: phrase bank lacks reactions: leave",
    "missing_summary.yaml": ":2: summary: required field is missing",
    "not_a_mapping.yaml": ":1: expected a mapping of fields, got list",
    "not_utf8.yaml": ": not UTF-8 text (byte 65)",
    "out_of_range.yaml": ":15: start.anger: must be at most 100 (got 170)",
    "unknown_field.yaml": ":18: mood: unknown field",
    "unknown_placeholder.yaml": ":43: phrases: calm_down_backlash: unknown "
    "placeholder {nickname} in \"Don't tell me to calm down, "
    '{nickname}."; known: bottom_line, company, expectation, fact, '
    "hidden_fact, if_crossed, name, offer, rejected, title",
    # Strict numbers (issue 15): a word, or true, is not a number; said plainly (issue 16).
    "wrong_type.yaml": ":7: difficulty: must be a whole number (got 'hard')",
}


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


def only_session(db: Path, user: str = "local") -> str:
    with SessionStore(db) as store:
        sessions = store.list_sessions(user)
    assert len(sessions) == 1
    return sessions[0].id


# -- practice ---------------------------------------------------------------------------
def test_practice_with_piped_input_saves_and_exports(cli, tmp_path):
    out = tmp_path / "t.json"
    result = cli(
        "practice",
        "--persona",
        FIXTURE_PERSONA_ID,
        "--seed",
        "2",
        "--export",
        str(out),
        stdin="\n".join(AGENT[:3]) + "\n",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    customer = [ln for ln in lines if ln.startswith("Customer: ")]
    moods = [ln.strip() for ln in lines if ln.strip().startswith("mood: ")]
    assert len(customer) == 4 and len(moods) == 4  # the opening and three replies
    assert "↓" in moods[1] or "↑" in moods[1]
    assert (
        "Outcome: unresolved" in result.stdout
        and f"Grade it: frontline grade {out}" in result.stdout
    )
    transcript = Transcript.model_validate_json(out.read_text())
    assert [t.text for t in transcript.turns if t.role == "agent"] == AGENT[:3]
    assert transcript.turns[0].text == customer[0].removeprefix("Customer: ")
    assert transcript.seed == 2 and transcript.persona.id == FIXTURE_PERSONA_ID
    with SessionStore(tmp_path / "frontline.sqlite3") as store:
        info = store.get(only_session(store.path), "local")
    assert info.status == "ended" and info.agent_turns == 3


def test_practice_end_command_and_blank_lines(cli, tmp_path):
    result = cli(
        "practice", "--persona", FIXTURE_PERSONA_ID, stdin=f"\n   \n{AGENT[0]}\n/end\n{AGENT[1]}\n"
    )
    assert result.returncode == 0, result.stderr
    with SessionStore(tmp_path / "frontline.sqlite3") as store:
        sid = only_session(store.path)
        assert [t.text for t in store.turns(sid) if t.role == "agent"] == [AGENT[0]]
        assert store.get(sid, "local").status == "ended"
    assert f"frontline export {sid}" in result.stdout


def test_practice_runs_to_an_outcome(cli):
    result = cli("practice", "--persona", FIXTURE_PERSONA_ID, stdin="Let me see.\n" * 20)
    assert result.returncode == 0, result.stderr
    assert "Outcome: unresolved" not in result.stdout
    assert any(
        f"Outcome: {word}" in result.stdout
        for word in ("escalated", "abandoned", "turn limit", "resolved")
    )


def test_practice_without_a_persona_lists_the_choices(cli):
    result = cli("practice")
    assert result.returncode == 1
    assert "--persona" in result.stderr and FIXTURE_PERSONA_ID in result.stderr
    no_traceback(result)


def test_practice_with_an_unknown_persona(cli):
    result = cli("practice", "--persona", "nobody")
    assert result.returncode == 1 and "no persona 'nobody'" in result.stderr
    assert FIXTURE_PERSONA_ID in result.stderr
    no_traceback(result)


def test_resume_of_an_unknown_session(cli):
    result = cli("practice", "--resume", "feedface")
    assert result.returncode == 1 and "no session 'feedface'" in result.stderr
    no_traceback(result)


def _wait_for_agent_turns(db: Path, n: int, proc: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        if db.exists():
            with SessionStore(db) as store:
                sessions = store.list_sessions("local")
                if sessions and sessions[0].agent_turns >= n:
                    return sessions[0].id
        time.sleep(0.05)
    raise AssertionError(f"the session never reached {n} agent turns")


def test_a_killed_session_loses_no_turn_and_resumes(tmp_path):
    db = tmp_path / "frontline.sqlite3"
    env = cli_env(tmp_path)
    # The input stays open, so the process is alive, waiting or rendering, when killed.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "practice",
            "--persona",
            FIXTURE_PERSONA_ID,
            "--seed",
            "4",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        proc.stdin.write("\n".join(AGENT[:3]) + "\n")
        proc.stdin.flush()
        sid = _wait_for_agent_turns(db, 3, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdin.close()
        proc.stderr.close()
    with SessionStore(db) as store:
        assert store.get(sid, "local").status == "active"

    resumed = subprocess.run(
        [sys.executable, "-m", "simulator", "practice", "--resume", sid],
        input="\n".join(AGENT[3:]) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming session {sid}" in resumed.stdout

    with SessionStore(db) as store:
        turns = store.turns(sid)
        steps = store.steps(sid)
    persona = load_persona(FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml")
    machine = CustomerMachine(persona)
    replayed = [machine.start()]
    for text in AGENT:  # the customer may settle before the last line
        if replayed[-1].outcome.value != "ongoing":
            break
        replayed.append(machine.step(replayed[-1], text).state)
    said = AGENT[: len(replayed) - 1]
    # After the customer accepts, the next line is the trainee's closing turn; the
    # customer's state stays as it was (one more turn counted).
    closing = replayed[-1].outcome.value == "resolved" and len(said) < len(AGENT)
    if closing:
        said = AGENT[: len(replayed)]
        replayed.append(replayed[-1].model_copy(update={"turn": replayed[-1].turn + 1}))
    assert len(said) > 3  # the resumed process took turns too
    assert [t.text for t in turns if t.role == "agent"] == said
    # Every agent turn got exactly one customer reply, and the opening came first.
    assert [t.role for t in turns] == ["customer", "agent"] * len(said) + ["customer"]
    assert [s.state for s in steps] == replayed


def test_export_command(cli, tmp_path):
    cli("practice", "--persona", FIXTURE_PERSONA_ID, stdin=AGENT[0] + "\n")
    sid = only_session(tmp_path / "frontline.sqlite3")
    out = tmp_path / "out.json"
    result = cli("export", sid, "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["id"] == sid and data["turns"][1]["text"] == AGENT[0]
    to_stdout = cli("export", sid)
    assert json.loads(to_stdout.stdout) == data
    other_user = cli("export", sid, "--user", "mallory")
    assert other_user.returncode == 1 and "no session" in other_user.stderr
    no_traceback(other_user)
    no_db = cli("export", sid, "--db", str(tmp_path / "none.sqlite3"))
    assert no_db.returncode == 1 and "no session database" in no_db.stderr
    assert not (tmp_path / "none.sqlite3").exists()


# -- personas ---------------------------------------------------------------------------
def test_personas_table_and_broken_file_warnings(cli, tmp_path):
    folder = tmp_path / "personas"
    folder.mkdir()
    shutil.copy(FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml", folder)
    (folder / "broken.yaml").write_text("schema_version: 1\nid: [\n")
    result = cli("personas", env={"FRONTLINE_PERSONAS": str(folder)})
    assert result.returncode == 0
    header, rule, row = result.stdout.splitlines()
    assert header.split() == ["ID", "ARCHETYPE", "TEMPERAMENT", "DIFFICULTY", "LANGUAGES", "CASE"]
    assert row.split()[:5] == [FIXTURE_PERSONA_ID, "aggressive", "rational", "2", "en"]
    assert row.endswith("Charged twice for the same order")
    assert f"warning: {folder / 'broken.yaml'}:" in result.stderr
    no_traceback(result)


# -- validate ---------------------------------------------------------------------------
def test_validate_good_files(cli):
    result = cli("validate", str(FIXTURE_PERSONAS))
    assert (result.returncode, result.stdout) == (0, "1 file OK\n")


def test_validate_defaults_to_the_personas_folder(cli, tmp_path):
    result = cli("validate", env={"FRONTLINE_PERSONAS": str(tmp_path / "none")})
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == f"{tmp_path / 'none'}: no such file or folder"


def test_every_broken_file_is_listed():
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_validate_names_file_line_and_field(name):
    n_files, problems = validate([BROKEN / name])
    assert n_files == 1
    assert [str(p) for p in problems] == [f"{BROKEN / name}{EXPECTED[name]}"]


def test_validate_reports_every_broken_file_exactly(cli):
    result = cli("validate", str(BROKEN))
    assert result.returncode == 1
    no_traceback(result)
    *problems, summary = result.stdout.splitlines()
    expected = [f"{BROKEN / name}{where}" for name, where in EXPECTED.items()]
    assert sorted(problems) == sorted(expected)
    assert summary == f"{len(expected)} problems found ({len(EXPECTED)} files checked)"


def test_validate_reports_duplicate_ids(cli, tmp_path):
    for name in ("a.yaml", "b.yaml"):
        shutil.copy(FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml", tmp_path / name)
    result = cli("validate", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        f"{tmp_path / 'b.yaml'}:3: id: duplicate persona id '{FIXTURE_PERSONA_ID}' "
        f"(also in {tmp_path / 'a.yaml'})"
    )


def test_help_lists_the_commands(cli):
    result = cli("--help")
    for command in ("practice", "personas", "validate", "export", "export-schemas"):
        assert command in result.stdout


def test_validate_recognises_rubrics_and_exams(cli, tmp_path):
    from simulator import config

    rubrics = tmp_path / "rubrics"
    (rubrics / "exams").mkdir(parents=True)
    source = config.project_root() / "rubrics"
    rubric = min(source.glob("*.yaml"))
    exam = min((source / "exams").glob("*.yaml"))
    (rubrics / rubric.name).write_text(rubric.read_text() + "colour: red\n")
    (rubrics / "exams" / exam.name).write_text(exam.read_text() + "colour: red\n")
    # Everything shipped validates.
    good = cli(
        "validate", str(config.project_root() / "personas"), str(source), str(source / "exams")
    )
    assert good.returncode == 0 and good.stdout.endswith(" files OK\n"), good.stdout
    result = cli("validate", str(rubrics), str(rubrics / "exams"))
    assert result.returncode == 1
    n_rubric = len(rubric.read_text().splitlines()) + 1
    n_exam = len(exam.read_text().splitlines()) + 1
    assert result.stdout.splitlines()[:2] == [
        f"{rubrics / rubric.name}:{n_rubric}: colour: unknown field",
        f"{rubrics / 'exams' / exam.name}:{n_exam}: colour: unknown field",
    ]


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "practice", "--persona", FIXTURE_PERSONA_ID],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=cli_env(tmp_path),
    )
    assert proc.stdout.readline().startswith("Session ")
    proc.stdout.close()  # like `frontline practice ... | head -1`
    _, err = proc.communicate("\n".join(AGENT) + "\n", timeout=120)
    assert proc.returncode == 141 and "Traceback" not in err


def test_practice_offline_flag_and_a_bad_llm_configuration(cli):
    llm = {"FRONTLINE_LLM_BASE_URL": "http://127.0.0.1:9/v1"}  # no model named: misconfigured
    bad = cli("practice", "--persona", FIXTURE_PERSONA_ID, env=llm)
    assert bad.returncode == 1 and "FRONTLINE_LLM_MODEL" in bad.stderr
    no_traceback(bad)
    offline = cli(
        "practice", "--persona", FIXTURE_PERSONA_ID, "--offline", stdin=AGENT[0] + "\n", env=llm
    )
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout.splitlines()[0].endswith("[offline]")


def test_readme_has_two_setup_commands_and_ci_runs_the_second():
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.strip() for b in readme.split("```bash\n")[1:]]
    blocks = [b[: b.index("```")].strip() for b in blocks]
    assert len(blocks) == 2 and readme.count("```") == 4, "exactly two fenced set-up commands"
    start, test = blocks
    assert start == "pip install -e . && frontline serve"
    persona = readme.split("frontline practice --persona")[1].split()[0].strip("`.")
    assert (ROOT / "personas" / f"{persona}.yaml").is_file()
    ci = [
        ln
        for ln in (ROOT / ".ci" / "run").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert ci[-1] == test
