"""The persona loader never fails with anything but FileProblems, whatever it is fed."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from conftest import FIXTURE_PERSONA_ID, FIXTURE_PERSONAS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems, Problem
from simulator.persona.loader import PersonaLibrary, load_persona, parse_persona
from simulator.persona.model import Persona
from simulator.yamlfile import dump_yaml

GOOD_TEXT = (FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml").read_text()
GOOD = yaml.safe_load(GOOD_TEXT)
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Each example dumps and re-parses a whole persona, so fewer keep the suite quick.
FUZZ_FIELDS = settings(FUZZ, max_examples=100)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def check(load) -> Persona | None:
    """Run a load; it must give a Persona or FileProblems whose problems are well formed."""
    try:
        result = load()
    except FileProblems as exc:
        assert exc.problems
        for problem in exc.problems:
            assert isinstance(problem, Problem) and problem.message
            assert problem.line is None or problem.line >= 1
            assert str(problem).startswith(problem.file)
        return None
    assert isinstance(result, Persona)
    return result


def paths_of(data, prefix=()):
    """Every key path into nested dicts and lists."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths_of(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths_of(v, prefix + (i,))


PATHS = [p for p in paths_of(GOOD) if p]


def test_the_fixture_loads():
    assert load_persona(FIXTURE_PERSONAS / f"{FIXTURE_PERSONA_ID}.yaml").id == FIXTURE_PERSONA_ID


@FUZZ
@given(st.text(max_size=400))
def test_any_text(text):
    check(lambda: parse_persona(text, "fuzz.yaml"))


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_in_a_file(tmp_path_factory, data):
    path = Path(tmp_path_factory.mktemp("fuzz")) / "p.yaml"
    path.write_bytes(data)
    check(lambda: load_persona(path))


@FUZZ_FIELDS
@given(st.sampled_from(PATHS), values)
def test_one_field_replaced_by_anything(path, value):
    data = copy.deepcopy(GOOD)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    check(lambda: parse_persona(dump_yaml(data), "fuzz.yaml"))


@FUZZ_FIELDS
@given(st.sampled_from(PATHS), st.text(max_size=12), values)
def test_a_field_added_anywhere(path, key, value):
    data = copy.deepcopy(GOOD)
    target = data
    for part in path:
        target = target[part]
    if isinstance(target, dict):
        target[key] = value
    elif isinstance(target, list):
        target.append(value)
    check(lambda: parse_persona(dump_yaml(data), "fuzz.yaml"))


@FUZZ
@given(st.integers(0, len(GOOD_TEXT)), st.integers(0, 40), st.text(max_size=10))
def test_the_good_file_cut_and_spliced(start, length, insert):
    check(
        lambda: parse_persona(GOOD_TEXT[:start] + insert + GOOD_TEXT[start + length :], "fuzz.yaml")
    )


def test_library_keeps_good_personas_and_reports_broken_ones(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD_TEXT)
    (tmp_path / "b.yaml").write_text(GOOD_TEXT)  # the same id again
    (tmp_path / "c.yaml").write_bytes(b"\xff\xfe")
    library = PersonaLibrary(tmp_path)
    assert library.ids() == [FIXTURE_PERSONA_ID]
    assert [(Path(p.file).name, p.field) for p in library.problems] == [
        ("b.yaml", "id"),
        ("c.yaml", ""),
    ]
