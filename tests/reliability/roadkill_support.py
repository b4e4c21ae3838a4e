"""Roadkill specifics shared by the reliability tests: report bodies and how to produce partner messages."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.reliability.support import first_route

SERVICE = "roadkill"
KST = timezone(timedelta(hours=9))
TMAP = {"authorization": "Bearer demo-tmap"}
OPERATOR = {"authorization": "Bearer demo-chungnam"}
INTAKE = "/v1/voice-reports"
# Personal values the tests send; none may show up in a payload to an agency, in a log or a public read.
REPORTER_PREFIX = "tmap-subscriber-7f3a9c"


def intake_path() -> str:
    return first_route(SERVICE, "POST", INTAKE)


def point(i: int, spacing_deg: float = 0.004) -> tuple[float, float]:
    """The i-th point of a grid around Hongseong/Yesan/Cheongyang, ~440 m apart: distinct carcasses. The first
    2,400 points lie inside Chungnam's census outline and off the Daejeon and Sejong enclaves."""
    row, col = divmod(i, 60)
    return 36.55 + row * spacing_deg, 126.75 + col * spacing_deg


def voice_report(i: int, *, lat: float | None = None, lon: float | None = None, reporter: str | None = None,
                 transcript: str = "고라니가 도로에 죽어 있어요", heading: float | None = 90.0,
                 when: datetime | None = None) -> dict[str, Any]:
    if lat is None or lon is None:
        lat, lon = point(i)
    when = when or datetime.now(UTC).astimezone(KST) - timedelta(seconds=5)
    body: dict[str, Any] = {
        "reporter": reporter or f"{REPORTER_PREFIX}-{i:05d}", "consent": True, "transcript": transcript,
        "lat": lat, "lon": lon, "accuracy_m": 8.0, "speed_kmh": 60.0, "reported_at": when.isoformat(),
    }
    if heading is not None:
        body["heading_deg"] = heading
    return body
