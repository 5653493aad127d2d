"""LLM move detection against the fake server; rules stay authoritative for violations."""

from __future__ import annotations

import json
import logging

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_support import backend_for, config_for

from simulator.customer.machine import CustomerMachine
from simulator.languages import splitter_for
from simulator.moves.combine import CombinedReader, default_reader
from simulator.moves.detector import RuleDetector, default_detector
from simulator.moves.llm_detector import LLMDetector, locate, quote_problem
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
    # "mañana" alone is one word, not a clause: too thin to show a move (issue 12).
    assert [d.move for d in found] == [Move.EMPATHISE, Move.REMEDY]
    for d in found:
        assert SPANISH[d.start : d.end] == d.text
        assert SPANISH[d.quote_start : d.quote_start + len(d.quote)] == d.quote
    assert found[1].text == "Le devolveré el dinero   mañana"  # whitespace differed
    assert found[1].quote == "Le devolveré el dinero   mañana."


def test_the_request_asks_for_good_moves_and_violations_with_the_turn_as_data(fake_server):
    fake_server.script(moves_reply())
    LLMDetector(backend_for(fake_server, kind="vllm")).detect(SPANISH)
    body = fake_server.chat_requests()[0]
    enum = body["response_format"]["json_schema"]["schema"]["properties"]["moves"]["items"][
        "properties"
    ]["move"]["enum"]
    assert "apologise" in enum and "calm_down" in enum
    assert body["temperature"] == 0
    system, user = body["messages"]
    assert SPANISH not in system["content"]
    assert user == {"role": "user", "content": f"<agent_message>\n{SPANISH}\n</agent_message>"}


def test_invented_quotes_thin_quotes_and_unknown_moves_are_dropped(fake_server):
    fake_server.script(
        moves_reply(
            ("apologise", "I am so sorry"),  # not in the turn
            ("calm_down", "Qué pena"),  # two words, not a whole clause
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


def test_rules_stay_authoritative_and_the_model_adds_good_moves_outside_violations(fake_server):
    # The second sentence is one the rules do not read, so only the model can add it.
    text = "Calm down. A week from hell, by the sound of it."
    fake_server.script(
        moves_reply(
            ("apologise", "Calm down"),  # spoiled
            ("empathise", "A week from hell, by the sound of it"),
        )
    )
    combined = CombinedReader(default_detector("en"), None, LLMDetector(backend_for(fake_server)))
    found = [(d.move, d.text) for d in combined.detect(text)]
    assert (Move.CALM_DOWN, "Calm down") in found
    assert (Move.EMPATHISE, "A week from hell, by the sound of it") in found
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
    assert plain is default_reader("en")  # the default reader (the rules), no model
    combined = detector_from_config("en", config_for(fake_server, detect_moves=True))
    assert isinstance(combined, CombinedReader) and combined.llm is not None
    assert combined.rules is default_detector("en")


def test_locate_allows_only_whitespace_to_differ():
    assert locate("a  b", "x a b y") == (2, 5)
    assert locate("a, b", "x a b y") is None
    assert locate("   ", "x") is None


# -- issue 12: violations too, and quotes that show something ----------------------------
@pytest.mark.parametrize(
    "text,quote,ok",
    [
        ("I am so sorry. It will be fixed today.", "I am so sorry", True),  # a whole sentence
        ("I am so sorry, but it will be fixed today.", "it will be fixed today", True),  # clause
        ("We will refund the whole amount today.", "refund the whole", True),  # three words
        ("We will refund the whole amount today.", "refund the", False),  # two words
        ("We will refund the whole amount today.", "efund the whole", False),  # cuts a word
        ("I am so sorry about it.", "sorry", False),
        ("非常抱歉给您带来不便。", "非常抱歉", True),  # four characters
        ("非常抱歉给您带来不便。我们马上处理。", "抱歉", False),  # two characters
        ("非常抱歉给您带来不便。我们马上处理。", "我们马上处理", True),  # a whole sentence
    ],
)
def test_a_quote_must_be_a_whole_clause_or_three_words(text, quote, ok):
    span = locate(quote, text)
    sentence = next((a, b) for a, b in splitter_for("en").sentences(text) if a <= span[0] < b)
    assert (quote_problem(text, span, sentence, splitter_for("en")) is None) is ok


def test_the_model_finds_violations_in_any_language(fake_server):
    text = "Cálmese, por favor. Le devolveré el dinero mañana."
    fake_server.script(moves_reply(("calm_down", "Cálmese, por favor")))
    found = LLMDetector(backend_for(fake_server)).detect(text)
    assert [(d.move, d.text, d.source) for d in found] == [
        (Move.CALM_DOWN, "Cálmese, por favor", "llm")
    ]


def test_a_violation_only_the_model_found_needs_its_whole_clause(fake_server):
    text = "We have a lot on this week, so it takes time. Your refund is on its way."
    combined = CombinedReader(default_detector("en"), None, LLMDetector(backend_for(fake_server)))
    rules_only = {d.move for d in default_detector("en").detect(text)}
    assert Move.EXCUSE not in rules_only  # the rules miss it: only the model can add it
    fake_server.script(moves_reply(("excuse", "a lot on this week")))  # words, not the clause
    assert Move.EXCUSE not in {d.move for d in combined.detect(text)}
    fake_server.script(moves_reply(("excuse", "We have a lot on this week, so it takes time")))
    again = CombinedReader(default_detector("en"), None, LLMDetector(backend_for(fake_server)))
    found = [d for d in again.detect(text) if d.move is Move.EXCUSE]
    assert len(found) == 1 and found[0].source == "llm"


# -- the setting takes effect: practice, grade and serve use the model -------------------
def detection_or_words(body: dict) -> Reply:
    """The fake model: move detection gets one found move (in a sentence the rules do not
    read, so the model's reading shows), the customer a short reply."""
    if body.get("response_format") or not body.get("stream"):
        return moves_reply(("empathise", "A week from hell, by the sound of it"))
    return Reply(content="Right. And what happens now?")


def llm_env(server: FakeOpenAIServer, **extra: str) -> dict[str, str]:
    return {
        "FRONTLINE_LLM_KIND": "vllm",
        "FRONTLINE_LLM_BASE_URL": server.base_url,
        "FRONTLINE_LLM_MODEL": "fake-model",
        "FRONTLINE_LLM_MAX_ATTEMPTS": "1",
        **extra,
    }


def detector_requests(server: FakeOpenAIServer) -> list[dict]:
    return [b for b in server.chat_requests() if not b.get("stream")]


def test_practice_reads_turns_with_the_model_when_detect_moves_is_on(cli, fake_server, tmp_path):
    fake_server.default = detection_or_words
    out = tmp_path / "t.json"
    result = cli(
        "practice",
        "--persona",
        "fixture-rational-refund",
        "--export",
        str(out),
        stdin="A week from hell, by the sound of it.\n",
        # What the model adds shows only where the other readers miss it: the rules miss this
        # paraphrase, and whether the encoder does depends on the heads of the day.
        env=llm_env(fake_server, FRONTLINE_LLM_DETECT_MOVES="true", FRONTLINE_ENCODER="off"),
    )
    assert result.returncode == 0, result.stderr
    assert len(detector_requests(fake_server)) == 1
    agent = next(t for t in json.loads(out.read_text())["turns"] if t["role"] == "agent")
    assert {"move": "empathise", "source": "llm"}.items() <= next(
        m for m in agent["reading"]["moves"] if m["move"] == "empathise"
    ).items()


def test_practice_without_detect_moves_never_asks_the_model_for_moves(cli, fake_server):
    fake_server.default = detection_or_words
    result = cli(
        "practice",
        "--persona",
        "fixture-rational-refund",
        stdin="A week from hell, by the sound of it.\n",
        env=llm_env(fake_server),
    )
    assert result.returncode == 0, result.stderr
    assert detector_requests(fake_server) == []


def test_grade_reads_turns_with_the_model_when_detect_moves_is_on(cli, fake_server, tmp_path):
    fake_server.default = detection_or_words
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "turns": [
                    {"role": "customer", "text": "I was charged twice."},
                    {"role": "agent", "text": "A week from hell, by the sound of it."},
                ],
            }
        )
    )
    result = cli(
        "grade", str(path), "--json", env=llm_env(fake_server, FRONTLINE_LLM_DETECT_MOVES="true")
    )
    assert "Traceback" not in result.stderr
    assert len(detector_requests(fake_server)) == 1
    assert "A week from hell, by the sound of it" in result.stdout  # the model's evidence


def test_serve_builds_the_configured_detector_once_per_language(fake_server, monkeypatch, tmp_path):
    from simulator.web.context import WebContext

    for key, value in llm_env(fake_server, FRONTLINE_LLM_DETECT_MOVES="true").items():
        monkeypatch.setenv(key, value)
    ctx = WebContext.from_environment(db=tmp_path / "s.sqlite3", users_file=tmp_path / "u")
    assert isinstance(ctx.detector("en"), CombinedReader)
    assert ctx.detector("en") is ctx.detector("en")
    offline = WebContext.from_environment(
        db=tmp_path / "o.sqlite3", users_file=tmp_path / "u", offline=True
    )
    assert offline.detector("en") is None
