"""How a conversation and a customer look on the page: persona cards, the chatbot's
messages, and the mood meter for a session."""

from __future__ import annotations

from html import escape

from ..languages.catalogue import Texts
from ..persona.model import Persona
from ..render.base import Turn
from ..sessions import Conversation
from .mood import meter_html

ENGLISH = Texts("en")  # the words before a page's language is known (and in the CLI's tests)


def _kind(p: Persona, t: Texts) -> tuple[str, str]:
    return t(f"archetype.{p.archetype.value}"), t(f"temperament.{p.temperament.value}")


def persona_label(p: Persona, t: Texts = ENGLISH) -> str:
    """One radio 'card': who, what kind, how hard, and the case in one line."""
    archetype, temperament = _kind(p, t)
    return (
        f"{p.identity.name} · {archetype} · {temperament} · "
        f"{'★' * p.difficulty}{'☆' * (5 - p.difficulty)} — {p.case.title}"
    )


def persona_card(p: Persona | None, t: Texts = ENGLISH) -> str:
    """The selected persona as a card: summary and case, never the hidden facts."""
    if p is None:
        return f'<div class="fl-card fl-empty">{escape(t("card.empty"))}</div>'
    tags = "".join(
        f'<span class="fl-tag">{escape(tag)}</span>'
        for tag in (
            *_kind(p, t),
            t("card.complaint", type=t(f"complaint_type.{p.case.type.value}")),
            t("card.difficulty", level=p.difficulty),
            t(f"channel.{p.identity.channel}"),
        )
    )
    versus = escape(t("card.versus", company=p.identity.company))
    return (
        f'<div class="fl-card" data-persona="{escape(p.id)}"><div class="fl-card-name">'
        f"{escape(p.identity.name)} <small>{versus}</small></div>"
        f'<div class="fl-tags">{tags}</div><div class="fl-card-case">'
        f'<b>{escape(p.case.title)}</b></div><div class="fl-card-summary">'
        f"{escape(p.summary)}</div></div>"
    )


def brief_panel(p: Persona, t: Texts = ENGLISH) -> str:
    """The trainee's brief beside the chat: who they work for and the company's rules for
    the case, what may be offered and where flexibility ends (DOMAIN §3.9). Collapsible
    (a ``<details>`` element, open at first); never the customer's own lines. The frame is
    ``t``'s words; the company and its rules are the persona's (its language overlay's)."""
    ident, rules = p.identity, p.case.company_rules
    channel = t(f"channel.{ident.channel}")
    lines = [t("brief.works_for", company=ident.company, channel=channel)]
    if rules is None:
        lines.append(t("brief.no_rules"))
    else:
        lines.append(t("brief.may_offer", standard=rules.standard))
        lines.append(t("brief.limit", limit=rules.limit))
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return (
        f'<details class="fl-brief" open data-persona="{escape(p.id)}">'
        f"<summary>{escape(t('brief.summary'))}</summary>"
        f'<ul class="fl-brief-lines">{items}</ul>'
        f'<p class="fl-brief-note">{escape(t("brief.note"))}</p></details>'
    )


def chat_messages(turns: list[Turn]) -> list[dict]:
    """The conversation in the chatbot's messages format (the trainee is the 'user')."""
    return [
        {"role": "assistant" if t.role == "customer" else "user", "content": t.text} for t in turns
    ]


def session_meter(conv: Conversation, t: Texts = ENGLISH) -> str:
    """The mood meter for the session's current state, with the last turn's change and
    its reasons (as the terminal shows them), in ``t``'s language."""
    steps = conv.steps
    prev = steps[-2].state if len(steps) > 1 else None
    s = conv.state
    return meter_html(
        s.anger,
        s.trust,
        s.patience,
        (prev.anger, prev.trust, prev.patience) if prev else None,
        [c.reason for c in steps[-1].changes],
        t,
    )
