"""Webhook events to partner subscriptions (`photo.approved`, `certificate.issued`,
`certificate.award_changed`) through the outbox.

Called inside the business transaction, so an event exists if and only if the change does;
the relay signs (Standard Webhooks) and delivers after the commit. Payloads carry no
personal data: ids, peak, season, display name at most (which is public on certificates).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.peaks.models import Certificate, Climber, WebhookSubscription
from shared import outbox

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

EVENTS = ("photo.approved", "certificate.issued", "certificate.award_changed")
_SUBJECT = {"photo.approved": ("photo", "id"), "certificate.issued": ("certificate", "number"),
            "certificate.award_changed": ("certificate", "number")}


def certificate_facts(cert: Certificate, climber: Climber) -> dict[str, Any]:
    """What partners learn of a certificate and its award: the display name only by the climber's consent."""
    return {"number": cert.number, "id": cert.id, "season": cert.season_id, "rank": cert.rank,
            "first_place": cert.first_place, "medal": cert.medal, "award": cert.award_status,
            "display_name": climber.display_name if climber.gallery_consent else None}


def notify_subscribers(session: Session, platform: PeaksPlatform, event: str, payload: Mapping[str, Any], *,
                       subject_type: str | None = None, subject_id: str | None = None,
                       peak_code: str | None = None) -> list[str]:
    """Enqueues `event` to every active subscription that asked for it; returns the outbox ids.

    `peak_code` (default: `payload["peak"]`) is matched against a subscription's optional
    territory filter. `subject_type`/`subject_id` default from the event kind and payload.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; known: {EVENTS}")
    default_type, id_field = _SUBJECT[event]
    subject_type = subject_type or default_type
    subject_id = subject_id or str(payload.get(id_field, ""))
    peak = peak_code if peak_code is not None else payload.get("peak")
    subs = session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
                           .order_by(WebhookSubscription.created_at, WebhookSubscription.id)).all()
    out = []
    for sub in subs:
        if event not in (sub.events or []):
            continue
        if sub.peaks and peak is not None and peak not in sub.peaks:
            continue
        if sub.party not in platform.parties:
            continue
        out.append(outbox.enqueue(
            session, platform.tables, from_party=platform.parties.operator, to_party=sub.party, kind=event,
            subject_type=subject_type, subject_id=subject_id, payload={"event": event, **payload},
            summary=f"{event} {subject_id}", target_url=sub.url))
    return out
