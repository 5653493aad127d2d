"""Editing persona files as text or through a form: validation with problems by line and
field, archetype templates, the form's fields, and saving into the personas folder. Pure
functions, so the designer page stays thin and these are tested without a server."""

from __future__ import annotations

import os
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import FileProblems, FrontlineError, Problem
from ..persona.loader import parse_persona
from ..persona.model import Persona
from ..persona.name_check import replace_name
from ..yaml_roundtrip import set_fields
from ..yamlfile import dump_yaml, parse_yaml

EDITOR_NAME = "editor"
PERSONA_FILE_MODE = 0o644  # as a checkout's shipped persona files

# Form field → path in the persona file. The form edits the common fields; the YAML editor
# edits everything.
FORM_FIELDS: list[tuple[str, tuple[str, ...]]] = [
    ("id", ("id",)),
    ("summary", ("summary",)),
    ("archetype", ("archetype",)),
    ("temperament", ("temperament",)),
    ("difficulty", ("difficulty",)),
    ("name", ("identity", "name")),
    ("company", ("identity", "company")),
    ("title", ("case", "title")),
    ("anger", ("start", "anger")),
    ("trust", ("start", "trust")),
    ("patience", ("start", "patience")),
    ("max_turns", ("max_turns",)),
]


def problems_html(problems: list[Problem], ok: str = "") -> str:
    """Problems as a list naming line and field; or a green line when there are none."""
    if not problems:
        return (
            f'<div id="fl-problems" data-count="0"><span class="fl-ok">✓ {escape(ok)}</span></div>'
        )
    items = "".join(
        f'<li data-field="{escape(p.field)}">'
        f"{'line ' + str(p.line) + ' · ' if p.line else ''}<b>{escape(p.field or 'file')}</b>: "
        f"{escape(p.message)}</li>"
        for p in problems
    )
    return (
        f'<div id="fl-problems" data-count="{len(problems)}"><b>{len(problems)} '
        f"problem{'s' if len(problems) != 1 else ''}</b><ul>{items}</ul></div>"
    )


def validate_text(text: str) -> tuple[Persona | None, list[Problem]]:
    """The persona, or the problems that stop it, for YAML held in the editor."""
    try:
        return parse_persona(text or "", EDITOR_NAME), []
    except FileProblems as exc:
        return None, exc.problems


def template_for(archetype: str, personas: list[Persona]) -> str:
    """A new persona's YAML: a shipped persona of that archetype, renamed, as a start."""
    same = [p for p in personas if p.archetype.value == archetype]
    if not (same or personas):
        raise FrontlineError("there is no persona in the personas folder to start from")
    base = (same or personas)[0]
    data = base.model_dump(mode="json", exclude_defaults=False)
    data["id"] = f"new-{archetype.replace('_', '-')}"
    data["archetype"] = archetype
    data["summary"] = f"(Describe this {archetype.replace('_', ' ')} customer in one line.)"
    data["identity"]["name"] = "New Customer"
    header = (
        f"# A new {archetype.replace('_', ' ')} persona, started from {base.id}.\n"
        "# Change the identity, the case and the phrases; errors show below as you type.\n"
    )
    return header + dump_yaml(data)


def form_values(text: str) -> list[Any]:
    """The form fields' values read from YAML text (blank where absent or unreadable)."""
    try:  # the bounded reader: a trainer's draft may be an alias bomb
        data, _ = parse_yaml(text or "", "persona")
    except FileProblems:
        data = None
    values = []
    for _, path in FORM_FIELDS:
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        values.append(node)
    return values


def form_name(text: str) -> str | None:
    """The customer's name (``identity.name``) in YAML text, if it has one."""
    value = form_values(text)[[n for n, _ in FORM_FIELDS].index("name")]
    return value.strip() if isinstance(value, str) and value.strip() else None


def rename_offer(text: str, renamed_from: str | None) -> list:
    """The rename button and its state: shown while the former name is still written in
    the file under the new name; hidden (and forgotten) otherwise."""
    new = form_name(text)
    if not renamed_from or not new or renamed_from == new:
        return [gr.Button(visible=False), None]
    count = replace_name(text, renamed_from, new)[1]
    if count == 0:
        return [gr.Button(visible=False), renamed_from]
    return [
        gr.Button(
            f"Replace the former name “{renamed_from}” with “{new}” across the file "
            f"({count} place{'s' if count != 1 else ''})",
            visible=True,
        ),
        renamed_from,
    ]


def apply_form(text: str, values: list[Any]) -> str:
    """The YAML with the form's values written in; every other line, comments included,
    is kept as it was (a round-trip edit, see :mod:`simulator.yaml_roundtrip`)."""
    changes = []
    for (_, path), value in zip(FORM_FIELDS, values, strict=True):
        if value is None or value == "":
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        changes.append((path, value))
    try:
        return set_fields(text or "", changes, EDITOR_NAME)
    except FileProblems as exc:
        first = exc.problems[0]
        where = f" (line {first.line})" if first.line else ""
        raise gr.Error(
            f"Fix the YAML first: the form cannot be applied to it{where}: {first.message}."
        ) from None


def write_persona(folder: Path, persona: Persona, text: str, known: dict[str, Path]) -> Path:
    """Save into the personas folder as ``<id>.yaml``, atomically, never over another id."""
    target = folder / f"{persona.id}.yaml"
    other = known.get(persona.id)
    if other is not None and other.resolve() != target.resolve():
        raise FrontlineError(f"persona id {persona.id!r} is already used by {other.name}")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".persona-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    # mkstemp makes 0600; a persona is shared content like the shipped files (0644), and the
    # server, the CLI and other trainers' tools must all read it.
    os.chmod(tmp, PERSONA_FILE_MODE)
    os.replace(tmp, target)
    return target
