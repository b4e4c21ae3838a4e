"""The container, reproduced without a container runtime (tests/container_harness.py says how).

The wheel is built from what the Dockerfile copies and installed with the hashed runtime lock into a fresh
venv; the one-shot `migrate` service and then the three services (and, in the production shape, their relay
workers) run as an unprivileged user with the tree and the venv read-only and only their declared volumes
writable, in the environment docker-compose.yml gives them:

- the production shape (docker-compose.yml alone, test values for its required variables): migrations
  come from `migrate` only, the health checks (/readyz) pass, demo keys are refused, the workers run;
- the development override (plus docker-compose.dev.env): demo data is seeded into the peaks volume, a
  climber uploads summit photos into it and gets a certificate whose PDF prints Hangul.

Runs once, in the PostgreSQL stage (TEST_DB=postgres): compose runs the services on PostgreSQL, one
schema each in one database, and so does this test (a fresh database per deployment), whatever TEST_DB
says; running it in the SQLite stage as well would repeat the same thing.
"""
from __future__ import annotations

import io
import json
import random
import secrets
import time
from datetime import date

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.peaks.domain import sample_photos
from shared import testing
from tests import compose_files
from tests import container_harness as harness
from tests.peaks.support import SAFE_SEEDS
from tools.demo.peaks import capture_days, schedule

pytestmark = pytest.mark.slow

APPS = ("roadkill", "peaks", "onestop")
WORKERS = tuple(f"{a}-worker" for a in APPS)


@pytest.fixture(scope="module")
def image():
    if not testing.using_postgres():
        pytest.skip("runs once, in the PostgreSQL stage (TEST_DB=postgres): the compose files' database")
    reason = harness.missing_prerequisite()
    if reason:
        pytest.skip(reason)
    with harness.built_image() as built:
        yield built


def production_env(image) -> dict[str, str]:
    """Test values for docker-compose.yml's required variables (nothing else from this machine)."""
    return {"SECRET_KEY": secrets.token_urlsafe(32), "POSTGRES_PASSWORD": secrets.token_hex(16),
            **{f"{a.upper()}_PUBLIC_URL": f"http://{a}:{port}" for a, port in
               (("roadkill", 8001), ("peaks", 8002), ("onestop", 8003))}}


def _tables(d: harness.Deployment, schema: str) -> set[str]:
    engine = create_engine(make_url(testing.PG_URL).set(database=d.database))
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}))
    finally:
        engine.dispose()


def figure(name: str, value: dict) -> None:
    print(f"[figure] container {name}: {json.dumps(value)}")


def migrate(d: harness.Deployment) -> float:
    started = time.monotonic()
    r = d.run("migrate")
    assert r.returncode == 0, r.stdout + r.stderr
    for svc in APPS:
        assert "alembic_version" in _tables(d, svc), svc
    return time.monotonic() - started


def start_healthy(d: harness.Deployment) -> float:
    started = time.monotonic()
    for svc in APPS:
        d.start(svc)
    d.wait_healthy(list(APPS))
    return time.monotonic() - started


def test_production_shape_migrates_once_then_serves_as_an_unprivileged_user(image):
    with harness.deployment(image, [compose_files.BASE], production_env(image), "prod") as d:
        # The apps do not migrate (AUTO_MIGRATE=false): started before `migrate`, peaks stops and creates nothing.
        early = d.start("peaks")
        assert early.wait(timeout=120) != 0, d.log("peaks")
        assert _tables(d, "peaks") == set()
        d.procs.clear()
        figure("production", {"migrate_s": round(migrate(d), 1), "healthy_s": round(start_healthy(d), 1),
                              "image_build_s": round(image.build_s, 1)})
        for svc in WORKERS:
            d.start(svc)
        for svc in APPS:
            ready = httpx.get(d.url(svc) + "/readyz", timeout=10).json()
            assert ready["migrations_at_head"] is True, ready
        with httpx.Client(base_url=d.url("peaks"), timeout=10) as c:
            assert c.get("/v1/review", headers={"authorization": "Bearer demo-ulju"}).status_code == 401
            r = c.post("/v1/climbers", json={"display_name": "Prod", "contact": "prod@example.org",
                                             "birth_year": 1990, "gallery_consent": False})
            assert r.status_code == 201, r.text
        # Each worker got through its start-up (settings, database check) and polls its outbox.
        pg_port = make_url(testing.PG_URL).port or 5432
        for svc in WORKERS:
            testing.wait_until(lambda svc=svc: d.procs[svc].poll() is not None
                               or harness.connected_to(d.procs[svc].pid, pg_port), timeout=60)
            assert d.procs[svc].poll() is None, d.log(svc)
        assert harness.files_owned_by_user(image.app) == [] and harness.files_owned_by_user(image.venv) == []


def test_development_override_stores_photos_in_the_volume_and_prints_hangul_certificates(image):
    env = compose_files.read_env_file(compose_files.DEV_ENV)
    with harness.deployment(image, [compose_files.BASE, compose_files.DEV], env, "dev") as d:
        migrate(d)
        start_healthy(d)
        photos = d.volume("peaks-data") / "photos"
        seeded = [p for p in photos.rglob("*") if p.is_file()]
        assert seeded, "demo photos are seeded into the peaks volume"
        with httpx.Client(base_url=d.url("peaks"), timeout=30) as c:
            pdf = _certificate_pdf(c)
        stored = [p for p in photos.rglob("*") if p.is_file()]
        assert len(stored) > len(seeded)
        assert {p.stat().st_uid for p in stored} == {harness.pwd.getpwnam(harness.USER).pw_uid}
        assert harness.files_owned_by_user(image.app) == [] and harness.files_owned_by_user(image.venv) == []
    figure("development", {"seeded_files": len(seeded), "stored_files": len(stored), "pdf_bytes": len(pdf),
                           "fonts": _check_hangul(pdf)})


def _certificate_pdf(c: httpx.Client) -> bytes:
    """A climber climbs the season's peaks (photos dated inside the service's season) and gets the PDF."""
    season = c.get("/v1/seasons/current").json()
    peaks = {p["code"]: p for p in c.get("/v1/peaks").json()["items"]}
    today = date.fromisoformat(c.get("/v1/about").json()["clock"]["service_date"])
    plan = schedule(random.Random(7), season["peaks"], capture_days(season, today), season["per_day_limit"],
                    season["per_month_limit"])
    assert plan, season
    r = c.post("/v1/climbers", json={"display_name": "김등산 Kim", "contact": "kim@example.org",
                                     "birth_year": 1988, "gallery_consent": True})
    assert r.status_code == 201, r.text
    climber, auth = r.json()["id"], {"authorization": f"Bearer {r.json()['token']}"}
    staff = {"authorization": "Bearer demo-ulju"}
    for (code, taken), seed in zip(plan, SAFE_SEEDS, strict=False):
        p = peaks[code]
        data = sample_photos.make_photo(lat=p["lat"], lon=p["lon"], alt=p["elevation_m"] - 5, taken_at=taken,
                                        hpos_error=5, seed=seed)
        r = c.post("/v1/photos", headers=auth, data={"peak": code}, files={"file": ("summit.jpg", data, "image/jpeg")})
        assert r.status_code == 201, r.text
        if r.json()["verdict"] == "needs_review":
            review = c.post(f"/v1/photos/{r.json()['id']}/review", headers=staff,
                            json={"decision": "approve", "reason": "Summit stone visible."})
            assert review.status_code < 300, review.text
        else:
            assert r.json()["verdict"] == "approved", r.text
    progress = c.get(f"/v1/climbers/{climber}/progress", headers=auth).json()
    assert progress["certificate"], progress
    cert = progress["certificate"]
    doc = c.get(f"/v1/certificates/{cert.get('id', cert['number'])}")  # its public address
    assert doc.status_code == 200, doc.text
    pdf = c.get(httpx.URL(doc.json()["pdf_url"]).path)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    return pdf.content


def _check_hangul(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    from services.peaks.domain.certificate_pdf import korean_font

    if korean_font() is None:
        pytest.skip("no Korean font on this machine (fonts-nanum; the image installs it): Hangul not checked")
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    embedded = [f for f in fonts if f["/Subtype"] == "/Type0"
                and "/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"]]
    assert embedded, [str(f.get("/BaseFont")) for f in fonts]
    words = page.extract_text()
    assert "영남알프스" in words and "울주군" in words and "김등산" in words, words
    return [str(f["/BaseFont"]) for f in embedded]
