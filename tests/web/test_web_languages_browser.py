"""The web UI in each of its six languages, in headless Chromium.

Per language: a browser that speaks it opens the practice page, which comes up in that
language with no English string from the catalogue on it, no request leaving the machine,
and Chinese and Cyrillic drawn with the fonts the app serves; a screenshot per language goes
to ``test-artifacts/``. Then the picker: switching language relabels the page at once, is
remembered after a reload, and says plainly when the chosen customer is not written in it.
"""

from __future__ import annotations

import re

import pytest
from english_scan import english_left
from web_server import ARTIFACTS, ROOT, start_server

from simulator.languages.catalogue import messages
from simulator.persona.loader import PersonaLibrary
from simulator.web.language_view import offered_languages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BROWSER_LOCALES = {
    "en": "en-GB",
    "es": "es-ES",
    "ru": "ru-RU",
    "zh": "zh-CN",
    "bg": "bg-BG",
    "pt": "pt-BR",
}
# One user for the six browsers (none of them picks, so each page follows its browser) and
# one who picks: each added user costs a `frontline users add` process.
USERS = [("ann", "trainee", "ann-password"), ("picker", "trainee", "picker-password")]
WAIT = 30_000  # ms; a ceiling for a slow shared machine, not a performance claim


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-languages"), USERS)
    yield srv
    srv.stop()


class Page:
    """A browser context in one locale, logged in, recording requests off the machine and
    the fonts it downloads."""

    def __init__(self, browser, server, name: str, locale: str):
        self.context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT)
        self.outside: list[str] = []
        self.fonts: list[str] = []
        self.page.on("request", self._watch)
        self.page.goto(server.url)
        # The login form is gradio's own, in the browser's language: no button text used.
        self.page.fill("input[data-testid=textbox]", name)
        self.page.fill("input[type=password]", server.users[name])
        self.page.press("input[type=password]", "Enter")
        self.page.wait_for_selector(f"#fl-banner [data-user='{name}'], .fl-banner[data-user]")

    def _watch(self, request) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            self.outside.append(request.url)
        elif request.url.endswith(".woff2"):
            self.fonts.append(request.url.rsplit("/", 1)[-1])

    def text(self) -> str:
        return self.page.inner_text("body")


@pytest.mark.parametrize("language", list(BROWSER_LOCALES))
def test_practice_page_in_the_browsers_language(browser, server, language):
    tab = Page(browser, server, "ann", BROWSER_LOCALES[language])
    page = tab.page
    own = messages(language)
    page.wait_for_selector(f"#fl-tab-practice-button:has-text('{own['tab.practice']}')")
    assert (
        page.input_value("#fl-language input")
        == dict(
            en="English", es="Español", ru="Русский", zh="中文", bg="Български", pt="Português"
        )[language]
    )
    text = tab.text()
    assert own["practice.customer"] in text and own["practice.start"] in text
    if language != "en":
        assert english_left(text, language) == []
    else:  # the check finds English when it is there
        assert english_left(text, "ru")
    page.screenshot(path=str(ARTIFACTS / f"languages-{language}.png"), full_page=True)
    assert tab.outside == [], f"requests left the machine: {tab.outside}"
    if language == "zh":
        assert any(f.startswith("noto-sans-sc-") for f in tab.fonts), tab.fonts
    if language in ("ru", "bg"):
        assert "noto-sans-cyrillic-400-normal.woff2" in tab.fonts, tab.fonts
    tab.context.close()


def test_picker_relabels_the_page_remembers_the_choice_and_says_when_a_customer_lacks_it(
    browser, server
):
    tab = Page(browser, server, "picker", "en-GB")
    page = tab.page
    page.wait_for_selector("#fl-start:has-text('Start the conversation')")
    lib = PersonaLibrary(ROOT / "personas")
    persona_id = lib.ids()[0]
    page.check(f'#fl-persona-cards input[value="{persona_id}"]')
    page.wait_for_selector(f'.fl-card[data-persona="{persona_id}"]')
    # Choose Bulgarian in the picker, as a trainee does.
    page.click("#fl-language input")
    page.click("ul[role=listbox] li:has-text('Български')")
    bg = messages("bg")
    page.wait_for_selector(f"#fl-start:has-text('{bg['practice.start']}')")
    page.wait_for_selector(f"#fl-tab-history-button:has-text('{bg['tab.history']}')")
    note = page.locator("#fl-language-note .fl-lang-note")
    note.wait_for()
    speaks_bg = "bg" in offered_languages(lib.get(persona_id))
    assert note.get_attribute("data-ok") == ("true" if speaks_bg else "false")
    if not speaks_bg:
        assert "още не е написан" in note.inner_text()
    assert page.is_checked(f'#fl-persona-cards input[value="{persona_id}"]')
    page.screenshot(path=str(ARTIFACTS / "languages-picker-bg.png"), full_page=True)
    # Remembered: a reload in an English browser stays Bulgarian.
    page.reload()
    page.wait_for_selector(f"#fl-start:has-text('{bg['practice.start']}')")
    assert english_left(tab.text(), "bg") == []
    # A session started from the Bulgarian page: its status and title are Bulgarian, the
    # date as Bulgarian writes it ("7.12.2026 г.").
    page.check(f'#fl-persona-cards input[value="{persona_id}"]')
    page.click("#fl-start")
    page.wait_for_selector("#fl-status .fl-status[data-turns='1']")
    assert page.inner_text("#fl-status") == bg["practice.your_turn"]
    title = page.inner_text("#fl-session-title")
    assert re.search(r"сесия \S+ · започната \d{1,2}\.\d{2}\.\d{4}\sг\.", title), title
    # The session panel's own words, the chat's and reply box's labels too; not yet the
    # mood meter (English) nor the hint's stage name (the rubric's own text).
    own = [
        page.inner_text(s)
        for s in ("#fl-session-title", "#fl-status", "#fl-chat [data-testid=block-label]")
    ]
    own += [page.inner_text(s) for s in ("#fl-reply", "#fl-send", "#fl-end")]
    own.append(page.get_attribute("#fl-reply textarea", "placeholder"))
    assert english_left("\n".join(own), "bg") == [], own
    page.screenshot(path=str(ARTIFACTS / "languages-session-bg.png"), full_page=True)
    assert tab.outside == [], f"requests left the machine: {tab.outside}"
    tab.context.close()
