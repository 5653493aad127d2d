"""The judge asks in the wording of the conversation's language pack (its ``prompts.yaml``)
and records the hash of that wording; a conversation in another language is asked in the
base file's."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, Reply
from llm_support import backend_for

from simulator.grading import RubricLibrary
from simulator.grading.judge import grade_with_judge, prompt_hash
from simulator.grading.judge.prompts import judge_prompts
from simulator.transcript import Transcript

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = RubricLibrary(ROOT / "rubrics").get("complaint-handling")
SYSTEM = "Eres un evaluador de llamadas de atención al cliente."
CALL = {
    "turns": [
        {"role": "customer", "text": "Me cobraron dos veces."},
        {"role": "agent", "text": "Lo siento mucho, lo reviso ahora mismo."},
    ]
}


@pytest.fixture
def spanish_judge_pack(tmp_path, monkeypatch):
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "prompts.yaml").write_text(
        f"schema_version: 1\njudge:\n  system: {SYSTEM}\n", encoding="utf-8"
    )
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path))


def systems(server: FakeOpenAIServer) -> set[str]:
    return {r["messages"][0]["content"] for r in server.chat_requests()}


def test_a_spanish_conversation_is_judged_in_the_packs_wording(spanish_judge_pack):
    spanish_rubric = RUBRIC.model_copy(update={"language": "es"})
    no_language = Transcript.model_validate(CALL)  # the rubric's language, then
    with FakeOpenAIServer(default=Reply(content="not json")) as server:
        card = grade_with_judge(no_language, spanish_rubric, backend_for(server))
        assert systems(server) == {SYSTEM}
    assert card.judge.prompt_sha256 == prompt_hash(judge_prompts("es")) != prompt_hash()

    english = Transcript.model_validate({**CALL, "language": "en"})
    with FakeOpenAIServer(default=Reply(content="not json")) as server:
        card = grade_with_judge(english, spanish_rubric, backend_for(server))
        assert SYSTEM not in systems(server)
    assert card.judge.prompt_sha256 == prompt_hash()
