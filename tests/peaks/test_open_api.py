"""Open API for the municipalities: keys, clean photo pages, ETag/304, rate limit, CORS, figures, subscriptions."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from services.peaks.domain import reference
from shared import webhooks

from .support import photo, register, staff, upload
from .test_gallery import assert_no_exif

SERVICE_NAME = "peaks"


@pytest.fixture
def peaks_settings(peaks_settings):
    """No demo climbers (their photos cost ~1 s of start-up per app); these tests make their own data."""
    return peaks_settings.model_copy(update={"seed_on_start": False})
PARTNERS = ("ulju", "miryang", "yangsan", "gyeongju", "cheongdo")
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_every_municipality_key_works_and_a_wrong_key_gets_401(peaks_client):
    c = peaks_client
    for party in PARTNERS:
        r = c.get("/open/v1/photos", headers=staff(party))
        assert r.status_code == 200, (party, r.text)
        assert all(h in r.headers for h in RATE_HEADERS)
    _problem(c.get("/open/v1/photos"), 401)
    _problem(c.get("/open/v1/photos", headers={"authorization": "Bearer cpa_miryang_not-a-real-key"}), 401)
    _problem(c.get("/open/v1/peaks", headers={"x-api-key": "demo-nobody"}), 401)
    _, climber = register(c, "Sneaky")
    _problem(c.get("/open/v1/statistics", headers=climber), 401)  # a climber token is no municipality key


def test_photo_pages_are_clean_and_etag_gives_304_until_something_changes(peaks_client):
    c = peaks_client
    _, a = register(c, "Alice")
    _, b = register(c, "Bob", consent=False)
    first = upload(c, a, "gajisan", photo("gajisan", seed=9)).json()
    hidden = upload(c, b, "gajisan", photo("gajisan", seed=11)).json()
    pending = upload(c, a, "sinbulsan", photo("sinbulsan", seed=13, gps=False)).json()
    assert (first["verdict"], hidden["verdict"], pending["verdict"]) == ("approved", "approved", "needs_review")
    h = staff("gyeongju")
    r = c.get("/open/v1/photos", params={"limit": 100}, headers=h)
    assert r.status_code == 200
    items = r.json()["items"]
    ids = [i["id"] for i in items]
    assert first["id"] in ids and hidden["id"] not in ids and pending["id"] not in ids
    for private in ("alice@example.org", "climber_id", "lat", "lon", "birth", "contact", "storage_key"):
        assert private not in r.text
    item = next(i for i in items if i["id"] == first["id"])
    assert item["display_name"] == "Alice" and item["peak"] == "gajisan"
    for size in ("display", "thumb"):
        img = c.get(urlsplit(item["images"][size]).path)
        assert img.status_code == 200
        assert_no_exif(img.content)
    etag = r.headers["etag"]
    # Unchanged data: 304 with the same ETag, no body, and the rate-limit headers still there.
    r304 = c.get("/open/v1/photos", params={"limit": 100}, headers={**h, "if-none-match": etag})
    assert r304.status_code == 304 and r304.content == b"" and r304.headers["etag"] == etag
    assert all(x in r304.headers for x in RATE_HEADERS)
    assert c.get("/open/v1/photos", params={"limit": 100},
                 headers={**h, "if-none-match": f'"other", W/{etag}'}).status_code == 304
    # Another filter is another representation.
    assert c.get("/open/v1/photos", params={"limit": 5}, headers={**h, "if-none-match": etag}).status_code == 200
    # A change (the pending photo approved by a reviewer) → 200 with a new ETag and the photo in it.
    rv = c.post(f"/v1/photos/{pending['id']}/review", headers=staff("yangsan"),
                json={"decision": "approve", "reason": "Summit stone visible"})
    assert rv.status_code == 200, rv.text
    after = c.get("/open/v1/photos", params={"limit": 100}, headers={**h, "if-none-match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.json()["items"][0]["id"] == pending["id"]  # most recently changed first


def test_cursor_updated_since_and_territory_filters(peaks_client):
    c = peaks_client
    _, a = register(c, "Carol")
    mine = [upload(c, a, code, photo(code, seed=s, month=4 + i)).json()
            for i, (code, s) in enumerate((("goheonsan", 15), ("ganwolsan", 17), ("unmunsan", 19)))]
    assert [x["verdict"] for x in mine] == ["approved"] * 3
    h = staff("ulju")
    seen, cursor = [], None
    while True:
        r = c.get("/open/v1/photos", params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=h)
        body = r.json()
        assert len(body["items"]) <= 2
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and {x["id"] for x in mine} <= set(seen)
    # Photos changed since a moment after everything: none; since long ago: all.
    assert c.get("/open/v1/photos", params={"updated_since": "2026-11-29T12:00:01+09:00"}, headers=h
                 ).json()["items"] == []
    assert len(c.get("/open/v1/photos", params={"updated_since": "2026-01-01T00:00:00"}, headers=h
                     ).json()["items"]) == len(seen)
    # Gyeongju's territory: Goheonsan and Munboksan only.
    terr = c.get("/open/v1/photos", params={"mine": "true"}, headers=staff("gyeongju")).json()["items"]
    assert {i["peak"] for i in terr} <= {"goheonsan", "munboksan"} and mine[0]["id"] in {i["id"] for i in terr}
    terr2 = c.get("/open/v1/photos", params={"territory": "true", "peak": "ganwolsan"},
                  headers=staff("gyeongju")).json()["items"]
    assert terr2 == []
    _problem(c.get("/open/v1/photos", params={"peak": "Hallasan"}, headers=h), 422)
    _problem(c.get("/open/v1/photos", params={"limit": 101}, headers=h), 422)
    _problem(c.get("/open/v1/photos", params={"cursor": "garbage!"}, headers=h), 400)


@pytest.fixture
def strict_client(peaks_settings):
    """A tight rate limit (burst 3, 6/min) and production rules for webhook URLs; no demo photos."""
    from services.peaks.app import create_app

    app = create_app(peaks_settings.model_copy(update={
        "open_api_rate_per_minute": 6, "open_api_burst": 3, "open_api_allow_private_webhooks": False,
        "seed_on_start": False}))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_rate_limit_gives_429_with_retry_after(strict_client):
    c = strict_client
    h = staff("cheongdo")
    remaining = []
    for _ in range(3):
        r = c.get("/open/v1/peaks", headers=h)
        assert r.status_code == 200 and r.headers["x-ratelimit-limit"] == "3"
        remaining.append(int(r.headers["x-ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    r = c.get("/open/v1/photos", headers=h)
    body = _problem(r, 429)
    assert body["type"].endswith("/rate-limited")
    assert int(r.headers["retry-after"]) >= 1 and r.headers["x-ratelimit-remaining"] == "0"
    assert int(r.headers["x-ratelimit-reset"]) >= int(r.headers["retry-after"])
    # Per key: another municipality is not affected.
    assert c.get("/open/v1/peaks", headers=staff("miryang")).status_code == 200


def test_webhook_urls_must_be_public_https_outside_demo_mode(strict_client):
    urls = ("http://127.0.0.1:9/h", "https://localhost/h", "https://10.0.0.5/h", "http://hooks.example/h",
            "https://[::1]/h")
    for url, party in zip(urls, PARTNERS, strict=True):  # one request per key: the burst here is 3
        _problem(strict_client.post("/open/v1/webhooks", headers=staff(party),
                                    json={"url": url, "events": ["certificate.issued"]}), 422)


def test_cors_for_open_api_gets_only(peaks_client):
    c = peaks_client
    origin = {"origin": "https://www.miryang.go.kr"}
    pre = c.options("/open/v1/photos", headers={**origin, "access-control-request-method": "GET",
                                                "access-control-request-headers": "authorization, if-none-match"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*" and "GET" in pre.headers["access-control-allow-methods"]
    refused = c.options("/open/v1/webhooks", headers={**origin, "access-control-request-method": "POST"})
    assert refused.status_code == 400
    got = c.get("/open/v1/peaks", headers={**origin, **staff("miryang")})
    assert got.headers["access-control-allow-origin"] == "*"
    assert "ETag" in got.headers["access-control-expose-headers"]
    assert "access-control-allow-origin" not in c.get("/v1/peaks", headers=origin).headers


def test_peaks_and_statistics(peaks_client):
    c = peaks_client
    h = staff("yangsan")
    peaks = c.get("/open/v1/peaks", headers=h)
    assert peaks.status_code == 200
    doc = peaks.json()
    assert len(doc["items"]) == 9 and doc["season"] == "2026"
    gaji = next(p for p in doc["items"] if p["code"] == "gajisan")
    assert gaji["name_ko"] == "가지산" and gaji["active"] and "miryang" in gaji["municipalities"]
    assert c.get("/open/v1/peaks", headers={**h, "if-none-match": peaks.headers["etag"]}).status_code == 304
    _, a = register(c, "Dave")
    assert upload(c, a, "cheonhwangsan", photo("cheonhwangsan", seed=21)).json()["verdict"] == "approved"
    st = c.get("/open/v1/statistics", headers=h)
    s = st.json()
    assert s["season"] == "2026" and s["participants"] >= 1 and s["completions"] == 0
    per_peak = {x["peak"]: x for x in s["approvals_per_peak"]}
    assert set(per_peak) == set(reference.peaks()) and per_peak["cheonhwangsan"]["approved"] >= 1
    assert not per_peak["jaeyaksan"]["active"] and len(s["gallery_views"]) == 30
    assert c.get("/open/v1/statistics", headers={**h, "if-none-match": st.headers["etag"]}).status_code == 304
    _problem(c.get("/open/v1/statistics", params={"season": "1999"}, headers=h), 404)


def test_webhook_subscriptions_crud(peaks_client, peaks_app):
    c = peaks_client
    settings = peaks_app.state.platform.settings
    r = c.post("/open/v1/webhooks", headers=staff("miryang"),
               json={"url": "https://hooks.miryang.example/peaks", "events": ["photo.approved"], "territory": True})
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["secret"] == webhooks.party_secret(settings.secret_key.get_secret_value(), "miryang", settings.webhook_secret_version)
    assert sub["peaks"] and set(sub["peaks"]) == {"gajisan", "unmunsan", "cheonhwangsan", "jaeyaksan"}
    listed = c.get("/open/v1/webhooks", headers=staff("miryang")).json()["items"]
    assert [x["id"] for x in listed] == [sub["id"]]
    assert c.get("/open/v1/webhooks", headers=staff("yangsan")).json()["items"] == []
    _problem(c.delete(f"/open/v1/webhooks/{sub['id']}", headers=staff("yangsan")), 404)
    _problem(c.post("/open/v1/webhooks", headers=staff("miryang"),
                    json={"url": "https://x.example/h", "events": ["photo.deleted"]}), 422)
    _problem(c.post("/open/v1/webhooks", headers=staff("miryang"),
                    json={"url": "ftp://x.example/h", "events": ["photo.approved"]}), 422)
    assert c.delete(f"/open/v1/webhooks/{sub['id']}", headers=staff("miryang")).status_code == 204
    assert c.get("/open/v1/webhooks", headers=staff("miryang")).json()["items"] == []
