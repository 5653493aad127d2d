"""The web pages' words in each language, without a server: the mood meter and the reasons
the mood moved (recorded in the effects tables' English, shown in the reader's language),
the brief panel, the history/certification/cohort/designer helpers, every key the code
builds at run time, and the persona's languages typed instead of guessed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from english_scan import english_left as catalogue_english_left

from simulator.customer.effects import load_effects
from simulator.customer.reason_words import reason_in, reason_keys, reasons_in
from simulator.customer.state import Outcome
from simulator.languages.catalogue import Texts, messages
from simulator.persona.loader import PersonaLibrary, read_persona
from simulator.render.offline import OfflineRenderer
from simulator.sessions import Conversation, SessionStore
from simulator.web.certification import PHASES, RUN_COLUMNS, progress_html
from simulator.web.chat_view import brief_panel
from simulator.web.cohort_view import summary_html
from simulator.web.history import COLUMNS, headers, progress_svg
from simulator.web.language_view import in_language, offered_languages
from simulator.web.mood import SCALES, meter_html
from simulator.web.persona_edit import FORM_FIELDS, problems_html

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "fixtures" / "i18n"
OTHERS = ["es", "ru", "zh", "bg", "pt"]
MEEK = "meek-emotional-late-delivery"
LIBRARY = PersonaLibrary(ROOT / "personas")


@pytest.fixture(autouse=True)
def shipped_only(monkeypatch):
    monkeypatch.delenv("FRONTLINE_LANGUAGES", raising=False)


def english_pieces() -> list[str]:
    """Every reason the tables and the machine can record, as English words to look for."""
    return sorted(reason_keys(), key=len, reverse=True)


def english_left(text: str) -> list[str]:
    return [e for e in english_pieces() if len(e) > 3 and e in text]


def test_every_reason_the_tables_record_has_its_english_in_the_catalogue():
    """The English catalogue's reason.* entries are the tables' own words (a reason edited
    in effects.yaml without its catalogue entry is found here), and no entry is stale."""
    en = messages("en")
    for text, key in reason_keys().items():
        assert en.get(key) == text, key
    assert {k for k in en if k.startswith("reason.")} - set(reason_keys().values()) == {
        "reason.qualified"
    }


@pytest.mark.parametrize("language", OTHERS)
@pytest.mark.parametrize("persona_id", [MEEK, "aggressive-rational-billing"])
def test_a_scripted_session_explains_every_mood_change_in_its_language(language, persona_id):
    """A customer played in ``language`` with the native script: every reason the machine
    recorded reads in that language, qualifiers included; English is unchanged. The billing
    customer is rational: a prompt deadline meets a shared trigger ("(shared trigger)")."""
    persona = LIBRARY.get(persona_id).in_language(language)
    conv = Conversation.start(
        persona, store=SessionStore(":memory:"), renderer=OfflineRenderer(), user="u"
    )
    "".join(conv.opening())
    recorded: list[str] = []
    script = SCRIPTS / f"{persona_id}-{language}.txt"
    for line in script.read_text(encoding="utf-8").splitlines():
        if not conv.accepts_input:
            break
        "".join(conv.reply(line))
        recorded += [c.reason for c in conv.steps[-1].changes]
    assert len(set(recorded)) >= 5
    assert any(" (" in r for r in recorded)  # qualified reasons were met, not only bare ones
    shown = reasons_in(recorded, Texts(language))
    assert [english_left(r) for r in shown] == [[] for _ in shown], shown
    assert catalogue_english_left(" | ".join(shown), language) == [], shown
    assert reasons_in(recorded, Texts("en")) == recorded


def test_qualifiers_are_worded_and_bracketed_as_the_language_writes_them():
    effects = load_effects()
    kind = effects.complaint_type["attitude"].reason
    unheard = effects.temperament["emotional"].trust_until_heard.reason
    recorded = f"Apologised ({kind}) ({unheard})"
    zh = reason_in(recorded, Texts("zh"))
    kind_zh, unheard_zh = (
        "态度投诉：最看重客户受到怎样的对待",
        "客户还没觉得被倾听，所以信任几乎没有增加",
    )
    assert zh == f"道了歉（{kind_zh}）（{unheard_zh}）"
    ru = reason_in(recorded, Texts("ru"))
    assert ru.startswith("Извинились (жалоба на отношение") and ru.count("(") == 2
    # A base reason with brackets of its own is one reason, not a reason and a qualifier.
    own = effects.moves["own"].reason
    assert reason_in(own, Texts("es")) == "Se hizo cargo («yo me ocupo…»)"


def test_a_persona_trigger_keeps_its_own_words_and_an_unknown_reason_is_kept():
    trigger = "Ей сказали, что она никому не мешает (§2.4 робкий) (persona trigger)"
    assert reason_in(trigger, Texts("ru")) == (
        "Ей сказали, что она никому не мешает (§2.4 робкий) (особая реакция этого клиента)"
    )
    assert reason_in("A trainer's own reason", Texts("bg")) == "A trainer's own reason"


@pytest.mark.parametrize("language", OTHERS)
def test_the_meter_speaks_the_language_screen_reader_text_included(language):
    t = Texts(language)
    html = meter_html(40, 55, 70, (50, 50, 70), ["Apologised", "Another turn gone"], t)
    assert t("mood.title") in html and t("mood.anger") in html
    assert t("mood.said_down", scale=t("mood.anger"), value="40", change="10") in html
    assert t("reason.moves.apologise") in html and t("reason.turn_gone") in html
    visible = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\b(anger|trust|patience|Why|Customer mood|of 100)\b", visible)
    assert 'data-scale="anger"' in html  # the ids stay, for scripts and tests


@pytest.mark.parametrize("language", OTHERS)
def test_the_brief_panel_frame_is_the_languages_and_the_case_the_personas(language):
    persona = LIBRARY.get(MEEK).in_language(language)
    t = Texts(language)
    html = brief_panel(persona, t)
    assert t("brief.summary") in html
    assert persona.case.company_rules.standard in html
    assert not re.search(r"You work for|You may offer|Flexibility ends|give-away", html)


def test_page_helpers_in_bulgarian_have_no_english_frame():
    t = Texts("bg")
    words = [
        progress_svg([], t=t),
        progress_html(None, t),
        summary_html(_empty_cohort(), t),
        problems_html([], "", t),
        " ".join(headers(t)),
    ]
    text = re.sub(r"<[^>]+>", " ", " ".join(words))
    assert not re.search(r"\b(No graded|No run|started|session|customer|outcome)\b", text)


def _empty_cohort():
    from simulator.cohort import Cohort

    return Cohort([])


def test_every_key_the_code_builds_at_run_time_exists_in_every_language():
    """Keys made from values (t(f"outcome.{...}")) escape the literal-key scan of
    test_ui_catalogue.py: each family is listed here from the values it is made of."""
    keys = (
        [f"outcome.{o.value}" for o in Outcome]
        + [f"mood.{name}" for name, _ in SCALES]
        + [f"cert.phase_{p}" for p in PHASES]
        + [f"cert.col_{c}" for c in RUN_COLUMNS]
        + [f"history.col_{c}" for c in COLUMNS]
        + [f"designer.field_{name}" for name, _ in FORM_FIELDS]
        + [
            f"cohort.col_{c}"
            for c in [
                *("criterion", "stage", "met", "trainee", "sessions", "first", "latest"),
                *("change", "mean", "weakest", "earlier", "later"),
            ]
        ]
        + list(reason_keys().values())
    )
    for language in ["en", *OTHERS]:
        mine = messages(language)
        assert [k for k in keys if k not in mine] == [], language


def test_offered_languages_and_in_language_are_the_persona_files():
    meek = LIBRARY.get(MEEK)
    assert offered_languages(meek) == meek.offered_languages()
    assert in_language(meek, "zh").language == "zh"
    assert in_language(meek, "de") is meek  # not written in it: the base plays


def test_a_broken_overlay_plays_the_base_language():
    text = (ROOT / "personas" / f"{MEEK}.yaml").read_text(encoding="utf-8")
    start = text.index("\n  ru:\n")
    leave = text.index("      leave:\n", start)
    broken = text[:leave] + text[text.index("      turn_limit:\n", leave) :]
    persona, problems = read_persona(broken, "p.yaml")
    assert problems and "ru" not in offered_languages(persona)
    assert in_language(persona, "ru") is persona


def _graded_in(language: str):
    """A short transcript in ``language`` with a mood trajectory, graded by the shipped
    rubric in that language (as the web app grades a session played in it)."""
    from simulator.grading.grader import grade
    from simulator.grading.rubric_loader import RubricLibrary
    from simulator.transcript import Transcript

    folder = SCRIPTS if language != "en" else ROOT / "tests" / "fixtures" / "web"
    lines = (folder / f"{MEEK}-{language}.txt").read_text(encoding="utf-8").splitlines()
    transcript = Transcript.model_validate(
        {
            "id": f"t-{language}",
            "language": language,
            "outcome": "ongoing",
            "turns": [{"role": "customer", "text": "…"}, {"role": "agent", "text": lines[0]}],
            "trajectory": [
                {"turn": 0, "anger": 40, "trust": 30, "patience": 80, "reaction": "opening"},
                {"turn": 1, "anger": 30, "trust": 45, "patience": 75, "reaction": "soften"},
            ],
        }
    )
    rubric = RubricLibrary(ROOT / "rubrics").get().in_language(language)
    return grade(transcript, rubric).model_dump(mode="json"), transcript


@pytest.mark.parametrize("language", OTHERS)
def test_the_scorecards_mood_plot_is_in_the_transcripts_language(language):
    """The plot under the scorecard (legend, axis, screen-reader label) was English on every
    page: its words are the card's language now."""
    from simulator.web.scorecard_html import scorecard_fragment

    card, transcript = _graded_in(language)
    t = Texts(language)
    plot = scorecard_fragment(card, transcript).split('class="fl-mood-plot"')[1]
    plot = plot.split("</svg>")[0]
    assert f'aria-label="{t("mood.plot")}"' in plot
    for scale in ("anger", "trust", "patience"):
        assert f">{t(f'mood.{scale}')}</text>" in plot
    words = re.sub(r"<[^>]+>", " ", plot)  # what is read, not the ids in data-*
    assert not re.search(r"\b(anger|trust|patience|Customer mood)\b", words), words


@pytest.mark.parametrize("language", OTHERS)
def test_the_progress_legend_names_stages_from_the_rubric_in_the_page_language(language):
    """Stage lines are keyed by id and named in the page's language from the rubric's
    overlay, whatever language the sessions were graded in."""
    from simulator.web.history import stage_scores, stage_titles

    card, _ = _graded_in("en")  # graded in English, shown in ``language``
    t = Texts(language)
    titles = stage_titles([card], t)
    scores = stage_scores(card)
    assert scores and set(scores) <= set(titles)
    svg = progress_svg([("#1", scores)], t=t, titles=titles)
    english = {s["title"] for s in card["stages"]}
    legends = set(re.findall(r'font-size="11" fill="#333">([^<]+)</text>', svg))
    assert legends and not legends & english, legends
    for stage in card["stages"]:
        if stage["id"] in scores:
            assert f'data-stage="{stage["id"]}"' in svg


@pytest.mark.parametrize("language", OTHERS)
def test_the_runs_table_says_what_a_run_graded_in_the_page_language(language):
    """A run records its inputs once ('3 uploaded file(s)'); every trainer reads them in
    their own language (the English record showed on every page)."""
    from simulator.web.certification import SESSIONS, UPLOADS, inputs_record, inputs_words

    t = Texts(language)
    uploads = inputs_words(inputs_record(UPLOADS, ["a", "b", "c"], ""), t)
    assert uploads == t("cert.inputs_uploads", count=3)
    assert "uploaded" not in uploads and "3" in uploads
    sessions = inputs_words(inputs_record(SESSIONS, None, "user=ana"), t)
    assert sessions == t("cert.inputs_sessions", filter="user=ana") and "user=ana" in sessions
    assert inputs_words("something else", t) == "something else"
    english = Texts("en")
    assert inputs_words(inputs_record(UPLOADS, ["a"], ""), english) == "1 uploaded file(s)"


def test_a_replay_is_in_the_sessions_language_decimal_marks_included():
    """The replay panel wrote '51.6' on every page (Spanish writes '51,6', Babel) and named
    the phrasing rules broken in English in a Spanish session."""
    from simulator.grading import RubricLibrary
    from simulator.sessions.replay import replay_turn
    from simulator.web.replay_view import replay_html

    persona = LIBRARY.get(MEEK).in_language("es")
    store = SessionStore(":memory:")
    conv = Conversation.start(persona, store=store, renderer=OfflineRenderer(), user="u")
    "".join(conv.opening())
    lines = (SCRIPTS / f"{MEEK}-es.txt").read_text(encoding="utf-8").splitlines()
    for line in lines[:2]:
        "".join(conv.reply(line))
    conv.end()
    rubric = RubricLibrary(ROOT / "rubrics").get()
    result = replay_turn(
        store, conv.session_id, "u", turn=1, reply="Cálmese.", personas=LIBRARY, rubric=rubric
    )
    scores = {result.actual.score, result.replay.score}
    fractional = [s for s in scores if s != int(s)]
    assert fractional, scores  # the check needs a score with decimals
    words = re.sub(r"<[^>]+>", " ", replay_html(result, Texts("es")))  # not data-score
    for score in fractional:
        assert f"{score:g}".replace(".", ",") in words and f"{score:g}" not in words, words
    # The rules broken and criteria changed are the session's language, like its scorecard.
    assert result.replay.violations and not re.search(r"\bcalm down\b", words), words
    # ... and so are the verdicts of the criteria that change ('met → missed' was English).
    assert result.changed, "the check needs a criterion whose verdict changes"
    assert not re.search(r"\b(met|missed|not applicable)\b", words), words
