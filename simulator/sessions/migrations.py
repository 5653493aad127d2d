"""The session database's schema, as ordered migrations with a version table.

Each migration is a list of SQL statements applied once, in order, inside one
transaction; ``schema_migrations`` records which versions a database has. A database
made before this table existed has the tables of version 1 already (they were created
with ``CREATE TABLE IF NOT EXISTS``), so version 1 is written so it applies harmlessly to
it, and every later version upgrades it in place. Add a version at the end; never edit
one that has shipped.
"""

from __future__ import annotations

import sqlite3

from ..errors import FrontlineError

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "sessions, turns, steps and scorecards",
        [
            """CREATE TABLE IF NOT EXISTS sessions (
            id           TEXT PRIMARY KEY,
            user         TEXT NOT NULL,
            persona_id   TEXT NOT NULL,
            persona_hash TEXT NOT NULL,
            rubric       TEXT,
            mode         TEXT NOT NULL,
            seed         INTEGER NOT NULL,
            renderer     TEXT NOT NULL,
            created      TEXT NOT NULL,
            updated      TEXT NOT NULL,
            status       TEXT NOT NULL,
            outcome      TEXT NOT NULL
        )""",
            "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user, created)",
            """CREATE TABLE IF NOT EXISTS turns (
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            idx        INTEGER NOT NULL,
            role       TEXT NOT NULL CHECK (role IN ('customer', 'agent')),
            text       TEXT NOT NULL,
            created    TEXT NOT NULL,
            PRIMARY KEY (session_id, idx)
        )""",
            """CREATE TABLE IF NOT EXISTS steps (
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            turn       INTEGER NOT NULL,
            state      TEXT NOT NULL,
            plan       TEXT NOT NULL,
            moves      TEXT NOT NULL,
            changes    TEXT NOT NULL,
            PRIMARY KEY (session_id, turn)
        )""",
            """CREATE TABLE IF NOT EXISTS scorecards (
            session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
            scorecard  TEXT NOT NULL,
            created    TEXT NOT NULL
        )""",
        ],
    ),
    (
        2,
        "each agent turn's reading, and the session's language",
        [
            # NULL for turns saved before readings were: the grader reads those afresh.
            "ALTER TABLE turns ADD COLUMN reading TEXT",
            "ALTER TABLE sessions ADD COLUMN language TEXT",
        ],
    ),
    (
        3,
        "replays: a turn said another way, practice only, kept with its session",
        [
            """CREATE TABLE IF NOT EXISTS replays (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            turn       INTEGER NOT NULL,
            replay     TEXT NOT NULL,
            created    TEXT NOT NULL
        )""",
            "CREATE INDEX IF NOT EXISTS replays_by_session ON replays (session_id, id)",
        ],
    ),
    (
        4,
        "each customer turn's guard record: the in-character checks of a model's words",
        [
            # NULL for phrase-bank turns and turns saved before guard records were.
            "ALTER TABLE turns ADD COLUMN guard TEXT",
        ],
    ),
    (
        5,
        "each user's web UI language, remembered across logins and devices",
        [
            # Keyed by login name, like sessions.user; a user with no row has not chosen
            # and the page follows their browser's language.
            """CREATE TABLE IF NOT EXISTS ui_preferences (
            user       TEXT PRIMARY KEY,
            language   TEXT NOT NULL,
            updated    TEXT NOT NULL
        )""",
        ],
    ),
    (
        6,
        "the complaint record made after the call; a follow-up call's link to its original",
        [
            # DOMAIN §3.10: one record per session, written once the call is over.
            """CREATE TABLE IF NOT EXISTS records (
            session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
            record     TEXT NOT NULL,
            created    TEXT NOT NULL
        )""",
            # DOMAIN §3.11: the follow-up call days later names the session it follows, and
            # how the promise made there turned out (kept, late or broken).
            "ALTER TABLE sessions ADD COLUMN follow_up_of TEXT",
            "ALTER TABLE sessions ADD COLUMN promise TEXT",
            "CREATE INDEX IF NOT EXISTS sessions_by_original ON sessions (follow_up_of)",
        ],
    ),
]

LATEST = MIGRATIONS[-1][0]


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied to the database (0 for a new or pre-versioned one)."""
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def _applied(conn: sqlite3.Connection) -> set[int]:
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: sqlite3.Connection, now: str) -> int:
    """Bring the database up to :data:`LATEST`; return the version it was at.

    Runs in one ``BEGIN IMMEDIATE`` transaction, so two processes opening the same old
    database at once upgrade it once. ``conn`` must be in autocommit mode."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "description TEXT NOT NULL, applied TEXT NOT NULL)"
    )
    found = schema_version(conn)
    if found > LATEST:
        raise FrontlineError(
            f"the session database is at schema version {found}, newer "
            f"than this Frontline knows ({LATEST}); upgrade Frontline"
        )
    # Every version the database lacks is applied, in order, not just those above its
    # highest: a database made on a branch may have a later version and miss an earlier one.
    if _applied(conn) >= {version for version, _, _ in MIGRATIONS}:
        return found
    conn.execute("BEGIN IMMEDIATE")
    try:
        applied = _applied(conn)  # again, now that we hold the write lock
        for version, description, statements in MIGRATIONS:
            if version in applied:
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?,?,?)", (version, description, now)
            )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found
