"""Photo submission over HTTP: verdicts with reasons, duplicates, bad input leaving nothing behind, idempotency."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from PIL import Image, ImageOps
from sqlalchemy import func, select

from services.peaks.domain import reference
from services.peaks.domain.reference import KST
from services.peaks.models import Climber, Photo
from services.peaks.photo_store import storage_of
from tests.peaks import hostile_files

from .support import ACTIVE, SAFE_SEEDS, check, month_of, photo, register, staff, upload

SERVICE_NAME = "peaks"


def _counts(app) -> tuple[int, int]:
    p = app.state.platform
    with p.db.read_session() as s:
        rows = s.scalar(select(func.count()).select_from(Photo))
    return rows, storage_of(p).count()


def test_summit_photos_pass_at_every_active_peak_and_certify(peaks_client):
    c = peaks_client
    cid, h = register(c, "Seoyeon")
    for i, code in enumerate(ACTIVE):
        r = upload(c, h, code, photo(code, seed=SAFE_SEEDS[i], month=month_of(i)))
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["verdict"] == "approved", [x for x in body["checks"] if x["result"] in ("warn", "fail")]
        assert body["score"] >= 80 and all(x["reason"] for x in body["checks"])
        assert "contact" not in body and "lat" not in body
    prog = c.get(f"/v1/climbers/{cid}/progress", headers=h).json()
    assert prog["complete"] and prog["remaining"] == [] and len(prog["done"]) == len(ACTIVE)
    cert = prog["certificate"]
    assert cert["number"] == "YA-2026-000001" and cert["rank"] == 1
    # Seven synthetic photos uploaded in a second: the medal and first place wait for Ulju-gun (test_award_review).
    assert cert["award_status"] == "held" and not cert["first_place"] and not cert["medal"]
    r = c.post(f"/v1/certificates/{cert['id']}/award", headers=staff("ulju"),
               json={"decision": "approve", "reason": "Originals checked"})
    assert r.status_code == 200, r.text
    prog = c.get(f"/v1/climbers/{cid}/progress", headers=h).json()
    cert = prog["certificate"]
    assert cert["first_place"] and cert["medal"]
    assert prog["medal_due"] and not prog["shipping_address_set"]
    r = c.put(f"/v1/climbers/{cid}/shipping-address", json={"address": "12 Summit-ro, Ulju-gun"}, headers=h)
    assert r.status_code == 200 and r.json()["certificate"] == cert["number"]
    assert c.get("/v1/seasons/current").json()["medals_remaining"] == 29_999
    assert c.get(f"/v1/climbers/{cid}/progress", headers=staff("ulju")).status_code == 200


def test_five_km_away_is_rejected_with_the_distance(peaks_client):
    _cid, h = register(peaks_client)
    r = upload(peaks_client, h, "gajisan", photo("gajisan", seed=1, north_m=5_000))
    assert r.status_code == 201
    body = r.json()
    dist = check(body, "distance")
    assert body["verdict"] == "rejected" and dist["result"] == "fail"
    assert 4_900 < dist["details"]["distance_m"] < 5_100
    assert f"{dist['details']['distance_m']:,.0f} m from the summit" in dist["reason"]


def test_no_gps_needs_review_and_the_climber_sees_the_decision(peaks_client):
    c = peaks_client
    _cid, h = register(c)
    r = upload(c, h, "gajisan", photo("gajisan", seed=3, gps=False))
    body = r.json()
    assert r.status_code == 201 and body["verdict"] == "needs_review"
    assert check(body, "gps_present")["result"] == "warn"
    # Gajisan lies in Ulju, Miryang and Cheongdo: Yangsan neither sees it nor may decide it.
    assert body["id"] in [p["id"] for p in c.get("/v1/review", headers=staff("miryang")).json()["items"]]
    assert body["id"] not in [p["id"] for p in c.get("/v1/review", headers=staff("yangsan")).json()["items"]]
    r = c.post(f"/v1/photos/{body['id']}/review", json={"decision": "approve", "reason": "Stone visible"},
               headers=staff("yangsan"))
    # Not its territory: the answer of a missing photo (tests/peaks/test_review_authz.py has the matrix).
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = c.post(f"/v1/photos/{body['id']}/review", json={"decision": "reject", "reason": "Summit stone not visible"},
               headers=staff("miryang"))
    assert r.status_code == 200 and r.json()["verdict"] == "rejected"
    seen = c.get(f"/v1/photos/{body['id']}", headers=h).json()
    assert seen["verdict"] == "rejected" and seen["review_reason"] == "Summit stone not visible"
    assert seen["reviewed_by"] == "miryang"
    r = c.post(f"/v1/photos/{body['id']}/review", json={"decision": "approve", "reason": "again"},
               headers=staff("miryang"))
    assert r.status_code == 409
    # Ulju-gun may overturn a rejection.
    r = c.post(f"/v1/photos/{body['id']}/review", json={"decision": "approve", "reason": "Appeal upheld"},
               headers=staff("ulju"))
    assert r.status_code == 200 and r.json()["verdict"] == "approved"
    img = c.get(f"/v1/photos/{body['id']}/image", headers=h)
    assert img.status_code == 200 and not Image.open(io.BytesIO(img.content)).getexif()


@pytest.mark.parametrize("taken, failing", [
    (datetime(2025, 10, 1, 10, tzinfo=KST), "capture_in_season"),
    (datetime(2026, 11, 30, 9, tzinfo=KST), "capture_not_future"),
])
def test_capture_time_outside_the_season_or_in_the_future_is_rejected(peaks_client, taken, failing):
    _cid, h = register(peaks_client)
    body = upload(peaks_client, h, "gajisan", photo("gajisan", seed=5, taken_at=taken)).json()
    assert body["verdict"] == "rejected" and check(body, failing)["result"] == "fail"


def test_same_bytes_twice_is_rejected_as_a_duplicate(peaks_client):
    c = peaks_client
    _a, ha = register(c, "A")
    _b, hb = register(c, "B")
    data = photo("sinbulsan", seed=7)
    assert upload(c, ha, "sinbulsan", data).json()["verdict"] == "approved"
    body = upload(c, hb, "sinbulsan", data).json()
    assert body["verdict"] == "rejected" and check(body, "exact_duplicate")["result"] == "fail"


def _recompressed(data: bytes, *, scale: float = 1.0, mirror: bool = False, quality: int = 60) -> bytes:
    img = Image.open(io.BytesIO(data))
    exif = img.getexif()
    out = img.convert("RGB")
    if scale != 1.0:
        out = out.resize((int(out.width * scale), int(out.height * scale)))
    if mirror:
        out = ImageOps.mirror(out)
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("change", [{"quality": 50}, {"scale": 0.8}, {"mirror": True}],
                         ids=["recompressed", "resized", "mirrored"])
def test_reused_photo_by_another_climber_is_flagged(peaks_client, change):
    c = peaks_client
    _a, ha = register(c, "Original")
    _b, hb = register(c, "Copycat")
    data = photo("ganwolsan", seed=9)
    assert upload(c, ha, "ganwolsan", data).json()["verdict"] == "approved"
    body = upload(c, hb, "ganwolsan", _recompressed(data, **change)).json()
    near = check(body, "near_duplicate")
    assert near["result"] == "warn" and body["verdict"] == "needs_review", near
    assert near["details"]["mirrored"] is bool(change.get("mirror"))


def test_bad_input_is_refused_with_a_reason_and_leaves_nothing_behind(peaks_client, peaks_app):
    c = peaks_client
    _cid, h = register(c)
    good = photo("gajisan", seed=11)
    cases = {  # name: (request, status, field named in `errors`)
        "text file named .jpg": (lambda: upload(c, h, "gajisan", hostile_files.make_text_file()), 415, "file"),
        "truncated JPEG": (lambda: upload(c, h, "gajisan", hostile_files.truncate(good, 0.6)), 422, "file"),
        "20,000 x 20,000 image": (lambda: upload(c, h, "gajisan", hostile_files.make_png_bomb(), filename="x.png"),
                                  422, "file"),
        "unknown peak": (lambda: upload(c, h, "Hallasan", good), 422, "peak"),
        "inactive peak": (lambda: upload(c, h, "munboksan", photo("munboksan", seed=13)), 422, "peak"),
        "missing file": (lambda: c.post("/v1/photos", data={"peak": "gajisan"}, headers=h), 422, "file"),
        "50 MB upload": (lambda: upload(c, h, "gajisan", good + b"\0" * 50_000_000), 413, None),
    }
    before = _counts(peaks_app)
    results = {}
    for name, (call, status, field) in cases.items():
        r = results[name] = call()
        assert r.status_code == status, (name, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), name
        body = r.json()
        assert body["detail"], name
        if field:
            assert field in [e["field"] for e in body["errors"]], (name, body)
    assert "400,000,000 pixels" in results["20,000 x 20,000 image"].json()["detail"]
    assert "truncated" in results["truncated JPEG"].json()["detail"]
    assert "not part of the 2026 season" in results["inactive peak"].json()["detail"]
    assert "50,000,000" not in results["50 MB upload"].json()["detail"]  # refused on Content-Length alone
    assert _counts(peaks_app) == before


@pytest.mark.parametrize("kind", hostile_files.GARBAGE_KINDS)
def test_malformed_exif_never_causes_a_500(peaks_client, kind):
    _cid, h = register(peaks_client)
    r = upload(peaks_client, h, "gajisan", hostile_files.make_garbage_exif_photo(kind, seed=15))
    assert r.status_code == 201, r.text
    assert r.json()["verdict"] in ("needs_review", "rejected", "approved")


def test_idempotency_key_retry_stores_one_photo(peaks_client, peaks_app):
    c = peaks_client
    _cid, h = register(c)
    data = photo("goheonsan", seed=17)
    before = _counts(peaks_app)
    # A retry resends the same bytes (same multipart boundary), which is what the key fingerprints.
    boundary = "summit-boundary-1"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"peak\"\r\n\r\ngoheonsan\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    headers = {**h, "Idempotency-Key": "upload-1", "content-type": f"multipart/form-data; boundary={boundary}"}
    first = c.post("/v1/photos", content=body, headers=headers)
    again = c.post("/v1/photos", content=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json()["id"] == first.json()["id"]
    assert _counts(peaks_app)[0] == before[0] + 1


def test_owner_or_staff_only(peaks_client):
    c = peaks_client
    a, ha = register(c, "A")
    _b, hb = register(c, "B")
    pid = upload(c, ha, "sinbulsan", photo("sinbulsan", seed=19)).json()["id"]
    assert c.get(f"/v1/photos/{pid}", headers=ha).status_code == 200
    assert c.get(f"/v1/photos/{pid}", headers=hb).status_code == 404  # not confirmed to others
    assert c.get(f"/v1/photos/{pid}", headers=staff("yangsan")).status_code == 200  # Sinbulsan: Ulju, Yangsan
    assert c.get(f"/v1/photos/{pid}", headers=staff("gyeongju")).status_code == 404
    assert c.get(f"/v1/climbers/{a}/progress", headers=hb).status_code == 403
    assert c.get(f"/v1/climbers/{a}/progress", headers=staff("miryang")).status_code == 403
    assert c.post("/v1/photos", data={"peak": "gajisan"}, headers=staff("ulju")).status_code == 403
    bad = {"authorization": "Bearer clt_not-a-real-token"}
    assert c.get(f"/v1/climbers/{a}/progress", headers=bad).status_code == 401
    assert c.put(f"/v1/climbers/{a}/shipping-address", json={"address": "somewhere 1"},
                 headers=ha).status_code == 409  # no medal due yet


def test_public_catalogue_and_registration_carry_no_personal_data(peaks_client, peaks_app):
    c = peaks_client
    peaks = c.get("/v1/peaks").json()
    assert len(peaks["items"]) == 9 and peaks["season"] == "2026"
    assert {p["code"] for p in peaks["items"] if p["active"]} == set(ACTIVE)
    assert next(p for p in peaks["items"] if p["code"] == "gajisan")["approximate"] is False
    season = c.get("/v1/seasons/current").json()
    assert season["id"] == "2026" and season["per_month_limit"] == 2 and season["min_age"] == 14
    r = c.post("/v1/climbers", json={"display_name": "Hana", "contact": "010-1234-5678", "birth_year": 1988,
                                     "gallery_consent": False})
    assert r.status_code == 201 and "010-1234-5678" not in r.text and r.json()["token"].startswith("clt_")
    with peaks_app.state.platform.db.read_session() as s:
        row = s.get(Climber, r.json()["id"])
        assert row.token_hash != r.json()["token"] and r.json()["token"] not in row.token_hash
    assert c.post("/v1/climbers", json={"display_name": " ", "contact": "x@y.z", "birth_year": 1990,
                                        "gallery_consent": True}).status_code == 422


def test_underage_climber_is_rejected(peaks_client):
    _cid, h = register(peaks_client, birth_year=2015)
    body = upload(peaks_client, h, "gajisan", photo("gajisan", seed=21)).json()
    assert body["verdict"] == "rejected" and check(body, "min_age")["result"] == "fail"


def test_reference_is_data(peaks_client):
    # A rule change is a data change: the API reports the versions of the files it serves.
    assert peaks_client.get("/v1/peaks").json()["versions"] == dict(reference.reference().versions)
