"""Case-management meetings (counsellors only): generated agenda, pseudonymised views, decisions."""
from __future__ import annotations

from fastapi import APIRouter

from services.onestop.answers import DecisionAnswer, Meeting, Meetings
from services.onestop.flows import meetings
from services.onestop.routes.deps import Counsellor, PlatformDep
from services.onestop.schemas import Decision, MeetingCreate

router = APIRouter(prefix="/v1", tags=["meetings"])


@router.post("/meetings", status_code=201)
def create_meeting(p: PlatformDep, who: Counsellor, body: MeetingCreate) -> Meeting:
    """Creates a meeting whose agenda is generated: stalled and rejected referrals, high-risk and new crises."""
    return meetings.create(p, body=body, who=who)


@router.get("/meetings")
def list_meetings(p: PlatformDep, who: Counsellor) -> Meetings:
    """Recent meetings."""
    return meetings.list_meetings(p)


@router.get("/meetings/{meeting_id}")
def get_meeting(p: PlatformDep, who: Counsellor, meeting_id: str) -> Meeting:
    """The meeting with its pseudonymised agenda, decisions and tasks."""
    return meetings.view(p, meeting_id=meeting_id)


@router.post("/meetings/{meeting_id}/items/{item_id}/decision", status_code=201)
def decide_item(p: PlatformDep, who: Counsellor, meeting_id: str, item_id: str, body: Decision) -> DecisionAnswer:
    """Records a decision; `refer` sends a follow-up referral, `task` creates a task."""
    return meetings.decide(p, meeting_id=meeting_id, item_id=item_id, body=body, who=who)
