"""Linkage performance statistics and their CSV export (counsellors only)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from services.onestop.answers import Linkage
from services.onestop.flows import stats
from services.onestop.routes.deps import Counsellor, PlatformDep
from shared.answers import text_answer
from shared.errors import Problem

router = APIRouter(prefix="/v1/stats", tags=["stats"])


def _check(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise Problem(422, "validation-error", "since must not be after until.",
                      errors=[{"field": "since", "message": "after until"}])


@router.get("/linkage")
def get_linkage(p: PlatformDep, who: Counsellor, since: date | None = None,
                until: date | None = None) -> Linkage:
    """Per agency and field: sent, accepted, completed, rejected by reason, median days; vulnerable groups."""
    _check(since, until)
    return stats.linkage(p, since=since, until=until)


@router.get("/linkage.csv", response_class=Response,
            responses=text_answer("text/csv", "The figures as CSV (small group counts shown as <5)"))
def get_linkage_csv(p: PlatformDep, who: Counsellor, since: date | None = None, until: date | None = None,
                    table: Literal["agencies", "groups"] = "agencies") -> Response:
    """The same figures as CSV for the consultative body (small group counts shown as <5)."""
    _check(since, until)
    body = stats.to_csv(stats.linkage(p, since=since, until=until), table)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="linkage-{table}.csv"'})
