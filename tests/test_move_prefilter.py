"""The detector's literal prefilter never changes a result: the indexed detector finds
exactly what searching every pattern in every sentence finds."""

from __future__ import annotations

import re
import string
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.moves.detector import Detection, _fold, default_detector
from simulator.moves.prefilter import PatternIndex, normalise, required_literals
from simulator.textspan import sentence_spans

DETECTOR = default_detector()
GOLD = Path(__file__).resolve().parent / "gold"


def reference_detect(text: str) -> list[Detection]:
    """The detector's algorithm without the index: every rule, every pattern, every turn."""
    found = []
    folded = _fold(text)
    rules = [r for r in DETECTOR._rules if not any(p.search(folded) for p in r.unless_turn)]
    for s, e in sentence_spans(text):
        sentence = folded[s:e]
        for rule in rules:
            for pat in rule.patterns:
                m = pat.search(sentence)
                if m and m.end() > m.start():
                    if not any(u.search(sentence) for u in rule.unless):
                        a, b = s + m.start(), s + m.end()
                        found.append(Detection(rule.move, a, b, text[a:b], text[s:e], s))
                    break
    found.sort(key=lambda d: (d.start, d.move))
    return found


def corpus() -> list[str]:
    texts = [x for p in DETECTOR.patterns.values() for x in p.examples + p.counterexamples]
    for path in sorted(GOLD.glob("*.txt")):
        texts += [ln.split(":", 1)[1] for ln in path.read_text(encoding="utf-8").splitlines()
                  if ":" in ln]
    return texts


CORPUS = corpus()


def test_every_example_and_gold_line_is_detected_as_without_the_index():
    for text in CORPUS:
        assert DETECTOR.detect(text) == reference_detect(text), text


# Characters that re.IGNORECASE folds onto ASCII letters, and other awkward input.
ODD = ["İ", "ı", "ſ", "K", "ß", "’", "\u00a0", "\n", "!!", "?", "...", "£", "🙂"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(CORPUS) | st.sampled_from(ODD) | st.text(max_size=15),
                min_size=1, max_size=6),
       st.sampled_from([str.lower, str.upper, str, str.swapcase]))
def test_random_turns_are_detected_as_without_the_index(parts, case):
    text = case(" ".join(parts))
    assert DETECTOR.detect(text) == reference_detect(text)


def test_case_folding_keeps_every_character_re_matches_to_an_ascii_letter():
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    for x in string.ascii_lowercase + string.digits:
        for m in re.finditer(re.escape(x), everything, re.IGNORECASE):
            assert normalise(m.group()) == x, (x, m.group())


def test_required_literals():
    assert required_literals(r"\bI('m| am) (so |very )*sorry\b") == {"sorry"}
    assert required_literals(r"\b(thank you|thanks|many thanks)\b") == \
        {"thank you", "thanks", "many thanks"}
    assert required_literals(r"\bcalm (yourself )?down\b") == {"calm "}
    assert required_literals(r"(?=.{0,9}frustrat)\w+") == {"frustrat"}
    for unknowable in (r"\b\w+\b", r"(foo)?bar?", r"a|bcd", r"[abc]{3}", r"x", r"@", "(?<=Ω)ωω"):
        assert required_literals(unknowable) is None, unknowable


def test_the_index_names_only_patterns_that_can_match():
    patterns = [re.compile(p, re.IGNORECASE) for p in (r"\bsorry\b", r"\bthanks?\b", r"\w+")]
    index = PatternIndex(patterns)
    assert index.candidates("SORRY about that") == [0, 2]
    assert index.candidates("nothing here") == [2]
