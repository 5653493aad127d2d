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
from ..languages.catalogue import Texts
from ..persona.loader import parse_persona
from ..persona.model import Persona
from ..persona.name_check import replace_name
from ..yaml_roundtrip import set_fields
from ..yamlfile import dump_yaml, parse_yaml

EDITOR_NAME = "editor"
PERSONA_FILE_MODE = 0o644  # as a checkout's shipped persona files
ENGLISH = Texts("en")  # the words before a page's language is known

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


def located(line: int | None, field: str, t: Texts) -> str:
    """'line 4 · <b>field</b>' in ``t``'s language (the field is the file's own name)."""
    where = escape(t("designer.line", line=line)) if line else ""
    return f"{where}<b>{escape(field or t('designer.file'))}</b>"


def problems_html(problems: list[Problem], ok: str = "", t: Texts = ENGLISH) -> str:
    """Problems as a list naming line and field; or a green line when there are none."""
    if not problems:
        return (
            f'<div id="fl-problems" data-count="0"><span class="fl-ok">✓ {escape(ok)}</span></div>'
        )
    items = "".join(
        f'<li data-field="{escape(p.field)}">{located(p.line, p.field, t)}: '
        f"{escape(p.message)}</li>"
        for p in problems
    )
    heading = escape(t("designer.problems", count=len(problems)))
    return (
        f'<div id="fl-problems" data-count="{len(problems)}"><b>{heading}</b><ul>{items}</ul></div>'
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


def rename_offer(text: str, renamed_from: str | None, t: Texts = ENGLISH) -> list:
    """The rename button and its state: shown while the former name is still written in
    the file under the new name; hidden (and forgotten) otherwise."""
    new = form_name(text)
    if not renamed_from or not new or renamed_from == new:
        return [gr.Button(visible=False), None]
    count = replace_name(text, renamed_from, new)[1]
    if count == 0:
        return [gr.Button(visible=False), renamed_from]
    return [
        gr.Button(t("designer.rename", old=renamed_from, new=new, count=count), visible=True),
        renamed_from,
    ]


def apply_form(text: str, values: list[Any], t: Texts = ENGLISH) -> str:
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
        where = t("designer.at_line", line=first.line) if first.line else ""
        raise gr.Error(t("designer.form_broken", where=where, problem=first.message)) from None


def file_text(text: str) -> str:
    """The persona file's text as saved and downloaded: ending in one newline (the editor
    may hand over its text without it), so the two copies are the same bytes."""
    return text if text.endswith("\n") else text + "\n"


def write_persona(folder: Path, persona: Persona, text: str, known: dict[str, Path]) -> Path:
    """Save into the personas folder as ``<id>.yaml``, atomically, never over another id."""
    target = folder / f"{persona.id}.yaml"
    other = known.get(persona.id)
    if other is not None and other.resolve() != target.resolve():
        raise FrontlineError(f"persona id {persona.id!r} is already used by {other.name}")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".persona-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(file_text(text))
    # mkstemp makes 0600; a persona is shared content like the shipped files (0644), and the
    # server, the CLI and other trainers' tools must all read it.
    os.chmod(tmp, PERSONA_FILE_MODE)
    os.replace(tmp, target)
    return target
