"""Rubrics in several languages (simulator/grading/rubric_overlay.py): per-language texts
merged by id onto the base rubric, an unknown id refused at the overlay's line, a missing
title or tip reported by ``frontline validate``, the grade the same in every language, and
the loader fuzzed with generated overlays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.certification.exam import ExamLibrary, parse_exam
from simulator.errors import FileProblems
from simulator.grading import RubricLibrary, grade, parse_rubric, parse_transcripts
from simulator.grading.rubric import Rubric
from simulator.grading.rubric_loader import read_rubric
from simulator.languages.catalogue import Texts

ROOT = Path(__file__).resolve().parents[2]
RUBRICS = ROOT / "rubrics"
LANGUAGES = ["es", "ru", "zh", "bg", "pt"]

BASE = """\
schema_version: 2
id: tiny
title: Tiny
summary: A tiny rubric.
domain: [§3.1]
pass_mark: 50
levels:
  - {id: fail, label: Fail, min: 0}
  - {id: pass, label: Pass, min: 50}
stages:
  - id: feel
    title: Feelings
    domain: §3.2
    criteria:
      - id: feel
        title: Acknowledges feelings
        domain: §3.2
        check: {requires: {move: empathise}}
        tip: Say it.
phrasing:
  - move: calm_down
    title: Told them to calm down
    domain: §4
    penalty: 10
    tip: Acknowledge instead.
languages:
  es:
    title: Diminuta
    summary: Una rúbrica diminuta.
    levels: {fail: Suspenso, pass: Aprobado}
    stages: {feel: Sentimientos}
    criteria:
      feel: {title: Reconoce los sentimientos, tip: Dígalo.}
    phrasing:
      calm_down: {title: Le pidió que se calmara, tip: Reconózcalo.}
"""


def test_every_shipped_rubric_offers_six_languages_and_lacks_nothing():
    library = RubricLibrary(RUBRICS)
    assert library.problems == []
    for rubric_id, rubric in library.rubrics.items():
        assert rubric.offered_languages() == ["en", *LANGUAGES], rubric_id
        path = library.paths[rubric_id]
        assert read_rubric(path.read_text(encoding="utf-8"), str(path))[1] == [], rubric_id


def test_an_overlay_replaces_texts_by_id_and_keeps_the_checks_and_the_hash():
    rubric = parse_rubric(BASE)
    es = rubric.in_language("es")
    assert (es.title, es.summary) == ("Diminuta", "Una rúbrica diminuta.")
    assert [lv.label for lv in es.levels] == ["Suspenso", "Aprobado"]
    assert es.stages[0].title == "Sentimientos"
    assert (es.stages[0].criteria[0].title, es.stages[0].criteria[0].tip) == (
        "Reconoce los sentimientos",
        "Dígalo.",
    )
    assert (es.phrasing[0].title, es.phrasing[0].tip) == ("Le pidió que se calmara", "Reconózcalo.")
    assert es.stages[0].criteria[0].check == rubric.stages[0].criteria[0].check
    assert es.content_hash() == rubric.content_hash()
    # The base language, a language it has no texts for, and a regional variant.
    assert rubric.in_language("en") is rubric and rubric.in_language("fr") is rubric
    assert rubric.in_language("es-MX") is es


def test_adding_a_language_leaves_the_hash_of_the_grading_content():
    without = parse_rubric(BASE.split("languages:")[0])
    assert without.content_hash() == parse_rubric(BASE).content_hash()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    stages: {feel: Sentimientos}",
            "    stages: {feel: Sentimientos, fell: Otra}",
            "t.yaml:31: languages.es.stages.fell: no stage 'fell' in the base rubric (known: feel)",
        ),
        (
            "      feel: {title: Reconoce",
            "      feels: {title: Reconoce",
            "t.yaml:33: languages.es.criteria.feels: no criterion 'feels' in the base rubric",
        ),
        (
            "      calm_down: {title",
            "      argue: {title",
            "t.yaml:35: languages.es.phrasing.argue: no phrasing rule for 'argue' in the base "
            "rubric (known: calm_down)",
        ),
        (
            "    levels: {fail: Suspenso, pass: Aprobado}",
            "    levels: {fail: Suspenso, passed: Aprobado}",
            "t.yaml:30: languages.es.levels.passed: no level 'passed' in the base rubric",
        ),
        (
            "schema_version: 2",
            "schema_version: 1",
            "'languages' needs schema_version: 2",
        ),
        (
            "    stages: {feel: Sentimientos}",
            "    stages: {feel: Sentimientos}\n    tips: {}",
            "t.yaml:32: languages.es.tips: unknown field",
        ),
    ],
)
def test_a_broken_overlay_is_refused_at_its_own_line(old, new, message):
    assert old in BASE
    with pytest.raises(FileProblems) as exc:
        parse_rubric(BASE.replace(old, new, 1), "t.yaml")
    assert message in str(exc.value)


def test_the_base_language_cannot_also_be_an_overlay():
    text = BASE.replace("languages:\n  es:", "languages:\n  en:")
    with pytest.raises(FileProblems) as exc:
        parse_rubric(text, "t.yaml")
    assert "'en' is the base language of this rubric" in str(exc.value)


def test_a_version_1_rubric_without_overlays_still_loads():
    old = BASE.split("languages:")[0].replace("schema_version: 2", "schema_version: 1")
    assert parse_rubric(old).in_language("es").title == "Tiny"


def test_validate_lists_what_a_language_lacks_with_file_line_and_field(cli, tmp_path):
    text = BASE.replace(
        "      feel: {title: Reconoce los sentimientos, tip: Dígalo.}", "      feel: {}"
    )
    text = text.replace("    levels: {fail: Suspenso, pass: Aprobado}\n", "")
    path = tmp_path / "rubrics" / "tiny.yaml"
    path.parent.mkdir()
    path.write_text(text + "  ru:\n    title: Крошечная\n", encoding="utf-8")
    done = cli("validate", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    out = done.stdout
    assert f"{path}:27: languages.es.levels: missing in this language: fail, pass" in out
    assert f"{path}:31: languages.es.criteria: missing in this language: feel.title, feel.tip" in (
        out
    )
    assert f"{path}:35: languages.ru: missing in this language: summary" in out
    assert f"{path}:35: languages.ru.stages: missing in this language: feel" in out
    assert "languages.ru.phrasing: missing in this language: calm_down.title, calm_down.tip" in out
    assert "7 problems found" in out


def test_validate_passes_every_shipped_rubric_and_exam(cli):
    done = cli("validate", str(RUBRICS), str(RUBRICS / "exams"))
    assert done.returncode == 0, done.stdout
    assert "8 files OK" in done.stdout


def test_the_grade_is_the_same_in_every_language_only_the_words_change():
    rubric = RubricLibrary(RUBRICS).get("complaint-handling")
    plain = Rubric.model_validate(
        rubric.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"languages"})
    )
    loaded, problems = parse_transcripts(ROOT / "tests" / "fixtures" / "i18n-grading" / "es.txt")
    assert problems == []
    transcript = loaded[0].transcript
    assert transcript.language == "es"  # detected: the file does not say
    spanish, untranslated = grade(transcript, rubric), grade(transcript, plain)
    assert spanish.language == untranslated.language == "es"
    assert spanish.overall == untranslated.overall > 0
    assert [c.verdict for c in spanish.criteria] == [c.verdict for c in untranslated.criteria]
    assert spanish.rubric.hash == untranslated.rubric.hash
    assert spanish.stages[0].title == "1. Aceptar la queja"
    assert untranslated.stages[0].title == "1. Accept the complaint"


def test_exam_titles_in_other_languages_with_the_base_as_fallback():
    exams = ExamLibrary(RUBRICS / "exams")
    assert exams.problems == []
    foundation = exams.get("foundation")
    assert foundation.texts("zh").title == "投诉处理基础证书"
    assert foundation.texts("pt-BR").title == foundation.languages["pt"].title
    assert foundation.texts("fr").title == foundation.title
    text = (RUBRICS / "exams" / "foundation.yaml").read_text(encoding="utf-8")
    with pytest.raises(FileProblems) as exc:
        parse_exam(text.replace("schema_version: 2", "schema_version: 1"), "f.yaml")
    assert "'languages' needs schema_version: 2" in str(exc.value)


def test_notes_are_in_the_scorecards_language():
    rubric = RubricLibrary(RUBRICS).get("complaint-handling")
    loaded, _ = parse_transcripts(ROOT / "tests" / "fixtures" / "i18n-grading" / "ru.txt")
    card = grade(loaded[0].transcript, rubric)
    notes = " ".join(c.note for c in card.criteria)
    assert "ни в одной реплике оператора нет" in notes
    assert not re.search(r"\b(agent|turn|no|in|the)\b", notes), notes
    assert Texts("ru")("scorecard.noun_thank") in notes


# ---------------------------------------------------------------- fuzzing the loader
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)
keys = st.sampled_from(
    ["title", "summary", "levels", "stages", "criteria", "phrasing", "give_away", "tip", "x"]
)


@FUZZ
@given(
    language=st.sampled_from(["es", "zh", "pt-BR", "EN", "e", "", "en"]),
    key=keys,
    value=values,
)
def test_fuzz_a_generated_overlay_part_loads_or_gives_problems(language, key, value):
    data = yaml.safe_load(BASE)
    data["languages"] = {language: {key: value}}
    try:
        rubric = parse_rubric(yaml.safe_dump(data, allow_unicode=True), "fuzz.yaml")
    except FileProblems as exc:
        assert exc.problems and all(p.file == "fuzz.yaml" for p in exc.problems)
        return
    for code in rubric.languages:
        assert rubric.in_language(code).content_hash() == rubric.content_hash()


@FUZZ
@given(data=st.data())
def test_fuzz_a_mutated_shipped_overlay_loads_or_gives_problems(data):
    path = data.draw(st.sampled_from(sorted(RUBRICS.glob("*.yaml"))))
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("languages:")
    i = data.draw(st.integers(start, len(lines) - 1))
    lines[i] = data.draw(
        st.sampled_from(
            ["", "    title: 0", "      nope: {title: x}", "  xx-YY:", lines[i] + " ]", "\t"]
        )
    )
    try:
        rubric = parse_rubric("\n".join(lines), "m.yaml")
    except FileProblems as exc:
        assert exc.problems and all(p.file == "m.yaml" for p in exc.problems)
        return
    for code in rubric.languages:
        rubric.in_language(code)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_judge_question_is_asked_in_each_language(language):
    """Each criterion the LLM judge is asked about has its question written in each shipped
    language: no question left in English, and each ends as a question does there."""
    english_questions = set()
    for rubric in RubricLibrary(RUBRICS).rubrics.values():
        local = rubric.in_language(language)
        for (_, base), (_, mine) in zip(rubric.criteria(), local.criteria(), strict=True):
            english_questions.add(base.judge)
            if base.judge:
                assert mine.judge and mine.judge != base.judge, (rubric.id, base.id)
                assert mine.judge.rstrip().endswith(("?", "？")), (rubric.id, base.id)
                assert not re.search(r"\b(the agent|Does|customer)\b", mine.judge), mine.judge
    assert len(english_questions) > 10


def test_validate_reports_a_judge_question_a_language_lacks(cli, tmp_path):
    text = BASE.replace("        tip: Say it.\n", "        tip: Say it.\n        judge: Do they?\n")
    path = tmp_path / "rubrics" / "tiny.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    done = cli("validate", str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{path}:33: languages.es.criteria: missing in this language: feel.judge" in (
        done.stdout
    )
    fixed = text.replace("tip: Dígalo.}", "tip: Dígalo., judge: '¿Lo reconoce?'}")
    path.write_text(fixed, encoding="utf-8")
    assert cli("validate", str(path)).returncode == 0


def test_the_judge_is_asked_in_the_transcripts_language():
    """``grade --judge`` on a Spanish transcript sends the Spanish questions (issue 13: the
    judge was asked in English whatever the conversation's language)."""
    from simulator.grading.judge import grade_with_judge
    from simulator.llm.mock import MockBackend

    rubric = RubricLibrary(RUBRICS).get("complaint-handling")
    loaded, problems = parse_transcripts(ROOT / "tests" / "fixtures" / "i18n-grading" / "es.txt")
    assert problems == []
    backend = MockBackend(default="not json")  # the judge abstains; the question is what counts
    grade_with_judge(loaded[0].transcript, rubric, backend)
    asked = "\n".join(m["content"] for call in backend.calls for m in call.messages)
    spanish = {c.id: c.judge for _, c in rubric.in_language("es").criteria() if c.judge}
    english = [c.judge for _, c in rubric.criteria() if c.judge]
    assert backend.calls and all(q in asked for q in spanish.values()), asked[:500]
    assert not any(q in asked for q in english)
