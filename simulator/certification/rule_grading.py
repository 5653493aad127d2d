"""The rule grader as a certification run uses it: text in, stored record out.

:class:`TranscriptGrader` is a small picklable object (rubric + grader version), so the
run can ship it once to each worker process. It parses a transcript, grades it with
:func:`simulator.grading.grader.grade` and returns the record the results store keeps:
the scorecard plus what the exam needs to place the attempt (candidate, persona, mode,
time). A transcript that cannot be read gives a *malformed* record with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from ..errors import FileProblems, FrontlineError, Problem
from ..grading.grader import GRADER_VERSION, grade
from ..grading.rubric import Rubric
from ..grading.transcript_input import parse_text
from ..transcript import Transcript
from .results_store import GRADED, MALFORMED

_JSONL_LINE = re.compile(r"\.(jsonl|ndjson):\d+$", re.I)


def kind_for(name: str) -> str | None:
    """How to read a source: 'json' (files, JSONL lines, sessions), 'text', or None: guess."""
    if _JSONL_LINE.search(name) or name.startswith("session:"):
        return "json"
    suffix = PurePath(name).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".txt", ".text", ".md"):
        return "text"
    return None


def parse_transcript(text: str, name: str) -> Transcript:
    """Read one transcript with the grading package's parser; :class:`FileProblems` if bad."""
    loaded, problems = parse_text(text, name, kind_for(name))
    if problems:
        raise FileProblems(problems)
    if len(loaded) != 1:
        raise FileProblems([Problem(name, f"holds {len(loaded)} transcripts; one was expected")])
    return loaded[0].transcript


def candidate_of(transcript: Transcript, name: str) -> str:
    """Who the candidate is: the transcript's ``candidate``, else the file's stem (with
    the line number for a line of a JSONL file: each line is someone else)."""
    if transcript.candidate:
        return transcript.candidate
    line = _JSONL_LINE.search(name)
    if line:
        return f"{PurePath(name[: line.start()]).name}:{name.rsplit(':', 1)[1]}"
    return PurePath(name).stem


@dataclass(frozen=True)
class TranscriptGrader:
    """Parse and rule-grade one transcript's text. Picklable; safe in worker processes."""

    rubric: Rubric

    @property
    def version(self) -> str:
        return GRADER_VERSION

    def __call__(self, name: str, text: str) -> tuple[str, dict]:
        try:
            transcript = parse_transcript(text, name)
        except FrontlineError as exc:
            return MALFORMED, {"error": str(exc)}
        except (ValueError, RecursionError) as exc:  # anything a parser lets slip
            return MALFORMED, {"error": f"{name}: {exc}"}
        try:
            card = grade(transcript, self.rubric)
        except Exception as exc:  # noqa: BLE001 - one transcript must not stop a cohort
            return MALFORMED, {
                "error": f"{name}: could not be graded ({type(exc).__name__}: {exc})"
            }
        record = card.model_dump(mode="json")
        record.update(
            {
                "candidate": candidate_of(transcript, name),
                "persona_hash": transcript.persona.hash if transcript.persona else None,
                "mode": transcript.mode,
                "created": transcript.created,
                "score": card.overall,
                "level": card.level_label,
            }
        )
        return GRADED, record
