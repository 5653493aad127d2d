"""The exam file format: what a certification run grades against.

An exam fixes everything that decides a candidate's result: the rubric, the personas a
candidate must face, the pass mark, how many attempts count, the mode the sessions must
have been run in, and whether the LLM judge takes part. Exams live in
``rubrics/exams/*.yaml`` and are validated like every other file (file:line: field).
The JSON Schema ``simulator/schemas/exam.schema.json`` is generated from these models.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import config
from ..library import FileLibrary
from ..yamlfile import load_model, parse_model

# 2: per-language titles (``languages``); files of version 1 still load.
EXAM_SCHEMA_VERSION = 2

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Score = Annotated[float, Field(ge=0, le=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JudgeSettings(Strict):
    """Whether and how the LLM judge takes part in the exam."""

    participation: Literal["none", "optional", "required"] = Field(
        "optional",
        description="'none': rule grading only, --judge is refused; 'optional': "
        "the judge runs when the run asks for it (--judge); 'required': every run uses it.",
    )
    samples: int = Field(
        1,
        ge=1,
        le=9,
        description="Judge calls per question; the verdict "
        "is the majority, and a split vote goes to human review.",
    )
    concurrency: int = Field(8, ge=1, le=256, description="Judge calls in flight at once.")
    max_attempts: int = Field(
        4,
        ge=1,
        le=10,
        description="Tries per call before the transcript is marked for human review.",
    )


class ExamTexts(Strict):
    """The exam's title and description in one language (certificates and reports)."""

    title: str = Field(min_length=1, max_length=120)
    description: str = ""


class Exam(Strict):
    """A certification exam."""

    schema_version: Literal[1, 2] = Field(
        description="Version of this file format: 2 when it has titles in other languages."
    )
    id: Slug
    title: str = Field(min_length=1, max_length=120)
    description: str = ""
    domain: list[str] = Field(
        default_factory=list,
        description="docs/domain.md sections the exam certifies, e.g. '§3.1 four stages'.",
    )
    rubric: str = Field(
        min_length=1, description="Id of the rubric every transcript is graded with."
    )
    personas: list[Slug] = Field(
        min_length=1,
        description="Personas a candidate must face; "
        "a transcript with another persona does not count.",
    )
    pass_mark: Score = Field(
        description="Each persona's best counted attempt must score at least this (0-100)."
    )
    attempts: int = Field(
        1,
        ge=1,
        le=20,
        description="Attempts per persona that count, "
        "oldest first; later ones are listed but ignored.",
    )
    mode: Literal["exam", "training", "any"] = Field(
        "exam",
        description="Mode the sessions must have run in ('exam' = no coaching). A "
        "transcript without a recorded mode (an imported conversation) is accepted.",
    )
    judge: JudgeSettings = JudgeSettings()
    languages: dict[Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")], ExamTexts] = Field(
        default_factory=dict,
        description="The title and description in other languages, by language code.",
    )

    @field_validator("domain")
    @classmethod
    def _cites_domain(cls, values: list[str]) -> list[str]:
        for v in values:
            if not re.match(r"^§\d+(\.\d+)?\b", v):
                raise ValueError(f"{v!r} should start with a DOMAIN section such as '§3.1'")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> Exam:
        dup = {p for p in self.personas if self.personas.count(p) > 1}
        if dup:
            raise ValueError(f"persona listed twice: {', '.join(sorted(dup))}")
        if self.languages and self.schema_version < 2:
            raise ValueError("'languages' needs schema_version: 2")
        return self

    def texts(self, language: str | None) -> ExamTexts:
        """The title and description a reader of ``language`` sees (the base's when the
        exam has none in it; ``pt-BR`` reads ``pt``'s)."""
        for code in (language, (language or "").split("-")[0]):
            if code and code in self.languages:
                return self.languages[code]
        return ExamTexts(title=self.title, description=self.description)

    def uses_judge(self, asked: bool) -> bool:
        """Whether a run uses the judge, given whether the user asked (``--judge``)."""
        return self.judge.participation == "required" or (
            asked and self.judge.participation == "optional"
        )

    def content_hash(self) -> str:
        """A stable hash of everything in the exam, for result stamps."""
        # The titles in other languages change no result.
        data = self.model_dump(mode="json", exclude={"languages"})
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def load_exam(path: Path) -> Exam:
    """Load one exam file; raise :class:`FileProblems` naming file, line and field."""
    return load_model(Exam, path)


def parse_exam(text: str, name: str = "<exam>") -> Exam:
    """Validate exam YAML held in memory."""
    return parse_model(Exam, text, name)


class ExamLibrary(FileLibrary[Exam]):
    """All exam files in one folder, loaded once. Broken files are kept as problems."""

    def __init__(self, folder: Path | None = None):
        super().__init__(Exam, "exam", folder or config.exams_dir())

    @property
    def exams(self) -> dict[str, Exam]:
        """Every loaded exam by id."""
        return self.items


def resolve_exam(ref: str, library: ExamLibrary | None = None) -> tuple[Exam, Path]:
    """An exam by id (from the exams folder) or by the path of a YAML file (CLI use)."""
    path = Path(ref)
    if ref.endswith((".yaml", ".yml")) or path.is_file():
        return load_exam(path), path
    library = library or ExamLibrary()
    exam = library.get(ref)
    return exam, library.paths[exam.id]
