"""A language Frontline does not ship, added by a trainer's folder with no code change.

tests/fixtures/languages/eo holds a tiny test language (a few Esperanto move patterns)
and a persona that speaks it; FRONTLINE_MOVE_PATTERNS and FRONTLINE_PERSONAS point at it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.errors import FileProblems
from simulator.moves.detector import default_detector
from simulator.moves.vocabulary import Move

EO = Path(__file__).resolve().parent / "fixtures" / "languages" / "eo"
ENV = {"FRONTLINE_MOVE_PATTERNS": str(EO), "FRONTLINE_PERSONAS": str(EO / "personas")}
TURNS = [
    "Mi tre bedaŭras, mi komprenas kial vi koleras.",
    "Kiam vi rimarkis la pagojn?",
    "Mi repagos la duoblan pagon hodiaŭ.",
]


def test_a_language_only_a_trainer_supplies_is_read(monkeypatch):
    monkeypatch.setenv("FRONTLINE_MOVE_PATTERNS", str(EO))
    moves = {d.move for d in default_detector("eo").detect(TURNS[2])}
    assert moves == {Move.OWN, Move.REMEDY, Move.TIMESCALE}


def test_a_language_nobody_supplies_is_refused_clearly(monkeypatch):
    monkeypatch.setenv("FRONTLINE_MOVE_PATTERNS", str(EO))
    with pytest.raises(
        FileProblems, match="no move patterns for language 'qq'.*FRONTLINE_MOVE_PATTERNS"
    ):
        default_detector("qq")


def test_a_persona_in_the_test_language_practises_and_grades(cli, tmp_path):
    out = tmp_path / "t.json"
    run = cli(
        "practice",
        "--persona",
        "fixture-eo-refund",
        "--export",
        str(out),
        stdin="\n".join(TURNS) + "\n/end\n",
        env=ENV,
    )
    assert run.returncode == 0, run.stderr
    assert "Ambaŭ pagoj estis la 3-an de majo." in run.stdout  # the question was understood
    transcript = json.loads(out.read_text(encoding="utf-8"))
    assert transcript["language"] == "eo"
    offer = (
        transcript["turns"][-2]
        if transcript["turns"][-1]["role"] == "customer"
        else transcript["turns"][-1]
    )
    assert {m["move"] for m in offer["reading"]["moves"]} == {"own", "remedy", "timescale"}
    assert offer["reading"]["language"] == "eo"

    graded = cli("grade", "--json", str(out), env=ENV)
    assert graded.returncode == 0, graded.stderr
    card = json.loads(graded.stdout)
    verdicts = {c["id"]: c["verdict"] for c in card["criteria"]}
    assert verdicts["acknowledge-feelings"] == "met"
    assert verdicts["concrete-remedy"] == "met"
    # Imported without its readings, the transcript is read afresh in its own language.
    for turn in transcript["turns"]:
        turn.pop("reading", None)
    out.write_text(json.dumps(transcript), encoding="utf-8")
    again = json.loads(cli("grade", "--json", str(out), env=ENV).stdout)
    assert {c["id"]: c["verdict"] for c in again["criteria"]} == verdicts
