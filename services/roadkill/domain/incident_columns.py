"""Columns of `incident` derived once when written (intake, closing) so analytics reads plain values.

`report_month` is set at intake, `clear_minutes` when the incident is closed; the summary indexes
cover both (see the analytics flow). Months are Korean time (UTC+9).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

KST = timedelta(hours=9)  # Korea has kept UTC+9 all year since 1988


def report_month(first_reported_at: datetime) -> int:
    """`incident.report_month`: the month of the first report in Korean time, as YYYYMM."""
    local = first_reported_at.astimezone(UTC) + KST
    return local.year * 100 + local.month


def clear_minutes(first_reported_at: datetime, cleared_at: datetime | None) -> float | None:
    """`incident.clear_minutes`: first report → cleared_at in minutes (exact), None while open."""
    return None if cleared_at is None else (cleared_at - first_reported_at).total_seconds() / 60.0
