"""Train the encoder's per-move heads on the corpus: ``frontline train-heads``.

Reproducible by this one command (``frontline train-heads``, i.e.
``python -m simulator train-heads``):

1. every turn of the corpus is split into the units the encoder reads (its sentences, the
   same splitter as at run time); a unit is labelled with each move whose labelled quote
   overlaps it;
2. each unit is embedded with the bundled encoder (the heads read that alone; with
   ``--features unit+turn`` also the whole turn's embedding);
3. the heads are fitted on the **train** split by the :class:`~.head_recipe.Recipe`: by
   default one hidden ReLU layer shared by the moves and a sigmoid per move (``--hidden
   0``: one logistic regression per move); numpy, full-batch Adam, L2, dropout, start and
   dropout masks from a fixed seed: the same corpus gives the same heads;
4. a threshold per move and per language is chosen on the **dev** split together with the
   train turns scored out of fold (five heads each fitted without a fifth of the train
   turns score that fifth): a language has only ~80 dev turns, a few per move, too few to
   place a threshold alone. For a good move the threshold with the best F1 (pooled over
   the languages half as much); for a violation the lowest whose precision is at least
   :data:`VIOLATION_PRECISION`, in that language and pooled, or never;
5. a veto per move over the rules' finds, and a shift of its thresholds for what the encoder
   adds to them, are chosen on the turns written after the rules (train and dev;
   :mod:`.rule_trust`);
6. the dev figures are printed and the heads written to ``simulator/moves/heads.npz``.

The test split is never read here. ``--embeddings FILE`` keeps the embeddings between runs
(they take minutes on two cores); the figures are the same with or without it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..languages import splitter_for
from .corpus import CorpusTurn, load_corpus
from .counting import VIOLATION_PRECISION, counts, f1, precision
from .encoder import (
    ENCODER_NAME,
    Embedder,
    EncoderUnavailable,
    _clip,
    position_features,
    units,
)
from .head_recipe import DEFAULT, FEATURES, POSITION_WIDTH, Recipe
from .heads import NEVER, Heads
from .lexical import fit_lexicon
from .optimiser import adam
from .rule_trust import choose_vetoes, shifted
from .vocabulary import VIOLATIONS, Move

SEED = 12
FOLDS = 5


def _fold(turn_id: str, folds: int) -> int:
    """A train turn's fold, fixed by its id (like the split)."""
    return int(hashlib.sha256(f"fold/{turn_id}".encode()).hexdigest(), 16) % folds


GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
MOVES = list(Move)


@dataclass
class Unit:
    """One sentence of one corpus turn, with the moves whose quotes overlap it."""

    turn: CorpusTurn
    start: int
    end: int
    labels: frozenset[str]


def corpus_units(turns: list[CorpusTurn]) -> list[Unit]:
    """Every unit of every turn, labelled by overlap with the turn's quotes."""
    out = []
    for turn in turns:
        quotes = []
        for label in turn.labels:
            at = turn.text.find(label.quote)
            quotes.append((label.move.value, at, at + len(label.quote)))
        for s, e in units(turn.text, splitter_for(turn.language)):
            moves = frozenset(m for m, qs, qe in quotes if qs < e and s < qe)
            out.append(Unit(turn, s, e, moves))
    return out


def pieces(rows: list[Unit]) -> list[str]:
    """Each unit's text as the encoder reads it at run time (cut to a bounded length)."""
    return [_clip(r.turn.text[r.start : r.end]) for r in rows]


def positions(rows: list[Unit]) -> np.ndarray:
    """(N, 4): where each unit stands in its turn (:func:`~.encoder.position_features`)."""
    out = np.zeros((len(rows), POSITION_WIDTH), dtype=np.float32)
    sentences: dict[str, list[tuple[int, int]]] = {}
    for i, r in enumerate(rows):
        turn = r.turn
        if turn.id not in sentences:
            sentences[turn.id] = units(turn.text, splitter_for(turn.language))
        out[i] = position_features(sentences[turn.id], [r.start])[0]
    return out


def features(rows: list[Unit], embedder: Embedder, kind: str = DEFAULT.features) -> np.ndarray:
    """(N, D): each unit's embedding (``unit``); (N, D + 4): beside where it stands in its
    turn (``unit+position``); or (N, 2D): beside its turn's embedding (``unit+turn``); as
    :class:`~.encoder.EncoderDetector` builds them at run time."""
    if kind not in FEATURES:
        raise ValueError(f"unknown features {kind!r} (known: {', '.join(FEATURES)})")
    texts = pieces(rows)
    if kind == "unit":
        return embedder.embed(texts)
    if kind == "unit+position":
        return np.hstack([embedder.embed(texts), positions(rows)])
    whole = [_clip(r.turn.text) for r in rows]
    vectors = embedder.embed(texts + whole)
    return np.hstack([vectors[: len(rows)], vectors[len(rows) :]])


def fit(
    x: np.ndarray, y: np.ndarray, *, l2: float = 1e-5, iterations: int = 1500, lr: float = 0.01
) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per column of ``y``, fitted together by full-batch Adam.

    Positives are weighted by sqrt(negatives/positives), so a rare move is not ignored;
    the thresholds are chosen afterwards anyway. Deterministic: zero start, fixed order."""
    n, d = x.shape
    m = y.shape[1]
    w = np.zeros((d, m), dtype=np.float32)
    b = np.zeros(m, dtype=np.float32)
    weight = _positive_weights(y)
    update = adam([w, b])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -30, 30)))
        g = (p - y) * weight
        update([x.T @ g / n + l2 * w, g.mean(axis=0)], lr)
    return w.astype(np.float32), b.astype(np.float32)


def _positive_weights(y: np.ndarray) -> np.ndarray:
    """sqrt(negatives/positives) on each positive, 1 on each negative: a rare move counts."""
    share = y.mean(axis=0).clip(1.0 / len(y))
    return np.where(y > 0, np.sqrt((1 - share) / share), 1.0).astype(np.float32)


def fit_mlp(
    x: np.ndarray,
    y: np.ndarray,
    *,
    hidden: int = 128,
    l2: float = 1e-4,
    iterations: int = 600,
    lr: float = 0.003,
    dropout: float = 0.2,
    seed: int = SEED,
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """One hidden ReLU layer shared by every move, then a sigmoid per move; full-batch Adam
    on the weighted cross-entropy of :func:`fit`, L2 on the weights and dropout on the
    hidden layer. Deterministic: the start and the dropout masks come from ``seed``.
    Returns ((W1, b1), W2, b2)."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    m = y.shape[1]
    w1 = (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(np.float32)
    b1 = np.zeros(hidden, dtype=np.float32)
    w2 = (rng.standard_normal((hidden, m)) * np.sqrt(1.0 / hidden)).astype(np.float32)
    b2 = np.zeros(m, dtype=np.float32)
    weight = _positive_weights(y)
    update = adam([w1, b1, w2, b2])
    keep = 1.0 - dropout
    for _ in range(iterations):
        pre = x @ w1 + b1
        h = np.maximum(pre, 0.0)
        mask = (rng.random(h.shape) < keep).astype(np.float32) / keep if dropout else 1.0
        hd = h * mask
        p = 1.0 / (1.0 + np.exp(-np.clip(hd @ w2 + b2, -30, 30)))
        g = (p - y) * weight / n
        gh = (g @ w2.T) * mask * (pre > 0)
        update([x.T @ gh + l2 * w1, gh.sum(axis=0), hd.T @ g + l2 * w2, g.sum(axis=0)], lr)
    return (w1, b1), w2, b2


def _unit_probabilities(rows: list[Unit], probs: np.ndarray) -> dict[tuple[str, int], np.ndarray]:
    """Each unit's probabilities, keyed by (turn id, sentence start), for :mod:`.rule_trust`."""
    return {(r.turn.id, r.start): p for r, p in zip(rows, probs, strict=True)}


def turn_scores(rows: list[Unit], probs: np.ndarray) -> dict[str, np.ndarray]:
    """Each turn's highest probability of each move over its units."""
    best: dict[str, np.ndarray] = {}
    for row, p in zip(rows, probs, strict=True):
        key = row.turn.id
        best[key] = p if key not in best else np.maximum(best[key], p)
    return best


def _counts(scores: np.ndarray, gold: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(tp, fp, fn) per threshold for one move: scores and gold are per turn."""
    return counts(scores[None, :] >= thresholds[:, None], gold)


def choose_thresholds(
    dev: list[CorpusTurn], scores: dict[str, np.ndarray], languages: list[str]
) -> dict[str, np.ndarray]:
    """A threshold per language and move, chosen on the dev turns (see the docstring)."""
    violations = {m.value for m in VIOLATIONS}
    score = np.stack([scores[t.id] for t in dev])
    gold = np.array([[m.value in t.moves for m in MOVES] for t in dev])
    lang_of = np.array([t.language for t in dev])
    out: dict[str, np.ndarray] = {}
    for language in languages:
        mine = lang_of == language
        chosen = np.full(len(MOVES), NEVER, dtype=np.float32)
        for j, move in enumerate(MOVES):
            pooled = _counts(score[:, j], gold[:, j], GRID)
            local = _counts(score[mine, j], gold[mine, j], GRID)
            if local[0].sum() == 0 or gold[mine, j].sum() == 0:
                continue  # never labelled in this language's dev turns: no evidence
            if move.value in violations:
                ok = (precision(local) >= VIOLATION_PRECISION) & (
                    precision(pooled) >= VIOLATION_PRECISION
                )
                ok &= local[:, 0] > 0
                if not ok.any():
                    continue
                objective = np.where(ok, f1(local) + 0.5 * f1(pooled), -1.0)
            else:
                objective = f1(local) + 0.5 * f1(pooled)
            # Ties go to the higher threshold: fewer, surer finds.
            best = len(GRID) - 1 - int(np.argmax(objective[::-1]))
            chosen[j] = GRID[best]
        out[language] = chosen
    return out


def dev_figures(
    dev: list[CorpusTurn], scores: dict[str, np.ndarray], thresholds: dict[str, np.ndarray]
) -> dict[str, dict]:
    """The encoder alone on the dev split, per language: micro P/R/F1, violation P."""
    violations = np.array([m in VIOLATIONS for m in MOVES])
    figures = {}
    for language, threshold in thresholds.items():
        turns = [t for t in dev if t.language == language]
        if turns:
            predicted = np.stack([scores[t.id] >= threshold for t in turns])
            gold = np.array([[m.value in t.moves for m in MOVES] for t in turns])
        else:
            predicted = gold = np.zeros((0, len(MOVES)), dtype=bool)
        every = counts(predicted.ravel(), gold.ravel())
        bad = counts(predicted[:, violations].ravel(), gold[:, violations].ravel())
        found = int(bad[0] + bad[1])
        figures[language] = {
            "micro_f1": round(float(f1(every)), 4),
            "precision": round(float(precision(every, when_none_found=0.0)), 4),
            "recall": round(float(every[0] / max(every[0] + every[2], 1)), 4),
            "violation_precision": round(float(precision(bad)), 4) if found else None,
            "violations_found": found,
        }
    return figures


def fit_recipe(
    recipe: Recipe, x: np.ndarray, y: np.ndarray, texts: list[str] | None = None
) -> Heads:
    """Heads (without thresholds) fitted on ``x`` and ``y`` by ``recipe``; with the n-gram
    view (:mod:`.lexical`) when the recipe asks for it and the units' ``texts`` are given."""
    lexicon = None
    if recipe.lexical and texts is not None:
        lexicon = fit_lexicon(
            texts,
            y,
            l2=recipe.lexical_l2,
            iterations=recipe.lexical_iterations,
            lr=recipe.lexical_lr,
        )
    if recipe.hidden <= 0:
        w, b = fit(x, y, l2=recipe.l2, iterations=recipe.iterations, lr=recipe.lr)
        return Heads(MOVES, w, b, {}, {}, lexicon=lexicon)
    hidden, w, b = fit_mlp(
        x,
        y,
        hidden=recipe.hidden,
        l2=recipe.l2,
        iterations=recipe.iterations,
        lr=recipe.lr,
        dropout=recipe.dropout,
    )
    return Heads(MOVES, w, b, {}, {}, hidden, lexicon=lexicon)


def train(
    turns: list[CorpusTurn],
    embedder: Embedder,
    recipe: Recipe = DEFAULT,
    *,
    folds: int = FOLDS,
) -> Heads:
    """Heads fitted on the train split of ``turns`` by ``recipe``, thresholds chosen on dev
    and on the train turns' out-of-fold scores (``folds`` < 2: on dev alone)."""
    train_rows = corpus_units([t for t in turns if t.split == "train"])
    dev_turns = [t for t in turns if t.split == "dev"]
    dev_rows = corpus_units(dev_turns)
    x = features(train_rows, embedder, recipe.features).astype(np.float32)
    y = np.array([[m.value in r.labels for m in MOVES] for r in train_rows], dtype=np.float32)
    train_texts = pieces(train_rows)
    heads = fit_recipe(recipe, x, y, train_texts)
    dev_probs = heads.probabilities(features(dev_rows, embedder, recipe.features), pieces(dev_rows))
    scores = turn_scores(dev_rows, dev_probs)
    units = _unit_probabilities(dev_rows, dev_probs)
    languages = sorted({t.language for t in dev_turns})
    tuning = list(dev_turns)
    if folds > 1:  # each train turn scored by heads fitted without it (out of fold)
        fold = np.array([_fold(r.turn.id, folds) for r in train_rows])
        for k in range(folds):
            kept = [t for t, f in zip(train_texts, fold, strict=True) if f != k]
            held_out = fit_recipe(recipe, x[fold != k], y[fold != k], kept)
            held = [r for r, f in zip(train_rows, fold, strict=True) if f == k]
            held_probs = held_out.probabilities(x[fold == k], pieces(held))
            scores.update(turn_scores(held, held_probs))
            units.update(_unit_probabilities(held, held_probs))
        tuning += [t for t in turns if t.split == "train"]
    heads.thresholds = choose_thresholds(tuning, scores, languages)
    fresh = [t for t in tuning if t.unseen_by_rules]
    heads.veto, shifts, trust = choose_vetoes(fresh, units, heads.thresholds)
    heads.thresholds = shifted(heads.thresholds, shifts)
    heads.meta = {
        "generated_by": "frontline train-heads",
        "encoder": ENCODER_NAME,
        "features": recipe.features,
        "seed": SEED,
        "hidden": recipe.hidden,
        "l2": recipe.l2,
        "iterations": recipe.iterations,
        "lr": recipe.lr,
        "dropout": recipe.dropout,
        "lexical": recipe.lexical,
        "lexical_iterations": recipe.lexical_iterations,
        "lexical_lr": recipe.lexical_lr,
        "lexical_l2": recipe.lexical_l2,
        "lexical_ngrams": len(heads.lexicon.vocabulary) if heads.lexicon else 0,
        "train_units": len(train_rows),
        "train_turns": sum(1 for t in turns if t.split == "train"),
        "dev_turns": len(dev_turns),
        "threshold_folds": folds,
        "violation_precision_when_tuned": VIOLATION_PRECISION,
        "dev": dev_figures(dev_turns, scores, heads.thresholds),
        "veto_turns": len(fresh),
        "trust": {m: f for m, f in trust.items() if f["veto"] or f["shift"]},
    }
    return heads


def _load_embeddings(path: Path, embedder: Embedder) -> None:
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            embedder.preload([str(t) for t in z["texts"]], z["vectors"])


def _save_embeddings(
    path: Path, embedder: Embedder, turns: list[CorpusTurn], kind: str = DEFAULT.features
) -> None:
    """The embeddings these features need (and those the file already had: a run with
    other features can reuse it)."""
    texts = {_clip(t.text[s:e]) for t in turns for s, e in units(t.text, splitter_for(t.language))}
    if kind == "unit+turn":
        texts |= {_clip(t.text) for t in turns}
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            texts |= {str(t) for t in z["texts"]}
    texts = sorted(texts)
    np.savez_compressed(path, texts=np.array(texts), vectors=embedder.embed(texts))


def run(args: argparse.Namespace) -> int:
    """``frontline train-heads``: train, print the dev figures and write the heads (options
    in simulator/cli/train_heads.py); exit 1 if the encoder is missing."""
    started = time.perf_counter()
    turns = [t for t in load_corpus(args.corpus) if t.split in ("train", "dev")]
    embedder = Embedder(cache_size=1_000_000)
    if args.embeddings:
        _load_embeddings(args.embeddings, embedder)
    try:
        recipe = Recipe(
            hidden=args.hidden,
            l2=args.l2,
            iterations=args.iterations,
            lr=args.lr,
            dropout=args.dropout,
            features=args.features,
            lexical=args.lexical,
        )
        heads = train(turns, embedder, recipe, folds=args.folds)
        if args.embeddings:
            _save_embeddings(args.embeddings, embedder, turns, recipe.features)
    except EncoderUnavailable as exc:
        print(f"frontline train-heads: {exc}", file=sys.stderr)
        return 1
    heads.save(args.out)
    print(f"heads written to {args.out} ({args.out.stat().st_size} bytes)")
    print(f"trained on {heads.meta['train_units']} units of {heads.meta['train_turns']} turns")
    print("dev split, the encoder alone with the shipped thresholds:")
    for language, f in heads.meta["dev"].items():
        vp = f["violation_precision"]
        print(
            f"  {language}  micro P {f['precision']:.2f}  R {f['recall']:.2f}  "
            f"F1 {f['micro_f1']:.2f}  violations P "
            f"{'—' if vp is None else f'{vp:.2f}'} of {f['violations_found']} found"
        )
    trust = heads.meta["trust"]
    print(
        f"trust in the rules, chosen on {heads.meta['veto_turns']} turns written after them: "
        f"{len(trust) or 'no'} moves changed"
    )
    for move, f in trust.items():
        before, after = f["before"], f["after"]
        print(
            f"  {move:<20} veto {f['veto']:.2f}  shift {f['shift']:+.1f}  tp/fp/fn "
            f"{before['tp']}/{before['fp']}/{before['fn']} -> "
            f"{after['tp']}/{after['fp']}/{after['fn']}"
        )
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1)}))
    return 0
