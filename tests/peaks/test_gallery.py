"""Public gallery: consenting climbers' approved photos, EXIF-free derivatives, no originals, view counter."""
from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from services.peaks.domain import open_data, reference, sample_photos
from services.peaks.domain.reference import KST
from services.peaks.flows import derivatives
from services.peaks.models import GalleryView, Photo
from services.peaks.photo_store import storage_of

from .support import photo, register, upload

SERVICE_NAME = "peaks"


@pytest.fixture
def peaks_settings(peaks_settings):
    """No demo climbers (their photos cost ~1 s of start-up per app); these tests make their own data."""
    return peaks_settings.model_copy(update={"seed_on_start": False})


def assert_no_exif(data: bytes) -> Image.Image:
    """No EXIF at all: Pillow finds none, and no APP1 (Exif/XMP) segment, GPS or XMP marker is in the bytes."""
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    assert len(img.getexif()) == 0
    assert "exif" not in img.info and "xmp" not in img.info and "icc_profile" not in img.info
    assert b"\xff\xe1" not in data  # APP1 marker: cannot occur in entropy-coded data (0xFF is stuffed)
    assert b"Exif\x00\x00" not in data and b"GPS" not in data and b"http://ns.adobe.com/xap" not in data
    return img


def path_of(url: str) -> str:
    return urlsplit(url).path


def _setup(c):
    """Alice (consents) has an approved, rotated photo; Bob (no consent) an approved one; Alice one pending."""
    _alice, a = register(c, "Alice", consent=True)
    _bob, b = register(c, "Bob", consent=False)
    gaji = reference.peaks()["gajisan"]
    rotated = sample_photos.make_photo(lat=gaji.lat, lon=gaji.lon, alt=gaji.elevation_m - 5,
                               taken_at=datetime(2026, 5, 2, 10, 30, tzinfo=KST), hpos_error=5, seed=3,
                               size=(640, 480), orientation=6)
    ra = upload(c, a, "gajisan", rotated).json()
    rb = upload(c, b, "sinbulsan", photo("sinbulsan", seed=5)).json()
    rp = upload(c, a, "yeongchuksan", photo("yeongchuksan", seed=7, gps=False)).json()
    assert (ra["verdict"], rb["verdict"], rp["verdict"]) == ("approved", "approved", "needs_review")
    return ra, rb, rp


def test_gallery_shows_consenting_approved_photos_with_clean_derivatives(peaks_client, peaks_app):
    c = peaks_client
    ra, rb, rp = _setup(c)
    r = c.get("/v1/gallery")
    assert r.status_code == 200 and r.headers["etag"]
    items = r.json()["items"]
    ids = {i["id"] for i in items}
    assert ra["id"] in ids and rb["id"] not in ids and rp["id"] not in ids
    mine = next(i for i in items if i["id"] == ra["id"])
    assert mine["display_name"] == "Alice" and mine["peak"] == "gajisan" and mine["peak_name_ko"] == "가지산"
    text = r.text
    for private in ("alice@example.org", "1990", "contact", "birth", "lat", "lon", "climber_id",
                    "storage_key", ra["climber_id"]):
        assert private not in text, private
    # Derivatives: upright (orientation 6 applied: portrait), no EXIF, long cache with a strong ETag.
    disp = c.get(path_of(mine["images"]["display"]))
    assert disp.status_code == 200 and disp.headers["content-type"] == "image/jpeg"
    assert "immutable" in disp.headers["cache-control"] and disp.headers["etag"].startswith('"')
    img = assert_no_exif(disp.content)
    assert img.size[1] > img.size[0]
    thumb = c.get(path_of(mine["images"]["thumb"]))
    assert max(assert_no_exif(thumb.content).size) <= peaks_app.state.platform.settings.thumb_side
    assert c.get(path_of(mine["images"]["display"]), headers={"if-none-match": disp.headers["etag"]}
                 ).status_code == 304
    # Filter by peak (name or alias works too), and unknown peaks are a clear 422.
    gaji = c.get("/v1/gallery", params={"peak": "가지산"}).json()["items"]
    assert ra["id"] in {i["id"] for i in gaji} and {i["peak"] for i in gaji} == {"gajisan"}
    sinbul = c.get("/v1/gallery", params={"peak": "sinbulsan"}).json()["items"]
    assert rb["id"] not in {i["id"] for i in sinbul} and {i["peak"] for i in sinbul} <= {"sinbulsan"}
    bad = c.get("/v1/gallery", params={"peak": "Everest"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_originals_are_never_reachable_publicly(peaks_client, peaks_app):
    c = peaks_client
    ra, rb, rp = _setup(c)
    platform = peaks_app.state.platform
    for pid in (ra["id"], rb["id"], rp["id"]):  # derivatives are made on first request: make them all
        assert derivatives.ensure_derivatives(platform, pid) is not None
    with platform.db.read_session() as s:
        rows = {p.id: p for p in s.execute(select(Photo.id, Photo.storage_key, Photo.derivative_key,
                                                  Photo.sha256)).all()}
    store = storage_of(platform)
    for pid in (ra["id"], rb["id"], rp["id"]):
        p = rows[pid]
        original = store.get(p.storage_key)
        assert len(Image.open(io.BytesIO(original)).getexif()) > 0  # the stored original keeps its EXIF
        digest = p.storage_key.rsplit("/", 1)[1]
        for size in ("display", "thumb", "original"):
            for d in (digest, digest[:24]):
                assert c.get(f"/v1/media/{pid}/{size}/{d}.jpg").status_code == 404
        # Derivatives of photos that are not public (no consent, not approved) are not served either.
        if pid != ra["id"]:
            assert p.derivative_key  # made above
            assert c.get(f"/v1/media/{pid}/display/{p.derivative_key.rsplit('/', 1)[1]}.jpg").status_code == 404
            assert c.get(open_data.media_path(pid, "display", p.sha256)).status_code == 404
    # Traversal-looking input never reaches the store.
    assert c.get(f"/v1/media/{ra['id']}/display/..%2F..%2Fetc%2Fpasswd.jpg").status_code == 404
    # Nothing in any public answer names an original.
    body = c.get("/v1/gallery").text + c.get("/open/v1/photos", headers={"authorization": "Bearer demo-ulju"}).text
    for p in rows.values():
        assert p.storage_key.rsplit("/", 1)[1][:24] not in body


def test_gallery_page_views_are_counted_per_day(peaks_client, peaks_app):
    c = peaks_client
    _setup(c)
    _, d = register(c, "Dana")
    assert upload(c, d, "ganwolsan", photo("ganwolsan", seed=23)).json()["verdict"] == "approved"
    for _ in range(3):
        assert c.get("/v1/gallery").status_code == 200
    first = c.get("/v1/gallery", params={"limit": 1})
    assert first.json()["next_cursor"]
    # A further page of the same visit is not a new view.
    assert c.get("/v1/gallery", params={"limit": 1, "cursor": first.json()["next_cursor"]}).status_code == 200
    with peaks_app.state.platform.db.read_session() as s:
        rows = s.execute(select(GalleryView.day, GalleryView.count)).all()
    assert [(r.day.isoformat(), r.count) for r in rows] == [("2026-11-29", 4)]
    stats = c.get("/open/v1/statistics", params={"days": 2}, headers={"authorization": "Bearer demo-yangsan"})
    assert stats.json()["gallery_views"] == [{"day": "2026-11-28", "views": 0}, {"day": "2026-11-29", "views": 4}]


def test_derivatives_are_made_lazily_once_even_under_concurrent_first_requests(peaks_client, peaks_app):
    """The upload stores only the original (201 without derivatives); the first media request makes
    both EXIF-free derivatives, stores them content-addressed and records their keys; concurrent
    first requests agree on the same keys and files."""
    from concurrent.futures import ThreadPoolExecutor

    c = peaks_client
    platform = peaks_app.state.platform
    store = storage_of(platform)
    ra, _rb, _rp = _setup(c)
    files_after_upload = store.count()
    assert files_after_upload == 3  # the three originals, nothing else
    with platform.db.read_session() as s:
        row = s.execute(select(Photo.derivative_key, Photo.thumb_key).where(Photo.id == ra["id"])).one()
    assert (row.derivative_key, row.thumb_key) == (derivatives.PENDING, derivatives.PENDING)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: derivatives.ensure_derivatives(platform, ra["id"]), range(8)))
    assert len(set(results)) == 1 and all(results)
    display_key, thumb_key = results[0]
    assert store.count() == files_after_upload + 2
    with platform.db.read_session() as s:
        row = s.execute(select(Photo.derivative_key, Photo.thumb_key).where(Photo.id == ra["id"])).one()
    assert (row.derivative_key, row.thumb_key) == (display_key, thumb_key)
    img = assert_no_exif(store.get(display_key))
    assert img.size[1] > img.size[0]  # orientation 6 applied
    assert_no_exif(store.get(thumb_key))
    # The public URL (unchanged by the generation) serves exactly those bytes, with their digest as ETag.
    item = next(i for i in c.get("/v1/gallery").json()["items"] if i["id"] == ra["id"])
    r = c.get(path_of(item["images"]["display"]))
    assert r.status_code == 200 and r.content == store.get(display_key)
    assert r.headers["etag"] == f'"{display_key.rsplit("/", 1)[1]}"'
