"""Which language a turn is written in (simulator/languages/detect.py), driven by each pack's
detect.yaml. The sentences below are written for this test; the whole-corpus accuracy is in
docs/moves.md ("Which language a turn is in")."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems, FrontlineError
from simulator.languages import detect
from simulator.languages.detect import detect_language, guess_language, profiles


@pytest.fixture(autouse=True)
def _shipped_profiles_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTLINE_LANGUAGES", raising=False)


def test_every_shipped_language_has_a_profile() -> None:
    assert {p.language for p in profiles()} >= {"en", "es", "pt", "ru", "bg", "zh"}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I'm so sorry about the delay, I'll refund you today.", "en"),
        ("thx for waiting, its sorted now", "en"),
        ("I\u2019m sorry, it\u2019s on its way", "en"),
        ("Lo siento mucho, le devuelvo el dinero hoy mismo.", "es"),
        ("¿Me puede dar el número de pedido?", "es"),
        ("perdona x las molestias, ya esta arreglado", "es"),
        ("Peço desculpa, não é possível devolver o dinheiro.", "pt"),
        ("você pode me mandar o número do pedido?", "pt"),
        ("nao se preocupe, vc recebe amanha", "pt"),
        ("Извините, пожалуйста, мы вернём деньги завтра.", "ru"),
        ("Это не ваша вина, я сейчас всё исправлю.", "ru"),
        ("Съжалявам, това не е ваша вина, ще го оправя днес.", "bg"),
        ("Какво се случи с поръчката?", "bg"),
        ("mersi za tyrpenieto, shte go opravq dnes", "bg"),
        ("非常抱歉，我们今天就给您退款。", "zh"),
        ("還有其他不滿意的地方嗎？", "zh"),
        ("hold一下，我查下物流", "zh"),
    ],
)
def test_each_language_is_recognised(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_russian_and_bulgarian_are_told_apart_by_their_own_letters_and_words() -> None:
    """ы э ё are Russian; ъ, "е", "съм", "ще" are Bulgarian."""
    assert detect_language("Вы правы, это была ошибка.") == "ru"
    assert detect_language("Прав сте, грешката е наша.") == "bg"
    assert detect_language("Не съм сигурен.") == "bg"


def test_spanish_and_portuguese_are_told_apart() -> None:
    """ã õ ç, "não", "você" are Portuguese; ñ, ¿, "y", "usted" are Spanish."""
    assert detect_language("Usted tiene razón y lo siento.") == "es"
    assert detect_language("Você tem razão e eu peço desculpa.") == "pt"
    assert detect_language("A solução já está a caminho.") == "pt"


def test_english_is_the_tie_breaker_among_latin_languages() -> None:
    assert guess_language("Zxq").language == "en"


@pytest.mark.parametrize("text", ["", "   ", "12345", "!!!", "😀😀", "\u0000\u0001"])
def test_no_letters_is_a_clear_refusal(text: str) -> None:
    assert guess_language(text).language is None
    with pytest.raises(FrontlineError, match="--language"):
        detect_language(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_guessed_without_raising(text: str) -> None:
    guess = guess_language(text)
    assert guess.language is None or guess.language in {p.language for p in profiles()}


def test_a_huge_turn_is_read_only_as_far_as_needed() -> None:
    """Only the first MAX_CHARS characters count, so the work is bounded (no timing here:
    the cap is what bounds it)."""
    text = "Lo siento mucho. " * 200_000
    assert len(text) > detect.MAX_CHARS
    assert detect_language(text) == "es"


def _write(folder: Path, code: str, body: str) -> Path:
    (folder / code).mkdir(parents=True)
    path = folder / code / "detect.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_trainers_folder_adds_a_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path,
        "eo",
        "schema_version: 1\nlanguage: eo\nscripts: [latin]\nletters: {ĉ: 3, ŝ: 3}\n"
        "words: {mi: 1, vi: 1, estas: 3, dankon: 3, bedaŭras: 3}\n",
    )
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path))
    assert detect_language("Mi bedaŭras, vi pravas, dankon.") == "eo"
    assert detect_language("I'm sorry, you're right, thank you.") == "en"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("schema_version: 1\nlanguage: eo\nscripts: [klingon]\n", ":3: scripts"),
        ("schema_version: 1\nlanguage: eo\nscripts: [latin]\nwords: {two words: 1}\n", ":4: words"),
        ("schema_version: 1\nlanguage: eo\nscripts: [latin]\nletters: {ab: 1}\n", ":4: letters"),
        ("schema_version: 1\nlanguage: xx\nscripts: [latin]\n", ":2: language"),
        ("schema_version: 1\nlanguage: eo\nscripts: [latin]\nwordz: {}\n", ":4: wordz"),
    ],
)
def test_a_broken_profile_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, where: str
) -> None:
    _write(tmp_path, "eo", body)
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path))
    with pytest.raises(FileProblems) as exc:
        profiles()
    assert "detect.yaml" + where in str(exc.value)
