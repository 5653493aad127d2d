"""``frontline train-heads``: retrain the encoder's per-move heads from the corpus."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..moves.corpus import CORPUS_DIR
from ..moves.head_recipe import FEATURES, Recipe

HEADS_FILE = Path(__file__).resolve().parents[1] / "moves" / "heads.npz"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-heads",
        help="retrain the encoder's per-move heads on the corpus (train split; dev thresholds)",
        description="Fit the per-move heads (a hidden layer shared by the moves, or with "
        "--hidden 0 one logistic regression per move) on the encoder's embeddings of the "
        "corpus' train split, choose a threshold per move and language on the dev split, "
        "print the dev figures and write simulator/moves/heads.npz. The test split is not read.",
    )
    p.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="folder of <lang>.jsonl")
    p.add_argument("--out", type=Path, default=HEADS_FILE, help=f"default: {HEADS_FILE}")
    p.add_argument(
        "--embeddings", type=Path, help="keep the embeddings in this .npz file between runs"
    )
    default = Recipe()
    p.add_argument(
        "--hidden",
        type=int,
        default=default.hidden,
        help=f"hidden units shared by the moves (default {default.hidden}; 0: linear heads)",
    )
    p.add_argument("--l2", type=float, default=default.l2, help=f"L2 (default {default.l2})")
    p.add_argument(
        "--iterations",
        type=int,
        default=default.iterations,
        help=f"full-batch Adam steps (default {default.iterations})",
    )
    p.add_argument("--lr", type=float, default=default.lr, help=f"default {default.lr}")
    p.add_argument(
        "--dropout",
        type=float,
        default=default.dropout,
        help=f"dropout on the hidden layer (default {default.dropout})",
    )
    p.add_argument(
        "--features",
        choices=FEATURES,
        default=default.features,
        help="what a head reads: a sentence's embedding (unit), also where the sentence "
        "stands in its turn (unit+position: first, last, only, how many) or also the whole "
        f"turn's embedding (unit+turn, a second embedding per turn at run time; default "
        f"{default.features})",
    )
    p.add_argument(
        "--lexical",
        action=argparse.BooleanOptionalAction,
        default=default.lexical,
        help='also read each sentence\'s character n-grams (docs/moves.md, "Lexical cues"; '
        f"default {'on' if default.lexical else 'off'})",
    )
    p.add_argument(
        "--folds",
        type=int,
        default=5,
        help="train folds scored out of fold to choose thresholds with dev (default 5; "
        "0: dev alone)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..moves.train_heads import run as train  # numpy and the encoder: only when asked

    return train(args)
