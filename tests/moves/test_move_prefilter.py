"""The detector's literal prefilter never changes a result: the indexed detector finds
exactly what searching every pattern in every sentence finds."""

from __future__ import annotations

import re
import string
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.moves.detector import Detection, default_detector
from simulator.moves.prefilter import (
    PatternIndex,
    lowered,
    normalise,
    required_literal_sets,
    required_literals,
)
from simulator.textspan import fold_apostrophes as _fold

DETECTOR = default_detector()
GOLD = Path(__file__).resolve().parents[1] / "gold"


def reference_detect(text: str) -> list[Detection]:
    """The detector's algorithm without the index: every rule, every pattern, every turn."""
    found = []
    folded = _fold(text)
    rules = [r for r in DETECTOR._rules if not any(p.search(folded) for p in r.unless_turn)]
    for s, e in DETECTOR.splitter.sentences(text):
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
        texts += [
            ln.split(":", 1)[1] for ln in path.read_text(encoding="utf-8").splitlines() if ":" in ln
        ]
    return texts


CORPUS = corpus()


def test_every_example_and_gold_line_is_detected_as_without_the_index():
    for text in CORPUS:
        assert DETECTOR.detect(text) == reference_detect(text), text


# Characters that re.IGNORECASE folds onto ASCII letters, and other awkward input.
ODD = ["İ", "ı", "ſ", "K", "ß", "’", "\u00a0", "\n", "!!", "?", "...", "£", "🙂"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(CORPUS) | st.sampled_from(ODD) | st.text(max_size=15),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([str.lower, str.upper, str, str.swapcase]),
)
def test_random_turns_are_detected_as_without_the_index(parts, case):
    text = case(" ".join(parts))
    assert DETECTOR.detect(text) == reference_detect(text)


def test_case_folding_keeps_every_character_re_matches_to_an_ascii_letter():
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    for x in string.ascii_lowercase + string.digits:
        for m in re.finditer(re.escape(x), everything, re.IGNORECASE):
            assert normalise(m.group()) == x, (x, m.group())


EVERYTHING = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def test_normalising_keeps_offsets_and_changes_only_what_ignorecase_equates():
    # The lowered twins search normalised text and report offsets into the original.
    word, digit, space = re.compile(r"\w"), re.compile(r"\d"), re.compile(r"\s")
    for ch in EVERYTHING:
        low = normalise(ch)
        assert len(low) == 1, hex(ord(ch))
        if low != ch:
            assert re.fullmatch(re.escape(low), ch, re.IGNORECASE), hex(ord(ch))
            for cls in (word, digit, space):  # \b, \w, \d, \s read it the same way
                assert bool(cls.match(ch)) == bool(cls.match(low)), hex(ord(ch))


def shipped_regexes() -> list[re.Pattern[str]]:
    out = list(DETECTOR._negations)
    for rule in DETECTOR._rules:
        out += [*rule.patterns, *rule.unless, *rule.unless_turn]
    return out


def test_every_shipped_regex_has_a_lowered_twin_unless_it_needs_the_original_case():
    for pattern in shipped_regexes():
        twin = lowered(pattern)
        assert (twin is None) == ("(?-i:" in pattern.pattern), pattern.pattern


def test_caseless_non_ascii_literals_of_the_shipped_regexes_match_only_themselves():
    # A twin keeps such a literal as it is; re.IGNORECASE must not equate it with another.
    text = "".join(EVERYTHING)
    chars = {c for p in shipped_regexes() for c in p.pattern if not c.isascii()}
    assert chars  # dashes, at least
    for c in chars:
        assert re.findall(re.escape(c), text, re.IGNORECASE) == [c], c
        assert [x for x in EVERYTHING if normalise(x) == c] == [c], c


TWINS = [(p, lowered(p)) for p in shipped_regexes()]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(CORPUS) | st.sampled_from(ODD) | st.text(max_size=15),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([str.lower, str.upper, str, str.swapcase]),
)
def test_lowered_twins_match_where_the_originals_match(parts, case):
    text = _fold(case(" ".join(parts)))
    low = normalise(text)
    for pattern, twin in TWINS:
        if twin is not None:
            a, b = pattern.search(text), twin.search(low)
            assert (a and a.span()) == (b and b.span()), pattern.pattern


def test_lowered_twin_examples():
    twin = lowered(re.compile(r"\bI('m| am) [A-Z]\w+ [^?X]\?", re.IGNORECASE))
    assert twin.search("i'm sam x?") is None and twin.search("i am sam y?").span() == (0, 11)
    assert lowered(re.compile(r"(?-i:[A-Z])x", re.IGNORECASE)) is None  # needs the case
    assert lowered(re.compile(r"(a)\1", re.IGNORECASE)) is None  # back-reference
    assert lowered(re.compile(r"caf\u00c9", re.IGNORECASE)) is None  # non-ASCII letter
    assert lowered(re.compile(r"abc")) is None  # not case-insensitive: nothing to gain


def test_required_literal_sets_are_all_necessary():
    ask = r"\b(refund|credit) [^?]{0,9}\?"
    assert {"refund", "credit"} in required_literal_sets(ask)
    assert {"?"} in required_literal_sets(ask)
    corpus = ["I want a refund.", "Is a credit OK?", "Who is it?"] + ["Hello there."] * 7
    index = PatternIndex([re.compile(ask, re.IGNORECASE)], corpus)
    assert index.candidates("A CREDIT now?") == [0]
    assert index.candidates("A credit now.") == []  # the word alone is not enough
    assert index.candidates("A voucher now?") == []


def test_required_literals():
    assert required_literals(r"\bI('m| am) (so |very )*sorry\b") == {"sorry"}
    assert required_literals(r"\b(thank you|thanks|many thanks)\b") == {
        "thank you",
        "thanks",
        "many thanks",
    }
    assert required_literals(r"\bcalm (yourself )?down\b") == {"calm "}
    assert required_literals(r"(?=.{0,9}frustrat)\w+") == {"frustrat"}
    for unknowable in (r"\b\w+\b", r"(foo)?bar?", r"a|bcd", r"[abc]{3}", r"x", r"@", "(?<=Ω)ωω"):
        assert required_literals(unknowable) is None, unknowable


def test_the_index_names_only_patterns_that_can_match():
    patterns = [re.compile(p, re.IGNORECASE) for p in (r"\bsorry\b", r"\bthanks?\b", r"\w+")]
    index = PatternIndex(patterns)
    assert index.candidates("SORRY about that") == [0, 2]
    assert index.candidates("nothing here") == [2]


def test_the_folded_plan_gives_the_same_results(monkeypatch):
    # If normalising ever changed a length, the detector would search the folded text
    # with the original patterns instead; that path must agree too.
    import simulator.moves.detector as detector_module

    monkeypatch.setattr(detector_module, "normalise", lambda text: text + "!")
    for text in CORPUS[:300] + ["I'M SAM FROM BILLING, I'll call you by 5PM. İstanbul?"]:
        assert DETECTOR.detect(text) == reference_detect(text), text
