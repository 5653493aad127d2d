"""Every reference line, in every language, is read as the move it is meant to make.

Calibration in a language is only meaningful if the reference trainees say what they mean
there: a policy's "calm down" that the language's rules do not read as ``calm_down`` tests
nothing. What each line key means is data (``means`` in ``en/agent_lines.yaml``); this reads
every variant of every key of every shipped pack with that language's rule detector
(``<lang>/moves.yaml``), as the customer machine does, and requires the meant move and no
other (but the ``may_also`` ones).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.calibration.policies import AgentLines, _lower_first, load_agent_lines
from simulator.languages import SHIPPED_DIR
from simulator.moves.detector import default_detector
from simulator.moves.vocabulary import Move

LANGUAGES = sorted(p.name for p in SHIPPED_DIR.iterdir() if (p / "agent_lines.yaml").is_file())

# A case title per language, as {title} is filled in a restatement (the policy lower-cases
# its first letter): one shipped persona's, so the restatement reads as in calibration.
TITLES = {
    "en": "Birthday dolls' house marked delivered but never arrived",
    "es": "La casita de muñecas del cumpleaños figura como entregada, pero nunca llegó",
    "ru": "Кукольный домик ко дню рождения «доставлен», но так и не пришёл",
    "zh": "生日礼物娃娃屋显示已签收，其实没收到",
    "bg": "Къщичката за кукли за рождения ден се води доставена, но не е пристигнала",
    "pt": "Casinha de bonecas do aniversário consta como entregue, mas nunca chegou",
}


def _filled(words: AgentLines, language: str, line: str) -> str:
    return line.format(name=words.agent_name, title=_lower_first(TITLES[language]))


def _cases():
    for language in LANGUAGES:
        words = load_agent_lines(language)
        for key, meaning in words.means.items():
            for i, line in enumerate(words.lines.get(key, [])):
                yield pytest.param(
                    language, key, meaning.move, set(meaning.may_also), line,
                    id=f"{language}-{key}-{i}",
                )  # fmt: skip


def test_every_shipped_pack_is_covered():
    assert set(LANGUAGES) >= {"en", "es", "ru", "zh", "bg", "pt"}
    assert set(TITLES) >= set(LANGUAGES)


@pytest.mark.parametrize(("language", "key", "move", "also", "line"), list(_cases()))
def test_every_line_is_read_as_its_move(language, key, move, also, line):
    text = _filled(load_agent_lines(language), language, line)
    found = {d.move for d in default_detector(language).detect(text)}
    assert move in found, f"{language} {key}: {text!r} is not read as {move}; read {found}"
    extra = found - {move} - also
    assert not extra, f"{language} {key}: {text!r} is read as {move} and also as {extra}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_has_a_meaning_or_is_a_remedy_template(language):
    """A key with no meaning must be filled with the persona's remedies (its triggers
    recognise them), so nothing the policies say goes unchecked."""
    words = load_agent_lines(language)
    for key, variants in words.lines.items():
        if key not in words.means:
            assert all("{remedy}" in v or "{remedies}" in v for v in variants), (
                f"{language}: {key!r} has no meaning"
            )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_meaning_has_lines_and_every_language_has_every_key(language):
    words, english = load_agent_lines(language), load_agent_lines("en")
    assert set(words.means) <= set(words.lines), set(words.means) - set(words.lines)
    assert set(english.lines) <= set(words.lines), set(english.lines) - set(words.lines)


def test_the_meanings_are_data_and_validated(tmp_path: Path):
    from simulator.calibration.policies import load_agent_lines_file
    from simulator.errors import FileProblems

    english = load_agent_lines("en")
    assert english.means["over_promise"].may_also == [Move.TIMESCALE]
    assert english.means["calm_down"].move is Move.CALM_DOWN
    bad = tmp_path / "agent_lines.yaml"
    bad.write_text("schema_version: 1\nlines: {}\nmeans:\n  calm_down: {move: relax}\n")
    with pytest.raises(FileProblems) as e:
        load_agent_lines_file(bad)
    assert "means" in str(e.value) and ":4" in str(e.value)


def test_the_agent_speaks_the_language_of_the_pack():
    """The name and the choice between two offers come from the pack, not English."""
    english = load_agent_lines("en")
    for language in set(LANGUAGES) - {"en"}:
        words = load_agent_lines(language)
        assert words.agent_name != english.agent_name, language
        assert " Or " not in words.either_or, language
        assert "{first}" in words.either_or and "{second}" in words.either_or
