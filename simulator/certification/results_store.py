"""The resumable results store of a certification run: one SQLite file in the run's DIR.

Every input transcript is registered under the sha256 of its bytes (its *key*), with its
text, before anything is graded; each result is committed the moment it arrives. A run
that is killed loses at most the results in flight, and a rerun grades only the keys
that have no result yet, so nothing is graded twice and nothing is lost. WAL mode with
``synchronous=NORMAL`` survives a killed process (the case that matters here) and is
fast enough for tens of thousands of rows.

Tables: ``transcripts`` (key, first source name, text, order of arrival), ``sources``
(every name a key was seen under), ``results`` (the rule grader's verdict or why the
transcript is malformed), ``judgements`` (the LLM judge's verdicts or why it needs a human)
and ``meta`` (the run's manifest: exam, stamps, judge settings).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import FrontlineError

DB_NAME = "results.sqlite3"

# Status of a rule result: graded, or malformed (could not be read as a transcript).
GRADED, MALFORMED = "graded", "malformed"
# Status of a judgement: judged, or needs_review (the backend failed after retries, the
# judge abstained or its samples disagreed).
JUDGED, NEEDS_REVIEW = "judged", "needs_review"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transcripts (
    key    TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    text   TEXT NOT NULL,
    seq    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    key  TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (key, name)
);
CREATE TABLE IF NOT EXISTS results (
    key    TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS judgements (
    key    TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    record TEXT NOT NULL
);
"""


def content_key(text: str) -> str:
    """The key of a transcript: sha256 of its UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Source:
    """One input transcript: where it came from and its text.

    ``error`` is set when the input could not even be read as text (not UTF-8, too big);
    such a source is stored as malformed without being parsed. ``raw_key`` then keys it by
    its bytes, since its text is only a stand-in.
    """

    name: str
    text: str
    error: str | None = None
    raw_key: str | None = None

    @property
    def key(self) -> str:
        return self.raw_key or content_key(self.text)


@dataclass(frozen=True)
class Row:
    """Everything stored about one transcript."""

    key: str
    source: str
    seq: int
    status: str | None          # rule status, None while not graded
    record: dict | None         # rule record (or {"error": ...} when malformed)
    judge_status: str | None
    judgement: dict | None


class ResultsStore:
    """The results of one run, in ``DIR/results.sqlite3``. Used from one thread."""

    def __init__(self, out_dir: Path, readonly: bool = False):
        self.dir = Path(out_dir)
        self.path = self.dir / DB_NAME
        try:
            if readonly:
                # A reader (progress polling) must not race the run that is creating the
                # file: switching the journal mode or creating tables needs a write lock.
                self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                           isolation_level=None, timeout=30,
                                           check_same_thread=False)
                return
            self.dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                                       check_same_thread=False)
            self._set_up()
        except sqlite3.DatabaseError as exc:
            raise FrontlineError(f"cannot open the results store {self.path}: {exc}") from None

    def _set_up(self) -> None:
        # Switching a new file to WAL needs it to itself; SQLite answers "locked" at once,
        # without waiting, if a progress poller happens to be reading it at that instant.
        for attempt in range(50):
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self, sql: str, rows: Iterable[tuple]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(sql, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- the manifest -----------------------------------------------------------------
    def get_meta(self, key: str) -> object | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: object) -> None:
        self._tx("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                 [(key, json.dumps(value, sort_keys=True))])

    # -- inputs -----------------------------------------------------------------------
    def register(self, sources: Iterable[Source]) -> int:
        """Record inputs (new keys get the next sequence numbers); return how many are new."""
        (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), -1) FROM transcripts").fetchone()
        known = self.keys()
        new, names, unreadable = [], [], []
        for src in sources:
            key = src.key
            names.append((key, src.name))
            if src.error:
                unreadable.append((key, src.error))
            if key not in known:
                seq += 1
                known.add(key)
                new.append((key, src.name, src.text, seq))
        self._tx("INSERT OR IGNORE INTO transcripts VALUES (?,?,?,?)", new)
        self._tx("INSERT OR IGNORE INTO sources VALUES (?,?)", names)
        self.save_results((key, MALFORMED, {"error": err}) for key, err in unreadable)
        return len(new)

    def keys(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT key FROM transcripts")}

    def texts(self, keys: Iterable[str]) -> Iterator[tuple[str, str, str]]:
        """(key, source, text) for each key, in the order given."""
        for key in keys:
            row = self._db.execute("SELECT source, text FROM transcripts WHERE key = ?",
                                   (key,)).fetchone()
            if row:
                yield key, row[0], row[1]

    def source_names(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for key, name in self._db.execute("SELECT key, name FROM sources ORDER BY name"):
            names.setdefault(key, []).append(name)
        return names

    # -- results ----------------------------------------------------------------------
    def ungraded(self) -> list[str]:
        """Keys with no rule result yet, in arrival order."""
        return [r[0] for r in self._db.execute(
            "SELECT t.key FROM transcripts t LEFT JOIN results r ON r.key = t.key "
            "WHERE r.key IS NULL ORDER BY t.seq")]

    def unjudged(self) -> list[str]:
        """Graded keys with no judgement yet, in arrival order."""
        return [r[0] for r in self._db.execute(
            "SELECT t.key FROM transcripts t JOIN results r ON r.key = t.key "
            "LEFT JOIN judgements j ON j.key = t.key "
            "WHERE r.status = ? AND j.key IS NULL ORDER BY t.seq", (GRADED,))]

    def save_results(self, rows: Iterable[tuple[str, str, dict]]) -> None:
        """Commit rule results: (key, status, record). A key already graded is kept."""
        self._tx("INSERT OR IGNORE INTO results VALUES (?,?,?)",
                 [(k, s, json.dumps(r, sort_keys=True)) for k, s, r in rows])

    def save_judgement(self, key: str, status: str, record: dict) -> None:
        """Commit one judgement."""
        self._tx("INSERT OR IGNORE INTO judgements VALUES (?,?,?)",
                 [(key, status, json.dumps(record, sort_keys=True))])

    def rows(self) -> list[Row]:
        """Every transcript with whatever is known about it, in arrival order."""
        out = []
        for key, source, seq, status, record, jstatus, jrecord in self._db.execute(
                "SELECT t.key, t.source, t.seq, r.status, r.record, j.status, j.record "
                "FROM transcripts t LEFT JOIN results r ON r.key = t.key "
                "LEFT JOIN judgements j ON j.key = t.key ORDER BY t.seq"):
            out.append(Row(key, source, seq, status, json.loads(record) if record else None,
                           jstatus, json.loads(jrecord) if jrecord else None))
        return out

    def counts(self) -> dict[str, int]:
        """How many transcripts are registered, graded, malformed, judged, under review."""
        q = self._db.execute
        total = q("SELECT COUNT(*) FROM transcripts").fetchone()[0]
        by_status = dict(q("SELECT status, COUNT(*) FROM results GROUP BY status").fetchall())
        by_judge = dict(q("SELECT status, COUNT(*) FROM judgements GROUP BY status").fetchall())
        return {"total": total, "graded": by_status.get(GRADED, 0),
                "malformed": by_status.get(MALFORMED, 0), "judged": by_judge.get(JUDGED, 0),
                "needs_review": by_judge.get(NEEDS_REVIEW, 0)}
