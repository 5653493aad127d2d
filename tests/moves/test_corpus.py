"""The labelled corpus: the shipped files load clean; broken rows say file:line:field."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems
from simulator.moves.corpus import (
    CORPUS_DIR,
    Label,
    languages_present,
    load_corpus,
    not_in_vocabulary,
    split_of,
)
from simulator.moves.vocabulary import Move

GOOD = {
    "id": "es-0001",
    "text": "Lo siento mucho. ¿Me da el número de pedido?",
    "labels": [{"move": "apologise", "quote": "Lo siento mucho"}],
    "style": "formal",
    "note": "",
}


def write(folder: Path, lang: str, rows: list[object]) -> Path:
    path = folder / f"{lang}.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_of(folder: Path, languages: list[str] | None = None) -> str:
    with pytest.raises(FileProblems) as info:
        load_corpus(folder, languages)
    return str(info.value)


def test_shipped_corpus_loads_with_no_problem():
    turns = load_corpus()
    present = languages_present()
    assert {"es", "ru", "zh", "bg", "pt"} <= set(present)
    per_language = Counter(t.language for t in turns)
    assert set(per_language) == set(present)
    assert all(n >= 500 for n in per_language.values()), per_language


def test_shipped_corpus_has_every_label_and_every_split():
    turns = load_corpus()
    for lang in languages_present():
        mine = [t for t in turns if t.language == lang]
        assert {m for t in mine for m in t.moves} == {label.value for label in Label}, lang
        assert {t.split for t in mine} == {"train", "dev", "test"}, lang


def test_labels_are_exactly_the_vocabulary():
    # inform and set_boundary were labelled before the reader knew them; now it does.
    assert {label.value for label in Label} == {m.value for m in Move}
    assert not_in_vocabulary() == []


def test_split_is_fixed_by_the_sha256_of_the_id():
    # sha256("es-0001") % 10 and friends, computed by hand with hashlib once.
    import hashlib

    for turn_id in ["es-0001", "ru-0420", "zh-0007", "bg-0962"]:
        bucket = int(hashlib.sha256(turn_id.encode()).hexdigest(), 16) % 10
        expected = "train" if bucket < 7 else "dev" if bucket == 7 else "test"
        assert split_of(turn_id) == expected
    shares = Counter(split_of(f"xx-{i:04d}") for i in range(5000))
    assert 0.65 < shares["train"] / 5000 < 0.75 and 0.17 < shares["test"] / 5000 < 0.23


def test_a_good_row_loads(tmp_path):
    write(tmp_path, "es", [GOOD])
    [turn] = load_corpus(tmp_path)
    assert turn.language == "es" and turn.moves == {"apologise"} and turn.near_miss_of is None


@pytest.mark.parametrize(
    "line, expected",
    [
        ("{not json", "es.jsonl:2: not valid JSON"),
        ("[1, 2]", "es.jsonl:2: a row must be a JSON object"),
        (
            dict(GOOD, id="es-0002", labels=[{"move": "apologise", "quote": "Lo sentimos"}]),
            "es.jsonl:2: labels: labels[0].quote 'Lo sentimos' is not a substring of text",
        ),
        (
            dict(GOOD, id="es-0002", labels=[{"move": "grovel", "quote": "Lo siento"}]),
            "es.jsonl:2: labels.0.move: Input should be",
        ),
        (
            dict(GOOD, text="Otro texto.", labels=[]),
            "es.jsonl:2: id: duplicate id 'es-0001' (first at",
        ),
        (dict(GOOD, id="es-0002"), "es.jsonl:2: text: duplicate text (same as line 1)"),
        (
            dict(GOOD, id="es-0002", text="Hola.", labels=[], style="casual"),
            "es.jsonl:2: style: Input should be 'formal', 'informal' or 'chat'",
        ),
        (
            dict(GOOD, id="ru-0002", text="Hola.", labels=[]),
            "es.jsonl:2: id: id 'ru-0002' is not a 'es' id",
        ),
        (dict(GOOD, id="es-2"), "es.jsonl:2: id: String should match pattern"),
        (
            dict(GOOD, id="es-0002", text="Hola.", labels=[], mood="x"),
            "es.jsonl:2: mood: Extra inputs are not permitted",
        ),
        (
            dict(GOOD, id="es-0002", text="Hola.", labels=[], note="near miss of hug: warm"),
            "es.jsonl:2: note: a near miss note must start 'near miss of <move>: '",
        ),
    ],
)
def test_each_broken_row_names_file_line_and_field(tmp_path, line, expected):
    write(tmp_path, "es", [GOOD, line])
    message = problems_of(tmp_path)
    assert expected in message
    assert "Traceback" not in message


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    write(tmp_path, "es", ["{", GOOD, "{", dict(GOOD, id="es-0009", style="x")])
    lines = problems_of(tmp_path).splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["1", "3", "4"]


def test_a_language_asked_for_without_a_file_is_a_problem(tmp_path):
    write(tmp_path, "es", [GOOD])
    assert "ru.jsonl: no corpus file for this language" in problems_of(tmp_path, ["ru"])
    assert "unknown corpus language 'xx'" in problems_of(tmp_path, ["xx"])
    assert len(load_corpus(tmp_path, ["es"])) == 1


def test_not_utf8_and_overlong_lines_are_problems_not_tracebacks(tmp_path):
    (tmp_path / "es.jsonl").write_bytes(b'{"id": "es-0001", "text": "\xff"}\n')
    assert "es.jsonl:1: not UTF-8 text" in problems_of(tmp_path)
    (tmp_path / "es.jsonl").write_text("x" * 20_000, encoding="utf-8")
    assert "es.jsonl:1: line longer than 10000 characters" in problems_of(tmp_path)


def test_a_flood_of_bad_rows_stops_at_the_problem_limit(tmp_path):
    write(tmp_path, "es", ["{"] * 500)
    assert len(problems_of(tmp_path).splitlines()) == 50


row_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "text", "labels", "style", "note", "move", "quote", "x"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(row_values.map(json.dumps) | st.text(max_size=40), max_size=6),
    raw=st.binary(max_size=60),
)
def test_fuzzed_files_load_or_give_problems_never_a_traceback(tmp_path, rows, raw):
    write(tmp_path, "es", rows)
    (tmp_path / "ru.jsonl").write_bytes(raw)
    try:
        turns = load_corpus(tmp_path)
    except FileProblems as exc:
        assert exc.problems and all(p.file.endswith(".jsonl") for p in exc.problems)
        assert len(exc.problems) <= 50
    else:
        assert all(t.language in ("es", "ru") for t in turns)


def test_corpus_dir_is_the_repository_corpus():
    assert CORPUS_DIR.name == "corpus" and (CORPUS_DIR / "es.jsonl").is_file()


def test_every_shipped_row_matches_the_committed_json_schema():
    import jsonschema

    from simulator.schema_export import SCHEMAS_DIR

    schema = json.loads((SCHEMAS_DIR / "corpus-turn.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for lang in languages_present():
        for line in (CORPUS_DIR / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            validator.validate(json.loads(line))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(dict(GOOD, style="casual"))
