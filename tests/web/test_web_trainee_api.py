"""Issue 16, the trainee's side, through the app's API (gradio_client): the meter says why
the mood moved, hints follow what is still achievable, the call is closed after the
customer accepts, one verdict badge, and replaying a turn from the scorecard."""

from __future__ import annotations

import html
import re

import pytest
from gradio_client.exceptions import AppError
from trainee_support import ACCEPTING, CLOSING, accepting_script
from web_server import api_client, patient_persona, start_server

pytestmark = pytest.mark.slow

STATUS, CHAT, METER, HINT, REPLY, SCORECARD = range(6)
USERS = [("ann", "trainee", "ann-password"), ("bea", "trainee", "bea-password")]
CALM_DOWN = "Calm down, it's only a bill."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-trainee"), USERS)
    yield srv
    srv.stop()


def start(c, persona: str, hints: bool = True):
    return c.predict(persona, "complaint-handling", "training", hints, api_name="/start")


def said(chat: list[dict]) -> list[tuple[str, str]]:
    out = []
    for m in chat:
        content = m["content"]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content)
        out.append((m["role"], content))
    return out


def why(meter_html: str) -> str:
    found = re.search(r'id="fl-mood-why">Why: (.*?)</div>', meter_html)
    return html.unescape(found.group(1)) if found else ""


def test_meter_says_why_each_reason_once_and_is_an_aria_meter(server):
    c = api_client(server, "ann")
    opened = start(c, patient_persona())
    assert opened[METER].count('role="meter"') == 3
    assert why(opened[METER]) == "", "nothing has moved the mood before the first turn"
    after = c.predict("I'm sorry about that.", True, api_name="/send")
    meter = after[METER]
    for scale in ("anger", "trust", "patience"):
        row = re.search(rf'<div class="fl-meter-row" data-scale="{scale}"[^>]*>', meter).group(0)
        assert 'role="meter"' in row and 'aria-valuemin="0"' in row and 'aria-valuemax="100"' in row
        assert re.search(r'aria-valuenow="[\d.]+"', row)
        assert re.search(rf'aria-valuetext="{scale} \d+ of 100', row)
    reasons = why(meter)
    # The machine records "Apologised" (anger) and "Apologised (not yet heard…)" (trust).
    assert reasons.count("Apologised") == 1 and "not yet heard" in reasons, reasons
    assert "Another turn gone" in reasons
    c.predict(api_name="/end")


def test_hint_never_asks_for_what_can_no_longer_be_done(server):
    c = api_client(server, "ann")
    start(c, patient_persona())
    c.predict("I'll send an engineer to replace the motor tomorrow.", True, api_name="/send")
    after = c.predict("That sounds really frustrating.", True, api_name="/send")
    hint = after[HINT]
    assert hint.startswith("**Hint**")
    # The remedy came before any acknowledgement of feelings: that order cannot be met now.
    assert "before proposing a remedy" not in hint, hint
    c.predict(api_name="/end")


def test_after_the_customer_accepts_the_trainee_closes_the_call(server):
    c = api_client(server, "ann")
    start(c, ACCEPTING)
    for line in accepting_script():
        out = c.predict(line, True, api_name="/send")
    # The acceptance is shown in the chat, and the session waits for the closing turn.
    assert out[SCORECARD] == "" and 'data-closing="true"' in out[STATUS]
    chat = said(out[CHAT])
    assert chat[-1][0] == "assistant" and chat[-1][1].strip()
    closed = c.predict(CLOSING, True, api_name="/send")
    card = closed[SCORECARD]
    assert 'id="fl-scorecard-body"' in card and "resolved" in card
    assert said(closed[CHAT])[-2] == ("user", CLOSING)
    # One badge for the verdict: not "PASS" beside "Pass".
    assert len(re.findall(r'class="sc-badge', card)) == 1
    assert not re.search(r">\s*Pass\s*<", card)
    with pytest.raises(AppError, match="no session in progress"):
        c.predict("Bye!", True, api_name="/send")


def test_replay_a_turn_from_the_scorecard_and_find_it_again(server):
    c = api_client(server, "bea")
    start(c, ACCEPTING)
    script = accepting_script()
    for line in script[:2]:
        c.predict(line, True, api_name="/send")
    c.predict(api_name="/end")
    before = c.predict(api_name="/history")
    _, result, saved = c.predict(2, CALM_DOWN, api_name="/replay")
    assert 'data-turn="2"' in result and "REPLAY · practice" in result
    actual = re.search(r'data-side="actual" data-score="([\d.]+)" data-anger="([\d.]+)"', result)
    replay = re.search(r'data-side="replay" data-score="([\d.]+)" data-anger="([\d.]+)"', result)
    assert float(replay.group(1)) < float(actual.group(1)), "the score would have dropped"
    assert float(replay.group(2)) > float(actual.group(2)), "the customer would be angrier"
    assert script[1] in html.unescape(result) and CALM_DOWN in html.unescape(result)
    assert saved == "", "the first replay has no earlier ones to list"
    c.predict(1, "Thank you for telling me, I'm so sorry.", api_name="/replay")
    # Practice only: no new session, no change to the history or its progress.
    after = c.predict(api_name="/history")
    assert after[0] == before[0] and after[2] == before[2]
    # Reopening the scorecard from the history shows the saved replays.
    rows = after[0]["data"] if isinstance(after[0], dict) else after[0]
    session = rows[0][1]
    reopened = c.predict(session, api_name="/scorecard")
    assert 'data-count="2"' in " ".join(str(x) for x in reopened)
    # Another trainee cannot replay bea's session, even knowing its id.
    ann = api_client(server, "ann")
    with pytest.raises(AppError):
        ann.predict(session, api_name="/scorecard")
    with pytest.raises(AppError):  # no scorecard of hers is open: nothing to replay
        ann.predict(1, CALM_DOWN, api_name="/history_replay")


def test_replay_refuses_an_empty_reply_with_a_message(server):
    c = api_client(server, "bea")
    start(c, ACCEPTING)
    c.predict(accepting_script()[0], True, api_name="/send")
    c.predict(api_name="/end")
    with pytest.raises(AppError, match="empty"):
        c.predict(1, "   ", api_name="/replay")
