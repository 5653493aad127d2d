"""``frontline moves``: the moves Frontline reads in a turn, with their evidence.

Trainers use it to check how a phrasing is read before they rely on it; scripts use
``--json``. Each turn is read exactly as practice and grading read it: by
:func:`simulator.moves.reading.read_turn` with the configured detector of the turn's language
(:func:`simulator.wiring.detector_from_config`: the rules, plus the LLM when one is set up to
detect moves). Without ``--language`` each turn's language is detected
(:mod:`simulator.languages.detect`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator

from ..errors import FileProblems, FrontlineError
from ..languages.detect import CODE, detect_language
from ..moves.reading import Reading, read_turn
from ..moves.vocabulary import MOVES
from ..transcript import MAX_TURN_CHARS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "moves",
        help="show the moves read in a turn, with the words that show each",
        description="Read each TEXT (or each line of standard input) as an agent turn and print "
        "the moves found, each with the words that show it. The turn is read as practice and "
        "grading read it. Without --language the language of each turn is detected.",
    )
    p.add_argument("text", nargs="*", metavar="TEXT", help="turns to read (default: stdin)")
    p.add_argument(
        "--language",
        metavar="L",
        help="the turns' language code, e.g. en, zh (default: detected for each turn)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per turn: {"text", "language", "moves": [{"move", "quote", '
        '"start", "end", "source"}]}',
    )
    p.set_defaults(func=run)


def _stdin_lines() -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of standard input, decoded as UTF-8."""
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrontlineError(
                f"stdin line {number}: not UTF-8 text (byte {exc.start + 1}); "
                "save the file as UTF-8"
            ) from None
        yield number, line.rstrip("\r\n")


def _turns(args: argparse.Namespace) -> Iterable[tuple[str, str]]:
    """(where, text) of each turn to read: "argument 2" or "stdin line 5"."""
    if args.text:
        return ((f"argument {i}", t) for i, t in enumerate(args.text, start=1))
    return ((f"stdin line {n}", t) for n, t in _stdin_lines())


def as_json(text: str, reading: Reading) -> dict:
    """The ``--json`` object of one turn; ``quote`` is the exact words that show the move."""
    return {
        "text": text,
        "language": reading.language,
        "moves": [
            {
                "move": m.move.value,
                "quote": m.text,
                "start": m.start,
                "end": m.end,
                "source": m.source,
            }
            for m in reading.moves
        ],
    }


def _print_plain(text: str, reading: Reading) -> None:
    print(f"[{reading.language}] {text}")
    if not reading.moves:
        print("  (no moves found)")
    for m in reading.moves:
        kind = "violation" if MOVES[m.move].violation else "good"
        print(
            f"  {m.move.value:<18} {kind:<9} \u201c{m.text}\u201d  ({m.start}-{m.end}, {m.source})"
        )


def run(args: argparse.Namespace) -> int:
    from ..wiring import detector_from_config  # deferred: loads patterns and configuration

    if args.language is not None and not CODE.match(args.language):
        raise FrontlineError(f"--language: not a language code: {args.language!r} (e.g. en, zh)")
    detectors: dict[str, object] = {}
    failed = 0
    for where, text in _turns(args):
        if not text.strip():
            continue  # a blank line is no turn
        if len(text) > MAX_TURN_CHARS:
            print(
                f"frontline: {where}: the turn is {len(text):,} characters; "
                f"a turn holds at most {MAX_TURN_CHARS:,}",
                file=sys.stderr,
            )
            failed += 1
            continue
        try:
            language = args.language or detect_language(text)
        except FrontlineError as exc:
            print(f"frontline: {where}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if language not in detectors:
            try:
                detectors[language] = detector_from_config(language)
            except FileProblems as exc:
                # An unknown language stops the run when it was asked for; a detected one
                # without patterns (a trainer's detect.yaml alone) only skips that turn.
                if args.language is not None:
                    raise
                print(f"frontline: {where}: read as {language!r}: {exc}", file=sys.stderr)
                failed += 1
                continue
        reading = read_turn(text, detectors[language], language)
        if args.json:
            print(json.dumps(as_json(text, reading), ensure_ascii=False))
        else:
            _print_plain(text, reading)
        sys.stdout.flush()
    return 1 if failed else 0
