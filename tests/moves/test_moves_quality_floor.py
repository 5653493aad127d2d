"""CI floor: the rule detector must not read the English test split worse than measured.

The figure is the one recorded in docs/moves.md ("Measured quality"), computed by the same
code as ``frontline moves-quality``. Re-measure and update both when the reader improves
(raise the floor) or when turns are added to ``corpus/en.jsonl``.
"""

from __future__ import annotations

from simulator.moves.corpus import load_corpus
from simulator.moves.quality import evaluate_language

# Micro F1 of the rule detector on the English test split, measured 2026-12-07 (after the
# seed-contradiction fixes of issue 12; 0.526 before).
EN_TEST_MICRO_F1 = 0.537
TOLERANCE = 0.02


def test_english_micro_f1_on_the_test_split_holds_its_floor():
    quality = evaluate_language(load_corpus(languages=["en"]), "en", "test")
    assert quality.has_reader and quality.turns >= 140
    f1 = quality.micro.f1
    assert f1 is not None and f1 >= EN_TEST_MICRO_F1 - TOLERANCE, (
        f"English micro F1 on the test split fell to {f1:.3f} "
        f"(floor {EN_TEST_MICRO_F1 - TOLERANCE:.3f}); see `frontline moves-quality --language en`"
    )
