"""``frontline personas``: the customers one can practise with, and any broken files."""

from __future__ import annotations

import argparse
import sys

from ..persona.loader import PersonaLibrary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "personas",
        help="list the simulated customers",
        description="List the personas in the personas folder "
        "(FRONTLINE_PERSONAS) and the languages each can be played in "
        "(practice --language L); broken files and language overlays are shown as warnings.",
    )
    p.set_defaults(func=run)


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows as left-aligned columns, the first row being the header."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    library = PersonaLibrary()
    rows = [("ID", "ARCHETYPE", "TEMPERAMENT", "DIFFICULTY", "LANGUAGES", "CASE")]
    for pid in library.ids():
        p = library.personas[pid]
        rows.append(
            (
                p.id,
                p.archetype.value,
                p.temperament.value,
                str(p.difficulty),
                ",".join(p.offered_languages()),
                p.case.title,
            )
        )
    if len(rows) > 1:
        print(table(rows))
    else:
        print(f"No usable personas in {library.folder}.")
    for problem in library.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if library.problems:
        print("(fix them, then check with `frontline validate`)", file=sys.stderr)
    return 0
