"""Consent and referrals over HTTP: minimised payloads, own referrals only, withdrawal, audit, trace."""
from __future__ import annotations

import pytest

from services.onestop.domain import minimisation
from services.onestop.domain.reference import directory
from services.onestop.models import Consent, Referral

from .conftest import ALL, HUB, auth

ENVELOPE = {"referral_id", "service_id", "resident_ref", "service_key", "agency", "status", "version"}


def _sent(api, referral_id):
    [msg] = api.outbox(subject_id=referral_id, kind="referral.requested")
    return msg.payload


def test_kamco_gets_debt_data_but_not_disability(shared_api):
    res = shared_api.resident(name="채무자")
    case = shared_api.case(res["id"], debt_total_krw=8_000_000, months_overdue=40, disability_registered=True)
    consent = shared_api.consent(res["id"], "kamco", ["identity", "contact", "finance"])
    assert [i["code"] for i in consent["notice"]] == ["recipient", "purpose", "items", "retention", "refusal"]
    assert consent["taken_by"] == "counsellor 7" and consent["taken_at"]
    ref = shared_api.refer(case["id"], "kamco-bad-debt-adjustment")
    payload = _sent(shared_api, ref["id"])
    assert payload["debt_total_krw"] == 8_000_000 and payload["months_overdue"] == 40
    assert "disability_registered" not in payload and "employment_status" not in payload
    assert payload["resident_ref"].startswith("R-")


def test_disability_travels_only_with_separate_consent(shared_api):
    res = shared_api.resident(name="장애인 구직자")
    case = shared_api.case(res["id"], disability_registered=True)
    no_separate = shared_api.post(f"/v1/residents/{res['id']}/consents", {
        "agency": "kead", "categories": ["identity", "health"], "taken_by": "c", "notice_shown": True})
    assert no_separate.status_code == 422 and "separate" in no_separate.text
    shared_api.consent(res["id"], "kead", ["identity", "contact", "employment"])
    first = shared_api.refer(case["id"], "kead-employment-support")
    assert "disability_registered" not in _sent(shared_api, first["id"])
    shared_api.post(f"/v1/referrals/{first['id']}/cancel", {"reason": "duplicate"})
    shared_api.consent(res["id"], "kead", ["identity", "contact", "employment", "health"], sensitive=True)
    second = shared_api.refer(case["id"], "kead-employment-support")
    assert _sent(shared_api, second["id"])["disability_registered"] is True


@pytest.mark.parametrize("agency,service,categories", [
    ("kamco", "kamco-bad-debt-adjustment", ["identity", "finance"]),
    ("ccrs", "ccrs-long-term-small-delinquent", ["contact", "finance", "welfare"]),
    ("gewpc", "gewpc-national-employment-support", ["identity", "employment"]),
    ("bukgu-women", "women-career-restart", ALL),
    ("microcredit", "microcredit-loan", ["identity"]),
])
def test_each_payload_holds_only_consented_categories(shared_api, agency, service, categories):
    _res, _case, ref = shared_api.referral_to(agency, service, categories=categories, disability_registered=True)
    payload = _sent(shared_api, ref["id"])
    needed = set(directory().service(service).data_categories)
    expected = minimisation.fields_for(set(categories) & needed)
    assert set(payload) - ENVELOPE <= expected
    # Everything consented and needed that the resident has is there (nothing silently lost).
    assert {"name", "debt_total_krw", "employment_status"} & expected <= set(payload)
    read = shared_api.get(f"/v1/agency/referrals/{ref['id']}", party=agency).json()
    assert set(read["data"]) - ENVELOPE <= expected


def test_bad_referrals_write_nothing(shared_api):
    res = shared_api.resident()
    case = shared_api.case(res["id"])
    before = (shared_api.count(Referral), len(shared_api.outbox()), shared_api.count(Consent))
    no_consent = shared_api.post(f"/v1/cases/{case['id']}/referrals", {"service": "ccrs-debt-adjustment"})
    assert no_consent.status_code == 422 and no_consent.json()["type"].endswith("/consent-required")
    assert "consent" in no_consent.json()["detail"]
    unknown_agency = shared_api.post(f"/v1/residents/{res['id']}/consents", {
        "agency": "acme-bank", "categories": ["identity"], "taken_by": "c", "notice_shown": True})
    assert unknown_agency.status_code == 422 and unknown_agency.json()["type"].endswith("/unknown-agency")
    unknown_service = shared_api.post(f"/v1/cases/{case['id']}/referrals", {"service": "nope"})
    assert unknown_service.status_code == 422
    assert (shared_api.count(Referral), len(shared_api.outbox()), shared_api.count(Consent)) == before


def test_duplicate_open_referral_refused_and_idempotent_retry(shared_api):
    res = shared_api.resident()
    case = shared_api.case(res["id"], debt_total_krw=1_000_000, months_overdue=5)
    shared_api.consent(res["id"], "ccrs")
    before = shared_api.count(Referral)
    body = {"service": "ccrs-debt-adjustment"}
    one = shared_api.post(f"/v1/cases/{case['id']}/referrals", body, headers={"Idempotency-Key": "k-ref-1"})
    two = shared_api.post(f"/v1/cases/{case['id']}/referrals", body, headers={"Idempotency-Key": "k-ref-1"})
    assert one.status_code == two.status_code == 201 and one.json()["id"] == two.json()["id"]
    assert shared_api.count(Referral) == before + 1
    dup = shared_api.post(f"/v1/cases/{case['id']}/referrals", body)
    assert dup.status_code == 409 and dup.json()["existing_referral_id"] == one.json()["id"]


def test_agency_sees_only_its_own_referrals(shared_api):
    _, _, a = shared_api.referral_to("kinfa", "kinfa-special-sunshine-loan")
    _, _, b = shared_api.referral_to("microcredit", "microcredit-loan")
    assert shared_api.get(f"/v1/agency/referrals/{a['id']}", party="microcredit").status_code == 404
    assert shared_api.set_status(a["id"], "microcredit", "accepted").status_code == 404
    ids = {r["id"] for r in shared_api.get("/v1/agency/referrals", party="kinfa").json()["items"]}
    assert a["id"] in ids and b["id"] not in ids
    assert shared_api.get("/v1/agency/referrals", party="bukgu-hub").status_code == 403


def test_agency_list_cursor_pagination(shared_api):
    made = [shared_api.referral_to("cnu-job", "cnu-youth-career-counselling")[2]["id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = shared_api.get("/v1/agency/referrals", party="cnu-job", params=params).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(made, reverse=True)
    assert "name" not in str(page)


def test_withdrawal_stops_sharing_and_revokes_access(shared_api):
    res, case, ref = shared_api.referral_to("midlife-job", "midlife-job-placement")
    assert shared_api.get(f"/v1/agency/referrals/{ref['id']}", party="midlife-job").status_code == 200
    [consent] = [c for c in shared_api.get(f"/v1/residents/{res['id']}/consents").json()["items"] if c["active"]]
    w = shared_api.post(f"/v1/consents/{consent['id']}/withdraw", {"withdrawn_by": "counsellor 7"})
    assert w.status_code == 200 and w.json()["cancelled_referrals"] == [ref["id"]]
    read = shared_api.get(f"/v1/agency/referrals/{ref['id']}", party="midlife-job")
    assert read.status_code == 410 and read.json()["type"].endswith("/access-revoked")
    cancel = shared_api.outbox(subject_id=ref["id"], kind="referral.cancelled")[0].payload
    assert cancel["reason"] == "consent-withdrawn" and "name" not in cancel
    again = shared_api.post(f"/v1/cases/{case['id']}/referrals", {"service": "midlife-job-placement"})
    assert again.status_code == 422 and again.json()["type"].endswith("/consent-required")
    log = shared_api.get(f"/v1/residents/{res['id']}/access-log").json()["items"]
    agency_reads = [e for e in log if e["party"] == "midlife-job"]
    assert len(agency_reads) == 1 and "name" in agency_reads[0]["fields"] and agency_reads[0]["purpose"]


def test_trace_and_fhir_views(shared_api):
    _, case, ref = shared_api.referral_to("ccrs", "ccrs-debt-adjustment")
    assert shared_api.set_status(ref["id"], "ccrs", "accepted").status_code == 200
    t = shared_api.get(f"/v1/referrals/{ref['id']}/trace").json()["events"]
    assert [(e["channel"], e["from"], e["to"], e["kind"]) for e in t] == [
        ("webhook", "bukgu-hub", "ccrs", "referral.requested"),
        ("api", "ccrs", "bukgu-hub", "referral.status"),
        ("webhook", "ccrs", "bukgu-hub", "referral.status_changed")]
    assert "debt_total_krw" in t[0]["fields"]
    mermaid = shared_api.get(f"/v1/referrals/{ref['id']}/trace", params={"format": "mermaid"})
    assert mermaid.text.startswith("sequenceDiagram") and "ccrs" in mermaid.text
    assert len(shared_api.get(f"/v1/cases/{case['id']}/trace").json()["events"]) == 3
    fhir = shared_api.get(f"/v1/referrals/{ref['id']}/fhir").json()
    sr, task = (e["resource"] for e in fhir["entry"])
    assert sr["resourceType"] == "ServiceRequest" and task["status"] == "accepted"
    assert task["focus"]["reference"] == f"ServiceRequest/{sr['id']}"
    hub = shared_api.get(f"/v1/referrals/{ref['id']}").json()
    assert [h["to"] for h in hub["history"]] == ["requested", "accepted"] and hub["history"][1]["party"] == "ccrs"


def test_webhooks_reach_agencies_signed_once_and_as_the_openapi_document_promises(api):
    """Every event kind the hub and an agency exchange, delivered over real HTTP to a receiver that verifies
    the Standard Webhooks signature, and checked against the OpenAPI 3.1 `webhooks` entry of its kind."""
    import asyncio

    from tests.shared.receiver import Receiver
    from tests.shared.webhook_schema import webhook_errors

    with Receiver().serve() as rcv:
        secrets = []
        for party in ("ccrs", "kinfa", HUB):
            r = api.c.put(f"/v1/ops/endpoints/{party}", json={"url": rcv.hook_url}, headers=auth(HUB))
            assert r.status_code == 200, r.text
            secrets.append(r.json()["signing_secret"])
        rcv.secrets = secrets
        accepted = api.referral_to("ccrs", "ccrs-debt-adjustment")
        assert api.set_status(accepted[2]["id"], "ccrs", "accepted").status_code == 200
        rejected = api.referral_to("kinfa", "kinfa-special-sunshine-loan")
        assert api.set_status(rejected[2]["id"], "kinfa", "rejected", reason="no-capacity").status_code == 200
        # Consent withdrawn: the open referral is cancelled, the closed one's data access revoked.
        for (res, _case, ref) in (accepted, rejected):
            (consent,) = [c for c in api.get(f"/v1/residents/{res['id']}/consents").json()["items"]
                          if c["agency"] == ref["agency"]]
            r = api.post(f"/v1/consents/{consent['id']}/withdraw", {"withdrawn_by": "counsellor 7"})
            assert r.status_code == 200, r.text
        sent = asyncio.run(api.platform.relay.drain())
        assert sent == len(rcv.payloads) and rcv.rejected == 0 and rcv.duplicates == 0
    kinds = {e["type"] for e in rcv.payloads.values()}
    assert kinds == {"referral.requested", "referral.status_changed", "referral.cancelled",
                     "referral.access_revoked"}, kinds
    doc = api.get("/openapi.json").json()
    assert {w: webhook_errors(doc, e["type"], e) for w, e in rcv.payloads.items()} == {w: [] for w in rcv.payloads}
