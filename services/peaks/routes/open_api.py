"""Open API for the five municipalities (`/open/v1/`): photos, peaks, statistics, certificate
verification, webhook subscriptions.

Every answer to a recognised key carries `X-RateLimit-Limit/Remaining/Reset` (a per-key token
bucket, `services.peaks.ratelimit`); over the limit → 429 problem+json with `Retry-After`. GETs
answer cross-origin requests (CORS, `SPEC.cors_get_prefixes`). Photo pages carry an ETag computed
from a cached data version stamp (no rendering, no query), so `If-None-Match` → 304 is cheap;
see `services.peaks.open_api`.
"""
from __future__ import annotations

import hashlib
import inspect
import ipaddress
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from services.peaks import open_api, reference
from services.peaks.events import EVENTS
from services.peaks.models import WebhookSubscription
from services.peaks.photos import now_of
from services.peaks.ratelimit import TokenBuckets
from services.peaks.routes.certificates import verification
from services.peaks.routes.deps import platform_of
from shared import webhooks
from shared.auth import Principal, RequireParty
from shared.errors import Problem, field_problem
from shared.ids import new_id

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

JSON = "application/json"
PARTIES = ("ulju", "miryang", "yangsan", "gyeongju", "cheongdo")
MAX_SUBSCRIPTIONS = 20
PRINCIPAL_CACHE_S = 2.0
_bearer = HTTPBearer(auto_error=False, description="A municipality's open API key")


# --------------------------------------------------------------------------- auth + rate limit


class OpenKey(RequireParty):
    """A municipality's API key (async: no thread hop on the hot path), then one token from its bucket.

    Keys resolved by the platform's KeyResolver are remembered here for 2 s (a revoked key stops
    working within that plus the resolver's own 5 s cache). The rate decision is left in
    `request.state.open_api_headers` for `OpenRoute` to put on the answer, whatever it is.
    """

    def __init__(self, *parties: str):
        super().__init__(*parties)
        self._known: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    async def __call__(self, request: Request,  # type: ignore[override]
                       creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        key = creds.credentials.strip() if creds and creds.credentials else request.headers.get("x-api-key")
        if not key:
            raise Problem(401, "unauthorized", "An API key is required: send `Authorization: Bearer <key>`.",
                          headers={"WWW-Authenticate": "Bearer"})
        platform = request.app.state.platform
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        known = self._known.get(digest)
        if known is not None and known[0] > now:
            principal: Principal | None = known[1]
        else:
            principal = await run_in_threadpool(platform.keys.resolve, key)
            if principal is not None:
                with self._lock:
                    if len(self._known) > 10_000:
                        self._known.clear()
                    self._known[digest] = (now + PRINCIPAL_CACHE_S, principal)
        if principal is None:
            raise Problem(401, "unauthorized", "The API key is not valid.", headers={"WWW-Authenticate": "Bearer"})
        if not self.allows(principal):
            raise Problem(403, "forbidden", f"Party '{principal.party}' may not use the open API.",
                          allowed=sorted(self.parties))
        request.state.principal = principal
        decision = limiter_of(platform).take(digest)
        headers = decision.headers()
        request.state.open_api_headers = headers
        if not decision.allowed:
            raise Problem(429, "rate-limited",
                          f"Rate limit of {decision.limit} requests in a burst exceeded for this key; "
                          f"retry in {decision.retry_after_s} s.", headers=headers)
        return principal


def limiter_of(platform: PeaksPlatform) -> TokenBuckets:
    """The open API's per-key token buckets (`PeaksParts.limiter`)."""
    return platform.parts.limiter


class OpenRoute(APIRoute):
    """Puts the rate-limit headers on every answer of the open API, errors included."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except Problem as exc:
                exc.headers = {**getattr(request.state, "open_api_headers", {}), **exc.headers}
                raise
            except RequestValidationError as exc:
                response = request.app.exception_handlers[RequestValidationError](request, exc)
                if inspect.isawaitable(response):
                    response = await response
            for k, v in getattr(request.state, "open_api_headers", {}).items():
                response.headers.setdefault(k, v)
            return response

        return route


Caller = Annotated[Principal, Depends(OpenKey(*PARTIES))]
router = APIRouter(prefix="/open/v1", tags=["open API"], route_class=OpenRoute,
                   responses={401: {"description": "Missing or wrong API key"},
                              429: {"description": "Rate limit exceeded (see Retry-After)"}})


def _json(body: bytes, etag: str, *, cache: str = "private, no-cache") -> Response:
    return Response(body, media_type=JSON, headers={"ETag": etag, "Cache-Control": cache, "Vary": "Authorization"})


def _not_modified(etag: str, cache: str = "private, no-cache") -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache, "Vary": "Authorization"})


# --------------------------------------------------------------------------- photos


_PHOTO_PARAMS = [
    {"name": "peak", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 40},
     "description": "Peak code, name or alias"},
    {"name": "updated_since", "in": "query", "required": False, "schema": {"type": "string", "format": "date-time"},
     "description": "ISO 8601; without an offset: KST"},
    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 500}},
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": open_api.MAX_LIMIT, "default": open_api.MAX_LIMIT}},
    {"name": "mine", "in": "query", "required": False, "schema": {"type": "boolean", "default": False},
     "description": "Only peaks in the caller's territory"},
    {"name": "territory", "in": "query", "required": False, "schema": {"type": "boolean", "default": False},
     "description": "Same as `mine`"},
]
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


def _flag(qp, name: str) -> bool:
    value = qp.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise field_problem(name, "must be true or false")


def _photo_query(qp, party: str) -> open_api.Query:
    """The page a query string asks for (parsed by hand: this is the hot path, see issue 7)."""
    peak = qp.get("peak") or None
    if peak is not None and (len(peak) > 40 or reference.find_peak(peak) is None):
        raise field_problem("peak", f"unknown peak {peak[:40]!r}; use one of: {', '.join(reference.peaks())}")
    try:
        limit = int(qp.get("limit", open_api.MAX_LIMIT))
    except ValueError:
        raise field_problem("limit", "must be an integer") from None
    if not 1 <= limit <= open_api.MAX_LIMIT:
        raise field_problem("limit", f"must be between 1 and {open_api.MAX_LIMIT}")
    cursor = qp.get("cursor") or None
    if cursor is not None and len(cursor) > 500:
        raise field_problem("cursor", "is too long", status=400, slug="bad-cursor")
    since = None
    if raw := qp.get("updated_since"):
        try:
            since = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise field_problem("updated_since", "must be an ISO 8601 date-time, e.g. 2026-05-01T00:00:00+09:00"
                                ) from None
        since = (since if since.tzinfo else since.replace(tzinfo=reference.KST)).astimezone(UTC)
    scope = open_api.territory(party) if (_flag(qp, "mine") or _flag(qp, "territory")) else None
    return open_api.Query(peaks=open_api.parse_peaks(peak, scope), updated_since=since, cursor=cursor, limit=limit)


@router.get("/photos", response_class=Response, openapi_extra={"parameters": _PHOTO_PARAMS},
            responses={200: {"content": {JSON: {}}, "description": "`{items: [...], next_cursor}`"},
                       304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
async def photos(request: Request, who: Caller) -> Response:
    """Approved photos of consenting climbers, most recently changed first: display name, peak, season,
    capture day and URLs of the EXIF-free display and thumbnail images. Poll with `updated_since` and
    `If-None-Match`; `mine=true` keeps only the peaks in your territory. Query parameters: `peak`,
    `updated_since`, `cursor`, `limit` (1-100, default 100), `mine`/`territory`."""
    q = _photo_query(request.query_params, who.party)
    feed = open_api.feed_of(platform_of(request))
    stamp = feed.fresh_stamp() or await run_in_threadpool(feed.stamp)
    etag = feed.etag_for(stamp, q)
    if open_api.etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag)
    pg = feed.cached(stamp, q) or await run_in_threadpool(feed.render, stamp, q)
    return _json(pg.body, pg.etag)


# --------------------------------------------------------------------------- peaks, statistics, certificates


_PEAKS_CACHE: dict[str | None, tuple[str, bytes]] = {}


@router.get("/peaks", response_class=Response, responses={200: {"content": {JSON: {}}}, 304: {}})
async def peaks(request: Request, who: Caller) -> Response:
    """The nine peaks: names in Korean and English, aliases, elevation, summit coordinates (with an
    `approximate` flag), verification radius, municipalities, and whether they count this season."""
    season = reference.current_season(now_of(platform_of(request)))
    sid = season.id if season else None
    hit = _PEAKS_CACHE.get(sid)
    if hit is None:
        body = json.dumps(open_api.peaks_document(season), ensure_ascii=False, separators=(",", ":")).encode()
        hit = _PEAKS_CACHE[sid] = (open_api.body_etag(body), body)
    etag, body = hit
    if open_api.etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag, "public, max-age=300")
    return _json(body, etag, cache="public, max-age=300")


@router.get("/statistics", response_class=Response, responses={200: {"content": {JSON: {}}}, 304: {}})
def statistics(request: Request, who: Caller, season: str | None = Query(default=None, max_length=16),
               days: int = Query(default=30, ge=1, le=366, description="Days of gallery views")) -> Response:
    """Figures of a season (default: the current one): participants, completions, photos by verdict,
    approvals per peak, medals, and gallery views per day (last `days` days, KST)."""
    p = platform_of(request)
    now = now_of(p)
    try:
        se = reference.season(season) if season else reference.current_season(now) or reference.seasons()[-1]
    except KeyError:
        raise field_problem("season", f"unknown season {season!r}; known: "
                                      f"{', '.join(s.id for s in reference.seasons())}", status=404,
                            slug="not-found") from None
    with p.db.read_session() as s:
        doc = open_api.statistics(s, se, days=days, today=reference.today_kst(now))
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    etag = open_api.body_etag(body)
    if open_api.etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag)
    return _json(body, etag)


@router.get("/certificates/{number}", responses={404: {"description": "No such certificate"}})
def certificate(request: Request, who: Caller, number: str) -> dict:
    """Verify a certificate number (same answer as the public `/v1/certificates/{number}`)."""
    return verification(request, number)


# --------------------------------------------------------------------------- webhooks


class WebhookIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="https:// URL that receives the POSTs")
    events: list[Literal["photo.approved", "certificate.issued"]] = Field(min_length=1, max_length=2)
    territory: bool = Field(default=False, description="photo.approved only for peaks in your territory")


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    peaks: list[str] | None
    active: bool
    created_at: str
    secret: str = Field(description="Standard Webhooks signing secret (whsec_…) to verify deliveries")
    secret_version: int
    signature: str = "Standard Webhooks: headers webhook-id, webhook-timestamp, webhook-signature"


class WebhooksOut(BaseModel):
    items: list[WebhookOut]


def _secret(p, party: str) -> tuple[str, int]:
    """The party's current signing secret (the relay signs with it; see shared.webhooks)."""
    e = p.tables.endpoint
    with p.db.read_session() as s:
        version = s.scalar(select(e.c.secret_version).where(e.c.party == party, e.c.enabled.is_(True)))
    version = int(version or p.settings.webhook_secret_version)
    return webhooks.party_secret(p.settings.secret_key.get_secret_value(), party, version), version


def _out(sub: WebhookSubscription, secret: tuple[str, int]) -> WebhookOut:
    return WebhookOut(id=sub.id, url=sub.url, events=list(sub.events), peaks=sub.peaks, active=sub.active,
                      created_at=sub.created_at.astimezone(reference.KST).isoformat(), secret=secret[0],
                      secret_version=secret[1])


def _check_url(p, url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise field_problem("url", "must be an absolute http(s) URL, e.g. https://example.go.kr/hooks/peaks")
    allow_private = getattr(p.settings, "open_api_allow_private_webhooks", None)
    if allow_private is None:
        allow_private = p.settings.demo_mode
    if not allow_private:
        if parts.scheme != "https":
            raise field_problem("url", "must use https")
        host = parts.hostname.lower()
        try:
            private = not ipaddress.ip_address(host).is_global
        except ValueError:
            private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        if private:
            raise field_problem("url", "must point to a public host (no loopback or private addresses)")
    return url.strip()


@router.post("/webhooks", status_code=201, response_model=WebhookOut,
             responses={409: {"description": "Too many subscriptions"}})
def subscribe(request: Request, who: Caller, body: WebhookIn) -> WebhookOut:
    """Subscribe a URL to `photo.approved` and/or `certificate.issued`. Deliveries go through the outbox
    (retried with backoff until acknowledged with 2xx) and are signed with Standard Webhooks; the answer
    carries the secret to verify them. `territory=true` limits photo events to your own peaks."""
    p = platform_of(request)
    url = _check_url(p, body.url)
    events = [e for e in EVENTS if e in body.events]
    peaks = list(open_api.territory(who.party)) if body.territory else None
    now = datetime.now(UTC)
    with p.db.session() as s:
        n = s.scalar(select(func.count()).select_from(WebhookSubscription).where(
            WebhookSubscription.party == who.party, WebhookSubscription.active.is_(True)))
        if (n or 0) >= MAX_SUBSCRIPTIONS:
            raise Problem(409, "too-many-subscriptions",
                          f"At most {MAX_SUBSCRIPTIONS} active subscriptions per party; delete one first.")
        sub = WebhookSubscription(id=new_id("whs"), party=who.party, url=url, events=events, peaks=peaks,
                                  active=True, created_at=now)
        s.add(sub)
    return _out(sub, _secret(p, who.party))


@router.get("/webhooks", response_model=WebhooksOut)
def list_subscriptions(request: Request, who: Caller) -> WebhooksOut:
    """Your active webhook subscriptions."""
    p = platform_of(request)
    secret = _secret(p, who.party)
    with p.db.read_session() as s:
        subs = s.scalars(select(WebhookSubscription).where(WebhookSubscription.party == who.party,
                                                           WebhookSubscription.active.is_(True))
                         .order_by(WebhookSubscription.created_at, WebhookSubscription.id)).all()
        return WebhooksOut(items=[_out(x, secret) for x in subs])


@router.delete("/webhooks/{subscription_id}", status_code=204, response_class=Response,
               responses={404: {"description": "No such subscription of yours"}})
def unsubscribe(request: Request, who: Caller, subscription_id: str) -> Response:
    """Stop a subscription of yours (messages already queued are still delivered)."""
    p = platform_of(request)
    with p.db.session() as s:
        sub = s.get(WebhookSubscription, subscription_id)
        if sub is None or sub.party != who.party or not sub.active:
            raise Problem(404, "not-found", f"No active subscription {subscription_id} of yours.")
        sub.active = False
    return Response(status_code=204)
