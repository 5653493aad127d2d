"""In-character checks and the sentence gate, without any server."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import wiring as prompts_module
from simulator.customer.machine import CustomerMachine
from simulator.customer.state import ReactionPlan
from simulator.errors import FileProblems
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest, Turn
from simulator.render.character import checker_for
from simulator.render.llm import CharacterBroken, SentenceGate


def request(persona, reaction=Reaction.VENT, revealed=(), **plan) -> RenderRequest:
    state = CustomerMachine(persona).start()
    state.revealed = list(revealed)
    return RenderRequest(
        persona=persona,
        state=state,
        plan=ReactionPlan(reaction=reaction, **plan),
        history=[Turn("customer", "I was charged twice!"), Turn("agent", "Let me look.")],
    )


IN_CHARACTER = [
    "That's not acceptable.",
    "Is that acceptable to you?",
    "I'll take this to my bank.",
    "I will not accept a voucher.",
    "Until the problem is solved, I'm not paying anything.",
    "I want to speak to someone who can actually help me.",
    "How can you charge me twice?",
    "Thank you for nothing.",
    "I was charged 49.90 twice for order 1234.",
    "I don’t want excuses.",
    "Would that work by Friday?",
]
OUT_OF_CHARACTER = [
    ("How can I help you today?", "agent_speech"),
    ("Is there anything else I can do for you?", "agent_speech"),
    ("We apologise for the inconvenience.", "agent_speech"),
    ("Agent: I see.", "agent_speech"),
    ("As an AI, I don't have a bank account.", "ai_disclosure"),
    ("I’m just a language model.", "ai_disclosure"),
    ("Let's stop the role-play.", "ai_disclosure"),
    ("I'm satisfied, thank you.", "false_accept"),
    ("I’m happy with that.", "false_accept"),
    ("I accept your offer.", "false_accept"),
    ("Great, problem solved.", "false_accept"),
    ("That sounds reasonable.", "false_accept"),  # approval is not allowed while venting
    ("Both were on the 3rd of May.", "hidden_fact"),
    ("The charges? 3rd of May, both.", "hidden_fact"),
]


@pytest.mark.parametrize("sentence", IN_CHARACTER)
def test_customer_sentences_pass(persona, sentence):
    assert checker_for("en").check(sentence, request(persona)) is None


@pytest.mark.parametrize("sentence,kind", OUT_OF_CHARACTER)
def test_out_of_character_sentences_are_caught(persona, sentence, kind):
    brk = checker_for("en").check(sentence, request(persona))
    assert brk is not None and brk.kind == kind and brk.sentence == sentence


def test_context_decides_what_is_allowed(persona):
    check = checker_for("en").check
    assert check("I'm satisfied with the refund.", request(persona, Reaction.ACCEPT)) is None
    assert check("That sounds reasonable.", request(persona, Reaction.ASK_TIMESCALE)) is None
    assert (
        check(
            "Both were on the 3rd of May.",
            request(persona, Reaction.ANSWER_QUESTION, fact="charge-date"),
        )
        is None
    )
    assert check("As I said, the 3rd of May.", request(persona, revealed=["charge-date"])) is None


def test_other_languages_use_the_english_rules_until_they_have_their_own():
    assert checker_for("eo").rules.language == "en"  # no shipped Esperanto pack
    assert checker_for("pt-BR").rules.language == "pt"  # a variant: its language's pack


# -- the sentence gate -------------------------------------------------------------------
def always_fine(sentence: str):
    return None


def test_gate_releases_whole_sentences_only():
    gate = SentenceGate(always_fine, ["Dana"])
    assert gate.feed("I paid") == []
    assert gate.feed(" twice. And") == ["I paid twice. "]
    assert gate.feed(" now?\n\nYes") == ["And now?\n\n"]
    assert gate.finish() == ["Yes"]


def test_gate_lets_a_run_on_sentence_through_at_a_space():
    gate = SentenceGate(always_fine, ["Dana"], hold_chars=20)
    assert gate.feed("one two three four five six seven") == ["one two three four five six "]
    assert gate.finish() == ["seven"]


def test_gate_splits_chinese_sentences():
    gate = SentenceGate(always_fine, ["Dana"])
    assert gate.feed("我被扣了两次钱。请退") == ["我被扣了两次钱。"]


def test_gate_refuses_an_empty_reply_and_strips_labels():
    with pytest.raises(CharacterBroken) as err:
        SentenceGate(always_fine, ["Dana"]).finish()
    assert err.value.brk.kind == "empty"
    gate = SentenceGate(always_fine, ["Dana Fixture", "Dana"])
    assert gate.feed("**Dana**: Hello. ") == ["Hello. "]


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=300).filter(lambda t: ":" not in t),
    cuts=st.lists(st.integers(0, 300), max_size=12),
)
def test_gate_output_is_the_input_however_it_is_chunked(text, cuts):
    gate = SentenceGate(always_fine, ["Dana"], hold_chars=50)
    points = sorted({c for c in cuts if c < len(text)} | {0, len(text)})
    out: list[str] = []
    try:
        for a, b in zip(points, points[1:], strict=False):
            out += gate.feed(text[a:b])
        out += gate.finish()
    except CharacterBroken:
        assert not text.strip()
        return
    joined = "".join(out)
    assert joined.strip() == text.strip()
    assert text.lstrip().startswith(joined)


# -- the prompt file ---------------------------------------------------------------------
def test_a_prompt_file_with_an_unknown_placeholder_is_refused(tmp_path: Path, monkeypatch):
    shipped = prompts_module.PROMPTS_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "prompts.yaml"
    bad.write_text(shipped.replace("Question: $question", "Question: $questoin"))
    monkeypatch.setenv("FRONTLINE_LLM_PROMPTS", str(bad))
    with pytest.raises(FileProblems) as err:
        prompts_module.load_prompts()
    assert "judge.user" in str(err.value) and "$questoin" in str(err.value)
    assert f"{bad}:" in str(err.value)
