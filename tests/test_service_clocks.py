"""roadkill and peaks take their business times from the service clock (`Platform.clock`): when a report was
received, when an agency's step was taken, when a demo incident was reported, when a climber registered
(the demo seed), when a partner subscribed and when a certificate was issued. The clocks are pinned far
from the machine's date, so none of this can pass on the real date. (onestop: tests/onestop/test_clock.py.)
Also: the peaks `Service-Clock` header is readable by browsers on cross-origin requests to the open API."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.peaks.support import ACTIVE, SAFE_SEEDS, climb_day, finish_ordinarily, staff
from tests.roadkill.conftest import EXPRESSWAY, auth, report_body

PINNED = datetime(2031, 6, 15, 3, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- roadkill
def _roadkill(db_overrides: dict[str, Any], **over: Any):
    from services.roadkill.app import create_app
    from services.roadkill.config import Settings

    return create_app(Settings(**{**db_overrides, "relay_enabled": False, "autopilot_enabled": False,
                                  "seed_demo_incidents": False, "log_level": "WARNING", **over}))


def _step(c: TestClient, party: str, inc: str, **body: Any):
    r = c.post(f"/v1/agency/incidents/{inc}/events", json=body, headers=auth(party))
    assert r.status_code == 200, r.text
    return r


def test_roadkill_report_and_steps_carry_the_service_clock_time(db_overrides):
    from services.roadkill.models import incident_event, report

    app = _roadkill(db_overrides)
    platform = app.state.platform
    platform.clock = lambda: PINNED
    with TestClient(app) as c:
        # reported_at is judged against the service clock: half a minute before the pinned time is fresh.
        body = report_body(*EXPRESSWAY, reported_at=(PINNED - timedelta(seconds=30)).isoformat())
        r = c.post("/v1/voice-reports", json=body, headers=auth("tmap"))
        assert r.status_code == 201, r.text
        inc = r.json()["incident_id"]
        stale = report_body(*EXPRESSWAY, reported_at=(datetime.now(UTC) - timedelta(seconds=30)).isoformat())
        refused = c.post("/v1/voice-reports", json=stale, headers=auth("tmap"))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reported_at"
        later = PINNED + timedelta(minutes=20)
        platform.clock = lambda: later
        _step(c, "acrc", inc, type="complaint_registered", complaint_no="1AA-3106-000001")
        with platform.db.read_session() as s:
            assert s.execute(select(report.c.received_at).where(report.c.incident_id == inc)).scalars().all() \
                == [PINNED]
            events = s.execute(select(incident_event.c.type, incident_event.c.at)
                               .where(incident_event.c.incident_id == inc).order_by(incident_event.c.at)).all()
        assert [tuple(e) for e in events] == [("received", PINNED), ("complaint_registered", later)]
        detail = c.get(f"/v1/incidents/{inc}", headers=auth("chungnam")).json()
        assert detail["first_reported_at"].startswith("2031-06-15")


def test_roadkill_demo_incidents_are_reported_on_the_service_clock(db_overrides):
    from services.roadkill.models import report

    app = _roadkill(db_overrides, seed_demo_incidents=True)
    app.state.platform.clock = lambda: PINNED
    with TestClient(app):
        with app.state.platform.db.read_session() as s:
            rows = s.execute(select(report.c.reported_at, report.c.received_at)).all()
    assert rows and {r.received_at for r in rows} == {PINNED}
    assert all(PINNED - timedelta(hours=2) < r.reported_at < PINNED for r in rows)


# --------------------------------------------------------------------------- peaks
@pytest.fixture
def peaks_app(db_overrides, tmp_path):
    from services.peaks.app import create_app
    from services.peaks.config import Settings

    settings = Settings(**db_overrides, relay_enabled=False, autopilot_enabled=False, var_dir=tmp_path / "var")
    return create_app(settings, real_now=lambda: datetime(2026, 11, 29, 3, tzinfo=UTC))


def test_peaks_demo_climbers_and_subscriptions_carry_the_service_clock_time(peaks_app):
    from services.peaks.models import Climber, SeasonCounter, WebhookSubscription

    platform = peaks_app.state.platform
    platform.clock = lambda: PINNED
    with TestClient(peaks_app) as c:
        r = c.post("/open/v1/webhooks", headers=staff("miryang"),
                   json={"url": "https://partner.example/hook", "events": ["certificate.issued"]})
        assert r.status_code == 201, r.text
        with platform.db.read_session() as s:
            climbers = s.scalars(select(Climber)).all()
            assert climbers and {(x.created_at, x.updated_at) for x in climbers} == {(PINNED, PINNED)}
            assert {x.updated_at for x in s.scalars(select(SeasonCounter))} == {PINNED}
            assert s.scalars(select(WebhookSubscription.created_at)).all() == [PINNED]


def test_peaks_certificate_is_issued_at_the_service_clock_time(peaks_app):
    from services.peaks.models import Certificate

    with TestClient(peaks_app) as c:
        cid, _ = finish_ordinarily(c, peaks_app, "Clock", iter(SAFE_SEEDS))
        with peaks_app.state.platform.db.read_session() as s:
            issued = s.scalars(select(Certificate.issued_at).where(Certificate.climber_id == cid)).one()
    # The last summit photo was uploaded two hours after it was taken, on the pinned clock of that upload.
    assert issued == climb_day(len(ACTIVE) - 1) + timedelta(hours=2)


def test_service_clock_header_is_readable_cross_origin(peaks_app):
    with TestClient(peaks_app) as c:
        got = c.get("/open/v1/peaks", headers={"origin": "https://www.miryang.go.kr", **staff("miryang")})
    assert got.status_code == 200 and got.headers["access-control-allow-origin"] == "*"
    exposed = [h.strip().lower() for h in got.headers["access-control-expose-headers"].split(",")]
    assert "service-clock" in exposed and got.headers["service-clock"].startswith("real;")
