"""Load benchmark: N simulated trainees chatting with the web app at once, offline engine.

Starts ``frontline serve`` on 127.0.0.1 with a fresh database and N trainee accounts, then
runs N threads, each a separate logged-in gradio_client session that starts practice
sessions and sends replies until it has sent ``--turns`` of them. Prints p50/p95/max turn
latency (send → the customer's whole reply back), start latency, throughput and the
server's peak RSS, and with ``--append`` adds them to docs/benchmarks.md.

    python bench/bench_web_load.py                 # 50 trainees x 10 turns
    python bench/bench_web_load.py --think 3       # each waits ~3 s before replying
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from gradio_client import Client  # noqa: E402
from web_server import start_server  # noqa: E402

from simulator.persona.loader import PersonaLibrary  # noqa: E402
from simulator.users import Role, UserStore  # noqa: E402

REPLIES = [
    "Thank you for telling us about this. I'm so sorry, that sounds really frustrating.",
    "Could you tell me when this started and what happened exactly?",
    "So, to make sure I have it right: the problem is still not fixed and nobody called back.",
    "I will put this right myself. I'll arrange a full refund today and confirm it by email "
    "within 24 hours; my name is Sam and my direct line is 0113 496 0000.",
    "Is there anything else I can help you with today?",
    "Does that solve it for you?",
]
SCORECARD = 5  # index of the scorecard in the outputs of /send
LOAD_BEFORE = 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def peak_rss_mib(pid: int) -> float:
    """The process's high-water resident set size (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def trainee(
    url: str,
    name: str,
    password: str,
    personas: list[str],
    turns: int,
    think: float,
    seed: int,
    barrier: threading.Barrier,
    out: dict,
) -> None:
    rng = random.Random(seed)
    # Plain http on the loopback: no TLS is involved, and ssl_verify=False stops httpx from
    # re-reading the CA bundle on every request, which otherwise dominates the client's CPU.
    client = Client(url, auth=(name, password), verbose=False, ssl_verify=False)
    barrier.wait()  # everyone logged in: from here on they chat at the same time
    sent = 0
    while sent < turns:
        t0 = time.perf_counter()
        client.predict(
            rng.choice(personas), "complaint-handling", "training", True, api_name="/start"
        )
        # The first starts all happen at the same instant (everyone begins together).
        out["first_start" if not out["sessions"] else "start"].append(time.perf_counter() - t0)
        out["sessions"] += 1
        for reply in REPLIES:
            if sent >= turns:
                break
            if think:  # reading the customer and typing the reply
                time.sleep(rng.uniform(0.5, 1.5) * think)
            t0 = time.perf_counter()
            result = client.predict(reply, True, api_name="/send")
            out["turn"].append(time.perf_counter() - t0)
            sent += 1
            if isinstance(result[SCORECARD], str) and "fl-scorecard-body" in result[SCORECARD]:
                break  # the customer resolved, escalated or left: the session ended itself
        else:
            client.predict(api_name="/end")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trainees", type=int, default=50)
    ap.add_argument("--turns", type=int, default=10, help="replies each trainee sends")
    ap.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a trainee takes "
        "to read and type before each reply (0: send back to back, a stress test)",
    )
    ap.add_argument(
        "--append", action="store_true", help="append the figures to docs/benchmarks.md"
    )
    args = ap.parse_args()

    global LOAD_BEFORE
    LOAD_BEFORE = os.getloadavg()[0]  # other work on the machine skews every figure
    folder = Path(tempfile.mkdtemp(prefix="frontline-bench-"))
    users = UserStore(folder / "users.yaml")
    accounts = {f"trainee{i:02d}": f"password-{i:02d}" for i in range(args.trainees)}
    for name, password in accounts.items():
        users.add(name, Role.TRAINEE, password)
    server = start_server(folder)
    try:
        personas = PersonaLibrary(server.personas).ids()
        results = {n: {"turn": [], "start": [], "first_start": [], "sessions": 0} for n in accounts}
        barrier = threading.Barrier(args.trainees + 1)
        threads = [
            threading.Thread(
                target=trainee,
                args=(server.url, n, p, personas, args.turns, args.think, i, barrier, results[n]),
            )
            for i, (n, p) in enumerate(accounts.items())
        ]
        for t in threads:
            t.start()
        barrier.wait()
        t0, cpu0, own0 = time.perf_counter(), cpu_seconds(server.process.pid), time.process_time()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        server_cpu = cpu_seconds(server.process.pid) - cpu0
        client_cpu = time.process_time() - own0
        rss = peak_rss_mib(server.process.pid)
    finally:
        server.stop()

    turns = [x for r in results.values() for x in r["turn"]]
    starts = [x for r in results.values() for x in r["start"]]
    first_starts = [x for r in results.values() for x in r["first_start"]]
    sessions = sum(r["sessions"] for r in results.values())
    if len(turns) != args.trainees * args.turns:
        # A trainee thread died (its traceback is above): the figures would flatter.
        print(
            f"error: {len(turns)} turns measured, expected {args.trainees * args.turns}",
            file=sys.stderr,
        )
        return 1
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    figures = {
        "trainees at once": args.trainees,
        "think time per reply": f"{args.think:g} s (mean)",
        "turns measured": len(turns),
        "sessions started": sessions,
        "turn latency p50": ms(statistics.median(turns)),
        "turn latency p95": ms(percentile(turns, 95)),
        "turn latency max": ms(max(turns)),
        "first start, all at once, p50 / p95": f"{ms(statistics.median(first_starts))} / "
        f"{ms(percentile(first_starts, 95))}",
        "later session start p50 / p95": (
            f"{ms(statistics.median(starts))} / {ms(percentile(starts, 95))}" if starts else "-"
        ),
        "throughput": f"{len(turns) / wall:.1f} turns/s",
        "server CPU per turn": ms(
            server_cpu / max(len(turns) + len(starts) + len(first_starts), 1)
        ),
        "client CPU per turn": ms(
            client_cpu / max(len(turns) + len(starts) + len(first_starts), 1)
        ),
        "load average before": f"{LOAD_BEFORE:.1f}",
        "server peak RSS": f"{rss:.0f} MiB",
    }
    for k, v in figures.items():
        print(f"{k:>36}: {v}")
    if args.append:
        append(figures, args)
    return 0


def append(figures: dict, args: argparse.Namespace) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = "\n".join(f"| {k} | {v} |" for k, v in figures.items())
    text = text.rstrip("\n") + (
        f"\n\n## Web UI under load ({when})\n\n"
        f"`python bench/bench_web_load.py --trainees {args.trainees} --turns {args.turns} "
        f"--think {args.think:g}` "
        f"on {os.cpu_count()} cores, Python {platform.python_version()}, offline engine: "
        f"{args.trainees} logged-in trainees, each its own gradio_client session, chat at the "
        "same time; a turn is measured from sending the reply to receiving the customer's "
        "whole streamed answer (and the scorecard, when the customer ends the session). "
        "The clients run on the same machine and share its cores with the server.\n\n"
        f"| measure | value |\n|---|---|\n{rows}\n"
    )
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    print(f"appended to {path}")


if __name__ == "__main__":
    sys.exit(main())
