"""Who is asking: login against the users file, and the viewer's role on every request.

Gradio's login page calls :func:`login_checker`; afterwards ``gr.Request.username`` names
the user on every event, and the role is looked up in the users file each time (so a
changed role applies at once). Without a users file everyone is the local user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import gradio as gr

from ..languages.catalogue import BASE, Texts
from ..users import Role, UserStore
from .context import WebContext
from .locale import from_accept_language, ui_languages

LOCAL_USER = "local"


@dataclass(frozen=True)
class Viewer:
    """The person behind one request."""

    name: str
    role: Role
    local: bool = False

    @property
    def can_design(self) -> bool:
        return self.role.can_design


class AccessDenied(gr.Error):
    """Shown to the user; the request does nothing."""


def login_note(limit: int, pause: int) -> str:
    """The note under the login form, one line per UI language, each marked with its
    ``lang``. Gradio shows one note to every visitor, before it knows who they are or
    which language they read (its own labels follow the browser), so every language's
    line is there: a trainee finds theirs instead of an English-only page."""
    return "<br>".join(
        f'<span lang="{code}">{escape(Texts(code)("login.note", limit=limit, pause=pause))}</span>'
        for _, code in ui_languages()
    )


def login_checker(users: UserStore) -> Callable[[str, str], bool]:
    """The callable gradio's login page uses: True when name and password match."""

    def check(name: str, password: str) -> bool:
        return users.authenticate(name.strip(), password) is not None

    return check


def viewer(ctx: WebContext, request: gr.Request | None) -> Viewer:
    """The viewer of a request; raises :class:`AccessDenied` if they are not a known user."""
    if ctx.local_mode:
        return Viewer(LOCAL_USER, Role.ADMIN, local=True)
    name = getattr(request, "username", None) if request is not None else None
    role = ctx.users.role_of(name) if name else None
    if role is None:
        # Nobody to ask for a chosen language: the browser's.
        headers = getattr(request, "headers", None) or {}
        codes = [code for _, code in ui_languages()]
        language = from_accept_language(headers.get("accept-language"), codes) or BASE
        raise AccessDenied(Texts(language)("error.not_logged_in"))
    return Viewer(name, role)


def require_designer(
    ctx: WebContext, request: gr.Request | None, page: str = "page.designer"
) -> Viewer:
    """The viewer, if they may use trainer pages; else :class:`AccessDenied` naming the
    page (``page`` is its catalogue key) in the viewer's language."""
    who = viewer(ctx, request)
    if not who.can_design:
        from .language_view import texts_for  # it asks this module who the viewer is

        t = texts_for(ctx, request)
        raise AccessDenied(t("error.trainers_only", page=t(page)))
    return who


def banner(ctx: WebContext, who: Viewer, t: Texts) -> str:
    """The line at the top of the page saying who is logged in (or that the app is local),
    in the page's language."""
    if who.local:
        return f'<div class="fl-banner">{t("banner.local")}</div>'
    logged_in = t("banner.logged_in", name=escape(who.name), role=t(f"role.{who.role.value}"))
    return (
        f'<div class="fl-banner" data-user="{escape(who.name)}">{logged_in} · '
        f'<a href="logout" target="_self">{escape(t("banner.log_out"))}</a></div>'
    )
