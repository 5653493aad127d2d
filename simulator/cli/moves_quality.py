"""``frontline moves-quality``: how well the reader finds the corpus' moves, on one split."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..moves.corpus import CORPUS_DIR, LANGUAGES, SPLITS, load_corpus, not_in_vocabulary
from ..moves.quality import LanguageQuality, combined_reading, evaluate, rule_reading
from ..moves.vocabulary import VIOLATIONS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "moves-quality",
        help="precision, recall and F1 of the move reader on the corpus",
        description="Score the move reader (by default the rules plus the encoder, as in "
        "practice and grading; --reader rules for the rules alone) on the labelled corpus: "
        "per move and per language precision/recall/F1, micro and macro, violation precision, "
        "and how often near misses are wrongly read as the move they resemble. Tune patterns "
        "on --split train or dev; the test split is for reporting only.",
    )
    p.add_argument("--split", choices=SPLITS, default="test", help="which split (default: test)")
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        action="append",
        help="only this language (repeatable; default: every language with a file)",
    )
    p.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS_DIR,
        help=f"folder of <lang>.jsonl files (default: {CORPUS_DIR})",
    )
    p.add_argument(
        "--reader",
        choices=("default", "rules"),
        default="default",
        help="default: the reader in use (the rules plus the bundled encoder; the rules "
        "alone with FRONTLINE_ENCODER=off); rules: the rule detector alone",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="only the turns written after the rules were tuned (corpus/README.md, "
        '"Fresh turns"): how the rules and the encoder do on what neither was fitted to',
    )
    p.add_argument(
        "--newest",
        action="store_true",
        help='only the newest batch of turns (corpus/README.md, "The newest batch"): on '
        "--split test, the figure no variant of the reader was chosen on",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per language")
    p.set_defaults(func=run)


def _f(value: float | None) -> str:
    return "   —" if value is None else f"{value:.2f}"


def _print_language(q: LanguageQuality) -> None:
    print(f"== {q.language} · {q.split} split · {q.turns} turns")
    if not q.has_reader:
        print(f"   the reader finds nothing in this language: {q.reader_note}")
    micro = q.micro
    print(
        f"   micro  P {_f(micro.precision)}  R {_f(micro.recall)}  F1 {_f(micro.f1)}"
        f"   macro F1 {_f(q.macro_f1)}"
    )
    v = q.violations
    print(
        f"   violations  P {_f(v.precision)} ({v.tp} right of {v.tp + v.fp} found)"
        f"  R {_f(v.recall)}"
    )
    print(f"   evidence overlaps the labelled quote in {_f(q.evidence_overlap)} of correct finds")
    print(f"   {'move':<20} {'P':>5} {'R':>5} {'F1':>5} {'tp':>4} {'fp':>4} {'fn':>4}  near misses")
    excluded = {label.value for label in not_in_vocabulary()}
    violations = {m.value for m in VIOLATIONS}
    for move, c in q.per_move.items():
        near = q.near_misses.get(move)
        near_text = f"{near.wrongly_found}/{near.turns} wrongly found" if near else ""
        if near and near.examples:
            near_text += f" (e.g. {', '.join(near.examples)})"
        tag = " (not in the vocabulary yet)" if move in excluded else ""
        name = move + ("*" if move in violations else "")
        print(
            f"   {name:<20} {_f(c.precision):>5} {_f(c.recall):>5} {_f(c.f1):>5} "
            f"{c.tp:>4} {c.fp:>4} {c.fn:>4}  {near_text}{tag}"
        )
    print(
        f"   * violation. Not in the reader's vocabulary yet, so left out of micro and macro: "
        f"{', '.join(sorted(excluded)) or 'none'}."
    )


def run(args: argparse.Namespace) -> int:
    turns = load_corpus(args.corpus, args.language)
    if args.fresh:
        turns = [t for t in turns if t.unseen_by_rules]
    if args.newest:
        turns = [t for t in turns if t.in_newest_batch]
    reader = rule_reading if args.reader == "rules" else combined_reading
    results = evaluate(turns, args.split, args.language, reader)
    if not results:
        print(f"no corpus files in {args.corpus}")
        return 1
    for q in results:
        if args.json:
            print(json.dumps(q.as_dict(), ensure_ascii=False))
        else:
            _print_language(q)
    return 0
