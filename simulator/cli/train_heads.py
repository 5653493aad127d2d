"""``frontline train-heads``: retrain the encoder's per-move heads from the corpus."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..moves.corpus import CORPUS_DIR

HEADS_FILE = Path(__file__).resolve().parents[1] / "moves" / "heads.npz"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-heads",
        help="retrain the encoder's per-move heads on the corpus (train split; dev thresholds)",
        description="Fit one logistic regression per move on the encoder's embeddings of the "
        "corpus' train split, choose a threshold per move and language on the dev split, "
        "print the dev figures and write simulator/moves/heads.npz. The test split is not read.",
    )
    p.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="folder of <lang>.jsonl")
    p.add_argument("--out", type=Path, default=HEADS_FILE, help=f"default: {HEADS_FILE}")
    p.add_argument(
        "--embeddings", type=Path, help="keep the embeddings in this .npz file between runs"
    )
    p.add_argument("--l2", type=float, default=1e-5, help="L2 penalty (default 1e-5)")
    p.add_argument("--iterations", type=int, default=1500, help="Adam steps (default 1500)")
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
