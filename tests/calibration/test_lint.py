"""The persona linter: each warning fires on the mistake it names, at the right line."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.calibration.lint import LintWarning, lint_persona
from simulator.cli import main
from simulator.persona.loader import PersonaLibrary, parse_persona
from simulator.persona.regex_samples import samples

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "calibration"
BASE = (FIXTURES / "cal-rational.yaml").read_text()
MEEK = (FIXTURES / "cal-meek.yaml").read_text()


def lint_text(text: str) -> list[LintWarning]:
    return lint_persona(parse_persona(text, "p.yaml"), "p.yaml", text=text)


def edited(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def codes(warnings: list[LintWarning]) -> list[str]:
    return [w.code for w in warnings]


def test_the_fixtures_are_clean():
    assert lint_text(BASE) == []
    assert lint_text(MEEK) == []


def test_shipped_personas_lint_clean():
    library = PersonaLibrary(ROOT / "personas")
    found = [w for pid in library.ids() for w in lint_persona(library.get(pid), library.paths[pid])]
    assert found == [], "\n".join(map(str, found))


def test_a_placeholder_bottom_line_is_missing():
    text = edited("bottom_line: The duplicate refunded within five days.", "bottom_line: TBD")
    [w] = lint_text(text)
    assert (w.code, w.field, w.line) == (
        "missing-bottom-line",
        "case.bottom_line",
        line_of(text, "bottom_line: TBD"),
    )
    assert str(w).startswith(f"p.yaml:{w.line}: warning: case.bottom_line: ")


def test_no_room_between_expectation_and_bottom_line():
    text = edited(
        "bottom_line: The duplicate refunded within five days.",
        "bottom_line: The duplicate charge refunded today.",
    )
    assert codes(lint_text(text)) == ["no-room"]


def test_a_bottom_line_no_remedy_meets():
    text = edited("level: expectation", "level: below")
    [w] = lint_text(text)
    assert w.code == "bottom-line-unmet" and w.field == "case.remedies"
    # ...which is the design for the never satisfied (DOMAIN §2.4).
    text = edited("archetype: aggressive", "archetype: never_satisfied", text)
    assert lint_text(edited('"§2.4 aggressive"', '"§2.4 never satisfied"', text)) == []


def test_a_reject_naming_what_is_missing_is_no_contradiction():
    text = edited("  remedies:", '  rejects: ["a promise without a refund date"]\n  remedies:')
    assert lint_text(text) == []


def test_an_example_that_is_not_recognised_as_its_remedy():
    text = edited(
        'example: "I will refund the duplicate charge today."',
        'example: "I will sort the duplicate charge out today."',
    )
    found = lint_text(text)
    assert codes(found) == ["remedy-unrecognised", "bottom-line-unmet"]
    assert found[0].field == "case.remedies[0].example"
    assert found[0].line == line_of(text, "sort the duplicate")


def test_a_remedy_trigger_that_only_matches_refusals():
    text = edited('triggers: ["refund"]', 'triggers: ["refund", "no refunds?"]')
    [w] = lint_text(text)
    assert (w.code, w.field) == ("trigger-never-fires", "case.remedies[0].triggers[1]")
    assert "refusal" in w.message


def test_persona_triggers_that_never_or_always_fire():
    text = edited(
        "case:\n",
        "triggers:\n"
        "  - {pattern: 'a$b', effect: {anger: 5}, reason: never}\n"
        "  - {pattern: 'x*', effect: {anger: 5}, reason: always}\n"
        "  - {pattern: '\\bbusy\\b', effect: {anger: 5}, reason: fine}\n"
        "case:\n",
    )
    found = lint_text(text)
    assert [(w.code, w.field) for w in found] == [
        ("trigger-never-fires", "triggers[0].pattern"),
        ("trigger-always-fires", "triggers[1].pattern"),
    ]
    assert found[0].line == line_of(text, "a$b")


def test_a_question_trigger_that_no_question_can_fire():
    text = edited('asked_by: ["when", "date"]', 'asked_by: ["when", "(?!)x"]')
    [w] = lint_text(text)
    assert (w.code, w.field) == ("trigger-never-fires", "case.hidden_facts[0].asked_by[1]")


def test_agent_phrases_in_the_customer_bank():
    text = edited(
        'warming: ["Alright. What now?"]', 'warming: ["Alright. How can I help you today?"]'
    )
    text = edited(
        'cool: ["I still need this fixed."]',
        'cool: ["Thank you for calling Fixture Telecom."]',
        text,
    )
    found = lint_text(text)
    assert [(w.code, w.field) for w in found] == [
        ("agent-phrase", "phrases.vent.cool[0]"),
        ("agent-phrase", "phrases.warming[0]"),
    ]
    assert found[1].line == line_of(text, "How can I help")
    assert "How can I help" in found[1].message


def test_customer_lines_that_merely_sound_polite_are_fine():
    text = edited(
        'warming: ["Alright. What now?"]',
        'warming: ["Thank you for listening. Don\'t tell me to calm down, though."]',
    )
    assert lint_text(text) == []


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("start: {anger: 70,", "start: {anger: 96,", "start.anger"),
        ("accept_anger: 60,", "accept_anger: 97,", "thresholds.accept_anger"),
        ("patience: 80}", "patience: 8}", "start.patience"),
        ('  - "§2.4 aggressive"', '  - "§2.4 VIP"', "domain"),
        ("case:\n", "sensitivity: {calm_down: 0}\ncase:\n", "sensitivity.calm_down"),
        ("  remedies:", '  rejects: ["a refund"]\n  remedies:', "case.rejects[0]"),
    ],
)
def test_contradictions(old, new, field):
    found = lint_text(edited(old, new))
    assert [(w.code, w.field) for w in found] == [("contradiction", field)]


def test_a_meek_customer_who_escalates_contradicts_domain():
    [w] = lint_text(edited("exit: leave", "exit: escalate", MEEK))
    assert (w.code, w.field) == ("contradiction", "thresholds.exit")
    assert "§2.4" in w.message


def test_without_text_warnings_name_the_field_only():
    persona = parse_persona(
        edited("bottom_line: The duplicate refunded within five days.", "bottom_line: n/a")
    )
    [w] = lint_persona(persona)
    assert (w.file, w.line, w.field) == ("<persona>", None, "case.bottom_line")


def test_validate_prints_lint_warnings_without_failing(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text(
        edited("bottom_line: The duplicate refunded within five days.", "bottom_line: TBD")
    )
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert "warning: case.bottom_line:" in out.out + out.err


# -- the regex sampler the trigger checks rely on ------------------------------------------
def test_samples_cover_alternatives_and_detect_impossible_patterns():
    assert set(samples(r"\b(refund|replace(ment)?)\b")) >= {"refund", "replace", "replacement"}
    assert samples(r"a\bb") == [] and samples(r"(?!)") == []
    assert samples(r"\bcredit\b.*\bnext bill\b")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab()|*+?.[]^$\\dws{},1-", max_size=14))
def test_every_sample_really_matches(pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "possible nested set" in junk
        try:
            compiled = re.compile(pattern, re.I)
        except (re.error, OverflowError, RecursionError):
            return
        for s in samples(pattern):
            assert compiled.search(s)


@settings(max_examples=25, deadline=None)  # each example runs the whole linter
@given(
    st.dictionaries(
        st.sampled_from(["anger", "trust", "patience"]), st.integers(0, 100), min_size=3
    ),
    st.sampled_from(["aggressive", "meek", "vip", "chronic", "never_satisfied"]),
    st.text(max_size=30),
)
def test_lint_never_raises_on_valid_personas(start, archetype, phrase):
    data = yaml.safe_load(BASE)
    data["start"] = start
    data["archetype"] = archetype
    data["phrases"]["vent"]["cool"] = [phrase.replace("{", "").replace("}", "") or "x"]
    persona = parse_persona(yaml.safe_dump(data))
    assert all(isinstance(w, LintWarning) for w in lint_persona(persona, text=BASE))


# -- every language, from its pack's data --------------------------------------------------
@pytest.mark.parametrize("language", ["es", "ru", "zh", "bg", "pt"])
def test_a_persona_in_another_language_lints_from_its_pack(language):
    # The questions the asked_by are tried in, the negations of a reject, the length of a
    # bottom line: English-only frames and word counts warned on every Russian, Bulgarian
    # and Chinese hidden fact and on every Chinese bottom line (unspaced: one "word").
    persona = PersonaLibrary(ROOT / "personas").get("meek-emotional-late-delivery")
    found = [w for w in lint_persona(persona.in_language(language)) if w.code != "agent-phrase"]
    assert found == [], "\n".join(map(str, found))


def test_a_short_or_placeholder_bottom_line_is_still_found_in_chinese():
    persona = PersonaLibrary(ROOT / "personas").get("meek-emotional-late-delivery")
    zh = persona.in_language("zh")
    for line, code in (("退款", "missing-bottom-line"), ("待定", "missing-bottom-line")):
        case = zh.case.model_copy(update={"bottom_line": line})
        found = lint_persona(zh.model_copy(update={"case": case}))
        assert code in codes(found), (line, found)


def test_a_trainers_pack_supplies_the_linters_words(tmp_path, monkeypatch):
    # A language's frames and negations are data: a trainer's agent_phrases.yaml adds them.
    from simulator.calibration.lint import lint_language

    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "agent_phrases.yaml").write_text(
        "schema_version: 1\nphrases: []\nquestion_frames: ['¿Y lo de {}, me lo explica?']\n"
        "reject_negations: ['\\bjamás\\b']\nplaceholders: ['pendiente de escribir']\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path))
    es = lint_language("es")
    assert "¿Y lo de {}, me lo explica?" in es.question_frames
    assert "¿Me puede decir {}?" in es.question_frames  # the shipped ones stay
    assert any(n.search("un vale, jamás el reembolso") for n in es.reject_negations)
    assert es.placeholder.match("Pendiente de escribir.")


@pytest.mark.parametrize("frame", ["Can you tell me?", "{} and {}?", "What was {0}?"])
def test_a_frame_must_hold_one_place_for_the_words(frame, tmp_path):
    from simulator.calibration.lint import load_agent_phrases
    from simulator.errors import FileProblems

    path = tmp_path / "agent_phrases.yaml"
    path.write_text(f"schema_version: 1\nphrases: []\nquestion_frames: [{frame!r}]\n")
    with pytest.raises(FileProblems, match="question_frames"):
        load_agent_phrases(path)
