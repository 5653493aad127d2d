"""Issue 16, the trainee's side, in Debian's Chromium: Enter sends and Shift+Enter breaks
the line, the meter says why, the call is closed after the customer accepts, one badge,
a phone-sized page with no folded tabs, squeezed reply box or label over the chat, and
replaying a turn from the scorecard (screenshots in test-artifacts/)."""

from __future__ import annotations

import pytest
from test_web_browser import ARTIFACTS, Tab
from trainee_support import ACCEPTING, CLOSING, accepting_script
from web_server import patient_persona, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERS = [("ann", "trainee", "ann-password"), ("tom", "trainer", "tom-password")]
PHONE = {"width": 390, "height": 844}
CALM_DOWN = "Calm down, it's only a bill."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-trainee-browser"), USERS)
    yield srv
    srv.stop()


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def send_with_enter(tab: Tab, text: str) -> None:
    """Type a reply and press Enter, as a trainee does; wait for the customer's answer."""
    page = tab.page
    turns = int(page.get_attribute("#fl-status .fl-status", "data-turns"))
    page.fill("#fl-reply textarea", text)
    page.press("#fl-reply textarea", "Enter")
    page.wait_for_selector(f"#fl-status .fl-status[data-turns='{turns + 2}'], #fl-scorecard-body")


def test_enter_sends_shift_enter_breaks_the_line_and_the_meter_says_why(browser, server):
    ann = Tab(browser, server, "ann")
    page = ann.page
    ann.start(patient_persona())
    placeholder = page.get_attribute("#fl-reply textarea", "placeholder")
    assert "Enter sends" in placeholder and "Shift+Enter" in placeholder
    reply = page.locator("#fl-reply textarea")
    reply.click()
    reply.press_sequentially("I'm sorry about that.")
    page.keyboard.press("Shift+Enter")
    reply.press_sequentially("When did it first go wrong?")
    assert reply.input_value() == "I'm sorry about that.\nWhen did it first go wrong?"
    page.wait_for_timeout(500)
    assert page.get_attribute("#fl-status .fl-status", "data-turns") == "1", (
        "Shift+Enter must not send"
    )
    page.keyboard.press("Enter")
    ann.wait_turns(3)
    assert "When did it first go wrong?" in ann.bubbles()[1]
    assert reply.input_value() == ""
    # The meter: three ARIA meters, and why the mood moved, each reason once.
    meters = page.locator("#fl-mood [role=meter]")
    assert meters.count() == 3
    assert meters.first.get_attribute("aria-valuemax") == "100"
    assert meters.first.get_attribute("aria-valuenow") == f"{ann.anger():.1f}"
    why = page.inner_text("#fl-mood-why")
    assert why.startswith("Why:") and why.count("Apologised") == 1
    ann.shot("trainee-meter-why")
    page.click("#fl-end")
    page.wait_for_selector("#fl-scorecard-body")
    ann.close()


def test_accepted_customer_is_heard_then_the_call_is_closed(browser, server):
    ann = Tab(browser, server, "ann")
    page = ann.page
    ann.start(ACCEPTING)
    for line in accepting_script():
        send_with_enter(ann, line)
    # The customer's acceptance is on screen; no scorecard yet.
    page.wait_for_selector("#fl-status .fl-status[data-closing='true']")
    assert not page.is_visible("#fl-scorecard-body")
    last = ann.bubbles()[-1]
    assert last.strip() and len(ann.bubbles()) == 2 * len(accepting_script()) + 1
    assert "accepted" in page.inner_text("#fl-status")
    send_with_enter(ann, CLOSING)
    page.wait_for_selector("#fl-scorecard-body")
    body = page.locator("#fl-scorecard-body")
    assert body.locator(".sc-badge").count() == 1
    assert body.locator(".sc-badge").inner_text() in ("PASS", "NOT YET") or body.locator(
        ".sc-badge"
    ).inner_text().startswith(("PASS ·", "NOT YET ·"))
    assert CLOSING in page.inner_text("#fl-scorecard-body")
    ann.close()


def test_phone_width_keeps_tabs_reply_box_and_chat_label_apart(browser, server):
    tom = Tab(browser, server, "tom")  # a trainer: four tabs to fit
    page = tom.page
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    for tab in ("practice", "history", "designer", "certification"):
        assert page.is_visible(f"#fl-tab-{tab}-button"), f"the {tab} tab folded away"
    assert not page.is_visible("#fl-tabs .overflow-menu button")
    tom.start(patient_persona())
    for text in (
        "I'm so sorry, that sounds really frustrating.",
        "When did it start?",
        "What happened exactly?",
        "Which model is it?",
    ):
        send_with_enter(tom, text)
    session, reply = box(page, "#fl-session"), box(page, "#fl-reply")
    assert reply["width"] >= 0.9 * session["width"], (reply, session)
    # The chat scrolls to its newest message; its label stays out of the messages' area.
    chat_log = box(page, "#fl-chat [role=log]")
    label = box(page, "#fl-chat label[data-testid=block-label]")
    assert label["y"] + label["height"] <= chat_log["y"] + 1, (label, chat_log)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    tom.shot("trainee-phone-session")
    page.click("#fl-end")
    page.wait_for_selector("#fl-scorecard-body")
    tom.close()


@pytest.mark.parametrize(
    "viewport", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"]
)
def test_replay_a_turn_from_the_scorecard_then_find_it_in_the_history(browser, server, viewport):
    ann = Tab(browser, server, "ann")
    page = ann.page
    page.set_viewport_size(viewport)
    ann.start(ACCEPTING)
    script = accepting_script()
    for line in script[:2]:
        send_with_enter(ann, line)
    session = ann.session_id()
    page.click("#fl-end")
    page.wait_for_selector("#fl-scorecard-body")
    page.wait_for_selector("#fl-replay", state="visible")
    page.locator("#fl-replay-turn input").click()
    page.locator("ul[role=listbox] li", has_text="Turn 2").click()
    page.fill("#fl-replay-text textarea", CALM_DOWN)
    page.press("#fl-replay-text textarea", "Enter")
    result = page.locator("#fl-replay-result .fl-replay[data-turn='2']")
    result.wait_for()
    actual = result.locator(".fl-replay-side[data-side=actual]")
    replay = result.locator(".fl-replay-side[data-side=replay]")
    assert script[1] in actual.inner_text() and CALM_DOWN in replay.inner_text()
    assert float(replay.get_attribute("data-anger")) > float(actual.get_attribute("data-anger"))
    assert float(replay.get_attribute("data-score")) < float(actual.get_attribute("data-score"))
    assert "practice" in result.inner_text().lower()
    a, r = actual.bounding_box(), replay.bounding_box()
    if viewport["width"] < 640:
        assert a["y"] + a["height"] <= r["y"], "on a phone the two sides stack"
    else:
        assert abs(a["y"] - r["y"]) < 2 and a["x"] + a["width"] <= r["x"], "side by side"
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    name = "replay-phone" if viewport["width"] < 640 else "replay-desktop"
    result.scroll_into_view_if_needed()
    page.locator("#fl-replay").screenshot(path=str(ARTIFACTS / f"{name}.png"))

    # History: the session once, and its scorecard reopens with the replay.
    page.click("#fl-tab-history-button")
    page.click("#fl-history-refresh")
    page.wait_for_selector("#fl-progress")
    page.wait_for_timeout(300)
    assert page.inner_text("#fl-history-table").count(session) == 1
    page.locator("#fl-history-pick input").click()
    page.locator("ul[role=listbox] li").first.click()
    page.wait_for_selector("#fl-history-scorecard #fl-scorecard-body")
    saved = page.locator("#fl-history-replays .fl-replay[data-turn='2']")
    saved.wait_for()
    assert CALM_DOWN in saved.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    ann.shot(f"{name}-history")
    ann.close()
