"""The Batch API endpoints (/v1/files, /v1/batches) on top of the fake OpenAI server.

Extends :class:`fake_openai_server.FakeOpenAIServer` (owned by the LLM tests) without
changing it: the request handler is subclassed to answer file uploads, batch creation,
retrieval and listing, and file downloads. A batch goes ``validating`` -> ``in_progress``
-> ``completed`` over successive retrievals (``polls_to_complete``); on completion every
request line is answered by the server's usual responder (``default`` / ``script``), so
the same scripted replies work for live and batch calls. ``fail_batches`` makes the next
N batches end ``failed`` instead.
"""

from __future__ import annotations

import itertools
import json
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from fake_openai_server import FakeOpenAIServer, _completion


class FakeBatchServer(FakeOpenAIServer):
    def __init__(
        self, *args: Any, polls_to_complete: int = 2, fail_batches: int = 0, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = {}
        self.polls_to_complete = polls_to_complete
        self.fail_batches = fail_batches
        self.created = 0
        self._ids = itertools.count(1)
        base = self._server.RequestHandlerClass
        server = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:
                path = self.path.split("?")[0].rstrip("/")
                if "/files/" in path and path.endswith("/content"):
                    file_id = path.split("/")[-2]
                    data = server.files.get(file_id, {}).get("data")
                    if data is None:
                        return self._json(404, {"error": {"message": "no such file"}})
                    return self._raw(200, data, "application/octet-stream")
                if "/batches/" in path:
                    batch = server.retrieve(path.split("/")[-1])
                    if batch is None:
                        return self._json(404, {"error": {"message": "no such batch"}})
                    return self._json(200, batch)
                if path.endswith("/batches"):
                    return self._json(
                        200,
                        {
                            "object": "list",
                            "has_more": False,
                            "data": list(server.batches.values()),
                        },
                    )
                return super().do_GET()

            def do_POST(self) -> None:
                path = self.path.rstrip("/")
                if path.endswith("/files"):
                    length = int(self.headers.get("content-length") or 0)
                    raw = self.rfile.read(length)
                    return self._json(200, server.upload(self.headers["content-type"], raw))
                if path.endswith("/batches"):
                    length = int(self.headers.get("content-length") or 0)
                    body = json.loads(self.rfile.read(length) or b"{}")
                    return self._json(200, server.create_batch(body))
                return super().do_POST()

        self._server.RequestHandlerClass = Handler

    # -- the endpoints' logic ---------------------------------------------------------
    def upload(self, content_type: str, raw: bytes) -> dict[str, Any]:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        data, filename, purpose = b"", "upload", ""
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                data = part.get_payload(decode=True)
                filename = part.get_filename() or filename
            elif name == "purpose":
                purpose = part.get_content().strip()
        return self._add_file(data, filename, purpose)

    def _add_file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        file_id = f"file-{next(self._ids)}"
        meta = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "filename": filename,
            "purpose": purpose,
            "created_at": int(time.time()),
            "status": "processed",
        }
        self.files[file_id] = {**meta, "data": data}
        return meta

    def create_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        self.created += 1
        batch_id = f"batch-{next(self._ids)}"
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": body["endpoint"],
            "input_file_id": body["input_file_id"],
            "completion_window": body["completion_window"],
            "status": "validating",
            "created_at": int(time.time()),
            "metadata": body.get("metadata"),
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
        }
        self.polls[batch_id] = 0
        return self.batches[batch_id]

    def retrieve(self, batch_id: str) -> dict[str, Any] | None:
        batch = self.batches.get(batch_id)
        if batch is None or batch["status"] in ("completed", "failed"):
            return batch
        self.polls[batch_id] += 1
        if self.polls[batch_id] < self.polls_to_complete:
            batch["status"] = "in_progress"
        elif self.fail_batches > 0:
            self.fail_batches -= 1
            batch["status"] = "failed"
        else:
            self._run(batch)
        return batch

    def _run(self, batch: dict[str, Any]) -> None:
        lines = self.files[batch["input_file_id"]]["data"].decode().splitlines()
        out, errors = [], []
        for line in filter(None, lines):
            request = json.loads(line)
            reply = self.next_reply(request["body"])
            if reply.status == 200:
                out.append(
                    {
                        "id": f"req-{next(self._ids)}",
                        "custom_id": request["custom_id"],
                        "response": {
                            "status_code": 200,
                            "request_id": "r",
                            "body": _completion(reply, request["body"], self.model),
                        },
                        "error": None,
                    }
                )
            else:
                errors.append(
                    {
                        "id": f"req-{next(self._ids)}",
                        "custom_id": request["custom_id"],
                        "response": {
                            "status_code": reply.status,
                            "body": {"error": {"message": reply.error_message or "scripted error"}},
                        },
                        "error": None,
                    }
                )
        batch["output_file_id"] = self._add_file(
            "".join(json.dumps(x) + "\n" for x in out).encode(), "out.jsonl", "batch_output"
        )["id"]
        if errors:
            batch["error_file_id"] = self._add_file(
                "".join(json.dumps(x) + "\n" for x in errors).encode(), "err.jsonl", "batch_output"
            )["id"]
        batch["status"] = "completed"
        batch["request_counts"] = {
            "total": len(out) + len(errors),
            "completed": len(out),
            "failed": len(errors),
        }
