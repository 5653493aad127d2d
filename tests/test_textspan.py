"""Sentence spans: exact offsets into the turn, so every quote is verbatim."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.textspan import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   \n\t ", []),
        ("Hello", ["Hello"]),
        ("  Hello there.  ", ["Hello there."]),
        ("I'm sorry. I'll fix it! Is that OK?", ["I'm sorry.", "I'll fix it!", "Is that OK?"]),
        ("Wait... what?! Really?", ["Wait...", "what?!", "Really?"]),
        ("Ellipsis… next", ["Ellipsis…", "next"]),
        ("line one\nline two\n\n\nline three", ["line one", "line two", "line three"]),
        # Closing quotes and brackets stay with their sentence.
        ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
        ("(It broke.) I'll replace it.", ["(It broke.)", "I'll replace it."]),
        ("She wrote \u201cthanks.\u201d Fine.", ["She wrote \u201cthanks.\u201d", "Fine."]),
        ("'Is that OK?') Next.", ["'Is that OK?')", "Next."]),
        # No whitespace after the stop: not a boundary (prices, versions, e-mail addresses).
        ("It costs £4.99 today.", ["It costs £4.99 today."]),
        ("Write to a.b@example.com please.", ["Write to a.b@example.com please."]),
        ("Done.\r\nNext", ["Done.", "Next"]),
    ],
)
def test_sentence_spans_examples(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@settings(max_examples=300)
@given(st.text())
def test_spans_are_ordered_trimmed_and_cover_every_visible_character(text: str) -> None:
    spans = sentence_spans(text)
    previous_end = 0
    covered: set[int] = set()
    for s, e in spans:
        assert previous_end <= s < e <= len(text)
        piece = text[s:e]
        assert piece == piece.strip() and piece  # trimmed, never blank
        covered.update(range(s, e))
        previous_end = e
    # Nothing the agent wrote is lost between sentences: only whitespace is dropped.
    for i, ch in enumerate(text):
        if i not in covered:
            assert ch.isspace(), (i, ch)


@settings(max_examples=200)
@given(st.lists(st.text(alphabet=st.characters(blacklist_characters=".!?…\n\r"
                                                "\u2028\u2029\x1c\x1d\x1e\x85\x0b\x0c"),
                        min_size=1).map(str.strip).filter(bool),
                min_size=1, max_size=6),
       st.sampled_from([". ", "! ", "? ", "\n", "… ", ".\n\n"]))
def test_joined_sentences_split_back(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    # The stop stays with its sentence; a bare line break leaves the sentence as is.
    stop = glue.rstrip()
    expected = [p + stop for p in parts[:-1]] + [parts[-1]]
    assert sentences(text) == expected


def test_a_megabyte_without_stops_is_one_sentence() -> None:
    text = "word " * 200_000
    assert sentence_spans(text) == [(0, len(text) - 1)]
