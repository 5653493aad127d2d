"""Issue 12 phrasings in Bulgarian, read as a careful rater would.

Issue 12: the overlay writers listed Bulgarian trainee phrasings that
simulator/languages/bg/moves.yaml did not read, or misread (brief s4/rules-gaps.md).
Each turn below is one of them, with what a careful rater reads in it (``want``) and what
they would not (``not_want``). The file is loaded directly, like test_rules_ru_bg.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.moves.detector import RuleDetector, load_pattern_file

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = RuleDetector([load_pattern_file(ROOT / "simulator" / "languages" / "bg" / "moves.yaml")])

CASES = [
    # Questions.
    ("До колко часа трябва да сте на летището?", {"ask"}, set()),
    ("Докога Ви трябва куфарът?", {"ask"}, set()),
    ("Имате ли номера на багажния талон или на протокола?", {"ask"}, {"options"}),
    # Violations.
    ("Това е грешка на колегата, който Ви е обслужвал.", {"blame_others"}, set()),
    ("Това не е наша вина, а на куриерската фирма.", {"blame_others"}, set()),
    ("Колегата е нов, той е виновен.", {"blame_others"}, set()),
    ("Колегите от склада са объркали нещо.", {"blame_others"}, set()),
    ("Техникът е сбъркал, не аз.", {"blame_others"}, set()),
    (
        "Колегата сигурно се е шегувал, той никога не би казал такова нещо.",
        {"argue"},
        set(),
    ),
    ("За съжаление полетът е отменен по оперативни причини.", {"excuse"}, {"apologise"}),
    # Good moves.
    ("Проверих случая и се извинявам, че чакахте толкова дълго.", {"apologise"}, set()),
    ("Разбирам колко унизително е било.", {"empathise"}, set()),
    ("Приемете моите съболезнования.", {"empathise"}, set()),
    ("Ще получите отговор до четиринайсет дни.", {"timescale"}, set()),
    ("Ще получите отговор до четиринадесет дни.", {"timescale"}, set()),
    ("Техникът ще дойде за вторник сутринта.", {"timescale"}, set()),
    ("Ще Ви изплатя обезщетение от 200 лева.", {"remedy"}, set()),
]


@pytest.mark.parametrize(("text", "want", "not_want"), CASES)
def test_issue_12_phrasing_is_read_as_a_rater_would(text, want, not_want):
    found = {d.move.value for d in DETECTOR.detect(text)}
    assert want <= found, f"{sorted(want - found)} not found in {text!r} (found {sorted(found)})"
    assert not (not_want & found), f"{sorted(not_want & found)} wrongly found in {text!r}"
