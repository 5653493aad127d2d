"""Offline turn latency and memory: many practice turns across every shipped persona.

    python bench/bench_turns.py [--turns 3000] [--personas DIR]

A turn is what the trainee waits for: ``Conversation.reply`` (move detection, the state
machine, the agent turn committed to SQLite) plus reading the whole offline reply (phrase
bank rendering, the customer turn committed). Agent lines are drawn at random, with a fixed
seed: mostly good moves and each persona's own remedy examples, a violation one time in
five, so the sessions end in different outcomes. Prints p50/p95/max per turn, the same
without the store, and peak memory. Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.customer.machine import CustomerMachine  # noqa: E402
from simulator.persona.loader import PersonaLibrary  # noqa: E402
from simulator.persona.model import Persona  # noqa: E402
from simulator.render.base import RenderRequest, Turn  # noqa: E402
from simulator.render.offline import OfflineRenderer  # noqa: E402
from simulator.sessions import Conversation, SessionStore  # noqa: E402

GOOD = [
    "Thank you for letting us know about this.",
    "I'm so sorry this happened, that sounds really frustrating.",
    "Could you tell me when this started and what you were told?",
    "So, if I understand correctly, you were charged for something you didn't get?",
    "Let me explain what happened: our system sent the order twice.",
    "I will sort this out for you personally, and I'll call you back by 5pm tomorrow.",
    "My name is Sam and you can reach me directly on 0161 555 0100.",
    "Is there anything else I can help you with today?",
]
BAD = [
    "Please calm down.",
    "That's not our fault, it was the courier.",
    "We're sorry that you have encountered this problem.",
    "Someone will look into it.",
    "I need to transfer you.",
    "There's nothing I can do about that.",
    "Hmm.",
]


def pick(rng: random.Random, persona: Persona) -> str:
    """Mostly good handling with the persona's remedies, a violation one time in five."""
    if rng.random() < 0.2:
        return rng.choice(BAD)
    return rng.choice(GOOD + [r.example for r in persona.case.remedies])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def with_store(personas: list[Persona], turns: int, db: Path) -> tuple[list[float], dict]:
    """Full turns through Conversation and SQLite; returns per-turn seconds and outcomes."""
    rng = random.Random(0)
    times: list[float] = []
    outcomes: dict[str, int] = {}
    with SessionStore(db) as store:
        seed = 0
        while len(times) < turns:
            persona = personas[seed % len(personas)]
            conv = Conversation.start(persona, store=store, seed=seed)
            "".join(conv.opening())
            while not conv.finished and len(times) < turns:
                text = pick(rng, persona)
                t0 = time.perf_counter()
                "".join(conv.reply(text))
                times.append(time.perf_counter() - t0)
            outcomes[conv.outcome.value] = outcomes.get(conv.outcome.value, 0) + 1
            seed += 1
    return times, outcomes


def without_store(personas: list[Persona], turns: int) -> list[float]:
    """The same kind of turns with the machine and the renderer only."""
    rng = random.Random(0)
    renderer = OfflineRenderer()
    times: list[float] = []
    seed = 0
    while len(times) < turns:
        persona = personas[seed % len(personas)]
        machine = CustomerMachine(persona)
        state = machine.start()
        history: list[Turn] = []
        while state.outcome.value == "ongoing" and len(times) < turns:
            text = pick(rng, persona)
            t0 = time.perf_counter()
            step = machine.step(state, text)
            history.append(Turn("agent", text))
            reply = "".join(
                renderer.render(RenderRequest(persona, step.state, step.plan, list(history), seed))
            )
            times.append(time.perf_counter() - t0)
            history.append(Turn("customer", reply))
            state = step.state
        seed += 1
    return times


def report(name: str, times: list[float]) -> None:
    ms = [t * 1000 for t in times]
    print(
        f"{name:<34} p50 {percentile(ms, 0.5):6.2f} ms   p95 {percentile(ms, 0.95):6.2f} ms"
        f"   max {max(ms):7.2f} ms   mean {statistics.fmean(ms):6.2f} ms   n={len(ms)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--personas", type=Path, default=None, help="persona folder")
    args = parser.parse_args()
    library = PersonaLibrary(args.personas)
    personas = [library.personas[i] for i in library.ids()]
    if not personas:
        sys.exit(f"no personas in {library.folder}")
    print(f"{len(personas)} personas from {library.folder}: {', '.join(library.ids())}")

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        with_store(personas, 50, Path(tmp) / "warmup.sqlite3")  # imports, regex caches
        full, outcomes = with_store(personas, args.turns, db)
        bare = without_store(personas, args.turns)
        report("turn (machine+render+SQLite)", full)
        report("turn (machine+render, no store)", bare)
        print("sessions by outcome:", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))

        tracemalloc.start()
        with_store(personas, min(args.turns, 500), Path(tmp) / "mem.sqlite3")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak Python allocations during 500 turns (tracemalloc): {peak / 1e6:.1f} MB")
    print(f"peak resident memory of the whole process (ru_maxrss): {maxrss_mb:.0f} MB")


if __name__ == "__main__":
    main()
