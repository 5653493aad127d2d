"""The running web app driven through its API with gradio_client: whole practice sessions,
scorecards and downloads, per-user isolation, roles, and resuming from the store."""

from __future__ import annotations

import json
import re
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from web_server import CALM_DOWN, ROOT, api_client, patient_persona, start_server

from simulator.customer.machine import CustomerMachine
from simulator.persona.loader import PersonaLibrary
from simulator.transcript import Transcript

pytestmark = pytest.mark.slow

# The API's outputs of /start, /send and /end, in order (gr.State and layout blocks are not
# part of the API; /start adds the title after these).
STATUS, CHAT, METER, HINT, REPLY, SCORECARD, DL_TRANSCRIPT, DL_SCORECARD = range(8)
USERS = [
    ("ann", "trainee", "ann-password"),
    ("bea", "trainee", "bea-password"),
    ("tom", "trainer", "tom-password"),
]
GOOD_TURN = "Thank you for telling us. I'm so sorry, that sounds really frustrating."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-api"), USERS)
    yield srv
    srv.stop()


client = api_client


def texts(chat: list[dict]) -> list[tuple[str, str]]:
    """(role, text) of every chatbot message as the client returns it."""
    out = []
    for m in chat:
        content = m["content"]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        out.append((m["role"], content))
    return out


def value(output):
    """An output's value: plain, or inside a component update."""
    return output.get("value") if isinstance(output, dict) else output


def meter(result) -> dict[str, float]:
    html = value(result[METER])
    return {
        k: float(re.search(rf'data-{k}="([\d.]+)"', html).group(1))
        for k in ("anger", "trust", "patience")
    }


def start(c: Client, persona: str, mode: str = "training", hints: bool = True):
    return c.predict(persona, "complaint-handling", mode, hints, api_name="/start")


def test_whole_practice_session_through_the_api(server):
    c = client(server, "ann")
    persona = patient_persona()
    opened = start(c, persona)
    chat = texts(opened[CHAT])
    assert len(chat) == 1 and chat[0][0] == "assistant" and chat[0][1].strip()
    before = meter(opened)
    assert "Hint" in value(opened[HINT])

    after_calm = c.predict(CALM_DOWN, True, api_name="/send")
    assert meter(after_calm)["anger"] > before["anger"], "telling them to calm down angers them"
    after_good = c.predict(GOOD_TURN, True, api_name="/send")
    assert meter(after_good)["anger"] < meter(after_calm)["anger"]
    chat = texts(after_good[CHAT])
    assert [r for r, _ in chat] == ["assistant", "user", "assistant", "user", "assistant"]
    assert chat[1][1] == CALM_DOWN and chat[3][1] == GOOD_TURN

    ended = c.predict(api_name="/end")
    card = ended[SCORECARD]
    assert 'id="fl-scorecard-body"' in card and "data-overall=" in card
    # The violation is highlighted inside the transcript, with the trainee's own words.
    assert re.search(r'<mark class="sc-violation"[^>]*>Please calm down\.</mark>', card)
    assert "Tip:" in card or "MET" in card

    transcript = Transcript.model_validate_json(Path(value(ended[DL_TRANSCRIPT])).read_text())
    assert [t.text for t in transcript.turns if t.role == "agent"] == [CALM_DOWN, GOOD_TURN]
    assert transcript.candidate == "ann" and transcript.persona.id == persona
    assert len(transcript.trajectory) == 3

    page = Path(value(ended[DL_SCORECARD])).read_text()
    assert page.startswith("<!doctype html>") and "<style>" in page and "<svg" in page
    # Self-contained: no scripts, and nothing loaded from anywhere.
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)


def test_session_ends_by_itself_when_the_customer_escalates(server):
    c = client(server, "ann")
    lib = PersonaLibrary(ROOT / "personas")
    hot = next(
        (
            pid
            for pid in lib.ids()
            if CustomerMachine(lib.get(pid))
            .step(CustomerMachine(lib.get(pid)).start(), CALM_DOWN)
            .state.outcome.value
            == "escalated"
        ),
        None,
    )
    if hot is None:
        pytest.fail("no shipped persona escalates on 'calm down'")
    start(c, hot)
    result = c.predict(CALM_DOWN, True, api_name="/send")
    assert 'id="fl-scorecard-body"' in result[SCORECARD]
    assert "escalated" in result[SCORECARD]
    with pytest.raises(AppError, match="no session in progress"):
        c.predict(GOOD_TURN, True, api_name="/send")


def test_exam_mode_shows_no_meter_and_no_hint(server):
    c = client(server, "bea")
    job = c.submit(patient_persona(), "complaint-handling", "exam", True, api_name="/start")
    job.result()
    result = job.outputs()[-1]
    assert not value(result[METER]) and not value(result[HINT])
    result = c.predict(GOOD_TURN, True, api_name="/send")
    assert not value(result[METER]) and not value(result[HINT])
    c.predict(api_name="/end")


def test_new_tab_resumes_the_session_from_the_store(server):
    first = client(server, "bea")
    start(first, patient_persona())
    first.predict(GOOD_TURN, True, api_name="/send")
    # A new client has no in-memory state at all: the session comes back from the store.
    second = client(server, "bea")
    result = second.predict("When did you first notice the problem?", True, api_name="/send")
    roles = [r for r, _ in texts(result[CHAT])]
    assert roles == ["assistant", "user", "assistant", "user", "assistant"]
    second.predict(api_name="/end")


def test_starting_a_session_ends_the_one_left_open(server):
    first = client(server, "bea")
    start(first, patient_persona())
    first.predict(GOOD_TURN, True, api_name="/send")
    # The tab is abandoned; a new one starts afresh.
    second = client(server, "bea")
    start(second, patient_persona())
    rows = second.predict(api_name="/history")[0]["data"]
    assert [row[5] for row in rows[:2]] == ["in progress", "ended early"]
    left_open = rows[1][1]
    assert "fl-scorecard-body" in second.predict(left_open, api_name="/scorecard")[0]
    with pytest.raises(AppError, match="has ended"):
        first.predict(GOOD_TURN, True, api_name="/send")
    second.predict(api_name="/end")


def test_trainees_see_only_their_own_sessions(server):
    ann, bea = client(server, "ann"), client(server, "bea")
    start(ann, patient_persona())
    ann.predict(GOOD_TURN, True, api_name="/send")
    ann_card = ann.predict(api_name="/end")
    session_id = re.search(r"transcript-([0-9a-f]+)\.json", value(ann_card[DL_TRANSCRIPT]))[1]

    ann_rows = ann.predict(api_name="/history")[0]["data"]
    bea_rows = bea.predict(api_name="/history")[0]["data"]
    assert session_id in {row[1] for row in ann_rows}
    assert session_id not in {row[1] for row in bea_rows}
    assert ann.predict(session_id, api_name="/scorecard")[0].find("fl-scorecard-body") >= 0
    with pytest.raises(AppError, match="no session"):
        bea.predict(session_id, api_name="/scorecard")


def test_trainer_pages_are_closed_to_trainees(server):
    ann = client(server, "ann")
    for endpoint, args in (
        ("/designer_check", ("id: x",)),
        ("/designer_save", ("id: x",)),
        ("/designer_new", ("meek",)),
    ):
        with pytest.raises(AppError, match="for trainers"):
            ann.predict(*args, api_name=endpoint)


def test_trainer_validates_and_saves_a_persona(server):
    tom = client(server, "tom")
    opened = tom.predict("meek", api_name="/designer_new")
    text = opened[0]
    assert re.search(r"^schema_version: \d+$", text, re.M) and 'data-count="0"' in opened[1]

    broken = text.replace("difficulty:", "difficulty: 9\nold_difficulty:", 1)
    problems = tom.predict(broken, api_name="/designer_check")[0]
    assert 'data-field="difficulty"' in problems or 'data-field="old_difficulty"' in problems
    status = tom.predict(broken, api_name="/designer_save")[0]
    assert "Not saved" in status
    assert not (server.personas / "new-meek.yaml").exists()

    saved = tom.predict(text, api_name="/designer_save")
    assert "Saved" in saved[0]
    assert (server.personas / "new-meek.yaml").read_text().strip() == text.strip()
    assert "new-meek.yaml" in json.dumps(saved[2])


class RecordingProxy:
    """A local 'proxy' that records every connection made to it and answers 502."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.seen: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(200))
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass


def test_no_network_calls_at_start_up_or_in_a_session(tmp_path):
    """Every outside request would go through the proxy; none may reach it."""
    proxy = RecordingProxy()
    env = {
        k: proxy.url
        for k in (
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        )
    }
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    srv = start_server(tmp_path / "offline", extra_env=env)
    try:
        log = srv.log.read_text()
        assert "local single-user mode" in log and "offline renderer" in log
        c = Client(srv.url, verbose=False)
        start(c, patient_persona())
        c.predict(GOOD_TURN, True, api_name="/send")
        assert 'id="fl-scorecard-body"' in c.predict(api_name="/end")[SCORECARD]
        with urllib.request.urlopen(srv.url + "config") as page:
            assert page.status == 200  # no login in local mode
    finally:
        srv.stop()
        proxy.sock.close()
    assert proxy.seen == [], f"the server tried to reach the network: {proxy.seen}"


def test_with_a_users_file_nothing_is_open_without_login(server):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.url + "config")
    assert info.value.code == 401


def test_trainer_opens_a_broken_file_to_fix_it_but_nothing_outside_the_folder(server):
    tom = client(server, "tom")
    good = next(server.personas.glob("meek-*.yaml")).read_text()
    (server.personas / "zz-broken.yaml").write_text(
        good.replace("difficulty:", "difficulty: 7\nx_difficulty:", 1)
    )
    try:
        opened = tom.predict("zz-broken.yaml", api_name="/designer_open")
        assert "x_difficulty" in opened[0]
        assert 'data-field="difficulty"' in opened[1] and 'data-field="x_difficulty"' in opened[1]
        for outside in ("../users.yaml", str(server.folder / "users.yaml"), "users.yaml"):
            text = tom.predict(outside, api_name="/designer_open")[0]
            assert "scrypt" not in json.dumps(text) and "password" not in json.dumps(text)
    finally:
        (server.personas / "zz-broken.yaml").unlink()


def test_a_language_model_customer_streams_into_the_page(tmp_path):
    """With FRONTLINE_LLM_* set, replies come from the model and reach the page in pieces."""
    from fake_openai_server import FakeOpenAIServer, Reply

    line = (
        "I have waited far too long for this and I am still upset about it. "
        "What exactly are you going to do to put it right for me today?"
    )
    with FakeOpenAIServer(default=Reply(content=line, chunk_delay=0.03)) as llm:
        srv = start_server(
            tmp_path / "llm",
            extra_env={
                "FRONTLINE_LLM_KIND": "vllm",
                "FRONTLINE_LLM_MODEL": "fake-model",
                "FRONTLINE_LLM_BASE_URL": llm.base_url,
            },
        )
        try:
            assert "llm:" in srv.log.read_text()
            c = Client(srv.url, verbose=False)
            start(c, patient_persona())
            job = c.submit(GOOD_TURN, True, api_name="/send")
            job.result()
            updates = [texts(u[CHAT])[-1] for u in job.outputs()]
        finally:
            srv.stop()
        assert llm.chat_requests(), "the customer's words were asked of the model"
    assert updates[0] == ("assistant", "…"), "the trainee's words show at once"
    assert len(updates) >= 3, "the reply arrives in pieces, not in one block"
    assert updates[-1][1].strip() and len(updates[-2][1]) <= len(updates[-1][1])


def test_a_failed_answer_is_asked_for_again_and_nothing_is_lost(tmp_path):
    from fake_openai_server import FakeOpenAIServer, Reply

    line = "Right. I am still waiting to hear what you will actually do about this."
    failing = {"on": False}

    def respond(body):
        return Reply(content=line, cut_after=1) if failing["on"] else Reply(content=line)

    with FakeOpenAIServer(default=respond) as llm:
        srv = start_server(
            tmp_path / "llm-fail",
            extra_env={
                "FRONTLINE_LLM_KIND": "vllm",
                "FRONTLINE_LLM_MODEL": "fake-model",
                "FRONTLINE_LLM_BASE_URL": llm.base_url,
                "FRONTLINE_LLM_MAX_ATTEMPTS": "1",
            },
        )
        try:
            c = Client(srv.url, verbose=False)
            start(c, patient_persona())
            failing["on"] = True
            with pytest.raises(AppError, match="could not answer"):
                c.predict(GOOD_TURN, True, api_name="/send")
            failing["on"] = False
            result = c.predict("What I typed next", True, api_name="/send")
        finally:
            srv.stop()
    chat = texts(result[CHAT])
    assert [r for r, _ in chat] == ["assistant", "user", "assistant"]
    assert chat[1][1] == GOOD_TURN and chat[2][1].strip()
    assert value(result[REPLY]) == "What I typed next", "the next reply waits in the box"


def test_wrong_password_is_refused(server):
    with pytest.raises(Exception, match="(?i)login|auth|incorrect|credentials"):
        Client(server.url, auth=("ann", "not-her-password"), verbose=False)
