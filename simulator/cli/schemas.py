"""``frontline export-schemas``: regenerate the JSON Schemas of the file formats."""

from __future__ import annotations

import argparse

from ..schema_export import SCHEMAS, SCHEMAS_DIR, stale_schemas, write_schemas


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-schemas",
        help="write the JSON Schemas of the file formats",
        description=f"Generate JSON Schemas from the models into {SCHEMAS_DIR}.",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a committed schema is missing or stale",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.check:
        stale = stale_schemas()
        for path in stale:
            print(f"{path}: out of date with its model; run `frontline export-schemas`")
        if not stale:
            print(f"{len(SCHEMAS)} schemas up to date")
        return 1 if stale else 0
    changed = write_schemas()
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(SCHEMAS)} schemas, {len(changed)} changed")
    return 0
