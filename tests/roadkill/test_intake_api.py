"""Voice-report intake and jurisdiction routing over HTTP: routing table, merging, bad input, idempotency."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.roadkill.models import incident, report
from tests.roadkill.conftest import EXPRESSWAY, NATIONAL, OFF_ROAD, PROVINCIAL, SEOUL, auth, report_body

SERVICE_NAME = "roadkill"

ROUTES = [
    pytest.param(EXPRESSWAY, "kec", "expressway", "Korea Expressway Corporation", id="expressway"),
    pytest.param(NATIONAL, "daejeon-rolm", "national", "Daejeon Regional Office", id="national"),
    pytest.param(PROVINCIAL, "chungnam-road", "provincial", "Road Management Office", id="provincial"),
    pytest.param(OFF_ROAD, "boryeong", None, "No mapped road", id="off-road"),
]


def _counts(platform) -> tuple[int, int]:
    with platform.db.read_session() as s:
        return (s.scalar(select(func.count()).select_from(incident)),
                s.scalar(select(func.count()).select_from(report)))


@pytest.mark.parametrize(("where", "agency", "road_class", "phrase"), ROUTES)
def test_jurisdiction_endpoint_routes_by_road_class(client, where, agency, road_class, phrase):
    r = client.get("/v1/jurisdiction", params={"lat": where[0], "lon": where[1], "heading_deg": 185})
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["agency"], d["road_class"]) == (agency, road_class)
    assert phrase in d["explanation"] and d["explanation_ko"]


@pytest.mark.parametrize(("where", "agency", "road_class", "phrase"), ROUTES)
def test_voice_report_routes_and_answers_201(client, where, agency, road_class, phrase):
    r = client.post("/v1/voice-reports", json=report_body(*where), headers=auth("tmap"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["report_id"].startswith("rpt_") and body["incident_id"].startswith("inc_")
    assert body["merged"] is False and body["report_count"] == 1 and body["status"] == "received"
    assert body["species"]["code"] == "water_deer" and body["species"]["confidence"] > 0.5
    assert body["lane"] == "2nd lane"
    assert body["decision"]["agency"] == agency and phrase in body["decision"]["explanation"]


def test_outside_chungnam_is_a_clear_422(client, platform):
    r = client.get("/v1/jurisdiction", params={"lat": SEOUL[0], "lon": SEOUL[1]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/outside-region") and "Chungcheongnam-do" in r.json()["detail"]
    r = client.post("/v1/voice-reports", json=report_body(*SEOUL), headers=auth("tmap"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lat"
    assert _counts(platform) == (0, 0)


@pytest.mark.parametrize(("change", "field", "status"), [
    pytest.param({"consent": None}, "consent", 422, id="missing-consent"),
    pytest.param({"consent": False}, "consent", 422, id="consent-false"),
    pytest.param({"lat": 127.0, "lon": 36.5}, "lat", 422, id="outside-korea-swapped"),
    pytest.param({"lat": -33.9, "lon": 151.2}, "lat", 422, id="outside-korea"),
    pytest.param({"lat": "north"}, "lat", 422, id="non-numeric-lat"),
    pytest.param({"lat": 95.0}, "lat", 422, id="lat-out-of-range"),
    pytest.param({"transcript": ""}, "transcript", 422, id="empty-transcript"),
    pytest.param({"transcript": "   "}, "transcript", 422, id="blank-transcript"),
    pytest.param({"transcript": "고라니 " * 600}, "transcript", 422, id="long-transcript"),
    pytest.param({"reported_at": "2026-11-29T10:00:00"}, "reported_at", 422, id="naive-datetime"),
    pytest.param({"reported_at": "2001-01-01T00:00:00+09:00"}, "reported_at", 422, id="stale-report"),
    pytest.param({"heading_deg": 400}, "heading_deg", 422, id="heading-out-of-range"),
])
def test_bad_input_is_problem_json_and_writes_nothing(client, platform, change, field, status):
    body = report_body(**change)
    if change.get("consent", True) is None:
        del body["consent"]
    r = client.post("/v1/voice-reports", json=body, headers=auth("tmap"))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    assert _counts(platform) == (0, 0)


def test_100_kb_transcript_and_garbage_bodies_never_500(client, platform):
    r = client.post("/v1/voice-reports", json=report_body(transcript="a" * 100_000), headers=auth("tmap"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "transcript"
    r = client.post("/v1/voice-reports", json=report_body(transcript="가" * 400_000), headers=auth("tmap"))
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    for raw in (b"{", b"[]", b'{"lat": NaN}', b"null"):
        r = client.post("/v1/voice-reports", content=raw, headers={**auth("tmap"), "content-type": "application/json"})
        assert 400 <= r.status_code < 500, (raw, r.status_code)
    assert _counts(platform) == (0, 0)


def test_only_the_partner_may_report(client):
    assert client.post("/v1/voice-reports", json=report_body()).status_code == 401
    r = client.post("/v1/voice-reports", json=report_body(), headers=auth("kec"))
    assert r.status_code == 403


def test_idempotency_key_retry_stores_one_report(client, platform):
    body = report_body()
    headers = {**auth("tmap"), "Idempotency-Key": "retry-123"}
    first = client.post("/v1/voice-reports", json=body, headers=headers)
    second = client.post("/v1/voice-reports", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert _counts(platform) == (1, 1)


def test_same_carcass_merges_and_opposite_carriageway_does_not(client, platform):
    ids = set()
    for n in range(3):
        r = client.post("/v1/voice-reports", json=report_body(EXPRESSWAY[0] + n * 0.0003, EXPRESSWAY[1],
                                                              reporter=f"driver-{n}"), headers=auth("tmap"))
        ids.add(r.json()["incident_id"])
    assert len(ids) == 1 and r.json()["merged"] is True and r.json()["report_count"] == 3
    other = client.post("/v1/voice-reports", json=report_body(*EXPRESSWAY, heading_deg=5.0, reporter="driver-x"),
                        headers=auth("tmap")).json()
    assert other["decision"]["carriageway"] == "backward" and other["merged"] is False
    assert other["incident_id"] not in ids
    assert _counts(platform) == (2, 4)


def test_reports_far_apart_or_on_another_road_are_separate(client):
    a = client.post("/v1/voice-reports", json=report_body(), headers=auth("tmap")).json()
    b = client.post("/v1/voice-reports", json=report_body(EXPRESSWAY[0] - 0.01, EXPRESSWAY[1] + 0.003),
                    headers=auth("tmap")).json()
    assert a["incident_id"] != b["incident_id"]


def test_geojson_files_are_served_with_cache_headers(client):
    for path in ("/v1/roads.geojson", "/v1/areas.geojson"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
        assert r.json()["type"] == "FeatureCollection" and "max-age" in r.headers["cache-control"]
        again = client.get(path, headers={"if-none-match": r.headers["etag"]})
        assert again.status_code == 304
