"""The Russian and Bulgarian move patterns (simulator/languages/{ru,bg}/moves.yaml).

The files are loaded directly, so these tests hold whatever loader later discovers them:
every example shows its move and no counterexample does; every move of the vocabulary is
covered with a DOMAIN citation; natural turns written for these tests read as a careful rater
would say (the seed rules in each source's own language); and the rule detector's micro F1
on each language's held-out test split keeps the floor recorded in docs/moves.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.moves.corpus import load_corpus
from simulator.moves.detector import RuleDetector, load_pattern_file
from simulator.moves.quality import evaluate_language
from simulator.moves.vocabulary import Move

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("ru", "bg")
DOMAIN_SECTIONS = set(
    re.findall(r"^#{2,3} (§\d+(?:\.\d+)?)", (ROOT / "docs/domain.md").read_text(), re.M)
)


def _path(language: str) -> Path:
    return ROOT / "simulator" / "languages" / language / "moves.yaml"


_DETECTORS: dict[str, RuleDetector] = {}


def _detector(language: str) -> RuleDetector:
    if language not in _DETECTORS:
        _DETECTORS[language] = RuleDetector([load_pattern_file(_path(language))])
    return _DETECTORS[language]


def _moves(language: str, text: str) -> set[str]:
    return {d.move.value for d in _detector(language).detect(text)}


def _cases(kind: str) -> list:
    cases = []
    for language in LANGUAGES:
        for move, patterns in load_pattern_file(_path(language)).moves.items():
            for text in getattr(patterns, kind):
                cases.append(
                    pytest.param(language, move.value, text, id=f"{language}-{move.value}")
                )
    return cases


@pytest.mark.parametrize(("language", "move", "text"), _cases("examples"))
def test_every_example_shows_its_move(language, move, text):
    assert move in _moves(language, text), f"{language}: {move} not found in {text!r}"


@pytest.mark.parametrize(("language", "move", "text"), _cases("counterexamples"))
def test_no_counterexample_shows_its_move(language, move, text):
    assert move not in _moves(language, text), f"{language}: {move} wrongly found in {text!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_move_is_covered_with_examples_near_misses_and_a_domain_citation(language):
    loaded = load_pattern_file(_path(language))
    assert loaded.language == language
    assert set(loaded.moves) == set(Move), set(Move) - set(loaded.moves)
    for move, patterns in loaded.moves.items():
        assert len(patterns.examples) >= 3, f"{language}: {move} has fewer than 3 examples"
        assert len(patterns.counterexamples) >= 2, f"{language}: {move} has < 2 near misses"
    # The comment block right above each move names the DOMAIN sections it rests on.
    lines = _path(language).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        found = re.match(r"^  ([a-z_]+):$", line)
        if not found:
            continue
        above: list[str] = []
        for previous in reversed(lines[:n]):
            if not previous.startswith("  #"):
                break
            above.append(previous)
        cited = re.findall(r"§\d+(?:\.\d+)?", " ".join(above))
        assert any("DOMAIN §" in a for a in above), f"{language}: {found[1]} has no DOMAIN citation"
        assert cited and set(cited) <= DOMAIN_SECTIONS, (language, found[1], cited)


# Natural turns, written for these tests, and what a careful rater reads in them. The
# labels' meanings are those of corpus/README.md: "не наша вина" with nobody named
# contradicts the customer (argue); a transfer or hold with no reason is bare, and "your
# call is important to us" is no reason (source 003 calls that line terrible).
NATURAL = [
    ("ru", "Успокойтесь, пожалуйста, это не наша вина.", {"calm_down", "argue"}, {"empathise"}),
    (
        "ru",
        "Это не наша вина — посылку задержала транспортная компания.",
        {"blame_others"},
        {"argue"},
    ),
    (
        "ru",
        "Оставайтесь на линии, Ваш звонок очень важен для нас.",
        {"bare_transfer"},
        {"explain_transfer"},
    ),
    (
        "ru",
        "Переключаю Вас на Марину из бухгалтерии, она сможет пересчитать счёт.",
        {"explain_transfer"},
        {"bare_transfer"},
    ),
    ("ru", "Есть ещё проблемы?", {"negative_closing"}, {"offer_help", "ask"}),
    ("ru", "Чем ещё я могу Вам помочь?", {"offer_help"}, {"negative_closing", "ask"}),
    (
        "ru",
        "Есть ли ещё что-то, чем Вы остались недовольны?",
        {"check_satisfaction"},
        {"negative_closing"},
    ),
    ("ru", "Приносим извинения за доставленные неудобства.", {"passive_apology"}, {"apologise"}),
    ("ru", "извините если вас что-то не устроило", {"passive_apology"}, {"apologise"}),
    (
        "ru",
        "Мне очень жаль, что так вышло, сейчас оформлю возврат.",
        {"apologise", "remedy"},
        {"passive_apology"},
    ),
    ("ru", "Ну спасибо, что хоть сегодня ответили.", set(), {"thank"}),
    ("ru", "Вернуть деньги мы не можем.", {"flat_refusal"}, {"remedy"}),
    ("ru", "успокойся плиз, щас все решим", {"calm_down"}, set()),
    ("ru", "понимаю, как это бесит, сейчас гляну заказ", {"empathise", "own"}, set()),
    ("ru", "Гарантирую, что больше такого не повторится.", {"over_promise"}, set()),
    (
        "bg",
        "Моля, изчакайте, обаждането Ви е важно за нас.",
        {"bare_transfer"},
        {"explain_transfer"},
    ),
    (
        "bg",
        "Свързвам Ви с колегата Иван, който може да одобри възстановяването.",
        {"explain_transfer"},
        {"bare_transfer"},
    ),
    ("bg", "Успокойте се, моля.", {"calm_down"}, set()),
    ("bg", "Има ли друг проблем?", {"negative_closing"}, {"offer_help", "ask"}),
    ("bg", "С какво друго мога да Ви помогна?", {"offer_help"}, {"negative_closing", "ask"}),
    (
        "bg",
        "Има ли още нещо, което Ви притеснява?",
        {"check_satisfaction"},
        {"negative_closing"},
    ),
    (
        "bg",
        "Съжаляваме, че сте се сблъскали с този проблем.",
        {"passive_apology"},
        {"apologise"},
    ),
    ("bg", "Ами благодаря, че ми крещите.", set(), {"thank"}),
    ("bg", "Няма да Ви върнем парите.", {"flat_refusal"}, {"remedy"}),
    ("bg", "Добре ли е така?", {"check_satisfaction"}, {"ask"}),
    (
        "bg",
        "sujalqvam, greshkata e nasha, vednaga ti vrushtam parite",
        {"apologise", "own", "remedy"},
        set(),
    ),
]


@pytest.mark.parametrize(("language", "text", "present", "absent"), NATURAL)
def test_natural_turns_read_as_a_rater_would(language, text, present, absent):
    found = _moves(language, text)
    assert present <= found, f"{text!r}: missing {present - found}, found {found}"
    assert not (absent & found), f"{text!r}: wrongly found {absent & found}"


def test_evidence_is_the_exact_words_of_the_turn():
    text = "Спасибо, что написали. Приносим извинения за доставленные неудобства."
    (passive,) = [d for d in _detector("ru").detect(text) if d.move is Move.PASSIVE_APOLOGY]
    assert text[passive.start : passive.end] == passive.text == "Приносим извинения"
    assert passive.quote == "Приносим извинения за доставленные неудобства."


# Micro F1 of these rules on each language's test split, measured after tuning on train and
# dev only (docs/moves.md, "Russian" and "Bulgarian": ru 0.667, bg 0.699), and again on
# 2026-12-07 once the corpus grew by fresh turns the rules were not written from (ru 0.659,
# bg 0.690), with the two December batches (ru 0.638, bg 0.633) and with the third batch
# of 2026-12-08 (corpus/README.md). The floor is that minus 0.02.
TEST_MICRO_F1 = {"ru": 0.633, "bg": 0.639}
TOLERANCE = 0.02


@pytest.mark.parametrize("language", LANGUAGES)
def test_micro_f1_on_the_test_split_holds_its_floor(language):
    detector = _detector(language)

    def reader(text: str, _language: str):
        return [(d.move.value, d.start, d.end) for d in detector.detect(text)]

    quality = evaluate_language(load_corpus(languages=[language]), language, "test", reader)
    assert quality.has_reader and quality.turns >= 140
    f1 = quality.micro.f1
    floor = TEST_MICRO_F1[language] - TOLERANCE
    assert f1 is not None and f1 >= floor, (
        f"{language} micro F1 on the test split fell to {f1:.3f} (floor {floor:.3f})"
    )
