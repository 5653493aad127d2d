"""Reading transcripts to grade: the JSON format, JSONL of many, and pasted plain text.

Plain text is what a trainer copies from a real call or chat::

    Customer: My parcel never arrived.
    Agent: I'm sorry to hear that. Could you give me the order number?

Labels are matched case-insensitively (see :data:`CUSTOMER_LABELS` / :data:`AGENT_LABELS`),
may carry a name in brackets (``Agent (Sam):``) and a leading time stamp
(``[10:02] Agent:`` or ``10:02 Agent:``). A line without a label continues the previous
turn. A line that starts with an unknown one-word label (``Manager: …``) is an error, so a
typo never silently merges two speakers; indent such a line to make it a continuation.

Header lines before the first turn say what JSON transcripts say in their fields, so a
pasted conversation can be certified (an exam needs to know the persona and the mode)::

    Persona: aggressive-rational-billing
    Mode: exam
    Candidate: alice
    Created: 2026-03-01T09:00:00+00:00

    Customer: You took £64.50 out of my account twice.

Known headers: :data:`HEADERS` (any case, each at most once). A persona named this way has
no recorded content hash (``"unknown"``).

Every failure is a :class:`~simulator.errors.FileProblems` naming file and line.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from ..errors import FileProblems, Problem
from ..languages import CODE, ENV, available_languages
from ..languages.detect import guess_language
from ..moves.detector import pattern_files
from ..transcript import MAX_TURN_CHARS, PersonaRef, Transcript, TranscriptTurn, turn_problem
from ..yamlfile import read_bytes, read_text, validation_problems

CUSTOMER_LABELS = frozenset({"customer", "client", "caller", "user", "guest", "consumer"})
AGENT_LABELS = frozenset(
    {
        "agent",
        "representative",
        "rep",
        "operator",
        "advisor",
        "adviser",
        "staff",
        "support",
        "trainee",
        "handler",
        "associate",
        "csr",
    }
)

# A JSONL file of many transcripts may be large; each line is read and checked on its own.
MAX_JSONL_BYTES = 200_000_000
MAX_JSONL_LINE_BYTES = 2_000_000
TRANSCRIPT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".txt", ".text", ".md")

# Header name -> transcript field; only before the first turn.
HEADERS = {
    "persona": "persona",
    "mode": "mode",
    "candidate": "candidate",
    "rubric": "rubric",
    "created": "created",
    "language": "language",
}
MODES = ("training", "exam")
UNKNOWN_HASH = "unknown"

_LABEL_LINE = re.compile(
    r"^(?:\[[^\]\n]{1,24}\]\s*|\d{1,2}:\d{2}(?::\d{2})?\s+)?"  # optional time stamp
    r"(?P<label>[^\W\d_][\w'.-]{0,29})"  # one word
    r"(?:\s*\([^)\n]{0,60}\))?"  # optional (name)
    r"\s*:(?=\s|$)\s*(?P<text>.*)$"
)


@dataclass(frozen=True)
class LoadedTranscript:
    """A transcript and where it came from (``file`` or ``file:line`` for JSONL)."""

    source: str
    transcript: Transcript


def speaker_role(label: str) -> str | None:
    """'customer' or 'agent' for a known label (any case), else None."""
    key = label.lower().rstrip(".")
    if key in CUSTOMER_LABELS:
        return "customer"
    if key in AGENT_LABELS:
        return "agent"
    return None


def check_gradable(transcript: Transcript, name: str, line: int | None = None) -> Transcript:
    """Refuse transcripts the grader cannot judge: blank or huge turns, no agent turn."""
    problems = []
    for i, turn in enumerate(transcript.turns):
        if not turn.text.strip():
            problems.append(Problem(name, "turn is empty", line, f"turns[{i}].text"))
        elif (why := turn_problem(turn.text)) is not None:
            problems.append(Problem(name, why, line, f"turns[{i}].text"))
    if not problems and not any(t.role == "agent" for t in transcript.turns):
        problems.append(
            Problem(
                name,
                "no agent turns: there is nothing to grade (a transcript "
                "needs the agent's side of the conversation)",
                line,
                "turns",
            )
        )
    if not problems and transcript.language and not language_covered(transcript.language):
        problems.append(Problem(name, uncovered(transcript.language), line, "language"))
    if problems:
        raise FileProblems(problems)
    return transcript


def language_covered(language: str) -> bool:
    """Whether a language pack (or a regional variant's language) reads moves in it."""
    return _covered(
        language, os.environ.get(ENV, ""), os.environ.get("FRONTLINE_MOVE_PATTERNS", "")
    )


@lru_cache(maxsize=64)
def _covered(language: str, _folders: str, _legacy: str) -> bool:
    return bool(pattern_files(language))


def uncovered(language: str) -> str:
    """Why a transcript in ``language`` cannot be graded, and what would let it be."""
    packs = ", ".join(p.language for p in available_languages() if language_covered(p.language))
    return (
        f"the conversation is in {language!r}, which no language pack covers (packs: "
        f"{packs}); it cannot be graded: add a pack for it (docs/languages.md)"
    )


def transcript_from_data(data: object, name: str, line: int | None = None) -> Transcript:
    """Validate parsed JSON into a gradable :class:`Transcript`."""
    if not isinstance(data, dict):
        kind = "null" if data is None else type(data).__name__
        hint = (
            " (several transcripts go one per line in a .jsonl file)"
            if isinstance(data, list)
            else ""
        )
        raise FileProblems(
            [Problem(name, f"expected a transcript object with 'turns', got {kind}{hint}", line)]
        )
    try:
        transcript = Transcript.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, name, {})
        raise FileProblems([Problem(p.file, p.message, line, p.field) for p in problems]) from None
    return check_gradable(transcript, name, line)


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:  # json would keep the last silently: refuse instead
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _loads(text: str, name: str, line: int | None = None) -> object:
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Windows editors write it
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        key = json.dumps(exc.args[0])
        second = text.find(key, text.find(key) + 1)  # the line of the repeat, when spelt so
        at = line if line is not None else (text.count("\n", 0, second) + 1 if second > 0 else None)
        raise FileProblems(
            [Problem(name, f"invalid JSON: key {key} appears twice in one object", at)]
        ) from None
    except json.JSONDecodeError as exc:
        at = exc.lineno if line is None else line
        raise FileProblems(
            [Problem(name, f"invalid JSON: {exc.msg} (column {exc.colno})", at)]
        ) from None
    except (RecursionError, ValueError) as exc:
        raise FileProblems([Problem(name, f"invalid JSON: {exc}", line)]) from None


def parse_json(text: str, name: str = "<json>") -> Transcript:
    """One transcript in the JSON transcript format."""
    return transcript_from_data(_loads(text, name), name)


def parse_jsonl(text: str, name: str = "<jsonl>") -> tuple[list[LoadedTranscript], list[Problem]]:
    """One transcript per line; blank lines are skipped. Returns the good ones and, for
    each bad line, its problems (so one bad line does not hide a thousand good ones)."""
    loaded: list[LoadedTranscript] = []
    problems: list[Problem] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            transcript = transcript_from_data(_loads(raw, name, n), name, n)
        except FileProblems as exc:
            problems += exc.problems
            continue
        loaded.append(LoadedTranscript(f"{name}:{n}", transcript))
    if not loaded and not problems:
        problems.append(Problem(name, "no transcripts: the file is empty"))
    return loaded, problems


def parse_plain_text(text: str, name: str = "<text>") -> Transcript:
    """A conversation pasted as ``Customer:`` / ``Agent:`` lines."""
    turns: list[tuple[str, int, list[str]]] = []  # role, line, text lines
    headers: dict[str, str] = {}
    for n, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            if turns:
                turns[-1][2].append("")
            continue
        m = None if raw[:1].isspace() else _LABEL_LINE.match(line)
        if m and not turns and m["label"].lower() in HEADERS:
            _header(headers, m["label"].lower(), m["text"].strip(), name, n)
            continue
        if m:
            role = speaker_role(m["label"])
            if role is None:
                where = (
                    (
                        "before the first turn, a header: "
                        + ", ".join(f"{h.capitalize()}:" for h in HEADERS)
                        + "; "
                    )
                    if not turns
                    else ""
                )
                raise FileProblems(
                    [
                        Problem(
                            name,
                            f"unknown speaker label {m['label']!r}; "
                            "use Customer: or Agent: (or a known alias, see "
                            f"docs/rubrics.md); {where}indent the line if it "
                            "continues the turn above",
                            n,
                        )
                    ]
                )
            turns.append((role, n, [m["text"].strip()]))
        elif not turns:
            raise FileProblems(
                [
                    Problem(
                        name,
                        "text before the first speaker label; each turn "
                        "starts with 'Customer:' or 'Agent:'",
                        n,
                    )
                ]
            )
        else:
            turns[-1][2].append(line.strip())
    if not turns:
        raise FileProblems([Problem(name, "no turns: the text is empty")])
    out: list[TranscriptTurn] = []
    for role, n, parts in turns:
        body = "\n".join(parts).strip()
        body = re.sub(r"\n{2,}", "\n\n", body)
        if not body:
            raise FileProblems([Problem(name, f"empty {role} turn", n)])
        if len(body) > MAX_TURN_CHARS:
            raise FileProblems(
                [
                    Problem(
                        name,
                        f"{role} turn is {len(body)} characters; the limit is {MAX_TURN_CHARS}",
                        n,
                    )
                ]
            )
        out.append(TranscriptTurn(role=role, text=body))
    fields: dict = {HEADERS[k]: v for k, v in headers.items()}
    if "persona" in fields:
        fields["persona"] = PersonaRef(id=fields["persona"], hash=UNKNOWN_HASH)
    if "language" not in fields:  # the text says nothing: read it from the words
        fields["language"] = _detected(out, name)
    return check_gradable(Transcript(turns=out, **fields), name)


def _detected(turns: list[TranscriptTurn], name: str) -> str:
    """The language of a plain-text conversation, from its turns (the agent's first: they
    are what is graded); a clear error when no pack's script is in it."""
    agent = "\n".join(t.text for t in turns if t.role == "agent")
    everyone = "\n".join(t.text for t in turns)
    guess = guess_language(agent)
    if guess.language is None:
        guess = guess_language(everyone)
    if guess.language is None:
        known = ", ".join(p.language for p in available_languages())
        raise FileProblems(
            [
                Problem(
                    name,
                    "cannot tell which language the conversation is in: it has no letters "
                    f"of a script any language pack reads (packs: {known}); if a pack "
                    "covers it, say so with a 'Language: xx' header before the first turn",
                    1,
                    "language",
                )
            ]
        )
    return guess.language


def _header(headers: dict[str, str], key: str, value: str, name: str, line: int) -> None:
    """Record one header line, refusing a repeated, empty or impossible one."""
    if key in headers:
        raise FileProblems([Problem(name, "header given twice", line, key)])
    if not value:
        raise FileProblems([Problem(name, "header has no value", line, key)])
    if key == "mode":
        value = value.lower()
        if value not in MODES:
            raise FileProblems(
                [Problem(name, f"must be {' or '.join(MODES)} (got {value!r})", line, key)]
            )
    if key == "language" and not CODE.match(value):
        raise FileProblems(
            [
                Problem(
                    name, f"must be a language code such as es or pt-BR (got {value!r})", line, key
                )
            ]
        )
    if len(value) > 200:
        raise FileProblems(
            [Problem(name, f"header is {len(value)} characters; the limit is 200", line, key)]
        )
    headers[key] = value


def _looks_like(text: str) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("{"):
        return "text"
    lines = [ln for ln in stripped.splitlines() if ln.strip()]
    # A JSONL file has a whole object on each line; a JSON file spreads one over lines.
    if len(lines) > 1 and all(
        ln.lstrip().startswith("{") and ln.rstrip().endswith("}") for ln in lines
    ):
        return "jsonl"
    return "json"


def parse_text(
    text: str, name: str, kind: str | None = None
) -> tuple[list[LoadedTranscript], list[Problem]]:
    """Parse text of a given ``kind`` ('json', 'jsonl', 'text'; None: guess from content)."""
    kind = kind or _looks_like(text)
    if kind == "jsonl":
        return parse_jsonl(text, name)
    try:
        transcript = parse_json(text, name) if kind == "json" else parse_plain_text(text, name)
    except FileProblems as exc:
        return [], exc.problems
    return [LoadedTranscript(name, transcript)], []


def _kind_for(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix)


def _read_jsonl(path: Path) -> str:
    # Decoded line by line, so a bad byte is reported with the line it is on.
    name = str(path)
    data = read_bytes(path, MAX_JSONL_BYTES)
    lines = []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        if len(raw) > MAX_JSONL_LINE_BYTES:
            raise FileProblems(
                [Problem(name, f"line is {len(raw)} bytes; the limit is {MAX_JSONL_LINE_BYTES}", n)]
            )
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise FileProblems(
                [Problem(name, f"not UTF-8 text (byte {exc.start} of the line)", n)]
            ) from None
    return "\n".join(lines)


def load_file(path: Path) -> tuple[list[LoadedTranscript], list[Problem]]:
    """Every transcript in one file, and the problems of the parts that could not be read."""
    kind = _kind_for(path)
    try:
        text = _read_jsonl(path) if kind == "jsonl" else read_text(path)
    except FileProblems as exc:
        return [], exc.problems
    return parse_text(text, str(path), kind)


def transcript_files(folder: Path) -> list[Path]:
    """The transcript files under a folder (recursively; hidden ones skipped), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in TRANSCRIPT_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def parse_transcripts(*paths: Path) -> tuple[list[LoadedTranscript], list[Problem]]:
    """Load files and folders of transcripts; bad ones become problems, never exceptions."""
    loaded: list[LoadedTranscript] = []
    problems: list[Problem] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = transcript_files(path)
            if not files:
                problems.append(
                    Problem(
                        str(path), "no transcript files (*.json, *.jsonl, *.txt) in this folder"
                    )
                )
        elif path.exists():
            files = [path]
        else:
            problems.append(Problem(str(path), "no such file or folder"))
            continue
        for f in files:
            good, bad = load_file(f)
            loaded += good
            problems += bad
    return loaded, problems


def load_transcripts(*paths: Path) -> list[LoadedTranscript]:
    """Like :func:`parse_transcripts` but strict: any problem raises :class:`FileProblems`."""
    loaded, problems = parse_transcripts(*paths)
    if problems:
        raise FileProblems(problems)
    return loaded
