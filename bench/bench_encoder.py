"""Turn latency and grading throughput with the bundled encoder (rules + encoder, offline).

    python bench/bench_encoder.py [--sessions 40] [--transcripts 60] [--threads N]
                                  [--load N] [--load-nice 19]

1. **Per-turn latency**: 10-turn practice sessions (``Conversation.reply`` plus reading the
   offline reply, SQLite store), cycling through the shipped personas. Every agent turn is a
   different sentence drawn from the corpus' English turns with a fixed seed, so the
   encoder's cache never helps (the worst case: a trainee never repeats a sentence). Prints
   n (the turns measured: 40 sessions give about 290, enough for a p95 that does not hinge
   on two or three turns), p50/p95/max per turn (wall clock), the CPU the process spent per
   turn (all its threads: spinning threads show here), the encoder's share (the time inside
   the embedder) and what the slowest 5% of turns are made of (sentences, characters).
2. **Grading throughput**: transcripts of ten agent turns without stored readings (an
   imported chat), graded against the default rubric by the rules alone and by the rules
   plus the encoder (the batch path: a transcript's sentences embedded together), each with
   a cold cache; and how many texts the model embedded.

``--threads N`` sets ``FRONTLINE_ENCODER_THREADS`` (the engine's thread count; builds before
it existed ignore it and run OpenMP's default, one spinning thread per core). ``--load N``
runs N busy loops at ``--load-nice`` (19: background work; 0: work as urgent as the turn,
e.g. other requests) during the timed parts, stopped at the end. The encoder is switched on
for the run. The model is loaded before timing (its load time is printed apart). Prints the
machine and the load average; record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.grading import RubricLibrary, grade  # noqa: E402
from simulator.moves.combine import CombinedReader, default_reader  # noqa: E402
from simulator.moves.corpus import load_corpus  # noqa: E402
from simulator.moves.detector import default_detector  # noqa: E402
from simulator.moves.encoder import shared_embedder  # noqa: E402
from simulator.persona.loader import PersonaLibrary  # noqa: E402
from simulator.sessions import Conversation, SessionStore  # noqa: E402
from simulator.transcript import Transcript, TranscriptTurn  # noqa: E402

CUSTOMER = [
    "It still hasn't arrived and I'm fed up.",
    "That's the third time I've called.",
    "I want my money back.",
    "Fine, but when?",
    "Are you even listening to me?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def busy_loops(n: int, niceness: int):
    """``n`` processes spinning at ``niceness`` while the block runs."""
    loops = [
        subprocess.Popen(["nice", "-n", str(niceness), sys.executable, "-c", "while 1: pass"])
        for _ in range(n)
    ]
    try:
        yield
    finally:
        for p in loops:
            p.kill()
            p.wait()


class Timed:
    """Wraps the shared embedder's ``embed`` to add up the time spent in it."""

    def __init__(self):
        self.embedder = shared_embedder()
        self.real = self.embedder.embed
        self.seconds = 0.0
        self.embedder.embed = self._embed  # type: ignore[method-assign]

    def _embed(self, texts):
        t0 = time.perf_counter()
        try:
            return self.real(texts)
        finally:
            self.seconds += time.perf_counter() - t0

    def clear_cache(self) -> None:
        self.embedder._cache.clear()


def session_latency(lines: list[str], sessions: int, timer: Timed) -> tuple[list, list, list, list]:
    library = PersonaLibrary()
    personas = [library.personas[i] for i in library.ids() if library.personas[i].language == "en"]
    times, shares, cpu, texts = [], [], [], []
    pool = iter(lines)
    with tempfile.TemporaryDirectory() as tmp, SessionStore(Path(tmp) / "b.sqlite3") as store:
        for s in range(sessions):
            persona = personas[s % len(personas)]
            conv = Conversation.start(persona, store=store, seed=s)
            "".join(conv.opening())
            for _ in range(10):
                if conv.finished:
                    break
                text = next(pool)
                before = timer.seconds
                c0, t0 = time.process_time(), time.perf_counter()
                "".join(conv.reply(text))
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                shares.append(timer.seconds - before)
                texts.append(text)
    return times, shares, cpu, texts


def transcripts(lines: list[str], n: int, seed: int) -> list[Transcript]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        turns = []
        for _ in range(10):
            turns.append(TranscriptTurn(role="customer", text=rng.choice(CUSTOMER)))
            turns.append(
                TranscriptTurn(role="agent", text=lines[(i * 10 + len(turns)) % len(lines)])
            )
        out.append(Transcript(id=f"bench-{i}", turns=turns))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--transcripts", type=int, default=60)
    parser.add_argument("--threads", type=int, help="FRONTLINE_ENCODER_THREADS for the run")
    parser.add_argument("--load", type=int, default=0, help="busy loops meanwhile")
    parser.add_argument("--load-nice", type=int, default=19, help="the busy loops' niceness")
    args = parser.parse_args()
    os.environ["FRONTLINE_ENCODER"] = "on"
    # The model's cost is measured: vectors kept on disk by an earlier run would hide it.
    os.environ["FRONTLINE_EMBEDDINGS"] = "off"
    if args.threads:
        os.environ["FRONTLINE_ENCODER_THREADS"] = str(args.threads)
    omp = {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_"))}
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average at start "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(
        f"settings: FRONTLINE_ENCODER_THREADS={os.environ.get('FRONTLINE_ENCODER_THREADS')} "
        f"{' '.join(f'{k}={v}' for k, v in sorted(omp.items()))}; "
        f"synthetic load: {args.load} busy loop(s) at nice {args.load_nice}"
    )
    reader = default_reader("en")
    if not isinstance(reader, CombinedReader) or reader.encoder is None:
        sys.exit("the encoder is missing: nothing to measure (see the notice above)")
    t0 = time.perf_counter()
    reader.detect("Warm up the model, please.")
    print(f"encoder model load + first sentence: {(time.perf_counter() - t0) * 1000:.0f} ms")
    timer = Timed()

    english = [t.text for t in load_corpus(languages=["en"])]
    random.Random(7).shuffle(english)
    rubric = RubricLibrary(ROOT / "rubrics").get()
    batch = transcripts(english[200:], args.transcripts, seed=3)
    rules = default_detector("en")
    grade(batch[0], rubric, detector=rules)
    with busy_loops(args.load, args.load_nice):
        times, shares, cpu, said = session_latency(english, args.sessions, timer)
        ms = [t * 1000 for t in times]
        enc = [t * 1000 for t in shares]
        cpu_ms = [t * 1000 for t in cpu]
        print(
            f"turn, rules + encoder (n={len(ms)} turns in {args.sessions} sessions of up to "
            f"ten): "
            f"p50 {percentile(ms, 0.5):.1f} ms  p95 {percentile(ms, 0.95):.1f} ms  "
            f"max {max(ms):.1f} ms  mean {statistics.fmean(ms):.1f} ms"
        )
        print(
            f"  CPU of the process per turn: p50 {percentile(cpu_ms, 0.5):.1f} ms  "
            f"p95 {percentile(cpu_ms, 0.95):.1f} ms  mean {statistics.fmean(cpu_ms):.1f} ms"
        )
        print(
            f"  of which the encoder (embedding): p50 {percentile(enc, 0.5):.1f} ms  "
            f"p95 {percentile(enc, 0.95):.1f} ms  share of total time "
            f"{sum(enc) / sum(ms):.0%}"
        )
        splitter = default_detector("en").splitter
        cut = percentile(ms, 0.95)
        slow = [t for t, m in zip(said, ms, strict=True) if m >= cut]
        rest = [t for t, m in zip(said, ms, strict=True) if m < cut]

        def shape(group: list[str]) -> str:
            sentences = [len(splitter.sentences(t)) for t in group]
            return (
                f"{len(group)} turns, mean {statistics.fmean(sentences):.1f} sentences, "
                f"mean {statistics.fmean(len(t) for t in group):.0f} characters"
            )

        print(f"  slowest 5%: {shape(slow)}; the others: {shape(rest)}")

        t0 = time.perf_counter()
        for t in batch:
            grade(t, rubric, detector=rules)
        rules_rate = len(batch) / (time.perf_counter() - t0)
        timer.clear_cache()
        spent, embedded = timer.seconds, timer.embedder.embedded
        c0, t0 = time.process_time(), time.perf_counter()
        for t in batch:
            grade(t, rubric, detector=reader)
        both = time.perf_counter() - t0
        both_cpu = time.process_time() - c0
    print(
        f"grading ten-agent-turn transcripts without readings: rules {rules_rate:.0f}/s; "
        f"rules + encoder {len(batch) / both:.2f}/s "
        f"(encoder {(timer.seconds - spent) / both:.0%} of the time; cold cache; "
        f"CPU {both_cpu / len(batch) * 1000:.0f} ms per transcript; "
        f"{timer.embedder.embedded - embedded} texts embedded for "
        f"{sum(1 for t in batch for turn in t.turns if turn.role == 'agent')} agent turns)"
    )
    print("load average at end " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
