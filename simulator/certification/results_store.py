"""The resumable results store of a certification run: one SQLite file in the run's DIR.

Every input transcript is registered under the sha256 of its bytes (its *key*), with its
text, before anything is graded; each result is committed the moment it arrives. A run
that is killed loses at most the results in flight, and a rerun grades only the
transcripts that have no result yet, so nothing is graded twice and nothing is lost. WAL
mode with ``synchronous=NORMAL`` survives a killed process (the case that matters here).

The store is built to stay small and to be read as a stream, so a cohort of any size
fits in constant memory (docs/certification.md, "Scale"):

- each transcript has a sequence number (``seq``, its order of arrival) that every other
  table is keyed by, so the 71-character content key is stored once;
- a rule result keeps, in columns, what the reports sort and filter by (candidate,
  persona, mode, created, score) and, compressed, only what the reports print
  (:func:`pack_result`): stages, each criterion's verdict, note and first quotes,
  phrasing violations; the full scorecard is not kept (``--verify`` re-grades the text);
- what is the same for every transcript (each criterion's title, stage, domain, weight
  and tip) is kept once, in ``criteria``, from the earliest transcript that has it.

Tables: ``transcripts`` (seq, key, first source name, text), ``sources`` (every name a
transcript was seen under), ``results`` (the rule grader's verdict, or why the transcript
is malformed), ``judgements`` (the LLM judge's verdicts or why it needs a human),
``criteria`` and ``meta`` (the run's manifest: exam, stamps, the store's layout).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import FrontlineError

DB_NAME = "results.sqlite3"
LAYOUT = 2  # meta "layout": the version of the tables below

# Status of a rule result: graded, or malformed (could not be read as a transcript).
GRADED, MALFORMED = "graded", "malformed"
# Status of a judgement: judged, or needs_review (the backend failed after retries, the
# judge abstained or its samples disagreed).
JUDGED, NEEDS_REVIEW = "judged", "needs_review"

EVIDENCE_LIMIT = 3  # quotes kept per criterion (the reports print no more)
REGISTER_BATCH = 2000  # inputs registered per transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transcripts (
    seq    INTEGER PRIMARY KEY,
    key    TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    text   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    seq  INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (seq, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (
    seq       INTEGER PRIMARY KEY,
    status    TEXT NOT NULL,
    candidate TEXT,
    persona   TEXT,
    mode      TEXT,
    created   TEXT,
    score     REAL,
    record    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS judgements (
    seq    INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS criteria (
    id      TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL,
    info    TEXT NOT NULL,
    tip_seq INTEGER,
    tip     TEXT
);
CREATE INDEX IF NOT EXISTS results_by_candidate ON results (status, candidate, seq);
"""


def content_key(text: str) -> str:
    """The key of a transcript: sha256 of its UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _pack(data: object, sort_keys: bool = False) -> bytes:
    return zlib.compress(
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode(
            "utf-8", "surrogatepass"
        ),
        6,
    )


def pack_text(text: str) -> bytes:
    """A transcript's text as stored: UTF-8, zlib-compressed (about a quarter the size)."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 6)


def unpack_text(blob: bytes) -> str:
    return zlib.decompress(blob).decode("utf-8", "surrogatepass")


def unpack_record(blob: bytes | None) -> dict | None:
    """A stored record (rule result or judgement) as a dict."""
    if blob is None:
        return None
    return json.loads(zlib.decompress(blob).decode("utf-8", "surrogatepass"))


_unpack = unpack_record


def _criterion(c: dict) -> dict:
    # The criterion's own result; what is the same for everyone goes to ``criteria``.
    out = {"id": c.get("id"), "verdict": c.get("verdict")}
    if c.get("note"):
        out["note"] = c["note"]
    evidence = c.get("evidence", [])[:EVIDENCE_LIMIT]
    if evidence:
        out["evidence"] = [
            {"agent_turn": e.get("agent_turn"), "quote": e.get("quote")} for e in evidence
        ]
    return out


def _violation(v: dict) -> dict:
    return {k: v.get(k) for k in ("move", "agent_turn", "quote", "penalty")}


@dataclass(frozen=True)
class PackedResult:
    """A rule result ready to store: its row (seq, status, candidate, persona, mode,
    created, score, compressed record) and what it says about each criterion that is the
    same for every transcript: (id, JSON of title, stage, domain and weight, tip)."""

    row: tuple
    criteria: tuple[tuple[str, str, str | None], ...] = ()


@dataclass(frozen=True)
class PackedChunk:
    """Packed results of a chunk of transcripts, with each criterion's description
    reduced to the earliest transcript of the chunk that gives it (and likewise its tip),
    so storing a chunk costs a few statements, not one per criterion and transcript."""

    rows: list[tuple]
    criteria: list[tuple[str, int, str]]  # (id, seq, info)
    tips: list[tuple[str, int, str]]  # (id, seq, tip)


def pack_result(seq: int, status: str, record: dict) -> PackedResult:
    """Reduce a grader record (a scorecard plus candidate, mode, created, score, level)
    to what the reports need. Runs in the worker processes: the coordinating process only
    writes the bytes."""
    if status != GRADED:
        return PackedResult((seq, status, None, None, None, None, None, _pack(record)))
    kept = {
        "transcript_id": record.get("transcript_id"),
        "level": record.get("level"),
        "language": record.get("language"),  # which language the run's reports are in
        # Stages and judgements are printed as stored, with their keys sorted.
        "stages": [dict(sorted(st.items())) for st in record.get("stages", [])],
        "criteria": [_criterion(c) for c in record.get("criteria", [])],
        "violations": [_violation(v) for v in record.get("violations", [])],
    }
    criteria = tuple(
        (
            c["id"],
            json.dumps(
                {k: c.get(k) for k in ("title", "stage", "domain", "weight")}, sort_keys=True
            ),
            c.get("tip") or None,
        )
        for c in record.get("criteria", [])
    )
    return PackedResult(
        (
            seq,
            status,
            record.get("candidate"),
            record.get("persona"),
            record.get("mode"),
            record.get("created"),
            float(record.get("score", 0.0)),
            _pack(kept),
        ),
        criteria,
    )


def pack_chunk(packed: Iterable[PackedResult]) -> PackedChunk:
    """Put packed results together for one transaction (see :class:`PackedChunk`)."""
    rows, criteria, tips = [], {}, {}
    for p in packed:
        seq = p.row[0]
        rows.append(p.row)
        for cid, info, tip in p.criteria:
            if cid not in criteria or seq < criteria[cid][1]:
                criteria[cid] = (cid, seq, info)
            if tip and (cid not in tips or seq < tips[cid][1]):
                tips[cid] = (cid, seq, tip)
    return PackedChunk(rows, list(criteria.values()), list(tips.values()))


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
    """What is stored about one transcript. ``record`` is the packed rule record: the
    columns (candidate, persona, mode, created, score) plus transcript_id, level, stages,
    criteria and violations; ``{"error": ...}`` when malformed."""

    key: str
    source: str
    seq: int
    status: str | None  # rule status, None while not graded
    record: dict | None
    judge_status: str | None
    judgement: dict | None


_COLUMNS = (
    "SELECT t.key, t.source, t.seq, r.status, r.candidate, r.persona, r.mode, "
    "r.created, r.score, r.record, j.status, j.record "
)
_ROW_SELECT = (
    _COLUMNS + "FROM transcripts t LEFT JOIN results r ON r.seq = t.seq "
    "LEFT JOIN judgements j ON j.seq = t.seq "
)
# Driven by the results table, so an ORDER BY that an index of ``results`` serves streams.
_RESULT_SELECT = (
    _COLUMNS + "FROM results r JOIN transcripts t ON t.seq = r.seq "
    "LEFT JOIN judgements j ON j.seq = r.seq "
)


def _row(values: tuple) -> Row:
    key, source, seq, status, candidate, persona, mode, created, score, blob, jst, jrec = values
    record = _unpack(blob)
    if status == GRADED and record is not None:
        record.update(candidate=candidate, persona=persona, mode=mode, created=created, score=score)
    return Row(key, source, seq, status, record, jst, _unpack(jrec))


class ResultsStore:
    """The results of one run, in ``DIR/results.sqlite3``. Used from one thread."""

    def __init__(self, out_dir: Path, readonly: bool = False):
        self.dir = Path(out_dir)
        self.path = self.dir / DB_NAME
        self.readonly = readonly
        try:
            if readonly:
                # A reader (progress polling, a grading worker) must not race the run that
                # is creating the file: switching the journal mode or creating tables needs
                # a write lock.
                self._db = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro",
                    uri=True,
                    isolation_level=None,
                    timeout=30,
                    check_same_thread=False,
                )
                self._check_layout()
                return
            self.dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=30, check_same_thread=False
            )
            self._set_up()
        except sqlite3.DatabaseError as exc:
            raise FrontlineError(f"cannot open the results store {self.path}: {exc}") from None

    def _set_up(self) -> None:
        # Rows of one to two kilobytes fill 16 KiB pages far better than 4 KiB ones (a
        # no-op on an existing file).
        self._db.execute("PRAGMA page_size=16384")
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
        self._check_layout()
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('layout', ?)", (str(LAYOUT),))

    def _check_layout(self) -> None:
        # A folder written by a Frontline before the compact store (layout 1) has a
        # ``transcripts`` table keyed by the content key; say so instead of failing oddly.
        cols = [r[1] for r in self._db.execute("PRAGMA table_info(transcripts)")]
        if cols and "seq" in cols and cols[0] != "seq":
            raise FrontlineError(
                f"{self.path} was written by an older Frontline (results store layout 1); "
                "run the certification again into a new --out folder"
            )

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

    def query(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        """Run a read query (the reports stream their rows through this)."""
        return self._db.execute(sql, params)

    # -- the manifest -----------------------------------------------------------------
    def get_meta(self, key: str) -> object | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def common_language(self) -> str:
        """The one language every graded transcript's scorecard is in, else English (a
        run mixing languages reports in English unless ``certify --language`` says)."""
        found: set[str] = set()
        for (record,) in self._db.execute("SELECT record FROM results WHERE status = ?", (GRADED,)):
            found.add((_unpack(record) or {}).get("language") or "en")
            if len(found) > 1:
                return "en"
        return found.pop() if found else "en"

    def set_meta(self, key: str, value: object) -> None:
        self._tx(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", [(key, json.dumps(value, sort_keys=True))]
        )

    # -- inputs -----------------------------------------------------------------------
    def register(self, sources: Iterable[Source]) -> int:
        """Record inputs (new keys get the next sequence numbers); return how many are new.

        Inputs are taken in batches, each its own transaction, so any number of them
        passes in constant memory; a run killed half-way through registers the rest,
        with the same numbers, when it is resumed with the same inputs."""
        new = 0
        batch: list[Source] = []
        for src in sources:
            batch.append(src)
            if len(batch) >= REGISTER_BATCH:
                new += self._register_batch(batch)
                batch = []
        return new + (self._register_batch(batch) if batch else 0)

    def _register_batch(self, batch: list[Source]) -> int:
        keyed = [(src.key, src) for src in batch]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), -1) FROM transcripts").fetchone()
            wanted = list({k for k, _ in keyed})
            known: dict[str, int] = {}
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                known.update(
                    self._db.execute(
                        "SELECT key, seq FROM transcripts WHERE key IN "
                        f"({','.join('?' * len(part))})",
                        part,
                    ).fetchall()
                )
            new, names, unreadable = [], [], []
            for key, src in keyed:
                if key not in known:
                    seq += 1
                    known[key] = seq
                    new.append((seq, key, src.name, pack_text(src.text)))
                names.append((known[key], src.name))
                if src.error:
                    unreadable.append(pack_result(known[key], MALFORMED, {"error": src.error}))
            self._db.executemany("INSERT INTO transcripts VALUES (?,?,?,?)", new)
            self._db.executemany("INSERT OR IGNORE INTO sources VALUES (?,?)", names)
            self._insert_results(pack_chunk(unreadable))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return len(new)

    def seq_of(self, key: str) -> int | None:
        row = self._db.execute("SELECT seq FROM transcripts WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def texts(self, keys: Iterable[str]) -> Iterator[tuple[str, str, str]]:
        """(key, source, text) for each key, in the order given."""
        for key in keys:
            row = self._db.execute(
                "SELECT source, text FROM transcripts WHERE key = ?", (key,)
            ).fetchone()
            if row:
                yield key, row[0], unpack_text(row[1])

    def texts_by_seq(self, seqs: list[int]) -> list[tuple[int, str, str]]:
        """(seq, source, text) for each sequence number, in order (a worker's chunk)."""
        found = dict(
            (s, (s, n, unpack_text(t)))
            for s, n, t in self._db.execute(
                f"SELECT seq, source, text FROM transcripts WHERE seq IN "
                f"({','.join('?' * len(seqs))})",
                seqs,
            )
        )
        return [found[s] for s in seqs if s in found]

    def source_names(self, key: str) -> list[str]:
        """Every name the transcript with this key was given under, sorted."""
        return [
            r[0]
            for r in self._db.execute(
                "SELECT s.name FROM sources s JOIN transcripts t ON t.seq = s.seq "
                "WHERE t.key = ? ORDER BY s.name",
                (key,),
            )
        ]

    # -- results ----------------------------------------------------------------------
    def ungraded_seqs(self, after: int = -1, limit: int = 1000) -> list[int]:
        """Up to ``limit`` sequence numbers above ``after`` with no rule result yet."""
        return [
            r[0]
            for r in self._db.execute(
                "SELECT t.seq FROM transcripts t LEFT JOIN results r ON r.seq = t.seq "
                "WHERE r.seq IS NULL AND t.seq > ? ORDER BY t.seq LIMIT ?",
                (after, limit),
            )
        ]

    def iter_ungraded(self, page: int = 1000) -> Iterator[int]:
        """Every ungraded sequence number, in order, read a page at a time (the caller may
        write results in between)."""
        after = -1
        while True:
            seqs = self.ungraded_seqs(after, page)
            if not seqs:
                return
            yield from seqs
            after = seqs[-1]

    def count_ungraded(self) -> int:
        return self._db.execute(
            "SELECT COUNT(*) FROM transcripts t LEFT JOIN results r "
            "ON r.seq = t.seq WHERE r.seq IS NULL"
        ).fetchone()[0]

    def ungraded(self) -> list[str]:
        """Keys with no rule result yet, in arrival order."""
        return [
            r[0]
            for r in self._db.execute(
                "SELECT t.key FROM transcripts t LEFT JOIN results r ON r.seq = t.seq "
                "WHERE r.seq IS NULL ORDER BY t.seq"
            )
        ]

    def unjudged(self) -> list[str]:
        """Graded keys with no judgement yet, in arrival order."""
        return [
            r[0]
            for r in self._db.execute(
                "SELECT t.key FROM transcripts t JOIN results r ON r.seq = t.seq "
                "LEFT JOIN judgements j ON j.seq = t.seq "
                "WHERE r.status = ? AND j.seq IS NULL ORDER BY t.seq",
                (GRADED,),
            )
        ]

    def iter_unjudged(self, page: int = 200) -> Iterator[tuple[Row, str]]:
        """Graded transcripts with no judgement yet and their texts, in arrival order, read
        a page at a time (judgements may be written in between)."""
        after = -1
        while True:
            found = self._db.execute(
                _COLUMNS + ", t.text FROM results r JOIN transcripts t ON t.seq = r.seq "
                "LEFT JOIN judgements j ON j.seq = r.seq WHERE r.status = ? AND j.seq IS NULL "
                "AND r.seq > ? ORDER BY r.seq LIMIT ?",
                (GRADED, after, page),
            ).fetchall()
            if not found:
                return
            for values in found:
                yield _row(values[:-1]), unpack_text(values[-1])
            after = found[-1][2]

    def iter_graded_with_text(self) -> Iterator[tuple[Row, str]]:
        """Every graded transcript (without its judgement) and its text, in arrival
        order, streamed (``--verify`` re-grades them)."""
        for values in self._db.execute(
            "SELECT t.key, t.source, t.seq, r.status, r.candidate, r.persona, r.mode, "
            "r.created, r.score, r.record, NULL, NULL, t.text FROM results r "
            "JOIN transcripts t ON t.seq = r.seq WHERE r.status = ? ORDER BY r.seq",
            (GRADED,),
        ):
            yield _row(values[:-1]), unpack_text(values[-1])

    def count_unjudged(self) -> int:
        return self._db.execute(
            "SELECT COUNT(*) FROM results r LEFT JOIN judgements j ON j.seq = r.seq "
            "WHERE r.status = ? AND j.seq IS NULL",
            (GRADED,),
        ).fetchone()[0]

    def _insert_results(self, chunk: PackedChunk) -> None:
        self._db.executemany("INSERT OR IGNORE INTO results VALUES (?,?,?,?,?,?,?,?)", chunk.rows)
        # Keep each criterion's description from the earliest transcript that gives it, as
        # if the results had arrived in order (workers finish chunks in any order).
        self._db.executemany(
            "INSERT INTO criteria (id, seq, info) VALUES (?,?,?) ON CONFLICT (id) DO UPDATE "
            "SET seq = excluded.seq, info = excluded.info WHERE excluded.seq < criteria.seq",
            chunk.criteria,
        )
        self._db.executemany(
            "UPDATE criteria SET tip_seq = ?2, tip = ?3 WHERE id = ?1 "
            "AND (tip_seq IS NULL OR tip_seq > ?2)",
            chunk.tips,
        )

    def save_packed(self, chunk: PackedChunk) -> None:
        """Commit a chunk of packed rule results (:func:`pack_chunk`). A transcript
        already graded keeps its first result."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._insert_results(chunk)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def save_results(self, rows: Iterable[tuple[str, str, dict]]) -> None:
        """Commit rule results: (key, status, record). A key already graded is kept."""
        packed = []
        for key, status, record in rows:
            seq = self.seq_of(key)
            if seq is not None:
                packed.append(pack_result(seq, status, record))
        self.save_packed(pack_chunk(packed))

    def save_judgement(self, key: str, status: str, record: dict) -> None:
        """Commit one judgement."""
        seq = self.seq_of(key)
        if seq is not None:
            self._tx(
                "INSERT OR IGNORE INTO judgements VALUES (?,?,?)",
                [(seq, status, _pack(record, sort_keys=True))],
            )

    def rule_record(self, key: str) -> dict | None:
        """The packed rule record of one transcript (None while it is not graded)."""
        row = self._db.execute(_ROW_SELECT + "WHERE t.key = ?", (key,)).fetchone()
        return _row(row).record if row else None

    def iter_rows(
        self, where: str = "", params: tuple = (), order: str = "t.seq", graded_only: bool = False
    ) -> Iterator[Row]:
        """Stored transcripts with whatever is known about them, streamed. With
        ``graded_only``, only transcripts with a rule result (the query then starts from
        the results, so ``order`` may use their index)."""
        sql = (
            (_RESULT_SELECT if graded_only else _ROW_SELECT)
            + (f"WHERE {where} " if where else "")
            + f"ORDER BY {order}"
        )
        for values in self._db.execute(sql, params):
            yield _row(values)

    def rows(self) -> list[Row]:
        """Every transcript with whatever is known about it, in arrival order (small runs
        and tests; the reports stream with :meth:`iter_rows`)."""
        return list(self.iter_rows())

    def criteria_index(self) -> dict[str, dict]:
        """Criterion id -> title, stage, domain, weight and tip (when any transcript missed
        it), as the earliest graded transcripts describe them; in the order of the
        earliest graded transcript's scorecard."""
        index: dict[str, dict] = {}
        rows = self._db.execute("SELECT id, seq, info, tip FROM criteria").fetchall()
        first = min((seq for _, seq, _, _ in rows), default=None)
        order = []
        if first is not None:
            record = self._db.execute(
                "SELECT record FROM results WHERE seq = ?", (first,)
            ).fetchone()
            order = [c["id"] for c in (_unpack(record[0]) or {}).get("criteria", [])]
        rank = {cid: i for i, cid in enumerate(order)}
        for cid, _seq, info, tip in sorted(rows, key=lambda r: (r[1], rank.get(r[0], 0), r[0])):
            entry = json.loads(info)
            index[cid] = {k: entry.get(k) for k in ("title", "stage", "domain", "weight")}
            if tip:
                index[cid]["tip"] = tip
        return index

    def counts(self) -> dict[str, int]:
        """How many transcripts are registered, graded, malformed, judged, under review."""
        q = self._db.execute
        total = q("SELECT COUNT(*) FROM transcripts").fetchone()[0]
        by_status = dict(q("SELECT status, COUNT(*) FROM results GROUP BY status").fetchall())
        by_judge = dict(q("SELECT status, COUNT(*) FROM judgements GROUP BY status").fetchall())
        return {
            "total": total,
            "graded": by_status.get(GRADED, 0),
            "malformed": by_status.get(MALFORMED, 0),
            "judged": by_judge.get(JUDGED, 0),
            "needs_review": by_judge.get(NEEDS_REVIEW, 0),
        }
