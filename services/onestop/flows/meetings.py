"""Case-management meetings: an agenda generated from the data, pseudonymised views, decisions with follow-ups."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.onestop.domain import vulnerability
from services.onestop.flows import referrals
from services.onestop.flows.common import get_or_404, iso, today_kst
from services.onestop.models import AgendaItem, Case, Meeting, Referral, Resident, Task
from services.onestop.parts import OnestopPlatform
from services.onestop.schemas import Decision, MeetingCreate
from shared.auth import Principal
from shared.errors import Problem, field_problem
from shared.ids import new_id


def agenda_config(settings_days: dict[str, int], body_days: dict[str, int] | None) -> vulnerability.AgendaConfig:
    base = vulnerability.model().agenda
    days = {**base.stalled_days, **settings_days, **(body_days or {})}
    return dataclasses.replace(base, stalled_days=days)


def _candidates(session: Session, config: vulnerability.AgendaConfig, now) -> tuple[list[Case], list[Referral]]:
    """Only the rows the agenda can be about, so a meeting stays fast with 100,000 referrals."""
    stalled = or_(*[and_(Referral.status == s, Referral.status_changed_at < now - timedelta(days=d))
                    for s, d in config.stalled_days.items()])
    risky = session.scalars(select(Case).where(Case.status == "open", or_(
        Case.urgent_flag_count >= config.min_urgent_flags,
        Case.vulnerability_score >= config.score_threshold,
        and_(Case.urgent_flag_count > 0, Case.created_at >= now - timedelta(days=config.new_case_days + 1)),
    ))).all()
    rerouted = select(Referral.case_id).where(Referral.status.in_(sorted(config.reroute_states)))
    case_ids = {c.id for c in risky}
    refs = session.scalars(select(Referral).where(or_(
        stalled, Referral.case_id.in_(rerouted), Referral.case_id.in_(case_ids or [""])))).all()
    open_ids = {c for c in session.scalars(select(Case.id).where(
        Case.status == "open", Case.id.in_({r.case_id for r in refs} or [""])))}
    return list(risky), [r for r in refs if r.case_id in open_ids]


def create(platform: OnestopPlatform, *, body: MeetingCreate, who: Principal) -> dict[str, Any]:
    """Creates a meeting whose agenda is generated: stalled and rejected referrals, high-risk and new crises."""
    with platform.db.session() as s:
        return _create(s, body=body, settings_days=platform.settings.stalled_days, who=who, now=platform.clock())


HELD_WITHIN_DAYS = 366


def check_held_on(held_on: date, now: datetime) -> None:
    """A meeting within a year of today in Korea (the service clock's day): else 422 naming `held_on`."""
    today = today_kst(now)
    if abs((held_on - today).days) > HELD_WITHIN_DAYS:
        raise field_problem("held_on", f"must be within a year ({HELD_WITHIN_DAYS} days) of today "
                                       f"({today.isoformat()}, Korea time); got {held_on.isoformat()}")


def _create(session: Session, *, body: MeetingCreate, settings_days: dict[str, int],
            who: Principal, now: datetime) -> dict[str, Any]:
    check_held_on(body.held_on, now)
    config = agenda_config(settings_days, body.stalled_days)
    cases, refs = _candidates(session, config, now)
    items = vulnerability.agenda(
        cases=[vulnerability.CaseSnapshot(c.id, c.created_at, c.vulnerability_score, tuple(c.urgent_flags))
               for c in cases],
        referrals=[vulnerability.ReferralSnapshot(r.id, r.case_id, r.agency, r.status, r.status_changed_at,
                                                  r.reason) for r in refs],
        now=now, config=config)
    meeting = Meeting(id=new_id("mtg"), title=body.title, held_on=body.held_on, created_by=who.party,
                      created_at=now, config={"stalled_days": config.stalled_days,
                                              "score_threshold": config.score_threshold,
                                              "min_urgent_flags": config.min_urgent_flags,
                                              "new_case_days": config.new_case_days,
                                              "version": vulnerability.model().version})
    session.add(meeting)
    session.flush()
    for pos, item in enumerate(items, start=1):
        session.add(AgendaItem(id=new_id("agi"), meeting_id=meeting.id, position=pos, kind=item.kind,
                               case_id=item.case_id, referral_id=item.referral_id, reason=item.reason))
    session.flush()
    return _view(session, meeting_id=meeting.id)


def _age_band(age: int) -> str:
    return f"{age // 10 * 10}s"


def view(platform: OnestopPlatform, *, meeting_id: str) -> dict[str, Any]:
    """The meeting with a pseudonymised case list: resident references, never names or phones."""
    with platform.db.read_session() as s:
        return _view(s, meeting_id=meeting_id)


def _view(session: Session, *, meeting_id: str) -> dict[str, Any]:
    meeting = get_or_404(session, Meeting, meeting_id, "meeting")
    items = session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                            .order_by(AgendaItem.position)).all()
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_({i.case_id for i in items} or [""])))}
    refs = {r.id: r for r in session.scalars(select(Referral).where(
        Referral.id.in_({i.referral_id for i in items if i.referral_id} or [""])))}
    refs_by_case: dict[str, list[Referral]] = {}
    for r in session.scalars(select(Referral).where(Referral.case_id.in_(set(cases) or [""]))):
        refs_by_case.setdefault(r.case_id, []).append(r)
    pseudo = dict(session.execute(select(Resident.id, Resident.pseudonym).where(
        Resident.id.in_({c.resident_id for c in cases.values()} or [""]))).all())
    out_items = []
    for i in items:
        c = cases[i.case_id]
        entry: dict[str, Any] = {
            "id": i.id, "position": i.position, "kind": i.kind, "reason": i.reason,
            "case": {"id": c.id, "resident_ref": pseudo[c.resident_id], "age_band": _age_band(c.age),
                     "vulnerability_score": c.vulnerability_score, "urgent_flags": c.urgent_flags,
                     "groups": c.groups,
                     "referrals": [{"id": r.id, "agency": r.agency, "service_key": r.service_key,
                                    "status": r.status} for r in refs_by_case.get(c.id, [])]},
            "referral": None, "decision": None}
        if i.referral_id and i.referral_id in refs:
            r = refs[i.referral_id]
            entry["referral"] = {"id": r.id, "agency": r.agency, "service_key": r.service_key, "status": r.status,
                                 "reason": r.reason, "status_changed_at": iso(r.status_changed_at)}
        if i.decision:
            entry["decision"] = {"action": i.decision, "note": i.decision_note, "decided_by": i.decided_by,
                                 "decided_at": iso(i.decided_at), "referral_id": i.follow_up_referral_id,
                                 "task_id": i.follow_up_task_id}
        out_items.append(entry)
    tasks = session.scalars(select(Task).where(Task.meeting_id == meeting_id).order_by(Task.created_at)).all()
    return {"id": meeting.id, "title": meeting.title, "held_on": meeting.held_on.isoformat(),
            "config": meeting.config, "created_by": meeting.created_by, "created_at": iso(meeting.created_at),
            "items": out_items,
            "tasks": [{"id": t.id, "case_id": t.case_id, "title": t.title, "assignee": t.assignee,
                       "due_date": t.due_date.isoformat() if t.due_date else None, "status": t.status}
                      for t in tasks]}


def decide(platform: OnestopPlatform, *, meeting_id: str, item_id: str, body: Decision,
           who: Principal) -> dict[str, Any]:
    """Records a decision; `refer` sends a follow-up referral, `task` creates a task, `close` closes the case."""
    with platform.db.session() as s:
        return _decide(s, tables=platform.tables, meeting_id=meeting_id, item_id=item_id, body=body, who=who,
                       clock=platform.clock)


def _decide(session: Session, *, tables, meeting_id: str, item_id: str, body: Decision,
            who: Principal, clock: Callable[[], datetime]) -> dict[str, Any]:
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise Problem(404, "not-found", f"No agenda item {item_id!r} in meeting {meeting_id!r}.")
    if item.decision is not None:
        raise Problem(409, "already-decided", f"Agenda item {item_id} was decided ({item.decision}) at "
                      f"{iso(item.decided_at)}.")
    now = clock()
    if body.action == "refer":
        ref = referrals.send(session, tables=tables, case_id=item.case_id, service=body.service or "",
                             note=body.note, who=who, clock=clock, agenda_item_id=item.id)
        item.follow_up_referral_id = ref["id"]
    elif body.action == "task" and body.task is not None:
        task = Task(id=new_id("task"), case_id=item.case_id, meeting_id=meeting_id, agenda_item_id=item.id,
                    title=body.task.title, assignee=body.task.assignee, due_date=body.task.due_date,
                    status="open", created_by=who.party, created_at=now)
        session.add(task)
        item.follow_up_task_id = task.id
    elif body.action == "close":
        session.get(Case, item.case_id).status = "closed"
    item.decision, item.decision_note, item.decided_by, item.decided_at = body.action, body.note, who.party, now
    session.flush()
    return {"item_id": item.id, "action": item.decision, "referral_id": item.follow_up_referral_id,
            "task_id": item.follow_up_task_id, "decided_at": iso(now)}


def list_meetings(platform: OnestopPlatform, limit: int = 50) -> dict[str, Any]:
    """The most recent meetings, newest first."""
    with platform.db.read_session() as s:
        return {"items": recent(s, limit)}


def recent(session: Session, limit: int) -> list[dict[str, Any]]:
    """`list_meetings`' items inside the caller's transaction (the trainer's page counts their items too)."""
    rows = session.scalars(select(Meeting).order_by(Meeting.created_at.desc()).limit(limit)).all()
    return [{"id": m.id, "title": m.title, "held_on": m.held_on.isoformat(), "created_at": iso(m.created_at)}
            for m in rows]
