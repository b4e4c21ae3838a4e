"""The open API's use cases beyond the photo feed: season statistics and partners' webhook subscriptions."""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.peaks.domain import reference
from services.peaks.domain.errors import FlowError, InputError
from services.peaks.domain.open_data import territory
from services.peaks.flows.events import EVENTS
from services.peaks.models import Certificate, GalleryView, Photo, SeasonCounter, WebhookSubscription
from services.peaks.schemas import WebhookIn, WebhookOut, WebhooksOut
from shared import url_safety, webhooks
from shared.ids import new_id

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

MAX_SUBSCRIPTIONS = 20


def season_statistics(platform: PeaksPlatform, season: str | None, *, days: int) -> dict[str, Any]:
    """`statistics` of a season (default: the current one, else the latest); InputError 404 naming `season`."""
    now = platform.clock()
    try:
        se = reference.season(season) if season else reference.current_season(now) or reference.seasons()[-1]
    except KeyError:
        raise InputError("season", f"unknown season {season!r}; known: "
                                   f"{', '.join(s.id for s in reference.seasons())}", status=404,
                         code="not-found") from None
    with platform.db.read_session() as s:
        return statistics(s, se, days=days, today=reference.today_kst(now))


def statistics(session: Session, season: reference.Season, *, days: int, today: date) -> dict[str, Any]:
    """Figures of a season: participants, completions, approvals per peak, daily gallery views."""
    by_status = dict(session.execute(select(Photo.status, func.count()).where(Photo.season_id == season.id)
                                      .group_by(Photo.status)).all())
    participants = session.scalar(select(func.count(func.distinct(Photo.climber_id)))
                                  .where(Photo.season_id == season.id)) or 0
    per_peak = dict(session.execute(select(Photo.peak_code, func.count())
                                    .where(Photo.season_id == season.id, Photo.status == "approved")
                                    .group_by(Photo.peak_code)).all())
    completions = session.scalar(select(func.count()).select_from(Certificate)
                                 .where(Certificate.season_id == season.id)) or 0
    counter = session.get(SeasonCounter, season.id)
    first = today - timedelta(days=days - 1)
    views = dict(session.execute(select(GalleryView.day, GalleryView.count)
                                 .where(GalleryView.day >= first, GalleryView.day <= today)).all())
    peaks = reference.peaks()
    return {
        "season": season.id,
        "participants": participants,
        "completions": completions,
        "photos": {k: int(by_status.get(k, 0)) for k in ("approved", "needs_review", "rejected")},
        "approvals_per_peak": [
            {"peak": code, "name_en": peaks[code].name_en, "name_ko": peaks[code].name_ko,
             "active": season.is_active(code), "approved": int(per_peak.get(code, 0))} for code in peaks],
        "medals": {"stock": season.medal_stock,
                   "remaining": counter.medals_remaining if counter else season.finite_medal_stock},
        "gallery_views": [{"day": (first + timedelta(days=i)).isoformat(),
                           "views": int(views.get(first + timedelta(days=i), 0))} for i in range(days)],
    }



# --------------------------------------------------------------------------- webhooks


def _secret(platform: PeaksPlatform, party: str) -> tuple[str, int]:
    """The party's current signing secret (the relay signs with it; see shared.webhooks)."""
    e = platform.tables.endpoint
    with platform.db.read_session() as s:
        version = s.scalar(select(e.c.secret_version).where(e.c.party == party, e.c.enabled.is_(True)))
    version = int(version or platform.settings.webhook_secret_version)
    return webhooks.party_secret(platform.settings.secret_key.get_secret_value(), party, version), version


def _out(sub: WebhookSubscription, secret: tuple[str, int]) -> WebhookOut:
    return WebhookOut(id=sub.id, url=sub.url, events=list(sub.events), peaks=sub.peaks, active=sub.active,
                      created_at=sub.created_at.astimezone(reference.KST).isoformat(), secret=secret[0],
                      secret_version=secret[1])


def subscribe(platform: PeaksPlatform, party: str, body: WebhookIn) -> WebhookOut:
    """A new subscription of `party` (InputError naming `url`; FlowError 409 beyond MAX_SUBSCRIPTIONS)."""
    allow_private = platform.settings.open_api_allow_private_webhooks
    policy = url_safety.Policy(allow_local=platform.settings.demo_mode if allow_private is None else allow_private,
                               resolver=platform.relay.resolver)
    url = body.url.strip()
    try:  # the relay checks the URL again at every delivery and connects to the address it vetted
        url_safety.vet(url, policy)
    except url_safety.UnsafeURL as exc:
        raise InputError("url", f"{exc} (allowed: {policy.description})") from None
    events = [e for e in EVENTS if e in body.events]
    peaks = list(territory(party)) if body.territory else None
    with platform.db.session() as s:
        n = s.scalar(select(func.count()).select_from(WebhookSubscription).where(
            WebhookSubscription.party == party, WebhookSubscription.active.is_(True)))
        if (n or 0) >= MAX_SUBSCRIPTIONS:
            raise FlowError(409, "too-many-subscriptions",
                            f"At most {MAX_SUBSCRIPTIONS} active subscriptions per party; delete one first.")
        sub = WebhookSubscription(id=new_id("whs"), party=party, url=url, events=events, peaks=peaks,
                                  active=True, created_at=platform.clock())
        s.add(sub)
    return _out(sub, _secret(platform, party))


def subscriptions(platform: PeaksPlatform, party: str) -> WebhooksOut:
    """The party's active subscriptions, oldest first."""
    secret = _secret(platform, party)
    with platform.db.read_session() as s:
        subs = s.scalars(select(WebhookSubscription).where(WebhookSubscription.party == party,
                                                           WebhookSubscription.active.is_(True))
                         .order_by(WebhookSubscription.created_at, WebhookSubscription.id)).all()
        return WebhooksOut(items=[_out(x, secret) for x in subs])


def unsubscribe(platform: PeaksPlatform, party: str, subscription_id: str) -> None:
    """Stops a subscription of `party` (FlowError 404 if it has no such active one)."""
    with platform.db.session() as s:
        sub = s.get(WebhookSubscription, subscription_id)
        if sub is None or sub.party != party or not sub.active:
            raise FlowError(404, "not-found", f"No active subscription {subscription_id} of yours.")
        sub.active = False


def subscription_gone(session: Session, platform: PeaksPlatform, party: str, url: str) -> None:
    """A partner's receiver answered 410 Gone (Standard Webhooks: stop sending): its active subscriptions
    at that URL stop, as if it had deleted them (the relay calls this in its own transaction)."""
    session.execute(update(WebhookSubscription).where(WebhookSubscription.party == party,
                                                      WebhookSubscription.url == url,
                                                      WebhookSubscription.active.is_(True)).values(active=False))
