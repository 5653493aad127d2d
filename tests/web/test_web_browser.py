"""The web UI in a real browser: Debian's headless Chromium driven by Playwright.

A practice session to its scorecard, the mood meter moving after a "calm down", a persona
edit that shows a validation error and then saves, two trainees who cannot see each
other's sessions, a reload that resumes the session, and no request leaving the machine.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web_server import (
    ARTIFACTS,
    CALM_DOWN,
    ROOT,
    log_in,
    off_the_machine,
    patient_persona,
    start_server,
)

from simulator.persona.loader import PersonaLibrary

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USERS = [
    ("ann", "trainee", "ann-password"),
    ("bea", "trainee", "bea-password"),
    ("tom", "trainer", "tom-password"),
    ("cid", "trainee", "cid-password"),
]
GOOD_TURN = "Thank you for telling us. I'm so sorry, that sounds really frustrating."
REST_OF_SESSION = [
    "When did this start, and what happened exactly?",
    "So, to make sure I have it right: it has failed again and you have had to chase us.",
    "I will put this right: I'll arrange a replacement and a technician visit within five "
    "working days. My name is Sam and my direct line is 0113 496 0000.",
    "Does that work for you? Is there anything else I can help you with?",
]
WAIT = 30_000  # ms; a generous ceiling for a slow shared machine, not a performance claim


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-browser"), USERS)
    yield srv
    srv.stop()


class Tab:
    """One logged-in browser context, recording every request that leaves 127.0.0.1."""

    def __init__(self, browser, server, name: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        self.outside: list[str] = []
        self.page.on("request", self._watch)
        log_in(self.page, server, name)
        self.page.wait_for_selector("#fl-tabs")

    def _watch(self, request) -> None:
        if off_the_machine(request.url):
            self.outside.append(request.url)

    def shot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        assert self.outside == [], f"requests left the machine: {self.outside}"
        self.context.close()

    # -- practice ---------------------------------------------------------------------
    def start(self, persona_id: str, mode: str = "training") -> None:
        page = self.page
        page.click("#fl-tab-practice-button")
        page.check(f'#fl-persona-cards input[value="{persona_id}"]')
        page.wait_for_selector(f'.fl-card[data-persona="{persona_id}"]')
        page.check(f'#fl-mode input[value="{mode}"]')
        page.click("#fl-start")
        page.wait_for_selector("#fl-session", state="visible")
        self.wait_turns(1)

    def bubbles(self) -> list[str]:
        return self.page.locator("#fl-chat .message-row").all_inner_texts()

    def wait_turns(self, n: int) -> None:
        """Wait until the conversation has n turns and the customer has finished speaking."""
        self.page.wait_for_selector(f"#fl-status .fl-status[data-turns='{n}']")

    def anger(self) -> float:
        return float(self.page.get_attribute("#fl-mood", "data-anger"))

    def say(self, text: str) -> None:
        """Send a reply and wait for the customer's answer (or the scorecard, if it ended)."""
        turns = int(self.page.get_attribute("#fl-status .fl-status", "data-turns"))
        self.page.fill("#fl-reply textarea", text)
        self.page.click("#fl-send")
        self.page.wait_for_selector(
            f"#fl-status .fl-status[data-turns='{turns + 2}'], #fl-scorecard-body"
        )

    def session_id(self) -> str:
        return re.search(r"session (\w+)", self.page.inner_text("#fl-session-title"))[1]


def retype(page, selector: str, text: str) -> None:
    """Replace a field's text by typing, as a person does (gradio reacts to key input)."""
    field = page.locator(selector).first
    field.click()
    page.keyboard.press("Control+a")
    field.press_sequentially(text)


def test_practice_session_to_scorecard(browser, server):
    ann = Tab(browser, server, "ann")
    page = ann.page
    assert "Logged in as ann (trainee)" in page.inner_text("#fl-banner")
    cards = page.locator("#fl-persona-cards label")
    assert cards.count() == len(PersonaLibrary(ROOT / "personas").ids())
    assert not page.locator("#fl-tab-designer-button").is_visible(), "trainees see no designer"
    page.check(f'#fl-persona-cards input[value="{patient_persona()}"]')
    page.wait_for_selector(".fl-card[data-persona]")
    ann.shot("practice-page")

    ann.start(patient_persona())
    opening = ann.bubbles()
    assert len(opening) == 1 and opening[0].strip()
    anger = ann.anger()
    assert page.is_visible("#fl-hint:has-text('Hint')")

    ann.say(CALM_DOWN)
    assert ann.anger() > anger, "the meter moves up after 'calm down'"
    assert (
        page.locator(".fl-meter-row[data-scale=anger] .fl-meter-delta").inner_text().startswith("+")
    )
    ann.say(GOOD_TURN)
    ann.shot("practice-session-mood")
    assert len(ann.bubbles()) == 5
    for reply in REST_OF_SESSION:
        if page.is_visible("#fl-scorecard-body"):
            break  # the customer accepted (or left): the session ended by itself
        ann.say(reply)
    if not page.is_visible("#fl-scorecard-body"):
        page.click("#fl-end")
    page.wait_for_selector("#fl-scorecard-body")
    body = page.locator("#fl-scorecard-body")
    assert body.locator("mark.sc-violation", has_text=CALM_DOWN).count() == 1
    assert body.locator(".sc-stage").count() >= 1 and body.locator("svg.fl-mood-plot").count()
    assert body.locator(".sc-crit").count() >= 1
    assert page.is_visible("#fl-dl-transcript") and page.is_visible("#fl-dl-scorecard")
    with page.expect_download() as download:
        page.click("#fl-dl-scorecard")
    saved = ARTIFACTS / "scorecard-download.html"
    download.value.save_as(saved)
    assert "<!doctype html>" in saved.read_text()
    # Self-contained and printable: opened from disk it loads nothing else, and prints.
    offline = ann.context.new_page()
    loaded: list[str] = []
    offline.on("request", lambda r: loaded.append(r.url))
    offline.goto(saved.as_uri())
    assert loaded == [saved.as_uri()]
    assert offline.locator("mark.sc-violation").count() >= 1
    offline.emulate_media(media="print")
    pdf = offline.pdf(path=str(ARTIFACTS / "scorecard.pdf"))
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    offline.close()
    ann.shot("scorecard")
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.locator("#fl-scorecard-body").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('#fl-scorecard-body').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "scorecard-top.png"))
    ann.close()


def test_the_trainee_brief_is_beside_the_chat(browser, server):
    """The case card (what may be offered, where flexibility ends: DOMAIN §3.9) is shown
    beside the chat in exam mode too, collapses and opens again, and survives a reload."""
    persona = PersonaLibrary(ROOT / "personas").get("aggressive-rational-billing")
    rules = persona.case.company_rules
    cid = Tab(browser, server, "cid")
    page = cid.page
    cid.start(persona.id, mode="exam")
    brief = page.locator("#fl-brief details.fl-brief")
    assert brief.get_attribute("data-persona") == persona.id
    assert brief.get_attribute("open") is not None
    text = brief.inner_text()
    assert f"You may offer: {rules.standard}" in text
    assert f"Flexibility ends: {rules.limit}" in text
    assert persona.case.bottom_line not in text and persona.case.expectation not in text
    # Beside the chat: to its right, in the same band of the page.
    chat, panel = page.locator("#fl-chat").bounding_box(), brief.bounding_box()
    assert panel["x"] >= chat["x"] + chat["width"] - 1 and panel["y"] < chat["y"] + chat["height"]
    page.click("#fl-brief summary")
    page.wait_for_function("!document.querySelector('#fl-brief details').open")
    assert not page.is_visible("#fl-brief .fl-brief-lines")
    page.click("#fl-brief summary")
    page.wait_for_selector("#fl-brief .fl-brief-lines", state="visible")
    cid.shot("practice-brief")
    page.reload()
    page.wait_for_selector("#fl-session", state="visible")
    assert f"Flexibility ends: {rules.limit}" in page.inner_text("#fl-brief")
    page.click("#fl-end")
    page.wait_for_selector("#fl-scorecard-body")
    cid.close()


def test_reload_mid_session_resumes_from_the_store(browser, server):
    ann = Tab(browser, server, "ann")
    ann.start(patient_persona())
    ann.say(GOOD_TURN)
    session = ann.session_id()
    before = ann.bubbles()
    ann.page.reload()
    ann.page.wait_for_selector("#fl-session", state="visible")
    ann.wait_turns(len(before))
    assert ann.session_id() == session and ann.bubbles() == before
    ann.say("When did this first happen?")
    assert len(ann.bubbles()) == len(before) + 2
    ann.page.click("#fl-end")
    ann.page.wait_for_selector("#fl-scorecard-body")
    ann.close()


def test_two_trainees_cannot_see_each_others_sessions(browser, server):
    ann, bea = Tab(browser, server, "ann"), Tab(browser, server, "bea")
    ann.start(patient_persona())
    ann_session = ann.session_id()
    ann.page.click("#fl-end")
    ann.page.wait_for_selector("#fl-scorecard-body")
    bea.start(patient_persona(), mode="exam")
    assert not bea.page.is_visible("#fl-mood"), "exam mode has no mood meter"
    bea_session = bea.session_id()
    bea.say(GOOD_TURN)
    bea.page.click("#fl-end")
    bea.page.wait_for_selector("#fl-scorecard-body")

    tables = {}
    for tab, name in ((ann, "ann"), (bea, "bea")):
        tab.page.click("#fl-tab-history-button")
        tab.page.click("#fl-history-refresh")
        tab.page.wait_for_selector("#fl-progress")
        tab.page.wait_for_timeout(300)
        tables[name] = tab.page.inner_text("#fl-history-table")
        tab.shot(f"history-{name}")
    assert bea_session in tables["bea"] and bea_session not in tables["ann"]
    assert ann_session in tables["ann"] and ann_session not in tables["bea"]
    ann_ids = set(re.findall(r"\b[0-9a-f]{16}\b", tables["ann"]))
    assert not ann_ids & set(re.findall(r"\b[0-9a-f]{16}\b", tables["bea"]))

    # Logging out leads back to the login page; nothing of ann's is shown without it.
    ann.page.click("#fl-banner a:has-text('Log out')")
    ann.page.wait_for_selector("input[type=password]")
    assert not ann.page.is_visible("#fl-tabs")
    ann.close()
    bea.close()


def test_persona_edit_shows_a_validation_error_then_saves(browser, server):
    tom = Tab(browser, server, "tom")
    page = tom.page
    page.click("#fl-tab-designer-button")
    page.locator("#fl-design-archetype input").fill("vip")
    page.keyboard.press("Enter")
    page.click("#fl-design-new")
    page.wait_for_selector("#fl-problems:has-text('valid persona new-vip')")
    assert "id: new-vip" in page.inner_text("#fl-yaml .cm-content")

    editor = page.locator("#fl-yaml .cm-content")
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("mood_swings: true\n")
    page.wait_for_selector("#fl-problems li[data-field='mood_swings']")
    assert "unknown field" in page.inner_text("#fl-problems")
    tom.shot("designer-validation-error")
    page.click("#fl-design-save")
    page.wait_for_selector("#fl-design-status:has-text('Not saved')")
    assert not (server.personas / "new-vip.yaml").exists()

    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Delete")
    page.wait_for_selector("#fl-problems:has-text('valid persona new-vip')")
    page.click("#fl-design-save")
    page.wait_for_selector("#fl-design-status:has-text('Saved new-vip')")
    saved = server.personas / "new-vip.yaml"
    assert saved.exists() and "mood_swings" not in saved.read_text()

    page.click("#fl-design-try")
    page.wait_for_function(
        "() => document.querySelectorAll('#fl-design-chat .message-row').length >= 1"
    )
    tom.shot("designer-saved")

    with page.expect_download() as download:
        page.click("#fl-design-download")
    assert Path(download.value.path()).read_text() == saved.read_text()

    # The form writes into the YAML, and the result is validated like typed YAML.
    page.click("#fl-design-form-tab-button")
    retype(page, "#fl-form-id textarea", "Not A Slug")
    page.wait_for_selector("#fl-problems li[data-field='id']")
    retype(page, "#fl-form-id textarea", "vera-newman")
    page.wait_for_selector("#fl-problems:has-text('valid persona vera-newman')")
    page.click("#fl-design-yaml-tab-button")
    # What the form wrote is what gets saved. (Reading the editor's drawn lines here timed
    # out in whole test runs while passing alone: CodeMirror draws only its viewport.)
    page.click("#fl-design-save")
    page.wait_for_selector("#fl-design-status:has-text('Saved vera-newman')")
    assert "id: vera-newman" in (server.personas / "vera-newman.yaml").read_text()

    # Uploading loads a file into the editor without saving it.
    page.set_input_files(
        "input[data-testid='Upload a persona file-upload-button']",
        str(next(server.personas.glob("meek-*.yaml"))),
    )
    page.wait_for_function(
        "() => document.querySelector('#fl-yaml .cm-content').innerText.includes('archetype: meek')"
    )
    page.wait_for_selector("#fl-problems:has-text('valid persona meek-')")
    tom.close()


def test_trainer_certifies_uploaded_transcripts(browser, server, tmp_path):
    from web_uploads import write_uploads

    ann = Tab(browser, server, "ann")
    assert not ann.page.locator("#fl-tab-certification-button").is_visible(), (
        "trainees see no certification page"
    )
    ann.close()

    tom = Tab(browser, server, "tom")
    page = tom.page
    page.click("#fl-tab-certification-button")
    page.wait_for_selector("#fl-cert-exam input")
    assert page.input_value("#fl-cert-exam input").endswith("(foundation)")
    # No model is configured on the test server: the judge cannot be asked for.
    assert page.is_disabled("#fl-cert-judge input")
    assert "unavailable" in page.inner_text("#fl-cert-judge-note")

    uploads = write_uploads(tmp_path / "uploads")
    page.set_input_files("#fl-cert-upload input[type=file]", [str(p) for p in uploads])
    page.wait_for_selector("#fl-cert-upload td[aria-label='bob.txt']")
    page.click("#fl-cert-start")
    page.wait_for_selector("#fl-cert-progress[data-complete='true']")
    assert page.get_attribute("#fl-cert-progress", "data-graded") == "3"
    frame = page.frame_locator("#fl-cert-report-frame")
    frame.locator("text=alice").first.wait_for()
    assert page.locator("#fl-cert-runs tbody tr").count() >= 1
    assert page.get_attribute("#fl-cert-progress", "data-run") in page.inner_text("#fl-cert-runs")
    with page.expect_download() as download:
        page.click("#fl-cert-downloads tr:has(td[aria-label='candidates.csv']) a")
    assert Path(download.value.path()).read_text().startswith("candidate,result")
    assert page.locator("#fl-cert-downloads td[aria-label^='certificates-alice']").count() == 1
    # Chromium leaves iframes out of full-page shots: grow the window to the whole page.
    page.set_viewport_size({"width": 1280, "height": page.evaluate("document.body.scrollHeight")})
    # The copy in docs/screenshots/ is refreshed by hand from this artifact, so a test
    # run never rewrites a tracked file.
    page.screenshot(path=str(ARTIFACTS / "certification.png"))
    tom.close()


def test_designer_calibrate_shows_the_matrix(browser, server):
    tom = Tab(browser, server, "tom")
    page = tom.page
    page.click("#fl-tab-designer-button")
    page.locator("#fl-design-browse input").fill("aggressive-rational-billing.yaml")
    page.keyboard.press("Enter")
    page.wait_for_selector("#fl-problems:has-text('valid persona aggressive-rational-billing')")
    page.click("#fl-design-calibrate")
    page.wait_for_selector("#fl-calibration[data-valid='true']")
    assert page.get_attribute("#fl-calibration", "data-failed") == "0"
    matrix = page.locator("#fl-calibration-matrix table").first
    assert "Exemplary" in matrix.inner_text() and "Dismissive" in matrix.inner_text()
    tom.shot("designer-calibration")
    tom.close()
