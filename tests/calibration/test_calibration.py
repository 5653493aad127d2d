"""Persona calibration: reference policies, runner, matrix, DOMAIN expectations, the CLI.

The shipped-persona tests at the bottom are the point of it all: every DOMAIN
expectation in ``simulator/calibration/expectations.yaml`` must hold for the personas in
``personas/``, so a persona that stops behaving as its type fails the suite.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulator.calibration import calibrate, calibration_report
from simulator.calibration.expectations import (
    EXPECTATIONS_FILE,
    ExpectationFile,
    check_expectations,
    load_expectations,
)
from simulator.calibration.followup import follow_up
from simulator.calibration.matrix import Matrix
from simulator.calibration.policies import POLICIES
from simulator.calibration.report import to_markdown
from simulator.calibration.runner import run_calibration, run_one
from simulator.cli import main
from simulator.customer.state import CustomerState, Outcome
from simulator.errors import FileProblems
from simulator.moves.detector import default_detector
from simulator.moves.vocabulary import VIOLATIONS, Move
from simulator.persona.loader import PersonaLibrary, load_persona
from simulator.yamlfile import load_model

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "calibration"
DOC = ROOT / "docs" / "calibration.md"
TEST_RUNS = 3


@pytest.fixture(scope="module")
def rational():
    return load_persona(FIXTURES / "cal-rational.yaml")


@pytest.fixture(scope="module")
def meek():
    return load_persona(FIXTURES / "cal-meek.yaml")


@pytest.fixture(scope="module")
def fixture_matrix(rational, meek) -> Matrix:
    return calibrate([rational, meek], runs=2, workers=1)


# The policies' words in every language: test_agent_lines_read_as_meant.py.


# -- the policies' behaviour -----------------------------------------------------------
def _moves(run) -> set[Move]:
    detector = default_detector()
    return {
        d.move for role, text in run.transcript if role == "agent" for d in detector.detect(text)
    }


@pytest.mark.parametrize("policy", list(POLICIES))
def test_a_policy_is_deterministic_for_a_seed(rational, policy):
    a = run_one(rational, policy, 7, keep_transcript=True)
    b = run_one(rational, policy, 7, keep_transcript=True)
    assert a == b


def test_every_persona_hears_the_same_first_turn_for_a_seed(rational, meek):
    for policy in POLICIES:
        a = run_one(rational, policy, 3, keep_transcript=True)
        b = run_one(meek, policy, 3, keep_transcript=True)
        assert a.transcript[1] == b.transcript[1]


def test_seeds_vary_the_wording(rational):
    firsts = {
        run_one(rational, "exemplary", s, keep_transcript=True).transcript[1][1] for s in range(6)
    }
    assert len(firsts) > 1


@pytest.mark.parametrize("persona_name", ["cal-rational", "cal-meek"])
def test_policies_keep_to_their_definition(persona_name):
    persona = load_persona(FIXTURES / f"{persona_name}.yaml")
    runs = {q: [run_one(persona, q, s, keep_transcript=True) for s in range(3)] for q in POLICIES}
    moves = {q: set().union(*(_moves(r) for r in rs)) for q, rs in runs.items()}
    comfort = {Move.THANK, Move.APOLOGISE, Move.EMPATHISE}
    assert {
        Move.THANK,
        Move.APOLOGISE,
        Move.EMPATHISE,
        Move.ASK,
        Move.RESTATE,
        Move.EXPLAIN,
        Move.REMEDY,
        Move.TIMESCALE,
        Move.OWN,
        Move.CONTACT,
        Move.CHECK_SATISFACTION,
    } <= moves["exemplary"]
    assert not moves["exemplary"] & VIOLATIONS
    assert not moves["cold_fixer"] & comfort
    assert {Move.REMEDY, Move.TIMESCALE} <= moves["cold_fixer"]
    assert moves["warm_but_empty"] <= comfort
    assert (
        {Move.EXCUSE, Move.BLAME_OTHERS}
        <= moves["defensive"]
        <= {Move.EXCUSE, Move.BLAME_OTHERS, Move.ARGUE}
    )
    assert moves["dismissive"] & {Move.CALM_DOWN, Move.FLAT_REFUSAL}
    assert moves["dismissive"] <= {Move.CALM_DOWN, Move.FLAT_REFUSAL}
    assert Move.BARE_TRANSFER in moves["transferrer"] <= {Move.BARE_TRANSFER, Move.THANK}
    assert {Move.OVER_PROMISE, Move.REMEDY} <= moves["over_promiser"]
    assert all(r.overpromised for r in runs["over_promiser"])
    assert not any(r.overpromised for q, rs in runs.items() if q != "over_promiser" for r in rs)
    # The twins differ from their model by exactly one thing (DOMAIN §3.9, §4.2, §3.5).
    assert all(r.gave_away for r in runs["give_away"])
    assert not any(r.gave_away for q, rs in runs.items() if q != "give_away" for r in rs)
    assert moves["boundary"] - moves["exemplary"] == {Move.SET_BOUNDARY}
    assert not moves["boundary"] & VIOLATIONS
    assert Move.EXPLAIN in moves["precedent"] and Move.EXPLAIN not in moves["bottom_liner"]
    assert moves["precedent"] - moves["bottom_liner"] == {Move.EXPLAIN}


def test_the_twins_say_the_same_but_for_their_difference(rational):
    """Boundary and give-away word everything as the exemplary policy does for a seed, and
    the bottom-liner as the precedent policy, so the matrix compares exactly one thing."""
    for seed in range(3):
        ex = run_one(rational, "exemplary", seed, keep_transcript=True).transcript
        bd = run_one(rational, "boundary", seed, keep_transcript=True).transcript
        assert bd[1][1].endswith(ex[1][1]) and bd[1][1] != ex[1][1]
        pr = run_one(rational, "precedent", seed, keep_transcript=True).transcript
        bl = run_one(rational, "bottom_liner", seed, keep_transcript=True).transcript
        assert pr[1] == bl[1]


def test_exemplary_asks_before_offering(meek):
    run = run_one(meek, "exemplary", 0, keep_transcript=True)
    assert "premature_offer" not in run.reactions
    assert run.outcome is Outcome.RESOLVED


# -- the follow-up ----------------------------------------------------------------------
def test_follow_up_breaks_only_an_over_promise():
    state = CustomerState(anger=20, trust=70, patience=50, overpromised=True)
    after = follow_up(state)
    assert after.broken_promise and after.trust == 40 and after.anger == 20
    kept = follow_up(state.model_copy(update={"overpromised": False}))
    assert not kept.broken_promise and kept.trust == 70
    assert follow_up(CustomerState(anger=0, trust=10, patience=5, overpromised=True)).trust == 0


# -- the runner and the matrix ------------------------------------------------------------
def test_processes_give_the_same_results_as_one(rational, meek):
    one = run_calibration([rational, meek], ["exemplary", "defensive"], runs=2, workers=1)
    two = run_calibration([rational, meek], ["exemplary", "defensive"], runs=2, workers=2)
    assert one == two
    assert [(r.persona, r.policy, r.seed) for r in one] == [
        (p, q, s)
        for p in ("cal-rational", "cal-meek")
        for q in ("exemplary", "defensive")
        for s in (0, 1)
    ]


def test_runner_rejects_bad_arguments(rational):
    with pytest.raises(ValueError, match="unknown policy"):
        run_calibration([rational], ["charming"], runs=1)
    with pytest.raises(ValueError, match="at least 1"):
        run_calibration([rational], runs=0)


def test_cells_add_up(fixture_matrix):
    assert len(fixture_matrix.cells) == 2 * len(POLICIES)
    for c in fixture_matrix.cells.values():
        assert c.runs == 2
        assert c.resolved + c.escalated + c.abandoned + c.turn_limit == pytest.approx(1)
        assert -100 <= c.standing <= 100
        assert (c.turns_to_resolution is None) == (c.resolved == 0)
    assert fixture_matrix.cell("defensive", "cal-rational").excuse_penalty > 0
    assert fixture_matrix.cell("exemplary", "cal-rational").excuse_penalty is None


def test_fixture_personas_behave_as_their_type(fixture_matrix):
    m = fixture_matrix
    assert m.cell("exemplary", "cal-meek").resolved == 1
    assert m.cell("dismissive", "cal-meek").abandoned == 1  # meek: leaves quietly
    assert m.cell("dismissive", "cal-rational").escalated == 1
    assert m.cell("cold_fixer", "cal-rational").resolved == 1  # rational: results suffice
    assert m.cell("cold_fixer", "cal-meek").resolved == 0  # emotional: never heard


def test_twins_are_found(rational):
    twin = rational.model_copy(update={"id": "cal-rational-copy"})
    m = calibrate([rational, twin], runs=1, workers=1)
    assert m.twins() == [("cal-rational", "cal-rational-copy")]
    assert "NOT distinct" in to_markdown(m)


def test_distinct_personas_are_not_twins(fixture_matrix):
    assert fixture_matrix.twins() == []


def test_matrix_json_and_markdown(fixture_matrix):
    data = json.loads(json.dumps(fixture_matrix.to_dict()))
    assert len(data["cells"]) == 2 * len(POLICIES) and data["runs"] == 2
    md = to_markdown(fixture_matrix, check_expectations(fixture_matrix))
    assert md.startswith("# Persona calibration")
    for q in POLICIES.values():
        assert f"### {q.label}" in md
    assert "| cal-meek (meek, emotional) |" in md


# -- expectations as data ------------------------------------------------------------------
def test_every_expectation_cites_domain_and_reads_as_a_sentence():
    found = load_expectations()
    assert len({e.id for e in found}) == len(found)
    for e in found:
        assert re.match(r"^§\d", e.domain) and e.says.endswith(".")


ISSUE_EXPECTATIONS = {
    "exemplary-resolves",
    "exemplary-deescalates-never-satisfied",
    "dismissive-loses-everyone",
    "cold-fixer-suits-rational",
    "warm-but-empty-suits-emotional",
    "vip-punishes-excuses-hardest",
    "meek-never-escalate",
    "meek-leave-quietly",
    "over-promiser-loses-trust-when-checked",
    # Issue 14 item 2 replaced "over-promiser-wins-the-moment": the sources (001, 004) say
    # over-promising never pays, so a guarantee no longer wins even the moment.
    "over-promiser-no-better-than-realistic",
    "over-promiser-raises-doubt-with-rational",
    "over-promiser-never-wins-emotional",
    # Issue 14 items 1, 3 and 4: give-aways, bringing expectations down, the boundary.
    "give-away-is-recognised",
    "give-away-never-pays-in-the-grade",
    "only-the-give-away-gives-away",
    "precedent-settles-rational",
    "precedent-beats-bare-bottom-line",
    "precedent-settles-sooner",
    "boundary-keeps-aggressive",
    "boundary-calms-aggressive",
    "boundary-neutral-for-others",
}


def test_the_issue_expectations_are_all_there():
    assert {e.id for e in load_expectations()} >= ISSUE_EXPECTATIONS


def test_a_bad_expectation_file_names_line_and_field(tmp_path):
    text = EXPECTATIONS_FILE.read_text().replace("metric: anger_change", "metric: angr", 1)
    bad = tmp_path / "x.yaml"
    bad.write_text(text)
    with pytest.raises(FileProblems) as info:
        load_model(ExpectationFile, bad)
    problem = info.value.problems[0]
    assert "unknown metric 'angr'" in problem.message and problem.line is not None


def test_expectations_fail_pass_and_do_not_apply(fixture_matrix):
    by_id = {r.expectation.id: r for r in check_expectations(fixture_matrix)}
    assert by_id["vip-punishes-excuses-hardest"].status == "n/a"  # no VIP here
    assert by_id["meek-leave-quietly"].status == "pass"
    assert by_id["cold-fixer-suits-rational"].status == "pass"
    # The same check fails on a matrix where it is false: flip the meek cell's figure.
    cell = fixture_matrix.cell("dismissive", "cal-meek")
    saved = cell.abandoned
    cell.abandoned = 0.5
    try:
        result = {r.expectation.id: r for r in check_expectations(fixture_matrix)}
        assert result["meek-leave-quietly"].status == "fail"
        assert result["meek-leave-quietly"].failures == [
            "FAIL cal-meek x dismissive: abandoned 0.5 == 1"
        ]
    finally:
        cell.abandoned = saved


def test_the_designer_report(rational, meek):
    report = calibration_report(
        meek, runs=1, others=[rational], workers=1, text=(FIXTURES / "cal-meek.yaml").read_text()
    )
    assert report.persona_id == "cal-meek" and report.distinct
    assert {p.id for p in report.matrix.personas} == {"cal-meek", "cal-rational"}
    assert report.warnings == []
    md = report.to_markdown()
    assert md.startswith("### Calibration of `cal-meek` (meek, emotional)")
    assert md.count("\n| ") == 1 + len(POLICIES)  # header + a row per policy
    assert "**PASS** `meek-leave-quietly`" in md and "vip-punishes" not in md
    assert "**Distinct**: yes" in md and "No warnings." in md
    assert "## By policy" in report.to_markdown(full=True)
    result = next(r for r in report.expectations if r.expectation.id == "meek-leave-quietly")
    assert result.status_for("cal-meek") == "pass" and result.status_for("cal-rational") == "n/a"


def test_the_designer_sees_each_edit_not_a_remembered_result(meek):
    from simulator.calibration import calibrate_persona

    assert calibrate_persona(meek, runs=1).cell("exemplary", "cal-meek").resolved == 1
    case = meek.case.model_copy(
        update={"remedies": [r.model_copy(update={"level": "below"}) for r in meek.case.remedies]}
    )
    unmeetable = meek.model_copy(update={"case": case})
    assert calibrate_persona(unmeetable, runs=1).cell("exemplary", "cal-meek").resolved == 0
    assert calibrate_persona(meek, runs=1).cell("exemplary", "cal-meek").resolved == 1


# -- the command ---------------------------------------------------------------------------
def test_calibrate_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FRONTLINE_PERSONAS", str(FIXTURES))
    out = tmp_path / "cal.md"
    code = main(["calibrate", "--runs", "1", "--workers", "1", "--markdown", str(out)])
    printed = capsys.readouterr()
    assert f"Calibration: 2 personas x {len(POLICIES)} policies x 1 seeds" in printed.out
    assert f"calibrating: {2 * len(POLICIES)}/{2 * len(POLICIES)}" in printed.err
    assert out.read_text().startswith("# Persona calibration")
    failed = printed.out.count("[FAIL]")
    assert code == (1 if failed else 0)
    assert (f"{failed} DOMAIN expectation(s) fail" in printed.err) == bool(failed)
    assert ("NOT calibrated" in printed.err) == (code == 1)

    # Expectations about policies left out do not apply, so they cannot fail.
    assert (
        main(["calibrate", "--runs", "1", "--policy", "exemplary", "--policy", "dismissive"]) == 0
    )
    printed = capsys.readouterr()
    assert "x 2 policies" in printed.out and "[FAIL]" not in printed.out

    code = main(["calibrate", "--persona", "cal-meek", "--runs", "1", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert [p["id"] for p in data["personas"]] == ["cal-meek"]
    statuses = {e["status"] for e in data["expectations"]}
    assert code == (1 if "fail" in statuses else 0)
    assert "n/a" in statuses  # comparisons across temperaments need more than one persona


def test_calibrate_command_fails_on_twins(tmp_path, monkeypatch, capsys):
    text = (FIXTURES / "cal-rational.yaml").read_text()
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text.replace("id: cal-rational", "id: cal-rational-2"))
    monkeypatch.setenv("FRONTLINE_PERSONAS", str(tmp_path))
    assert main(["calibrate", "--runs", "1", "--policy", "exemplary"]) == 1
    printed = capsys.readouterr()
    assert "NOT distinct: cal-rational and cal-rational-2" in printed.out
    assert "1 indistinguishable pair(s)" in printed.err


def test_calibrate_command_errors(monkeypatch, capsys):
    monkeypatch.setenv("FRONTLINE_PERSONAS", str(FIXTURES))
    assert main(["calibrate", "--persona", "nobody", "--runs", "1"]) == 1
    assert "no persona 'nobody'" in capsys.readouterr().err
    assert main(["calibrate", "--runs", "0"]) == 1


# -- the shipped personas -------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped() -> Matrix:
    library = PersonaLibrary(ROOT / "personas")
    assert not library.problems, library.problems
    return calibrate([library.get(i) for i in library.ids()], runs=TEST_RUNS)


@pytest.mark.parametrize("expectation", [e.id for e in load_expectations()])
def test_shipped_personas_meet_domain_expectation(shipped, expectation):
    result = next(r for r in check_expectations(shipped) if r.expectation.id == expectation)
    assert result.status == "pass", str(result)


def test_shipped_personas_are_distinct(shipped):
    assert shipped.twins() == []


def test_calibration_doc_is_up_to_date():
    """docs/calibration.md is what `frontline calibrate --markdown docs/calibration.md`
    writes; regenerate it after changing a persona, a policy or effects.yaml."""
    text = DOC.read_text(encoding="utf-8")
    runs = int(re.search(r"over (\d+) seeds", text).group(1))
    library = PersonaLibrary(ROOT / "personas")
    personas = [library.get(i) for i in library.ids()]
    matrix = calibrate(personas, runs=runs)
    assert text == to_markdown(matrix, check_expectations(matrix)), (
        "run: frontline calibrate --markdown docs/calibration.md"
    )


def test_an_llm_renderer_words_the_customer_but_decides_nothing(rational, monkeypatch, capsys):
    from simulator.llm.mock import MockBackend
    from simulator.render.llm import LLMRenderer

    renderer = LLMRenderer(MockBackend(default="I want this sorted out properly."))
    policies = ["exemplary", "dismissive"]
    worded = run_calibration([rational], policies, runs=2, renderer=renderer, workers=2)
    offline = run_calibration([rational], policies, runs=2, workers=1)
    assert [r.reactions for r in worded] == [r.reactions for r in offline]
    m = calibrate([rational], runs=1, policies=policies, renderer=renderer, workers=1)
    assert m.renderer == renderer.name

    monkeypatch.setenv("FRONTLINE_PERSONAS", str(FIXTURES))
    for name in ("FRONTLINE_LLM_MODEL", "FRONTLINE_LLM_CONFIG", "FRONTLINE_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["calibrate", "--runs", "1", "--llm"]) == 1
    assert "no model is configured" in capsys.readouterr().err
