"""Frontline's own cost on top of a language model, against the fake OpenAI-compatible server.

    python bench/bench_llm.py [--turns 300] [--token-delay 0.02]

Three measurements, each over the shipped personas with realistic plans and histories:

A. Per-turn CPU cost of the LLM renderer with no network (the package's MockBackend):
   prompt building, the sentence gate and the in-character checks.
B. Per-turn overhead over HTTP: the same reply streamed from the fake server (tests/
   fake_openai_server.py on 127.0.0.1, in a process of its own like a real backend) by
   the bare ``openai`` client, and through Frontline (OpenAIBackend + retry wrapper +
   LLMRenderer), alternating. Overhead = the difference of the medians. Target: < 10 ms.
C. First token to the trainee, with the server pacing tokens ``--token-delay`` apart:
   - client: server writes the first token -> the bare client has it;
   - Frontline delay: server writes the token that completes the first sentence -> the
     trainee has that sentence (Frontline's own delay; target under 50 ms);
   - sentence hold-back: server writes the first token -> the trainee sees the first
     sentence. This is the price of the sentence-gate policy (docs/llm.md), and grows
     with the first sentence's length and the model's speed, not with Frontline's code.

Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx2  # noqa: E402
import openai  # noqa: E402

from simulator.customer.machine import CustomerMachine  # noqa: E402
from simulator.llm.config import BackendConfig  # noqa: E402
from simulator.llm.mock import MockBackend  # noqa: E402
from simulator.llm.openai_backend import OpenAIBackend  # noqa: E402
from simulator.llm.prompts import customer_messages  # noqa: E402
from simulator.persona.loader import PersonaLibrary  # noqa: E402
from simulator.render.base import RenderRequest, Turn  # noqa: E402
from simulator.render.llm import LLMRenderer  # noqa: E402

REPLY = ("I have been waiting for days and nobody tells me anything. I want this fixed "
         "properly this time. What exactly are you going to do about it?")
AGENT = [
    "I'm so sorry this happened, that sounds really frustrating.",
    "Could you tell me when this started and what you were told?",
    "So, if I understand correctly, you were charged for something you didn't get?",
    "Let me explain what happened: our system sent the order twice.",
]


def requests(library: PersonaLibrary) -> list[RenderRequest]:
    """For each persona, the request after each of a few agent turns (growing history)."""
    out = []
    for pid in library.ids():
        persona = library.get(pid)
        machine = CustomerMachine(persona)
        state = machine.start()
        history = [Turn("customer", "I have a complaint about my order.")]
        for text in AGENT:
            if state.outcome.value != "ongoing":
                break
            step = machine.step(state, text)
            history.append(Turn("agent", text))
            out.append(RenderRequest(persona, step.state, step.plan, list(history), seed=1))
            history.append(Turn("customer", REPLY))
            state = step.state
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def show(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(f"  {name:<44} p50 {pct(ms, .5):7.2f} ms  p95 {pct(ms, .95):7.2f} ms  "
          f"mean {statistics.fmean(ms):7.2f} ms  n={len(ms)}")


@contextlib.contextmanager
def fake_server(content: str, chunk_delay: float = 0.0) -> Iterator[str]:
    """Run tests/fake_openai_server.py in its own process; yield its base URL."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_openai_server.py"),
                             "--content", content, "--chunk-delay", str(chunk_delay)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()  # the server exits when its stdin closes
        proc.wait(timeout=10)


def sent_times(base_url: str) -> list[tuple[float, str]]:
    """(perf_counter, text) of the chunks the server wrote since the last call. The clock
    is CLOCK_MONOTONIC, shared by every process on the machine."""
    with urllib.request.urlopen(base_url + "/_sent") as r:
        return [(float(t), str(x)) for t, x in json.load(r)]


def config(base_url: str) -> BackendConfig:
    return BackendConfig(kind="vllm", base_url=base_url, model="fake-model",
                         timeout=10, regenerations=2)


def bare_client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="x", max_retries=0,
                         timeout=httpx2.Timeout(10, connect=5))


def bench_in_process(reqs: list[RenderRequest], turns: int) -> None:
    renderer = LLMRenderer(MockBackend(default=REPLY), regenerations=2)
    times, regenerated = [], 0
    for i in range(turns):
        req = reqs[i % len(reqs)]
        t0 = time.perf_counter()
        text = "".join(renderer.render(req))
        times.append(time.perf_counter() - t0)
        regenerated += renderer.last_report.attempts > 1
        assert text.strip()
    print("A. LLM renderer CPU cost per turn, no network (MockBackend):")
    show("prompt + gate + checks", times)
    t_prompt = []
    for i in range(turns):
        t0 = time.perf_counter()
        customer_messages(reqs[i % len(reqs)])
        t_prompt.append(time.perf_counter() - t0)
    show("of which building the messages", t_prompt)
    print(f"  turns that needed a regeneration: {regenerated}")


def bench_http(reqs: list[RenderRequest], turns: int) -> None:
    with fake_server(REPLY) as url:
        renderer = LLMRenderer(OpenAIBackend(config(url)), regenerations=2)
        raw = bare_client(url)
        bare_t, front_t = [], []
        for i in range(turns + 20):  # the first 20 warm up connections and caches
            req = reqs[i % len(reqs)]
            messages = customer_messages(req)
            for which in ("bare", "frontline") if i % 2 else ("frontline", "bare"):
                t0 = time.perf_counter()
                if which == "bare":
                    stream = raw.chat.completions.create(
                        model="fake-model", messages=messages, stream=True,
                        stream_options={"include_usage": True})
                    "".join((c.choices[0].delta.content or "") for c in stream if c.choices)
                else:
                    "".join(renderer.render(req))
                if i >= 20:
                    (bare_t if which == "bare" else front_t).append(time.perf_counter() - t0)
        sent_times(url)
    print("B. Per turn over HTTP, fake server (own process) answering at once:")
    show("bare openai client, stream read to the end", bare_t)
    show("Frontline LLMRenderer (prompt, retry, gate)", front_t)
    diff = statistics.median(front_t) - statistics.median(bare_t)
    print(f"  Frontline overhead per turn (difference of medians): {diff * 1000:.2f} ms; "
          "target < 10 ms")


def bench_first_token(reqs: list[RenderRequest], turns: int, token_delay: float) -> None:
    with fake_server(REPLY, token_delay) as url:
        renderer = LLMRenderer(OpenAIBackend(config(url)), regenerations=2)
        raw = bare_client(url)
        client_ft, frontline_delay, hold = [], [], []
        for i in range(turns + 3):
            req = reqs[i % len(reqs)]
            stream = raw.chat.completions.create(model="fake-model",
                                                 messages=customer_messages(req), stream=True)
            got = None
            for c in stream:
                if got is None and c.choices and c.choices[0].delta.content:
                    got = time.perf_counter()
            first_sent = sent_times(url)[0][0]
            seen_at, first_piece = None, ""
            for piece in renderer.render(req):
                if seen_at is None:
                    seen_at, first_piece = time.perf_counter(), piece
            sent = sent_times(url)
            # The chunk whose arrival completed the first released sentence.
            need, total, completing = len(first_piece.rstrip()), 0, sent[-1][0]
            for at, text in sent:
                total += len(text)
                if total >= need:
                    completing = at
                    break
            if i >= 3:
                client_ft.append(got - first_sent)
                frontline_delay.append(seen_at - completing)
                hold.append(seen_at - sent[0][0])
    print(f"C. First token to the trainee, server pacing tokens {token_delay * 1000:.0f} ms "
          "apart:")
    show("bare client: first token written -> received", client_ft)
    show("Frontline: sentence completed -> trainee", frontline_delay)
    show("sentence hold-back: first token -> trainee", hold)
    print("  target: Frontline's own delay < 50 ms; the hold-back is the gate policy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--token-delay", type=float, default=0.02)
    parser.add_argument("--personas", type=Path, default=None)
    args = parser.parse_args()
    library = PersonaLibrary(args.personas)
    reqs = requests(library)
    if not reqs:
        sys.exit(f"no personas in {library.folder}")
    print(f"{len(library.ids())} personas, {len(reqs)} render requests; reply of "
          f"{len(REPLY.split())} words in 3 sentences")
    bench_in_process(reqs, max(args.turns, 1000))
    bench_http(reqs, args.turns)
    bench_first_token(reqs, max(20, args.turns // 10), args.token_delay)


if __name__ == "__main__":
    main()
