"""A party's webhook endpoint for tests: verifies Standard Webhooks signatures, dedupes, counts.

It is a separate Starlette app run under a real uvicorn (`shared.testing.live_server`), so
the relay's HTTP calls, timeouts and refused connections are real.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.testing import live_server


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    sleep_s: float = 0.0


class Receiver:
    """`script` holds the replies to give, in order; afterwards `default` answers."""

    def __init__(self, secrets: list[str] | None = None):
        self.secrets = list(secrets or [])
        self.script: list[Reply] = []
        self.default = Reply(200)
        self.requests: list[str] = []  # webhook-id of every request, in arrival order
        self.delivered: Counter[str] = Counter()  # accepted (2xx) per webhook-id, after dedupe
        self.duplicates = 0
        self.rejected = 0
        self.payloads: dict[str, dict] = {}
        self._lock = threading.Lock()
        self.url = ""

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            wid = request.headers.get("webhook-id", "")
            if self.secrets:
                payload = None
                for secret in self.secrets:
                    try:
                        payload = Webhook(secret).verify(body, dict(request.headers))
                        break
                    except WebhookVerificationError:
                        continue
                if payload is None:
                    with self._lock:
                        self.rejected += 1
                    return JSONResponse({"error": "bad signature"}, status_code=401)
            with self._lock:
                self.requests.append(wid)
                reply = self.script.pop(0) if self.script else self.default
            if reply.sleep_s:
                await asyncio.sleep(reply.sleep_s)
            if 200 <= reply.status < 300:
                with self._lock:
                    if self.delivered[wid]:
                        # Dedupe by webhook-id: a redelivery is acknowledged but has no effect.
                        self.duplicates += 1
                    else:
                        self.delivered[wid] += 1
                        self.payloads[wid] = json.loads(body)  # the envelope: type, timestamp, data
            return JSONResponse({"ok": reply.status < 300}, status_code=reply.status, headers=reply.headers)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    @property
    def hook_url(self) -> str:
        return f"{self.url}/hook"

    def attempts_for(self, wid: str) -> int:
        with self._lock:
            return self.requests.count(wid)

    @contextlib.contextmanager
    def serve(self) -> Iterator[Receiver]:
        with live_server(self.app()) as server:
            self.url = server.url
            yield self
