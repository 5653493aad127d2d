"""Stamps: the hashes that tie every certification result to exactly what produced it.

A stamp names the exam, the rubric and each persona by id and content hash, and, when
the LLM judge took part, its model and the hash of its prompt. ``frontline certify
--verify DIR`` recomputes the stamp from the files as they are now; any difference means
the result can no longer be reproduced from them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict


def canonical_hash(data: Any) -> str:
    """sha256 of the canonical JSON of ``data`` (sorted keys, UTF-8)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def model_hash(obj: Any) -> str:
    """An object's own ``content_hash()`` if it has one, else the hash of its JSON dump."""
    own = getattr(obj, "content_hash", None)
    if callable(own):
        return own()
    if isinstance(obj, BaseModel):
        return canonical_hash(obj.model_dump(mode="json"))
    return canonical_hash(obj)


class Ref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    hash: str


class JudgeStamp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    prompt_hash: str
    samples: int = 1


class Stamp(BaseModel):
    """What a result was produced with. Equal stamps mean the same grading."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exam: Ref
    rubric: Ref
    personas: list[Ref]
    grader: str
    judge: JudgeStamp | None = None

    def digest(self) -> str:
        """One hash for the whole stamp, printed on certificates."""
        return canonical_hash(self.model_dump(mode="json"))

    def differences(self, other: Stamp) -> list[str]:
        """Human-readable differences from ``other`` (the stamp recorded at run time)."""
        out = []
        for name in ("exam", "rubric"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                out.append(
                    f"{name} {theirs.id} changed since the run: {theirs.hash} -> {mine.hash}"
                    if mine.id == theirs.id
                    else f"{name} was {theirs.id}, now {mine.id}"
                )
        before = {p.id: p.hash for p in other.personas}
        now = {p.id: p.hash for p in self.personas}
        for pid in sorted(set(before) | set(now)):
            if before.get(pid) != now.get(pid):
                out.append(
                    f"persona {pid} changed since the run: {before.get(pid, 'absent')} "
                    f"-> {now.get(pid, 'absent')}"
                )
        if self.grader != other.grader:
            out.append(f"grader changed since the run: {other.grader} -> {self.grader}")
        if (self.judge is None) != (other.judge is None):
            out.append("the judge took part in only one of the two gradings")
        elif self.judge and other.judge and self.judge != other.judge:
            out.append(
                f"judge changed since the run: {other.judge.model} "
                f"{other.judge.prompt_hash} -> {self.judge.model} {self.judge.prompt_hash}"
            )
        return out
