"""Frontline's own cost on top of a language model, against the fake OpenAI-compatible server.

    python bench/bench_llm.py [--turns 300] [--token-delay 0.02] [--sections ABC]

Three measurements, each over the shipped personas with realistic plans and histories:

A. Per-turn CPU cost of the LLM renderer with no network (the package's MockBackend):
   prompt building, the release gate and the in-character checks, for both release
   policies (``sentence``, the default, and ``early``; docs/llm.md).
B. Per-turn overhead over HTTP: the same reply streamed from the fake server (tests/
   fake_openai_server.py on 127.0.0.1, in a process of its own like a real backend) by
   the bare ``openai`` client, and through Frontline (OpenAIBackend + retry wrapper +
   LLMRenderer, early release), alternating. Overhead = the difference of the medians.
   Target: < 10 ms.
C. First token to the trainee, with the server pacing tokens ``--token-delay`` apart, for
   both policies and a few reply openings:
   - client: server writes the first token -> the bare client has it;
   - first token -> trainee: server writes the reply's first token -> the trainee sees
     the first words (issue 4's figure, target under 50 ms);
   - Frontline's own delay: server writes the token that made the first words safe to
     show -> the trainee has them. Which token that was is found by replaying the
     server's chunks through a fresh gate; the rest of the first figure is the policy
     waiting for the model (a token that could still begin a forbidden phrase, or a
     whole sentence), set by the reply's words and the model's speed.

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
from simulator.persona.loader import PersonaLibrary  # noqa: E402
from simulator.render.base import RenderRequest, Turn  # noqa: E402
from simulator.render.character import checker_for  # noqa: E402
from simulator.render.llm import EarlyGate, LLMRenderer, SentenceGate  # noqa: E402
from simulator.render.prompts import customer_messages  # noqa: E402

REPLY = (
    "I have been waiting for days and nobody tells me anything. I want this fixed "
    "properly this time. What exactly are you going to do about it?"
)
# Other openings for C, with what the early gate waits for before the first words.
OPENINGS = [
    ("Nobody has told me anything for a week. Fix it.", "nothing"),
    ("How can you charge me twice for one order? Fix it.", "'How can' (How can I help)"),
    ("That is not good enough. I want a refund.", "'That is' (that is fine)"),
    ("Thank you, but I still want my refund. When?", "the sentence (thank you for sorting this)"),
]
POLICIES = {"early": EarlyGate, "sentence": SentenceGate}
EARLIER = [
    "It has gone on far too long already.",
    "Nobody from your side has called me back.",
    "I was promised an answer last week.",
    "I just want it sorted out.",
]
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
        for text, said in zip(AGENT, EARLIER, strict=True):
            if state.outcome.value != "ongoing":
                break
            step = machine.step(state, text)
            history.append(Turn("agent", text))
            # The fixed reply gives no fact: a turn whose plan gives one would (rightly)
            # fail the planned-reveal check and measure the phrase bank instead.
            if step.plan.fact is None:
                out.append(RenderRequest(persona, step.state, step.plan, list(history), seed=1))
            # Earlier customer turns differ from the reply: saying it again is a break.
            history.append(Turn("customer", said))
            state = step.state
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def show(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"  {name:<44} p50 {pct(ms, 0.5):7.2f} ms  p95 {pct(ms, 0.95):7.2f} ms  "
        f"mean {statistics.fmean(ms):7.2f} ms  n={len(ms)}"
    )


@contextlib.contextmanager
def fake_server(content: str, chunk_delay: float = 0.0) -> Iterator[str]:
    """Run tests/fake_openai_server.py in its own process; yield its base URL."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "fake_openai_server.py"),
            "--content",
            content,
            "--chunk-delay",
            str(chunk_delay),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
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
    return BackendConfig(
        kind="vllm", base_url=base_url, model="fake-model", timeout=10, regenerations=2
    )


def bare_client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=base_url, api_key="x", max_retries=0, timeout=httpx2.Timeout(10, connect=5)
    )


def bench_in_process(reqs: list[RenderRequest], turns: int) -> None:
    print("A. LLM renderer CPU cost per turn, no network (MockBackend):")
    regenerated = 0
    for policy in POLICIES:
        renderer = LLMRenderer(MockBackend(default=REPLY), regenerations=2, release=policy)
        times = []
        for i in range(turns):
            req = reqs[i % len(reqs)]
            t0 = time.perf_counter()
            text = "".join(renderer.render(req))
            times.append(time.perf_counter() - t0)
            regenerated += renderer.last_report.attempts > 1
            assert text == REPLY, text
        show(f"prompt + gate + checks, {policy} release", times)
    t_prompt = []
    for i in range(turns):
        t0 = time.perf_counter()
        customer_messages(reqs[i % len(reqs)])
        t_prompt.append(time.perf_counter() - t0)
    show("of which building the messages", t_prompt)
    print(f"  turns that needed a regeneration: {regenerated}")


def bench_http(reqs: list[RenderRequest], turns: int) -> None:
    with fake_server(REPLY) as url:
        renderer = LLMRenderer(OpenAIBackend(config(url)), regenerations=2, release="early")
        raw = bare_client(url)
        bare_t, front_t = [], []
        for i in range(turns + 20):  # the first 20 warm up connections and caches
            req = reqs[i % len(reqs)]
            messages = customer_messages(req)
            for which in ("bare", "frontline") if i % 2 else ("frontline", "bare"):
                t0 = time.perf_counter()
                if which == "bare":
                    stream = raw.chat.completions.create(
                        model="fake-model",
                        messages=messages,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                    "".join((c.choices[0].delta.content or "") for c in stream if c.choices)
                else:
                    "".join(renderer.render(req))
                if i >= 20:
                    (bare_t if which == "bare" else front_t).append(time.perf_counter() - t0)
        sent_times(url)
    print("B. Per turn over HTTP, fake server (own process) answering at once:")
    show("bare openai client, stream read to the end", bare_t)
    show("Frontline LLMRenderer (early release)", front_t)
    diff = statistics.median(front_t) - statistics.median(bare_t)
    print(
        f"  Frontline overhead per turn (difference of medians): {diff * 1000:.2f} ms; "
        "target < 10 ms"
    )


def releasing_chunk(policy: str, req: RenderRequest, chunks: list[str]) -> int:
    """The index of the streamed chunk after which the gate first let text through."""
    who = req.persona.identity.name
    gate = POLICIES[policy](checker_for(req.persona.language).bind(req), [who, who.split()[0]])
    for i, text in enumerate(chunks):
        if gate.feed(text):
            return i
    return len(chunks) - 1  # released only when the stream ended


def first_token(
    reqs: list[RenderRequest],
    turns: int,
    token_delay: float,
    content: str,
) -> dict[str, list[float]]:
    """Per turn: the bare client's first token, then per policy first token -> trainee and
    releasing token -> trainee (seconds); also the chunks held before the first words."""
    out: dict[str, list[float]] = {"client": []}
    with fake_server(content, token_delay) as url:
        raw = bare_client(url)
        renderers = {
            p: LLMRenderer(OpenAIBackend(config(url)), regenerations=2, release=p) for p in POLICIES
        }
        for i in range(turns + 3):  # the first 3 warm up
            req = reqs[i % len(reqs)]
            stream = raw.chat.completions.create(
                model="fake-model", messages=customer_messages(req), stream=True
            )
            got = None
            for c in stream:
                if got is None and c.choices and c.choices[0].delta.content:
                    got = time.perf_counter()
            first_sent = sent_times(url)[0][0]
            if i >= 3:
                out["client"].append(got - first_sent)
            for policy, renderer in renderers.items():
                seen_at = None
                for _piece in renderer.render(req):
                    if seen_at is None:
                        seen_at = time.perf_counter()
                sent = sent_times(url)
                k = releasing_chunk(policy, req, [text for _, text in sent])
                if i >= 3:
                    out.setdefault(f"{policy} first", []).append(seen_at - sent[0][0])
                    out.setdefault(f"{policy} own", []).append(seen_at - sent[k][0])
                    out.setdefault(f"{policy} held", []).append(k)
    return out


def bench_first_token(reqs: list[RenderRequest], turns: int, token_delay: float) -> None:
    ms = f"{token_delay * 1000:.0f} ms"
    print(f"C. First token to the trainee, server pacing tokens {ms} apart:")
    got = first_token(reqs, turns, token_delay, REPLY)
    show("bare client: first token written -> received", got["client"])
    for policy in POLICIES:
        show(f"{policy}: first token -> trainee", got[f"{policy} first"])
        show(f"{policy}: releasing token -> trainee (own)", got[f"{policy} own"])
    print(
        f"  other openings ({max(10, turns // 3)} turns each), early release, "
        "first token -> trainee:"
    )
    for content, waits in OPENINGS:
        got = first_token(reqs, max(10, turns // 3), token_delay, content)
        held = statistics.median(got["early held"])
        print(
            f"    {content[:40]!r:<44} p50 {pct(got['early first'], 0.5) * 1000:7.2f} ms  "
            f"own p50 {pct(got['early own'], 0.5) * 1000:5.2f} ms  {held:.0f} tokens "
            f"held: {waits}"
        )
    print("  target: first token -> trainee < 50 ms (Frontline's own part: the 'own' rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--token-delay", type=float, default=0.02)
    parser.add_argument("--personas", type=Path, default=None)
    parser.add_argument("--sections", default="ABC", help="which of A, B, C to run")
    args = parser.parse_args()
    library = PersonaLibrary(args.personas)
    reqs = requests(library)
    if not reqs:
        sys.exit(f"no personas in {library.folder}")
    print(
        f"{len(library.ids())} personas, {len(reqs)} render requests; reply of "
        f"{len(REPLY.split())} words in 3 sentences"
    )
    sections = args.sections.upper()
    if "A" in sections:
        bench_in_process(reqs, max(args.turns, 1000))
    if "B" in sections:
        bench_http(reqs, args.turns)
    if "C" in sections:
        bench_first_token(reqs, max(20, args.turns // 10), args.token_delay)


if __name__ == "__main__":
    main()
