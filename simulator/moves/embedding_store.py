"""Embeddings kept on disk between runs: each distinct sentence is embedded once per machine.

The encoder's in-memory cache lasts one process. A trainer who runs ``frontline validate``
again, a certification run graded twice, a server restarted: each would embed the same
sentences anew (about 20-30 ms each on two cores; the persona linter reads ~1,450 customer
lines). :class:`EmbeddingStore` keeps them in one SQLite file, keyed by a hash of the text and
the encoder's name, so several processes share it safely.

Where: ``FRONTLINE_EMBEDDINGS`` names the file; by default ``embeddings.sqlite3`` in the data
folder (``FRONTLINE_DATA``); ``FRONTLINE_EMBEDDINGS=off`` keeps nothing on disk. The file holds
vectors, not the texts. It is bounded (:data:`MAX_ROWS`, oldest dropped first). A file that
cannot be opened, read or written is said once and then left alone: the encoder embeds as if
there were no store, never fails because of it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import data_dir

log = logging.getLogger("frontline.moves")

ENV_FILE = "FRONTLINE_EMBEDDINGS"
MAX_ROWS = 200_000  # ~300 MB of 384-dimensional float32 vectors
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vectors ("
    " encoder TEXT NOT NULL, key BLOB NOT NULL, vector BLOB NOT NULL,"
    " PRIMARY KEY (encoder, key))"
)


def store_path() -> Path | None:
    """The store's file, or None when ``FRONTLINE_EMBEDDINGS=off``."""
    value = os.environ.get(ENV_FILE, "").strip()
    if value.lower() in {"off", "0", "false", "no"}:
        return None
    return Path(value).expanduser() if value else data_dir() / "embeddings.sqlite3"


class EmbeddingStore:
    """Vectors by (encoder, text key) in a SQLite file; see the module docstring."""

    def __init__(self, path: Path, encoder: str, dim: int | None = None):
        self.path = path
        self.encoder = encoder
        self.dim = dim
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                db.commit()
                self._db = db
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)
        return self._db

    def _give_up(self, exc: Exception) -> None:
        self._broken = True
        log.warning(
            "the embeddings store %s cannot be used (%s): embedding without it", self.path, exc
        )

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The stored vectors of those ``keys`` that are stored."""
        with self._lock:
            db = self._connect()
            if db is None or not keys:
                return {}
            found: dict[bytes, np.ndarray] = {}
            try:
                for i in range(0, len(keys), 500):  # SQLite's bound on parameters
                    chunk = list(keys[i : i + 500])
                    marks = ",".join("?" * len(chunk))
                    rows = db.execute(
                        f"SELECT key, vector FROM vectors WHERE encoder = ? AND key IN ({marks})",
                        [self.encoder, *chunk],
                    )
                    for key, blob in rows:
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if self.dim is None or vector.shape == (self.dim,):
                            found[bytes(key)] = vector.copy()
            except sqlite3.Error as exc:
                self._give_up(exc)
                return {}
            return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        """Keep these vectors (an existing key keeps its vector)."""
        with self._lock:
            db = self._connect()
            if db is None or not items:
                return
            try:
                db.executemany(
                    "INSERT OR IGNORE INTO vectors (encoder, key, vector) VALUES (?, ?, ?)",
                    [
                        (self.encoder, key, np.asarray(v, dtype=np.float32).tobytes())
                        for key, v in items.items()
                    ],
                )
                count = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
                if count > MAX_ROWS:
                    db.execute(
                        "DELETE FROM vectors WHERE rowid IN "
                        "(SELECT rowid FROM vectors ORDER BY rowid LIMIT ?)",
                        (count - MAX_ROWS,),
                    )
                db.commit()
            except sqlite3.Error as exc:
                self._give_up(exc)
