"""ASGI middleware: body size limit (413 before reading), metrics, access log, security headers."""
from __future__ import annotations

import json
import logging
import os
import time
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.body_limits import BodyLimits, anonymous_limit, presents_valid_credential

access_log = logging.getLogger("access")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Pages ship every asset themselves (no CDN), so 'self' is enough; inline styles are
# allowed for SVG diagrams rendered on the server.
UI_CSP = (b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
          b"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class InputProblem(StarletteHTTPException):
    """A problem found while the body streams in (raised from `receive`).

    An HTTPException so FastAPI's body parsing re-raises it as it is; `shared.errors` answers
    with `problem` (a `shared.errors.Problem`).
    """

    def __init__(self, problem):
        super().__init__(problem.status, problem.detail)
        self.problem = problem


def _nul_paths(value, path: str = "") -> list[str]:
    """Where strings holding U+0000 sit in a decoded JSON value (field paths like `a.b.0`)."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nul_paths(k, path) + _nul_paths(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_paths(v, f"{path}.{i}".lstrip("."))]
    return []


def _nul_problem(fields: list[str], where: str):
    from shared.errors import Problem

    fields = sorted(set(fields)) or [where]
    message = "must not contain NUL (U+0000) characters"
    return Problem(422, "validation-error", "; ".join(f"{f}: {message}" for f in fields[:5]),
                   title="Request validation failed",
                   errors=[{"field": f, "in": where, "message": message, "type": "string_nul"} for f in fields])


class _TooLarge(StarletteHTTPException):
    """Raised from `receive` once the streamed body passes the limit.

    An HTTPException so that FastAPI's body parsing re-raises it as it is (it turns any
    other exception into a 400) and the problem handler answers 413.
    """

    def __init__(self, limit: int, path: str, anonymous: bool = False):
        super().__init__(413, _too_large_detail(limit, path, anonymous))


def _too_large_detail(limit: int, path: str, anonymous: bool) -> str:
    if anonymous:
        return (f"Request body exceeds the limit of {limit:,} bytes for callers without a valid API key or "
                f"token ({path}); authenticate to send more.")
    return f"Request body exceeds the limit of {limit:,} bytes for {path}."


class PlatformMiddleware:
    """One pure-ASGI layer for the cross-cutting concerns of every request."""

    def __init__(self, app: ASGIApp, *, max_body: int, body_limits: dict[str, int] | None = None,
                 metrics=None, service: str = ""):
        self.app = app
        self.limits = BodyLimits(max_body, body_limits)
        self.metrics = metrics
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        path = scope["path"]
        limit = self.limits.for_path(path)
        anonymous = anonymous_limit(scope)
        anonymous = limit if anonymous is None else min(anonymous, limit)
        authenticated: bool | None = None  # looked up only for a body over the anonymous limit
        request_id = os.urandom(8).hex()
        status_holder = {"status": 500, "started": False}
        headers = dict(scope.get("headers") or [])

        async def reply(status: int, slug: str, detail: str) -> None:
            """Answers before the body is read, in the app's problem format (Open311 paths have theirs);
            the connection closes, as the unread body cannot be skipped."""
            from shared.errors import Problem

            problem = Problem(status, slug, detail, title=slug.replace("-", " ").capitalize(),
                              headers={"connection": "close"})
            await self._problem(scope, receive, send_wrapper, problem)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                hdrs = list(message.get("headers", []))
                hdrs.extend(SECURITY_HEADERS)
                hdrs.append((b"x-request-id", request_id.encode()))
                if path.startswith("/ui") or path.startswith("/docs"):
                    if not path.startswith("/docs"):
                        hdrs.append((b"content-security-policy", UI_CSP))
                message = {**message, "headers": hdrs}
            await send(message)

        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = 0
            refused = None
            if size > limit:
                refused = _too_large_detail(limit, path, False)
            elif size > anonymous:
                authenticated = await presents_valid_credential(scope)
                if not authenticated:
                    refused = _too_large_detail(anonymous, path, True)
            if refused is not None:
                await reply(413, "payload-too-large", refused)
                self._observe(scope, 413, start, request_id)
                return
        # NUL characters: PostgreSQL text cannot hold them (an insert would fail with a 500) and
        # no legitimate text needs them; refused up front on every backend alike.
        if "\x00" in path:
            await reply(404, "not-found", "No resource at this path (it contains a NUL character).")
            self._observe(scope, 404, start, request_id)
            return
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            names = [k for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
                     if "\x00" in k or "\x00" in v]
            await self._problem(scope, receive, send_wrapper, _nul_problem(names, "query"))
            self._observe(scope, 422, start, request_id)
            return
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # Only text bodies are inspected (files legitimately contain NUL bytes).
        text_body = ctype == b"application/json" or ctype.endswith(b"+json") or \
            ctype == b"application/x-www-form-urlencoded"
        received = 0
        tail = b""
        suspect = False
        chunks: list[bytes] = []

        async def limited_receive() -> Message:
            nonlocal received, tail, suspect, authenticated
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise _TooLarge(limit, path)
                if received > anonymous:
                    if authenticated is None:
                        authenticated = await presents_valid_credential(scope)
                    if not authenticated:
                        raise _TooLarge(anonymous, path, anonymous=True)
                if text_body:
                    chunks.append(chunk)
                    window = tail + chunk
                    if b"\\u0000" in window or b"%00" in window or b"\x00" in window:
                        suspect = True
                    tail = window[-6:]
                    if suspect and not message.get("more_body"):
                        raw = b"".join(chunks)
                        if ctype == b"application/x-www-form-urlencoded":
                            fields = [k for k, v in parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
                                      if "\x00" in k or "\x00" in v]
                        else:
                            try:
                                fields = _nul_paths(json.loads(raw))
                            except ValueError:
                                fields = []  # malformed JSON: the app's own parser answers
                        if fields:
                            raise InputProblem(_nul_problem(fields, "body"))
            return message

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except InputProblem as exc:
            if not status_holder["started"]:
                await self._problem(scope, receive, send_wrapper, exc.problem)
            status_holder["status"] = exc.problem.status
        except _TooLarge as exc:
            if not status_holder["started"]:
                await reply(413, "payload-too-large", exc.detail)
            status_holder["status"] = 413
        finally:
            self._observe(scope, status_holder["status"], start, request_id)

    @staticmethod
    async def _problem(scope: Scope, receive: Receive, send: Send, problem) -> None:
        """Answers with the app's own problem format (Open311 paths have theirs)."""
        from starlette.requests import Request

        from shared.errors import problem_response

        response = problem_response(Request(scope, receive), problem)
        await response(scope, receive, send)

    def _observe(self, scope: Scope, status: int, start: float, request_id: str) -> None:
        elapsed = time.perf_counter() - start
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        if self.metrics is not None:
            self.metrics.observe_request(scope["method"], template, status, elapsed)
        if access_log.isEnabledFor(logging.INFO):
            principal = getattr(scope.get("state", {}).get("principal"), "party", None) \
                if isinstance(scope.get("state"), dict) else None
            # Only the route template is logged, never the concrete path, query or body:
            # those can carry personal data.
            access_log.info("request", extra={"method": scope["method"], "route": template,
                                              "status": status, "duration_ms": round(elapsed * 1000, 2),
                                              "party": principal, "request_id": request_id,
                                              "service": self.service})
