"""Resident registration numbers in roadkill (issue 14, M2): a number a driver speaks, or writes in an
Open311 description, is masked before the report is stored, so no party sees it — not ACRC's complaint
webhook, not the API; fields that should never hold one (the reporter id, the Open311 contact fields, a
complaint number) and query parameters refuse it, naming the field and never echoing the value."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from services.roadkill.models import incident_event, report
from shared.rrn import MASK, contains_rrn
from tests.roadkill.conftest import auth, report_body
from tests.shared.rrn_variants import ISSUE_VARIANTS, written_rrns

FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _everything_stored(platform) -> str:
    """Every row a party could be shown or sent: reports, history, outbox payloads, trace."""
    t = platform.tables
    with platform.db.read_session() as s:
        rows = [*s.execute(select(report)).all(), *s.execute(select(incident_event)).all(),
                *s.execute(select(t.outbox)).all(), *s.execute(select(t.trace)).all()]
    return "\n".join(repr(tuple(r)) for r in rows)


def _no_number_anywhere(client, platform, incident_id: str) -> None:
    assert not contains_rrn(_everything_stored(platform))
    for party in ("chungnam", "acrc"):
        assert not contains_rrn(client.get(f"/v1/incidents/{incident_id}", headers=auth(party)).text)
        assert not contains_rrn(client.get(f"/v1/incidents/{incident_id}/trace", headers=auth(party)).text)
    assert not contains_rrn(client.get(f"/open311/v2/requests/{incident_id}.json").text)


@pytest.mark.parametrize("variant", ISSUE_VARIANTS)
def test_a_spoken_number_is_masked_before_the_report_is_stored_or_sent(client, platform, variant):
    r = client.post("/v1/voice-reports", headers=auth("tmap"),
                    json=report_body(transcript=f"고라니가 2차로에 치여 있어요 제 주민번호는 {variant} 입니다"))
    assert r.status_code == 201, r.text
    assert r.json()["species"]["code"] == "water_deer" and r.json()["lane"]  # still parsed
    inc = r.json()["incident_id"]
    with platform.db.read_session() as s:
        stored = s.execute(select(report.c.transcript).where(report.c.incident_id == inc)).scalar_one()
    assert stored == f"고라니가 2차로에 치여 있어요 제 주민번호는 {MASK} 입니다"
    o = platform.tables.outbox
    with platform.db.read_session() as s:
        complaint = s.execute(select(o.c.payload).where(o.c.subject_id == inc, o.c.to_party == "acrc")).scalar_one()
    assert complaint["complaint"]["transcript"] == stored
    _no_number_anywhere(client, platform, inc)


@FEW
@given(number=written_rrns())
def test_generated_numbers_are_masked_in_a_road_name(client, platform, number):
    r = client.post("/v1/voice-reports", headers=auth("tmap"),
                    json=report_body(road_name=f"경부고속도로 {number}", transcript="고라니"))
    assert r.status_code == 201, r.text
    with platform.db.read_session() as s:
        names = s.scalars(select(report.c.road_name)).all()
    assert names and not any(contains_rrn(n or "") for n in names)


def test_a_reporter_id_holding_a_number_is_refused(client, platform):
    r = client.post("/v1/voice-reports", headers=auth("tmap"), json=report_body(reporter="850101\u200b-1234567"))
    assert r.status_code == 422 and r.json()["type"].endswith("/rrn-refused")
    assert r.json()["errors"][0]["field"] == "reporter" and not contains_rrn(r.text)
    with platform.db.read_session() as s:
        assert s.execute(select(report.c.id)).first() is None


@pytest.mark.parametrize("variant", ISSUE_VARIANTS[:6])
def test_an_open311_description_is_masked_and_contact_fields_refuse_one(client, platform, variant):
    base = {"api_key": "demo-tmap", "service_code": "roadkill", "lat": "36.86", "long": "127.1652",
            "attribute[species]": "water_deer"}
    r = client.post("/open311/v2/requests.json", data={**base, "description": f"deer, my RRN {variant}"})
    assert r.status_code == 200, r.text
    inc = r.json()[0]["service_request_id"]
    with platform.db.read_session() as s:
        stored = s.execute(select(report.c.description).where(report.c.incident_id == inc)).scalar_one()
    assert stored == f"deer, my RRN {MASK}"
    _no_number_anywhere(client, platform, inc)

    refused = client.post("/open311/v2/requests.json", data={**base, "account_id": variant})
    assert refused.status_code == 400 and "account_id" in refused.json()[0]["description"]
    assert not contains_rrn(refused.text)
    with platform.db.read_session() as s:
        assert len(s.execute(select(report.c.id)).all()) == 1


def test_agency_notes_are_masked_and_a_complaint_number_refuses_one(client, platform):
    inc = client.post("/v1/voice-reports", headers=auth("tmap"), json=report_body()).json()["incident_id"]
    step = f"/v1/agency/incidents/{inc}/events"
    bad = client.post(step, headers=auth("acrc"), json={"type": "complaint_registered", "complaint_no": "850101-1234567"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "complaint_no"
    ok = client.post(step, headers=auth("acrc"), json={"type": "complaint_registered", "complaint_no": "1AA-1",
                                                       "note": "caller gave 850101 1234567, ignored"})
    assert ok.status_code == 200, ok.text
    with platform.db.read_session() as s:
        notes = [e.detail.get("note") for e in s.execute(select(incident_event)).all()]
    assert f"caller gave {MASK}, ignored" in notes
    _no_number_anywhere(client, platform, inc)


@pytest.mark.parametrize("url", ["/v1/incidents?species=850101-1234567",
                                 "/v1/incidents?agency=%D9%A8%D9%A5%D9%A0%D9%A1%D9%A0%D9%A1-1234567",
                                 "/open311/v2/requests.json?service_request_id=850101%E2%80%8B1234567"])
def test_query_parameters_refuse_one(client, url):
    r = client.get(url, headers=auth("chungnam"))
    assert r.status_code in (400, 422), r.text
    assert not contains_rrn(r.text)
    text = r.text
    assert ("species" in text or "agency" in text or "service_request_id" in text)
