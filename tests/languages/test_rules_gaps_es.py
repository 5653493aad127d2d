"""Issue 12 phrasings in Spanish, read as a careful rater would.

Issue 12: the overlay writers listed Spanish trainee phrasings that
simulator/languages/es/moves.yaml did not read, or misread (brief s4/rules-gaps.md).
Each turn below is one of them, with what a careful rater reads in it (``want``) and what
they would not (``not_want``). The file is loaded directly, like test_rules_es_pt.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.moves.detector import RuleDetector, load_pattern_file

ROOT = Path(__file__).resolve().parents[2]
DETECTOR = RuleDetector([load_pattern_file(ROOT / "simulator" / "languages" / "es" / "moves.yaml")])

CASES = [
    # Questions.
    ("¿Qué le gustaría que hiciéramos?", {"ask"}, set()),
    ("¿Cómo le gustaría que lo resolviéramos?", {"ask"}, set()),
    # Violations.
    ("Eso fue cosa de mi compañero, no mía.", {"blame_others"}, set()),
    ("Eso es cosa del técnico que fue el lunes, no mía.", {"blame_others"}, {"timescale"}),
    ("Eso es culpa del aeropuerto de Arlanda, no nuestra.", {"blame_others"}, set()),
    ("El retraso lo causó el aeropuerto, no es cosa nuestra.", {"blame_others"}, set()),
    ("Seguro que el chico estaba de broma, él nunca diría eso.", {"argue"}, set()),
    ("Usted pidió el que no era, seguro.", {"argue"}, set()),
    ("Tendría que haber mirado la web, allí estaba el aviso.", {"argue"}, set()),
    # Good moves.
    ("Es un incumplimiento nuestro y lo vamos a corregir.", {"own"}, set()),
    ("Siento las molestias, Marta.", {"apologise"}, set()),
    ("El técnico que fue el lunes no trajo la pieza.", set(), {"timescale"}),
    ("Le organizo un vuelo alternativo para mañana.", {"remedy"}, set()),
    ("Le tramito la baja hoy mismo.", {"remedy"}, set()),
    ("Le cierro la cuenta ahora mismo, sin penalización.", {"remedy"}, set()),
    ("El fallo está en el estuche de carga, no en los auriculares.", {"explain"}, set()),
]


@pytest.mark.parametrize(("text", "want", "not_want"), CASES)
def test_issue_12_phrasing_is_read_as_a_rater_would(text, want, not_want):
    found = {d.move.value for d in DETECTOR.detect(text)}
    assert want <= found, f"{sorted(want - found)} not found in {text!r} (found {sorted(found)})"
    assert not (not_want & found), f"{sorted(not_want & found)} wrongly found in {text!r}"
