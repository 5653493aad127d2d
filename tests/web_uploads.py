"""Transcript files a trainer uploads in the web certification tests, made from tests/gold/.

Two of alice's attempts at the shipped foundation exam's customers (JSON, exam mode) and one
plain-text transcript, bob's, that names no persona (so the report lists it as ineligible).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"
EXAM = "foundation"


def _turns(text: str) -> list[dict]:
    turns = []
    for line in text.splitlines():
        role, _, said = line.partition(": ")
        if role in ("Customer", "Agent") and said.strip():
            turns.append({"role": role.lower(), "text": said.strip()})
    return turns


def write_uploads(folder: Path) -> list[Path]:
    """Write the three upload files into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    billing = {
        "schema_version": 1,
        "id": "alice-billing",
        "candidate": "alice",
        "persona": {"id": "aggressive-rational-billing", "hash": "sha256:gold"},
        "mode": "exam",
        "created": "2026-03-01T09:00:00+00:00",
        "turns": _turns((GOLD / "aggressive-exemplary.txt").read_text("utf-8")),
    }
    rude = json.loads((GOLD / "aggressive-emotional-exemplary.json").read_text("utf-8"))
    rude.update(
        id="alice-rude-staff", candidate="alice", mode="exam", created="2026-03-01T10:00:00+00:00"
    )
    files = {
        "alice-billing.json": json.dumps(billing, indent=1),
        "alice-rude-staff.json": json.dumps(rude, indent=1),
        "bob.txt": (GOLD / "aggressive-poor.txt").read_text("utf-8"),
    }
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths
