"""Analytics and exports for the Ministry of Environment over a seeded synthetic history:
Malo flags exactly the seeded hotspot segments, the summary equals what was seeded, exports stream
one row per incident."""
from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.roadkill.app import create_app
from services.roadkill.config import Settings
from services.roadkill.domain import hotspots, incident_columns, prevention
from services.roadkill.flows import analytics, exports
from services.roadkill.models import incident
from shared import testing
from tests.roadkill.conftest import auth, report_body
from tools.seeding.roadkill import seed_history

SERVICE_NAME = "roadkill"
N = 5000
HOTSPOTS = 3


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One app on a private database with a 5,000-incident history (3 hotspot segments), for the module."""
    overrides = testing.database_overrides(tmp_path_factory.mktemp("analytics"), SERVICE_NAME)
    app = create_app(Settings(**overrides, relay_enabled=False, autopilot_enabled=False, seed_demo_incidents=False,
                              log_level="WARNING"))
    try:
        with TestClient(app) as client:
            summary = seed_history(app.state.platform.db.engine, N, hotspots_n=HOTSPOTS, rng=random.Random(7))
            yield client, summary, app.state.platform
    finally:
        testing.drop_schema(overrides.get("db_schema"))


def test_malo_flags_exactly_the_seeded_segments(seeded):
    client, summary, _ = seeded
    r = client.get("/v1/analytics/hotspots", params={"method": "malo", "segment_m": 500}, headers=auth("me"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    flagged = {(f["properties"]["road_id"], f["properties"]["segment_index"]) for f in doc["features"]}
    assert len(summary.hotspot_segments) == HOTSPOTS
    assert flagged == set(summary.hotspot_segments)
    duplicates = summary.by_outcome.get("duplicate", 0)
    assert doc["total_count"] == N - duplicates
    assert doc["total_segments"] == sum(hotspots.segments_per_road(client.app.state.platform.parts.network).values())
    for f in doc["features"]:
        p = f["properties"]
        assert p["hotspot"] is True and p["count"] > doc["upper_limit"] and f["geometry"]["type"] == "LineString"
        assert p["count"] >= summary.hotspot_extra - duplicates


def test_malo_all_segments_and_other_lengths(seeded):
    client, summary, _ = seeded
    doc = client.get("/v1/analytics/hotspots", params={"all_segments": "true"}, headers=auth("chungnam")).json()
    assert len(doc["features"]) == doc["total_segments"]
    assert sum(f["properties"]["hotspot"] for f in doc["features"]) == HOTSPOTS
    assert any(f["properties"]["count"] == 0 for f in doc["features"]) or doc["mean"] > 1
    assert sum(f["properties"]["count"] for f in doc["features"]) == doc["total_count"]

    km = client.get("/v1/analytics/hotspots", params={"segment_m": 1000}, headers=auth("kec")).json()
    flagged = {(f["properties"]["road_id"], f["properties"]["segment_index"]) for f in km["features"]}
    assert flagged == {(road, i // 2) for road, i in summary.hotspot_segments}
    assert km["total_count"] == doc["total_count"]


def test_summary_equals_the_seeded_history(seeded):
    client, summary, platform = seeded
    r = client.get("/v1/analytics/summary", headers=auth("me"))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["total"] == N - summary.by_outcome.get("duplicate", 0)
    assert {x["species"]: x["count"] for x in doc["by_species"]} == summary.by_species
    assert {x["month"]: x["count"] for x in doc["by_month"]} == summary.by_month
    assert {x["road_class"]: x["count"] for x in doc["by_road_class"]} == summary.by_road_class
    assert {x["agency"]: x["count"] for x in doc["by_agency"]} == summary.by_agency
    top = [x["species"] for x in doc["by_species"][:2]]
    assert set(top) == {"cat", "water_deer"}
    tolerance = 0.05 if platform.db.is_sqlite is False else 1.0  # SQLite: one-minute histogram
    for a in doc["by_agency"]:
        minutes = summary.clear_minutes.get(a["agency"], [])
        t = a["time_to_clear"]
        assert t["count"] == len(minutes)
        if minutes:
            assert abs(t["p50_minutes"] - hotspots.percentile(minutes, 50)) <= tolerance
            assert abs(t["p90_minutes"] - hotspots.percentile(minutes, 90)) <= tolerance
            assert a["outcomes"]["removed"] == len(minutes)
    # A filter narrows every breakdown.
    cats = client.get("/v1/analytics/summary", params={"species": "cat"}, headers=auth("me")).json()
    assert cats["total"] == summary.by_species["cat"] and [x["species"] for x in cats["by_species"]] == ["cat"]


def test_histogram_percentile_matches_percentile_cont():
    values = [random.Random(3).uniform(0, 500) for _ in range(2000)]
    buckets: dict[int, int] = {}
    for v in values:
        buckets[int(v)] = buckets.get(int(v), 0) + 1
    for q in (0.0, 0.5, 0.9, 1.0):
        exact = hotspots.percentile(values, q * 100)
        assert abs(prevention.histogram_percentile(buckets.items(), q) - exact) < 1.0
    assert prevention.histogram_percentile([], 0.5) is None
    assert prevention.histogram_percentile([(7, 1)], 0.9) == 7.5


def test_darwin_core_csv_one_row_per_incident(seeded):
    client, summary, _ = seeded
    r = client.get("/v1/exports/darwin-core.csv", headers=auth("me"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    header = r.text.split("\r\n", 1)[0].split(",")
    for term in ("occurrenceID", "eventDate", "decimalLatitude", "decimalLongitude", "coordinateUncertaintyInMeters",
                 "scientificName", "vernacularName", "individualCount", "basisOfRecord",
                 "identificationVerificationStatus"):
        assert term in header
    assert tuple(header) == exports.DWC_TERMS
    assert len(rows) == N - summary.by_outcome.get("duplicate", 0)  # duplicates are the same occurrence
    assert len({row["occurrenceID"] for row in rows}) == len(rows)
    row = rows[0]
    assert row["basisOfRecord"] == "HumanObservation" and row["eventDate"].endswith("+09:00")
    assert 35.9 < float(row["decimalLatitude"]) < 37.1 and 125.9 < float(row["decimalLongitude"]) < 127.8
    assert float(row["coordinateUncertaintyInMeters"]) > 0 and row["individualCount"] == "1"
    names = {x["scientificName"] for x in rows}
    assert {"Felis catus", "Hydropotes inermis"} <= names


def test_incidents_geojson_streams_every_incident(seeded):
    client, _summary, _ = seeded
    r = client.get("/v1/exports/incidents.geojson", headers=auth("chungnam"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    doc = json.loads(r.content)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == N
    f = doc["features"][0]
    assert f["geometry"]["type"] == "Point" and "reporter_hash" not in f["properties"]


def test_who_may_read(seeded):
    client, _summary, _ = seeded
    for party, summary_status, export_status in (("me", 200, 200), ("chungnam", 200, 200), ("molit", 200, 403),
                                                 ("kec", 200, 403), ("tmap", 403, 403), ("acrc", 403, 403)):
        assert client.get("/v1/analytics/summary", headers=auth(party)).status_code == summary_status, party
        assert client.get("/v1/exports/darwin-core.csv", params={"since": "2099-01-01T00:00:00+09:00"},
                          headers=auth(party)).status_code == export_status, party
    assert client.get("/v1/analytics/hotspots").status_code == 401


@pytest.mark.parametrize("params", [{"segment_m": 0}, {"segment_m": "abc"}, {"method": "kde"}, {"species": "unicorn"},
                                    {"confidence": 1.5}, {"since": "2026-01-01"},
                                    {"since": "2026-02-01T00:00:00+09:00", "until": "2026-01-01T00:00:00+09:00"}])
def test_bad_parameters_are_422(seeded, params):
    client, _summary, _ = seeded
    r = client.get("/v1/analytics/hotspots", params=params, headers=auth("me"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text


def test_time_to_clear_is_exact_on_every_backend(seeded):
    """PostgreSQL's percentile_cont and SQLite's reads at the ranks from the ordered index agree with the
    exact percentile of what was seeded (within the 0.1-minute rounding of the figures)."""
    _client, summary, platform = seeded
    clearing = analytics.time_to_clear(platform)
    assert set(clearing) == set(summary.clear_minutes)
    for agency, minutes in summary.clear_minutes.items():
        t = clearing[agency]
        assert t["count"] == len(minutes)
        assert abs(t["p50_minutes"] - hotspots.percentile(minutes, 50)) <= 0.05 + 1e-9
        assert abs(t["p90_minutes"] - hotspots.percentile(minutes, 90)) <= 0.05 + 1e-9


def test_stored_summary_columns_follow_their_definition(client, platform):
    """report_month (Korean time) is set at intake, clear_minutes when the incident is closed."""
    assert incident_columns.report_month(datetime(2026, 1, 31, 15, 0, tzinfo=UTC)) == 202602  # 00:00 KST on Feb 1
    assert incident_columns.report_month(datetime(2026, 1, 31, 14, 59, tzinfo=UTC)) == 202601
    t0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert incident_columns.clear_minutes(t0, t0 + timedelta(minutes=90, seconds=30)) == 90.5
    assert incident_columns.clear_minutes(t0, None) is None

    r = client.post("/v1/voice-reports", json=report_body(), headers=auth("tmap"))
    assert r.status_code == 201, r.text
    inc = r.json()["incident_id"]
    c = incident.c
    with platform.db.read_session() as s:
        row = s.execute(select(c.first_reported_at, c.report_month, c.clear_minutes).where(c.id == inc)).one()
    assert row.report_month == incident_columns.report_month(row.first_reported_at) and row.clear_minutes is None
    steps = [("acrc", {"type": "complaint_registered", "complaint_no": "1AA-1"}), ("molit", {"type": "assigned"}),
             ("kec", {"type": "closed", "outcome": "removed"})]
    for party, body in steps:
        r = client.post(f"/v1/agency/incidents/{inc}/events", json=body, headers=auth(party))
        assert r.status_code == 200, r.text
    with platform.db.read_session() as s:
        row = s.execute(select(c.first_reported_at, c.cleared_at, c.clear_minutes).where(c.id == inc)).one()
    assert abs(row.clear_minutes - incident_columns.clear_minutes(row.first_reported_at, row.cleared_at)) < 1e-6
