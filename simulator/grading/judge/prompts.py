"""The judge's prompts: the ``judge`` section of the prompt file (with the transcript's
language pack's wording over it), the numbered transcript
the judge reads, the JSON answer it must give, and the hashes that name them in a record.

The transcript is data inside a ``<transcript>`` wrapper in a user message; tag look-alikes
in it are defused (:func:`simulator.llm.prompt_file.defuse`).
"""

from __future__ import annotations

import json
from string import Template

from pydantic import field_validator

from ...languages import prompt_overlays
from ...llm.backend import Message
from ...llm.prompt_file import PromptSection, defuse, load_section, placeholders, sha256
from ...transcript import Transcript
from .verdicts import JudgeQuestion

ANSWER_SCHEMA = {
    "title": "judge_verdict",
    "type": "object",
    "properties": {
        "reasoning": {"type": "string"},
        "verdict": {"type": "string", "enum": ["yes", "no", "na"]},
        "turn": {"type": ["integer", "null"]},
        "quote": {"type": ["string", "null"]},
    },
    "required": ["reasoning", "verdict", "turn", "quote"],
    "additionalProperties": False,
}


def all_answers_schema(ids: list[str]) -> dict:
    """The JSON Schema of one answer to every question (``ids``) at once."""
    item = {
        "type": "object",
        "properties": {"id": {"type": "string", "enum": ids}, **ANSWER_SCHEMA["properties"]},
        "required": ["id", *ANSWER_SCHEMA["required"]],
        "additionalProperties": False,
    }
    return {
        "title": "judge_verdicts",
        "type": "object",
        "properties": {"answers": {"type": "array", "items": item}},
        "required": ["answers"],
        "additionalProperties": False,
    }


class JudgePrompts(PromptSection):
    """The ``judge`` section of the prompt file."""

    system: str
    user: str
    user_all: str

    _system = field_validator("system")(placeholders(set()))
    _user = field_validator("user")(placeholders({"question", "domain", "transcript"}))
    _user_all = field_validator("user_all")(placeholders({"questions", "transcript"}))


def judge_prompts(language: str | None = None) -> JudgePrompts:
    """The ``judge`` section of the prompt file in use, with the ``language`` pack's own
    wording (its ``prompts.yaml``) over it, field by field."""
    return load_section("judge", JudgePrompts, overlays=prompt_overlays(language))


def render_transcript(transcript: Transcript) -> str:
    """Numbered turns, as the judge reads them; the numbers are indexes in ``turns``."""
    return "\n".join(
        f"[{i}] {t.role.upper()}: {defuse(t.text)}" for i, t in enumerate(transcript.turns)
    )


def judge_messages(
    transcript: Transcript, question: JudgeQuestion, prompts: JudgePrompts | None = None
) -> list[Message]:
    p = prompts or judge_prompts(transcript.language)
    user = Template(p.user).substitute(
        question=question.question,
        domain=question.domain or "(none)",
        transcript=render_transcript(transcript),
    )
    return [
        {"role": "system", "content": p.system.strip()},
        {"role": "user", "content": user.strip()},
    ]


def judge_all_messages(
    transcript: Transcript, questions: list[JudgeQuestion], prompts: JudgePrompts | None = None
) -> list[Message]:
    """One request asking every question: the transcript first (the same text as each
    single question's request starts with), then the questions with their ids."""
    p = prompts or judge_prompts(transcript.language)
    listed = "\n\n".join(
        f"[{q.id}] Question: {q.question}\nGuidance: {q.domain or '(none)'}" for q in questions
    )
    user = Template(p.user_all).substitute(
        questions=listed, transcript=render_transcript(transcript)
    )
    return [
        {"role": "system", "content": p.system.strip()},
        {"role": "user", "content": user.strip()},
    ]


def prompt_hash(prompts: JudgePrompts | None = None) -> str:
    """sha256 of everything fixed in a judge request: templates and answer schema."""
    p = prompts or judge_prompts()
    return sha256(
        json.dumps(
            {"system": p.system, "user": p.user, "user_all": p.user_all, "schema": ANSWER_SCHEMA},
            sort_keys=True,
            ensure_ascii=False,
        )
    )


def questions_hash(questions: list[JudgeQuestion]) -> str:
    return sha256(
        json.dumps([q.model_dump() for q in questions], sort_keys=True, ensure_ascii=False)
    )
