"""Failure handling for every call to a language model, in one place.

The ``openai`` client is built with ``max_retries=0``; retrying is decided here, with
tenacity, so that the rules are the same for the customer, the move detector and the judge:

* transient failures are retried with exponential backoff and jitter: connection errors,
  timeouts, 429 (rate limit, honouring ``Retry-After`` up to the maximum wait) and 5xx;
* 400-class errors (bad request, bad key, unknown model) are never retried: sending the
  same request again cannot help;
* a stream is retried only while none of its text has reached the trainee; once it has,
  a failure is reported as :class:`StreamInterrupted`, never silently replayed.

Whatever goes wrong ends in one :class:`BackendError` whose message is meant for the user.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import openai
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from ..errors import FrontlineError

log = logging.getLogger("frontline.llm")

T = TypeVar("T")


class BackendError(FrontlineError):
    """The language model could not give an answer. ``str(err)`` is a message for the user.

    ``reason`` is one of: connection, timeout, rate_limit, server_error, bad_request,
    auth, not_found, malformed, incomplete, interrupted. ``transient`` says whether trying
    again later may work (the UI offers "retry"); Frontline can always continue offline.
    """

    def __init__(
        self, message: str, *, reason: str, transient: bool = False, status: int | None = None
    ):
        super().__init__(message)
        self.reason = reason
        self.transient = transient
        self.status = status


class StreamInterrupted(BackendError):
    """A stream broke after some of its text was produced.

    ``shown`` is the text that already reached the trainee (it cannot be taken back);
    when it is empty the stream may safely be tried again.
    """

    def __init__(self, message: str, *, shown: str, partial: str = ""):
        super().__init__(message, reason="interrupted", transient=True)
        self.shown = shown
        self.partial = partial or shown


class IncompleteResponse(Exception):
    """The server ended a response without finishing it (no finish reason): transient."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try, and how long to wait in between (seconds)."""

    attempts: int = 3
    initial_wait: float = 0.5
    max_wait: float = 8.0
    jitter: float = 0.5

    def backoff(self, attempt_number: int) -> float:
        """Seconds to wait after failed attempt ``attempt_number`` (1-based)."""
        n = max(0, attempt_number - 1)
        delay = min(self.max_wait, self.initial_wait * (2**n))
        return min(self.max_wait, delay + random.uniform(0, self.jitter * delay))

    def wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter; a server's Retry-After wins, within max_wait."""
        delay = self.backoff(state.attempt_number)
        exc = state.outcome.exception() if state.outcome else None
        after = _retry_after(exc)
        if after is not None:
            delay = min(self.max_wait, max(delay, after))
        return delay

    def retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(max(1, self.attempts)),
            wait=self.wait,
            retry=retry_if_exception(is_transient),
            reraise=True,
            before_sleep=_log_retry,
        )


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    try:
        return float(response.headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "language model call failed (%s: %s); attempt %d, retrying in %.2fs",
        type(exc).__name__,
        exc,
        state.attempt_number,
        state.next_action.sleep if state.next_action else 0.0,
    )


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same request again may succeed."""
    if isinstance(exc, StreamInterrupted):
        return not exc.shown
    if isinstance(exc, BackendError):
        return False  # already final: retried below it, or a permanent error
    if isinstance(exc, openai.APIConnectionError | IncompleteResponse):  # incl. timeouts
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def describe(exc: BaseException, where: str, attempts: int = 1) -> BackendError:
    """Turn any failure of a model call into a :class:`BackendError` for the user."""
    if isinstance(exc, BackendError):
        return exc
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    if isinstance(exc, openai.APITimeoutError):
        return BackendError(
            f"{where} did not answer in time{tried}.", reason="timeout", transient=True
        )
    if isinstance(exc, openai.APIConnectionError):
        return BackendError(
            f"Could not reach {where}{tried}: is the server running and the base URL right?",
            reason="connection",
            transient=True,
        )
    if isinstance(exc, IncompleteResponse):
        return BackendError(
            f"{where} ended its answer before finishing it{tried}.",
            reason="incomplete",
            transient=True,
        )
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        detail = _error_detail(exc)
        if code == 429:
            return BackendError(
                f"{where} is rate-limiting requests (429){tried}; wait a moment and retry.",
                reason="rate_limit",
                transient=True,
                status=code,
            )
        if code >= 500:
            return BackendError(
                f"{where} had a server error ({code}){tried}.{detail}",
                reason="server_error",
                transient=True,
                status=code,
            )
        if code in (401, 403):
            return BackendError(
                f"{where} refused the API key ({code}); check FRONTLINE_LLM_API_KEY.{detail}",
                reason="auth",
                status=code,
            )
        if code == 404:
            return BackendError(
                f"{where} does not know this model or endpoint (404); check "
                f"FRONTLINE_LLM_MODEL and FRONTLINE_LLM_BASE_URL.{detail}",
                reason="not_found",
                status=code,
            )
        return BackendError(
            f"{where} rejected the request ({code}).{detail}", reason="bad_request", status=code
        )
    if isinstance(exc, json.JSONDecodeError | ValueError | TypeError | AttributeError):
        return BackendError(
            f"{where} sent a malformed response ({type(exc).__name__}: {exc}).", reason="malformed"
        )
    return BackendError(f"{where} failed: {type(exc).__name__}: {exc}", reason="connection")


def _error_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    return f" The server said: {str(message)[:300]}" if message else ""


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy, where: str) -> T:
    """Call ``fn`` under ``policy``; raise :class:`BackendError` when it cannot succeed."""
    retrying = policy.retrying()
    try:
        return retrying(fn)
    except Exception as exc:
        raise describe(exc, where, retrying.statistics.get("attempt_number", 1)) from exc


def stream_with_retry(
    open_stream: Callable[[], Iterator[T]],
    policy: RetryPolicy,
    where: str,
    has_text: Callable[[T], bool],
    text_of: Callable[[T], str],
) -> Iterator[T]:
    """Yield a stream's items, retrying only until the first item carrying text.

    Opening the stream and reading up to its first text item is the unit that is retried;
    after that, items go to the caller and a failure raises :class:`StreamInterrupted`
    with the text produced so far.
    """

    def open_and_peek() -> tuple[Iterator[T], list[T]]:
        it = iter(open_stream())
        head: list[T] = []
        for item in it:
            head.append(item)
            if has_text(item):
                break
        return it, head

    it, head = call_with_retry(open_and_peek, policy, where)
    produced = ""
    try:
        for item in head:
            produced += text_of(item)
            yield item
        for item in it:
            produced += text_of(item)
            yield item
    except Exception as exc:
        err = describe(exc, where)
        raise StreamInterrupted(f"{err} The reply was cut off part-way.", shown=produced) from exc
    finally:
        close = getattr(it, "close", None)
        if close is not None:  # a consumer that stops early also ends the HTTP stream
            close()


def stream_until_shown(
    attempt: Callable[[], Iterator[str]], policy: RetryPolicy, where: str
) -> Iterator[str]:
    """Yield the text of ``attempt()``; run it again if its stream breaks before any of it
    was yielded (a caller that holds text back, like the sentence gate, may get a
    :class:`StreamInterrupted` from the backend while the trainee has seen nothing).

    Once text has been yielded, a failure raises :class:`StreamInterrupted` whose
    ``shown`` is exactly that text. Other backend errors were already retried below and
    are raised as they are.
    """
    for number in range(1, max(1, policy.attempts) + 1):
        shown = ""
        try:
            for piece in attempt():
                shown += piece
                yield piece
            return
        except BackendError as exc:
            if shown:
                raise StreamInterrupted(
                    str(exc), shown=shown, partial=getattr(exc, "partial", shown)
                ) from exc
            if not isinstance(exc, StreamInterrupted):
                raise
            if number >= policy.attempts:
                raise BackendError(
                    f"{where} kept breaking off its answer (tried {number} times).",
                    reason="interrupted",
                    transient=True,
                ) from exc
            delay = policy.backoff(number)
            log.warning(
                "stream from %s broke before anything was shown; attempt %d, retrying in %.2fs",
                where,
                number,
                delay,
            )
            time.sleep(delay)
