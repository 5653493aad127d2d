"""The labelled corpus of agent turns (``corpus/<lang>.jsonl``): its row model and loader.

Each line is one agent turn with every move it performs and the words that show it
(see ``corpus/README.md``). The loader checks what a careless edit breaks — bad JSON, a
quote that is not in the text, an unknown move, a duplicated id or text, a bad style —
and reports every problem as ``file:line: field: message``, never a traceback.
The train/dev/test split is a pure function of the id (:func:`split_of`), never stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ..errors import FileProblems, Problem
from .vocabulary import Move

# The repository's corpus folder (the package is installed editable from the repo).
CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"
LANGUAGES = ("en", "es", "ru", "zh", "bg", "pt")
Split = Literal["train", "dev", "test"]
SPLITS: tuple[Split, ...] = ("train", "dev", "test")
# A corrupt or hostile file stops being read after this many problems or this size.
MAX_PROBLEMS = 50
MAX_LINE_CHARS = 10_000
NEAR_MISS = re.compile(r"near miss of ([a-z_]+): ")
# The last turn of each language when the rules were written: the rules were tuned on the
# train and dev turns up to these ids, so only the turns after them (written later, by people
# who had not seen the rules) show how the rules do on what they were not fitted to
# (corpus/README.md, "Fresh turns"). Raise an entry only when the rules are tuned on newer turns.
RULES_WRITTEN_AGAINST = {"en": 775, "es": 796, "ru": 794, "zh": 800, "bg": 962, "pt": 830}
# The first turn of each language's newest batch (corpus/README.md, "The newest batch"): its
# test turns are read once, for the figures a session reports, and never while choosing
# between variants of the reader, so they stay an unspent measurement. Move these ids on
# when a new batch is written.
# Earlier batches, for the record: the first of December 2026 began at en-1406, es-1419,
# ru-1375, zh-1399, bg-1474, pt-1481, the second (weighted to violations) at en-1768,
# es-1798, ru-1750, zh-1756, bg-1829, pt-1837 (docs/moves.md, "Lexical cues and the newest
# batch").
NEWEST_BATCH_FROM = {"en": 2206, "es": 2305, "ru": 2193, "zh": 2160, "bg": 2312, "pt": 2246}


# The corpus' labels: the reader's moves (``inform`` and ``set_boundary`` joined them once the
# corpus had them labelled). NOT_YET names labels the corpus carries before the reader has
# them as moves; the quality report lists those apart.
NOT_YET: dict[str, str] = {}
Label = StrEnum("Label", {**{m.name: m.value for m in Move}, **NOT_YET})


_LABEL_VALUES = frozenset(label.value for label in Label)


def not_in_vocabulary() -> list[Label]:
    """The labels the reader's :class:`Move` vocabulary does not have yet."""
    known = {m.value for m in Move}
    return [label for label in Label if label.value not in known]


class CorpusLabel(BaseModel):
    """One move a turn performs, with the exact words of the turn that show it."""

    model_config = ConfigDict(extra="forbid")

    move: Label
    quote: str = Field(min_length=1, description="An exact substring of the turn's text.")


class CorpusTurn(BaseModel):
    """One labelled agent turn: a line of ``corpus/<lang>.jsonl``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        pattern=r"^(en|es|ru|zh|bg|pt)-[0-9]{4,}$",
        description="'<lang>-NNNN', unique and never reused; fixes the split.",
    )
    text: str = Field(min_length=1, max_length=2000, description="One agent turn.")
    labels: list[CorpusLabel] = Field(description="Every move the turn performs (may be empty).")
    style: Literal["formal", "informal", "chat"]
    note: str = Field(
        "",
        description="Empty, or why a label is a judgement call; a near "
        "miss starts 'near miss of <move>: '.",
    )

    @field_validator("labels")
    @classmethod
    def _quotes_in_text(cls, labels: list[CorpusLabel], info: ValidationInfo):
        text = info.data.get("text")
        for i, label in enumerate(labels):
            if text is not None and label.quote not in text:
                raise ValueError(f"labels[{i}].quote {label.quote!r} is not a substring of text")
        return labels

    @field_validator("note")
    @classmethod
    def _near_miss_names_a_label(cls, note: str) -> str:
        if note.startswith("near miss"):
            m = NEAR_MISS.match(note)
            if not m or m.group(1) not in _LABEL_VALUES:
                raise ValueError(
                    "a near miss note must start 'near miss of <move>: ' with one of the 26 labels"
                )
        return note

    @property
    def language(self) -> str:
        """The language code, from the id."""
        return self.id.split("-", 1)[0]

    @property
    def split(self) -> Split:
        """Which split the turn belongs to (fixed by its id)."""
        return split_of(self.id)

    @property
    def unseen_by_rules(self) -> bool:
        """Whether the turn was written after the rules were tuned
        (:data:`RULES_WRITTEN_AGAINST`)."""
        number = int(self.id.rsplit("-", 1)[1])
        return number > RULES_WRITTEN_AGAINST.get(self.language, -1)

    @property
    def in_newest_batch(self) -> bool:
        """Whether the turn belongs to the newest batch (:data:`NEWEST_BATCH_FROM`)."""
        number = int(self.id.rsplit("-", 1)[1])
        return number >= NEWEST_BATCH_FROM.get(self.language, 10**9)

    @property
    def moves(self) -> set[str]:
        """The labelled moves, as plain strings."""
        return {label.move.value for label in self.labels}

    @property
    def near_miss_of(self) -> str | None:
        """The move this turn is a near miss of (from the note), if any."""
        m = NEAR_MISS.match(self.note)
        return m.group(1) if m else None


def split_of(turn_id: str) -> Split:
    """The split of a turn id: sha256(id) % 10 → 0–6 train, 7 dev, 8–9 test."""
    bucket = int(hashlib.sha256(turn_id.encode("utf-8")).hexdigest(), 16) % 10
    return "train" if bucket <= 6 else "dev" if bucket == 7 else "test"


def _field_of(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(row)"


def _load_file(
    path: Path, language: str, seen_ids: dict[str, str], problems: list[Problem]
) -> list[CorpusTurn]:
    turns: list[CorpusTurn] = []
    seen_texts: dict[str, int] = {}
    name = str(path)
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        problems.append(Problem(name, f"cannot read: {exc.strerror or exc}"))
        return turns
    with handle:
        lineno = 0
        while len(problems) < MAX_PROBLEMS:
            try:
                line = handle.readline(MAX_LINE_CHARS + 1)
            except UnicodeDecodeError as exc:
                problems.append(Problem(name, f"not UTF-8 text ({exc.reason})", lineno + 1))
                break
            if not line:
                break
            lineno += 1
            if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
                problems.append(
                    Problem(name, f"line longer than {MAX_LINE_CHARS} characters", lineno)
                )
                break
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                message = getattr(exc, "msg", "nested too deeply")
                problems.append(Problem(name, f"not valid JSON: {message}", lineno))
                continue
            if not isinstance(raw, dict):
                problems.append(Problem(name, "a row must be a JSON object", lineno))
                continue
            try:
                turn = CorpusTurn.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    msg = err["msg"].removeprefix("Value error, ")
                    problems.append(Problem(name, msg, lineno, _field_of(err)))
                continue
            if turn.language != language:
                problems.append(
                    Problem(name, f"id {turn.id!r} is not a {language!r} id", lineno, "id")
                )
            elif turn.id in seen_ids:
                problems.append(
                    Problem(
                        name,
                        f"duplicate id {turn.id!r} (first at {seen_ids[turn.id]})",
                        lineno,
                        "id",
                    )
                )
            elif turn.text in seen_texts:
                problems.append(
                    Problem(
                        name,
                        f"duplicate text (same as line {seen_texts[turn.text]})",
                        lineno,
                        "text",
                    )
                )
            else:
                seen_ids[turn.id] = f"{name}:{lineno}"
                seen_texts[turn.text] = lineno
                turns.append(turn)
    return turns


def load_corpus(
    folder: Path | str = CORPUS_DIR, languages: list[str] | tuple[str, ...] | None = None
) -> list[CorpusTurn]:
    """Load ``<folder>/<lang>.jsonl`` for each language present (or each one asked for).

    Raises :class:`FileProblems` listing every problem (up to :data:`MAX_PROBLEMS`) if
    any row is bad, or if a language asked for has no file.
    """
    folder = Path(folder)
    problems: list[Problem] = []
    turns: list[CorpusTurn] = []
    seen_ids: dict[str, str] = {}
    wanted = list(languages) if languages is not None else list(LANGUAGES)
    for language in wanted:
        if language not in LANGUAGES:
            problems.append(
                Problem(
                    str(folder),
                    f"unknown corpus language {language!r} (known: {', '.join(LANGUAGES)})",
                )
            )
            continue
        path = folder / f"{language}.jsonl"
        if not path.is_file():
            if languages is not None:
                problems.append(Problem(str(path), "no corpus file for this language"))
            continue
        turns += _load_file(path, language, seen_ids, problems)
    if problems:
        raise FileProblems(problems[:MAX_PROBLEMS])
    return turns


def languages_present(folder: Path | str = CORPUS_DIR) -> list[str]:
    """The languages that have a corpus file in ``folder``, in the usual order."""
    return [lang for lang in LANGUAGES if (Path(folder) / f"{lang}.jsonl").is_file()]
