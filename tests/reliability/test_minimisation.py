"""Data minimisation: each party's webhook payloads and API reads hold only the fields it may have.

roadkill — one report runs the whole chain (autopilot on, real HTTP); then every outbox payload is
checked per receiving party: ACRC, MOLIT and the road agencies never get the reporter (id or hash); the
Ministry of Environment's record is checked field by field against an allow-list (no personal data at
all); and every party's reads of the incident are checked the same way.
onestop — each agency's referral payload and reads contain only the categories the resident consented to.
peaks — public and open-API responses contain no climber contact, birth year or address.
"""
from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shared import testing
from shared.ids import keyed_hash
from shared.testing import wait_until
from tests.reliability.roadkill_support import INTAKE, OPERATOR, TMAP, intake_path, voice_report
from tests.reliability.support import create_app, first_route, quiet_settings, record_figure

# The Ministry of Environment's processing record: every field it may receive (nothing personal).
ME_FIELDS = {"subject_id", "incident_id", "species_reported", "species_confirmed", "taxon", "event_date",
             "cleared_at", "outcome", "lat", "lon", "coordinate_uncertainty_m", "road_id", "road_class",
             "segment_no", "agency", "municipality", "report_count", "time_to_clear_s"}
ME_TAXON_FIELDS = {"code", "name_en", "name_ko", "scientific_name", "protected"}
# Report fields an agency may read (the operator additionally sees hashes; ACRC the transcript).
REPORT_FIELDS_AGENCY = {"id", "source", "partner", "merged", "species", "species_confidence", "lane", "side",
                        "lat", "lon", "accuracy_m", "heading_deg", "speed_kmh", "road_name", "reported_at",
                        "received_at"}
PERSONAL_KEYS = {"reporter", "reporter_hash", "personal_hashes", "email", "phone", "first_name", "last_name",
                 "device_id", "name"}


def _keys(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a JSON value ("a.b", list items as "a[]")."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(prefix + k)
            out |= _keys(v, f"{prefix}{k}.")
    elif isinstance(value, list):
        for v in value:
            out |= _keys(v, prefix[:-1] + "[]." if prefix else "[].")
    return out


def _leaves(value: Any) -> set[str]:
    return {k.rsplit(".", 1)[-1] for k in _keys(value)}


@pytest.fixture
def roadkill_chain(tmp_path):
    """A live roadkill with relay + autopilot; one report driven through the whole chain to ME."""
    db = testing.database_overrides(tmp_path, "roadkill")
    try:
        port = testing.free_port()
        app = create_app("roadkill", **quiet_settings(
            db, tmp_path, relay_enabled=True, autopilot_enabled=True, autopilot_delay_s=0.0,
            autopilot_poll_interval_s=0.05, relay_poll_interval_s=0.05, port=port,
            public_base_url=f"http://127.0.0.1:{port}", seed_demo_incidents=False))
        with testing.live_server(app, port=port) as server, httpx.Client(base_url=server.url, timeout=30) as h:
            reporter = "driver-010-5555-0199"
            body = voice_report(7, reporter=reporter, transcript="water deer dead on the road, right lane")
            r = h.post(INTAKE, json=body, headers=TMAP)
            assert r.status_code == 201, r.text
            inc_id = r.json()["incident_id"]

            def closed() -> bool:
                d = h.get(f"/v1/incidents/{inc_id}", headers=OPERATOR).json()
                return d["status"] == "closed" and d.get("cleared_at")

            wait_until(closed, timeout=30, interval=0.1)
            p = app.state.platform
            o = p.tables.outbox
            wait_until(lambda: _all_delivered(p), timeout=15)
            with p.db.read_session() as s:
                messages = [dict(m._mapping) for m in s.execute(select(o).where(o.c.subject_id == inc_id))]
            reporter_hash = keyed_hash(p.settings.secret_key.get_secret_value(), "reporter", f"tmap:{reporter}")
            yield {"h": h, "incident": inc_id, "messages": messages, "secrets": [reporter, reporter_hash],
                   "parties": p.parties, "body": body}
    finally:
        testing.drop_schema(db.get("db_schema"))


def _all_delivered(p) -> bool:
    from shared import outbox
    with p.db.read_session() as s:
        return set(outbox.counts(s, p.tables)) <= {"delivered"}


def test_roadkill_payloads_carry_only_each_partys_fields(roadkill_chain):
    ch = roadkill_chain
    parties = ch["parties"]
    by_party: dict[str, list[dict]] = {}
    for m in ch["messages"]:
        by_party.setdefault(m["to_party"], []).append(m["payload"])
    assert {"acrc", "molit", "me"} <= set(by_party), f"chain incomplete: {sorted(by_party)}"
    road_agencies = set(parties.with_role("road_agency"))
    assert road_agencies & set(by_party), "a road agency got the assignment"
    checked_fields = 0
    for party, payloads in by_party.items():
        for payload in payloads:
            text = json.dumps(payload, ensure_ascii=False)
            checked_fields += len(_keys(payload))
            if party in {"acrc", "molit", "me"} | road_agencies:
                for secret in ch["secrets"]:
                    assert secret not in text, f"{party} received the reporter ({secret[:12]}…)"
                assert not (_leaves(payload) & PERSONAL_KEYS), f"{party}: {_leaves(payload) & PERSONAL_KEYS}"
            if party == "me":
                assert set(payload) <= ME_FIELDS, f"ME got fields outside its allow-list: {set(payload) - ME_FIELDS}"
                assert set(payload.get("taxon") or {}) <= ME_TAXON_FIELDS
                assert ch["body"]["transcript"] not in text, "ME must not get what the driver said"
    record_figure("minimisation_roadkill_payloads", {"messages": len(ch["messages"]),
                                                     "parties": sorted(by_party), "fields_checked": checked_fields})


def test_roadkill_reads_carry_only_each_partys_fields(roadkill_chain):
    ch = roadkill_chain
    h, inc = ch["h"], ch["incident"]
    parties = ch["parties"]
    readers = ["acrc", "molit", "me", *parties.with_role("road_agency")]
    read = 0
    for party in readers:
        auth = {"authorization": f"Bearer demo-{party}"}
        for path in (f"/v1/incidents/{inc}", "/v1/incidents", f"/v1/incidents/{inc}/trace", "/v1/agency/inbox"):
            r = h.get(path, headers=auth)
            if r.status_code in (403, 404):
                continue  # not this party's incident / operation
            assert r.status_code == 200, (party, path, r.status_code, r.text[:200])
            read += 1
            text = r.text
            for secret in ch["secrets"]:
                assert secret not in text, f"{party} read the reporter on {path}"
            leaves = _leaves(r.json())
            assert not (leaves & {"reporter", "reporter_hash", "personal_hashes"}), (party, path)
            if path == f"/v1/incidents/{inc}":
                detail = r.json()
                if party == "me":
                    assert detail["reports"] == [], "ME gets no report content at all"
                for rep in detail["reports"]:
                    allowed = REPORT_FIELDS_AGENCY | ({"transcript", "description"} if party == "acrc" else set())
                    assert set(rep) <= allowed, (party, set(rep) - allowed)
    # The partner's hazard feed: where and what, never who.
    hz = h.get("/v1/hazards", params={"bbox": "126.0,36.0,128.0,37.5"}, headers=TMAP)
    assert hz.status_code == 200 and all(s not in hz.text for s in ch["secrets"])
    record_figure("minimisation_roadkill_reads", {"reads_checked": read + 1, "parties": len(readers) + 1})


def test_onestop_referrals_carry_only_consented_categories(tmp_path):
    from tests.reliability.onestop_support import referral_minimisation

    referral_minimisation(tmp_path)


def test_peaks_public_reads_carry_no_climber_personal_data(tmp_path):
    from tests.reliability.peaks_support import public_minimisation

    public_minimisation(tmp_path)


# -- every PUBLIC GET route of every service, with real ids, read without a key ----------------------------

SECRETS = {"name": "이개인비밀", "phone": "010-4321-8765", "email": "secret.person@example.kr",
           "reporter": "tmap-subscriber-SECRET-77", "address": "울주군 비밀로 77-7", "contact": "hidden.climber@example.kr"}


def _seed_roadkill(c) -> dict[str, str]:
    ids: dict[str, str] = {}
    if intake_path():
        r = c.post(INTAKE, json=voice_report(1, reporter=SECRETS["reporter"]), headers=TMAP)
        assert r.status_code == 201, r.text
        ids["incident_id"] = r.json()["incident_id"]
    if first_route("roadkill", "POST", r"/open311/v2/requests\.json"):
        from tests.reliability.roadkill_support import point

        lat, lon = point(2)
        r = c.post("/open311/v2/requests.json", data={
            "api_key": "demo-tmap", "service_code": "roadkill", "lat": str(lat), "long": str(lon),
            "attribute[species]": "water_deer", "email": SECRETS["email"], "phone": SECRETS["phone"],
            "first_name": SECRETS["name"], "last_name": SECRETS["name"], "device_id": SECRETS["reporter"]})
        assert r.status_code in (200, 201), r.text
        item = r.json()[0]
        ids["service_request_id"] = item.get("service_request_id") or ""
        ids["token"] = item.get("token") or ""
        ids["service_code"] = "roadkill"
    return ids


def _seed_onestop(c) -> dict[str, str]:
    if not first_route("onestop", "POST", "/v1/residents"):
        return {}
    from tests.reliability.onestop_support import consent, refer, resident_case

    rid, case = resident_case(c, name=SECRETS["name"], phone=SECRETS["phone"])
    consent(c, rid, "kamco", ["identity", "contact", "finance"])
    ref = refer(c, case, "kamco-bad-debt-adjustment")["id"]
    return {"resident_id": rid, "case_id": case, "referral_id": ref}


def _seed_peaks(c) -> dict[str, str]:
    if not first_route("peaks", "POST", "/v1/climbers"):
        return {}
    from tests.reliability.support import register_climber

    climber = register_climber(c, contact=SECRETS["contact"], birth_year=1961)
    c.put(f"/v1/climbers/{climber['id']}/shipping-address",
          json={"name": SECRETS["name"], "address": SECRETS["address"], "postal_code": "44900",
                "phone": SECRETS["phone"]}, headers={"authorization": f"Bearer {climber['token']}"})
    return {"climber_id": climber["id"]}


@pytest.mark.parametrize("service", ["roadkill", "peaks", "onestop"])
def test_public_routes_leak_no_personal_data(service, tmp_path):
    """Every route marked PUBLIC, read without any key, with the ids of freshly created records filled in,
    shows none of the personal values those records hold."""
    from tests.reliability.support import Synth, decision_of, fill_path, http_routes, service_client

    with service_client(service, tmp_path, seed_demo_incidents=False, seed_demo_data=False) as c:
        ids = {"roadkill": _seed_roadkill, "onestop": _seed_onestop, "peaks": _seed_peaks}[service](c)
        synth = Synth(c.app.openapi())
        checked = 0
        for method, path, route in http_routes(c.app):
            d = decision_of(route)
            if method != "GET" or d is None or d.kind != "public" or path.startswith(("/ui/events", "/ui/static")):
                continue
            params = synth.request("GET", path).get("params")
            r = c.get(fill_path(path, **ids), params=params)
            checked += 1
            leaked = [k for k, v in SECRETS.items() if v in r.text]
            assert not leaked, f"GET {path} (no key) shows {leaked}"
        record_figure(f"minimisation_public_{service}", {"public_routes_read": checked, "ids": sorted(ids)})
