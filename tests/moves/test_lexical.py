"""The heads' n-gram view (simulator/moves/lexical.py): n-grams, the sparse products, the
fitting, and the view inside the heads' file."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems
from simulator.moves.head_recipe import Recipe
from simulator.moves.heads import Heads, load_heads
from simulator.moves.lexical import Lexicon, SparseRows, fit_lexicon, ngrams, vocabulary_of
from simulator.moves.train_heads import MOVES, fit_recipe
from simulator.moves.vocabulary import Move


def test_ngrams_are_within_padded_words_and_lowercased():
    grams = ngrams("Hi  YOU")
    assert " h" in grams and "hi " in grams and " hi " in grams  # 2, 3 and the whole word
    assert " you" in grams and "you " in grams and " you " in grams
    assert not any("i y" in g for g in grams)  # never across words
    assert all(g == g.lower() for g in grams)


def test_a_script_without_spaces_still_gives_ngrams():
    grams = ngrams("非常抱歉")
    assert "抱歉" in grams and "常抱歉" in grams


def _dense(rows: SparseRows) -> np.ndarray:
    out = np.zeros((len(rows.indptr) - 1, rows.width), dtype=np.float32)
    for r in range(len(rows.indptr) - 1):
        for k in range(rows.indptr[r], rows.indptr[r + 1]):
            out[r, rows.indices[k]] += rows.data[k]
    return out


@st.composite
def sparse_rows(draw):
    width = draw(st.integers(1, 6))
    lengths = draw(st.lists(st.integers(0, 4), min_size=1, max_size=6))
    indices = [
        sorted(draw(st.sets(st.integers(0, width - 1), max_size=min(n, width)))) for n in lengths
    ]
    flat = [i for row in indices for i in row]
    data = draw(st.lists(st.floats(-2, 2, width=32), min_size=len(flat), max_size=len(flat)))
    indptr = np.r_[0, np.cumsum([len(r) for r in indices])].astype(np.int64)
    return SparseRows(indptr, np.array(flat, np.int64), np.array(data, np.float32), width)


@settings(max_examples=60, deadline=None)
@given(sparse_rows(), st.integers(1, 3))
def test_the_sparse_products_match_the_dense_ones(rows, m):
    rng = np.random.default_rng(1)
    dense = _dense(rows)
    w = rng.standard_normal((rows.width, m)).astype(np.float32)
    g = rng.standard_normal((dense.shape[0], m)).astype(np.float32)
    assert np.allclose(rows.dot(w), dense @ w, atol=1e-4)
    assert np.allclose(rows.transposed_dot(g), dense.T @ g, atol=1e-4)
    assert np.allclose(rows.transposed_dot(g), dense.T @ g, atol=1e-4)  # cached column order


TEXTS = [
    *(f"sorry about the {x}" for x in ("parcel", "delay", "bill", "noise", "wait", "mess")),
    *(f"the {x} arrives on monday" for x in ("parcel", "engineer", "refund", "letter", "van")),
    *(f"lo siento por {x}" for x in ("el retraso", "la factura", "el ruido", "la espera")),
]
LABELS = np.array([[t.startswith(("sorry", "lo siento"))] for t in TEXTS], dtype=np.float32)


def test_the_view_learns_a_word_and_is_reproducible():
    first = fit_lexicon(TEXTS, LABELS, iterations=150, lr=0.1)
    again = fit_lexicon(TEXTS, LABELS, iterations=150, lr=0.1)
    assert np.array_equal(first.weights, again.weights)
    z = first.logits(["so sorry about that", "it arrives on friday"])
    assert z[0, 0] > 0 > z[1, 0]


def test_the_vocabulary_keeps_ngrams_seen_in_three_texts():
    vocabulary, idf = vocabulary_of(["abc", "abc", "abd", "xyz"])
    assert " ab" in vocabulary  # in three texts
    assert "xyz" not in vocabulary and "bd " not in vocabulary
    assert idf.shape == (len(vocabulary),) and (idf >= 1.0).all()


def _heads_with_a_view(tmp_path):
    x = np.random.default_rng(2).standard_normal((len(TEXTS), 4)).astype(np.float32)
    y = np.tile(LABELS, (1, len(MOVES)))
    heads = fit_recipe(Recipe(hidden=4, iterations=20), x, y, TEXTS)
    heads.thresholds = {"en": np.full(len(MOVES), 0.5, dtype=np.float32)}
    return heads, x


def test_heads_with_an_ngram_view_survive_a_save_and_a_load(tmp_path):
    heads, x = _heads_with_a_view(tmp_path)
    assert heads.lexicon is not None
    path = tmp_path / "heads.npz"
    heads.save(path)
    loaded = load_heads(path)
    assert loaded.lexicon is not None and loaded.lexicon.vocabulary == heads.lexicon.vocabulary
    # The n-gram weights are stored as float16: probabilities move by less than 0.001.
    diff = loaded.probabilities(x, TEXTS) - heads.probabilities(x, TEXTS)
    assert np.abs(diff).max() < 1e-3
    with pytest.raises(ValueError, match="n-grams"):
        loaded.probabilities(x)


def test_an_ngram_view_of_the_wrong_shape_is_named(tmp_path):
    path = tmp_path / "heads.npz"
    weights = np.zeros((3, 1), np.float32)  # three rows for a vocabulary of two
    lexicon = Lexicon(["ab", "cd"], np.ones(2, np.float32), weights, np.zeros(1, np.float32))
    heads = Heads(
        [Move.THANK],
        np.zeros((5, 1), np.float32),
        np.zeros(1, np.float32),
        {"en": np.full(1, 0.5, np.float32)},
        lexicon=lexicon,
    )
    heads.save(path)
    with pytest.raises(FileProblems) as caught:
        load_heads(path)
    assert str(path) in str(caught.value) and "n-gram view" in str(caught.value)
