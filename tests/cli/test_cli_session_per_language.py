"""A whole session in the terminal in each of the five non-English languages, as a new
trainee does it (issue 13: "no English leaks into a non-English session").

Per language: ``frontline practice --language L`` with the meek customer and the native
script (tests/fixtures/i18n/meek-emotional-late-delivery-<L>.txt) through to the outcome,
the complaint record written in the language and graded field by field; then ``frontline
grade`` on the exported transcript, ``frontline replay`` of one turn, and ``frontline
certify --language L`` on it, with the certification report and the certificate it
writes. Everything printed (standard output and error) and the report's and certificate's
text are scanned for the English catalogue's values (the language's same_as_english ones
excepted) with the same scan as the browser tests (tests/english_scan.py). The frame of the
trainee's brief, the mood reasons, the record's labels and verdicts, the replay and
certify's eligibility lines were English on every non-English session before this test.
"""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

import pytest
from english_scan import english_left

from simulator.languages.catalogue import Texts, messages

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PERSONA = "meek-emotional-late-delivery"
SCRIPTS = ROOT / "tests" / "fixtures" / "i18n"

# The complaint record each trainee writes after the call, natively: topic, customer
# details, date, details, resolution, next step, deadline.
RECORDS = {
    "es": [
        "Entrega: la casita de muñecas figura como entregada pero no llegó",
        "Dolores Pérez Ruiz, pedido SK-448213",
        "el viernes",
        "Compró una casita de muñecas para su nieta; el seguimiento dice entregada, "
        "pero no llegó. Pagó 6,99 € de envío urgente.",
        "Reenvío de una casita de muñecas nueva por envío urgente y devolución de los 6,99 €",
        "Yo envío hoy la casita por envío urgente y devuelvo el envío",
        "el miércoles",
    ],
    "ru": [
        "Доставка: кукольный домик значится доставленным, но не пришёл",
        "Зинаида Петровна Кравцова, номер заказа из разговора",
        "в пятницу",
        "Заказала внучке кукольный домик; в отслеживании написано, что доставлен, "
        "но у двери ничего не было. Платила за экспресс-доставку.",
        "Новый кукольный домик экспресс-доставкой и возврат 399 рублей за доставку",
        "Я сегодня отправляю новый домик и оформляю возврат за доставку",
        "в среду",
    ],
    "zh": [
        "配送：娃娃屋显示已签收，但没有收到",
        "周桂兰，订单号见通话",
        "星期五",
        "给孙女买的娃娃屋物流显示星期五签收，但家门口什么都没有。付了加急运费。",
        "今天补发一个新的娃娃屋，运费18元退还",
        "我今天补发娃娃屋并办理运费退款",
        "周三",
    ],
    "bg": [
        "Доставка: къщичката за кукли се води доставена, но не е пристигнала",
        "Донка Петрова, номер на поръчката от разговора",
        "в петък",
        "Поръчала къщичка за кукли за внучката; в проследяването пише доставена, "
        "но пред вратата нямало нищо. Платила експресна доставка.",
        "Нова къщичка за кукли с експресна доставка и връщане на 12,99 лв. за доставката",
        "Днес изпращам новата къщичка и връщам парите за доставката",
        "в сряда",
    ],
    "pt": [
        "Entrega: a casinha de bonecas consta como entregue mas não chegou",
        "Aparecida de Souza, número do pedido dado na chamada",
        "na sexta",
        "Comprou uma casinha de bonecas para a neta; o rastreio diz entregue, "
        "mas não havia nada à porta. Pagou entrega expressa.",
        "Envio de uma casinha de bonecas nova por entrega expressa e devolução dos R$ 29,90",
        "Eu envio hoje a casinha nova e devolvo o frete",
        "na quarta-feira",
    ],
}

EXAM = """schema_version: 2
id: meek-desk
title: Meek customers desk
description: One meek customer whose parcel never came.
domain: ["§2.4 meek customers"]
rubric: complaint-handling
personas: [meek-emotional-late-delivery]
pass_mark: 40
attempts: 1
mode: any
judge: {participation: none}
languages:
  es: {title: "Atención a clientes tímidos", description: "Una clienta tímida."}
  ru: {title: "Работа с робкими клиентами", description: "Одна робкая клиентка."}
  zh: {title: "腼腆客户服务", description: "一位腼腆的客户。"}
  bg: {title: "Работа със срамежливи клиенти", description: "Една срамежлива клиентка."}
  pt: {title: "Atendimento a clientes tímidos", description: "Uma cliente tímida."}
"""


def _shown(text: str) -> str:
    """An HTML file's text as a reader sees it: tags, styles and scripts dropped."""
    text = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", text)
    return html.unescape(re.sub(r"<[^>]+>", "\n", text))


def session_text(cli, tmp_path: Path, language: str) -> str:
    """Everything a trainee and their trainer read in ``language``, by command: practice,
    grade, replay, certify, and the report's and certificates' text ("files")."""
    env = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    script = (SCRIPTS / f"{PERSONA}-{language}.txt").read_text(encoding="utf-8")
    lines = [line for line in script.splitlines() if line.strip()]
    transcript = tmp_path / f"{language}.json"
    practice = cli(
        "practice",
        "--persona",
        PERSONA,
        "--language",
        language,
        "--export",
        str(transcript),
        stdin="\n".join(lines + RECORDS[language]) + "\n",
        env=env,
    )
    assert practice.returncode == 0, practice.stderr
    grade = cli("grade", str(transcript), env=env)
    assert grade.returncode == 0, grade.stderr
    # The trainee replays their second turn another way: the question, asked again.
    session = json.loads(transcript.read_text(encoding="utf-8"))["id"]
    replay = cli("replay", session, "--turn", "2", "--reply", lines[2], env=env)
    assert replay.returncode == 0, replay.stderr

    exam = tmp_path / "meek-desk.yaml"
    exam.write_text(EXAM, encoding="utf-8")
    out_dir = tmp_path / f"cert-{language}"
    certify = cli(
        "certify",
        str(exam),
        "--transcripts",
        str(transcript),
        "--out",
        str(out_dir),
        "--language",
        language,
        "--quiet",
        env=env,
    )
    assert certify.returncode == 0, certify.stderr
    report = (out_dir / "report.html").read_text(encoding="utf-8")
    certificates = sorted((out_dir / "certificates").glob("*.html"))
    assert certificates, "the trainee passed, so there is a certificate to scan"
    files = [_shown(report), *(_shown(c.read_text(encoding="utf-8")) for c in certificates)]
    return {
        "practice": practice.stdout + practice.stderr,
        "grade": grade.stdout + grade.stderr,
        "replay": replay.stdout + replay.stderr,
        "certify": certify.stdout + certify.stderr,
        "files": "\n".join(files),
    }


def ran_to_the_end(shown: dict[str, str], language: str, replies: int) -> None:
    """Each command said what it should, in the language: the customer accepted, the record
    was asked for and graded, the grade read it whole, the exam took the transcript."""
    t = Texts(language)
    out = shown["practice"]
    assert t("scorecard.outcome_resolved") in out, out
    assert t("record.field_deadline") in out and t("cli.record_ok") in out, out
    assert out.count(t("cli.customer")) >= replies, out
    assert t("scorecard.record", met=7, of=7).split("[")[0] in shown["grade"], shown["grade"]
    assert t("cli.replay_heading", turn=2) in shown["replay"], shown["replay"]
    eligible = t("cli.certify_eligible", eligible=1, graded=1, exam="meek-desk")
    assert eligible in shown["certify"], shown["certify"]


@pytest.mark.parametrize("language", list(RECORDS))
def test_a_whole_cli_session_has_no_english_left(cli, tmp_path, language):
    shown = session_text(cli, tmp_path, language)
    text = "\n".join(shown.values())
    # File names and paths are no words: candidates.csv, /tmp/…/report.html.
    text = re.sub(r"\S*/\S*|\b[\w-]+\.(?:csv|json|html|yaml|sqlite3)\b", " ", text)
    own = messages(language)
    leaks = []
    for found in english_left(text, language):
        piece = ast.literal_eval(found.split(": ", 1)[1])
        if any(piece in value for value in own.values()):
            continue  # the language writes it too: Spanish 'persona', a command name
        where = next((line for line in text.splitlines() if piece in line), "")
        leaks.append(f"{found} in {where.strip()[:120]!r}")
    assert leaks == [], "\n".join(leaks)
    ran_to_the_end(shown, language, replies=5)


def test_the_scan_finds_the_english_of_an_english_session(cli, tmp_path):
    """The same commands in English, scanned as if they were Russian: the scan is no
    test that cannot fail."""
    english = RECORDS["es"]  # any record will do: it is English's words we look for
    env = {"FRONTLINE_PERSONAS": str(ROOT / "personas")}
    script = (ROOT / "tests" / "fixtures" / "web" / f"{PERSONA}-en.txt").read_text("utf-8")
    run = cli("practice", "--persona", PERSONA, stdin=script + "\n".join(english) + "\n", env=env)
    assert run.returncode == 0, run.stderr
    found = " ".join(english_left(run.stdout, "ru"))
    for key in ("brief.works_for", "cli.instructions", "record.field_topic", "reason.turn_gone"):
        assert key in found, found
