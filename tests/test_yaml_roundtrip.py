"""Round-trip edits of YAML people wrote: the designer's form keeps comments and layout,
and refuses what could blow up (aliases, oversized or broken text)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems
from simulator.web.persona_edit import FORM_FIELDS, apply_form, form_values, validate_text
from simulator.yaml_roundtrip import set_fields
from simulator.yamlfile import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parent.parent
PERSONAS = sorted((ROOT / "personas").glob("*.yaml"))


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


@pytest.mark.parametrize("path", PERSONAS, ids=lambda p: p.stem)
def test_the_form_changes_only_the_edited_line_of_every_shipped_persona(path):
    text = path.read_text(encoding="utf-8")
    values = form_values(text)
    names = [n for n, _ in FORM_FIELDS]
    values[names.index("summary")] = "A new one-line summary."
    out = apply_form(text, values)
    assert "# yaml-language-server: $schema=" in out
    assert [c for c in text.splitlines() if c.lstrip().startswith("#")] == [
        c for c in out.splitlines() if c.lstrip().startswith("#")
    ]
    diff = changed_lines(text, out)
    assert (
        len(diff) == 2
        and diff[1] == '+summary: "A new one-line summary."'
        or diff[1].startswith("+summary: A new one-line summary.")
    )
    assert validate_text(out)[0].summary == "A new one-line summary."


def test_inline_comments_and_nested_new_keys_are_kept():
    text = "# top\nid: x  # the id\nidentity:\n  name: Ann  # §2.1\n"
    out = set_fields(text, {("identity", "name"): "Bo", ("start", "anger"): 40})
    assert "# top" in out and "# the id" in out and "# §2.1" in out
    assert "name: Bo" in out and "start:\n  anger: 40" in out


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",
        # a billion laughs: tiny text, exponential once aliases are expanded
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    ],
)
def test_anchors_and_aliases_are_refused(text):
    with pytest.raises(FileProblems, match="anchors and aliases"):
        set_fields(text, {("id",): "y"})


def test_oversized_and_broken_text_is_refused():
    with pytest.raises(FileProblems, match="larger than"):
        set_fields("a: " + "x" * (MAX_FILE_BYTES + 1), {("id",): "y"})
    with pytest.raises(FileProblems, match="invalid YAML") as info:
        set_fields("id: x\nsummary: [unclosed\n", {("id",): "y"})
    assert info.value.problems[0].line
    with pytest.raises(FileProblems, match="mapping"):
        set_fields("- a\n- b\n", {("id",): "y"})


def test_empty_text_gets_the_fields():
    assert (
        set_fields("", {("id",): "new", ("identity", "name"): "Ann"})
        == "id: new\nidentity:\n  name: Ann\n"
    )


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_either_edits_or_gives_problems(text):
    try:
        out = set_fields(text, {("id",): "fuzz"})
    except FileProblems as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    else:
        assert "id: fuzz" in out


def test_a_key_written_twice_is_a_problem_not_a_traceback():
    with pytest.raises(FileProblems, match="duplicate key") as info:
        set_fields("id: a\nid: b\n", {("summary",): "s"})
    assert info.value.problems[0].line == 2


@pytest.mark.parametrize(
    "word", ["yes", "No", "on", "OFF", "1.5", "null", "~", "2026-01-01", "a: b"]
)
def test_a_typed_value_is_read_back_as_the_string_typed(word):
    # ruamel writes YAML 1.2, where "yes" is a string; the loaders read YAML 1.1, where it
    # is a boolean. What the trainer typed into a text field must stay a string.
    out = set_fields("schema_version: 2\nid: new-vip\n", {("id",): word})
    assert yaml.safe_load(out)["id"] == word


def test_quotes_a_value_needed_once_do_not_stick_to_the_next_value():
    # Typing "Not A Slug" passes through "Not " (which needs quotes); the id typed next
    # is written plain again. The whole-run browser test saw id: 'vera-newman'.
    text = "schema_version: 2\nid: new-vip\n"
    for typed in ("Not ", "Not A Slug", "vera-newman"):
        text = set_fields(text, {("id",): typed})
    assert "id: vera-newman\n" in text


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_typed_string_is_read_back_unchanged(value):
    try:
        out = set_fields("id: x\n", {("id",): value})
    except FileProblems:
        return
    assert yaml.safe_load(out)["id"] == value
