"""Simulated parties: a signed-webhook receiver per party and an autopilot that answers as them."""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from fastapi import APIRouter, Request
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from shared import webhooks
from shared.auth import autopilot_key
from shared.db import utcnow
from shared.errors import Problem

if TYPE_CHECKING:
    from shared.platform import Platform

log = logging.getLogger("shared.sim")


@dataclass(frozen=True)
class InboxItem:
    id: int
    receiver: str
    webhook_id: str
    kind: str
    subject_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Action:
    """One HTTP call a simulated party makes to the hub's API, as itself."""

    method: str
    path: str
    json: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    ok_statuses: frozenset[int] = field(default_factory=lambda: frozenset({200, 201, 202, 204}))


class AutopilotPolicy:
    """What each simulated party does with a message it received, and after how long.

    Services subclass it: `delay_s` (seconds before acting) and `actions` (the calls).
    """

    def delay_s(self, party: str, kind: str, payload: dict[str, Any]) -> float:
        return 1.0

    def actions(self, item: InboxItem) -> list[Action]:
        return []


WEBHOOK_ID_MAX = 64  # the inbox column's length; our own ids (msg_<ULID>) have 30 characters
_WEBHOOK_ID = re.compile(rf"[A-Za-z0-9._:~-]{{1,{WEBHOOK_ID_MAX}}}")


def checked_webhook_id(value: str | None) -> str:
    """The `webhook-id` header if it is a usable message id (1–64 of letters, digits and `._:~-`), else a
    400 problem naming the header (checked before the body is read or anything is stored). A missing
    header is left to the signature check (401)."""
    if not value or _WEBHOOK_ID.fullmatch(value):
        return value or ""
    what = (f"{len(value)} characters long" if len(value) > WEBHOOK_ID_MAX
            else "not made of letters, digits and ._:~-")
    raise Problem(400, "webhook-id-invalid",
                  f"Header webhook-id is {what}: it must be 1-{WEBHOOK_ID_MAX} letters, digits or ._:~-.",
                  errors=[{"field": "webhook-id", "in": "header",
                           "message": f"1-{WEBHOOK_ID_MAX} letters, digits or ._:~-"}])


def sim_router() -> APIRouter:
    router = APIRouter(prefix="/sim", include_in_schema=False)

    @router.post("/{party}/webhooks")
    async def receive(party: str, request: Request) -> dict[str, Any]:
        platform = request.app.state.platform
        if party not in platform.parties:
            raise Problem(404, "not-found", f"No simulated party {party!r}.")
        webhook_id = checked_webhook_id(request.headers.get("webhook-id"))
        body = await request.body()
        secrets = webhooks.secrets_for(platform.settings.secret_key.get_secret_value(), party,
                                       platform.settings.webhook_secret_version, include_previous=True)
        envelope = webhooks.verify(body, request.headers, secrets, tolerance_s=platform.settings.webhook_tolerance_s)
        stored = await anyio.to_thread.run_sync(_store, platform, party, webhook_id, envelope)
        return {"received": webhook_id, "duplicate": not stored}

    return router


def _store(platform: Platform, party: str, webhook_id: str, envelope: dict[str, Any]) -> bool:
    """Records the message once per webhook-id (the dedupe happens in the same transaction)."""
    data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
    kind = str(envelope.get("type", "unknown"))[:80]
    delay = platform.autopilot_policy.delay_s(party, kind, data) / max(platform.settings.autopilot_speed, 0.001)
    now = utcnow()
    try:
        with platform.db.session() as s:
            s.execute(insert(platform.tables.inbox).values(
                receiver=party, webhook_id=webhook_id, kind=kind,
                subject_id=str(data.get("subject_id") or data.get("id") or "")[:64] or None, payload=data,
                received_at=now, due_at=now + timedelta(seconds=delay), attempts=0))
        return True
    except IntegrityError:
        return False


class Autopilot:
    """Plays the simulated parties: acts on their inbox once each message is due."""

    MAX_ATTEMPTS = 5

    def __init__(self, platform: Platform, *, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable = utcnow):
        self.platform = platform
        self.transport = transport
        self.clock = clock

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.platform.settings.base_url, transport=self.transport, timeout=10.0)

    async def run(self, stop: asyncio.Event) -> None:
        async with self._client() as client:
            while not stop.is_set():
                try:
                    n = await self.run_once(client)
                except Exception:
                    log.exception("autopilot iteration failed")
                    n = 0
                if n == 0:
                    try:
                        await asyncio.wait_for(stop.wait(), timeout=self.platform.settings.autopilot_poll_interval_s)
                    except TimeoutError:
                        pass

    async def run_once(self, client: httpx.AsyncClient | None = None) -> int:
        items = await anyio.to_thread.run_sync(self._due)
        if not items:
            return 0
        own = client is None
        client = client or self._client()
        try:
            for item in items:
                await self._play(client, item)
        finally:
            if own:
                await client.aclose()
        return len(items)

    def _due(self) -> list[InboxItem]:
        p = self.platform
        i = p.tables.inbox
        external = p.external_parties()
        with p.db.read_session() as s:
            rows = s.execute(select(i).where(i.c.processed_at.is_(None), i.c.due_at <= self.clock())
                             .order_by(i.c.due_at).limit(50)).all()
        return [InboxItem(r.id, r.receiver, r.webhook_id, r.kind, r.subject_id, dict(r.payload or {}))
                for r in rows if r.receiver not in external]

    async def _play(self, client: httpx.AsyncClient, item: InboxItem) -> None:
        p = self.platform
        headers = {"authorization": f"Bearer {autopilot_key(p.settings.secret_key.get_secret_value(), item.receiver)}"}
        result = "done"
        failed = False
        try:
            for action in p.autopilot_policy.actions(item):
                resp = await client.request(action.method, action.path, json=action.json, data=action.data,
                                            headers=headers)
                if resp.status_code == 409:
                    result = f"skipped: {action.path} answered 409 (someone acted first)"
                    break
                if resp.status_code not in action.ok_statuses:
                    failed = True
                    result = f"{action.method} {action.path} → HTTP {resp.status_code}"
                    break
        except httpx.HTTPError as exc:
            failed, result = True, f"{type(exc).__name__}"
        except Exception as exc:  # a policy bug must not stop the other parties
            log.exception("autopilot policy failed")
            failed, result = True, f"policy error: {type(exc).__name__}"
        await anyio.to_thread.run_sync(self._mark, item, failed, result)

    def _mark(self, item: InboxItem, failed: bool, result: str) -> None:
        p = self.platform
        i = p.tables.inbox
        now = self.clock()
        with p.db.session() as s:
            row = s.execute(select(i.c.attempts).where(i.c.id == item.id)).first()
            attempts = (row.attempts if row else 0) + 1
            if failed and attempts < self.MAX_ATTEMPTS:
                values = dict(attempts=attempts, result=result, due_at=now + timedelta(seconds=2 ** attempts))
            else:
                values = dict(attempts=attempts, result=result, processed_at=now)
            s.execute(update(i).where(i.c.id == item.id).values(**values))
