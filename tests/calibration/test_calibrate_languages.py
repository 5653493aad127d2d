"""Calibration per language (issue 13 item 2): `frontline calibrate --language L`.

Every persona that offers L is played in L, the reference policies speak L's
``agent_lines.yaml``, the expectations are checked on L's matrix alone, and a persona that
does not offer L is listed as skipped with the reason. Runs are kept tiny (one or two
personas, one or two seeds): calibration is CPU-heavy. Which personas offer which language
is read from the persona files, so the tests hold as overlays are added.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.calibration.outcome import Calibration
from simulator.calibration.per_language import (
    calibrate_language,
    language_codes,
    played_in,
)
from simulator.calibration.policies import load_agent_lines
from simulator.calibration.report import calibrations_text, languages_markdown
from simulator.calibration.runner import run_one
from simulator.errors import FrontlineError
from simulator.persona.loader import PersonaLibrary, load_persona, read_persona

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "calibration"
MEEK = "meek-emotional-late-delivery"  # offers all six languages today


@pytest.fixture(scope="module")
def shipped():
    library = PersonaLibrary(ROOT / "personas")
    return [library.get(i) for i in library.ids()]


def test_every_persona_is_played_in_the_language_or_skipped_with_the_reason(shipped):
    played, skipped = played_in(shipped, "es")
    offers = {p.id for p in shipped if "es" in p.offered_languages()}
    assert {p.id for p in played} == offers and MEEK in offers
    assert all(p.language == "es" for p in played)
    assert {s.persona for s in skipped} == {p.id for p in shipped} - offers
    for s in skipped:
        assert s.reason.startswith("not offered in es (offers en"), s


def test_a_broken_overlay_is_skipped_with_its_problem(tmp_path):
    text = (FIXTURES / "cal-meek.yaml").read_text(encoding="utf-8")
    text = text.replace("schema_version: 1", "schema_version: 2", 1)
    text += "\nlanguages:\n  es:\n    summary: Una clienta callada.\n"
    broken, problems = read_persona(text, "cal-meek.yaml")
    assert problems  # the overlay lacks the phrase bank, the case texts...
    played, skipped = played_in([broken], "es")
    assert played == []
    assert skipped[0].persona == "cal-meek"
    assert skipped[0].reason.startswith("its es overlay is broken: ")
    assert "cal-meek.yaml" in skipped[0].reason


def test_language_codes():
    assert set(language_codes(["all"])) >= {"en", "es", "ru", "zh", "bg", "pt"}
    assert language_codes(["es", "ru", "es"]) == ["es", "ru"]
    with pytest.raises(FrontlineError, match="'xx': no language pack has it"):
        language_codes(["xx"])


def test_the_policies_speak_the_personas_language(shipped):
    persona = next(p for p in shipped if p.id == MEEK).in_language("es")
    run = run_one(persona, "exemplary", 0, keep_transcript=True)
    agent = " ".join(text for role, text in run.transcript if role == "agent")
    english = {v for vs in load_agent_lines("en").lines.values() for v in vs if "{" not in v}
    assert not [line for line in english if line in agent]
    assert load_agent_lines("es").agent_name in agent  # the contact line names the agent
    assert "Sam Carter" not in agent and " Or " not in agent


def test_a_language_matrix_holds_the_expectations_and_says_its_language(shipped):
    persona = next(p for p in shipped if p.id == MEEK)
    done = calibrate_language([persona], "zh", runs=1, workers=1)
    assert done.matrix is not None and done.matrix.language == "zh"
    assert [p.id for p in done.matrix.personas] == [MEEK]
    failed = [str(r) for r in done.results if r.status == "fail"]
    assert not failed, failed
    assert done.ok and done.summary().startswith("zh: calibrated")
    data = done.to_dict()
    assert data["language"] == "zh" and data["calibrated"] is True
    assert {e["status"] for e in data["expectations"]} <= {"pass", "n/a"}
    assert "Calibration in zh: 1 personas" in calibrations_text([done])


def test_a_language_no_persona_offers_is_not_calibrated():
    base_only = load_persona(FIXTURES / "cal-rational.yaml")
    done = calibrate_language([base_only], "ru", runs=1, workers=1)
    assert done.matrix is None and not done.ok
    assert done.summary() == "ru: NOT calibrated: no persona offers ru"
    assert done.skipped[0].reason == "not offered in ru (offers en)"
    text = languages_markdown([done], runs=1)
    assert "| ru | - | 0 | 0 | 0 | 1 | **NOT calibrated** |" in text
    assert "No persona offers ru." in text and "`cal-rational`: not offered in ru" in text


def test_markdown_has_a_results_row_per_language():
    done = [
        Calibration("es", None, [], []),
        Calibration("pt", None, [], []),
    ]
    text = languages_markdown(done, runs=2)
    assert text.startswith("# Persona calibration by language")
    assert "over 2 seeds" in text
    assert text.index("| es |") < text.index("| pt |") < text.index("## es")


# -- the command, as a subprocess -----------------------------------------------------------
def test_calibrate_in_spanish_from_the_command_line(cli):
    personas = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    args = ["calibrate", "--language", "es", "--persona", MEEK, "--runs", "2", "--workers", "1"]
    done = cli(*args, env=personas)
    assert done.returncode == 0, done.stderr
    assert "=== es ===" in done.stdout
    assert "Calibration in es: 1 personas x 12 policies x 2 seeds" in done.stdout
    assert "[FAIL]" not in done.stdout
    assert "es: calibrated: every DOMAIN expectation holds" in done.stderr

    quick = ["calibrate", "--language", "es", "--persona", MEEK, "--runs", "1", "--workers", "1"]
    data = json.loads(cli(*quick, "--policy", "exemplary", "--json", env=personas).stdout)
    (es,) = data["languages"]
    assert es["language"] == "es" and es["calibrated"] is True
    assert [p["id"] for p in es["personas"]] == [MEEK] and es["skipped"] == []


def test_the_command_lists_skipped_personas_and_refuses_unknown_languages(cli, tmp_path):
    # The calibration fixtures are English only: nothing to calibrate in Russian.
    fixtures = {"FRONTLINE_PERSONAS": str(FIXTURES)}
    one = ["--runs", "1", "--workers", "1", "--policy", "exemplary"]
    done = cli("calibrate", "--language", "ru", *one, env=fixtures)
    assert done.returncode == 1
    assert "Skipped in ru:" in done.stdout
    assert "cal-meek: not offered in ru (offers en)" in done.stdout
    assert "ru: NOT calibrated: no persona offers ru" in done.stderr

    out = tmp_path / "by-language.md"
    done = cli("calibrate", "--language", "en", *one, "--markdown", str(out), env=fixtures)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr
    assert "| en | cal-" in out.read_text(encoding="utf-8")

    done = cli("calibrate", "--language", "xx", "--runs", "1")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "--language 'xx': no language pack has it" in done.stderr


def test_the_plain_run_is_reported_as_a_language_run_is(cli):
    # One reporting path: the plain run's JSON carries the same fields as each language's
    # entry (the verdict, the skipped personas), and its verdict line is the same sentence.
    fixtures = {"FRONTLINE_PERSONAS": str(FIXTURES)}
    one = ["--persona", "cal-meek", "--runs", "1", "--workers", "1", "--policy", "exemplary"]
    plain = cli("calibrate", *one, "--json", env=fixtures)
    english = cli("calibrate", *one, "--language", "en", "--json", env=fixtures)
    assert "Traceback" not in plain.stderr + english.stderr
    data = json.loads(plain.stdout)
    (en,) = json.loads(english.stdout)["languages"]
    assert set(data) == set(en)
    assert data["calibrated"] is (plain.returncode == 0) and data["skipped"] == []
    verdict = plain.stderr.strip().splitlines()[-1]
    assert english.stderr.strip().splitlines()[-1] == f"en: {verdict}"
