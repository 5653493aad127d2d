"""The complaint record is checked in the session's language (issue 13): each pack's
``record.yaml`` holds the words a record is read with (months, weekdays, relative days,
number words, ordinals, amounts, follow-up and "unresolved" words), so a record written
natively gets the fields it got right, and a wrong one does not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.complaint_record import ComplaintRecord
from simulator.customer.state import Outcome
from simulator.errors import FileProblems
from simulator.grading.record_check import assess_record
from simulator.grading.record_words import load_record_words_file, record_reader
from simulator.persona.loader import PersonaLibrary
from simulator.transcript import PersonaRef, Transcript, Turn

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "simulator" / "languages"
PERSONAS = PersonaLibrary(ROOT / "personas")
FIELDS = ["topic", "customer", "date", "details", "resolution", "next_step", "deadline"]

# The billing customer's call in each language (aggressive-rational-billing's overlays), the
# agent giving the rule's remedy and a timescale; a faithful record; a wrong one.
CALLS = {
    "es": {
        "opening": "Me han cobrado 64,50 € dos veces el 1 de marzo.",
        "call": [
            (
                "Lo siento mucho, entiendo lo molesto que es. ¿Me da su número de cliente?",
                "Mi número de cliente es BM-7731-0492, a nombre de Raúl Herrero.",
            ),
            (
                "¿Tiene la referencia de la llamada del día 4?",
                "La referencia que me dieron el día 4 fue CR-558120.",
            ),
            (
                (
                    "El sistema cargó el recibo dos veces por un fallo; la norma para un "
                    "cargo duplicado es la devolución completa, así que le devolveré los "
                    "64,50 € en tres días hábiles y le enviaré un correo de confirmación."
                ),
                "Vale. Me parece justo.",
            ),
            ("¿Puedo ayudarle en algo más?", "No, nada más."),
        ],
        "good": dict(
            topic="Factura: cobro duplicado del recibo de marzo",
            customer="Raúl Herrero, cliente BM-7731-0492, referencia anterior CR-558120",
            date="1 de marzo (volvió a llamar el día 4)",
            details=(
                "Le cargaron dos veces el recibo de 64,50 €; el segundo cargo le dejó en "
                "números rojos"
            ),
            resolution="Devolución del cargo duplicado de 64,50 € en tres días hábiles; la aceptó",
            next_step="Tramitar la devolución y enviarle el correo de confirmación",
            deadline="En tres días hábiles",
        ),
        "wrong": dict(
            topic="Trato grosero en la tienda",
            customer="Sr. García",
            date="2 de junio",
            details="cliente enfadado",
            resolution="Le dimos un vale",
            next_step="x",
            deadline="el mes que viene",
        ),
    },
    "pt": {
        "opening": "Vocês debitaram R$ 189,90 da minha conta duas vezes no dia 1º de março.",
        "call": [
            (
                "Sinto muito, entendo como isso é chato. Pode me passar o número da sua conta?",
                "A conta é BM-7731-0492, no nome de Marcos Tavares.",
            ),
            (
                "Qual foi o protocolo que deram quando o senhor ligou no dia 4?",
                "O protocolo que me deram no dia 4 foi CR-558120.",
            ),
            (
                (
                    "Houve uma falha no sistema e o débito automático foi feito duas vezes; "
                    "a regra para cobrança em dobro é o estorno integral, então vou estornar "
                    "os R$ 189,90 em três dias úteis e mandar um e-mail confirmando."
                ),
                "Tá bom. É justo.",
            ),
            ("Posso ajudar em mais alguma coisa?", "Não, só isso."),
        ],
        "good": dict(
            topic="Cobrança em dobro na conta de março",
            customer="Marcos Tavares, conta BM-7731-0492, protocolo anterior CR-558120",
            date="1º de março (ligou de novo no dia 4)",
            details=(
                "Débito automático de R$ 189,90 cobrado duas vezes; o segundo débito o jogou "
                "no cheque especial"
            ),
            resolution="Estorno dos R$ 189,90 em dobro em três dias úteis; o cliente aceitou",
            next_step="Processar o estorno e enviar o e-mail de confirmação",
            deadline="Em três dias úteis",
        ),
        "wrong": dict(
            topic="Atendente grosseiro na loja",
            customer="Sr. Souza",
            date="2 de junho",
            details="cliente irritado",
            resolution="Demos um vale-compras",
            next_step="x",
            deadline="no mês que vem",
        ),
    },
    "ru": {
        "opening": "Вы списали с меня 1 290 рублей два раза первого марта.",
        "call": [
            (
                "Мне очень жаль, понимаю, как это неприятно. Подскажите номер лицевого счёта?",
                "Лицевой счёт BM-7731-0492, на имя Денис Холодов.",
            ),
            (
                "Какой номер обращения вам дали, когда вы звонили четвёртого?",
                "Номер обращения, который дали четвёртого, — CR-558120.",
            ),
            (
                (
                    "Из-за сбоя автоплатёж прошёл дважды; по правилам двойное списание "
                    "возвращается полностью, поэтому я верну лишние 1 290 рублей в течение "
                    "трёх рабочих дней и пришлю письмо с подтверждением."
                ),
                "Ладно. Это честно.",
            ),
            ("Могу ли я ещё чем-то помочь?", "Нет, всё."),
        ],
        "good": dict(
            topic="Двойное списание за мартовский счёт",
            customer="Денис Холодов, лицевой счёт BM-7731-0492, прежнее обращение CR-558120",
            date="1 марта (повторно звонил 4-го)",
            details=(
                "Автоплатёж 1 290 рублей списали дважды; второе списание загнало его в овердрафт"
            ),
            resolution="Лишние 1 290 рублей вернуть в течение трёх рабочих дней; клиент согласился",
            next_step="Оформить возврат и отправить письмо с подтверждением",
            deadline="В течение трёх рабочих дней",
        ),
        "wrong": dict(
            topic="Грубый сотрудник в салоне",
            customer="Иванов",
            date="2 июня",
            details="клиент злой",
            resolution="Дали ему скидку",
            next_step="х",
            deadline="в следующем месяце",
        ),
    },
    "bg": {
        "opening": "Изтеглихте ми 64,50 лв. два пъти на първи март.",
        "call": [
            (
                (
                    "Много съжалявам, разбирам колко е неприятно. Кажете ми номера на "
                    "абонатния си номер?"
                ),
                "Абонатният номер е BM-7731-0492, на името на Стоян Колев.",
            ),
            (
                "Какъв номер на сигнал ви дадоха, когато се обадихте на четвърти?",
                "Номерът на сигнала от четвърти е CR-558120.",
            ),
            (
                (
                    "Поради грешка в системата директният дебит е изтеглен два пъти; "
                    "правилото при двойно теглене е пълно връщане, затова ще ви върна 64,50 "
                    "лв. до три работни дни и ще ви изпратя имейл за потвърждение."
                ),
                "Добре. Това е честно.",
            ),
            ("Мога ли да помогна с нещо друго?", "Не, това е всичко."),
        ],
        "good": dict(
            topic="Двойно изтеглена сметка за март",
            customer="Стоян Колев, абонатен номер BM-7731-0492, предишен сигнал CR-558120",
            date="1 март (обадил се отново на 4-ти)",
            details=(
                "Директният дебит от 64,50 лв. е изтеглен два пъти; второто теглене го вкара "
                "в овърдрафт"
            ),
            resolution="Двойно изтеглените 64,50 лв. се връщат до три работни дни; клиентът прие",
            next_step="Да се оформи връщането и да се изпрати имейл за потвърждение",
            deadline="До три работни дни",
        ),
        "wrong": dict(
            topic="Груб служител в магазина",
            customer="Господин Петров",
            date="2 юни",
            details="ядосан клиент",
            resolution="Дадохме му ваучер",
            next_step="х",
            deadline="следващия месец",
        ),
    },
    "zh": {
        "opening": "3月1号你们从我卡上扣了两次129块。",
        "call": [
            ("非常抱歉，给您添麻烦了。请问您的账号是多少？", "账号是BM-7731-0492，户主王建军。"),
            ("您4号来电时拿到的工单号是多少？", "4号给我的工单号是CR-558120。"),
            (
                "是我们的系统故障导致重复扣款，按规定重复扣款全额退还：重复扣的129元三个工作日内退回，并给您发邮件确认。",
                "行吧，这样可以。",
            ),
            ("还有什么可以帮您的吗？", "没有了。"),
        ],
        "good": dict(
            topic="话费重复扣款（三月账单）",
            customer="王建军，账号BM-7731-0492，之前的工单号CR-558120",
            date="3月1日（4号又来电一次）",
            details="同一笔自动扣费扣了两次129元，第二笔导致银行卡透支",
            resolution="重复扣的129元三个工作日内退回，客户已接受",
            next_step="办理退款并发邮件确认",
            deadline="三个工作日内",
        ),
        "wrong": dict(
            topic="店员态度粗鲁",
            customer="李先生",
            date="6月2日",
            details="客户很生气",
            resolution="送了一张代金券",
            next_step="无",
            deadline="下个月",
        ),
    },
}


def billing_call(language: str, outcome: Outcome = Outcome.RESOLVED) -> Transcript:
    persona = PERSONAS.get_in("aggressive-rational-billing", language)
    turns = [Turn("customer", CALLS[language]["opening"])]
    for agent, customer in CALLS[language]["call"]:
        turns += [Turn("agent", agent), Turn("customer", customer)]
    return Transcript(
        turns=turns,
        outcome=outcome,
        language=language,
        persona=PersonaRef(id=persona.id, hash=persona.content_hash()),
    )


def verdicts(language: str, record: ComplaintRecord, outcome=Outcome.RESOLVED) -> dict:
    persona = PERSONAS.get_in("aggressive-rational-billing", language)
    result = assess_record(record, persona, billing_call(language, outcome))
    assert result.against_case
    return {f.field: f.verdict for f in result.fields}


LANGUAGES = sorted(CALLS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_native_faithful_record_meets_every_field(language):
    # Fails on the English-only check: a Spanish date '1 de marzo' and deadline 'En tres
    # días hábiles' were missed; Chinese lost its topic, date, details, next step, deadline.
    assert verdicts(language, ComplaintRecord(**CALLS[language]["good"])) == dict.fromkeys(
        FIELDS, "met"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_native_wrong_record_misses_every_field(language):
    assert verdicts(language, ComplaintRecord(**CALLS[language]["wrong"])) == dict.fromkeys(
        FIELDS, "missed"
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("field", FIELDS)
def test_one_wrong_field_is_missed_and_the_others_kept(language, field):
    wrong = CALLS[language]["wrong"][field]
    record = ComplaintRecord(**{**CALLS[language]["good"], field: wrong})
    got = verdicts(language, record)
    assert got[field] == "missed"
    assert all(v == "met" for f, v in got.items() if f != field), got


UNRESOLVED = {
    "es": "Sin resolver: se deriva al responsable",
    "pt": "Não resolvido: encaminhado ao supervisor",
    "ru": "Не решено: передано руководителю",
    "bg": "Не е решено: предадено на ръководителя",
    "zh": "未解决，已转交主管处理",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unresolved_call_is_recorded_as_unresolved_in_the_language(language):
    honest = ComplaintRecord(**{**CALLS[language]["good"], "resolution": UNRESOLVED[language]})
    assert verdicts(language, honest, Outcome.ESCALATED)["resolution"] == "met"
    good = ComplaintRecord(**CALLS[language]["good"])
    assert verdicts(language, good, Outcome.ESCALATED)["resolution"] == "missed"


# What the words read, one language at a time.
@pytest.mark.parametrize(
    "language,text,expected",
    [
        ("es", "el miércoles", {"miércoles"}),
        ("es", "mañana sin falta", {"mañana"}),
        ("es", "primero de marzo", {"1", "marzo"}),
        ("pt", "amanhã, quarta-feira", {"amanhã", "quarta-feira"}),
        ("pt", "R$ 189,90 no dia 1º", {"1"}),
        ("ru", "первого марта, в среду", {"1", "марта", "среда"}),
        ("ru", "1 290 рублей", set()),
        ("bg", "64,50 лв. на първи март", {"1", "март"}),
        ("zh", "3月1日星期三", {"1", "周三"}),
        ("zh", "明天下午", {"明天"}),
        ("zh", "129元", set()),
    ],
)
def test_dates_and_money_are_read_in_the_language(language, text, expected):
    from simulator.grading.record_check import _specific, _time_tokens

    read = record_reader(language)
    assert _specific(_time_tokens(text, read), read) == expected


def test_a_language_without_record_words_is_read_with_englishs():
    other, english = record_reader("xx-unknown"), record_reader("en")
    assert other.month_of == english.month_of and other.stop_words == english.stop_words
    assert [p.pattern for p in other.follow_up] == [p.pattern for p in english.follow_up]


def test_a_regional_variant_is_read_with_its_languages():
    assert record_reader("pt-BR").month_of == record_reader("pt").month_of


def test_every_shipped_pack_has_record_words():
    for pack in sorted(PACKS.iterdir()):
        if (pack / "pack.yaml").is_file():
            found = load_record_words_file(pack / "record.yaml")
            assert found.language == pack.name


# -- the file: broken, hostile, extended ------------------------------------------------
def _write(folder: Path, data: dict, language: str = "en") -> Path:
    path = folder / language / "record.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _english() -> dict:
    return yaml.safe_load((PACKS / "en" / "record.yaml").read_text(encoding="utf-8"))


def test_a_catastrophic_regex_is_named_with_its_line_and_field(tmp_path):
    path = tmp_path / "en" / "record.yaml"
    path.parent.mkdir()
    text = (PACKS / "en" / "record.yaml").read_text(encoding="utf-8")
    text = text.replace("  - '\\bunresolved\\b'\n", "  - '(a+)+$'\n")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - '(a+)+$'") + 1
    with pytest.raises(FileProblems) as err:
        load_record_words_file(path)
    assert f"record.yaml:{line}" in str(err.value) and "unresolved" in str(err.value)


def test_twelve_months_are_needed(tmp_path):
    data = _english()
    data["months"] = data["months"][:11]
    with pytest.raises(FileProblems) as err:
        load_record_words_file(_write(tmp_path, data))
    assert "record.yaml:" in str(err.value) and "months" in str(err.value)


def test_a_file_in_the_wrong_folder_is_refused(tmp_path):
    path = _write(tmp_path, {**_english(), "language": "es"})
    with pytest.raises(FileProblems) as err:
        load_record_words_file(path)
    assert "language" in str(err.value)


def test_a_broken_file_is_named_by_the_cli(cli, tmp_path):
    path = tmp_path / "es" / "record.yaml"
    path.parent.mkdir()
    path.write_text(
        "schema_version: 1\nlanguage: es\nmonths: [[enero]]\nweekdays: []\n",
        encoding="utf-8",
    )
    run = cli("validate", str(path))
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "record.yaml:3" in out and "months" in out and "Traceback" not in out


def test_a_trainers_pack_adds_words(tmp_path, monkeypatch):
    monkeypatch.setenv("FRONTLINE_LANGUAGES", str(tmp_path))
    extra = {
        "schema_version": 1,
        "language": "es",
        "months": [[m[0]] for m in load_record_words_file(PACKS / "es" / "record.yaml").months],
        "weekdays": [
            ["lunes"],
            ["martes"],
            ["miércoles"],
            ["jueves"],
            ["viernes"],
            ["sábado"],
            ["domingo"],
        ],
        "relative_days": [["mañanita"]],
        "ordinal": "[0-9]{1,2}º",
        "amounts": ["\\d+ pelas"],
        "follow_up": ["\\bfaxear\\w*"],
        "unresolved": ["\\ben el aire\\b"],
    }
    _write(tmp_path, extra, "es")
    read = record_reader("es")
    assert "mañanita" in read.specific and "mañana" in read.specific
    assert any(p.search("faxearle el parte") for p in read.follow_up)


_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(sorted(_english())),
    value=_VALUE,
)
def test_fuzz_a_mangled_file_loads_or_is_named(tmp_path_factory, field, value):
    data = {**_english(), field: value}
    path = _write(tmp_path_factory.mktemp("fuzz"), data)
    try:
        load_record_words_file(path)
    except FileProblems as err:
        assert "record.yaml" in str(err)


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["en", "es", "pt", "ru", "bg", "zh"]))
def test_fuzz_any_record_text_is_graded_without_error(text, language):
    persona = PERSONAS.get_in("aggressive-rational-billing", language)
    record = ComplaintRecord(**dict.fromkeys(FIELDS, text))
    result = assess_record(record, persona, billing_call(language if language != "en" else "es"))
    assert len(result.fields) == len(FIELDS)
