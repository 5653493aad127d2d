"""The committed JSON Schemas match the models, are valid, and accept the real files."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from conftest import FIXTURE_PERSONAS, ROOT

from simulator.customer.effects import EFFECTS_FILE
from simulator.languages import SHIPPED_DIR
from simulator.schema_export import SCHEMAS, SCHEMAS_DIR, stale_schemas, write_schemas


def schema(filename: str) -> dict:
    return json.loads((SCHEMAS_DIR / filename).read_text(encoding="utf-8"))


def test_committed_schemas_match_the_models():
    stale = stale_schemas()
    assert not stale, f"run `frontline export-schemas` and commit: {[p.name for p in stale]}"


@pytest.mark.parametrize("filename", [f for f, _ in SCHEMAS])
def test_each_schema_is_a_valid_json_schema(filename):
    jsonschema.Draft202012Validator.check_schema(schema(filename))


def test_drift_is_detected_and_repaired(tmp_path):
    assert {p.name for p in write_schemas(tmp_path)} == {f for f, _ in SCHEMAS}
    assert stale_schemas(tmp_path) == []
    first = tmp_path / SCHEMAS[0][0]
    first.write_text(first.read_text().replace('"title"', '"titel"', 1))
    (tmp_path / SCHEMAS[1][0]).unlink()
    assert stale_schemas(tmp_path) == [first, tmp_path / SCHEMAS[1][0]]
    assert write_schemas(tmp_path) == [first, tmp_path / SCHEMAS[1][0]]
    assert stale_schemas(tmp_path) == []


def test_check_command_passes_on_the_committed_schemas(cli):
    result = cli("export-schemas", "--check")
    assert (result.returncode, result.stdout) == (0, f"{len(SCHEMAS)} schemas up to date\n")


def test_persona_files_match_the_persona_schema():
    for path in FIXTURE_PERSONAS.glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema("persona.schema.json"))


def test_the_schema_rejects_what_the_model_rejects():
    data = yaml.safe_load(next(FIXTURE_PERSONAS.glob("*.yaml")).read_text())
    data["mood"] = "grumpy"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema("persona.schema.json"))


def test_shipped_data_files_match_their_schemas():
    jsonschema.validate(yaml.safe_load(EFFECTS_FILE.read_text()), schema("effects.schema.json"))
    for path in SHIPPED_DIR.glob("*/moves.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema("move-patterns.schema.json"))
    packs = sorted(SHIPPED_DIR.glob("*/pack.yaml"))
    assert len(packs) >= 6
    for path in packs:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema("language-pack.schema.json"))


SCHEMA_COMMENT = re.compile(r"^# yaml-language-server: \$schema=(\S+)", re.MULTILINE)
SHIPPED_YAML = sorted(
    p
    for folder in ("personas", "rubrics", "simulator")
    for p in (ROOT / folder).rglob("*.yaml")
    if SCHEMA_COMMENT.search(p.read_text(encoding="utf-8"))
)


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_files_match_the_schema_their_editor_comment_names(path):
    text = path.read_text(encoding="utf-8")
    target = (path.parent / SCHEMA_COMMENT.search(text).group(1)).resolve()
    assert target.parent == SCHEMAS_DIR and target.is_file(), f"no schema {target}"
    jsonschema.validate(yaml.safe_load(text), json.loads(target.read_text(encoding="utf-8")))


def test_the_reaction_rules_validate_against_their_schema():
    from simulator.customer.decisions import DECISIONS_FILE

    jsonschema.validate(yaml.safe_load(DECISIONS_FILE.read_text()), schema("decisions.schema.json"))
