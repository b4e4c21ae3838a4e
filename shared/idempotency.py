"""`Idempotency-Key` on creating requests: replay, reuse with another body, and in-flight duplicates.

Authentication comes first: a record belongs to the authenticated caller (`party:<code>`, or a kind
registered with `KeyResolver.accept`, such as a peaks climber), whichever header carried the credential.
A request without a valid credential writes no record and runs without replay protection: a protected
route answers 401, a public one refuses the header (`shared.auth.Public`). Nothing secret or personal
is kept in clear: the scope, the client's key and the request fingerprint are keyed hashes, and the
stored answer is sealed with a key derived from SECRET_KEY (`shared.secretbox`, AES-GCM bound to its
scope and key), so a replay returns exactly the first answer (a token shown once included) to its own
caller only.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import secretbox
from shared.auth import caller_identity
from shared.db import utcnow
from shared.errors import PROBLEM_JSON, problem_type
from shared.ids import keyed_hash

if TYPE_CHECKING:
    from shared.platform import Platform

log = logging.getLogger("shared.idempotency")
_METHODS = {b"POST", b"PUT", b"PATCH"}
_KEEP_HEADERS = {"content-type", "location", "etag"}


def _problem(platform: Platform, status: int, slug: str, detail: str,
             headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    body = {"type": problem_type(slug, platform.settings.base_url), "title": slug.replace("-", " ").capitalize(), "status": status,
            "detail": detail}
    if status == 422:
        body["errors"] = [{"field": "Idempotency-Key", "in": "header", "message": detail}]
    h = {"content-type": PROBLEM_JSON, **(headers or {})}
    return status, h, json.dumps(body).encode()


class IdempotencyMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot intake path).

    The key is scoped to the authenticated caller, so two parties can never collide or
    read each other's stored responses. Responses ≥ 500 are not stored: the client may
    retry them. A crash after the business commit but before the response is stored
    leaves an in-flight record whose lock expires after `idempotency_lock_s`.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"].encode() not in _METHODS:
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        raw_key = headers.get(b"idempotency-key")
        if raw_key is None:
            return await self.app(scope, receive, send)
        platform = scope["app"].state.platform
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > 255 or not key.isprintable():
            return await _send(send, *_problem(platform, 400, "bad-idempotency-key",
                                               "Idempotency-Key must be 1–255 printable characters."))
        try:
            identity = await caller_identity(platform, headers)
        except Exception as exc:
            if not _database_down(exc):
                raise
            return await _send(send, *_unavailable(platform, exc))
        if identity is None:
            return await self.app(scope, receive, send)
        state = scope.get("state")
        if isinstance(state, dict):
            state["idempotency_scoped"] = True
        else:
            scope["state"] = {"idempotency_scoped": True}
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        secret = platform.settings.secret_key.get_secret_value()
        scope_id = keyed_hash(secret, "idempotency-scope", identity)
        key = keyed_hash(secret, "idempotency-key", key)  # the client's value may carry anything: not kept
        fingerprint = keyed_hash(secret, "idempotency-request", "\x00".join([
            scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"),
            hashlib.sha256(body).hexdigest()]))
        try:
            decision = await anyio.to_thread.run_sync(_claim, platform, scope_id, key, fingerprint)
        except Exception as exc:
            if not _database_down(exc):
                raise
            return await _send(send, *_unavailable(platform, exc))
        if decision is not None:
            return await _send(send, *decision)

        sent = False

        async def replay_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": [], "start": None}

        async def capture_send(message: Message) -> None:
            # Held back until the outcome is recorded: a client that has its response can
            # always replay it with the same key (no window where a retry sees "in flight").
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
                captured["start"] = message
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            await _quietly(_release, platform, scope_id, key)
            raise
        status = captured["status"]
        body = b"".join(captured["body"])
        if status >= 500:
            await _quietly(_release, platform, scope_id, key)
        else:
            kept = {k.decode().lower(): v.decode("latin-1") for k, v in captured["headers"]
                    if k.decode().lower() in _KEEP_HEADERS}
            # If the database went away after the business commit, the client still gets its
            # answer; the in-flight record then expires after `idempotency_lock_s`.
            await _quietly(_store, platform, scope_id, key, status, kept, body)
        if captured["start"] is not None:
            await send(captured["start"])
            await send({"type": "http.response.body", "body": body})


def _aad(scope_id: str, key: str) -> bytes:
    return f"{scope_id}\x00{key}".encode()


def _unavailable(platform: Platform, exc: BaseException) -> tuple[int, dict, bytes]:
    """The 503 the app's own handlers give when the database is down (this middleware sits outside them)."""
    log.warning("database unavailable", extra={"error": type(exc).__name__})
    return _problem(platform, 503, "database-unavailable", "The database is unreachable; retry shortly.",
                    {"retry-after": "5"})


def _database_down(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


async def _quietly(fn, *args) -> None:
    try:
        await anyio.to_thread.run_sync(fn, *args)
    except Exception as exc:
        if not _database_down(exc):
            raise
        log.warning("idempotency record not updated: database unavailable", extra={"error": type(exc).__name__})


async def _send(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _claim(platform: Platform, scope_id: str, key: str, fingerprint: str) -> tuple[int, dict, bytes] | None:
    """None: this request owns the key and proceeds. Otherwise the response to send."""
    t = platform.tables.idempotency
    s = platform.settings
    now = utcnow()
    with platform.db.session() as session:
        row = session.execute(select(t).where(t.c.scope == scope_id, t.c.key == key)).first()
        replay = None
        if row is not None and row.state == "done":
            replay = secretbox.unseal(s.secret_key.get_secret_value(), "idempotency-response",
                                      row.response_body or b"", _aad(scope_id, key))
        # Expired, or sealed under another SECRET_KEY (or altered): as good as never stored.
        if row is not None and (row.expires_at <= now or (row.state == "done" and replay is None)):
            session.execute(delete(t).where(t.c.id == row.id))
            row = None
        if row is None:
            try:
                with session.begin_nested():
                    session.execute(insert(t).values(
                        scope=scope_id, key=key, request_hash=fingerprint, state="in_flight",
                        created_at=now, locked_until=now + timedelta(seconds=s.idempotency_lock_s),
                        expires_at=now + timedelta(seconds=s.idempotency_ttl_s)))
            except IntegrityError:
                return _problem(platform, 409, "idempotency-in-flight",
                                "A request with this Idempotency-Key is being processed; retry later.",
                                {"retry-after": "1"})
            return None
        if row.request_hash != fingerprint:
            return _problem(platform, 422, "idempotency-key-reused",
                            "This Idempotency-Key was used with a different request body; use a new key.")
        if replay is not None:
            headers = dict(row.response_headers or {})
            headers["idempotent-replayed"] = "true"
            return row.response_status, headers, replay
        if row.locked_until > now:
            return _problem(platform, 409, "idempotency-in-flight",
                            "A request with this Idempotency-Key is being processed; retry later.",
                            {"retry-after": "1"})
        session.execute(update(t).where(t.c.id == row.id).values(
            locked_until=now + timedelta(seconds=s.idempotency_lock_s)))
        return None


def _store(platform: Platform, scope_id: str, key: str, status: int, headers: dict, body: bytes) -> None:
    t = platform.tables.idempotency
    sealed = secretbox.seal(platform.settings.secret_key.get_secret_value(), "idempotency-response", body,
                            _aad(scope_id, key))
    with platform.db.session() as session:
        session.execute(update(t).where(t.c.scope == scope_id, t.c.key == key).values(
            state="done", response_status=status, response_headers=headers, response_body=sealed))


def _release(platform: Platform, scope_id: str, key: str) -> None:
    t = platform.tables.idempotency
    with platform.db.session() as session:
        session.execute(delete(t).where(t.c.scope == scope_id, t.c.key == key, t.c.state == "in_flight"))
