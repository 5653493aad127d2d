"""The Spanish and Portuguese move patterns (simulator/languages/{es,pt}/moves.yaml).

The files are loaded directly, so these tests do not depend on the language-pack loader:
every example shows its move and no near miss does, every regex is safe, the turns the
issue names are read as a careful rater would, accents and chat spellings do not change a
reading, and the corpus' held-out test split holds the measured floor (docs/moves.md,
"Spanish and Portuguese rules").
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import saferegex
from simulator.moves.corpus import load_corpus
from simulator.moves.detector import Detection, MovePatternFile, RuleDetector, load_pattern_file
from simulator.moves.quality import evaluate_language
from simulator.moves.vocabulary import VIOLATIONS, Move

ROOT = Path(__file__).resolve().parents[2]
FILES = {lang: ROOT / "simulator" / "languages" / lang / "moves.yaml" for lang in ("es", "pt")}
PATTERNS: dict[str, MovePatternFile] = {lang: load_pattern_file(p) for lang, p in FILES.items()}
DETECTORS = {lang: RuleDetector([f]) for lang, f in PATTERNS.items()}

M = Move


def moves_in(text: str, lang: str) -> set[Move]:
    return {d.move for d in DETECTORS[lang].detect(text)}


def assert_evidence_verbatim(text: str, found: list[Detection]) -> None:
    """Every detection quotes the turn exactly, and the trigger lies inside the quote."""
    for d in found:
        assert d.text == text[d.start : d.end] and d.text
        assert d.quote == text[d.quote_start : d.quote_start + len(d.quote)] and d.quote
        assert d.quote_start <= d.start < d.end <= d.quote_start + len(d.quote)
    assert [d.start for d in found] == sorted(d.start for d in found)


# ------------------------------------------------------------------ the data files themselves

EXAMPLES = [
    (lang, move, text)
    for lang, f in PATTERNS.items()
    for move, p in f.moves.items()
    for text in p.examples
]
COUNTEREXAMPLES = [
    (lang, move, text)
    for lang, f in PATTERNS.items()
    for move, p in f.moves.items()
    for text in p.counterexamples
]


@pytest.mark.parametrize(
    ("lang", "move", "text"), EXAMPLES, ids=[f"{lg}:{m}:{t[:40]}" for lg, m, t in EXAMPLES]
)
def test_every_example_shows_its_move(lang: str, move: Move, text: str) -> None:
    assert move in moves_in(text, lang)


@pytest.mark.parametrize(
    ("lang", "move", "text"),
    COUNTEREXAMPLES,
    ids=[f"{lg}:{m}:{t[:40]}" for lg, m, t in COUNTEREXAMPLES],
)
def test_no_counterexample_shows_its_move(lang: str, move: Move, text: str) -> None:
    found = [d.text for d in DETECTORS[lang].detect(text) if d.move is move]
    assert not found, f"{move} wrongly found in {text!r} via {found}"


@pytest.mark.parametrize("lang", sorted(FILES))
@pytest.mark.parametrize("move", list(Move))
def test_every_move_has_patterns_examples_and_near_misses(lang: str, move: Move) -> None:
    patterns = PATTERNS[lang].moves[move]
    assert patterns.patterns
    assert len(patterns.examples) >= 3
    assert len(patterns.counterexamples) >= 2


@pytest.mark.parametrize("lang", sorted(FILES))
def test_the_file_declares_its_language_schema_and_domain_citations(lang: str) -> None:
    text = FILES[lang].read_text(encoding="utf-8")
    assert PATTERNS[lang].language == lang
    assert text.startswith(
        "# yaml-language-server: $schema=../../schemas/move-patterns.schema.json"
    )
    assert "shared/seeds/" in text.split("schema_version:")[0]  # the source lines it encodes
    lines = text.splitlines()
    for move in Move:
        at = lines.index(f"  {move.value}:")
        comment = "\n".join(lines[max(0, at - 6) : at])
        assert "DOMAIN §" in comment, f"{lang}: {move} has no DOMAIN citation above it"


def all_regexes() -> list[tuple[str, str]]:
    out = []
    for lang, f in PATTERNS.items():
        out += [(lang, n) for n in f.negations]
        for p in f.moves.values():
            out += [(lang, r) for r in p.patterns + p.unless + p.unless_turn]
    return out


# "." or a negated class [^…] repeated with * or + (character classes are blanked first).
UNBOUNDED_WILDCARD = re.compile(r"(?<!\\)\.[*+]|\[\^[^\]]*\][*+]")


@pytest.mark.parametrize(("lang", "regex"), all_regexes())
def test_regexes_are_safe(lang: str, regex: str) -> None:
    assert saferegex.problem(regex) is None  # what the loader checks, with its reason
    compiled = re.compile(regex, re.IGNORECASE)  # also valid for the standard engine
    assert compiled.search("") is None or regex.startswith("^(?!")
    assert compiled.search("zzz qqq") is None
    assert "\u2019" not in regex
    assert not UNBOUNDED_WILDCARD.search(re.sub(r"\[(?!\^)(?:\\.|[^\]])*\]", "c", regex))


# ------------------------------------------------------------------ turns as the issue writes them

ES_TURNS: list[tuple[str, set[Move]]] = [
    # issue 12: cost nothing on main; a careful rater reads calm-down plus arguing.
    ("Por favor, cálmese. No es culpa nuestra, usted se equivocó.", {M.CALM_DOWN, M.ARGUE}),
    ("por favor calmese, no es culpa nuestra, usted se equivoco", {M.CALM_DOWN, M.ARGUE}),
    (
        "Buenos días, le atiende Raúl. Siento mucho lo de su factura; "
        "¿me dice el número de contrato?",
        {M.CONTACT, M.APOLOGISE, M.ASK},
    ),
    (
        "Vaya faena, entiendo que es un engorro. Le cambio la fecha sin coste y le llega "
        "la confirmación hoy.",
        {M.EMPATHISE, M.REMEDY, M.TIMESCALE},
    ),
    # Seed contradictions (003): the stock transfer line is bare; "another problem" is
    # negative while a sincere "anything else you're unhappy with" (002) is a check.
    ("Le paso con otro departamento. Su llamada es importante para nosotros.", {M.BARE_TRANSFER}),
    ("¿Hay algo más con lo que no esté conforme?", {M.CHECK_SATISFACTION}),
    ("¿Tiene alguna otra queja?", {M.NEGATIVE_CLOSING}),
    ("Bueno, pues muchas gracias por gritarme.", set()),
    ("No vamos a devolverle nada.", {M.FLAT_REFUSAL}),
    ("Lamentamos las molestias ocasionadas.", {M.PASSIVE_APOLOGY}),
    # Negation is per clause: the refusal is followed by a real alternative.
    ("No podemos cambiar la tarifa, pero sí le puedo aplicar un descuento del 20 %.", {M.REMEDY}),
    ("no te puedo cambiar el vuelo, pero te consigo plaza en el de la tarde", {M.REMEDY}),
    ("no te puedo cambiar el vuelo", {M.FLAT_REFUSAL}),
    # tú, chat style and Rioplatense voseo.
    (
        "vale, te entiendo, es un rollo. te mando otro cargador mañana, te va bien?",
        {M.EMPATHISE, M.REMEDY, M.TIMESCALE, M.CHECK_SATISFACTION},
    ),
    ("Vos tenés dos opciones: te devuelvo la plata o te mando otro.", {M.OPTIONS}),
    ("ahorita le reviso su caso y le marco en 20 minutos", {M.OWN, M.TIMESCALE}),
    # vosotros, formal usted.
    ("Os pido disculpas por el retraso; el pedido sale esta tarde.", {M.APOLOGISE, M.TIMESCALE}),
    ("Muchas gracias por su paciencia.", set()),
    ("Relájese, que no es para tanto.", {M.CALM_DOWN, M.ARGUE}),
    ("Eso no es asunto mío, hable con la tienda.", {M.EXCUSE}),
    ("Le aseguro que no volverá a pasar.", {M.OVER_PROMISE}),
    ("Alguien lo revisará.", {M.VAGUE_HANDOFF}),
    ("Gracias por contárnoslo, me encargo yo de que lo arreglen.", {M.THANK, M.OWN}),
    ("Si necesita cualquier otra cosa, no dude en escribirnos.", {M.OFFER_HELP}),
    ("Según nuestro sistema, usted canceló el pedido.", {M.ARGUE}),
    ("Le pongo en espera mientras consulto con mi supervisora.", {M.EXPLAIN_TRANSFER}),
    ("Siento que te hayas sentido así.", {M.PASSIVE_APOLOGY}),
    # Reassurance is not "calm down"; money transfers are not call transfers.
    ("No te agobies, ahora lo vemos.", set()),
    ("Le transfiero el importe hoy mismo a su cuenta.", {M.TIMESCALE}),
    ("No es culpa suya en absoluto.", set()),
    ("No le voy a pedir que se calme; tiene todo el derecho a estar enfadado.", {M.EMPATHISE}),
]

PT_TURNS: list[tuple[str, set[Move]]] = [
    # A sincere Portuguese apology and a question, read as exactly that.
    (
        "Lamento imenso o que aconteceu com a sua encomenda. Pode indicar-me o número do pedido?",
        {M.APOLOGISE, M.ASK},
    ),
    ("lamento imenso o que aconteceu. pode indicar-me o numero do pedido?", {M.APOLOGISE, M.ASK}),
    ("Acalme-se, o senhor é que se enganou.", {M.CALM_DOWN, M.ARGUE}),
    ("Lamentamos qualquer incómodo causado.", {M.PASSIVE_APOLOGY}),
    # Seed contradictions (003, 002).
    (
        "Por favor aguarde enquanto transfiro a sua chamada; a sua chamada é importante para nós.",
        {M.BARE_TRANSFER},
    ),
    ("Há mais alguma coisa com que não esteja satisfeito?", {M.CHECK_SATISFACTION}),
    ("Mais algum problema?", {M.NEGATIVE_CLOSING}),
    ("obrigado por gritar comigo", set()),
    ("Não vamos reembolsar nada.", {M.FLAT_REFUSAL}),
    # Negation per clause.
    ("Não consigo cancelar a multa, mas posso dar-lhe um desconto de 10 euros.", {M.REMEDY}),
    ("não consigo mudar o voo, mas arranjo-lhe lugar no da tarde", {M.REMEDY}),
    ("não consigo mudar o voo", {M.FLAT_REFUSAL}),
    # European (o senhor, tu, enclitics) and Brazilian (você, chat).
    (
        "Muito obrigado por nos contactar. Chamo-me Pedro e vou tratar do seu caso.",
        {M.THANK, M.CONTACT, M.OWN},
    ),
    ("Tens duas hipóteses: devolvo-te o dinheiro ou mando-te outro.", {M.OPTIONS}),
    ("Ligo-lhe amanhã às 10h para confirmar.", {M.OWN, M.TIMESCALE}),
    ("já vou ver o seu caso e te ligo em 20 minutos", {M.OWN, M.TIMESCALE}),
    (
        "Compreendo a sua frustração; o técnico vai amanhã entre as 8h e as 12h.",
        {M.EMPATHISE, M.TIMESCALE},
    ),
    ("Garanto que nunca mais vai acontecer.", {M.OVER_PROMISE}),
    ("Alguém lhe vai ligar.", {M.VAGUE_HANDOFF}),
    ("Isso não é comigo.", {M.EXCUSE}),
    ("O armazém é uma bagunça, sempre trocam tudo.", {M.BLAME_OTHERS}),
    ("Se precisar de mais alguma coisa, não hesite em nos contactar.", {M.OFFER_HELP}),
    (
        "Vou transferi-lo para o departamento técnico, que consegue reconfigurar o router.",
        {M.EXPLAIN_TRANSFER},
    ),
    ("Segundo o sistema, a senhora cancelou o contrato.", {M.ARGUE}),
    ("Prefere a reparação ou a substituição?", {M.OPTIONS}),
    ("Lamento que se tenha sentido assim.", {M.PASSIVE_APOLOGY}),
    # Reassurance, money transfers, "not your fault" and a refused calm-down are no violation.
    ("Pode ficar tranquila, o reembolso já foi aprovado.", {M.REMEDY}),
    ("Vou transferir o valor hoje para a sua conta.", {M.TIMESCALE}),
    ("Não é culpa sua de maneira nenhuma.", set()),
    (
        "Não lhe vou pedir que se acalme; tem todo o direito de estar zangado.",
        {M.EMPATHISE},
    ),
    ("Garantimos o direito de livre resolução de 14 dias, por lei.", {M.EXPLAIN}),
]

TURNS = [("es", t, e) for t, e in ES_TURNS] + [("pt", t, e) for t, e in PT_TURNS]


@pytest.mark.parametrize(
    ("lang", "turn", "expected"), TURNS, ids=[f"{lg}:{t[:50]}" for lg, t, _ in TURNS]
)
def test_turns_are_read_as_a_careful_rater_would(lang: str, turn: str, expected: set[Move]) -> None:
    found = DETECTORS[lang].detect(turn)
    assert_evidence_verbatim(turn, found)
    assert {d.move for d in found} == expected, [(d.move.value, d.text) for d in found]


def test_the_issues_spanish_turn_quotes_the_words_that_break_the_rules() -> None:
    turn = "Por favor, cálmese. No es culpa nuestra, usted se equivocó."
    found = {d.move: d for d in DETECTORS["es"].detect(turn)}
    assert found[M.CALM_DOWN].text == "cálmese"
    assert "usted se equivocó" in found[M.ARGUE].quote


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


ACCENTED = [(lg, t, e) for lg, t, e in TURNS if strip_accents(t) != t]


@pytest.mark.parametrize(
    ("lang", "turn", "expected"), ACCENTED, ids=[f"{lg}:{t[:40]}" for lg, t, _ in ACCENTED]
)
def test_missing_accents_and_capitals_do_not_change_the_reading(
    lang: str, turn: str, expected: set[Move]
) -> None:
    chat = strip_accents(turn).replace("¿", "")
    if M.CONTACT not in expected:  # a name is told apart by its capital, so keep those
        chat = chat.lower()
    assert moves_in(chat, lang) == moves_in(turn, lang) == expected


@pytest.mark.parametrize(
    ("lang", "sentence", "negated"),
    [
        ("es", "No podemos devolverle el dinero.", True),
        ("es", "no te lo puedo cambiar", True),
        ("es", "No hay reembolso para esta tarifa.", True),
        ("es", "Es imposible cambiar el asiento.", True),
        ("es", "Si no llega el viernes, le devuelvo el dinero.", False),
        ("es", "No se preocupe, le mando otro hoy.", False),
        ("pt", "Não podemos devolver o dinheiro.", True),
        ("pt", "nao consigo trocar o produto", True),
        ("pt", "Não há reembolso para este bilhete.", True),
        ("pt", "Se não chegar até sexta, devolvo-lhe o dinheiro.", False),
        ("pt", "Não se preocupe, mando outro hoje.", False),
    ],
)
def test_negations(lang: str, sentence: str, negated: bool) -> None:
    assert DETECTORS[lang].is_negated(sentence) is negated


def test_a_violation_is_never_read_in_the_good_examples() -> None:
    # A wrongly found violation escalates the customer: good-move examples carry none.
    for lang, f in PATTERNS.items():
        for move, p in f.moves.items():
            if move in VIOLATIONS:
                continue
            for text in p.examples:
                wrong = moves_in(text, lang) & VIOLATIONS
                assert not wrong, f"{lang}: {sorted(wrong)} in the {move} example {text!r}"


EXAMPLE_SENTENCES = sorted({t for _, _, t in EXAMPLES} | {t for _, _, t in COUNTEREXAMPLES})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(FILES)),
    st.lists(
        st.one_of(st.sampled_from(EXAMPLE_SENTENCES), st.text(max_size=30)), min_size=1, max_size=6
    ).map(" ".join),
)
def test_any_mix_of_examples_and_noise_gives_verbatim_evidence(lang: str, turn: str) -> None:
    assert_evidence_verbatim(turn, DETECTORS[lang].detect(turn))


def test_a_long_pasted_turn_is_read_without_trouble() -> None:
    for lang in FILES:
        block = " ".join(t for lg, _, t in EXAMPLES if lg == lang)
        turn = (block + "\n") * 20
        found = DETECTORS[lang].detect(turn)
        assert_evidence_verbatim(turn, found)
        assert M.CALM_DOWN in {d.move for d in found}


# ------------------------------------------------------------------ the quality floor (CI)

# Measured on the corpus' held-out test split (the patterns were never tuned on test): first
# when the files were finished (commit 1a43ef2: es 0.721, pt 0.678; violations 0.840, 0.917),
# again on 2026-12-07 once the corpus grew by fresh turns the rules were not written from
# (docs/moves.md, "Trusting the rules"): rules alone read those worse; and again on 2026-12-07
# with the two December batches (corpus/README.md; es 0.716 -> 0.682, pt 0.643 -> 0.619;
# violations 0.891 -> 0.885, 0.931 -> 0.957), and on 2026-12-08 with the third batch
# (es 0.682 -> 0.670, pt 0.619 -> 0.624; violations 0.885 -> 0.901, 0.957 -> 0.951).
# Re-measure and update both places when the patterns or corpus/{es,pt}.jsonl change.
TEST_MICRO_F1 = {"es": 0.670, "pt": 0.624}
TEST_VIOLATION_PRECISION = {"es": 0.901, "pt": 0.951}
TOLERANCE = 0.02
VIOLATION_TOLERANCE = 0.05  # a handful of turns: one more wrong find moves it by ~0.03


@pytest.mark.parametrize("lang", sorted(FILES))
def test_the_rules_hold_their_floor_on_the_test_split(lang: str) -> None:
    detector = DETECTORS[lang]

    def reader(text: str, language: str) -> list[tuple[str, int, int]]:
        return [(d.move.value, d.start, d.end) for d in detector.detect(text)]

    quality = evaluate_language(load_corpus(languages=[lang]), lang, "test", reader)
    assert quality.has_reader and quality.turns >= 140
    f1 = quality.micro.f1
    floor = TEST_MICRO_F1[lang] - TOLERANCE
    assert f1 is not None and f1 >= floor, (
        f"{lang} micro F1 on the test split fell to {f1:.3f} (floor {floor:.3f}); "
        f"see `frontline moves-quality --language {lang}`"
    )
    violations = quality.violations.precision
    floor = TEST_VIOLATION_PRECISION[lang] - VIOLATION_TOLERANCE
    assert violations is not None and violations >= floor, (
        f"{lang} violation precision on the test split fell to {violations} (floor {floor:.3f})"
    )


def test_the_contract_noun_does_not_cancel_a_spanish_timescale():
    """The timescale's past-tense exception meant the verb "contrató", but its "contrat[oó]"
    also matched the noun "contrato": any sentence naming the contract lost its timescale
    (found by the Spanish overlays' writer)."""
    from simulator.moves.detector import default_detector
    from simulator.moves.vocabulary import Move

    read = default_detector("es").detect
    found = {d.move for d in read("Hoy mismo cierro el contrato y se lo confirmo en cinco días.")}
    assert Move.TIMESCALE in found
    assert Move.TIMESCALE not in {d.move for d in read("Lo contrató el lunes pasado.")}
