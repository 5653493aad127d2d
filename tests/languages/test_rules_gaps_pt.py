"""Issue 12 phrasings in Portuguese, read as a careful rater would.

Issue 12: the overlay writers listed Portuguese trainee phrasings that
simulator/languages/pt/moves.yaml did not read, or misread (brief s4/rules-gaps.md).
Each turn below is one of them, with what a careful rater reads in it (``want``) and what
they would not (``not_want``). The file is loaded directly, like test_rules_es_pt.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.moves.detector import RuleDetector, load_pattern_file

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = RuleDetector([load_pattern_file(ROOT / "simulator" / "languages" / "pt" / "moves.yaml")])

CASES = [
    # Questions.
    ("A senhora fica satisfeita com essa solução?", {"check_satisfaction"}, {"ask"}),
    ("Essa solução atende a senhora?", {"check_satisfaction"}, {"ask"}),
    ("Oi, Lucas, tudo bem?", set(), {"check_satisfaction"}),
    # Violations.
    ("Isso foi erro do técnico, não meu.", {"blame_others"}, set()),
    ("Foi o outro atendente que errou.", {"blame_others"}, set()),
    ("Isso é culpa da transportadora, não nossa.", {"blame_others"}, set()),
    ("O cancelamento foi por motivos operacionais.", {"excuse"}, set()),
    ("Foi por motivo de força maior, não depende de nós.", {"excuse"}, set()),
    # Good moves.
    ("O técnico que foi aí na segunda não trouxe a peça.", set(), {"timescale"}),
    ("Vi o seu pedido do dia 2 de janeiro.", set(), {"timescale"}),
    ("A peça foi pedida pelo código do modelo errado.", {"explain"}, set()),
]


@pytest.mark.parametrize(("text", "want", "not_want"), CASES)
def test_issue_12_phrasing_is_read_as_a_rater_would(text, want, not_want):
    found = {d.move.value for d in DETECTOR.detect(text)}
    assert want <= found, f"{sorted(want - found)} not found in {text!r} (found {sorted(found)})"
    assert not (not_want & found), f"{sorted(not_want & found)} wrongly found in {text!r}"
