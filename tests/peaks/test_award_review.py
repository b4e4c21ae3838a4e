"""Award review (security finding M6): a forged or scripted set still gets its certificate, but its medal and
first place wait for Ulju-gun, who sees every reason; ordinary climbers get theirs at once; registration is
rate-limited per client."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from services.peaks.domain.programme import is_certificate_id

from .support import (
    ACTIVE,
    SAFE_SEEDS,
    climb_day,
    finish_ordinarily,
    month_of,
    photo,
    register,
    staff,
    upload,
)

SERVICE_NAME = "peaks"
FORGERY_SIGNS = {"maker_note_missing", "thumbnail_missing", "gps_on_reference_point", "round_capture_times",
                 "capture_upload_lag", "upload_burst"}


@pytest.fixture
def peaks_settings(peaks_settings):
    """No demo climbers: these tests count certificates, ranks and medals from zero."""
    return peaks_settings.model_copy(update={"seed_on_start": False})


def _forge(c, name: str, seeds, *, consent: bool = True) -> tuple[str, dict]:
    """The attack: a fresh registration, then seven synthetic JPEGs with invented GPS positions (the
    catalogue's own summit points) and invented capture dates, uploaded one after the other in a second."""
    cid, auth = register(c, name, consent=consent)
    for i, code in enumerate(ACTIVE):
        body = upload(c, auth, code, photo(code, seed=next(seeds), month=month_of(i))).json()
        assert body["verdict"] == "approved", body["checks"]  # every photo, alone, still passes
    return cid, auth


def _progress(c, cid: str, auth: dict) -> dict:
    r = c.get(f"/v1/climbers/{cid}/progress", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def test_seven_synthetic_jpegs_win_neither_first_place_nor_medal_until_ulju_grants_them(peaks_client):
    c = peaks_client
    cid, auth = _forge(c, "Scripted", iter(SAFE_SEEDS))

    prog = _progress(c, cid, auth)
    cert = prog["certificate"]
    assert prog["complete"] and cert["rank"] == 1 and is_certificate_id(cert["id"])  # the certificate stays
    assert not cert["first_place"] and not cert["medal"] and not prog["medal_due"]
    assert cert["award_status"] == "held" and sorted(cert["award_due"]) == ["first_place", "medal"]
    # The medal is set aside for this finisher (first come), not handed out.
    assert c.get("/v1/seasons/current").json()["medals_remaining"] == 29_999
    r = c.put(f"/v1/climbers/{cid}/shipping-address", json={"address": "1 Forger-ro"}, headers=auth)
    assert r.status_code == 409

    # Ulju-gun sees the held award with every reason; partners and climbers cannot.
    held = c.get("/v1/awards/held", headers=staff("ulju")).json()["items"]
    assert [a["certificate_id"] for a in held] == [cert["id"]]
    codes = {s["code"] for s in held[0]["signals"]}
    assert FORGERY_SIGNS <= codes, codes
    assert all(s["reason"].endswith(".") and len(s["reason"]) > 20 for s in held[0]["signals"])
    assert len(held[0]["photos"]) == len(ACTIVE)
    assert c.get("/v1/awards/held", headers=staff("miryang")).status_code == 403
    assert c.get("/v1/awards/held", headers=auth).status_code == 401
    page = c.get("/ui/partials/review", headers=staff("ulju")).text
    assert cert["number"] in page and all(f'data-signal="{code}"' in page for code in codes)
    assert "maker note" in page and f'/v1/certificates/{cert["id"]}/award' in page

    # Ulju-gun grants them: first place and the medal are the climber's; a second decision is refused.
    r = c.post(f"/v1/certificates/{cert['id']}/award", headers=staff("ulju"),
               json={"decision": "approve", "reason": "Checked the originals with the climber"})
    assert r.status_code == 200 and r.json()["status"] == "granted", r.text
    cert = _progress(c, cid, auth)["certificate"]
    assert cert["first_place"] and cert["medal"] and cert["award_status"] == "granted"
    assert c.put(f"/v1/climbers/{cid}/shipping-address", json={"address": "1 Summit-ro"},
                 headers=auth).status_code == 200
    again = c.post(f"/v1/certificates/{cert['id']}/award", headers=staff("ulju"),
                   json={"decision": "refuse", "reason": "Changed my mind"})
    assert again.status_code == 409 and again.json()["status"] == 409
    assert c.get("/v1/awards/held", headers=staff("ulju")).json()["items"] == []


def test_an_ordinary_climber_gets_first_place_and_a_medal_at_once(peaks_client, peaks_app):
    c = peaks_client
    cid, auth = finish_ordinarily(c, peaks_app, "Seoyeon", iter(SAFE_SEEDS))
    prog = _progress(c, cid, auth)
    cert = prog["certificate"]
    assert cert["award_status"] == "granted" and cert["first_place"] and cert["medal"] and prog["medal_due"]
    assert [m["name_en"] for m in cert["medal_inscription"]] == [
        "Ulju-gun", "Miryang-si", "Yangsan-si", "Gyeongju-si", "Cheongdo-gun"]
    assert c.get("/v1/awards/held", headers=staff("ulju")).json()["items"] == []


def test_refusing_gives_the_medal_back_and_passes_first_place_to_the_next_finisher(peaks_client, peaks_app):
    c = peaks_client
    seeds = iter(SAFE_SEEDS)
    forger, fauth = _forge(c, "Scripted", seeds)
    honest, hauth = finish_ordinarily(c, peaks_app, "Honest", seeds)
    assert c.get("/v1/seasons/current").json()["medals_remaining"] == 29_998
    mine = _progress(c, honest, hauth)["certificate"]
    assert mine["rank"] == 2 and mine["medal"] and not mine["first_place"]  # first place waits with rank 1

    held = _progress(c, forger, fauth)["certificate"]
    r = c.post(f"/v1/certificates/{held['id']}/award", headers=staff("ulju"),
               json={"decision": "refuse", "reason": "Positions copied from the catalogue"})
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert c.get("/v1/seasons/current").json()["medals_remaining"] == 29_999  # the medal is back in stock
    mine = _progress(c, honest, hauth)["certificate"]
    assert mine["first_place"] and mine["medal"] and mine["award_status"] == "granted"
    refused = _progress(c, forger, fauth)["certificate"]
    assert refused["award_status"] == "refused" and not refused["medal"] and not refused["first_place"]
    assert c.get(f"/v1/certificates/{held['id']}").status_code == 200  # the certificate itself stays


def test_many_registrations_from_one_client_hold_an_otherwise_ordinary_award(peaks_client, peaks_app):
    c = peaks_client
    real = peaks_app.state.platform.clock
    peaks_app.state.platform.clock = lambda: climb_day(0) - timedelta(days=1, hours=3)  # the same evening
    for i in range(5):
        register(c, f"Sock puppet {i}")
    peaks_app.state.platform.clock = real
    cid, auth = finish_ordinarily(c, peaks_app, "Puppeteer", iter(SAFE_SEEDS))
    cert = _progress(c, cid, auth)["certificate"]
    assert cert["award_status"] == "held"
    [held] = c.get("/v1/awards/held", headers=staff("ulju")).json()["items"]
    assert [s["code"] for s in held["signals"]] == ["client_registrations"]
    assert "registered 6 climbers" in held["signals"][0]["reason"]


def test_registration_is_rate_limited_per_client(peaks_settings):
    from services.peaks.app import create_app

    app = create_app(peaks_settings.model_copy(update={"registration_burst": 3, "registration_per_hour": 2}))
    body = {"display_name": "Bot", "contact": "bot@example.org", "birth_year": 1990, "gallery_consent": False}
    with TestClient(app, client=("203.0.113.7", 5000)) as bot, TestClient(app, client=("198.51.100.2", 5000)) as other:
        codes = [bot.post("/v1/climbers", json=body).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        r = bot.post("/v1/climbers", json=body)
        assert r.status_code == 429 and r.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(r.headers["retry-after"]) <= 1800 and "token" not in r.text
        assert other.post("/v1/climbers", json=body).status_code == 201  # another client is not affected
    with app.state.platform.db.read_session() as s:
        from sqlalchemy import select

        from services.peaks.models import Climber

        hashes = list(s.scalars(select(Climber.client_hash)))
    assert len(hashes) == 4 and len(set(hashes)) == 2 and all(len(h) == 64 for h in hashes)
    assert not any("203.0.113.7" in h for h in hashes)  # only a keyed hash of the address is kept


def test_award_decisions_are_ulju_guns_and_need_a_held_award(peaks_client, peaks_app):
    c = peaks_client
    cid, auth = finish_ordinarily(c, peaks_app, "Granted", itertools.islice(SAFE_SEEDS, 0, None))
    cert = _progress(c, cid, auth)["certificate"]
    decide = {"decision": "refuse", "reason": "no reason at all"}
    assert c.post(f"/v1/certificates/{cert['id']}/award", headers=staff("yangsan"), json=decide).status_code == 403
    assert c.post(f"/v1/certificates/{cert['id']}/award", headers=auth, json=decide).status_code == 401
    assert c.post(f"/v1/certificates/{cert['id']}/award", headers=staff("ulju"), json=decide).status_code == 409
    assert c.post("/v1/certificates/crt_AAAAAAAAAAAAAAAAAAAAAA/award", headers=staff("ulju"),
                  json=decide).status_code == 404
    assert c.post(f"/v1/certificates/{cert['number']}/award", headers=staff("ulju"), json=decide).status_code == 404


def test_a_first_place_passed_on_is_judged_like_any_award(peaks_client, peaks_app):
    """Stock of one medal: the first scripted finisher holds it and first place; the second gets nothing at
    completion. Refusing the first passes first place to the second — whose set is judged then, and held."""
    from sqlalchemy import update

    from services.peaks.domain import reference
    from services.peaks.flows.certification import ensure_counter
    from services.peaks.models import SeasonCounter

    c = peaks_client
    with peaks_app.state.platform.db.session() as s:
        ensure_counter(s, reference.season("2026"), peaks_app.state.platform.clock())
        s.execute(update(SeasonCounter).where(SeasonCounter.season_id == "2026").values(medal_stock=1,
                                                                                          medals_remaining=1))
    seeds = iter(SAFE_SEEDS)
    first, fauth = _forge(c, "Scripted One", seeds)
    second, sauth = _forge(c, "Scripted Two", seeds)
    assert _progress(c, second, sauth)["certificate"]["award_status"] == "none"  # no medal left, no first place
    held = _progress(c, first, fauth)["certificate"]
    assert c.post(f"/v1/certificates/{held['id']}/award", headers=staff("ulju"),
                  json={"decision": "refuse", "reason": "Synthetic set"}).json()["status"] == "refused"
    nxt = _progress(c, second, sauth)["certificate"]
    assert nxt["award_status"] == "held" and nxt["award_due"] == ["first_place"] and not nxt["first_place"]
    [waiting] = c.get("/v1/awards/held", headers=staff("ulju")).json()["items"]
    assert waiting["certificate_id"] == nxt["id"] and waiting["signals"]
    refused = _progress(c, first, fauth)["certificate"]
    assert refused["medal_inscription"] is None and c.get("/v1/seasons/current").json()["medals_remaining"] == 1


def test_partners_hear_of_certificates_with_the_award_state_and_a_name_only_by_consent(peaks_client, peaks_app):
    from sqlalchemy import select

    c = peaks_client
    r = c.post("/open/v1/webhooks", headers=staff("gyeongju"),
               json={"url": "http://127.0.0.1:9/hook", "events": ["certificate.issued"]})
    assert r.status_code == 201, r.text
    seeds = iter(SAFE_SEEDS)
    _forge(c, "Shy Scripter", seeds, consent=False)
    finish_ordinarily(c, peaks_app, "Open Climber", seeds)
    o = peaks_app.state.platform.tables.outbox
    with peaks_app.state.platform.db.read_session() as s:
        payloads = [p for p in s.scalars(select(o.c.payload).where(o.c.kind == "certificate.issued")
                                         .order_by(o.c.created_at))]
    assert [(p["award"], p["display_name"], p["medal"], p["first_place"]) for p in payloads] == [
        ("held", None, False, False), ("granted", "Open Climber", True, False)]
    assert all(is_certificate_id(p["id"]) for p in payloads)
    assert "Shy Scripter" not in str(payloads)


def test_partners_hear_when_a_held_award_is_decided_and_when_first_place_passes_on(peaks_client, peaks_app):
    """`certificate.award_changed` reaches a subscribed municipality over real HTTP, signed: the refused
    award of the forger and the first place passed to the honest finisher; a grant after review likewise."""
    import asyncio

    from tests.shared.receiver import Receiver
    from tests.shared.webhook_schema import webhook_errors

    c, platform = peaks_client, peaks_app.state.platform
    with Receiver().serve() as rcv:
        r = c.post("/open/v1/webhooks", headers=staff("gyeongju"),
                   json={"url": rcv.hook_url, "events": ["certificate.award_changed"]})
        assert r.status_code == 201, r.text
        rcv.secrets = [r.json()["secret"]]
        seeds = iter(SAFE_SEEDS)
        forger, fauth = _forge(c, "Scripted", seeds)
        honest, hauth = finish_ordinarily(c, peaks_app, "Honest", seeds)
        other, oauth = _forge(c, "Scripted Too", seeds)
        assert asyncio.run(platform.relay.drain()) == 0, "issuing is not an award change"
        held = _progress(c, forger, fauth)["certificate"]
        assert c.post(f"/v1/certificates/{held['id']}/award", headers=staff("ulju"),
                      json={"decision": "refuse", "reason": "Positions copied"}).status_code == 200
        later = _progress(c, other, oauth)["certificate"]
        assert later["award_status"] == "held"
        assert c.post(f"/v1/certificates/{later['id']}/award", headers=staff("ulju"),
                      json={"decision": "approve", "reason": "Checked with the climber"}).status_code == 200
        assert asyncio.run(platform.relay.drain()) == 3
        assert rcv.rejected == 0 and rcv.duplicates == 0
        events = [e["data"] for e in sorted(rcv.payloads.values(), key=lambda e: e["data"]["changed_at"])]
        doc = c.get("/openapi.json").json()
        for envelope in rcv.payloads.values():  # as documented in the OpenAPI `webhooks`
            assert webhook_errors(doc, "certificate.award_changed", envelope) == [], envelope
    mine = _progress(c, honest, hauth)["certificate"]
    assert {e["event"] for e in events} == {"certificate.award_changed"} and len(rcv.payloads) == 3
    seen = sorted((e["id"], e["award"], e["medal"], e["first_place"], e["display_name"]) for e in events)
    assert seen == sorted([(held["id"], "refused", False, False, "Scripted"),
                           (mine["id"], "granted", True, True, "Honest"),
                           (later["id"], "granted", True, False, "Scripted Too")])
    assert "Positions copied" not in str(events) and "Checked with" not in str(events), "reasons stay inside"
