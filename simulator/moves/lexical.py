"""The heads' second view of a sentence: its character n-grams.

The encoder's embedding of a sentence carries its meaning but blurs the exact words a move
turns on ("lo siento" or "lo siento, pero"; 抱歉 or 很遗憾): the per-move heads over the
embedding alone missed much that a rater reads off the words (docs/moves.md, "Lexical
cues"). So the heads also read the sentence's character n-grams (2 to 5 characters, within
words, lowercased: they need no tokeniser, cover every script, and survive typos and missing
accents) through one logistic regression per move, and a move's probability is the sigmoid
of the mean of the two views' log-odds.

The vocabulary is the n-grams seen in at least :data:`MIN_DOCUMENT_FREQUENCY` training
sentences; a sentence is weighted tf-idf (sublinear counts, smoothed idf, unit length). It is
fitted by ``frontline train-heads`` beside the network over the embeddings and stored in the
same file (:mod:`.heads`). numpy only: the sparse products are gathers and segment sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .optimiser import adam

NGRAM_SIZES = (2, 3, 4, 5)
MIN_DOCUMENT_FREQUENCY = 3
MAX_VOCABULARY = 200_000  # a bound on the file; the corpus gives far fewer


def ngrams(text: str) -> list[str]:
    """The character n-grams of ``text``: within each whitespace-separated word padded by a
    space on each side, every length of :data:`NGRAM_SIZES` (a padded word no longer than a
    length gives itself instead, once for each such length)."""
    out: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in NGRAM_SIZES:
            if len(padded) <= n:
                out.append(padded)
                continue
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


@dataclass
class SparseRows:
    """A row-compressed sparse matrix (rows: sentences; columns: n-grams)."""

    indptr: np.ndarray  # (N+1,) int64
    indices: np.ndarray  # (nnz,) int64
    data: np.ndarray  # (nnz,) float32
    width: int
    _by_column: tuple | None = field(default=None, repr=False)

    def dot(self, w: np.ndarray) -> np.ndarray:
        """(N, M) = self @ w for a dense (width, M) ``w``."""
        n = len(self.indptr) - 1
        out = np.zeros((n, w.shape[1]), dtype=np.float32)
        if len(self.indices) == 0:
            return out
        contributions = self.data[:, None] * w[self.indices]
        filled = self.indptr[:-1] < self.indptr[1:]
        out[filled] = np.add.reduceat(contributions, self.indptr[:-1][filled], axis=0)
        return out

    def transposed_dot(self, g: np.ndarray) -> np.ndarray:
        """(width, M) = self.T @ g for a dense (N, M) ``g``."""
        out = np.zeros((self.width, g.shape[1]), dtype=np.float32)
        if len(self.indices) == 0:
            return out
        if self._by_column is None:  # the column order, worked out once per matrix
            rows = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))
            order = np.argsort(self.indices, kind="stable")
            columns = self.indices[order]
            starts = np.flatnonzero(np.r_[True, columns[1:] != columns[:-1]])
            self._by_column = (rows[order], self.data[order, None], columns[starts], starts)
        rows, data, columns, starts = self._by_column
        out[columns] = np.add.reduceat(data * g[rows], starts, axis=0)
        return out


@dataclass
class Lexicon:
    """The n-gram view: a vocabulary, its idf and a logistic regression per move."""

    vocabulary: list[str]
    idf: np.ndarray  # (V,) float32
    weights: np.ndarray  # (V, M) float32
    bias: np.ndarray  # (M,) float32

    def __post_init__(self) -> None:
        self._index = {gram: i for i, gram in enumerate(self.vocabulary)}

    def rows(self, texts: list[str]) -> SparseRows:
        """The tf-idf rows of ``texts`` over the vocabulary (unknown n-grams are dropped)."""
        return _rows(texts, self._index, self.idf)

    def logits(self, texts: list[str]) -> np.ndarray:
        """(N, M) log-odds of each move for each text."""
        return self.rows(texts).dot(self.weights) + self.bias


def _rows(texts: list[str], index: dict[str, int], idf: np.ndarray) -> SparseRows:
    """The texts' tf-idf rows: sublinear counts of the known n-grams, times idf, unit length."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for text in texts:
        counts: dict[int, int] = {}
        for gram in ngrams(text):
            j = index.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        columns = sorted(counts)
        values = np.array([(1.0 + np.log(counts[j])) * idf[j] for j in columns], dtype=np.float32)
        norm = float(np.sqrt((values * values).sum())) if len(values) else 0.0
        indices.extend(columns)
        data.extend((values / norm if norm else values).tolist())
        indptr.append(len(indices))
    return SparseRows(
        np.array(indptr, dtype=np.int64),
        np.array(indices, dtype=np.int64),
        np.array(data, dtype=np.float32),
        len(idf),
    )


def vocabulary_of(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """The n-grams in at least :data:`MIN_DOCUMENT_FREQUENCY` of ``texts`` (sorted; the
    most frequent :data:`MAX_VOCABULARY` at most) and their smoothed idf."""
    frequency: dict[str, int] = {}
    for text in texts:
        for gram in set(ngrams(text)):
            frequency[gram] = frequency.get(gram, 0) + 1
    kept = [g for g, f in frequency.items() if f >= MIN_DOCUMENT_FREQUENCY]
    if len(kept) > MAX_VOCABULARY:
        kept = sorted(kept, key=lambda g: (-frequency[g], g))[:MAX_VOCABULARY]
    vocabulary = sorted(kept)
    n = len(texts)
    idf = np.array(
        [np.log((1 + n) / (1 + frequency[g])) + 1.0 for g in vocabulary], dtype=np.float32
    )
    return vocabulary, idf


def fit_lexicon(
    texts: list[str],
    y: np.ndarray,
    *,
    l2: float = 1e-5,
    iterations: int = 200,
    lr: float = 0.05,
) -> Lexicon:
    """A logistic regression per column of ``y`` over the texts' n-grams, fitted together by
    full-batch Adam from zero (deterministic). Positives and negatives of each move weigh
    half the loss each (a rare move is not ignored). The vocabulary is the texts' own
    (:func:`vocabulary_of`): each out-of-fold fit of ``train-heads`` has its own."""
    grams, idf = vocabulary_of(texts)
    index = {g: i for i, g in enumerate(grams)}
    x = _rows(texts, index, idf)
    n, m = y.shape
    positives = y.sum(axis=0).clip(1.0)
    negatives = (n - y.sum(axis=0)).clip(1.0)
    weight = np.where(y > 0, n / (2 * positives), n / (2 * negatives)).astype(np.float32)
    w = np.zeros((len(grams), m), dtype=np.float32)
    b = np.zeros(m, dtype=np.float32)
    update = adam([w, b])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x.dot(w) + b, -30, 30)))
        g = (p - y) * weight / n
        update([x.transposed_dot(g) + l2 * w, g.sum(axis=0)], lr)
    return Lexicon(grams, idf, w, b)
