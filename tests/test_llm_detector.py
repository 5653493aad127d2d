"""LLM move detection against the fake server; rules stay authoritative for violations."""

from __future__ import annotations

import json
import logging

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_support import backend_for, config_for

from simulator.customer.machine import CustomerMachine
from simulator.moves.combine import CombinedReader, default_reader
from simulator.moves.detector import RuleDetector, default_detector
from simulator.moves.llm_detector import LLMDetector, locate
from simulator.moves.vocabulary import Move
from simulator.reactions import Reaction
from simulator.wiring import detector_from_config


@pytest.fixture
def fake_server():
    with FakeOpenAIServer() as server:
        yield server


def moves_reply(*pairs: tuple[str, str]) -> Reply:
    return Reply(content=json.dumps({"moves": [{"move": m, "quote": q} for m, q in pairs]}))


SPANISH = "Qué pena lo que le pasó. Le devolveré el dinero   mañana."


def test_good_moves_come_back_with_verified_spans(fake_server):
    fake_server.script(
        moves_reply(
            ("empathise", "Qué pena lo que le pasó"),
            ("remedy", "Le devolveré el dinero mañana"),
            ("timescale", "mañana"),
        )
    )
    found = LLMDetector(backend_for(fake_server)).detect(SPANISH)
    assert [d.move for d in found] == [Move.EMPATHISE, Move.REMEDY, Move.TIMESCALE]
    for d in found:
        assert SPANISH[d.start : d.end] == d.text
        assert SPANISH[d.quote_start : d.quote_start + len(d.quote)] == d.quote
    assert found[1].text == "Le devolveré el dinero   mañana"  # whitespace differed
    assert found[1].quote == "Le devolveré el dinero   mañana."


def test_the_request_asks_for_good_moves_only_with_the_turn_as_data(fake_server):
    fake_server.script(moves_reply())
    LLMDetector(backend_for(fake_server, kind="vllm")).detect(SPANISH)
    body = fake_server.chat_requests()[0]
    enum = body["response_format"]["json_schema"]["schema"]["properties"]["moves"]["items"][
        "properties"
    ]["move"]["enum"]
    assert "apologise" in enum and "calm_down" not in enum
    assert body["temperature"] == 0
    system, user = body["messages"]
    assert SPANISH not in system["content"]
    assert user == {"role": "user", "content": f"<agent_message>\n{SPANISH}\n</agent_message>"}


def test_invented_quotes_violations_and_unknown_moves_are_dropped(fake_server):
    fake_server.script(
        moves_reply(
            ("apologise", "I am so sorry"),  # not in the turn
            ("calm_down", "Qué pena"),  # a violation
            ("telepathy", "Qué pena"),  # not a move
            ("empathise", "Qué pena lo que le pasó"),
        )
    )
    found = LLMDetector(backend_for(fake_server)).detect(SPANISH)
    assert [d.move for d in found] == [Move.EMPATHISE]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(content="I see empathy."),
        Reply(status=400),
        Reply(malformed=True),
        Reply(content='{"moves": "all"}'),
    ],
)
def test_a_failing_or_confused_model_finds_nothing_and_says_so(fake_server, reply, caplog):
    fake_server.script(reply)
    with caplog.at_level(logging.WARNING, logger="frontline.llm"):
        assert LLMDetector(backend_for(fake_server)).detect(SPANISH) == []
    assert any("move detection" in r.message for r in caplog.records)


def test_answers_are_cached_per_text(fake_server):
    fake_server.default = moves_reply(("empathise", "Qué pena"))
    detector = LLMDetector(backend_for(fake_server))
    assert detector.detect(SPANISH) == detector.detect(SPANISH)
    assert len(fake_server.chat_requests()) == 1


def test_rules_stay_authoritative_and_the_model_only_adds_good_moves(fake_server):
    text = "Calm down. What a rotten week you have had."
    fake_server.script(
        moves_reply(
            ("apologise", "Calm down"),  # spoiled
            ("empathise", "What a rotten week you have had"),
        )
    )
    combined = CombinedReader(default_detector("en"), None, LLMDetector(backend_for(fake_server)))
    found = [(d.move, d.text) for d in combined.detect(text)]
    assert (Move.CALM_DOWN, "Calm down") in found
    assert (Move.EMPATHISE, "What a rotten week you have had") in found
    assert all(m is not Move.APOLOGISE for m, _ in found)


def test_the_customer_hears_a_paraphrased_question(fake_server, persona):
    text = "Walk me through the dates of these charges."
    rules: RuleDetector = default_detector("en")
    machine = CustomerMachine(persona, detector=rules)
    assert machine.step(machine.start(), text).plan.reaction is not Reaction.ANSWER_QUESTION
    fake_server.script(moves_reply(("ask", "Walk me through the dates of these charges")))
    combined = CombinedReader(rules, None, LLMDetector(backend_for(fake_server)))
    step = CustomerMachine(persona, detector=combined).step(machine.start(), text)
    assert step.plan.reaction is Reaction.ANSWER_QUESTION and step.plan.fact == "charge-date"


def test_detector_from_config(fake_server):
    plain = detector_from_config("en", config_for(fake_server))
    assert plain is default_reader("en")  # the rules plus the encoder, no model
    combined = detector_from_config("en", config_for(fake_server, detect_moves=True))
    assert isinstance(combined, CombinedReader) and combined.llm is not None
    assert combined.rules is default_detector("en")


def test_locate_allows_only_whitespace_to_differ():
    assert locate("a  b", "x a b y") == (2, 5)
    assert locate("a, b", "x a b y") is None
    assert locate("   ", "x") is None
