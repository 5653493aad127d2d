"""Which language a request's page is in, and the persona's language for a session.

The picker on the practice page stores the user's choice (:meth:`SessionStore.set_ui_language`);
until then the page follows the browser (``Accept-Language``). Every handler asks
:func:`texts_for` for the strings of the request's language, so two users, or one user's
two browsers, each see their own: nothing about the language lives in module state.
"""

from __future__ import annotations

from html import escape

import gradio as gr

from ..errors import FrontlineError
from ..languages.catalogue import BASE, Texts
from ..persona import Persona
from ..persona.overlay import PersonaFile
from .auth import viewer
from .context import WebContext
from .locale import from_accept_language, ui_languages


def language_of(ctx: WebContext, request: gr.Request | None) -> str:
    """The request's page language: the user's choice, else the browser's, else English."""
    codes = [code for _, code in ui_languages()]
    try:
        chosen = ctx.store.ui_language(viewer(ctx, request).name)
    except gr.Error:  # not logged in: the login page's language is the browser's
        chosen = None
    if chosen in codes:
        return chosen
    headers = getattr(request, "headers", None) or {}
    return from_accept_language(headers.get("accept-language"), codes) or BASE


def texts_for(ctx: WebContext, request: gr.Request | None) -> Texts:
    """The UI strings of the request's language."""
    return Texts(language_of(ctx, request))


def language_name(code: str) -> str:
    """A language's name in itself ('Español'), or its code if no pack names it."""
    return dict((c, n) for n, c in ui_languages()).get(code, code)


def offered_languages(persona: PersonaFile) -> list[str]:
    """The languages a persona file can be played in: its base language, then every
    overlay that resolves (:meth:`PersonaFile.offered_languages`)."""
    return persona.offered_languages()


def in_language(persona: PersonaFile, language: str) -> Persona:
    """The persona as a session in ``language`` plays it, or in its base language when it
    is not written in that one (the practice page says so before the session starts)."""
    if language not in persona.offered_languages():
        return persona
    try:
        return persona.in_language(language)
    except FrontlineError:  # an overlay broken since it was listed: play the base
        return persona


def language_note(persona: PersonaFile | None, t: Texts) -> str:
    """What the picker says about the chosen customer in the page's language: that they
    speak it, or, clearly, which language the conversation will be in instead."""
    if persona is None:
        return ""
    offered = offered_languages(persona)
    if t.language in offered:
        text = t("practice.in_language", language=language_name(t.language))
        return f'<p class="fl-lang-note" data-ok="true">{escape(text)}</p>'
    names = ", ".join(language_name(code) for code in offered)
    text = t("practice.not_in_language", language=language_name(t.language), offered=names)
    return f'<p class="fl-lang-note" data-ok="false" role="status">{escape(text)}</p>'
