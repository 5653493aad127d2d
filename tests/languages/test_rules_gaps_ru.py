"""Issue 12 phrasings in Russian, read as a careful rater would.

Issue 12: the overlay writers listed Russian trainee phrasings that
simulator/languages/ru/moves.yaml did not read, or misread (brief s4/rules-gaps.md).
Each turn below is one of them, with what a careful rater reads in it (``want``) and what
they would not (``not_want``). The file is loaded directly, like test_rules_ru_bg.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.moves.detector import RuleDetector, load_pattern_file

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = RuleDetector([load_pattern_file(ROOT / "simulator" / "languages" / "ru" / "moves.yaml")])

CASES = [
    # Questions (the customer answers nothing if they are not read as questions).
    ("Расскажите, пожалуйста, что случилось?", {"ask"}, set()),
    ("Можете рассказать, что произошло?", {"ask"}, set()),
    ("Чемодан пришёл целым? Ничего не повреждено и не пропало?", {"ask"}, set()),
    ("А что в итоге стало с чайником?", {"ask"}, set()),
    ("Что произошло с чайником потом?", {"ask"}, set()),
    ("К какому времени вам нужно приземлиться в Москве?", {"ask"}, {"timescale"}),
    # Violations.
    ("Это техподдержка напортачила, а не я.", {"blame_others"}, set()),
    ("Это не я, это мой коллега виноват.", {"blame_others"}, set()),
    ("Это ошибка коллеги из техподдержки, не моя.", {"blame_others"}, set()),
    ("Это вина другого отдела.", {"blame_others"}, set()),
    ("К сожалению, наши инженеры сейчас очень загружены.", {"excuse"}, {"apologise"}),
    (
        "К сожалению, рейс отменён по производственным причинам, все пассажиры в такой же"
        " ситуации.",
        {"excuse"},
        set(),
    ),
    # Good moves.
    ("Ответственность за это несём мы.", {"own"}, set()),
    ("В течение двух дней я письменно объясню, что произошло.", {"timescale"}, set()),
    ("Объясню за два дня.", {"timescale"}, set()),
    ("Сегодня же направлю инженера в Подольск до устранения.", {"timescale"}, set()),
    ("Я лично буду вашим контактным лицом.", {"contact"}, set()),
    ("Я буду сообщать вам новости каждые два часа.", {"contact"}, set()),
]


@pytest.mark.parametrize(("text", "want", "not_want"), CASES)
def test_issue_12_phrasing_is_read_as_a_rater_would(text, want, not_want):
    found = {d.move.value for d in DETECTOR.detect(text)}
    assert want <= found, f"{sorted(want - found)} not found in {text!r} (found {sorted(found)})"
    assert not (not_want & found), f"{sorted(not_want & found)} wrongly found in {text!r}"
