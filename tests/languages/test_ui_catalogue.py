"""The web UI's message catalogues (languages/<code>/ui.yaml), the page's language and
Babel's formatting: every shipped language complete with no English left in it, every key
the code asks for present, hostile catalogue files refused with file, line and field, and
the user's choice remembered in the session store across an upgrade of an old database."""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems, FrontlineError
from simulator.languages import SHIPPED_DIR
from simulator.languages.catalogue import (
    Texts,
    UiCatalogue,
    catalogue_problems,
    load_catalogue_file,
    messages,
    placeholders,
)
from simulator.sessions import SessionStore
from simulator.web.locale import format_date, format_number, from_accept_language, ui_languages
from simulator.yamlfile import parse_model

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "simulator" / "web"
SHIPPED = ["en", "es", "ru", "zh", "bg", "pt"]


@pytest.fixture(autouse=True)
def shipped_only(monkeypatch):
    """The shipped packs alone, whatever the developer has configured."""
    monkeypatch.delenv("FRONTLINE_LANGUAGES", raising=False)


def test_every_shipped_language_has_a_catalogue_and_the_picker_lists_it():
    assert [code for _, code in ui_languages()] == ["en", "bg", "es", "pt", "ru", "zh"]
    assert dict((c, n) for n, c in ui_languages())["zh"] == "中文"


@pytest.mark.parametrize("language", SHIPPED)
def test_catalogue_is_complete_and_has_no_english_left(language):
    """Every English key, no value left in English unless whitelisted with a reason, and the
    same placeholders as the English (a missing {name} would lose the customer's name)."""
    assert catalogue_problems(language) == []
    assert set(messages(language)) == set(messages("en"))


def test_a_leak_a_missing_key_and_a_lost_placeholder_are_each_reported(tmp_path, monkeypatch):
    folder = tmp_path / "langs" / "es"
    folder.mkdir(parents=True)
    (folder / "ui.yaml").write_text(
        "schema_version: 1\nlanguage: es\nmessages:\n"
        '  practice.send: "Send"\n'  # left in English
        '  practice.accepted: "Ha aceptado."\n'  # lost {name}
        '  practice.sendd: "Enviar"\n',  # not an English key
        encoding="utf-8",
    )
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path / "langs"))
    problems = "\n".join(catalogue_problems("es"))
    assert "es: practice.send: still the English text 'Send'" in problems
    assert "es: practice.accepted: placeholders [] differ from the English ['name']" in problems
    assert "es: practice.sendd: not an English key" in problems
    # The trainer's file replaces the shipped value it names and keeps the rest.
    assert messages("es")["practice.end"] == "Terminar la sesión"
    assert messages("es")["practice.send"] == "Send"


def test_a_whitelisted_value_is_no_leak_but_needs_its_reason():
    assert (
        "channel.chat"
        in parse_model(
            UiCatalogue, (SHIPPED_DIR / "pt" / "ui.yaml").read_text(encoding="utf-8"), "pt/ui.yaml"
        ).same_as_english
    )
    with pytest.raises(FileProblems):
        parse_model(
            UiCatalogue,
            "schema_version: 1\nlanguage: pt\nmessages: {a.b: x}\nsame_as_english: [a.b]\n",
            "ui.yaml",
        )


def _keys_in_code() -> set[str]:
    """Every literal key the web code passes to a Texts (``t("practice.send")``)."""
    keys = set()
    for path in WEB.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and re.fullmatch(r"[a-z_]+\.[a-z_.]+", node.args[0].value)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("t", "Texts")
            ):
                keys.add(node.args[0].value)
    return keys


def test_every_key_the_code_asks_for_is_in_the_english_catalogue():
    keys = _keys_in_code()
    assert len(keys) > 20  # the scan finds the calls at all
    assert keys - set(messages("en")) == set()


def test_keys_built_from_enums_exist():
    from simulator.persona.model import Archetype, ComplaintType, Temperament
    from simulator.users import Role

    t = Texts("bg")
    for key in (
        [f"archetype.{a.value}" for a in Archetype]
        + [f"temperament.{v.value}" for v in Temperament]
        + [f"complaint_type.{v.value}" for v in ComplaintType]
        + [f"role.{r.value}" for r in Role]
        + [f"channel.{c}" for c in ("chat", "phone", "email")]
    ):
        assert t(key) != Texts("en")(key)


def test_texts_fill_placeholders_and_fall_back_to_english_key_by_key(tmp_path, monkeypatch):
    assert Texts("ru")("practice.accepted", name="Ирина").startswith("Ирина соглашается.")
    folder = tmp_path / "langs" / "eo"
    folder.mkdir(parents=True)
    (folder / "ui.yaml").write_text(
        'schema_version: 1\nlanguage: eo\nmessages: {practice.send: "Sendi"}\n', encoding="utf-8"
    )
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path / "langs"))
    eo = Texts("eo")
    assert eo("practice.send") == "Sendi"
    assert eo("practice.end") == "End session"  # not yet translated: the English
    with pytest.raises(KeyError, match="practice.nothing"):
        eo("practice.nothing")


def test_a_broken_catalogue_names_file_line_and_field(tmp_path):
    path = tmp_path / "ru" / "ui.yaml"
    path.parent.mkdir()
    path.write_text(
        "schema_version: 1\nlanguage: ru\nmessages:\n  practice.send: Отправить\n"
        "  Practice Send: Отправить\n",
        encoding="utf-8",
    )
    with pytest.raises(FileProblems) as exc:
        load_catalogue_file(path)
    problem = exc.value.problems[0]
    assert problem.file == str(path) and problem.field.startswith("messages")
    assert "dotted lower-case" in problem.message
    path.write_text(
        'schema_version: 1\nlanguage: ru\nmessages:\n  practice.send: "Отправить {"\n',
        encoding="utf-8",
    )
    with pytest.raises(FileProblems, match="broken placeholder"):
        load_catalogue_file(path)
    path.write_text(
        'schema_version: 1\nlanguage: bg\nmessages: {practice.send: "Изпрати"}\n',
        encoding="utf-8",
    )
    with pytest.raises(FileProblems, match="name the folder after the language"):
        load_catalogue_file(path)


CATALOGUE_TEXT = (SHIPPED_DIR / "zh" / "ui.yaml").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=400),
        st.integers(0, len(CATALOGUE_TEXT)).flatmap(
            lambda cut: st.text(max_size=20).map(
                lambda junk: CATALOGUE_TEXT[:cut] + junk + CATALOGUE_TEXT[cut:]
            )
        ),
    )
)
def test_fuzz_the_catalogue_loader_only_ever_refuses_with_our_error(text):
    """Random text and real catalogues with junk spliced in: a catalogue or FrontlineError
    (file, line, field), never a traceback; every value it accepts can be formatted."""
    try:
        cat = parse_model(UiCatalogue, text, "zh/ui.yaml")
    except FrontlineError:
        return
    for value in cat.messages.values():
        value.format(**dict.fromkeys(placeholders(value), "x"))


@given(st.text(max_size=2000))
def test_fuzz_accept_language_never_fails_and_answers_an_offered_language(header):
    assert from_accept_language(header, SHIPPED) in [*SHIPPED, None]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bg-BG,bg;q=0.9,en-US;q=0.8,en;q=0.7", "bg"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("pt-BR", "pt"),
        ("de-DE,fr;q=0.8,ru;q=0.5,es;q=0.6", "es"),  # by weight, not by order
        ("de-DE", None),
        ("en;q=abc,ru", "ru"),  # a broken weight counts as 0
        (None, None),
    ],
)
def test_accept_language_picks_the_best_offered(header, expected):
    assert from_accept_language(header, SHIPPED) == expected


def test_dates_and_numbers_are_written_the_way_each_language_writes_them():
    moment = "2026-12-07T07:02:56+00:00"
    written = {lang: format_date(moment, lang) for lang in SHIPPED}
    assert written["en"].startswith("Dec 7, 2026")
    assert written["es"].startswith("7 dic 2026")
    assert written["ru"].startswith("7 дек. 2026")
    assert written["zh"].startswith("2026年12月7日")
    assert written["bg"].startswith("7.12.2026")
    assert "dez" in written["pt"]
    assert format_number(1234.5, "pt") == "1.234,5"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_date("not a date", "ru") == "not a date"


def test_the_users_language_is_remembered_and_an_old_database_upgrades(tmp_path, monkeypatch):
    from simulator.sessions import migrations

    path = tmp_path / "s.sqlite3"
    # A database made by a Frontline from before the table: the migrations before it only.
    mine = next(i for i, m in enumerate(migrations.MIGRATIONS) if "web UI language" in m[1])
    with monkeypatch.context() as old:
        old.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:mine])
        old.setattr(migrations, "LATEST", migrations.MIGRATIONS[mine - 1][0])
        SessionStore(path).close()
    with pytest.raises(sqlite3.OperationalError):
        sqlite3.connect(path).execute("SELECT * FROM ui_preferences")
    with SessionStore(path) as store:  # today's Frontline upgrades it
        assert store.ui_language("ann") is None
        store.set_ui_language("ann", "bg")
        store.set_ui_language("ann", "zh")
        store.set_ui_language("bea", "ru")
    with SessionStore(path) as store:  # a new process sees the choices
        assert (store.ui_language("ann"), store.ui_language("bea")) == ("zh", "ru")
