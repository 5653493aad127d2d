"""The gate in front of gradio's server (an ASGI middleware), for what gradio's own login
cannot do:

- **logins follow the users file**: on every request the server checks whether a users file
  exists now (``WebContext.local_mode``), so users added while it runs turn logins on at
  once, without a restart;
- **login throttling**: ``POST /login`` is refused with 429 and a message saying how long to
  wait once a name or a client address has too many failures (:mod:`.throttle`);
- **downloads only to their owner**: a request for a file under the downloads folder
  (:mod:`.downloads`) from anyone but the user it was written for gets 404.

Gradio reads ``app.auth`` afresh on each request, so switching it here is enough.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from ..languages.catalogue import BASE
from .downloads import owner_of
from .locale import from_accept_language, ui_languages
from .throttle import LoginThrottle

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# gradio serves files at /gradio_api/file=<path> and (deprecated) /gradio_api/file/<path>.
FILE_ROUTE = re.compile(r"/file[=/](.+)$")
LOGIN_BODY_LIMIT = 16 * 1024  # a name and a password; refuse more before parsing it


class Gate:
    """ASGI middleware: ``Gate(app, ctx=..., checker=..., throttle=...)``."""

    def __init__(
        self,
        app: Callable,
        ctx: Any,
        checker: Callable[[str, str], bool],
        throttle: LoginThrottle | None = None,
    ):
        self.app = app
        self.ctx = ctx
        self.checker = checker
        self.throttle = throttle or LoginThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server_app = scope.get("app")
        local = self.ctx.local_mode
        if server_app is not None:
            server_app.auth = None if local else self.checker
        path = scope.get("path", "")
        if scope.get("method") == "POST" and path.rstrip("/").endswith("/login") and not local:
            await self._login(scope, receive, send)
            return
        route = FILE_ROUTE.search(path)
        if route and not local:
            owner = owner_of(route[1])
            if owner is not None and owner != _user(scope, server_app):
                await _respond(send, 404, {"detail": "File not found."})
                return
        await self.app(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > LOGIN_BODY_LIMIT:
                await _respond(send, 413, {"detail": "Login request too large."})
                return
            if not message.get("more_body"):
                break
        form = await Request(scope, _replay(body, None)).form()
        name = str(form.get("username") or "").strip()
        address = (scope.get("client") or ("?", 0))[0]
        refusal = self.throttle.refusal(name, address, _page_language(scope))
        if refusal is not None:
            await _respond(send, 429, {"detail": refusal})
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, _replay(body, receive), watch)
        if status and status[0] == 400:  # gradio: "Incorrect credentials."
            self.throttle.failed(name, address)
        elif status and status[0] == 200:
            self.throttle.succeeded(name)


def _replay(body: bytes, then: Receive | None) -> Receive:
    """A ``receive`` that gives the body already read, then (if any) the real one's messages."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive


def _page_language(scope: Scope) -> str:
    """The login page's language: the browser's (``Accept-Language``), as gradio's own
    login page follows it; nobody is logged in yet to have chosen one."""
    header = Request(scope).headers.get("accept-language")
    codes = [code for _, code in ui_languages()]
    return from_accept_language(header, codes) or BASE


def _user(scope: Scope, server_app: Any) -> str | None:
    """The logged-in user of a request, from gradio's session cookie."""
    cookie_id = getattr(server_app, "cookie_id", None)
    tokens = getattr(server_app, "tokens", None)
    if cookie_id is None or tokens is None:
        return None
    cookies = Request(scope).cookies
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return tokens.get(token) if token else None


async def _respond(send: Send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
