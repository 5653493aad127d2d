"""The customer's prompts: the ``customer`` section of the prompt file (with the persona's
language pack's wording over it), and the messages for one customer reply built from it
and the plan the state machine chose.

The trainee's words go only into user-role messages, inside the ``<agent_message>``
wrapper, never into the system prompt (:mod:`simulator.llm.prompt_file`).
"""

from __future__ import annotations

import re
from string import Template

from pydantic import field_validator

from ..languages import prompt_overlays
from ..llm.backend import Message
from ..llm.prompt_file import PromptSection, defuse, load_section, placeholders, uncite
from ..persona.model import Archetype, Persona, Temperament
from ..reactions import Reaction
from .base import RenderRequest, wish_text

LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "ru": "Russian",
    "zh": "Chinese",
    "bg": "Bulgarian",
    "pt": "Portuguese",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "uk": "Ukrainian",
    "ja": "Japanese",
    "ko": "Korean",
    "tr": "Turkish",
    "ar": "Arabic",
}

CUSTOMER_FIELDS = {
    "company",
    "name",
    "background",
    "archetype",
    "temperament",
    "tone",
    "style",
    "quirks",
    "language",
    "channel",
    "title",
    "facts",
    "hidden_facts",
    "expectation",
    "bottom_line",
    "if_crossed",
    "rejects",
    "anger",
    "trust",
    "patience",
    "progress",
    "instructions",
    "retry_note",
    "examples",
    "decision",
}


class CustomerPrompts(PromptSection):
    """The ``customer`` section of the prompt file."""

    system: str
    reactions: dict[Reaction, str]
    archetypes: dict[Archetype, str]
    temperaments: dict[Temperament, str]
    fact_line: str
    offer_line: str
    rejected_line: str
    also_line: str
    opening_cue: str
    agent_message: str
    retry_note: str
    # The machine's decision restated in one short line at the end of the prompt, where
    # small models heed it most: the reaction (without its citation), the fact to give, and
    # whether the customer may accept. Defaults, so older prompt files still load.
    decision_line: str = "In short: $decision"
    give_line: str = 'Give this fact, with its exact numbers and names: "$fact".'
    no_accept_line: str = "Do not accept, agree or thank them for a solution in this reply."
    no_examples: str = "(none)"

    _system = field_validator("system")(placeholders(CUSTOMER_FIELDS))
    _fact = field_validator("fact_line")(placeholders({"fact"}))
    _offer = field_validator("offer_line")(placeholders({"offer"}))
    _rejected = field_validator("rejected_line")(placeholders({"rejected"}))
    _also = field_validator("also_line")(placeholders({"extra"}))
    _cue = field_validator("opening_cue")(placeholders(set()))
    _agent = field_validator("agent_message")(placeholders({"text"}))
    _retry = field_validator("retry_note")(placeholders({"reasons"}))
    _decision = field_validator("decision_line")(placeholders({"decision"}))
    _give = field_validator("give_line")(placeholders({"fact"}))
    _no_accept = field_validator("no_accept_line")(placeholders(set()))

    @field_validator("reactions")
    @classmethod
    def _every_reaction(cls, value: dict[Reaction, str]) -> dict[Reaction, str]:
        missing = [r.value for r in Reaction if r not in value]
        if missing:
            raise ValueError(f"no description for reactions: {', '.join(missing)}")
        return value


def customer_prompts(language: str | None = None) -> CustomerPrompts:
    """The ``customer`` section of the prompt file in use, with the ``language`` pack's own
    wording (its ``prompts.yaml``) over it, field by field."""
    return load_section("customer", CustomerPrompts, overlays=prompt_overlays(language))


def instruction_texts(prompts: CustomerPrompts | None = None) -> list[str]:
    """The prompt's own instructions to the model, which a reply must never repeat (the
    prompt-text check): every template but the descriptions of reactions, archetypes and
    temperaments, whose wording a customer may well use ("I do not want excuses")."""
    p = prompts or customer_prompts()
    return [
        p.system,
        p.fact_line,
        p.offer_line,
        p.rejected_line,
        p.also_line,
        p.opening_cue,
        p.agent_message,
        p.retry_note,
    ]


def agent_message(text: str, prompts: CustomerPrompts | None = None) -> str:
    """The trainee's words, wrapped as data for a user-role message."""
    p = prompts or customer_prompts()
    return Template(p.agent_message).substitute(text=defuse(text))


# -- the customer ------------------------------------------------------------------------
def language_name(code: str) -> str:
    return LANGUAGES.get(code.split("-")[0], code)


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {i}" for i in items) if items else "- (none)"


def _progress(request: RenderRequest) -> str:
    s = request.state
    bits = [
        "You feel heard." if s.heard else "You do not feel heard yet.",
        "You have been given some facts or a plan."
        if s.informed
        else "Nobody has explained anything yet.",
    ]
    if s.timescale:
        bits.append("You were told when it will happen.")
    return " ".join(bits)


def instructions(request: RenderRequest, prompts: CustomerPrompts | None = None) -> str:
    """What the customer does in this reply, from the plan the state machine chose."""
    c = prompts or customer_prompts(request.persona.language)
    persona, plan = request.persona, request.plan
    hidden = {f.id: f.text for f in persona.case.hidden_facts}
    remedies = {r.id: r.description for r in persona.case.remedies}
    lines = [c.reactions[plan.reaction]]
    for extra in plan.extras:
        if extra is not plan.reaction:
            lines.append(Template(c.also_line).substitute(extra=c.reactions[extra]))
    if plan.fact and plan.fact in hidden:
        lines.append(Template(c.fact_line).substitute(fact=hidden[plan.fact]))
    elif plan.wish:
        lines.append(Template(c.fact_line).substitute(fact=wish_text(request)))
    if plan.offer and plan.offer in remedies:
        lines.append(Template(c.offer_line).substitute(offer=remedies[plan.offer]))
    if plan.rejected and plan.rejected in remedies:
        lines.append(Template(c.rejected_line).substitute(rejected=remedies[plan.rejected]))
    return "\n".join(lines)


_CITE = re.compile(r"\s*\(DOMAIN[^)]*\)")


def decision(request: RenderRequest, prompts: CustomerPrompts | None = None) -> str:
    """The machine's decision as one short explicit instruction."""
    c = prompts or customer_prompts(request.persona.language)
    plan = request.plan
    bits = [_CITE.sub("", c.reactions[plan.reaction]).strip()]
    hidden = {f.id: f.text for f in request.persona.case.hidden_facts}
    if plan.fact and plan.fact in hidden:
        bits.append(Template(c.give_line).substitute(fact=hidden[plan.fact]))
    elif plan.wish:
        bits.append(Template(c.give_line).substitute(fact=wish_text(request)))
    if plan.reaction is not Reaction.ACCEPT:
        bits.append(c.no_accept_line)
    return Template(c.decision_line).substitute(decision=" ".join(bits))


def style_examples(request: RenderRequest, prompts: CustomerPrompts | None = None) -> str:
    """The persona's own phrase-bank lines for this reaction, filled in: examples of the
    voice, in the persona's language (at most three)."""
    from .offline import bank_for, fill, fill_values  # the phrase banks' own filling

    c = prompts or customer_prompts(request.persona.language)
    try:
        lines = bank_for(request.persona, request.plan.reaction, request.state.anger)
    except KeyError:
        return c.no_examples
    values = fill_values(request)
    language = request.persona.language
    filled = list(dict.fromkeys(fill(line, values, language) for line in lines))[:3]
    return "\n".join(f"- {line}" for line in filled) or c.no_examples


def customer_system_prompt(
    request: RenderRequest,
    retry_reasons: list[str] | None = None,
    prompts: CustomerPrompts | None = None,
) -> str:
    """The system prompt for one customer reply. Contains no word typed by the trainee."""
    c = prompts or customer_prompts(request.persona.language)
    persona: Persona = request.persona
    case, who, state = persona.case, persona.identity, request.state
    given = set(state.revealed)
    hidden = [
        f"{f.text} (give it in this reply)"
        if f.id == request.plan.fact
        else f"{f.text} (already told)"
        if f.id in given
        else f"{f.text} (only if asked)"
        for f in case.hidden_facts
    ]
    note = ""
    if retry_reasons:
        note = Template(c.retry_note).substitute(reasons="; ".join(dict.fromkeys(retry_reasons)))
    text = Template(c.system).substitute(
        company=who.company,
        name=who.name,
        background=who.background,
        archetype=c.archetypes[persona.archetype],
        temperament=c.temperaments[persona.temperament],
        tone=persona.style.tone,
        style=persona.style.description,
        quirks="".join(f" {q}" for q in persona.style.quirks),
        language=language_name(persona.language),
        channel=who.channel,
        title=case.title,
        facts=_bullets(case.facts),
        hidden_facts=_bullets(hidden),
        expectation=case.expectation,
        bottom_line=case.bottom_line,
        if_crossed=case.if_crossed,
        rejects=", ".join(case.rejects) or "(none in particular)",
        anger=round(state.anger),
        trust=round(state.trust),
        patience=round(state.patience),
        progress=_progress(request),
        instructions=instructions(request, c),
        retry_note=note,
        examples=style_examples(request, c),
        decision=decision(request, c),
    )
    return uncite(text).strip()


def customer_messages(
    request: RenderRequest,
    retry_reasons: list[str] | None = None,
    prompts: CustomerPrompts | None = None,
) -> list[Message]:
    """System prompt, then the conversation: customer turns as the assistant, agent turns
    as wrapped user messages. A neutral cue opens it, so roles alternate from a user turn
    (some chat templates insist)."""
    p = prompts or customer_prompts(request.persona.language)
    messages: list[Message] = [
        {"role": "system", "content": customer_system_prompt(request, retry_reasons, p)},
        {"role": "user", "content": p.opening_cue},
    ]
    for turn in request.history:
        if turn.role == "customer":
            messages.append({"role": "assistant", "content": turn.text})
        else:
            messages.append({"role": "user", "content": agent_message(turn.text, p)})
    return messages
