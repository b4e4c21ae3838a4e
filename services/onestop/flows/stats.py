"""Linkage performance for the consultative body: per agency and field, and vulnerable groups (small counts hidden)."""
from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.onestop.domain.reference import directory
from services.onestop.flows.common import KST
from services.onestop.models import Case, Referral
from services.onestop.parts import OnestopPlatform

SMALL_COUNT = 5  # counts below this are suppressed: a handful of residents could be recognised
GROUPS = ["disability", "career-interrupted", "marriage-immigrant", "caregiver", "basic-livelihood", "near-poor",
          "unemployed", "middle-aged", "youth", "older"]
AGENCY_COLUMNS = ["agency", "field", "sent", "accepted", "completed", "rejected", "rejected_by_reason",
                  "median_days_to_accept", "median_days_to_complete"]


def _field(service_key: str) -> str:
    """The service's field: the root of its first taxonomy term (finance, employment, welfare)."""
    return directory().service(service_key).taxonomy[0].split("/")[0]


def _median_days(deltas: list[float]) -> float | None:
    return round(statistics.median(deltas), 1) if deltas else None


def _window(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(since, time.min, KST) if since else None
    end = datetime.combine(until, time.max, KST) if until else None
    return start, end


def linkage(platform: OnestopPlatform, *, since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """Per agency and field: sent, accepted, completed, rejected by reason, median days; vulnerable groups."""
    with platform.db.read_session() as s:
        return _linkage(s, since=since, until=until)


def _linkage(session: Session, *, since: date | None, until: date | None) -> dict[str, Any]:
    start, end = _window(since, until)
    r = Referral.__table__.c
    q = select(r.agency, r.service_key, r.status, r.reason, r.sent_at, r.accepted_at, r.completed_at)
    if start:
        q = q.where(r.created_at >= start)
    if end:
        q = q.where(r.created_at <= end)
    buckets: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"sent": 0, "accepted": 0, "completed": 0, "rejected": Counter(), "to_accept": [], "to_complete": []})
    for row in session.execute(q):
        b = buckets[(row.agency, _field(row.service_key))]
        b["sent"] += 1
        if row.accepted_at:
            b["accepted"] += 1
            b["to_accept"].append((row.accepted_at - row.sent_at).total_seconds() / 86400)
        if row.status == "completed":
            b["completed"] += 1
            b["to_complete"].append((row.completed_at - row.sent_at).total_seconds() / 86400)
        if row.status == "rejected":
            b["rejected"][row.reason or "unknown"] += 1
    agencies = [{
        "agency": agency, "field": field, "sent": b["sent"], "accepted": b["accepted"], "completed": b["completed"],
        "rejected": sum(b["rejected"].values()), "rejected_by_reason": dict(sorted(b["rejected"].items())),
        "median_days_to_accept": _median_days(b["to_accept"]),
        "median_days_to_complete": _median_days(b["to_complete"]),
    } for (agency, field), b in sorted(buckets.items())]
    cq = select(Case.__table__.c.groups)
    if start:
        cq = cq.where(Case.__table__.c.created_at >= start)
    if end:
        cq = cq.where(Case.__table__.c.created_at <= end)
    counts = Counter(g for (groups,) in session.execute(cq) for g in (groups or []))
    groups = [{"group": g, "cases": counts[g] if counts[g] >= SMALL_COUNT else None,
               "suppressed": counts[g] < SMALL_COUNT} for g in GROUPS]
    return {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
            "agencies": agencies, "vulnerable_groups": groups,
            "suppression": f"group counts below {SMALL_COUNT} are shown as null (suppressed)"}


def to_csv(stats: dict[str, Any], table: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if table == "groups":
        w.writerow(["group", "cases"])
        for g in stats["vulnerable_groups"]:
            w.writerow([g["group"], f"<{SMALL_COUNT}" if g["suppressed"] else g["cases"]])
        return buf.getvalue()
    w.writerow(AGENCY_COLUMNS)
    for a in stats["agencies"]:
        reasons = "; ".join(f"{k}: {v}" for k, v in a["rejected_by_reason"].items())
        w.writerow([a["agency"], a["field"], a["sent"], a["accepted"], a["completed"], a["rejected"], reasons,
                    "" if a["median_days_to_accept"] is None else a["median_days_to_accept"],
                    "" if a["median_days_to_complete"] is None else a["median_days_to_complete"]])
    return buf.getvalue()
