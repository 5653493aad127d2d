"""A fake OpenAI-compatible HTTP server on 127.0.0.1, for tests and benchmarks.

It is a real server on an ephemeral port, in a thread, so the real ``openai`` client
(which sends through httpx2, out of reach of respx-style mocks) talks to it over TCP.
Each test scripts what the server does with :class:`Reply` objects:

* plain JSON completions and SSE streams, with or without a usage-only final chunk;
* any status code (429, 500, 400…) with an OpenAI-style error body;
* a delay before answering (to trigger client timeouts) and a delay per streamed chunk;
* a stream cut mid-way (the socket is closed without finishing the chunked body);
* a malformed body (not JSON) and reasoning deltas (``reasoning_content``).

Replies are taken from a queue in order; when it is empty, ``default`` answers (a
callable receiving the request body may decide per request). Every request body and
its headers are recorded in ``requests`` for assertions, and the send time of every
streamed content chunk in ``sent`` (for benchmarks; ``GET /v1/_sent`` returns and clears
it, and ``python tests/fake_openai_server.py`` serves from a process of its own).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the server does with one request to /v1/chat/completions."""

    content: str = "Hello."
    status: int = 200
    error_message: str = ""
    delay: float = 0.0  # seconds to wait before sending anything
    chunk_delay: float = 0.0  # seconds between two streamed content chunks
    chunks: list[str] | None = None  # explicit stream pieces; default: split content in words
    cut_after: int | None = None  # close the socket after this many content chunks
    usage_chunk: bool = True  # send a usage-only final chunk when asked for usage
    malformed: bool = False  # send a body that is not valid JSON
    reasoning: str = ""  # streamed/sent as reasoning_content before the content
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)


Responder = Callable[[dict[str, Any]], Reply]


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, abandoned streams) are part of the scripts.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | OSError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as srv: OpenAI(base_url=srv.base_url, ...)``."""

    def __init__(self, default: Reply | Responder | None = None, model: str = "fake-model"):
        self.queue: deque[Reply | Responder] = deque()
        self.default: Reply | Responder = default or Reply()
        self.model = model
        self.requests: list[Recorded] = []
        # (time.perf_counter(), text) of every content chunk just before it is written;
        # the server runs in the caller's process, so benchmarks can compare clocks.
        self.sent: list[tuple[float, str]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle --------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers sleeping out a scripted delay
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting --------------------------------------------------------------------
    def script(self, *replies: Reply | Responder) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self.queue.extend(replies)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            item = self.queue.popleft() if self.queue else self.default
        return item(body) if callable(item) else item

    def chat_requests(self) -> list[dict[str, Any]]:
        """The bodies of every chat completion request received so far."""
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/_sent"):  # for benchmarks in another process
                sent, server.sent[:] = list(server.sent), []
                self._json(200, sent)
            elif self.path.rstrip("/").endswith("/models"):
                self._json(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {
                                "id": server.model,
                                "object": "model",
                                "created": 0,
                                "owned_by": "fake",
                            }
                        ],
                    },
                )
            else:
                self._json(404, {"error": {"message": "not found", "type": "not_found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
            server.requests.append(Recorded(self.path, body, dict(self.headers.items())))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": "not found", "type": "not_found"}})
                return
            reply = server.next_reply(body)
            if reply.delay and server.stopping.wait(reply.delay):
                return
            if reply.status != 200:
                self._json(
                    reply.status,
                    {
                        "error": {
                            "message": reply.error_message or f"scripted status {reply.status}",
                            "type": "scripted",
                            "code": reply.status,
                        }
                    },
                    reply.headers,
                )
            elif body.get("stream"):
                self._stream(reply, body)
            elif reply.malformed:
                self._raw(200, b'{"id": "x", "choices": [ {"message": ', "application/json")
            else:
                self._json(200, _completion(reply, body, server.model), reply.headers)

        # -- writing ----------------------------------------------------------------
        def _raw(
            self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            self._raw(status, json.dumps(data).encode(), "application/json", headers)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _event(self, payload: Any) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            self._chunk(f"data: {text}\n\n".encode())

        def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            base = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": server.model,
            }

            def delta(d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                return {**base, "choices": [{"index": 0, "delta": d, "finish_reason": finish}]}

            self._event(delta({"role": "assistant", "content": ""}))
            if reply.reasoning:
                self._event(delta({"reasoning_content": reply.reasoning}))
            pieces = reply.chunks if reply.chunks is not None else _words(reply.content)
            for i, piece in enumerate(pieces):
                if reply.cut_after is not None and i >= reply.cut_after:
                    # Abandon the chunked body half-way: the client sees a broken stream.
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    self.close_connection = True
                    return
                if i and reply.chunk_delay and server.stopping.wait(reply.chunk_delay):
                    return
                if reply.malformed:
                    self._event("{not json")
                    continue
                server.sent.append((time.perf_counter(), piece))
                self._event(delta({"content": piece}))
            self._event(delta({}, reply.finish_reason))
            wants_usage = (body.get("stream_options") or {}).get("include_usage")
            if wants_usage and reply.usage_chunk:
                self._event({**base, "choices": [], "usage": _usage(body, reply.content)})
            self._event("[DONE]")
            self._chunk(b"")  # the terminating zero-length chunk

    return Handler


def _words(text: str) -> list[str]:
    parts = text.split(" ")
    return [p if i == len(parts) - 1 else p + " " for i, p in enumerate(parts)]


def _usage(body: dict[str, Any], content: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion = len(content.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(reply: Reply, body: dict[str, Any], model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        "usage": _usage(body, reply.content),
    }


def main() -> None:
    """Serve in a process of its own (benchmarks), printing the base URL on the first line:
    ``python tests/fake_openai_server.py --content "Hi." --chunk-delay 0.02``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--content", default="Hello.")
    parser.add_argument("--chunk-delay", type=float, default=0.0)
    args = parser.parse_args()
    server = FakeOpenAIServer(default=Reply(content=args.content, chunk_delay=args.chunk_delay))
    server.start()
    print(server.base_url, flush=True)
    try:
        sys.stdin.read()  # serve until the parent closes our stdin
    finally:
        server.stop()


if __name__ == "__main__":
    main()
