"""Rule-grading throughput: twenty-turn transcripts graded per second on one core.

    python bench/bench_grading.py [--transcripts 500] [--rounds 3] [--seed 7]

Transcripts are built with a fixed seed from the agent sentences of the gold set
(tests/gold) and the grader tests, 1-3 distinct sentences per agent turn, ten customer and
ten agent turns each. The process is pinned to one CPU. Prints the best of ``rounds`` runs
for: the whole grade (default rubric), move detection alone, and criteria evaluation alone
(moves already detected), plus grading against all six shipped rubrics. Target: at least
1,000 transcripts per second for the whole grade (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.grading import RubricLibrary, grade, observe, parse_transcripts  # noqa: E402
from simulator.grading import grader as grader_module  # noqa: E402
from simulator.languages import splitter_for  # noqa: E402
from simulator.moves import default_detector  # noqa: E402
from simulator.transcript import Transcript, TranscriptTurn  # noqa: E402

EXTRA = [
    "Thank you for letting us know.",
    "That sounds really frustrating.",
    "Could you tell me your order number?",
    "Was the box damaged when it arrived?",
    "I'll send a replacement by Friday.",
    "Would you prefer a refund or a replacement?",
    "Does that work for you?",
    "What else can I help you with?",
    "Please calm down.",
    "We're very busy at the moment.",
    "Someone will look into it.",
    "I need to transfer you.",
]
CUSTOMER = [
    "It still hasn't arrived and I'm fed up.",
    "That's the third time I've called.",
    "I want my money back.",
    "Fine, but when?",
    "Nobody ever calls me back.",
    "OK. I suppose that's fair.",
    "Are you even listening to me?",
    "It was meant to be a gift.",
]


def sentence_pool() -> list[str]:
    loaded, _ = parse_transcripts(ROOT / "tests" / "gold")
    pool = set(EXTRA)
    for item in loaded:
        for _, text in item.transcript.agent_turns():
            pool.update(text[s:e] for s, e in splitter_for("en").sentences(text))
    return sorted(pool)


def make_transcripts(n: int, seed: int) -> list[Transcript]:
    rng = random.Random(seed)
    pool = sentence_pool()
    out = []
    for _ in range(n):
        turns = []
        for _ in range(10):
            turns.append(TranscriptTurn(role="customer", text=rng.choice(CUSTOMER)))
            turns.append(
                TranscriptTurn(role="agent", text=" ".join(rng.sample(pool, rng.randint(1, 3))))
            )
        out.append(Transcript(turns=turns))
    return out


def best_rate(fn, items, rounds: int) -> tuple[float, float]:
    """Items per second, best of ``rounds``: by CPU time of this process (steady on a shared
    machine) and by wall-clock time."""
    cpu = wall = float("inf")
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        for item in items:
            fn(item)
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return len(items) / cpu, len(items) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-index",
        action="store_true",
        help="search every pattern in "
        "every sentence (the detector without its prefilter), to compare",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    library = RubricLibrary(ROOT / "rubrics")
    rubric = library.get()
    detector = default_detector()
    if args.no_index:
        everything = list(range(len(detector._flat) + sum(len(r.unless) for r in detector._rules)))
        detector._index.candidates = lambda sentence: everything
    transcripts = make_transcripts(args.transcripts, args.seed)
    sentences = sum(
        len(splitter_for("en").sentences(t)) for x in transcripts for _, t in x.agent_turns()
    )
    grade(transcripts[0], rubric)  # warm up: patterns compiled, rubric hashed

    whole = best_rate(lambda t: grade(t, rubric, detector=detector), transcripts, args.rounds)
    detect = best_rate(lambda t: observe(t, detector), transcripts, args.rounds)
    observed = {id(t): observe(t, detector) for t in transcripts}
    real_observe = grader_module.observe
    grader_module.observe = lambda t, d=None, ended=True, language=None: observed[id(t)]  # noqa: E501 - pre-detected
    try:
        rules = best_rate(lambda t: grade(t, rubric, detector=detector), transcripts, args.rounds)
        all_six = best_rate(
            lambda t: [grade(t, r, detector=detector) for r in library.rubrics.values()],
            transcripts,
            args.rounds,
        )
    finally:
        grader_module.observe = real_observe

    print(
        f"python {platform.python_version()}, one core, {args.transcripts} transcripts of 20 "
        f"turns (10 agent turns, {sentences / len(transcripts) / 10:.1f} sentences each), "
        f"best of {args.rounds}" + (", detector prefilter OFF" if args.no_index else "")
    )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; transcripts/s by "
        "CPU time (by wall-clock time)"
    )
    rows = [
        ("grade, default rubric (detect + rules)", whole),
        ("move detection alone", detect),
        ("criteria + phrasing rules alone", rules),
        (f"rules alone, all {len(library.rubrics)} rubrics per transcript", all_six),
    ]
    for label, (cpu, wall) in rows:
        print(f"{label:48} {cpu:7.0f} ({wall:.0f})   {1000 / cpu:.3f} ms each")
    print(
        "target >= 1,000 transcripts/s for the whole grade: "
        f"{'met' if whole[0] >= 1000 else 'NOT met'} (by CPU time)"
    )


if __name__ == "__main__":
    main()
