"""The English move patterns: the data file checks itself, then real turns, then properties.

Precision matters more than recall: a violation found where there was none makes the
simulated customer angrier for nothing and costs the trainee marks, so near misses are
tested as carefully as hits.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import FileProblems
from simulator.languages import SHIPPED_DIR
from simulator.moves.detector import (
    Detection,
    Detector,
    RuleDetector,
    default_detector,
    load_pattern_file,
    pattern_files,
)
from simulator.moves.vocabulary import MOVES, Move

EN_FILE = SHIPPED_DIR / "en" / "moves.yaml"
EN = load_pattern_file(EN_FILE)
DETECTOR = RuleDetector([EN])

M = Move  # keeps the table of turns readable


def moves_in(text: str, detector: Detector = DETECTOR) -> set[Move]:
    return {d.move for d in detector.detect(text)}


def assert_evidence_verbatim(text: str, found: list[Detection]) -> None:
    """Every detection quotes the turn exactly, and the trigger lies inside the quote."""
    for d in found:
        assert d.text == text[d.start : d.end] and d.text
        assert d.quote == text[d.quote_start : d.quote_start + len(d.quote)] and d.quote
        assert d.quote_start <= d.start < d.end <= d.quote_start + len(d.quote)
    assert [d.start for d in found] == sorted(d.start for d in found)


# ------------------------------------------------------------------ the data file itself

EXAMPLES = [(move, text) for move, p in EN.moves.items() for text in p.examples]
COUNTEREXAMPLES = [(move, text) for move, p in EN.moves.items() for text in p.counterexamples]


@pytest.mark.parametrize(("move", "text"), EXAMPLES, ids=[f"{m}:{t[:40]}" for m, t in EXAMPLES])
def test_every_example_shows_its_move(move: Move, text: str) -> None:
    assert move in moves_in(text)


@pytest.mark.parametrize(
    ("move", "text"), COUNTEREXAMPLES, ids=[f"{m}:{t[:40]}" for m, t in COUNTEREXAMPLES]
)
def test_no_counterexample_shows_its_move(move: Move, text: str) -> None:
    found = [d.text for d in DETECTOR.detect(text) if d.move is move]
    assert not found, f"{move} wrongly found in {text!r} via {found}"


@pytest.mark.parametrize("move", list(Move))
def test_every_move_has_patterns_examples_and_near_misses(move: Move) -> None:
    patterns = EN.moves[move]
    assert patterns.patterns
    assert len(patterns.examples) >= 3
    assert len(patterns.counterexamples) >= 2


def test_the_file_starts_with_its_schema_and_cites_the_domain_for_every_move() -> None:
    text = EN_FILE.read_text(encoding="utf-8")
    schema = "# yaml-language-server: $schema=../../schemas/move-patterns.schema.json"
    assert text.startswith(schema)
    assert "FRONTLINE_LANGUAGES" in text.split("schema_version:")[0]
    lines = text.splitlines()
    for move in Move:
        at = lines.index(f"  {move.value}:")
        comment = "\n".join(lines[max(0, at - 6) : at])
        assert "DOMAIN §" in comment, f"{move} has no DOMAIN citation above it"


def all_regexes() -> list[str]:
    out = list(EN.negations)
    for p in EN.moves.values():
        out += p.patterns + p.unless + p.unless_turn
    return out


@pytest.mark.parametrize("regex", all_regexes())
def test_regexes_are_safe(regex: str) -> None:
    compiled = re.compile(regex, re.IGNORECASE)
    # An alternative that matches nothing (a stray "|)") would fire on every sentence.
    assert compiled.search("") is None or regex.startswith("^(?!")
    assert compiled.search("zzz qqq") is None
    # Turns are folded to plain apostrophes before matching; a curly one could never match.
    assert "\u2019" not in regex
    # Unbounded wildcards make a long turn quadratic; every scan is bounded ({0,200}).
    assert not UNBOUNDED_WILDCARD.search(re.sub(r"\[(?!\^)(?:\\.|[^\]])*\]", "c", regex))


# "." or a negated class [^…] repeated with * or + (character classes are blanked first).
UNBOUNDED_WILDCARD = re.compile(r"(?<!\\)\.[*+]|\[\^[^\]]*\][*+]")


def test_the_wildcard_check_itself() -> None:
    assert UNBOUNDED_WILDCARD.search("a.*b") and UNBOUNDED_WILDCARD.search("[^?]+\\?")
    assert not UNBOUNDED_WILDCARD.search(r"a.{0,200}b") and not UNBOUNDED_WILDCARD.search(r"\.+")


# ------------------------------------------------------------------ realistic agent turns

TURNS: list[tuple[str, set[Move]]] = [
    # Good handling, stage by stage (DOMAIN §3.1, §3.3, §3.7).
    (
        "Hello, thank you for contacting us. My name is Anna. How can I help you today?",
        {M.THANK, M.CONTACT},
    ),
    (
        "I'm so sorry to hear the washing machine stopped working after two days, that sounds "
        "really frustrating. Could you tell me the model number and when it was delivered?",
        {M.APOLOGISE, M.EMPATHISE, M.ASK},
    ),
    (
        "So if I understand correctly, the machine was delivered on Monday and it stopped working "
        "on Wednesday? I'll arrange for an engineer to visit tomorrow between 8am and 12pm. "
        "Does that work for you?",
        {M.RESTATE, M.OWN, M.REMEDY, M.TIMESCALE, M.CHECK_SATISFACTION},
    ),
    (
        "Thanks for your patience. The delay happened because our courier had a vehicle breakdown. "
        "I can either send a replacement by Friday or refund you in full today, which would you "
        "prefer?",
        {M.THANK, M.EXPLAIN, M.OPTIONS, M.REMEDY, M.TIMESCALE},
    ),
    (
        "I apologise for the mix-up with your bill. I've already reversed the duplicate charge, "
        "and you'll see it back on your card in 3 to 5 working days. Your reference number is "
        "BX-4471. Is there anything else I can help you with?",
        {M.APOLOGISE, M.OWN, M.REMEDY, M.TIMESCALE, M.CONTACT, M.OFFER_HELP},
    ),
    (
        "I'm connecting you with our billing specialist who can correct this. Her name is Jo.",
        {M.EXPLAIN_TRANSFER},
    ),
    (
        "Please hold for two minutes while I check with the warehouse.",
        {M.EXPLAIN_TRANSFER, M.TIMESCALE},
    ),
    (
        "I'm going to transfer your call to the returns team, because they can book the "
        "collection for you.",
        {M.EXPLAIN_TRANSFER, M.EXPLAIN, M.REMEDY},
    ),
    (
        "We can't refund it, but I can replace it today. Is that OK?",
        {M.REMEDY, M.TIMESCALE, M.CHECK_SATISFACTION},
    ),
    (
        "I'm afraid we can't offer compensation for the delay, because the delivery window was "
        "met. What I can do is waive the delivery charge on your next order.",
        {M.EXPLAIN, M.REMEDY},
    ),
    (
        "Unfortunately that item is out of stock, but we can offer you a similar model at the "
        "same price or a full refund.",
        {M.OPTIONS, M.REMEDY},
    ),
    (
        "You have every right to be upset. I won't tell you to relax; let me sort this out now.",
        {M.EMPATHISE, M.OWN},
    ),
    (
        "So you were charged twice for the same order and nobody replied to your emails. That "
        "must have been really annoying.",
        {M.RESTATE, M.EMPATHISE},
    ),
    (
        "Hi! This is Mark from Brightwater Energy. I've looked at your meter readings and the "
        "bill was estimated, which is why it's so high.",
        {M.CONTACT, M.OWN, M.EXPLAIN},
    ),
    (
        "In similar cases we have refunded the delivery charge as well. Would that be acceptable?",
        {M.EXPLAIN, M.REMEDY, M.CHECK_SATISFACTION},
    ),
    (
        "Once the warehouse calms down after the sale, your order will be picked first. I'll keep "
        "an eye on it personally and email you by Thursday.",
        {M.OWN, M.TIMESCALE},
    ),
    (
        "If it doesn't arrive by Friday, I'll refund you in full. You can reach me on "
        "0161 496 0123, ask for Priya.",
        {M.TIMESCALE, M.OWN, M.REMEDY, M.CONTACT},
    ),
    (
        "I can't promise it will never happen again, but I will report it to the depot manager "
        "today. Let me know if I can do anything else.",
        {M.OWN, M.TIMESCALE, M.OFFER_HELP},
    ),
    (
        "Just to confirm, you were charged twice? Is there anything about this solution you're "
        "unsure of?",
        {M.RESTATE, M.CHECK_SATISFACTION},
    ),
    # The stock formula with no action is a passive apology, not a sincere one (issue 12
    # item 6: it goes with the failed dialogues; DOMAIN §4, source 003).
    ("Sorry for the inconvenience. Thank you for your patience.", {M.PASSIVE_APOLOGY, M.THANK}),
    ("We are sorry for the inconvenience caused.", {M.PASSIVE_APOLOGY}),
    # Violations (DOMAIN §4), alone and mixed with good moves.
    ("Calm down, sir. There's no need to shout.", {M.CALM_DOWN}),
    (
        "We're sorry that you have encountered this problem. Is there another problem?",
        {M.PASSIVE_APOLOGY, M.NEGATIVE_CLOSING},
    ),
    ("I need to transfer you.", {M.BARE_TRANSFER}),
    ("I'll put you on hold for a moment.", {M.BARE_TRANSFER}),
    (
        "That's not true, you must have dropped it. You should have read the instructions.",
        {M.ARGUE},
    ),
    (
        "The warehouse messed up again, my colleague should have checked it. We're really "
        "short-staffed this week.",
        {M.BLAME_OTHERS, M.EXCUSE},
    ),
    (
        "I guarantee this will never happen again, and you'll get your refund within minutes.",
        {M.OVER_PROMISE, M.REMEDY},
    ),
    ("No, we can't do that. We don't give refunds.", {M.FLAT_REFUSAL}),
    (
        "I'm sorry, but that's not possible. Anything else?",
        {M.APOLOGISE, M.FLAT_REFUSAL, M.OFFER_HELP},
    ),
    ("Someone will look into it and get back to you.", {M.VAGUE_HANDOFF}),
    ("I'll pass this on to the team and they'll contact you in due course.", {M.VAGUE_HANDOFF}),
    (
        "I know, I know. It's not my job to deal with refunds, you'll have to call billing.",
        {M.EXCUSE},
    ),
    (
        "Honestly I'm new here so I don't really know. Somebody will get back to you.",
        {M.EXCUSE, M.VAGUE_HANDOFF},
    ),
    ("It's the courier's fault, not ours.", {M.BLAME_OTHERS}),
    (
        "We're very busy today, but I'll make sure your case is handled by tomorrow.",
        {M.EXCUSE, M.OWN, M.TIMESCALE},
    ),
    ("There's nothing I can do, the system won't let me.", {M.EXCUSE}),
    ("I'm sorry you feel that way, but that is our policy.", {M.PASSIVE_APOLOGY}),
    ("Sorry for any inconvenience caused.", {M.PASSIVE_APOLOGY}),
    ("Relax, it's only a parcel. Actually you're wrong about the price.", {M.CALM_DOWN, M.ARGUE}),
    ("I promise you'll get double your money back, whatever you want.", {M.OVER_PROMISE, M.REMEDY}),
    # Near misses: nothing bad here, whatever the words suggest.
    ("Thanks to the storm, all deliveries are running two days late.", set()),
    ("It's not your fault at all, the label was printed wrong on our side.", set()),
    ("Sorry, I didn't catch your order number.", set()),
    ("Actually, the invoice shows you ordered the large size.", set()),
    ("I'll transfer the money to your account today.", {M.OWN, M.TIMESCALE}),
    ("Is there anything else wrong with the oven?", {M.ASK}),
    ("Do you have any other questions about the refund?", {M.OFFER_HELP}),
    ("Don't worry, I'll get this sorted for you today.", {M.OWN, M.TIMESCALE}),
    ("If you didn't keep the receipt, don't worry, I can find the order.", set()),
    ("They told me you called yesterday, so I've looked at your account.", {M.OWN}),
    ("You'll receive a confirmation email immediately.", set()),
    ("I'm sorry for the inconvenience.", {M.PASSIVE_APOLOGY}),
    # Single sentences first written as a held-out check (see docs/moves.md, "How good is
    # it"), kept as regression cases once the misses they exposed were fixed.
    ("Many thanks for flagging this with us.", {M.THANK}),
    ("Thanks so much for bearing with me while I checked.", {M.THANK}),
    ("I appreciate you taking the time to tell us.", {M.THANK}),
    ("I'm truly sorry for the trouble this has caused you.", {M.APOLOGISE}),
    ("Apologies, that should never have happened.", {M.APOLOGISE}),
    ("I am sorry, you should have had that refund last week.", {M.APOLOGISE}),
    ("That must have been so disappointing on her birthday.", {M.EMPATHISE}),
    ("I can only imagine how inconvenient that was.", {M.EMPATHISE}),
    ("I'd be furious too if that happened to me.", {M.EMPATHISE}),
    ("What time did the driver arrive?", {M.ASK}),
    ("Can you describe the noise it makes?", {M.ASK}),
    ("Where did you buy it?", {M.ASK}),
    ("Have you still got the packaging?", {M.ASK}),
    (
        "To recap, the boiler has been off since Saturday and you have two small children.",
        {M.RESTATE},
    ),
    ("So what you're saying is the bill doubled without any change in usage.", {M.RESTATE}),
    ("Let me make sure I've got this right: the parcel arrived empty.", {M.RESTATE}),
    ("It was late because the depot flooded on Tuesday.", {M.EXPLAIN}),
    ("The reason for the charge is that the contract auto-renewed.", {M.EXPLAIN}),
    (
        "Normally what happens is we send a courier to collect the faulty unit.",
        {M.EXPLAIN, M.REMEDY},
    ),
    ("I'm going to look into this personally.", {M.OWN}),
    ("Leave it with me.", {M.OWN}),
    ("I'll chase the warehouse myself this afternoon.", {M.OWN, M.TIMESCALE}),
    ("We'll send you a brand new kettle.", {M.REMEDY}),
    ("I can offer you a 20% discount on your next bill.", {M.REMEDY}),
    ("We'll cover the cost of the repair.", {M.REMEDY}),
    (
        "You could have a refund, or we can swap it for the newer model, it's up to you.",
        {M.OPTIONS, M.REMEDY},
    ),
    (
        "There are two options: a repair this week or a replacement next week.",
        {M.OPTIONS, M.REMEDY, M.TIMESCALE},
    ),
    ("It should be with you in 2 working days.", {M.TIMESCALE}),
    ("You'll hear from me before 3pm today.", {M.TIMESCALE}),
    ("The credit will show within 48 hours.", {M.REMEDY, M.TIMESCALE}),
    ("I'm Jess, and you can call me on 0161 555 0199.", {M.CONTACT}),
    ("My email is jess.k@example.co.uk if you need me.", {M.CONTACT}),
    ("Your case number is 55821.", {M.CONTACT}),
    (
        "I'm passing you to our technical team because they can reset the router remotely.",
        {M.EXPLAIN, M.EXPLAIN_TRANSFER},
    ),
    ("I'll put you through to Ravi, our refunds specialist.", {M.EXPLAIN_TRANSFER}),
    ("Are you happy with that solution?", {M.CHECK_SATISFACTION}),
    ("How does that sound?", {M.CHECK_SATISFACTION}),
    ("Would that be OK with you?", {M.CHECK_SATISFACTION}),
    ("Is there anything more I can do for you today?", {M.OFFER_HELP}),
    ("Please don't hesitate to get back in touch.", {M.OFFER_HELP}),
    ("Can I help with anything else?", {M.OFFER_HELP}),
    ("Sir, please calm yourself.", {M.CALM_DOWN}),
    ("Stop shouting, I can't help you like this.", {M.CALM_DOWN}),
    ("Just relax and let me do my job.", {M.CALM_DOWN}),
    ("I'm sorry if you feel let down.", {M.PASSIVE_APOLOGY}),
    ("We apologise if this has caused any upset.", {M.PASSIVE_APOLOGY}),
    ("We regret that you experienced this issue.", {M.PASSIVE_APOLOGY}),
    ("You obviously didn't read the manual.", {M.ARGUE}),
    ("If you'd read the terms, you'd know that.", {M.ARGUE}),
    ("You're mistaken, the price was always £40.", {M.ARGUE}),
    ("Dispatch screwed it up, as usual.", {M.BLAME_OTHERS}),
    ("It's head office's fault, they changed the rules.", {M.BLAME_OTHERS}),
    ("The last agent gave you the wrong information.", {M.BLAME_OTHERS}),
    ("We're swamped this week.", {M.EXCUSE}),
    ("That isn't my responsibility, I only do sales.", {M.EXCUSE}),
    ("We've got loads of calls today.", {M.EXCUSE}),
    ("Do you have any more complaints?", {M.NEGATIVE_CLOSING}),
    ("What's the next problem?", {M.NEGATIVE_CLOSING}),
    ("Hold on.", {M.BARE_TRANSFER}),
    ("I'm going to put you through to another department.", {M.BARE_TRANSFER}),
    ("Transferring you now.", {M.BARE_TRANSFER}),
    ("I promise it will never happen again.", {M.OVER_PROMISE}),
    ("I swear you'll have it tomorrow, 100 percent guaranteed.", {M.OVER_PROMISE, M.TIMESCALE}),
    ("You'll have your new sofa delivered in no time, within minutes.", {M.OVER_PROMISE}),
    ("No. We don't do exchanges.", {M.FLAT_REFUSAL}),
    ("Sorry, that's not an option.", {M.APOLOGISE, M.FLAT_REFUSAL}),
    ("We won't refund that.", {M.FLAT_REFUSAL}),
    ("Somebody from the team will look at it.", {M.VAGUE_HANDOFF}),
    ("I'll forward this on.", {M.VAGUE_HANDOFF}),
    ("Your feedback will be passed on.", {M.VAGUE_HANDOFF}),
    ("Thanks to your photos I could see the damage straight away.", set()),
    (
        "We're sorry to see you go, but I've cancelled the contract as you asked.",
        {M.APOLOGISE, M.OWN},
    ),
    ("Our warehouse is busy but your parcel is already packed.", set()),
    ("The system was down this morning, so I've logged your call by hand.", {M.OWN}),
    ("There's no charge for the engineer's visit.", set()),
    ("You didn't do anything wrong.", set()),
    ("I won't put you on hold, I can sort this now.", set()),
    ("It's not a problem at all.", set()),
    ("You're right, that's not acceptable.", {M.EMPATHISE}),
    ("Is this the best number to call you on?", {M.ASK}),
    ("Please relax, I've already refunded you.", {M.CALM_DOWN, M.OWN, M.REMEDY}),
    ("I can't see any payment yet, could you send me the receipt?", {M.ASK}),
    ("Sorry, the line is bad, could you say that again?", {M.APOLOGISE, M.ASK}),
    ("Once the storm settles down the engineers will be back out.", set()),
    ("Either I or my colleague Tom will call you on Friday at 10am.", {M.TIMESCALE}),
    ("The courier company lost it, so I've ordered a new one for you.", {M.OWN, M.REMEDY}),
    ("I'm afraid the shop is closed on Sundays, but I can book you in for Monday.", {M.TIMESCALE}),
    ("I understand you're upset, and I'm going to fix this.", {M.EMPATHISE, M.OWN, M.REMEDY}),
    ("The refund was issued on the 3rd.", {M.REMEDY}),
    ("We never share your data with third parties.", set()),
    ("I can transfer the balance to your new account today.", set()),
    ("The other agent did the right thing.", set()),
    ("I'd rather be honest: I don't know yet, but I'll find out by 2pm.", {M.OWN, M.TIMESCALE}),
    ("Can I just check: is it the red model or the blue one?", {M.ASK}),
    ("Nobody else has reported this fault.", set()),
    ("I'm not going to argue with you, you're right.", set()),
    # A second held-out set in chat style (lower case, missing apostrophes, text-speak).
    (
        "hi, thanks for getting in touch. sorry to hear about the leak, that sounds stressful."
        " when did you first notice it?",
        {M.APOLOGISE, M.ASK, M.EMPATHISE, M.THANK},
    ),
    (
        "ok so the bill says £312 but you normally pay about £90 a month, is that right?",
        {M.RESTATE},
    ),
    (
        "I’ve had a look and the meter reading was estimated, that’s why the bill jumped.",
        {M.EXPLAIN, M.OWN},
    ),
    ("I’ll send a new reading request now and correct the bill by Thursday.", {M.OWN, M.TIMESCALE}),
    ("you can reach me directly on 0207 946 0000, extension 214.", {M.CONTACT}),
    ("Is there anything else you need today?", {M.OFFER_HELP}),
    ("i need to put u on hold", {M.BARE_TRANSFER}),
    ("pls hold", set()),
    ("calm down mate", {M.CALM_DOWN}),
    ("thats not true you were home", {M.ARGUE}),
    ("We are experiencing high call volumes, which is why you waited.", {M.EXPLAIN}),
    ("Sorry for the wait, we're really busy today.", {M.APOLOGISE, M.EXCUSE}),
    ("The tech team should've caught this, not me.", {M.BLAME_OTHERS}),
    ("That's the courier's problem, not ours.", {M.BLAME_OTHERS}),
    ("I'll make sure you get a full refund, I promise.", {M.OWN, M.REMEDY}),
    (
        "I promise you this will be sorted in 5 minutes and you'll never have to call again.",
        {M.OVER_PROMISE},
    ),
    ("we cant do refunds on opened items", {M.FLAT_REFUSAL}),
    ("We can’t do refunds on opened items, but I can offer an exchange.", {M.REMEDY}),
    ("Someone from accounts will sort it.", {M.VAGUE_HANDOFF}),
    (
        "My colleague Amir in accounts will email you the corrected invoice by 4pm today.",
        {M.TIMESCALE},
    ),
    ("I hear you, and you're right to be annoyed about this.", {M.EMPATHISE}),
    ("Would a replacement or a refund suit you better?", {M.OPTIONS, M.REMEDY}),
    ("Shall I go ahead and book that?", set()),
    ("Great, I've booked it. Anything else I can do?", {M.OFFER_HELP, M.OWN}),
    (
        "So to sum up: new boiler fitted Monday, £100 credit, and I'll call you Tuesday to check.",
        {M.OWN, M.REMEDY, M.RESTATE, M.TIMESCALE},
    ),
    ("Did the engineer leave a card?", {M.ASK}),
    (
        "I'm going to escalate this to my manager, who can approve compensation, and I'll call"
        " you back within the hour.",
        {M.OWN, M.REMEDY, M.TIMESCALE},
    ),
    ("It's company policy.", set()),
    ("I understand, but there's nothing we can do about it.", {M.EXCUSE}),
    ("Don't take that tone with me.", set()),
    ("You need to understand that we followed the procedure.", set()),
    ("I apologise, this is our fault and I'll put it right.", {M.APOLOGISE, M.OWN}),
    ("As a goodwill gesture I've added £25 to your account.", {M.OWN, M.REMEDY}),
    ("Okay, let me check that for you.", {M.OWN}),
    ("Bear with me a sec.", set()),
    (
        "Thanks for holding. The parcel is at the depot and will be redelivered tomorrow morning.",
        {M.REMEDY, M.THANK, M.TIMESCALE},
    ),
    ("I'm afraid it's outside the warranty period.", set()),
    ("Unfortunately there isn't much I can do.", set()),
    ("Is that everything?", set()),
    ("Have a lovely day!", set()),
    ("Could you please confirm the email address on the account?", {M.ASK}),
    ("That's really not on, I'm sorry you've been treated like that.", {M.APOLOGISE, M.EMPATHISE}),
    ("If you’d prefer, I can arrange a callback from the same engineer instead.", {M.OPTIONS}),
    ("You won't be charged for the missed appointment.", set()),
    ("We messed up here and I'm sorry.", {M.APOLOGISE}),
    ("I know it's frustrating but you have to wait for the assessor.", {M.EMPATHISE}),
    ("The assessor will contact you in due course.", {M.VAGUE_HANDOFF}),
    ("No problem, happy to help!", {M.OFFER_HELP}),
    ("What would put this right for you?", {M.ASK}),
    (
        "I won't make promises I can't keep, but I'll do everything I can to have it there "
        "by Friday.",
        {M.OWN, M.TIMESCALE},
    ),
    # Gaps two engineers reported (docs/moves.md, "Judgement calls"), with their near misses.
    ("By what time tomorrow do you need to be at the venue?", {M.ASK}),
    ("Has an engineer attended the property since Monday?", {M.ASK}),
    ("Did an engineer come out?", {M.ASK}),
    ("Was anyone at home on Tuesday?", {M.ASK}),
    ("Could the neighbour have taken it in?", {M.ASK}),
    ("Is that OK?", {M.CHECK_SATISFACTION}),
    ("Would you like a refund?", {M.REMEDY}),
    ("Would a £20 voucher help?", {M.REMEDY}),
    ("Had you been in touch with us before today?", {M.ASK}),
    ("Unfortunately our engineers are very busy this week.", {M.EXCUSE}),
    ("Our engineers are busy fixing the fault on your street right now.", set()),
    ("Our tracking says it was delivered on Friday.", {M.ARGUE}),
    ("Our records show you cancelled.", {M.ARGUE}),
    ("Our records show the payment went out twice, you're right.", set()),
    (
        "Our tracking says it was delivered to the wrong address, so I'll open an investigation"
        " with the courier today.",
        {M.OWN, M.REMEDY, M.TIMESCALE},
    ),
    ("I can hear how much your daughter's wedding means to you.", {M.EMPATHISE}),
    ("I understand how serious this is for your depot.", {M.EMPATHISE}),
    ("That sounds really humiliating.", {M.EMPATHISE}),
    ("I completely get it.", {M.EMPATHISE}),
    ("I understand how the meter works.", set()),
    ("So the Daventry circuit has been down since Monday.", {M.RESTATE}),
    ("So the engineer will come on Tuesday.", {M.TIMESCALE}),
    (
        "I can put a refund through to your card, or add the full amount as a credit on your "
        "account with a goodwill bonus on top, whichever you prefer.",
        {M.OPTIONS, M.REMEDY},
    ),
    ("Or if you prefer, we can book you on the later flight.", {M.OPTIONS, M.REMEDY}),
    (
        "I've booked a technician for your address on Wednesday between 1 and 5.",
        {M.OWN, M.REMEDY, M.TIMESCALE},
    ),
    ("The engineer was booked for Monday but never came.", set()),
    ("I'm Sam, I'll be looking after your case.", {M.CONTACT, M.OWN}),
    ("I can open an investigation with the courier.", {M.REMEDY}),
    ("I'll confirm you on tomorrow's 06:05 flight.", {M.OWN, M.REMEDY, M.TIMESCALE}),
    ("Were you booked on the 06:05 flight?", {M.ASK}),
]


@pytest.mark.parametrize(("turn", "expected"), TURNS, ids=[t[:50] for t, _ in TURNS])
def test_realistic_turns_show_exactly_the_expected_moves(turn: str, expected: set[Move]) -> None:
    found = DETECTOR.detect(turn)
    assert_evidence_verbatim(turn, found)
    assert {d.move for d in found} == expected, [(d.move.value, d.text) for d in found]


def test_sorry_for_the_inconvenience_is_never_ownership() -> None:
    # The grader relies on this: a stock apology with no action after it owns nothing.
    for turn in [
        "Sorry for the inconvenience.",
        "We apologise for the inconvenience caused.",
        "I'm very sorry for the inconvenience, sir.",
    ]:
        assert M.OWN not in moves_in(turn)
    assert M.OWN in moves_in("Sorry for the inconvenience, I'll rebook the engineer now.")


def test_curly_apostrophes_match_like_plain_ones() -> None:
    plain = "I'm sorry. We can't refund it, but I'll replace it today. That's not true."
    curly = plain.replace("'", "\u2019")
    got_plain, got_curly = DETECTOR.detect(plain), DETECTOR.detect(curly)
    assert [(d.move, d.start, d.end) for d in got_plain] == [
        (d.move, d.start, d.end) for d in got_curly
    ]
    assert_evidence_verbatim(curly, got_curly)
    assert "\u2019" in "".join(d.text for d in got_curly)


@pytest.mark.parametrize(
    ("sentence", "negated"),
    [
        ("We can't refund that.", True),
        ("I'm unable to replace it.", True),
        ("We don't give refunds on sale items.", True),
        ("Unfortunately a refund is not possible.", True),
        ("We won't be able to send another one.", True),
        ("There are no refunds after 30 days.", True),
        ("I'll refund you today.", False),
        ("If it doesn't arrive by Friday, I'll refund you.", False),
        ("Don't worry, I'll send a replacement.", False),
        ("I can't wait to hear from you.", False),
        ("We can\u2019t refund that.", True),
        ("We can\u00b4t refund that.", True),
        ("we cant refund that", True),
    ],
)
def test_negations(sentence: str, negated: bool) -> None:
    assert DETECTOR.is_negated(sentence) is negated


# ------------------------------------------------------------------ properties

EXAMPLE_SENTENCES = sorted({t for _, t in EXAMPLES} | {t for _, t in COUNTEREXAMPLES})
NO_TURN_VETO = frozenset(m for m, p in EN.moves.items() if not p.unless_turn)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_gives_verbatim_evidence(text: str) -> None:
    assert_evidence_verbatim(text, DETECTOR.detect(text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(EXAMPLE_SENTENCES), min_size=1, max_size=8),
    st.sampled_from([" ", "\n", "  ", "\n\n", " \t "]),
    st.booleans(),
)
def test_moves_are_found_sentence_by_sentence(parts: list[str], glue: str, curly: bool) -> None:
    if curly:
        parts = [p.replace("'", "\u2019") for p in parts]
    # A part without a full stop (chat style) only ends its sentence at a line break.
    turn = parts[0]
    for before, part in zip(parts, parts[1:], strict=False):
        turn += (glue if before.rstrip()[-1:] in ".!?\u2026" else "\n") + part
    found = DETECTOR.detect(turn)
    assert_evidence_verbatim(turn, found)
    alone = set().union(*(moves_in(p) for p in parts))
    together = {d.move for d in found}
    # Other sentences can only veto a move (unless_turn), never create one...
    assert together <= alone
    # ...and moves that no other sentence can veto are all still there.
    assert alone & NO_TURN_VETO <= together


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.sampled_from(EXAMPLE_SENTENCES), st.text(max_size=30)), min_size=1, max_size=8
    ).map("".join)
)
def test_examples_mixed_with_noise_give_verbatim_evidence(turn: str) -> None:
    assert_evidence_verbatim(turn, DETECTOR.detect(turn))


def test_a_megabyte_turn_is_handled() -> None:
    block = " ".join(EXAMPLE_SENTENCES)
    turn = (block + "\n") * (1_000_000 // (len(block) + 1)) + "what can't refund the " * 2000
    assert len(turn) > 1_000_000
    found = DETECTOR.detect(turn)
    assert_evidence_verbatim(turn, found)
    assert {d.move for d in found} >= set(NO_TURN_VETO)


# ------------------------------------------------------------------ trainers' extra files

EXTRA = """\
schema_version: 1
language: en
negations:
  - \\bnot on your nelly\\b
moves:
  thank:
    patterns:
      - \\bcheers\\b
    examples:
      - Cheers for flagging that.
  calm_down:
    patterns:
      - \\bsimmer down\\b
"""


@pytest.fixture
def extra_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "trainer-patterns"
    folder.mkdir()
    monkeypatch.setenv("FRONTLINE_MOVE_PATTERNS", str(folder))
    return folder


def test_a_trainers_file_adds_patterns_and_keeps_the_shipped_ones(extra_folder: Path) -> None:
    (extra_folder / "en-retail.yaml").write_text(EXTRA, encoding="utf-8")
    (extra_folder / "fr.yaml").write_text("not: [even, valid", encoding="utf-8")  # other language
    detector = default_detector("en")
    assert detector is default_detector("en")  # built once per configuration
    assert M.THANK in moves_in("Cheers for flagging that.", detector)
    assert M.CALM_DOWN in moves_in("Simmer down, please.", detector)
    assert M.THANK in moves_in("Thank you for letting us know.", detector)
    assert detector.is_negated("Refund? Not on your nelly.")
    assert "Cheers for flagging that." in detector.patterns[M.THANK].examples
    assert len(detector.patterns[M.THANK].patterns) == len(EN.moves[M.THANK].patterns) + 1


def test_without_the_variable_only_the_shipped_file_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FRONTLINE_MOVE_PATTERNS", raising=False)
    monkeypatch.delenv("FRONTLINE_LANGUAGES", raising=False)
    assert pattern_files("en") == [EN_FILE]
    assert M.THANK not in moves_in("Cheers for flagging that.", default_detector("en"))


def test_several_folders_are_merged_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "en-a.yaml").write_text(EXTRA, encoding="utf-8")
    (second / "en-b.yaml").write_text(EXTRA.replace("cheers", "ta muchly"), encoding="utf-8")
    monkeypatch.setenv("FRONTLINE_MOVE_PATTERNS", os.pathsep.join([str(first), str(second)]))
    assert pattern_files("en") == [EN_FILE, first / "en-a.yaml", second / "en-b.yaml"]
    detector = default_detector("en")
    assert M.THANK in moves_in("Ta muchly.", detector)
    assert M.THANK in moves_in("Cheers.", detector)


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (EXTRA.replace("\\bsimmer down\\b", "(simmer down"), 13, "moves.calm_down.patterns"),
        (EXTRA.replace("  calm_down:", "  calm_dawn:"), 11, "calm_dawn"),
        (EXTRA.replace("    examples:", "    exampels:"), 9, "exampels"),
        (EXTRA.replace("schema_version: 1", "schema_version: 2"), 1, "schema_version"),
        (EXTRA.replace("      - \\bcheers\\b", "      - [unclosed"), 9, "invalid YAML"),
    ],
    ids=["bad regex", "unknown move", "unknown field", "future schema", "broken YAML"],
)
def test_a_broken_trainers_file_names_file_and_line(
    extra_folder: Path, content: str, line: int, words: str
) -> None:
    path = extra_folder / "en-broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FileProblems) as caught:
        default_detector("en")
    message = str(caught.value)
    assert f"{path}:{line}" in message, message
    assert words in message, message


def test_the_configured_detector_passes_its_own_examples() -> None:
    """With FRONTLINE_LANGUAGES (or FRONTLINE_MOVE_PATTERNS) set, this checks a trainer's
    examples (and that their additions break none of the shipped ones): see docs/moves.md."""
    detector = default_detector("en")
    wrong = []
    for move, patterns in detector.patterns.items():
        wrong += [
            f"{move} not found in {t!r}"
            for t in patterns.examples
            if move not in moves_in(t, detector)
        ]
        wrong += [
            f"{move} wrongly found in {t!r}"
            for t in patterns.counterexamples
            if move in moves_in(t, detector)
        ]
    assert not wrong, "\n".join(wrong)


def test_an_unknown_language_is_a_clear_problem() -> None:
    with pytest.raises(FileProblems, match="no move patterns for language 'xx'"):
        default_detector("xx")


def test_every_move_of_the_vocabulary_is_covered() -> None:
    assert set(EN.moves) == set(Move) == set(MOVES)
