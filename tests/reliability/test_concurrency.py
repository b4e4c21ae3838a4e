"""Concurrency on live servers (real uvicorn, real threads).

- roadkill: 50 drivers report one carcass at the same moment → one incident with 50 reports.
- peaks: the last two photos of a climber approved concurrently → exactly one certificate.
- onestop: two concurrent status updates of one referral → one wins, the other gets 409.
- every creating POST retried concurrently with one Idempotency-Key → one record.
"""
from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from shared import testing
from tests.reliability.roadkill_support import INTAKE, OPERATOR, TMAP, intake_path, voice_report
from tests.reliability.support import create_app, first_route, quiet_settings, record_figure


@contextlib.contextmanager
def live(service: str, tmp_path, clock=None, **overrides) -> Iterator[tuple[httpx.Client, object]]:
    db = testing.database_overrides(tmp_path, service)
    try:
        app = create_app(service, **quiet_settings(db, tmp_path, **overrides))
        if clock is not None:
            app.state.platform.clock = clock
        with testing.live_server(app) as server, httpx.Client(base_url=server.url, timeout=60) as h:
            yield h, app.state.platform
    finally:
        testing.drop_schema(db.get("db_schema"))


def at_once(n: int, fn: Callable[[int], httpx.Response], base_url: str | None = None) -> list[httpx.Response]:
    """Runs fn(i) for i < n in n threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> httpx.Response:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def count(platform, table, *where) -> int:
    with platform.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(table).where(*where))


@pytest.mark.slow
def test_roadkill_50_concurrent_reports_of_one_carcass_make_one_incident(tmp_path):
    from services.roadkill.models import incident, report

    with live("roadkill", tmp_path, seed_demo_incidents=False) as (h, p):
        lat, lon = 36.8001, 127.1502
        url = str(h.base_url)

        def one(i: int) -> httpx.Response:
            # Same place (within a few metres), same direction, different drivers.
            body = voice_report(i, lat=lat + (i % 5) * 1e-5, lon=lon + (i % 7) * 1e-5,
                                reporter=f"concurrent-driver-{i}")
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.post(INTAKE, json=body, headers=TMAP)

        responses = at_once(50, one)
        assert [r.status_code for r in responses] == [201] * 50, Counter(r.status_code for r in responses)
        incidents = {r.json()["incident_id"] for r in responses}
        assert len(incidents) == 1, f"{len(incidents)} incidents for one carcass"
        assert sum(not r.json()["merged"] for r in responses) == 1
        assert count(p, incident) == 1 and count(p, report) == 50
        inc = h.get(f"/v1/incidents/{incidents.pop()}", headers=OPERATOR).json()
        assert inc["report_count"] == 50
        # One civil complaint, not fifty.
        o = p.tables.outbox
        assert count(p, o, o.c.to_party == "acrc") == 1
        record_figure("concurrency_roadkill", {"concurrent_reports": 50, "incidents": 1, "complaints": 1})


def test_roadkill_concurrent_steps_on_one_incident_one_wins(tmp_path):
    """Two agencies' copies of the same step at once: one applies, the other is a 409 (no double step)."""
    with live("roadkill", tmp_path, seed_demo_incidents=False) as (h, p):
        r = h.post(INTAKE, json=voice_report(3), headers=TMAP)
        inc = r.json()["incident_id"]
        url = str(h.base_url)

        def register(i: int) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.post(f"/v1/agency/incidents/{inc}/events",
                              json={"type": "complaint_registered", "complaint_no": f"1AA-{i:010d}", "version": 1},
                              headers={"authorization": "Bearer demo-acrc"})

        codes = sorted(r.status_code for r in at_once(2, register))
        assert codes == [200, 409] or codes == [201, 409], codes
        from services.roadkill.models import incident_event
        assert count(p, incident_event, incident_event.c.incident_id == inc,
                     incident_event.c.type == "complaint_registered") == 1


def test_peaks_last_three_photos_approved_at_once_by_three_reviewers_one_certificate(tmp_path):
    """tests/peaks/test_api_certification.py races two approvals; here three parties race on three photos,
    and each photo is also approved twice at once (a double click): one review each, one certificate."""
    from services.peaks.models import Certificate
    from tests.peaks.conftest import NOW
    from tests.peaks.support import SAFE_SEEDS
    from tests.peaks.test_api_certification import _almost_done

    with live("peaks", tmp_path, clock=lambda: NOW) as (h, p):
        seeds = iter(SAFE_SEEDS)
        cid, _auth, pending = _almost_done(h, "Triple", seeds, ("gajisan", "sinbulsan", "goheonsan"))
        reviewers = ["miryang", "yangsan", "ulju"]  # gajisan: Miryang; sinbulsan: Yangsan; goheonsan: Ulju
        jobs = [(reviewers[i % 3], pending[i % 3]) for i in range(6)]
        url = str(h.base_url)

        def approve(i: int) -> httpx.Response:
            party, photo_id = jobs[i]
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.post(f"/v1/photos/{photo_id}/review", json={"decision": "approve", "reason": "stone visible"},
                              headers={"authorization": f"Bearer demo-{party}"})

        codes = Counter(r.status_code for r in at_once(6, approve))
        assert codes[200] >= 3 and set(codes) <= {200, 409}, codes
        assert count(p, Certificate, Certificate.climber_id == cid) == 1
        for photo_id in pending:
            assert h.get(f"/v1/photos/{photo_id}", headers={"authorization": "Bearer demo-ulju"}).json()[
                "verdict"] == "approved"
        record_figure("concurrency_peaks", {"concurrent_approvals": 6, "certificates": 1, "statuses": codes})


def test_onestop_concurrent_status_updates_one_wins_other_409(tmp_path):
    from tests.reliability.onestop_support import agency, consent, refer, resident_case

    with live("onestop", tmp_path, seed_demo_data=False) as (h, p):
        rid, case_id = resident_case(h)
        consent(h, rid, "kamco", ["identity", "finance"])
        results = []
        url = str(h.base_url)

        def change(ref: str, body: dict) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.post(f"/v1/agency/referrals/{ref}/status", json=body, headers=agency("kamco"))

        for a, b in [({"status": "accepted", "version": 1},
                      {"status": "rejected", "reason": "no-capacity", "version": 1}),
                     ({"status": "accepted"}, {"status": "accepted"})]:
            ref = refer(h, case_id, "kamco-bad-debt-adjustment")["id"]
            bodies = [a, b]
            rs = at_once(2, lambda i, ref=ref, bodies=bodies: change(ref, bodies[i]))
            codes = sorted(r.status_code for r in rs)
            assert codes in ([200, 409], [201, 409]), [(r.status_code, r.text[:200]) for r in rs]
            loser = next(r for r in rs if r.status_code == 409)
            assert loser.headers["content-type"].startswith("application/problem+json")
            final = h.get(f"/v1/agency/referrals/{ref}", headers=agency("kamco")).json()
            winner = next(r for r in rs if r.status_code != 409)
            assert final["status"] == winner.json()["status"]
            results.append(codes)
            # Close it so the next round may refer again (one open referral per service).
            if final["status"] == "accepted":
                h.post(f"/v1/agency/referrals/{ref}/status", json={"status": "failed", "reason": "no-capacity"},
                       headers=agency("kamco"))
        record_figure("concurrency_onestop", {"races": len(results), "outcomes": results})


def creating_posts() -> list[tuple[str, str, Callable[[int], dict], Callable[[object], int]]]:
    """(service, path, body(i), rows(platform)) of the creating POSTs that exist right now."""
    out: list = []
    if intake_path():
        def rk_rows(p):
            from services.roadkill.models import report
            return count(p, report)
        out.append(("roadkill", INTAKE, lambda i: voice_report(100 + i), rk_rows))
    if first_route("onestop", "POST", "/v1/residents"):
        def os_rows(p):
            from services.onestop.models import Resident
            return count(p, Resident)
        from tests.reliability.onestop_support import RESIDENT
        out.append(("onestop", "/v1/residents", lambda i: {**RESIDENT, "name": f"재시도 {i}"}, os_rows))
    # peaks' climber registration is anonymous, so it refuses an Idempotency-Key (a replay could hand the
    # climber's token to another client): tests/shared/test_idempotency_safety.py.
    return out


PARTY_OF = {"roadkill": TMAP, "onestop": {"authorization": "Bearer demo-bukgu-hub"}, "peaks": {}}


@pytest.mark.parametrize("service,path,body,rows", creating_posts() or [pytest.param(
    None, None, None, None, marks=pytest.mark.skip(reason="no creating POST exists yet"))])
def test_idempotent_retries_of_creating_posts_make_one_record(service, path, body, rows, tmp_path):
    party = PARTY_OF[service]
    with live(service, tmp_path, seed_demo_incidents=False, seed_demo_data=False) as (h, p):
        before = rows(p)
        url = str(h.base_url)
        payload = body(0)

        def send(i: int) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=60) as c:
                return c.post(path, json=payload, headers={**party, "idempotency-key": "retry-me-1"})

        concurrent = at_once(8, send)
        codes = Counter(r.status_code for r in concurrent)
        # One request does the work; overlapping duplicates are told to retry (409), later ones replayed.
        assert set(codes) <= {201, 200, 409} and codes[409] < 8, codes
        sequential = [send(0) for _ in range(3)]
        assert all(r.status_code in (200, 201) for r in sequential)
        assert all(r.headers.get("idempotent-replayed") == "true" for r in sequential)
        firsts = {r.text for r in concurrent + sequential if r.status_code in (200, 201)}
        assert len(firsts) == 1, "every success is the same stored response"
        assert rows(p) - before == 1
