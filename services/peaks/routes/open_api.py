"""Open API for the five municipalities (`/open/v1/`): photos, peaks, statistics, certificate
verification, webhook subscriptions.

Every answer to a recognised key carries `X-RateLimit-Limit/Remaining/Reset` (a per-key token
bucket, `services.peaks.domain.ratelimit`); over the limit → 429 problem+json with `Retry-After`. GETs
answer cross-origin requests (CORS, `SPEC.cors_get_prefixes`). Photo pages carry an ETag computed
from a cached data version stamp (no rendering, no query), so `If-None-Match` → 304 is cheap;
see `services.peaks.flows.feed`.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from services.peaks.answers import CertificateVerification, Peaks, PhotoPage, Statistics
from services.peaks.domain import reference
from services.peaks.domain.errors import FlowError, InputError
from services.peaks.domain.open_data import (
    MAX_LIMIT,
    body_etag,
    etag_matches,
    parse_peaks,
    peaks_document,
    territory,
)
from services.peaks.domain.open_data import Query as PageQuery
from services.peaks.flows import certificates, open_api
from services.peaks.flows.feed import feed_of
from services.peaks.routes.deps import problem_of
from services.peaks.routes.open_auth import OpenKey, OpenRoute
from services.peaks.schemas import WebhookIn, WebhookOut, WebhooksOut
from shared.auth import Principal
from shared.deps import PlatformDep
from shared.errors import field_problem

JSON = "application/json"
PARTIES = ("ulju", "miryang", "yangsan", "gyeongju", "cheongdo")
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
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": MAX_LIMIT}},
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


def _photo_query(qp, party: str) -> PageQuery:
    """The page a query string asks for (parsed by hand: this is the hot path, see issue 7)."""
    peak = qp.get("peak") or None
    if peak is not None and (len(peak) > 40 or reference.find_peak(peak) is None):
        raise field_problem("peak", f"unknown peak {peak[:40]!r}; use one of: {', '.join(reference.peaks())}")
    try:
        limit = int(qp.get("limit", MAX_LIMIT))
    except ValueError:
        raise field_problem("limit", "must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise field_problem("limit", f"must be between 1 and {MAX_LIMIT}")
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
    scope = territory(party) if (_flag(qp, "mine") or _flag(qp, "territory")) else None
    return PageQuery(peaks=parse_peaks(peak, scope), updated_since=since, cursor=cursor, limit=limit)


@router.get("/photos", response_class=Response, openapi_extra={"parameters": _PHOTO_PARAMS},
            responses={200: {"model": PhotoPage, "description": "`{items: [...], next_cursor}`"},
                       304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
async def photos(request: Request, platform: PlatformDep, who: Caller) -> Response:
    """Approved photos of consenting climbers, most recently changed first: display name, peak, season,
    capture day and URLs of the EXIF-free display and thumbnail images. Poll with `updated_since` and
    `If-None-Match`; `mine=true` keeps only the peaks in your territory. Query parameters: `peak`,
    `updated_since`, `cursor`, `limit` (1-100, default 100), `mine`/`territory`."""
    q = _photo_query(request.query_params, who.party)
    feed = feed_of(platform)
    stamp = feed.fresh_stamp() or await run_in_threadpool(feed.stamp)
    etag = feed.etag_for(stamp, q)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag)
    pg = feed.cached(stamp, q) or await run_in_threadpool(feed.render, stamp, q)
    return _json(pg.body, pg.etag)


# --------------------------------------------------------------------------- peaks, statistics, certificates


_PEAKS_CACHE: dict[str | None, tuple[str, bytes]] = {}


@router.get("/peaks", response_class=Response,
            responses={200: {"model": Peaks}, 304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
async def peaks(request: Request, platform: PlatformDep, who: Caller) -> Response:
    """The nine peaks: names in Korean and English, aliases, elevation, summit coordinates (with an
    `approximate` flag), verification radius, municipalities, and whether they count this season."""
    season = reference.current_season(platform.clock())
    sid = season.id if season else None
    hit = _PEAKS_CACHE.get(sid)
    if hit is None:
        body = json.dumps(peaks_document(season), ensure_ascii=False, separators=(",", ":")).encode()
        hit = _PEAKS_CACHE[sid] = (body_etag(body), body)
    etag, body = hit
    if etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag, "public, max-age=300")
    return _json(body, etag, cache="public, max-age=300")


@router.get("/statistics", response_class=Response,
            responses={200: {"model": Statistics}, 304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
def statistics(request: Request, platform: PlatformDep, who: Caller,
               season: str | None = Query(default=None, max_length=16),
               days: int = Query(default=30, ge=1, le=366, description="Days of gallery views")) -> Response:
    """Figures of a season (default: the current one): participants, completions, photos by verdict,
    approvals per peak, medals, and gallery views per day (last `days` days, KST)."""
    try:
        doc = open_api.season_statistics(platform, season, days=days)
    except InputError as exc:
        raise problem_of(exc) from None
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    etag = body_etag(body)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return _not_modified(etag)
    return _json(body, etag)


@router.get("/certificates/{certificate_id}", responses={404: {"description": "No such certificate"}})
def certificate(platform: PlatformDep, who: Caller, certificate_id: str) -> CertificateVerification:
    """Verify a certificate by its id (same answer as the public `/v1/certificates/{certificate_id}`)."""
    try:
        return certificates.verification_document(platform, certificate_id)
    except FlowError as exc:
        raise problem_of(exc) from None


# --------------------------------------------------------------------------- webhooks


@router.post("/webhooks", status_code=201, response_model=WebhookOut,
             responses={409: {"description": "Too many subscriptions"}})
def subscribe(platform: PlatformDep, who: Caller, body: WebhookIn) -> WebhookOut:
    """Subscribe a URL to `photo.approved`, `certificate.issued` and/or `certificate.award_changed` (a held
    award granted or refused, or first place passed on after a refusal). Deliveries go through the outbox
    (retried with backoff until acknowledged with 2xx) and are signed with Standard Webhooks; the answer
    carries the secret to verify them. `territory=true` limits photo events to your own peaks."""
    try:
        return open_api.subscribe(platform, who.party, body)
    except (InputError, FlowError) as exc:
        raise problem_of(exc) from None


@router.get("/webhooks", response_model=WebhooksOut)
def list_subscriptions(platform: PlatformDep, who: Caller) -> WebhooksOut:
    """Your active webhook subscriptions."""
    return open_api.subscriptions(platform, who.party)


@router.delete("/webhooks/{subscription_id}", status_code=204, response_class=Response,
               responses={404: {"description": "No such subscription of yours"}})
def unsubscribe(platform: PlatformDep, who: Caller, subscription_id: str) -> Response:
    """Stop a subscription of yours (messages already queued are still delivered)."""
    try:
        open_api.unsubscribe(platform, who.party, subscription_id)
    except FlowError as exc:
        raise problem_of(exc) from None
    return Response(status_code=204)
