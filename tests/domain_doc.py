"""Reads Frontline's domain reference, docs/domain.md: its numbered sections and the
sources each names, so tests can check that citations resolve inside the repository."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_DOC = ROOT / "docs" / "domain.md"
SOURCE_IDS = ("000", "001", "002", "003", "004")

# '## §3 The handling process', '### §3.10 Recording the complaint'
_HEADING = re.compile(r"^#{2,3} (§\d+(?:\.\d+)?) (\S.*)$")
# A cited section: '§3', '§3.10'; a trailing letter or word narrows it ('§3.7 C').
SECTION_REF = re.compile(r"§\d+(?:\.\d+)*")
# One source in a 'Sources:' line: "002, '四階段,回訪階段', '...'"
_SOURCE = re.compile(r"^\s*(\d{3}),((?:\s*'[^']+',?)+)\s*$")
_ANCHOR = re.compile(r"'([^']+)'")


@dataclass
class Section:
    """One numbered section of docs/domain.md."""

    number: str
    title: str
    line: int
    sources: dict[str, list[str]] = field(default_factory=dict)  # id -> quoted anchors
    problems: list[str] = field(default_factory=list)


def read_sections(path: Path = DOMAIN_DOC) -> dict[str, Section]:
    """The sections by number ('§3.1'), each with the sources its 'Sources:' line names."""
    sections: dict[str, Section] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if not m:
            continue
        section = Section(m.group(1), m.group(2), i + 1)
        if section.number in sections:
            section.problems.append(f"line {i + 1}: {section.number} is numbered twice")
        sections[section.number] = section
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if not following.startswith("Sources: "):
            section.problems.append(f"line {i + 2}: no 'Sources:' line under {section.number}")
            continue
        for part in following[len("Sources: ") :].rstrip(".").split(";"):
            sm = _SOURCE.match(part)
            if not sm or sm.group(1) not in SOURCE_IDS:
                section.problems.append(
                    f"line {i + 2}: {part.strip()!r} is not \"<source id>, '<quoted anchor>', ...\""
                )
                continue
            section.sources.setdefault(sm.group(1), []).extend(_ANCHOR.findall(sm.group(2)))
    return sections


def cited_sections(text: str) -> list[str]:
    """Every section number cited in ``text``."""
    return SECTION_REF.findall(text)


def seeds_dir() -> Path | None:
    """The source documents, when this checkout has them beside it (they are not shipped)."""
    candidates = [
        os.environ.get("FRONTLINE_SEEDS", ""),
        ROOT.parent / "shared" / "seeds",
        ROOT.parent.parent / "shared" / "seeds",
    ]
    for c in candidates:
        if c and Path(c).is_dir() and any(Path(c).glob("000_*.txt")):
            return Path(c)
    return None
