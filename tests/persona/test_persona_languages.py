"""Per-language persona overlays: resolving a persona in a language, the problems a broken
or incomplete overlay gives (file, line, field), `frontline practice --language L` as a new
user runs it (the customer speaks only that language), `frontline personas` and
`frontline validate`, and hostile overlays (hypothesis).
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cli.practice import outcome_text
from simulator.customer.machine import CustomerMachine
from simulator.customer.state import Outcome, ReactionPlan
from simulator.errors import FileProblems, FrontlineError
from simulator.languages.catalogue import Texts
from simulator.moves.detector import default_detector
from simulator.persona.loader import PersonaLibrary, parse_persona, read_persona
from simulator.persona.model import Archetype, BandedPhrases
from simulator.reactions import Reaction
from simulator.render.base import RenderRequest
from simulator.render.offline import OfflineRenderer
from simulator.render.prompts import customer_system_prompt
from simulator.sessions import Conversation, SessionStore

ROOT = Path(__file__).resolve().parents[2]
MEEK = ROOT / "personas" / "meek-emotional-late-delivery.yaml"
MEEK_ID = "meek-emotional-late-delivery"
SCRIPTS = ROOT / "tests" / "fixtures" / "i18n"
LANGUAGES = ["es", "ru", "zh", "bg", "pt"]
# The letters a customer line in each language must contain (beyond digits and Latin
# order numbers): a Cyrillic or CJK script check, and Spanish/Portuguese accents or words.
SCRIPT = {
    "ru": re.compile(r"[а-яё]", re.I),
    "bg": re.compile(r"[а-ъьюя]", re.I),
    "zh": re.compile(r"[\u4e00-\u9fff]"),
    "es": re.compile(r"[a-záéíóúñ]", re.I),
    "pt": re.compile(r"[a-záéíóúãõç]", re.I),
}
LIBRARY = PersonaLibrary(ROOT / "personas")


def meek_text() -> str:
    return MEEK.read_text(encoding="utf-8")


def meek_data() -> dict:
    return yaml.safe_load(meek_text())


def english_lines(persona) -> list[str]:
    """Every line of the base (English) bank with its placeholders' literal parts only."""
    out = []
    for entry in persona.phrases.values():
        lines = entry.hot + entry.cool if isinstance(entry, BandedPhrases) else entry
        for line in lines:
            for literal, *_ in string.Formatter().parse(line):
                words = literal.strip(" .,!?…'—-")
                if len(words) >= 8:  # long enough to be English wording, not punctuation
                    out.append(words)
    return out


# -- resolving -------------------------------------------------------------------------
def test_a_persona_resolves_in_each_language_it_offers():
    persona = LIBRARY.get(MEEK_ID)
    assert persona.offered_languages() == ["en", *persona.languages]
    for lang in LANGUAGES:
        played = persona.in_language(lang)
        assert played.language == lang
        assert played.id == persona.id
        # behaviour stays the base's: mood, thresholds, sensitivity, remedy levels
        assert played.start == persona.start and played.thresholds == persona.thresholds
        assert played.sensitivity == persona.sensitivity
        assert [(r.id, r.level) for r in played.case.remedies] == [
            (r.id, r.level) for r in persona.case.remedies
        ]
        assert played.case.facts != persona.case.facts
        assert played.phrases != persona.phrases
        assert played.content_hash() != persona.content_hash()
    assert persona.in_language("en") is persona


def test_the_base_hash_ignores_the_overlays():
    data = meek_data()
    data["languages"]["es"]["phrases"]["accept"] = ["Gracias, hija."]
    edited = parse_persona(yaml.safe_dump(data, allow_unicode=True))
    shipped = parse_persona(meek_text())
    assert edited.content_hash() == shipped.content_hash()  # English sessions unaffected
    assert edited.in_language("es").content_hash() != shipped.in_language("es").content_hash()
    bare = {k: v for k, v in data.items() if k != "languages"}
    assert parse_persona(yaml.safe_dump(bare, allow_unicode=True)).content_hash() == (
        shipped.content_hash()
    )


def test_version_1_files_still_load_and_languages_need_version_2():
    data = meek_data()
    data["schema_version"] = 1
    with pytest.raises(FileProblems) as err:
        parse_persona(yaml.safe_dump(data, allow_unicode=True), "p.yaml")
    assert "'languages' needs schema_version: 2" in str(err.value)
    del data["languages"]
    assert parse_persona(yaml.safe_dump(data, allow_unicode=True)).language == "en"


def test_a_language_not_offered_is_a_clear_error_listing_those_offered():
    with pytest.raises(FrontlineError) as err:
        LIBRARY.get(MEEK_ID).in_language("de")
    assert "not offered in 'de'" in str(err.value)
    assert "en, ru, es, pt, bg, zh" in str(err.value)


def line_of(text: str, after: str, needle: str) -> int:
    """The line number of the first ``needle`` after ``after`` in ``text``; an indented
    needle must start its line ("    phrases:" is not the deeper "        phrases:")."""
    start = text.index(after)
    if needle.startswith(" "):
        return text[: text.index("\n" + needle, start) + 1].count("\n") + 1
    return text[: text.index(needle, start)].count("\n") + 1


def test_a_missing_bank_is_reported_at_the_overlay_with_its_line():
    text = meek_text()
    ru_start = text.index("\n  ru:\n")
    leave = text.index("\n      leave:\n", ru_start) + 1
    end = text.index("      turn_limit:\n", leave)
    broken = text[:leave] + text[end:]
    persona, problems = read_persona(broken, "p.yaml")
    assert [p.field for p in problems] == ["languages.ru.phrases"]
    assert "lacks reactions: leave" in problems[0].message
    assert problems[0].line == line_of(broken, "\n  ru:\n", "    phrases:\n")
    # the base and the other languages stay playable; the broken one is not offered
    assert "ru" not in persona.offered_languages() and "es" in persona.offered_languages()
    with pytest.raises(FileProblems):
        persona.in_language("ru")
    with pytest.raises(FileProblems):
        parse_persona(broken, "p.yaml")


def test_a_remedy_without_triggers_in_the_language_is_reported():
    data = meek_data()
    remedy = data["languages"]["bg"]["case"]["remedies"][2]
    del remedy["triggers"]
    _, problems = read_persona(yaml.safe_dump(data, allow_unicode=True), "p.yaml")
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "languages.bg.case.remedies[2]: missing in this language: triggers"
    ]


def test_whole_missing_pieces_and_unknown_ids_are_reported():
    data = meek_data()
    zh = data["languages"]["zh"]
    del zh["triggers"]
    zh["case"]["hidden_facts"] = zh["case"]["hidden_facts"][1:]
    zh["case"]["remedies"][0]["id"] = "no-such-remedy"
    _, problems = read_persona(yaml.safe_dump(data, allow_unicode=True), "p.yaml")
    messages = {(p.field, p.message.split(" (")[0]) for p in problems}
    assert ("languages.zh", "missing in this language: triggers") in messages
    assert (
        "languages.zh.case.hidden_facts",
        "hidden fact 'order-number' is missing in this language",
    ) in messages
    assert (
        "languages.zh.case.remedies",
        "remedy 'resend-and-refund-fee' is missing in this language",
    ) in messages
    assert (
        "languages.zh.case.remedies[0].id",
        "no remedy 'no-such-remedy' in the base persona",
    ) in messages


def test_an_error_in_the_merged_persona_points_into_the_overlay():
    data = meek_data()
    data["languages"]["pt"]["phrases"]["accept"] = ["Obrigada, {nome}."]
    text = yaml.safe_dump(data, allow_unicode=True)
    _, problems = read_persona(text, "p.yaml")
    assert len(problems) == 1 and problems[0].field == "languages.pt.phrases"
    assert "unknown placeholder {nome}" in problems[0].message
    assert problems[0].line == line_of(text, "\n  pt:\n", "    phrases:\n")


@pytest.mark.parametrize(
    "breaks",
    [
        lambda kept: kept.pop("accept"),  # the follow-up's own check: each outcome speaks
        lambda kept: kept["opening"].append("Sí, llegó: {ofrecido}."),  # a placeholder
    ],
    ids=["lacking-accept", "unknown-placeholder"],
)
def test_an_error_in_the_overlays_follow_up_points_at_the_overlays_follow_up(breaks):
    """The follow-up call is merged from the base (its days, its outcomes) and the
    overlay (its lines): a problem with the lines is the overlay's, at the overlay's line,
    not at the base's follow_up (where it was reported before)."""
    data = meek_data()
    breaks(data["languages"]["es"]["case"]["follow_up"]["phrases"]["kept"])
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    _, problems = read_persona(text, "p.yaml")
    assert [p.field for p in problems] == ["languages.es.case.follow_up"], problems
    assert problems[0].line == line_of(text, "\n  es:\n", "      follow_up:\n")


def test_the_library_keeps_a_persona_whose_overlay_is_broken(tmp_path):
    data = meek_data()
    del data["languages"]["es"]["phrases"]["vent"]
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    lib = PersonaLibrary(tmp_path)
    assert lib.ids() == [MEEK_ID]
    assert "es" not in lib.get(MEEK_ID).offered_languages()
    assert [p.field for p in lib.problems] == ["languages.es.phrases"]


def test_the_base_language_cannot_also_be_an_overlay():
    data = meek_data()
    data["languages"]["en"] = {"summary": "x"}
    with pytest.raises(FileProblems) as err:
        parse_persona(yaml.safe_dump(data, allow_unicode=True), "p.yaml")
    assert "'en' is the base language" in str(err.value)


# -- sessions ----------------------------------------------------------------------------
def test_the_llm_prompt_says_which_language_to_speak(tmp_path):
    ru = LIBRARY.get_in(MEEK_ID, "ru")
    state = CustomerMachine(ru, detector=default_detector("en")).start()
    request = RenderRequest(
        persona=ru, state=state, plan=ReactionPlan(reaction=Reaction.OPENING), history=[], seed=0
    )
    prompt = customer_system_prompt(request)
    assert "Write only in Russian" in prompt
    assert ru.case.facts[0] in prompt and LIBRARY.get(MEEK_ID).case.facts[0] not in prompt


def test_a_session_resumes_in_its_own_language(tmp_path, monkeypatch):
    env = pattern_env("bg", tmp_path)
    assert env is not None, "the Bulgarian move rules are on main"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    store = SessionStore(tmp_path / "s.sqlite3")
    conv = Conversation.start(LIBRARY.get_in(MEEK_ID, "bg"), store=store)
    assert conv.info.language == "bg"
    opening = "".join(conv.opening())
    again = Conversation.resume(store, conv.session_id, LIBRARY)
    assert again.persona.language == "bg" and again.turns[0].text == opening
    assert again.transcript().language == "bg"
    store.close()


# -- the CLI ------------------------------------------------------------------------------
def pattern_env(language: str, tmp_path: Path) -> dict[str, str] | None:
    """The extra environment the rule reader needs for ``language`` (none: the language
    packs find simulator/languages/<lang>/moves.yaml), or None when the language's rules
    have not been written yet."""
    try:
        default_detector(language)
    except FrontlineError:
        return None
    return {}


# tests/fixtures/i18n/<persona id>-<language>.txt: a trainee's lines written natively in
# the language, one script for every language a shipped persona offers besides its base.
SESSIONS = sorted(tuple(path.stem.rsplit("-", 1)) for path in SCRIPTS.glob("*.txt"))


def test_every_language_a_persona_offers_has_a_script():
    for persona_id in LIBRARY.ids():
        offered = LIBRARY.get(persona_id).offered_languages()[1:]
        assert sorted(lang for p, lang in SESSIONS if p == persona_id) == sorted(offered), (
            persona_id
        )


@pytest.mark.parametrize(("persona_id", "language"), SESSIONS)
def test_practice_a_whole_session_in_each_language(cli, tmp_path, language, persona_id):
    """A trainee's lines written in the language (tests/fixtures/i18n/<persona id>-<lang>.txt)
    resolve the case; every customer line is in that language's script and has none of the
    English bank's wording; the transcript states the language and grades."""
    env = pattern_env(language, tmp_path)
    script = (SCRIPTS / f"{persona_id}-{language}.txt").read_text(encoding="utf-8")
    args = ("practice", "--persona", persona_id, "--language", language, "--export", "t.json")
    personas = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    if env is None:  # this language's move rules have not landed: a clear error, no traceback
        done = cli(*args, stdin=script, env=personas)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert f"no move patterns for language {language!r}" in done.stderr
        return
    done = cli(*args, stdin=script, env=personas | env)
    assert done.returncode == 0, done.stderr
    # The CLI's own words are the language's, read from its catalogue (not written twice).
    t = Texts(language)
    assert "Outcome:" not in done.stdout and t("cli.instructions") in done.stdout
    never_satisfied = LIBRARY.get(persona_id).archetype is Archetype.NEVER_SATISFIED
    if never_satisfied:  # they are never satisfied (§2.4): good handling de-escalates
        assert outcome_text(Outcome.ESCALATED, t) not in done.stdout
        assert outcome_text(Outcome.ABANDONED, t) not in done.stdout
        anger = re.escape(t("cli.mood", values=t("cli.mood_anger", value="")))
        found = re.findall(anger + r"(\d+(?:[.,]\d+)?)", done.stdout)
        angers = [float(a.replace(",", ".")) for a in found]
        assert angers and angers[-1] < angers[0], angers
    else:
        assert outcome_text(Outcome.RESOLVED, t) in done.stdout
    said = [
        line.removeprefix(t("cli.customer"))
        for line in done.stdout.splitlines()
        if line.startswith(t("cli.customer"))
    ]
    assert len(said) >= 5
    english = english_lines(LIBRARY.get(persona_id))
    for line in said:
        assert SCRIPT[language].search(line), line
        assert not [e for e in english if e in line], line
        assert not re.search(r"\b(the|and|you|I'm|sorry|thank|mate|dear)\b", line, re.I), line
    graded = cli("grade", "t.json", env=personas | env)
    assert graded.returncode == 0, graded.stderr
    resolved = t("scorecard.customer", outcome=t("scorecard.outcome_resolved"))
    assert never_satisfied or resolved in graded.stdout
    exported = (tmp_path / "t.json").read_text(encoding="utf-8")
    assert f'"language": "{language}"' in exported


def test_practice_in_a_language_not_offered_lists_those_offered(cli):
    done = cli(
        "practice",
        "--persona",
        MEEK_ID,
        "--language",
        "fr",
        stdin="/end\n",
        env={"FRONTLINE_PERSONAS": str(ROOT / "personas")},
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "not offered in 'fr'; it offers: en, ru, es, pt, bg, zh" in done.stderr


def test_personas_lists_the_languages(cli):
    done = cli("personas", env={"FRONTLINE_PERSONAS": str(ROOT / "personas")})
    assert done.returncode == 0
    row = next(line for line in done.stdout.splitlines() if line.startswith(MEEK_ID))
    assert "en,ru,es,pt,bg,zh" in row.split()


def test_validate_reports_a_bank_and_a_trigger_a_language_lacks(cli, tmp_path):
    data = meek_data()
    del data["languages"]["ru"]["phrases"]["escalate"]
    del data["languages"]["ru"]["case"]["remedies"][1]["triggers"]
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    done = cli("validate", str(path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    text = path.read_text(encoding="utf-8")
    remedy_line = line_of(text, "\n  ru:\n", "id: resend-with-date")
    assert (
        f"{path}:{remedy_line}: languages.ru.case.remedies[1]: missing in this language: triggers"
        in lines
    ), lines
    assert not any("phrases" in line for line in lines)  # reported once the rest resolves
    data["languages"]["ru"]["case"]["remedies"][1]["triggers"] = ["\\bзамен\\w*"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    done = cli("validate", str(path))
    assert done.returncode == 1
    assert any(
        ": languages.ru.phrases: " in line and "lacks reactions: escalate" in line
        for line in done.stdout.splitlines()
    ), done.stdout


# -- hostile overlays ----------------------------------------------------------------------
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4)
    ),
    max_leaves=20,
)
OVERLAY_KEYS = ["summary", "identity", "triggers", "case", "style", "phrases"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lang=st.sampled_from(["ru", "es", "xx", "zh-TW", "EN", "", "e"]),
    key=st.sampled_from(OVERLAY_KEYS),
    value=JSONISH,
)
def test_fuzz_a_generated_overlay_part_loads_or_gives_problems(lang, key, value):
    data = meek_data()
    overlay = data["languages"].setdefault(lang, {})
    overlay[key] = value
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except yaml.YAMLError:
        return
    try:
        persona, problems = read_persona(text, "fuzz.yaml")
    except FrontlineError:
        return
    for p in problems:
        assert p.file == "fuzz.yaml" and p.field.startswith(f"languages.{lang}")
    for offered in persona.offered_languages():
        assert persona.in_language(offered).language == offered


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lang=st.sampled_from(LANGUAGES),
    path=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=5),
    value=JSONISH,
)
def test_fuzz_a_mutated_real_overlay_loads_or_gives_problems(lang, path, value):
    """Replace one value somewhere inside a real overlay (chosen by walking ``path``)."""
    data = meek_data()
    node = data["languages"][lang]
    for step in path:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = keys[step % len(keys)]
        if isinstance(node[key], dict | list) and step % 3:
            node = node[key]
            continue
        node[key] = value
        break
    try:
        persona, problems = read_persona(yaml.safe_dump(data, allow_unicode=True), "fuzz.yaml")
    except FrontlineError:
        return
    for p in problems:
        assert p.field.startswith(f"languages.{lang}"), p
    assert (lang in persona.offered_languages()) == (not problems)


def test_every_reaction_has_a_bank_in_every_shipped_overlay():
    for pid in LIBRARY.ids():
        persona = LIBRARY.get(pid)
        for lang in persona.languages:
            played = persona.in_language(lang)
            assert set(played.phrases) == set(Reaction), (pid, lang)


def test_chinese_sentences_are_joined_without_spaces():
    """Two reactions in one reply (an answer, then warming) join as the language writes."""
    plan = ReactionPlan(
        reaction=Reaction.WARMING, extras=[Reaction.ANSWER_QUESTION], fact="birthday"
    )
    replies = {}
    for lang in ("zh", "ru"):
        persona = LIBRARY.get_in(MEEK_ID, lang)
        state = CustomerMachine(persona, detector=default_detector("en")).start()
        request = RenderRequest(persona=persona, state=state, plan=plan, history=[], seed=0)
        replies[lang] = OfflineRenderer().reply(request)
    assert replies["zh"].startswith("是给朵朵的。") and " " not in replies["zh"]
    assert replies["ru"].startswith("Это для Полечки.") and "? " in replies["ru"]


def test_the_follow_up_call_speaks_the_sessions_language(cli, tmp_path):
    """A language whose overlay writes the follow-up call plays it in that language; one
    that has not is refused clearly, never played in the base language's lines."""
    env = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    first = cli(
        "practice",
        "--persona",
        MEEK_ID,
        "--language",
        "es",
        stdin=(SCRIPTS / f"{MEEK_ID}-es.txt").read_text(encoding="utf-8") + "/end\n",
        env=env,
    )
    assert first.returncode == 0, first.stderr
    sid = first.stdout.split("frontline practice --follow-up ")[1].split()[0]
    call = cli("practice", "--follow-up", sid, "--promise", "kept", stdin="/end\n", env=env)
    assert call.returncode == 0, call.stderr
    label = Texts("es")("cli.customer")  # the CLI's frame speaks the session's language
    said = [ln for ln in call.stdout.splitlines() if ln.startswith(label)]
    assert said and SCRIPT["es"].search(said[0]), said
    spanish = LIBRARY.get(MEEK_ID).in_language("es").case.follow_up.phrases["kept"]
    openings = [line.split("{")[0].strip() for line in spanish[Reaction.OPENING]]
    assert any(o and o in said[0] for o in openings), said[0]
    unwritten = parse_persona(yaml.safe_dump(meek_without_russian_follow_up(), allow_unicode=True))
    assert unwritten.in_language("ru").case.follow_up is None  # not written: not offered


def meek_without_russian_follow_up() -> dict:
    """The meek persona with its Russian overlay's follow-up lines taken out: a language
    that has not written the call (every shipped one now has)."""
    data = meek_data()
    data["languages"]["ru"]["case"].pop("follow_up", None)
    return data


def test_validate_warns_of_a_follow_up_not_written_in_a_language(cli, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(meek_without_russian_follow_up(), allow_unicode=True), "utf-8")
    done = cli("validate", str(path))
    assert done.returncode == 0, done.stderr
    assert "languages.ru.case.follow_up: warning: the follow-up call is not written" in done.stdout
    assert "languages.es.case.follow_up" not in done.stdout


def follow_up_lines(entry) -> list[str]:
    """A follow-up bank's lines, whether plain or split by mood band."""
    return entry.hot + entry.cool if isinstance(entry, BandedPhrases) else list(entry)


def placeholders(line: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(line) if name}


@pytest.mark.parametrize(
    "persona_id",
    sorted(pid for pid, p in LIBRARY.personas.items() if p.case.follow_up is not None),
)
def test_every_shipped_follow_up_call_is_written_in_russian(persona_id):
    """Issue 13: each persona with a follow-up call offers it in Russian, every outcome and
    reaction the base has, in Cyrillic, with no placeholder the base's lines lack."""
    base = LIBRARY.get(persona_id).case.follow_up
    russian = LIBRARY.get(persona_id).in_language("ru").case.follow_up
    assert russian is not None, f"{persona_id}: the follow-up call is not written in Russian"
    assert russian.days_later == base.days_later and russian.outcomes == base.outcomes
    allowed = {
        name
        for bank in base.phrases.values()
        for entry in bank.values()
        for line in follow_up_lines(entry)
        for name in placeholders(line)
    }
    assert russian.phrases.keys() == base.phrases.keys()
    for outcome, bank in base.phrases.items():
        assert russian.phrases[outcome].keys() == bank.keys(), outcome
        for reaction, entry in russian.phrases[outcome].items():
            lines = follow_up_lines(entry)
            assert lines, (outcome, reaction)
            for line in lines:
                assert SCRIPT["ru"].search(line), line
                assert placeholders(line) <= allowed, (line, placeholders(line) - allowed)
