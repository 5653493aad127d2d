"""Sentence spans: exact offsets into the turn, so every quote is verbatim."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.textspan import clause_spans, sentence_spans


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
@given(
    st.lists(
        st.text(
            alphabet=st.characters(
                blacklist_characters=".!?…\n\r\u2028\u2029\x1c\x1d\x1e\x85\x0b\x0c"
            ),
            min_size=1,
        )
        .map(str.strip)
        .filter(bool),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([". ", "! ", "? ", "\n", "… ", ".\n\n"]),
)
def test_joined_sentences_split_back(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    # The stop stays with its sentence; a bare line break leaves the sentence as is.
    stop = glue.rstrip()
    expected = [p + stop for p in parts[:-1]] + [parts[-1]]
    assert sentences(text) == expected


# The boundary as first written (lookbehinds for the stop); the faster one must agree.
_REFERENCE = re.compile(
    r"(?:(?<=[.!?…])|(?<=[.!?…][\"'\u201d\u2019)\]])"
    r"|(?<=[.!?…][\"'\u201d\u2019)\]][\"'\u201d\u2019)\]]))\s+|\n+"
)


def reference_spans(text: str) -> list[tuple[int, int]]:
    cuts = [0] + [x for m in _REFERENCE.finditer(text) for x in m.span()] + [len(text)]
    out = []
    for s, e in zip(cuts[::2], cuts[1::2], strict=True):
        piece = text[s:e]
        s, e = s + len(piece) - len(piece.lstrip()), e - len(piece) + len(piece.rstrip())
        if e > s:
            out.append((s, e))
    return out


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(list(".!?…\"'\u201d\u2019)] \n\t\u00a0ab")) | st.text(max_size=4)).map(
        "".join
    )
)
def test_sentence_spans_agree_with_the_lookbehind_definition(text: str) -> None:
    assert sentence_spans(text) == reference_spans(text)


def test_a_megabyte_without_stops_is_one_sentence() -> None:
    text = "word " * 200_000
    assert sentence_spans(text) == [(0, len(text) - 1)]


def clauses(text: str) -> list[str]:
    return [text[s:e] for s, e in clause_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We can't refund it, but I can replace it today.",
            ["We can't refund it", "but I can replace it today."],
        ),
        (
            "We can't refund it; however, I can replace it.",
            ["We can't refund it", "however, I can replace it."],
        ),
        (
            "No refunds however I can offer an exchange",
            ["No refunds", "however I can offer an exchange"],
        ),
        (
            "We can't offer compensation, what I can do is waive the fee.",
            ["We can't offer compensation", "what I can do is waive the fee."],
        ),
        (
            "I can't refund it instead I'll repair it",
            ["I can't refund it", "instead I'll repair it"],
        ),
        # Not contrastive joints: "instead of", a "but" with no comma, a plain comma.
        ("I can't swap it instead of a refund.", ["I can't swap it instead of a refund."]),
        ("Nothing but the best, sadly.", ["Nothing but the best, sadly."]),
        ("However you like.", ["However you like."]),
        ("", []),
        (" ; ", []),
    ],
)
def test_clause_spans_examples(text: str, expected: list[str]) -> None:
    assert clauses(text) == expected


def test_clause_spans_stay_inside_the_span_given() -> None:
    text = "Sorry. We can't refund it, but I can replace it. Bye, but soon."
    s, e = sentence_spans(text)[1]
    assert [text[a:b] for a, b in clause_spans(text, s, e)] == [
        "We can't refund it",
        "but I can replace it.",
    ]


@settings(max_examples=200)
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "b",
                " ",
                ",",
                ";",
                ".",
                "\n",
                "but",
                "however",
                "instead",
                " of",
                "what I can do",
                "what we will do",
            ]
        )
    ).map("".join),
    st.data(),
)
def test_clauses_are_ordered_trimmed_and_lose_only_joints(text: str, data) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    previous_end = start
    kept = ""
    for s, e in clause_spans(text, start, end):
        assert previous_end <= s < e <= end
        piece = text[s:e]
        assert piece == piece.strip() and piece
        kept += piece
        previous_end = e
    # Between clauses only whitespace and the joint's comma or semicolon are dropped.
    rest = iter("".join(text[start:end].split()))
    for ch in "".join(kept.split()):
        skipped = next(c for c in rest if c == ch or c not in ",;")
        assert skipped == ch


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Chinese has no space after its full stops, and the stop itself ends the sentence.
        ("你好。我很生气！为什么？", ["你好。", "我很生气！", "为什么？"]),
        ("「退款」。好的", ["「退款」。", "好的"]),
        ("Hi. 我很生气！ Ok", ["Hi.", "我很生气！", "Ok"]),
        ("3.5 stars. Wow", ["3.5 stars.", "Wow"]),
    ],
)
def test_sentences_in_chinese_and_mixed_text(text, expected):
    assert sentences(text) == expected


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Hello.",
                "Is it?",
                "你好。",
                "我很生气！",
                "ok…",
                "\n",
                " ",
                "「好」。",
                "No!",
                "3.5",
                "x",
            ]
        ),
        max_size=12,
    )
)
def test_the_streaming_release_cuts_where_the_splitter_does(parts):
    """The renderers' streaming release and the grader's splitter are one splitter: the
    release lets the text through sentence by sentence, as the splitter cuts it."""
    from simulator.render.release import CharacterBroken, SentenceGate

    text = "".join(parts)
    gate = SentenceGate(lambda s: None, [], hold_chars=10_000)
    try:
        pieces = gate.feed(text) + gate.finish()
    except CharacterBroken:  # an empty reply
        assert not text.strip()
        return
    assert [p.strip() for p in pieces if p.strip()] == sentences(text)
