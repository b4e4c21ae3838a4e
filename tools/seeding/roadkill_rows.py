"""Writing synthetic incidents in bulk (`cpa seed roadkill`): SQLite through the driver's `executemany`,
PostgreSQL through `COPY`, any other database through SQLAlchemy."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from services.roadkill.models import incident
from tools.seeding.common import copy_rows, sqlite_datetime

COLUMNS = ("id", "status", "species", "species_confirmed", "road_id", "road_class", "road_name", "carriageway",
           "measure_m", "segment_no", "cell", "lat", "lon", "accuracy_m", "heading_deg", "agency",
           "routed_agency", "municipality", "decision", "report_count", "first_reported_at",
           "last_reported_at", "complaint_no", "outcome", "outcome_note", "cleared_at", "created_at",
           "updated_at", "version", "report_month", "clear_minutes")


def bind_connection(bind: Engine | Connection | Session) -> tuple[Connection, bool]:
    """The connection to write on, and whether it is ours (to commit per batch and close)."""
    if isinstance(bind, Session):
        return bind.connection(), False
    if isinstance(bind, Connection):
        return bind, False
    return bind.connect(), True


_DT_COLUMNS = tuple(i for i, c in enumerate(COLUMNS)
                    if c in {"first_reported_at", "last_reported_at", "cleared_at", "created_at", "updated_at"})


def write_incidents(conn: Connection, dialect: str, rows: list[tuple[Any, ...]]) -> None:
    """One batch of incident rows (values in COLUMNS order, the decision as JSON text)."""
    if dialect == "sqlite":
        dts = set(_DT_COLUMNS)
        out = [tuple(sqlite_datetime(v) if i in dts and v is not None else v for i, v in enumerate(r)) for r in rows]
        sql = f"INSERT INTO incident ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        conn.exec_driver_sql(sql, out)
        return
    if dialect == "postgresql":
        copy_rows(conn, "incident", COLUMNS, rows)
        return
    conn.execute(incident.insert(), [dict(zip(COLUMNS, r, strict=True)) | {"decision": json.loads(r[18])}
                                     for r in rows])
