"""The session store: practice sessions, their turns and the customer's states, in SQLite.

One database file (``config.database_path()``, WAL mode) holds every session. The API is
what a web server needs:

- ``SessionStore(path)`` opens (and creates) the database. One store may be shared by
  all threads of a server: every call takes the store's lock. Several processes may use
  the same file (WAL lets readers run beside the one writer).
- Reading is always on behalf of a user: ``get(session_id, user)``,
  ``list_sessions(user)``, ``transcript(session_id, user)``, ``export_json(...)`` and
  the scorecard calls raise :class:`NotFound` for a session that belongs to someone else,
  exactly as for one that does not exist.
- Writing is what :class:`~simulator.sessions.conversation.Conversation` does:
  ``create`` (with the opening state), ``add_agent_turn`` (the agent's words and the
  machine's step in one transaction, committed before the customer's reply is produced),
  ``add_customer_turn`` and ``set_status``.
- ``save_scorecard`` / ``load_scorecard`` keep one grader scorecard (any JSON) per session.
- ``save_replay`` / ``load_replays`` keep the session's replayed turns (practice, never
  counted as sessions: see :mod:`simulator.sessions.replay`).

Turn indexes are positions in the conversation (0, 1, 2, ...); step ``n`` is the state
after the ``n``-th agent turn, step 0 the state in which the customer opened.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import config
from ..customer.state import Outcome, Step
from ..errors import FrontlineError, NotFound
from ..moves.reading import Reading, reading_from_json, reading_json
from ..transcript import GuardRecord, GuardSummary, PersonaRef, Transcript, Turn, turn_problem
from .migrations import migrate

# Status of a session: "active" (the trainee may go on), "finished" (the customer
# reached an outcome), "ended" (the trainee stopped before an outcome).
STATUSES = ("active", "finished", "ended")


def now() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class SessionInfo:
    """One row of the sessions table, plus how many agent turns it has."""

    id: str
    user: str
    persona_id: str
    persona_hash: str
    rubric: str | None
    mode: str
    seed: int
    renderer: str
    created: str
    updated: str
    status: str
    outcome: Outcome
    language: str | None = None  # None for sessions saved before it was recorded
    agent_turns: int = 0


class SessionStore:
    """Sessions in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else config.database_path()
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are opened explicitly in _write().
            self._conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=10
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against a killed process (not a power cut) and much faster.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            migrate(self._conn, now())
        except (sqlite3.DatabaseError, OSError) as exc:
            raise FrontlineError(f"cannot open the session database {self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so two processes writing the same
        # session cannot interleave; a clash on a turn index surfaces as IntegrityError.
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- sessions ---------------------------------------------------------------------
    def create(
        self,
        *,
        user: str,
        persona_id: str,
        persona_hash: str,
        opening: Step,
        seed: int = 0,
        renderer: str = "offline",
        rubric: str | None = None,
        mode: str = "training",
        language: str | None = None,
    ) -> SessionInfo:
        """A new active session whose step 0 is ``opening`` (the state before any turn)."""
        session_id = secrets.token_hex(8)
        stamp = now()
        with self._write() as db:
            db.execute(
                "INSERT INTO sessions (id, user, persona_id, persona_hash, rubric, mode, "
                "seed, renderer, created, updated, status, outcome, language) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id,
                    user,
                    persona_id,
                    persona_hash,
                    rubric,
                    mode,
                    seed,
                    renderer,
                    stamp,
                    stamp,
                    "active",
                    Outcome.ONGOING.value,
                    language,
                ),
            )
            self._insert_step(db, session_id, opening)
        return self.get(session_id, user)

    _SELECT = (
        "SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id "
        "AND t.role = 'agent') AS agent_turns FROM sessions s"
    )

    def get(self, session_id: str, user: str) -> SessionInfo:
        """The session, if it exists and belongs to ``user``; else :class:`NotFound`."""
        rows = self._query(self._SELECT + " WHERE s.id = ? AND s.user = ?", (session_id, user))
        if not rows:
            raise NotFound(f"no session {session_id!r} for user {user!r}")
        return _info(rows[0])

    def list_sessions(self, user: str) -> list[SessionInfo]:
        """The user's sessions, newest first."""
        rows = self._query(
            self._SELECT + " WHERE s.user = ? ORDER BY s.created DESC, s.rowid DESC", (user,)
        )
        return [_info(r) for r in rows]

    def set_status(self, session_id: str, status: str) -> None:
        """Mark a session active, finished or ended."""
        if status not in STATUSES:
            raise ValueError(f"unknown session status {status!r}")
        with self._write() as db:
            db.execute(
                "UPDATE sessions SET status = ?, updated = ? WHERE id = ?",
                (status, now(), session_id),
            )

    # -- turns and steps --------------------------------------------------------------
    def turns(self, session_id: str) -> list[Turn]:
        """The conversation so far, in order; agent turns with the reading saved with them."""
        rows = self._query(
            "SELECT role, text, reading, guard FROM turns WHERE session_id = ? ORDER BY idx",
            (session_id,),
        )
        return [
            Turn(r["role"], r["text"], reading=_reading(r["reading"]), guard=_guard(r["guard"]))
            for r in rows
        ]

    def steps(self, session_id: str) -> list[Step]:
        """Step 0 (the opening state) and one step per agent turn, in order."""
        rows = self._query("SELECT * FROM steps WHERE session_id = ? ORDER BY turn", (session_id,))
        # Step n follows the n-th agent turn, whose reading is saved with the turn.
        readings = [None] + [
            r["reading"]
            for r in self._query(
                "SELECT reading FROM turns WHERE session_id = ? AND role = 'agent' ORDER BY idx",
                (session_id,),
            )
        ]
        return [
            Step.model_validate(
                {
                    "turn": r["turn"],
                    "state": json.loads(r["state"]),
                    "plan": json.loads(r["plan"]),
                    "moves": json.loads(r["moves"]),
                    "changes": json.loads(r["changes"]),
                    "reading": _reading(readings[r["turn"]]) if r["turn"] < len(readings) else None,
                }
            )
            for r in rows
        ]

    def add_agent_turn(
        self, session_id: str, index: int, text: str, step: Step, closing: bool = False
    ) -> None:
        """Save an agent turn, its reading and the customer's step after it, in one
        transaction.

        ``index`` is the turn's position in the conversation; if another process already
        wrote that position, or the session is no longer active, the call fails with
        :class:`FrontlineError` and saves nothing. A ``closing`` turn (after the customer
        accepted) goes into a finished session instead.
        """
        if (why := turn_problem(text)) is not None:  # the same limit as practice and grading
            raise FrontlineError(f"agent turn not saved: {why}")
        finished = step.state.outcome is not Outcome.ONGOING
        try:
            with self._write() as db:
                row = db.execute(
                    "SELECT status FROM sessions WHERE id = ?", (session_id,)
                ).fetchone()
                if row is None or row["status"] != ("finished" if closing else "active"):
                    raise FrontlineError(f"session {session_id} has ended; start a new one")
                self._insert_turn(db, session_id, index, "agent", text, step.reading)
                self._insert_step(db, session_id, step)
                db.execute(
                    "UPDATE sessions SET outcome = ?, status = ?, updated = ? WHERE id = ?",
                    (
                        step.state.outcome.value,
                        "finished" if finished else "active",
                        now(),
                        session_id,
                    ),
                )
        except sqlite3.IntegrityError:
            raise FrontlineError(
                f"session {session_id} was changed elsewhere; reload it and try again"
            ) from None

    def add_customer_turn(
        self, session_id: str, index: int, text: str, guard: GuardRecord | None = None
    ) -> None:
        """Save the customer's words at position ``index``, with the record of the
        in-character checks when a model worded them."""
        try:
            with self._write() as db:
                self._insert_turn(db, session_id, index, "customer", text, guard=guard)
        except sqlite3.IntegrityError:
            raise FrontlineError(
                f"session {session_id} was changed elsewhere; reload it and try again"
            ) from None

    @staticmethod
    def _insert_turn(
        db: sqlite3.Connection,
        session_id: str,
        index: int,
        role: str,
        text: str,
        reading: Reading | None = None,
        guard: GuardRecord | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO turns (session_id, idx, role, text, created, reading, guard) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                session_id,
                index,
                role,
                text,
                now(),
                reading_json(reading) if reading else None,
                guard.model_dump_json() if guard else None,
            ),
        )
        db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (now(), session_id))

    @staticmethod
    def _insert_step(db: sqlite3.Connection, session_id: str, step: Step) -> None:
        db.execute(
            "INSERT INTO steps (session_id, turn, state, plan, moves, changes) "
            "VALUES (?,?,?,?,?,?)",
            (
                session_id,
                step.turn,
                step.state.model_dump_json(),
                step.plan.model_dump_json(),
                json.dumps(step.moves),
                json.dumps([c.model_dump() for c in step.changes]),
            ),
        )

    # -- export -----------------------------------------------------------------------
    def transcript(self, session_id: str, user: str) -> Transcript:
        """The session as a :class:`Transcript` (what the grader reads)."""
        info = self.get(session_id, user)
        turns = self.turns(session_id)
        if not turns:
            raise FrontlineError(f"session {session_id} has no turns yet")
        trajectory = [s.record() for s in self.steps(session_id)]
        records = [t.guard for t in turns if t.guard is not None]
        return Transcript(
            id=info.id,
            candidate=info.user,
            persona=PersonaRef(id=info.persona_id, hash=info.persona_hash),
            rubric=info.rubric,
            mode=info.mode,
            seed=info.seed,
            renderer=info.renderer,
            created=info.created,
            language=info.language,
            turns=turns,
            trajectory=trajectory,
            outcome=info.outcome,
            guards=GuardSummary.of(records) if records else None,
        )

    def export_json(self, session_id: str, user: str) -> str:
        """The transcript as indented JSON text, ending in a newline."""
        return self.transcript(session_id, user).model_dump_json(indent=2, exclude_none=True) + "\n"

    # -- scorecards -------------------------------------------------------------------
    def save_scorecard(self, session_id: str, user: str, scorecard: dict | str) -> None:
        """Keep the grader's scorecard (a JSON object or its text) for the session."""
        self.get(session_id, user)
        text = (
            scorecard if isinstance(scorecard, str) else json.dumps(scorecard, ensure_ascii=False)
        )
        json.loads(text)  # refuse what is not JSON before it is stored
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO scorecards VALUES (?,?,?)", (session_id, text, now())
            )

    def load_scorecard(self, session_id: str, user: str) -> dict | None:
        """The scorecard saved for the session, or None if it has not been graded."""
        self.get(session_id, user)
        rows = self._query("SELECT scorecard FROM scorecards WHERE session_id = ?", (session_id,))
        return json.loads(rows[0]["scorecard"]) if rows else None

    def graded_sessions(self) -> list[tuple[SessionInfo, dict]]:
        """Every user's graded sessions with their scorecards, oldest first.

        For the trainers' cohort view only: the caller checks the viewer's role (a
        trainee never reaches this; their reads go through the per-user calls above).
        """
        rows = self._query(
            self._SELECT.replace(
                "FROM sessions s",
                ", c.scorecard AS card FROM sessions s JOIN scorecards c ON c.session_id = s.id",
            )
            + " ORDER BY s.created, s.rowid"
        )
        out = []
        for row in rows:
            data = dict(row)
            card = data.pop("card")
            data["outcome"] = Outcome(data["outcome"])
            out.append((SessionInfo(**data), json.loads(card)))
        return out

    # -- replays (practice, never results) ----------------------------------------------
    def save_replay(self, session_id: str, user: str, replay: dict) -> None:
        """Keep a replayed turn (a JSON object with its ``turn``) with the user's session."""
        self.get(session_id, user)
        text = json.dumps(replay, ensure_ascii=False)
        with self._write() as db:
            db.execute(
                "INSERT INTO replays (session_id, turn, replay, created) VALUES (?,?,?,?)",
                (session_id, int(replay["turn"]), text, now()),
            )

    def load_replays(self, session_id: str, user: str) -> list[dict]:
        """The session's replays, oldest first (:class:`NotFound` for another's session)."""
        self.get(session_id, user)
        rows = self._query(
            "SELECT replay FROM replays WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [json.loads(r["replay"]) for r in rows]

    # Replays (simulator/sessions/replay.py) are practice kept beside their session, never a
    # session themselves. An added table: databases made before it get it on opening.

    # -- the user's UI language -------------------------------------------------------
    def ui_language(self, user: str) -> str | None:
        """The web UI language ``user`` chose, or None if they never chose one."""
        rows = self._query("SELECT language FROM ui_preferences WHERE user = ?", (user,))
        return rows[0]["language"] if rows else None

    def set_ui_language(self, user: str, language: str) -> None:
        """Remember ``user``'s web UI language (the page and new sessions follow it)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO ui_preferences (user, language, updated) VALUES (?,?,?) "
                "ON CONFLICT (user) DO UPDATE SET language = excluded.language, "
                "updated = excluded.updated",
                (user, language, now()),
            )


def _reading(text: str | None) -> Reading | None:
    """The stored reading; None when absent or unreadable (the grader then reads afresh)."""
    if not text:
        return None
    try:
        return reading_from_json(text)
    except ValueError:
        return None


def _guard(text: str | None) -> GuardRecord | None:
    """The stored guard record; None when absent (phrase bank, older sessions) or
    unreadable (a record is information about the turn, never a reason to lose it)."""
    if not text:
        return None
    try:
        return GuardRecord.model_validate_json(text)
    except ValueError:
        return None


def _info(row: sqlite3.Row) -> SessionInfo:
    data = dict(row)
    data["outcome"] = Outcome(data["outcome"])
    return SessionInfo(**data)
