"""Helpers for the certification tests and bench: an exam folder and synthetic transcripts.

Transcripts are built from a bank of agent sentences, good and bad, chosen by a seeded
random generator, so a cohort has a realistic spread of scores and is the same every time.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from simulator.persona.loader import PersonaLibrary

ROOT = Path(__file__).resolve().parent.parent

GOOD = [
    "Thank you for letting us know about this.",
    "I'm sorry this happened.",
    "That sounds really frustrating.",
    "When did you first notice the problem?",
    "Could you tell me what the driver said?",
    "Just to confirm, you were charged twice for the same order.",
    "I will refund the duplicate charge today.",
    "The refund will reach your account within three working days.",
    "My name is Sam and you can reach me on 0161 496 0000.",
    "You can choose between a refund or a replacement.",
    "The charge was duplicated because the payment system retried the order.",
    "Is there anything else I can help you with?",
    "Are you happy with this solution?",
]
BAD = [
    "Please calm down.",
    "We're sorry that you have encountered this problem.",
    "That's not our fault, the courier messed it up.",
    "I need to transfer you.",
    "Someone will look into it.",
    "Is there another problem?",
]


def transcript(
    i: int,
    personas: dict[str, str],
    *,
    candidate: str | None = None,
    persona: str | None = None,
    mode: str = "exam",
    agent_turns: int | None = None,
) -> dict:
    """The ``i``-th synthetic transcript (deterministic in ``i``); ``agent_turns`` fixes
    the number of agent turns (then there are twice as many turns in all, the agent's last);
    otherwise 3-6 agent turns, each followed by a customer line."""
    rng = random.Random(i)
    pid = persona or sorted(personas)[i % len(personas)]
    turns = [{"role": "customer", "text": "I was charged twice and nobody called me back."}]
    skill = rng.random()
    good = iter(GOOD)  # good handlers work through the stages in order
    for _ in range(agent_turns or rng.randint(3, 6)):
        said = []
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.15 + 0.85 * skill:
                said.append(next(good, rng.choice(GOOD)))
            else:
                said.append(rng.choice(BAD))
        turns += [{"role": "agent", "text": " ".join(said)}, {"role": "customer", "text": "Go on."}]
    if agent_turns:  # a conversation of exactly 2 x agent_turns turns ends with the agent
        turns.pop()
    return {
        "schema_version": 1,
        "id": f"t{i:06d}",
        "candidate": candidate or f"candidate-{i // 2:05d}",
        "persona": {"id": pid, "hash": personas[pid]},
        "mode": mode,
        "created": f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00+00:00",
        "turns": turns,
    }


def persona_hashes(folder: Path, ids: list[str]) -> dict[str, str]:
    lib = PersonaLibrary(folder)
    return {pid: lib.get(pid).content_hash() for pid in ids}


def write_transcripts(
    folder: Path, n: int, personas: dict[str, str], start: int = 0, agent_turns: int | None = None
) -> list[Path]:
    """Write ``n`` transcript files t000000.json… into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        path = folder / f"t{i:06d}.json"
        path.write_text(
            json.dumps(transcript(i, personas, agent_turns=agent_turns)), encoding="utf-8"
        )
        paths.append(path)
    return paths


EXAM_YAML = """\
schema_version: 1
id: test-exam
title: Test certificate
rubric: {rubric}
personas: [{personas}]
pass_mark: {pass_mark}
attempts: 2
mode: exam
judge: {{participation: optional, samples: 1, concurrency: 4, max_attempts: 2}}
"""


def write_exam(
    folder: Path, personas: list[str], rubric: str = "complaint-handling", pass_mark: float = 55
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "test-exam.yaml"
    path.write_text(
        EXAM_YAML.format(rubric=rubric, personas=", ".join(personas), pass_mark=pass_mark),
        encoding="utf-8",
    )
    return path


FIXTURE_PERSONA = "fixture-rational-refund"


def fixture_env(tmp_path: Path, monkeypatch) -> dict:
    """Point Frontline at a copy of the shipped rubric, the fixture persona and a test exam."""
    import shutil

    rubrics = tmp_path / "rubrics"
    rubrics.mkdir()
    shutil.copy(ROOT / "rubrics" / "complaint-handling.yaml", rubrics)
    personas = ROOT / "tests" / "fixtures" / "personas"
    exams = tmp_path / "exams"
    write_exam(exams, [FIXTURE_PERSONA])
    monkeypatch.setenv("FRONTLINE_RUBRICS", str(rubrics))
    monkeypatch.setenv("FRONTLINE_PERSONAS", str(personas))
    monkeypatch.setenv("FRONTLINE_EXAMS", str(exams))
    return {
        "rubrics": rubrics,
        "personas": personas,
        "exams": exams,
        "hashes": persona_hashes(personas, [FIXTURE_PERSONA]),
    }


_AGENT_TURN = re.compile(r"^\[(\d+)\] AGENT: (.+)$", re.M)


def judge_answer(body: dict) -> str:
    """What a well-behaved judge model answers: 'yes', quoting the first agent turn."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    turn, text = _AGENT_TURN.search(user).groups()
    return json.dumps(
        {
            "reasoning": "The agent addresses it.",
            "verdict": "yes",
            "turn": int(turn),
            "quote": text[:25],
        }
    )


def judge_reply(delay: float = 0.0):
    """A responder for FakeOpenAIServer answering like :func:`judge_answer`."""
    from fake_openai_server import Reply

    def respond(body: dict) -> Reply:
        return Reply(content=judge_answer(body), delay=delay)

    return respond


def judge_env(monkeypatch, base_url: str) -> None:
    """Configure the judge's model to be the fake server, with tiny retry waits."""
    for name, value in {
        "MODEL": "fake-judge",
        "BASE_URL": base_url,
        "KIND": "vllm",
        "BATCH_QUESTIONS": "false",  # the fake judge answers one question a call
        "TIMEOUT": "5",
        "RETRY_INITIAL_WAIT": "0.001",
        "RETRY_MAX_WAIT": "0.005",
    }.items():
        monkeypatch.setenv(f"FRONTLINE_LLM_{name}", value)


def nodelay_server(**kwargs):
    """A :class:`FakeOpenAIServer` whose sockets set TCP_NODELAY, as production servers
    (uvicorn, vLLM) do. The plain test server writes headers and body separately, and
    Nagle's algorithm with delayed ACKs then adds about 40 ms to every call: harmless in
    tests, but it would swamp a latency benchmark."""
    import socket

    from fake_openai_server import FakeOpenAIServer

    srv = FakeOpenAIServer(**kwargs)
    base = srv._server.RequestHandlerClass

    class NoDelay(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    srv._server.RequestHandlerClass = NoDelay
    return srv
