"""Reading transcripts: JSON, JSONL and pasted plain text, with clear errors for bad input.
The loaders are fuzzed: whatever the bytes, the answer is transcripts or problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems
from simulator.grading.transcript_input import (
    AGENT_LABELS,
    CUSTOMER_LABELS,
    MAX_TURN_CHARS,
    load_file,
    load_transcripts,
    parse_jsonl,
    parse_plain_text,
    parse_text,
    parse_transcripts,
)

GOOD = {
    "turns": [
        {"role": "customer", "text": "My parcel never came."},
        {"role": "agent", "text": "I'm so sorry. When did you order it?"},
    ]
}


def problems_of(text: str, kind: str | None = None) -> list[str]:
    loaded, problems = parse_text(text, "in.txt", kind)
    assert not loaded
    return [str(p) for p in problems]


# ------------------------------------------------------------------ plain text
def test_plain_text_turns_aliases_names_timestamps_and_continuations():
    text = (
        "\ufeffCaller: My parcel never came.\n"
        "It was meant to arrive Monday.\n"
        "\n"
        "REP (Sam): I'm so sorry.\n"
        "[10:02] operator: When did you order it?\n"
        "  Order number: the one on the email.\n"
        "10:03:15 Client: Last week.\r\n"
    )
    t = parse_plain_text(text, "call.txt")
    assert [(x.role, x.text) for x in t.turns] == [
        ("customer", "My parcel never came.\nIt was meant to arrive Monday."),
        ("agent", "I'm so sorry."),
        ("agent", "When did you order it?\nOrder number: the one on the email."),
        ("customer", "Last week."),
    ]


@pytest.mark.parametrize("label", sorted(CUSTOMER_LABELS | AGENT_LABELS))
def test_every_documented_label_is_accepted_in_any_case(label):
    for variant in (label, label.upper(), label.title()):
        t = parse_plain_text(f"{variant}: Hello there.\nAgent: Hi.", "x.txt")
        role = "customer" if label in CUSTOMER_LABELS else "agent"
        assert t.turns[0].role == role


def test_multi_word_prefixes_and_urls_continue_the_turn():
    t = parse_plain_text(
        "Customer: see https://example.com/x\nOrder number: 123\nAgent: Thanks.", "x.txt"
    )
    assert t.turns[0].text == "see https://example.com/x\nOrder number: 123"


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "Customer: hi\nManager: I'll take it from here.\n",
            "x.txt:2: unknown speaker label 'Manager'",
        ),
        ("Hello, this is a call.\nAgent: hi\n", "x.txt:1: text before the first speaker label"),
        ("Customer: hi\nAgent:\nCustomer: hello?\n", "x.txt:2: empty agent turn"),
        ("Customer: hi\nCustomer: anyone there?\n", "x.txt: turns: no agent turns"),
        ("", "x.txt: no turns: the text is empty"),
        ("\n  \n\n", "x.txt: no turns"),
    ],
)
def test_plain_text_errors_name_the_line(text, message):
    with pytest.raises(FileProblems) as exc:
        parse_plain_text(text, "x.txt")
    assert str(exc.value).startswith(message)


def test_a_huge_turn_is_refused_clearly():
    with pytest.raises(FileProblems) as exc:
        parse_plain_text("Customer: hi\nAgent: " + "sorry " * 200_000, "x.txt")
    assert f"agent turn is 1199999 characters; the limit is {MAX_TURN_CHARS}" in str(exc.value)


# ------------------------------------------------------------------ JSON and JSONL
def test_json_transcript_round_trip():
    loaded, problems = parse_text(json.dumps(GOOD), "t.json")
    assert not problems and loaded[0].transcript.turns[1].role == "agent"


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "[]",
            "expected a transcript object with 'turns', got list (several transcripts go "
            "one per line in a .jsonl file)",
        ),
        ('"hello"', "expected a transcript object with 'turns', got str"),
        ("null", "got null"),
        ("{}", "turns: required field is missing"),
        ('{"turns": []}', "turns: must have at least 1 item"),
        ('{"turns": "hi"}', "turns: must be a list"),
        (
            '{"turns": [{"role": "manager", "text": "hi"}]}',
            "turns[0].role: must be 'customer' or 'agent'",
        ),
        ('{"turns": [{"role": "agent", "text": "   "}]}', "turns[0].text: turn is empty"),
        ('{"turns": [{"role": "customer", "text": "hi"}]}', "turns: no agent turns"),
        ('{"turns": [{"role": "agent", "text": "hi"}], "colour": 1}', "colour: unknown field"),
        ('{"turns": [', "t.json:1: invalid JSON"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
    ],
)
def test_json_errors_are_clear(text, message):
    loaded, problems = parse_text(text, "t.json", "json")
    assert not loaded and message in "\n".join(str(p) for p in problems)


def test_jsonl_reads_many_and_names_the_bad_lines():
    good = json.dumps(GOOD)
    text = "\n".join([good, "", good, "{oops", '{"turns": [{"role": "x", "text": "y"}]}', good])
    loaded, problems = parse_jsonl(text, "many.jsonl")
    assert [x.source for x in loaded] == ["many.jsonl:1", "many.jsonl:3", "many.jsonl:6"]
    assert [(p.line, p.field) for p in problems] == [(4, ""), (5, "turns[0].role")]
    assert str(problems[0]).startswith("many.jsonl:4: invalid JSON")


def test_content_decides_the_format_when_the_extension_does_not():
    good = json.dumps(GOOD)
    assert len(parse_text(good + "\n" + good, "x.txt")[0]) == 2
    assert len(parse_text(json.dumps(GOOD, indent=2), "x.txt")[0]) == 1
    assert parse_text("Customer: a\nAgent: b", "x.txt")[0][0].transcript.turns[1].text == "b"


# ------------------------------------------------------------------ files and folders
def test_files_and_folders(tmp_path: Path):
    (tmp_path / "a.json").write_text(json.dumps(GOOD))
    (tmp_path / "b.jsonl").write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("Customer: hi\nAgent: hello")
    (tmp_path / "notes.yaml").write_text("not: a transcript")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.txt").write_text("junk")
    loaded, problems = parse_transcripts(tmp_path)
    assert not problems
    assert [Path(x.source).name for x in loaded] == ["a.json", "b.jsonl:1", "b.jsonl:2", "c.txt"]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "no turns: the text is empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
        (b"Customer: caf\xe9\nAgent: hi", "not UTF-8 text (byte 13)"),
    ],
)
def test_bad_files_become_problems(tmp_path: Path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    loaded, problems = load_file(path)
    assert not loaded and message in str(problems[0])


def test_bad_jsonl_bytes_and_missing_paths(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n\xff\n")
    assert "bad.jsonl:2: not UTF-8 text" in str(load_file(path)[1][0])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert "no transcripts: the file is empty" in str(load_file(empty)[1][0])
    (tmp_path / "nothing").mkdir()
    _, problems = parse_transcripts(tmp_path / "missing.txt", tmp_path / "nothing")
    assert [p.message for p in problems] == [
        "no such file or folder",
        "no transcript files (*.json, *.jsonl, *.txt) in this folder",
    ]
    with pytest.raises(FileProblems):
        load_transcripts(tmp_path / "missing.txt")


def test_a_one_megabyte_turn_in_json_is_refused_not_crashed(tmp_path: Path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"turns": [{"role": "agent", "text": "x" * 1_000_000}]}))
    loaded, problems = load_file(path)
    assert not loaded and "turn is 1000000 characters" in str(problems[0])


# ------------------------------------------------------------------ fuzzing
LABELS = sorted(CUSTOMER_LABELS | AGENT_LABELS) + [
    "Manager",
    "note",
    "",
    "[10:00] Agent",
    "Agent (Sam)",
    "  Agent",
]
line = st.tuples(
    st.sampled_from(LABELS), st.sampled_from([":", ": ", " :", ""]), st.text(max_size=40)
).map(lambda t: "".join(t))


@settings(max_examples=200, deadline=None)
@given(st.lists(line, max_size=8).map("\n".join) | st.text(max_size=300))
def test_fuzz_plain_text_gives_transcripts_or_problems(text):
    loaded, problems = parse_text(text, "fuzz.txt", "text")
    assert bool(loaded) != bool(problems)
    for p in problems:
        assert str(p).startswith("fuzz.txt")
    for item in loaded:
        assert any(t.role == "agent" for t in item.transcript.turns)
        assert all(t.text.strip() for t in item.transcript.turns)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["turns", "role", "text", "outcome", "id", "x"]) | st.text(max_size=5),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)
turn_like = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["agent", "customer", "rep", 3]),
        "text": st.text(max_size=20) | st.integers(),
    }
)


@settings(max_examples=200, deadline=None)
@given(
    json_values | st.fixed_dictionaries({"turns": st.lists(turn_like, max_size=4)}),
    st.sampled_from(["json", "jsonl", None]),
)
def test_fuzz_json_shapes_give_transcripts_or_problems(value, kind):
    loaded, problems = parse_text(json.dumps(value), "fuzz.json", kind)
    assert loaded or problems


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300), st.sampled_from([".txt", ".json", ".jsonl", ".md"]))
def test_fuzz_file_bytes_never_crash(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    loaded, problems = load_file(path)
    assert loaded or problems
