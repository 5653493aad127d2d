"""Where a run's transcripts come from: files and folders, or stored practice sessions.

``--transcripts PATH…`` takes files, or folders searched recursively for transcript files
(``*.json``, ``*.jsonl``, ``*.txt`` …, as the grader reads them); each line of a JSONL file
is a transcript of its own. ``--sessions FILTER`` selects stored sessions with a small
filter syntax: comma-separated ``key=value`` terms that must all hold, where a value may
list alternatives with ``|``::

    user=alice|bob,persona=vip-rational-outage,since=2026-01-01,mode=exam,status=finished

Keys: ``user``, ``persona``, ``rubric``, ``mode``, ``status``, ``outcome``, ``since`` and
``until`` (ISO dates or times, compared with the session's start; ``until`` is
inclusive of the whole day when a date is given). ``all`` alone selects every session.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .. import config
from ..errors import FrontlineError, NotFound
from ..grading.transcript_input import TRANSCRIPT_SUFFIXES
from ..yamlfile import MAX_FILE_BYTES
from .results_store import Source

JSONL_SUFFIXES = (".jsonl", ".ndjson")
FILTER_KEYS = {
    "user": "user",
    "persona": "persona_id",
    "rubric": "rubric",
    "mode": "mode",
    "status": "status",
    "outcome": "outcome",
}


def _read_source(path: Path) -> Source:
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FrontlineError(f"{name}: cannot read: {exc.strerror or exc}") from None
    raw_key = "sha256:" + hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_FILE_BYTES:
        return Source(
            name, "", f"{name}: file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}", raw_key
        )
    try:
        return Source(name, raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Source(name, "", f"{name}: not UTF-8 text (byte {exc.start})", raw_key)


def _walk(folder: str) -> Iterator[str]:
    """The transcript files under ``folder``, recursively, hidden ones skipped, in the
    order of their sorted paths (as the grader lists them), found lazily: only one
    folder's names are held at a time, never Path objects for a whole cohort."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise FrontlineError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    for name in names:
        if name.startswith("."):
            continue
        full = os.path.join(folder, name)
        # Symbolic links to folders are not followed (as Path.rglob does not).
        if os.path.isdir(full) and not os.path.islink(full):
            yield from _walk(full)
        elif os.path.splitext(name)[1].lower() in TRANSCRIPT_SUFFIXES and os.path.isfile(full):
            yield full


def transcript_files(paths: list[Path]) -> Iterator[str]:
    """The transcript files the paths name, folders searched recursively (see
    :func:`_walk`), as they are found."""
    for path in paths:
        if path.is_dir():
            yield from _walk(str(path))
        elif path.is_file():
            yield str(path)
        else:
            raise NotFound(f"{path}: no such file or folder")


def _split_jsonl(src: Source) -> list[Source]:
    # One transcript per line: each line is its own source, so one bad line is one skip.
    out = []
    for n, line in enumerate(src.text.splitlines(), start=1):
        if line.strip():
            out.append(Source(f"{src.name}:{n}", line))
    return out or [Source(src.name, src.text)]


class FileSources:
    """The sources of some files and folders, found and read one file at a time as they
    are iterated (a cohort of any size is never held in memory); iterable more than
    once."""

    def __init__(self, paths: list[Path]):
        self.paths = [Path(p) for p in paths]
        for path in self.paths:  # a missing path is an error before anything runs
            if not path.exists():
                raise NotFound(f"{path}: no such file or folder")

    def __bool__(self) -> bool:
        return next(transcript_files(self.paths), None) is not None

    def __iter__(self) -> Iterator[Source]:
        for name in transcript_files(self.paths):
            path = Path(name)
            src = _read_source(path)
            if src.error is None and path.suffix.lower() in JSONL_SUFFIXES:
                yield from _split_jsonl(src)
            else:
                yield src


def file_sources(paths: list[Path]) -> FileSources:
    """Every transcript of the files and folders (a JSONL file gives one source per line);
    unreadable files come back flagged as malformed, not raised. Files are found and read
    as the result is iterated."""
    return FileSources(paths)


def parse_session_filter(text: str) -> tuple[str, list]:
    """The SQL WHERE clause and parameters for a ``--sessions`` filter."""
    text = text.strip()
    if text == "all":
        return "1=1", []
    clauses, params = [], []
    for term in filter(None, (t.strip() for t in text.split(","))):
        key, sep, value = term.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise FrontlineError(
                f"--sessions: {term!r} should be key=value "
                "(e.g. user=alice,persona=vip-rational-outage)"
            )
        if key in FILTER_KEYS:
            options = [v.strip() for v in value.split("|") if v.strip()]
            clauses.append(f"{FILTER_KEYS[key]} IN ({','.join('?' * len(options))})")
            params += options
        elif key == "since":
            clauses.append("created >= ?")
            params.append(value)
        elif key == "until":
            clauses.append("created <= ?")
            params.append(value + ("~" if len(value) == 10 else ""))  # "~" sorts after "T…"
        else:
            known = ", ".join([*FILTER_KEYS, "since", "until"])
            raise FrontlineError(f"--sessions: unknown key {key!r}; known: {known}")
    if not clauses:
        raise FrontlineError("--sessions: empty filter; use 'all' to take every session")
    return " AND ".join(clauses), params


def session_sources(filter_text: str, db_path: Path | None = None) -> list[Source]:
    """Export the transcripts of the stored sessions the filter selects."""
    from ..sessions.store import SessionStore

    where, params = parse_session_filter(filter_text)
    path = Path(db_path) if db_path else config.database_path()
    if not path.is_file():
        raise NotFound(f"no session database at {path}")
    # Read-only: selecting sessions must never write to the trainees' database.
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute(
                f"SELECT id, user FROM sessions WHERE {where} "  # noqa: S608
                "ORDER BY created, id",
                params,
            ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise FrontlineError(f"cannot read sessions from {path}: {exc}") from None
    sources = []
    with SessionStore(path) as store:
        for session_id, user in rows:
            try:
                text = store.export_json(session_id, user)
            except FrontlineError as exc:  # e.g. a session with no turns yet
                sources.append(
                    Source(f"session:{session_id}", "", str(exc), f"session:{session_id}:empty")
                )
                continue
            sources.append(Source(f"session:{session_id}", text))
    return sources
