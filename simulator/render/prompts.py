"""Building the messages sent to a model, from the prompt file ``prompts.yaml``.

Rule for every prompt: the trainee's words go only into user-role messages, inside the
``<agent_message>`` wrapper, never into a system prompt. A trainee cannot close the
wrapper early: tag look-alikes in their text are defused before it is wrapped.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from string import Template

from pydantic import BaseModel, ConfigDict, field_validator

from ..moves.vocabulary import GOOD_MOVES, MOVES
from ..persona.model import Archetype, Persona, Temperament
from ..reactions import Reaction
from ..render.base import RenderRequest
from ..yamlfile import load_model
from .backend import Message

PROMPTS_FILE = Path(__file__).parent / "prompts.yaml"

LANGUAGES = {"en": "English", "es": "Spanish", "ru": "Russian", "zh": "Chinese",
             "bg": "Bulgarian", "pt": "Portuguese", "de": "German", "fr": "French",
             "it": "Italian", "nl": "Dutch", "pl": "Polish", "uk": "Ukrainian",
             "ja": "Japanese", "ko": "Korean", "tr": "Turkish", "ar": "Arabic"}

CUSTOMER_FIELDS = {"company", "name", "background", "archetype", "temperament", "tone",
                   "style", "quirks", "language", "channel", "title", "facts", "hidden_facts",
                   "expectation", "bottom_line", "if_crossed", "rejects", "anger", "trust",
                   "patience", "progress", "instructions", "retry_note"}


def _only(allowed: set[str]):
    def check(value: str) -> str:
        try:
            names = {m.group("named") or m.group("braced")
                     for m in Template.pattern.finditer(value) if not m.group("escaped")}
        except (ValueError, TypeError) as exc:
            raise ValueError(f"bad placeholder: {exc}") from None
        if None in names:
            raise ValueError("a lone '$' (write $$ for a dollar sign)")
        unknown = names - allowed
        if unknown:
            raise ValueError(f"unknown placeholder ${sorted(unknown)[0]}; this template may "
                             f"use: {', '.join('$' + n for n in sorted(allowed)) or 'none'}")
        return value
    return check


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerPrompts(_Strict):
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

    _system = field_validator("system")(_only(CUSTOMER_FIELDS))
    _fact = field_validator("fact_line")(_only({"fact"}))
    _offer = field_validator("offer_line")(_only({"offer"}))
    _rejected = field_validator("rejected_line")(_only({"rejected"}))
    _also = field_validator("also_line")(_only({"extra"}))
    _cue = field_validator("opening_cue")(_only(set()))
    _agent = field_validator("agent_message")(_only({"text"}))
    _retry = field_validator("retry_note")(_only({"reasons"}))

    @field_validator("reactions")
    @classmethod
    def _every_reaction(cls, value: dict[Reaction, str]) -> dict[Reaction, str]:
        missing = [r.value for r in Reaction if r not in value]
        if missing:
            raise ValueError(f"no description for reactions: {', '.join(missing)}")
        return value


class JudgePrompts(_Strict):
    system: str
    user: str

    _system = field_validator("system")(_only(set()))
    _user = field_validator("user")(_only({"question", "domain", "transcript"}))


class DetectorPrompts(_Strict):
    system: str
    user: str

    _system = field_validator("system")(_only({"moves"}))
    _user = field_validator("user")(_only({"text"}))


class PromptFile(_Strict):
    schema_version: int = 1
    customer: CustomerPrompts
    judge: JudgePrompts
    detector: DetectorPrompts


@lru_cache(maxsize=4)
def _load(path: str) -> PromptFile:
    return load_model(PromptFile, Path(path))


def load_prompts() -> PromptFile:
    """The prompt file: ``FRONTLINE_LLM_PROMPTS`` if set, else the shipped one."""
    return _load(os.environ.get("FRONTLINE_LLM_PROMPTS") or str(PROMPTS_FILE))


def sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


_CITATION = re.compile(r"\s*\(DOMAIN §[^)]*\)")


def uncite(text: str) -> str:
    """Drop the "(DOMAIN §n)" citations kept in the prompt file for trainers."""
    return _CITATION.sub("", text)


_TAG = re.compile(r"<\s*/?\s*(agent_message|transcript)\b", re.IGNORECASE)


def defuse(text: str) -> str:
    """Make wrapper tags inside untrusted text inert, so it cannot close its wrapper."""
    return _TAG.sub(lambda m: m.group(0).replace("<", "‹"), text)


def agent_message(text: str, prompts: PromptFile | None = None) -> str:
    """The trainee's words, wrapped as data for a user-role message."""
    p = prompts or load_prompts()
    return Template(p.customer.agent_message).substitute(text=defuse(text))


# -- the customer ------------------------------------------------------------------------
def language_name(code: str) -> str:
    return LANGUAGES.get(code.split("-")[0], code)


def _bullets(items: list[str]) -> str:
    return "\n".join(f"- {i}" for i in items) if items else "- (none)"


def _progress(request: RenderRequest) -> str:
    s = request.state
    bits = ["You feel heard." if s.heard else "You do not feel heard yet.",
            "You have been given some facts or a plan." if s.informed
            else "Nobody has explained anything yet."]
    if s.timescale:
        bits.append("You were told when it will happen.")
    return " ".join(bits)


def instructions(request: RenderRequest, prompts: PromptFile | None = None) -> str:
    """What the customer does in this reply, from the plan the state machine chose."""
    c = (prompts or load_prompts()).customer
    persona, plan = request.persona, request.plan
    hidden = {f.id: f.text for f in persona.case.hidden_facts}
    remedies = {r.id: r.description for r in persona.case.remedies}
    lines = [c.reactions[plan.reaction]]
    for extra in plan.extras:
        if extra is not plan.reaction:
            lines.append(Template(c.also_line).substitute(extra=c.reactions[extra]))
    if plan.fact and plan.fact in hidden:
        lines.append(Template(c.fact_line).substitute(fact=hidden[plan.fact]))
    if plan.offer and plan.offer in remedies:
        lines.append(Template(c.offer_line).substitute(offer=remedies[plan.offer]))
    if plan.rejected and plan.rejected in remedies:
        lines.append(Template(c.rejected_line).substitute(rejected=remedies[plan.rejected]))
    return "\n".join(lines)


def customer_system_prompt(request: RenderRequest, retry_reasons: list[str] | None = None,
                           prompts: PromptFile | None = None) -> str:
    """The system prompt for one customer reply. Contains no word typed by the trainee."""
    p = prompts or load_prompts()
    c = p.customer
    persona: Persona = request.persona
    case, who, state = persona.case, persona.identity, request.state
    given = set(state.revealed)
    hidden = [f"{f.text} (give it in this reply)" if f.id == request.plan.fact
              else f"{f.text} (already told)" if f.id in given
              else f"{f.text} (only if asked)" for f in case.hidden_facts]
    note = ""
    if retry_reasons:
        note = Template(c.retry_note).substitute(reasons="; ".join(dict.fromkeys(retry_reasons)))
    text = Template(c.system).substitute(
        company=who.company, name=who.name, background=who.background,
        archetype=c.archetypes[persona.archetype], temperament=c.temperaments[persona.temperament],
        tone=persona.style.tone, style=persona.style.description,
        quirks="".join(f" {q}" for q in persona.style.quirks),
        language=language_name(persona.language), channel=who.channel, title=case.title,
        facts=_bullets(case.facts), hidden_facts=_bullets(hidden),
        expectation=case.expectation, bottom_line=case.bottom_line, if_crossed=case.if_crossed,
        rejects=", ".join(case.rejects) or "(none in particular)",
        anger=round(state.anger), trust=round(state.trust), patience=round(state.patience),
        progress=_progress(request), instructions=instructions(request, p), retry_note=note,
    )
    return uncite(text).strip()


def customer_messages(request: RenderRequest, retry_reasons: list[str] | None = None,
                      prompts: PromptFile | None = None) -> list[Message]:
    """System prompt, then the conversation: customer turns as the assistant, agent turns
    as wrapped user messages. A neutral cue opens it, so roles alternate from a user turn
    (some chat templates insist)."""
    p = prompts or load_prompts()
    messages: list[Message] = [
        {"role": "system", "content": customer_system_prompt(request, retry_reasons, p)},
        {"role": "user", "content": p.customer.opening_cue},
    ]
    for turn in request.history:
        if turn.role == "customer":
            messages.append({"role": "assistant", "content": turn.text})
        else:
            messages.append({"role": "user", "content": agent_message(turn.text, p)})
    return messages


# -- the move detector -------------------------------------------------------------------
def detector_messages(text: str, prompts: PromptFile | None = None) -> list[Message]:
    p = prompts or load_prompts()
    moves = "\n".join(f"- {m.value}: {MOVES[m].description}" for m in sorted(GOOD_MOVES))
    return [{"role": "system", "content": Template(p.detector.system).substitute(moves=moves)},
            {"role": "user", "content": Template(p.detector.user).substitute(text=defuse(text))}]
