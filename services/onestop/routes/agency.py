"""The agencies' own API: their referrals only, the consented data only, and status updates."""
from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Response
from pydantic_core import to_json

from services.onestop.flows import referrals
from services.onestop.routes.deps import Agency, IfMatch, PlatformDep
from services.onestop.schemas import AgencyReferralPage, Status, StatusChange
from shared.auth import Principal
from shared.deps import SessionDep

router = APIRouter(prefix="/v1/agency", tags=["agency"])


# How the list's database read runs (measured in-process, 16 concurrent requests, 100,000 referrals):
# in FastAPI's shared thread pool, 16 threads taking turns at the GIL around every SQLite step cost
# 4–6 ms of CPU per request; the same read on 2 threads 1.8–2.4 ms, on 1 thread 1.5–1.8 ms, and
# inline 1.2–1.6 ms. A SQLite read is in-process CPU work on a WAL snapshot (it never waits for a
# writer), so it runs inline; a PostgreSQL read waits on the network, so it runs on a few threads of
# its own, where the wait overlaps other requests without the pile-up of the shared pool.
# Those few threads are `OnestopParts.agency_readers`.


def _agency_page(db, who: Principal, status: str | None, cursor: str | None, limit: int) -> bytes:
    # A plain connection: a Session would add nothing to one read but its own bookkeeping. On a
    # server database the one SELECT runs in autocommit: it reads one snapshot by itself, and the
    # BEGIN … ROLLBACK around it would be a second network round trip (the ROLLBACK alone was 16 %
    # of the samples of a PostgreSQL profile). SQLite keeps its deferred transaction (no round trip).
    with db.read_engine.connect() as conn:
        if not db.is_sqlite:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        page = referrals.list_for_agency(conn, who=who, status=status, cursor=cursor, limit=limit)
    # Built from the table's own columns, so it is serialised directly (the same bytes FastAPI's JSON
    # rendering gives): validating 50 items against AgencyReferralPage, which documents the shape,
    # would cost more than the query.
    return to_json(page)


@router.get("/referrals", response_model=AgencyReferralPage)
async def list_agency_referrals(p: PlatformDep, who: Agency, status: Status | None = None,
                                cursor: Annotated[str | None, Query(max_length=200)] = None,
                                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    """The calling agency's referrals, newest first (cursor pagination; no personal data in the list)."""
    db = p.db
    if db.is_sqlite:
        body = _agency_page(db, who, status, cursor, limit)
    else:
        body = await anyio.to_thread.run_sync(_agency_page, db, who, status, cursor, limit, limiter=p.parts.agency_readers)
    return Response(body, media_type="application/json")


@router.get("/referrals/{referral_id}")
def get_agency_referral(s: SessionDep, who: Agency, referral_id: str) -> dict[str, Any]:
    """One referral with the resident data the consent covers (logged; 410 once consent is withdrawn)."""
    return referrals.read_as_agency(s, referral_id=referral_id, who=who)


@router.post("/referrals/{referral_id}/status")
def change_agency_referral_status(p: PlatformDep, s: SessionDep, who: Agency, referral_id: str, body: StatusChange,
                                  version: IfMatch = None) -> dict[str, Any]:
    """Moves the referral by the transition table (409 names the allowed targets; stale version → 409)."""
    return referrals.change_as_agency(s, tables=p.tables, referral_id=referral_id, who=who, change=body,
                                      if_match=version)
