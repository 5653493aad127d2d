"""The language packs' splitter: sentence and clause spans with exact offsets into the turn,
so every quote is verbatim. English first (the shipped pack's manifest), then Chinese and
the other shipped languages, then a manifest a trainer writes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.languages import LanguagePack, splitter_for

EN = splitter_for("en")
sentence_spans = EN.sentences
clause_spans = EN.clauses


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
    st.lists(st.sampled_from(list(".!?…\"'\u201d\u2019)] \n\t\u00a0ab")) | st.text(max_size=4))
    .map("".join)
    # The reference predates the unspaced Chinese stops ("？." is two sentences).
    .filter(lambda text: not set(text) & set("。！？"))
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


# -- Chinese: no space after 。！？, clauses at ，；, and no \b ----------------------------
ZH = splitter_for("zh")


def zh_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in ZH.sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("您好。我们不能退款！为什么？", ["您好。", "我们不能退款！", "为什么？"]),
        ("好的!我明白?谢谢", ["好的!", "我明白?", "谢谢"]),  # half-width, typed on a phone
        ("价格是3.5元。好", ["价格是3.5元。", "好"]),  # a decimal point ends nothing
        ("「不行」。好吧", ["「不行」。", "好吧"]),
        ("第一行\n第二行", ["第一行", "第二行"]),
    ],
)
def test_chinese_sentences(text, expected):
    assert zh_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们不能退款，但是可以换货。", ["我们不能退款", "但是可以换货。"]),
        ("不能退款；可以换货", ["不能退款", "可以换货"]),
        # A contrast with no comma: the joint matches no text, so nothing is lost.
        ("我们不能退款但可以换货", ["我们不能退款", "但可以换货"]),
        ("不但快而且好", ["不但快而且好"]),  # 不但 is "not only", no contrast
        ("退款、换货都可以", ["退款、换货都可以"]),  # 、 lists things; it splits nothing
    ],
)
def test_chinese_clauses(text, expected):
    assert [text[s:e] for s, e in ZH.clauses(text)] == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("es", "No podemos reembolsarlo, pero sí cambiarlo.", ["No podemos reembolsarlo", "pero"]),
        ("pt", "Não podemos reembolsar, mas podemos trocar.", ["Não podemos reembolsar", "mas"]),
        ("ru", "Вернуть деньги не можем, но заменим товар.", ["Вернуть деньги не можем", "но"]),
        ("bg", "Не можем да върнем парите, но ще заменим.", ["Не можем да върнем парите", "но"]),
    ],
)
def test_each_shipped_language_splits_a_refusal_from_its_contrast(language, text, expected):
    clauses = [text[s:e] for s, e in splitter_for(language).clauses(text)]
    assert clauses[0] == expected[0]
    assert clauses[1].startswith(expected[1])


@settings(max_examples=200)
@given(st.text(alphabet="。！？，；、!?. \n好不但是可以\u300d", max_size=30))
def test_chinese_spans_are_ordered_trimmed_and_lose_only_separators(text: str) -> None:
    previous_end = 0
    for s, e in ZH.sentences(text):
        assert previous_end <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        kept = "".join(text[a:b] for a, b in ZH.clauses(text, s, e))
        # Only whitespace and the clause separators fall between clauses.
        dropped = "".join(text[s:e].split())
        for ch in "".join(kept.split()):
            dropped = dropped[dropped.index(ch) + 1 :] if ch in dropped else dropped
        previous_end = e
    covered = {i for s, e in ZH.sentences(text) for i in range(s, e)}
    assert all(ch.isspace() for i, ch in enumerate(text) if i not in covered)


def test_a_manifest_drives_the_splitting():
    pack = LanguagePack(
        language="xx",
        name="Test",
        sentence_ends=["|"],
        clause_separators=["~"],
        clause_joints=[r"\s+(?=yet\b)"],
    )
    splitter = pack.splitter()
    text = "one. still one| two ~ three yet four"
    assert [text[s:e] for s, e in splitter.sentences(text)] == [
        "one. still one|",
        "two ~ three yet four",
    ]
    s, e = splitter.sentences(text)[1]
    assert [text[a:b] for a, b in splitter.clauses(text, s, e)] == ["two", "three", "yet four"]


def test_a_language_without_a_manifest_splits_like_most(monkeypatch, tmp_path):
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path))
    splitter = splitter_for("qq")
    assert splitter.sentences("Ja. Nein") == [(0, 3), (4, 8)]


# -- abbreviations and titles: pack data, not code ---------------------------------------
@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("bg", "Ще ви върна 25 лв. до петък.", ["Ще ви върна 25 лв. до петък."]),
        ("bg", "Ще ви се обадя до 16 ч. днес.", ["Ще ви се обадя до 16 ч. днес."]),
        ("bg", "Таксата е 30 лв. Ще я възстановя.", ["Таксата е 30 лв.", "Ще я възстановя."]),
        ("ru", "Верну 500 руб. до пятницы. Хорошо?", ["Верну 500 руб. до пятницы.", "Хорошо?"]),
        ("ru", "Решим т.е. сегодня.", ["Решим т.е. сегодня."]),
        ("es", "Le devuelvo aprox. diez euros.", ["Le devuelvo aprox. diez euros."]),
        ("es", "El Sr. García llamó. Vale.", ["El Sr. García llamó.", "Vale."]),
        ("es", "Algo, p. ej. el lunes.", ["Algo, p. ej. el lunes."]),
        ("pt", "A Sra. Ana ligou, p. ex. na segunda.", ["A Sra. Ana ligou, p. ex. na segunda."]),
        (
            "en",
            "Mr. Hollis, it takes approx. two days.",
            ["Mr. Hollis, it takes approx. two days."],
        ),
        ("en", "It costs £4 etc. Sorry.", ["It costs £4 etc.", "Sorry."]),
        # Only the word itself: a longer word ending the same way is an ordinary sentence end.
        ("bg", "Платих в Млв. до", ["Платих в Млв.", "до"]),
    ],
)
def test_an_abbreviation_ends_a_sentence_only_before_a_capital(language, text, expected):
    splitter = splitter_for(language)
    assert [text[s:e] for s, e in splitter.sentences(text)] == expected


def test_the_streaming_release_waits_for_the_word_after_an_abbreviation():
    from simulator.render.release import SentenceGate

    bg = splitter_for("bg")
    assert bg.next_start("Ще ви върна 25 лв. ") == 0  # "до" or "Ще"? not known yet
    assert bg.next_start("Ще ви върна 25 лв. до") == 0
    assert bg.next_start("Струва 25 лв. Ще") == len("Струва 25 лв. ")
    gate = SentenceGate(lambda s: None, [], splitter=bg, hold_chars=10_000)
    pieces = gate.feed("Ще ви върна 25 лв. ") + gate.feed("до петък. Добре?") + gate.finish()
    assert [p.strip() for p in pieces] == ["Ще ви върна 25 лв. до петък.", "Добре?"]


@pytest.mark.parametrize("bad", ["лв", " лв.", "..", "a very long abbreviation."])
def test_a_manifest_abbreviation_must_be_a_short_word_with_its_stop(bad):
    with pytest.raises(ValueError, match="ending in a full stop"):
        LanguagePack(language="xx", name="Test", sentence_ends=["."], abbreviations=[bad])
