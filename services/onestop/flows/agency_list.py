"""The agencies' referral list: the hot read of the agency API (polled by every agency), built for speed.

How the list's database read runs (measured in-process, 16 concurrent requests, 100,000 referrals):
in FastAPI's shared thread pool, 16 threads taking turns at the GIL around every SQLite step cost
4–6 ms of CPU per request; the same read on 2 threads 1.8–2.4 ms, on 1 thread 1.5–1.8 ms, and
inline 1.2–1.6 ms. A SQLite read is in-process CPU work on a WAL snapshot (it never waits for a
writer), so it runs inline; a PostgreSQL read waits on the network, so it runs on a few threads of
its own (`OnestopParts.agency_readers`), where the wait overlaps other requests without the pile-up
of the shared pool.
"""
from __future__ import annotations

from functools import cache
from typing import Any

import anyio
from pydantic_core import to_json
from sqlalchemy import Integer, Select, bindparam, select, tuple_
from sqlalchemy.engine import Connection

from services.onestop.flows.common import iso_from_utc_text, utc_isoformat, utc_text
from services.onestop.models import Referral
from services.onestop.parts import OnestopPlatform
from shared import pagination
from shared.auth import Principal

# What an agency's list shows of each referral: `public()` without the hub-only links, in that order.
# (`agency` is the caller's own code, which the query filters on: not read back.)
_AGENCY_LIST_COLUMNS = ("id", "service_key", "service_id", "status", "version", "reason", "outcome", "amount_krw",
                        "access_revoked")
_AGENCY_LIST_TIMES = ("created_at", "status_changed_at", "sent_at", "accepted_at", "completed_at")


@cache
def _agency_list_statement(dialect: str, by_status: bool, after: bool) -> Select:
    """The agency list's query, built once per variant with bind parameters.

    Reusing one statement object spares building it and computing its cache key on every request
    (SQLAlchemy memoises both on the object). The keyset condition is a row-value comparison,
    (created_at, id) < (:t, :id): PostgreSQL and SQLite (3.15+) use it as the index range, while the
    equivalent OR form `pagination.keyset` writes is only a filter on PostgreSQL, which then reads every
    newer row of the agency first (a page deep in 100,000 referrals: 39 ms instead of 0.1 ms).
    """
    c = Referral.__table__.c
    q = select(*(c[name] for name in _AGENCY_LIST_COLUMNS),
               *(utc_text(c[name], dialect).label(name) for name in _AGENCY_LIST_TIMES))
    q = q.where(c.agency == bindparam("agency"))
    if by_status:
        q = q.where(c.status == bindparam("status"))
    if after:
        q = q.where(tuple_(c.created_at, c.id) < tuple_(bindparam("after_created_at", type_=c.created_at.type),
                                                         bindparam("after_id", type_=c.id.type)))
    return q.order_by(c.created_at.desc(), c.id.desc()).limit(bindparam("limit", type_=Integer()))


def _after(cursor: str) -> dict[str, Any]:
    """A cursor of this list back to its (created_at, id), checked as `pagination.keyset` checks it."""
    c = Referral.__table__.c
    created, rid = pagination.decode_cursor(cursor, 2)
    return {"after_created_at": pagination._coerce(c.created_at, created),
            "after_id": pagination._coerce(c.id, rid)}


def _read(conn: Connection, *, who: Principal, status: str | None, cursor: str | None,
          limit: int) -> dict[str, Any]:
    """The agency's own referrals, newest first: exactly `public()` minus `_HUB_ONLY` per item.

    The hot path of the agency API: it reads only the listed columns (no ORM objects) with a
    prepared statement, and takes the times as UTC text (`utc_text`) formatted without datetime
    objects. Served by the index on (agency, created_at, id), or (agency, status, created_at, id)
    with a status filter; never a sort or a count.
    """
    params: dict[str, Any] = {"agency": who.party, "limit": limit + 1}
    if status:
        params["status"] = status
    if cursor:
        params.update(_after(cursor))
    stmt = _agency_list_statement(conn.dialect.name, bool(status), bool(cursor))
    rows = conn.execute(stmt, params).all()
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = pagination.encode_cursor((utc_isoformat(rows[-1][9]), rows[-1][0]))
    fmt, agency = iso_from_utc_text, who.party
    items = [{"id": rid, "agency": agency, "service_key": service_key, "service_id": service_id,
              "status": st, "version": version, "reason": reason, "outcome": outcome, "amount_krw": amount,
              "access_revoked": revoked, "created_at": fmt(created), "status_changed_at": fmt(changed),
              "sent_at": fmt(sent), "accepted_at": fmt(accepted), "completed_at": fmt(completed)}
             for (rid, service_key, service_id, st, version, reason, outcome, amount, revoked,
                  created, changed, sent, accepted, completed) in rows]
    return {"items": items, "next_cursor": nxt}


def read_page(platform: OnestopPlatform, *, who: Principal, status: str | None = None, cursor: str | None = None,
              limit: int = 50) -> dict[str, Any]:
    """One page of the agency's own referrals, newest first: exactly `referrals.public()` minus `HUB_ONLY`."""
    db = platform.db
    # A plain connection: a Session would add nothing to one read but its own bookkeeping. On a
    # server database the one SELECT runs in autocommit: it reads one snapshot by itself, and the
    # BEGIN … ROLLBACK around it would be a second network round trip (the ROLLBACK alone was 16 %
    # of the samples of a PostgreSQL profile). SQLite keeps its deferred transaction (no round trip).
    with db.read_engine.connect() as conn:
        if not db.is_sqlite:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return _read(conn, who=who, status=status, cursor=cursor, limit=limit)


def _page_json(platform: OnestopPlatform, who: Principal, status: str | None, cursor: str | None,
               limit: int) -> bytes:
    # Built from the table's own columns, so it is serialised directly (the same bytes FastAPI's JSON
    # rendering gives): validating 50 items against AgencyReferralPage, which documents the shape,
    # would cost more than the query.
    return to_json(read_page(platform, who=who, status=status, cursor=cursor, limit=limit))


async def page_json(platform: OnestopPlatform, *, who: Principal, status: str | None, cursor: str | None,
                    limit: int) -> bytes:
    """`read_page` as JSON bytes, read inline on SQLite and on the agency readers' threads otherwise."""
    if platform.db.is_sqlite:
        return _page_json(platform, who, status, cursor, limit)
    return await anyio.to_thread.run_sync(_page_json, platform, who, status, cursor, limit,
                                          limiter=platform.parts.agency_readers)
