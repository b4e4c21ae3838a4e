"""Award review: the medals and first places held because the completing set showed signals of forgery or
scripting (`flows.certification`), with every reason, and Ulju-gun's decision on each.

Approving grants what was held (the medal already taken from the stock, first place). Refusing grants
nothing: a medal from a finite stock goes back to it, and a held first place passes to the next finisher of
the season whose award is not refused (granted at once if that award is settled, added to it if it is held
itself). The certificate stays in every case: it proves the completion, which the photos' own checks passed.
Every change of a certificate's award after it was issued (granted, refused, first place passed on to it) is
announced to the subscribed municipalities as `certificate.award_changed`, in the same transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.peaks.domain import reference
from services.peaks.domain.errors import FlowError
from services.peaks.domain.programme import is_certificate_id
from services.peaks.domain.reference import KST
from services.peaks.domain.verification import signals
from services.peaks.flows.certification import signals_of
from services.peaks.flows.events import certificate_facts, notify_subscribers
from services.peaks.models import Certificate, Climber, Photo, SeasonCounter
from shared.db import advisory_lock

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

log = logging.getLogger("services.peaks.flows.awards")
QUEUE_MAX = 200


def held(platform: PeaksPlatform, limit: int = QUEUE_MAX) -> list[dict[str, Any]]:
    """Held awards, oldest first: the certificate, what is held, every signal's reason and the set's photos."""
    with platform.db.read_session() as s:
        rows = s.execute(select(Certificate, Climber.display_name).join(Climber, Climber.id == Certificate.climber_id)
                         .where(Certificate.award_status == "held")
                         .order_by(Certificate.issued_at, Certificate.number).limit(limit)).all()
        sets: dict[tuple[str, str], list[str]] = {(c.climber_id, c.season_id): [] for c, _ in rows}
        for pid, climber_id, season_id in s.execute(  # every set's photos in one query
                select(Photo.id, Photo.climber_id, Photo.season_id)
                .where(Photo.climber_id.in_({k[0] for k in sets}), Photo.status == "approved")
                .order_by(Photo.created_at, Photo.id)):
            sets.get((climber_id, season_id), []).append(pid)
        return [_view(cert, name, sets[(cert.climber_id, cert.season_id)]) for cert, name in rows]


def _view(cert: Certificate, display_name: str, photos: list[str]) -> dict[str, Any]:
    return {"certificate_id": cert.id, "number": cert.number, "season": cert.season_id, "rank": cert.rank,
            "climber_id": cert.climber_id, "display_name": display_name, "held": list(cert.award_due or ()),
            "status": cert.award_status, "signals": list(cert.award_signals or ()), "photos": photos,
            "issued_at": cert.issued_at.astimezone(KST).isoformat(), "decided_by": cert.award_decided_by,
            "reason": cert.award_reason,
            "decided_at": cert.award_decided_at.astimezone(KST).isoformat() if cert.award_decided_at else None}


def decide(platform: PeaksPlatform, *, certificate_id: str, party: str, decision: str,
           reason: str) -> dict[str, Any]:
    """Grant ("approve") or refuse ("refuse") a held award; FlowError 404 (unknown), 409 (not held)."""
    if decision not in ("approve", "refuse"):
        raise FlowError(422, "validation-error", "decision must be 'approve' or 'refuse'")
    if not is_certificate_id(certificate_id):
        raise FlowError(404, "not-found", f"No certificate {certificate_id}.")
    now = platform.clock()
    with platform.db.session() as s:
        head = s.execute(select(Certificate.season_id).where(Certificate.id == certificate_id)).first()
        if head is None:
            raise FlowError(404, "not-found", f"No certificate {certificate_id}.")
        advisory_lock(s, "peaks-awards", head.season_id)  # one decision at a time per season (first place)
        cert = s.execute(select(Certificate).where(Certificate.id == certificate_id).with_for_update()).scalar_one()
        if cert.award_status != "held":
            raise FlowError(409, "award-not-held", f"The award of certificate {cert.number} is "
                                                   f"'{cert.award_status}'; only held awards can be decided.")
        due = list(cert.award_due or ())
        cert.award_decided_by, cert.award_reason, cert.award_decided_at = party, reason, now
        if decision == "approve":
            cert.award_status, cert.medal, cert.first_place = "granted", "medal" in due, "first_place" in due
        else:
            cert.award_status = "refused"
            if "medal" in due:
                _return_medal(s, cert.season_id)
                cert.medal_inscription = None  # no medal exists for this certificate
            s.flush()
            if "first_place" in due:
                _pass_first_place(s, platform, cert, now)
        s.flush()
        _announce(s, platform, cert, now)
        name = s.scalar(select(Climber.display_name).where(Climber.id == cert.climber_id)) or ""
        log.info("award decided", extra={"certificate": cert.number, "party": party, "award": cert.award_status})
        return _view(cert, name, [])


def _return_medal(session: Session, season_id: str) -> None:
    t = SeasonCounter.__table__
    session.execute(update(t).where(t.c.season_id == season_id, t.c.medals_remaining.is_not(None))
                    .values(medals_remaining=t.c.medals_remaining + 1))


def _announce(session: Session, platform: PeaksPlatform, cert: Certificate, now: datetime) -> None:
    climber = session.get(Climber, cert.climber_id)
    assert climber is not None
    notify_subscribers(session, platform, "certificate.award_changed",
                       {**certificate_facts(cert, climber), "changed_at": now.isoformat()})


def _pass_first_place(session: Session, platform: PeaksPlatform, refused: Certificate, now: datetime) -> None:
    """First place goes to the next finisher of the season whose award is not refused (if there is one yet;
    otherwise the next certificate issued takes it, see `certification._first_place_taken`). A held award
    takes it along to its review; a granted one (its set was judged when its medal was) gets it at once; one
    with nothing due yet has its set judged now, like any award."""
    nxt = session.execute(select(Certificate).where(
        Certificate.season_id == refused.season_id, Certificate.rank > refused.rank,
        Certificate.award_status != "refused").order_by(Certificate.rank).limit(1).with_for_update()).scalar_one_or_none()
    if nxt is None:
        return
    nxt.award_due = [*(nxt.award_due or ()), "first_place"]
    before = (nxt.award_status, nxt.first_place)
    if nxt.award_status == "none":
        climber = session.get(Climber, nxt.climber_id)
        assert climber is not None
        found = signals_of(session, climber, reference.season(nxt.season_id))
        if found:
            nxt.award_status, nxt.award_signals = "held", signals.signals_json(found)
    if nxt.award_status != "held":
        nxt.award_status, nxt.first_place = "granted", True
    if (nxt.award_status, nxt.first_place) != before:  # a held award only takes first place to its review
        session.flush()
        _announce(session, platform, nxt, now)
