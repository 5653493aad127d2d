"""JSON Schemas of Frontline's file formats, generated from the pydantic models.

The models are the source of truth; the committed copies in ``simulator/schemas/`` let
editors check files as they are typed (``# yaml-language-server: $schema=...``).
``frontline export-schemas`` rewrites them and ``--check`` (and a test) fails on drift.
To publish another format, add its (file name, model) pair to :data:`SCHEMAS`.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from .certification.exam import Exam
from .customer.decisions import DecisionRules
from .customer.effects import EffectsTable
from .customer.follow_up import FollowUpEffects
from .customer.questions import OpenQuestions
from .customer.shared_triggers import SharedTriggers
from .grading.record_words import RecordWords
from .grading.rubric import Rubric
from .languages import LanguagePack
from .languages.catalogue import UiCatalogue
from .languages.detect import DetectProfile
from .moves.corpus import CorpusTurn
from .moves.detector import MovePatternFile
from .persona.overlay import PersonaFile
from .transcript import Transcript

SCHEMAS_DIR = Path(__file__).parent / "schemas"

SCHEMAS: list[tuple[str, type[BaseModel]]] = [
    ("persona.schema.json", PersonaFile),
    ("transcript.schema.json", Transcript),
    ("effects.schema.json", EffectsTable),
    ("decisions.schema.json", DecisionRules),
    ("follow_up.schema.json", FollowUpEffects),
    ("questions.schema.json", OpenQuestions),
    ("shared-triggers.schema.json", SharedTriggers),
    ("record-words.schema.json", RecordWords),
    ("move-patterns.schema.json", MovePatternFile),
    ("exam.schema.json", Exam),
    ("rubric.schema.json", Rubric),
    ("corpus-turn.schema.json", CorpusTurn),
    ("language-pack.schema.json", LanguagePack),
    ("language-detect.schema.json", DetectProfile),
    ("ui-catalogue.schema.json", UiCatalogue),
]


def schema_text(filename: str, model: type[BaseModel]) -> str:
    """The schema of ``model`` as the text committed in ``filename``."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": filename,
        **model.model_json_schema(),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale_schemas(folder: Path = SCHEMAS_DIR) -> list[Path]:
    """The schema files that are missing or differ from what the models generate."""
    stale = []
    for filename, model in SCHEMAS:
        path = folder / filename
        if not path.is_file() or path.read_text(encoding="utf-8") != schema_text(filename, model):
            stale.append(path)
    return stale


def write_schemas(folder: Path = SCHEMAS_DIR) -> list[Path]:
    """Write every schema; return the files whose content changed."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = stale_schemas(folder)
    for filename, model in SCHEMAS:
        path = folder / filename
        if path in changed:
            path.write_text(schema_text(filename, model), encoding="utf-8")
    return changed
