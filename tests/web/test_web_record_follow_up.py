"""The practice page after the call, through the running app (gradio_client): the
complaint record form graded into the scorecard (DOMAIN §3.10), and the follow-up call
to a resolved session (§3.11), linked to its original in the store."""

from __future__ import annotations

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from web_server import start_server

from simulator.sessions import SessionStore

pytestmark = pytest.mark.slow

STATUS, CHAT, METER, HINT, REPLY, SCORECARD = range(6)
PERSONA = "aggressive-rational-billing"
CALL = [
    "I'm so sorry, that sounds really frustrating. Could you give me your account number?",
    "Do you have the reference from your call on the 4th?",
    # A rational customer takes the bottom line once the rule is explained (§3.5).
    "Our billing system took the direct debit twice because of a glitch on the 1st; the rule "
    "for a duplicate charge is a full refund, so I'll refund the duplicate £64.50 within three "
    "working days and email you the confirmation.",
    "Is there anything else I can help with?",
]
RECORD = [
    "Billing: charged twice for the March bill",
    "Darren Hollis, account BM-7731-0492, reference CR-558120",
    "1st March",
    "Direct debit of £64.50 taken twice; the second put him in his overdraft",
    "Duplicate £64.50 refunded within three working days; he accepted",
    "Process the refund and email the confirmation",
    "Within three working days",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-record"), [])
    yield srv
    srv.stop()


def resolved_call(c) -> list:
    c.predict(PERSONA, "checklist", "training", False, api_name="/start")
    result = None
    for line in CALL:
        result = c.predict(line, False, api_name="/send")
    return result


def test_the_record_form_is_graded_into_the_scorecard(server):
    c = Client(server.url, verbose=False)
    ended = resolved_call(c)
    card = ended[SCORECARD]
    assert 'data-criterion="record-details"' in card
    assert "no complaint record was filled in" in card  # before the record
    status, card, *_ = c.predict(*RECORD, api_name="/save_record")
    assert 'data-record="saved"' in status
    assert "Complaint record" in card and "7/7 fields right" in card
    assert 'data-record-field="deadline"' in card
    wrong = [*RECORD[:-1], "next month"]
    _, card, *_ = c.predict(*wrong, api_name="/save_record")
    assert "6/7 fields right" in card and "is not the time you gave the customer" in card


def test_a_resolved_session_can_be_followed_up_and_links_to_it(server):
    c = Client(server.url, verbose=False)
    resolved_call(c)
    opened = c.predict(api_name="/follow_up")
    first = opened[CHAT][0]["content"]
    text = first if isinstance(first, str) else "".join(p.get("text", "") for p in first)
    assert text.strip()
    with SessionStore(server.folder / "sessions.sqlite3") as store:
        sessions = store.list_sessions("local")
        follow, original = sessions[0], sessions[1]
        assert follow.follow_up_of == original.id
        assert follow.promise in ("kept", "late", "broken")
        assert [s.id for s in store.follow_ups(original.id, "local")] == [follow.id]


def test_an_empty_record_is_refused(server):
    c = Client(server.url, verbose=False)
    resolved_call(c)
    with pytest.raises(AppError, match="empty"):
        c.predict(*[""] * 7, api_name="/save_record")
