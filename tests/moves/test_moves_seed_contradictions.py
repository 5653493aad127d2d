"""Lines the source documents judge, read the way the sources judge them (issue 12, "Seed
contradictions in the reading"), and the English misreadings the issue lists.

Each test names its source in /work/shared/seeds (the authority) and the section of
docs/domain.md that digests it. These failed on main before the English patterns were fixed.
"""

from __future__ import annotations

import pytest

from simulator.moves.detector import default_detector
from simulator.moves.vocabulary import Move

M = Move


def read(text: str) -> dict[Move, str]:
    """Each move found in ``text`` with the words that triggered it."""
    return {d.move: d.text for d in default_detector("en").detect(text)}


def test_your_call_is_important_is_a_bare_transfer() -> None:
    """Source 003 (Bulgarian), "Моля, останете на линия, докато аз бе пренасочен към вас.
    Вашето обаждане е важно за нас." — "Ужасно" (terrible): no reason, nobody named.
    docs/domain.md §4 (explain a transfer vs transfer or hold with no reason)."""
    found = read("Please stay on the line while I transfer you. Your call is important to us.")
    assert M.BARE_TRANSFER in found
    assert M.EXPLAIN_TRANSFER not in found
    # A real reason still makes it an explained transfer.
    reasoned = read("Please stay on the line while I check the delivery notes with the depot.")
    assert M.EXPLAIN_TRANSFER in reasoned and M.BARE_TRANSFER not in reasoned


def test_anything_else_you_are_unhappy_about_is_a_sincere_check() -> None:
    """Source 002 (Chinese), "問他是否還有其他不滿的地方" — recommended, not a negative close.
    docs/domain.md §3.1 (customer first) and §4 ("Is there another problem?" is the bad one)."""
    found = read("Is there anything else you're unhappy about?")
    assert M.NEGATIVE_CLOSING not in found
    assert M.CHECK_SATISFACTION in found
    assert M.NEGATIVE_CLOSING in read("Is there another problem?")


def test_sarcastic_thanks_is_no_thanks() -> None:
    """Source 004 (Portuguese), "agradecer um cliente por trazer a questão para a sua atenção
    … Use suas próprias palavras": thanks for raising the problem, sincerely.
    docs/domain.md §3.7 (Thank)."""
    assert M.THANK not in read("Well, thanks a lot for shouting at me.")
    assert M.THANK in read("Well, thanks a lot for flagging this, it really helps.")


def test_wont_be_refunding_anything_is_a_refusal_not_a_remedy() -> None:
    """Source 000 (Spanish), refusing in one go is the classic failure; docs/domain.md §2.5
    and §4 ("refuse in one go")."""
    found = read("We won't be refunding anything.")
    assert M.REMEDY not in found
    assert M.FLAT_REFUSAL in found
    assert default_detector("en").is_negated("We won't be refunding anything.")


@pytest.mark.parametrize(
    "turn",
    [
        "Oh no, Doreen, that's rubbish, I'd be fuming too if that happened to me",
        "I'd be gutted if that happened to me",
        "What a horrible day you've had",
        "Ah that's annoying, sorry about that",
        "Oh my god, in front of your kids? That's awful",
    ],
)
def test_everyday_sympathy_is_empathy_not_arguing(turn: str) -> None:
    """Source 001 (Russian), "Это звучит очень разочаровывающе" — acknowledge the feeling;
    docs/domain.md §3.6 (show empathy) and §4 (acknowledge feelings)."""
    found = read(turn)
    assert M.EMPATHISE in found
    assert M.ARGUE not in found


def test_a_courier_tomorrow_morning_is_a_timescale() -> None:
    """Source 004 (Portuguese), "Dê timescales e seja realista"; source 000 "Dar la solución y
    la fecha límite". docs/domain.md §3.3 (5) and §3.7 (Take action)."""
    assert M.TIMESCALE in read("Let me get a courier out to you tomorrow morning")


@pytest.mark.parametrize(
    "turn",
    [
        "I'm Priya, and your reference is BL-55821 if you need to chase me",
        "I'm Sam; your reference is FL-2093.",
    ],
)
def test_a_name_and_a_reference_are_a_contact(turn: str) -> None:
    """Source 000 (Spanish), "Dar la información de contacto de la persona responsable";
    source 004 "dar ao cliente seu nome e número". docs/domain.md §3.3 (5) and §3.7."""
    assert M.CONTACT in read(turn)


def test_thats_on_us_owns_the_problem_and_offers_nothing() -> None:
    """Source 002 (Chinese), "不要推卸責任" — own it; an admission is not a remedy or a date.
    docs/domain.md §3.1 stage 2 and §4 (own the problem)."""
    found = read(
        "The courier's marked it as dropped off but clearly it never got to you, so that's on us"
    )
    assert M.OWN in found
    assert M.REMEDY not in found and M.TIMESCALE not in found
    assert M.REMEDY in read("The delivery charge is on us.")
