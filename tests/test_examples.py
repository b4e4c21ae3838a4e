"""The client examples in examples/ run against the three services, so they never go stale.

Each service runs for real (uvicorn on a free loopback port, demo mode, seeded, the peaks relay on so the
webhook is delivered over HTTP); each example runs as its own process with the base URL and key from the
environment, exactly as the README tells an integrator to run it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from services.onestop.app import create_app as onestop_app
from services.onestop.config import Settings as OnestopSettings
from services.peaks.app import create_app as peaks_app
from services.peaks.config import Settings as PeaksSettings
from services.roadkill.app import create_app as roadkill_app
from services.roadkill.config import Settings as RoadkillSettings
from shared import testing
from tests.peaks.support import photo, register, upload

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> Iterator[dict[str, str]]:
    """The three services on free ports (the peaks clock inside the 2026 season, where photos are taken)."""
    urls: dict[str, str] = {}
    builders = {
        "roadkill": lambda db, url: roadkill_app(RoadkillSettings(**db, relay_enabled=False, autopilot_enabled=False,
                                                                  public_base_url=url)),
        "peaks": lambda db, url: peaks_app(PeaksSettings(
            **db, relay_enabled=True, autopilot_enabled=False, public_base_url=url,
            var_dir=tmp_path_factory.mktemp("peaks-var"), clock_at=datetime.fromisoformat("2026-05-20T10:00:00+09:00"))),
        "onestop": lambda db, url: onestop_app(OnestopSettings(**db, relay_enabled=False, autopilot_enabled=False,
                                                               public_base_url=url)),
    }
    with ExitStack() as stack:
        for name, build in builders.items():
            db = testing.database_overrides(tmp_path_factory.mktemp(name), name)
            stack.callback(testing.drop_schema, db.get("db_schema"))  # after the server stopped (LIFO)
            port = testing.free_port()
            urls[name] = stack.enter_context(testing.live_server(build(db, f"http://127.0.0.1:{port}"), port)).url
        yield urls


def run(example: str, *args: str, **env: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / example), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=90, env={**os.environ, **env})
    assert done.returncode == 0, f"{example} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_tmap_posts_a_voice_report_and_polls_its_status(services):
    out = run("roadkill_tmap.py", ROADKILL_URL=services["roadkill"], ROADKILL_KEY="demo-tmap")
    lines = out.splitlines()
    assert lines[0].startswith("filed report rpt_") and "→ incident inc_" in lines[0]
    assert "Korea Expressway Corporation" in lines[0] and "Water deer" in lines[0]
    assert any(line.startswith("status #1: open") for line in lines)


def test_partner_pulls_photos_with_etag_and_verifies_a_signed_webhook(services):
    with httpx.Client(base_url=services["peaks"], timeout=30) as c:
        _climber, token = register(c, "Example Climber")
        r = upload(c, token, "gajisan", photo("gajisan", seed=5, gps=False))  # no GPS: waits for review
        assert r.status_code == 201 and r.json()["verdict"] == "needs_review", r.text
    out = run("peaks_partner.py", "--approve-first", "--wait", "30", PEAKS_URL=services["peaks"], PEAKS_KEY="demo-ulju")
    assert "again with If-None-Match: 304 (nothing new)" in out
    assert f"approved photo {r.json()['id']}" in out
    assert "verified webhook " in out
    assert "photo.approved" in out and "photos after the event: 200 (changed" in out


def test_agency_works_its_referral_inbox(services):
    hub = {"authorization": "Bearer demo-bukgu-hub"}
    with httpx.Client(base_url=services["onestop"], headers=hub, timeout=30) as c:
        res = c.post("/v1/residents", json={"name": "예시 주민", "birth_date": "1974-03-02", "phone": "010-5555-6666",
                                            "address_district": "buk-gu"}).raise_for_status().json()
        case = c.post("/v1/cases", json={"resident_id": res["id"], "assessment": {
            "household_size": 1, "monthly_income_krw": 800_000, "debt_total_krw": 8_000_000, "months_overdue": 132,
            "credit_score": 610, "employment_status": "unemployed"}}).raise_for_status().json()
        c.post(f"/v1/residents/{res['id']}/consents", json={
            "agency": "kamco", "categories": ["identity", "contact", "finance"], "taken_by": "counsellor 7",
            "notice_shown": True}).raise_for_status()
        ref = c.post(f"/v1/cases/{case['id']}/referrals",
                     json={"service": "kamco-bad-debt-adjustment"}).raise_for_status().json()
        out = run("onestop_agency.py", ONESTOP_URL=services["onestop"], ONESTOP_KEY="demo-kamco")
        line = next(x for x in out.splitlines() if x.startswith(f"{ref['id']}: kamco-bad-debt-adjustment, "))
        assert "consented fields: " in line and "debt_total_krw" in line and "resident_ref" not in line
        assert f"{ref['id']}: completed (debt-adjusted)" in out
        done = c.get(f"/v1/referrals/{ref['id']}").json()
        assert done["status"] == "completed" and [h["party"] for h in done["history"][1:]] == ["kamco"] * 3
        assert "예시" not in out and "010-5555" not in out  # the example prints no personal data
