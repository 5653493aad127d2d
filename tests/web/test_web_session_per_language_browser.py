"""A whole session in each of the six languages, in headless Chromium, as a new user does it.

Per language: a trainee logs in (an English browser), picks the language in the picker,
practises the meek customer with the native script
(tests/fixtures/i18n/meek-emotional-late-delivery-<lang>.txt; the English one is
tests/fixtures/web/, as the i18n folder holds only the languages a persona is translated
into), reads the scorecard, opens the history page and reopens the scorecard there; a
trainer, in the same language, opens the certification page and presses Start with nothing
chosen. On each page every visible text, placeholders, tooltips and screen-reader labels
included, is scanned for the English catalogue's values (the language's same_as_english
ones excepted). A screenshot of the session per language goes to test-artifacts/ (the
copies in docs/screenshots/ are refreshed by hand from there).
"""

from __future__ import annotations

import ast

import pytest
from english_scan import english_left
from web_server import ARTIFACTS, ROOT, start_server

from simulator.languages.catalogue import messages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PERSONA = "meek-emotional-late-delivery"
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "ru": "Русский",
    "zh": "中文",
    "bg": "Български",
    "pt": "Português",
}
TRAINER = "coach"
USERS = [(f"{code}trainee", "trainee", f"{code}-password-1") for code in LANGUAGES]
USERS.append((TRAINER, "trainer", "coach-password-1"))
WAIT = 60_000  # ms; a ceiling for a slow shared machine, not a performance claim

# What the scan leaves out today, and why. The scorecard and its downloads are localised
# with the grading reports (another change), and so are the rubric's stage names the
# progress chart's legend shows; the replay panel's turn list is filled by the scorecard
# view, which does not pass the page's language on yet. Widening the scan when they land
# is deleting lines here.
NOT_SCANNED_YET = [
    "#fl-scorecard",  # scorecard_html.py: the scorecard's own words
    "#fl-history-scorecard",
    "[id$=-dl-transcript]",  # scorecard_view.py: the download buttons' labels
    "[id$=-dl-scorecard]",
    "[id$=-replay-turn]",  # scorecard_view.py: "Turn N: …" choices (ReplayView.show(t))
    "[id$=-replays-box]",  # saved replays' heading, from the same call
    "#fl-progress svg > text",  # the rubric's stage titles (its axis: numbers only)
]

# Every text node a person can see under ``root`` (hidden elements skipped), with the
# placeholders, tooltips, ARIA labels and input values a person or screen reader meets.
VISIBLE_TEXT = r"""([root, skip]) => {
  const out = [];
  const attributes = ["placeholder", "title", "aria-label", "aria-valuetext", "alt"];
  // Gradio's own status words are its untranslated i18n keys ("common.complete"): its own.
  const gradio = /^\s*common\.[a-z_]+\s*$/;
  const walk = (el) => {
    if (skip.some((s) => el.matches(s))) return;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return;
    for (const name of attributes) {
      const value = el.getAttribute(name);
      if (value && !gradio.test(value)) out.push(value);
    }
    const typed = el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text");
    if (typed && el.value) out.push(el.value);  // not a radio's or checkbox's value id
    for (const node of el.childNodes) {
      if (node.nodeType === Node.TEXT_NODE && !gradio.test(node.textContent)) {
        out.push(node.textContent);
      }
      else if (node.nodeType === Node.ELEMENT_NODE) walk(node);
    }
  };
  document.querySelectorAll(root).forEach(walk);
  return out.join("\n");
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-session-languages"), USERS)
    yield srv
    srv.stop()


def script(language: str) -> list[str]:
    folder = "web" if language == "en" else "i18n"
    path = ROOT / "tests" / "fixtures" / folder / f"{PERSONA}-{language}.txt"
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Tab:
    """An English browser logged in as ``name``, watching for requests off the machine."""

    def __init__(self, browser, server, name: str):
        self.context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        self.outside: list[str] = []
        self.page.on("request", self._watch)
        self.page.goto(server.url)
        self.page.fill("input[data-testid=textbox]", name)
        self.page.fill("input[type=password]", server.users[name])
        self.page.press("input[type=password]", "Enter")
        self.page.wait_for_selector(f"#fl-banner [data-user='{name}'], .fl-banner[data-user]")

    def _watch(self, request) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            self.outside.append(request.url)

    def pick(self, language: str) -> dict[str, str]:
        """Choose ``language`` in the picker, as a trainee does; its catalogue."""
        own = messages(language)
        page = self.page
        # The page has loaded in the user's last choice (English for a new user).
        starts = [messages(code)["practice.start"] for code in LANGUAGES]
        page.wait_for_function(
            "(starts) => starts.includes(document.querySelector('#fl-start')?.innerText.trim())",
            arg=starts,
        )
        if page.input_value("#fl-language input") != LANGUAGES[language]:
            page.click("#fl-language input")
            page.click(f"ul[role=listbox] li:has-text('{LANGUAGES[language]}')")
        page.wait_for_selector(f"#fl-start:has-text('{own['practice.start']}')")
        page.wait_for_selector(f"#fl-tab-history-button:has-text('{own['tab.history']}')")
        return own

    def leaks(self, language: str, root: str = "body") -> list[str]:
        """The English catalogue strings on the page (none expected but in English)."""
        text = self.page.evaluate(VISIBLE_TEXT, [root, NOT_SCANNED_YET])
        assert len(text) > 200, text  # the scan reads the page at all
        own = messages(language)
        leaks = []
        for found in english_left(text, language):
            key, piece = found.split(":")[0], ast.literal_eval(found.split(": ", 1)[1])
            if piece in own[key]:  # the language writes it too: a name (`FRONTLINE_LLM_*`)
                continue
            where = next((line for line in text.splitlines() if piece in line), "")
            leaks.append(f"{found} in {where.strip()[:120]!r}")
        return leaks

    def send(self, text: str) -> None:
        """Type a reply, press Enter; wait for the customer's answer or the scorecard."""
        page = self.page
        turns = int(page.get_attribute("#fl-status .fl-status", "data-turns"))
        page.fill("#fl-reply textarea", text)
        page.press("#fl-reply textarea", "Enter")
        page.wait_for_selector(
            f"#fl-status .fl-status[data-turns='{turns + 2}'], #fl-scorecard-body"
        )


def test_the_english_scan_finds_english_on_a_page_in_another_language(browser, server):
    """The check can fail: the English page read as if it were Russian is full of leaks."""
    tab = Tab(browser, server, "entrainee")
    tab.pick("en")
    found = tab.leaks("ru")
    assert len(found) > 10 and any(k.startswith("practice.start") for k in found), found
    tab.context.close()


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_whole_session_in_the_language(browser, server, language):
    tab = Tab(browser, server, f"{language}trainee")
    page = tab.page
    own = tab.pick(language)
    foreign = language != "en"
    if foreign:
        assert tab.leaks(language) == []

    # Practice: the meek customer, training mode (meter, hints, brief), the native script.
    page.check(f'#fl-persona-cards input[value="{PERSONA}"]')
    page.wait_for_selector(f'.fl-card[data-persona="{PERSONA}"]')
    assert page.get_attribute("#fl-language-note .fl-lang-note", "data-ok") == "true"
    page.click("#fl-start")
    page.wait_for_selector("#fl-status .fl-status[data-turns='1']")
    lines = script(language)
    for line in lines[:-1]:
        tab.send(line)
    # The customer accepted: before the closing line, the session page in full.
    page.wait_for_selector("#fl-status .fl-status[data-closing='true']")
    why = page.inner_text("#fl-mood-why")
    assert why.startswith(own["mood.why"].split("{")[0].strip()), why
    assert page.inner_text("#fl-meter .fl-meter-title") == own["mood.title"]
    assert own["brief.summary"] in page.inner_text("#fl-brief")
    if foreign:
        assert tab.leaks(language) == []
    page.screenshot(path=str(ARTIFACTS / f"session-{language}.png"))
    tab.send(lines[-1])

    # The scorecard follows the closing line.
    page.wait_for_selector("#fl-scorecard-body")
    assert page.locator("#fl-scorecard-body .sc-badge").count() == 1
    if foreign:
        assert tab.leaks(language) == []

    # History: the session listed with the language's words, its scorecard reopened.
    page.click("#fl-tab-history-button")
    page.wait_for_function(
        "(word) => document.querySelector('#fl-history-table').innerText.includes(word)",
        arg=own["outcome.resolved"],
    )
    assert own["history.col_customer"] in page.inner_text("#fl-history-table")
    page.locator("#fl-history-pick input").click()
    page.locator("ul[role=listbox] li").first.click()
    page.wait_for_selector("#fl-history-scorecard #fl-scorecard-body")
    page.wait_for_selector("#fl-progress svg")
    if foreign:
        assert tab.leaks(language) == []
    assert tab.outside == [], f"requests left the machine: {tab.outside}"
    tab.context.close()

    # Certification, as a trainer in the same language: the page, and Start with nothing.
    coach = Tab(browser, server, TRAINER)
    page = coach.page
    coach.pick(language)
    page.click("#fl-tab-certification-button")
    page.wait_for_selector(f"#fl-cert-start:has-text('{own['cert.start']}')")
    page.click("#fl-cert-start")
    page.wait_for_selector("#fl-cert-progress[data-phase='nothing']")
    assert own["cert.nothing"] in page.inner_text("#fl-cert-progress")
    if foreign:
        assert coach.leaks(language) == []
    assert coach.outside == [], f"requests left the machine: {coach.outside}"
    coach.context.close()
