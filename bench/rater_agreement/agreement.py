"""How often two careful raters agree on a turn's moves: the ceiling for the reader's figures.

A second rater labelled 100 dev turns per language blind (they saw only the turns' texts,
corpus/README.md, the move descriptions, 150 labelled train turns and the language's source
document; never the corpus' labels, the rules or the reader). This prints, per language and
per move, the micro F1 of the second rater's move sets against the corpus' labels (the same
turn-level counting as ``frontline moves-quality``), and how many turns the two labelled
identically. See README.md beside this file and docs/moves.md, "How far raters agree".

    python bench/rater_agreement/agreement.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from simulator.moves.corpus import LANGUAGES, load_corpus  # noqa: E402

HERE = Path(__file__).parent


def _f1(c: Counter) -> float:
    return 2 * c["tp"] / max(2 * c["tp"] + c["fp"] + c["fn"], 1)


def main() -> int:
    corpus = {t.id: t for t in load_corpus()}
    pooled: Counter = Counter()
    per_move: dict[str, Counter] = defaultdict(Counter)
    print("second rater against the corpus' labels (dev turns, labelled blind)")
    for language in LANGUAGES:
        tally: Counter = Counter()
        for line in (HERE / f"{language}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            first = corpus[row["id"]].moves
            second = {label["move"] for label in row["labels"]}
            tally.update(tp=len(first & second), fp=len(second - first), fn=len(first - second))
            tally.update(turns=1, identical=int(first == second))
            for move in first | second:
                per_move[move].update(
                    tp=int(move in first and move in second),
                    fp=int(move in second and move not in first),
                    fn=int(move in first and move not in second),
                )
        pooled += tally
        print(
            f"  {language}  micro F1 {_f1(tally):.3f}  identical {tally['identical']}/"
            f"{tally['turns']}  both {tally['tp']}  corpus only {tally['fn']}  "
            f"second rater only {tally['fp']}"
        )
    print(f"  pooled micro F1 {_f1(pooled):.3f}  identical {pooled['identical']}/{pooled['turns']}")
    print("per move (pooled), lowest agreement first:")
    for move, c in sorted(per_move.items(), key=lambda kv: _f1(kv[1])):
        print(
            f"  {move:<20} F1 {_f1(c):.2f}  both {c['tp']:>3}  corpus only {c['fn']:>3}  "
            f"second rater only {c['fp']:>3}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
