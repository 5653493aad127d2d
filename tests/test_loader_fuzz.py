"""Every loader against hostile files: no traceback, bounded time, bounded memory.

Two layers. Hypothesis throws generated text and mutated real files at every parser in
this process: it must load or raise the product's own error (FrontlineError), never
anything else. The known-bad inputs (alias bombs, recursive aliases, 100,000-deep nesting,
huge files, binary, NUL bytes, BOMs) run in child processes (tests/loader_probe.py, one
forked child per file, under an address-space limit), which report per file the outcome,
the peak resident memory and the CPU time. The bounds (300 MB, 5 s of CPU) are generous
on purpose: the cases they catch are exponential (gigabytes, minutes), so the check does
not flake on a busy machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.certification.exam import parse_exam
from simulator.errors import FrontlineError
from simulator.grading.judge.injection import parse_injection_file
from simulator.grading.rubric_loader import parse_rubric
from simulator.grading.transcript_input import parse_text
from simulator.languages import LanguagePack
from simulator.moves.detector import MovePatternFile
from simulator.persona.loader import parse_persona
from simulator.users import UsersFile
from simulator.web.persona_edit import form_values, validate_text
from simulator.yamlfile import parse_model

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "loader_probe.py"
MAX_PEAK_BYTES = 300 * 1024 * 1024
MAX_CPU_SECONDS = 5.0

BILLION_LAUGHS = (
    "\n".join(
        ["schema_version: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [
            f"{b}: &{b} [{','.join(['*' + a] * 9)}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ]
    )
    + "\n"
)
RECURSIVE = "schema_version: 1\na: &a [*a]\n"
EXAMPLE_FILES = {  # a real file of each kind, for BOM and mutation cases
    "persona": ROOT / "personas" / "aggressive-rational-billing.yaml",
    "rubric": ROOT / "rubrics" / "complaint-handling.yaml",
    "exam": ROOT / "rubrics" / "exams" / "foundation.yaml",
    "patterns": ROOT / "simulator" / "languages" / "en" / "moves.yaml",
    "injection": ROOT / "simulator" / "languages" / "en" / "injection.yaml",
    "pack": ROOT / "simulator" / "languages" / "zh" / "pack.yaml",
    "effects": ROOT / "simulator" / "customer" / "effects.yaml",
    "designer": ROOT / "personas" / "aggressive-rational-billing.yaml",
}
YAML_LOADERS = [
    "persona",
    "rubric",
    "exam",
    "patterns",
    "injection",
    "pack",
    "effects",
    "users",
    "designer",
]


def hostile_files(folder: Path, loader: str) -> dict[str, Path]:
    """The known-bad inputs, written for ``loader`` (YAML kinds or transcripts)."""
    texts: dict[str, bytes] = {
        "binary": bytes(range(256)) * 400,
        "nul": b"schema_version: 1\nid: a\x00b\n",
        "huge": b"a: b\n" * 600_000,  # 3 MB: over the file size limit
        "almost-huge": b"".join(b"k%d: v\n" % i for i in range(150_000)),
        "long-line": b"a: " + b"b" * 1_900_000 + b"\n",
    }
    if loader == "transcripts":
        texts |= {
            "deep.json": b'{"turns": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "deep.jsonl": b'{"turns": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n" * 2,
            "dup.json": b'{"turns": [], "turns": [{"role": "agent", "text": "Hi"}]}',
            "nul.json": b'{"turns": [{"role": "agent", "text": "Hi\\u0000there"}]}',
            "bom.json": b'\xef\xbb\xbf{"turns": [{"role": "agent", "text": "Sorry."}]}',
            "bom.txt": b"\xef\xbb\xbfCustomer: Hello\nAgent: Sorry about that.\n",
            "huge-turn.txt": b"Agent: " + b"word " * 200_000 + b"\n",
            "many.jsonl": b'{"turns": [{"role": "agent", "text": "Hi"}]}\n' * 20_000,
            "binary.txt": bytes(range(256)) * 400,
        }
    else:
        texts |= {
            "bomb.yaml": BILLION_LAUGHS.encode(),
            "recursive.yaml": RECURSIVE.encode(),
            "deep-flow.yaml": b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
            "deep-open.yaml": b"a: " + b"{x: " * 100_000 + b"\n",
            "deep-block.yaml": b"".join(b"  " * i + b"k:\n" for i in range(1_000)),
            "many-aliases.yaml": b"a: &a 1\nb: [" + b"*a, " * 5_000 + b"]\n",
        }
        example = EXAMPLE_FILES.get(loader)
        if example is not None:
            texts["bom.yaml"] = b"\xef\xbb\xbf" + example.read_bytes()
    out = {}
    for name, data in texts.items():
        path = folder / (name if "." in name else f"{name}.yaml")
        path.write_bytes(data)
        out[name] = path
    return out


def run_probe(loader: str, files: list[Path]) -> list[dict]:
    """Run the loader over ``files`` (each in its own limited child); the reports."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(PROBE), loader, *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )  # a backstop only, never the measure
    assert proc.returncode == 0, f"the probe failed: {proc.stderr[-2000:]}"
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("loader", YAML_LOADERS + ["transcripts"])
def test_hostile_files_are_refused_cleanly_in_bounded_time_and_memory(
    loader: str, tmp_path: Path
) -> None:
    files = hostile_files(tmp_path, loader)
    reports = run_probe(loader, list(files.values()))
    assert len(reports) == len(files)
    by_name = {Path(r["file"]).name: r for r in reports}
    for r in reports:
        name = Path(r["file"]).name
        assert r["outcome"] in ("ok", "refused"), f"{loader} {name}: {r['message']}"
        assert r["peak_bytes"] < MAX_PEAK_BYTES, f"{loader} {name}: {r['peak_bytes']:,} bytes"
        assert r["cpu_s"] < MAX_CPU_SECONDS, f"{loader} {name}: {r['cpu_s']} s of CPU"
        if r["outcome"] == "refused":
            named = "editor" if loader == "designer" else str(tmp_path)  # the editor's label
            assert "Traceback" not in r["message"] and r["message"].startswith(named), (
                f"{loader} {name}: the message must name the file: {r['message'][:200]}"
            )
    if loader == "transcripts":
        assert by_name["bom.json"]["outcome"] == "ok"
        assert by_name["bom.txt"]["outcome"] == "ok"
        assert "appears twice" in by_name["dup.json"]["message"]
        assert "NUL" in by_name["nul.json"]["message"]
    else:
        assert "recursive alias" in by_name["recursive.yaml"]["message"]
        assert "more than 20,000 values" in by_name["bomb.yaml"]["message"]
        assert (
            ":1: invalid YAML: nested more than 64 levels" in by_name["deep-flow.yaml"]["message"]
        )
        if "bom.yaml" in by_name:  # a shipped file with a BOM loads
            assert by_name["bom.yaml"]["outcome"] == "ok", by_name["bom.yaml"]["message"]


# ---------------------------------------------------------------- in-process fuzzing
PARSERS = {
    "persona": parse_persona,
    "rubric": parse_rubric,
    "exam": parse_exam,
    "patterns": lambda t, n: parse_model(MovePatternFile, t, n),
    "injection": parse_injection_file,
    "pack": lambda t, n: parse_model(LanguagePack, t, n),
    "users": lambda t, n: parse_model(UsersFile, t, n),
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["(a+)+$", "&a", "*a", "1e30", "\x00", "\ufeff", "true"]),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)


def mutate(text: str, data: st.DataObject) -> str:
    """A real file with a few lines replaced, dropped or duplicated."""
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "replace", "anchor", "alias"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "replace":
            lines[i] = data.draw(st.text(max_size=40))
        elif action == "anchor":
            lines[i] = lines[i] + " &x"
        else:
            lines[i] = lines[i].split(":")[0] + ": *x"
        if not lines:
            break
    return "\n".join(lines)


def must_load_or_refuse(parse, text: str) -> None:
    with contextlib.suppress(FrontlineError):  # anything else fails the test
        parse(text, "<fuzz>")


@pytest.mark.parametrize("kind", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_yaml_parsers_never_raise_anything_else(kind: str, data: st.DataObject) -> None:
    parse = PARSERS[kind]
    how = data.draw(st.sampled_from(["text", "structure", "mutation"]))
    if how == "text":
        text = data.draw(st.text(max_size=300))
    elif how == "structure":
        value = data.draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "schema_version",
                        "id",
                        "phrases",
                        "criteria",
                        "moves",
                        "users",
                        "weight",
                        "language",
                        "patterns",
                        "rules",
                    ]
                ),
                yaml_values,
                max_size=6,
            )
        )
        text = yaml.safe_dump(value, allow_unicode=True)
    else:
        example = EXAMPLE_FILES.get(kind) or EXAMPLE_FILES["persona"]
        text = mutate(example.read_text(encoding="utf-8"), data)
    must_load_or_refuse(parse, text)


@FUZZ
@given(text=st.text(max_size=400), kind=st.sampled_from([None, "json", "jsonl", "text"]))
def test_transcript_parser_never_raises_anything_else(text: str, kind: str | None) -> None:
    parse_text(text, "<fuzz>", kind)  # returns problems; any exception fails the test


@FUZZ
@given(
    turns=st.lists(
        st.fixed_dictionaries(
            {
                "role": st.sampled_from(["agent", "customer", "judge", ""]),
                "text": st.text(max_size=40),
            }
        ),
        max_size=5,
    ),
    extra=st.dictionaries(
        st.sampled_from(["schema_version", "trajectory", "id", "seed"]), yaml_values, max_size=3
    ),
)
def test_transcript_json_never_raises_anything_else(turns: list, extra: dict) -> None:
    try:
        text = json.dumps({"turns": turns, **extra}, allow_nan=True)
    except (ValueError, TypeError):
        return
    parse_text(text, "<fuzz>", "json")


@FUZZ
@given(text=st.text(max_size=300))
def test_designer_live_check_never_raises(text: str) -> None:
    validate_text(text)
    form_values(text)


# ---------------------------------------------------------------- language pack manifests
marks = st.one_of(
    st.sampled_from(
        [".", "!", "?", "…", "。", "！", "？", "，", "；", "、", "|", "\\", "]", "^", "-"]
    ),
    scalars,
)
manifest_values = st.fixed_dictionaries(
    {"schema_version": st.sampled_from([1, 1, 1, 2, "1", True])},
    optional={
        "language": st.sampled_from(["en", "zh", "pt-BR", "xx", "../x", "EN", ""]) | scalars,
        "name": st.text(max_size=70) | scalars,
        "sentence_ends": st.lists(marks, max_size=5) | scalars,
        "sentence_ends_unspaced": st.lists(marks, max_size=5) | scalars,
        "clause_separators": st.lists(marks, max_size=4) | scalars,
        "clause_joints": st.lists(
            st.sampled_from(
                [
                    r",\s*(?=but\b)",
                    r"(?=但)",
                    r"(a+)+$",
                    r"(",
                    r"\s+",
                    r"x*",
                    r"[",
                    r"(?<!不)(?=但)",
                ]
            )
            | st.text(max_size=12),
            max_size=4,
        )
        | scalars,
        "spaces_between_words": st.booleans() | scalars,
        "extra": scalars,
    },
)


@FUZZ
@given(value=manifest_values, text=st.text(alphabet="ab .!?。，；、但不\n|", max_size=60))
def test_a_manifest_loads_or_is_refused_and_its_splitter_keeps_offsets(value, text) -> None:
    """Any manifest loads or is refused with the product's own error; one that loads
    splits any text into ordered, trimmed spans of it, clauses inside their sentence."""
    source = yaml.safe_dump(value, allow_unicode=True)
    try:
        pack = parse_model(LanguagePack, source, "pack.yaml")
    except FrontlineError:
        return
    splitter = pack.splitter()
    previous = 0
    for s, e in splitter.sentences(text):
        assert previous <= s < e <= len(text) and text[s:e] == text[s:e].strip()
        previous = e
        inner = s
        for a, b in splitter.clauses(text, s, e):
            assert inner <= a < b <= e and text[a:b] == text[a:b].strip()
            inner = b
