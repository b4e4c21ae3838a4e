"""`cpa seed peaks`: synthetic photo history the gallery and open API serve like real data."""
from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from services.peaks.models import Climber, Photo
from tools.seeding import peaks as seeding

from .support import staff
from .test_gallery import assert_no_exif

SERVICE_NAME = "peaks"


@pytest.fixture
def peaks_settings(peaks_settings):
    """No demo climbers (their photos cost ~1 s of start-up per app); these tests make their own data."""
    return peaks_settings.model_copy(update={"seed_on_start": False})


def test_seeded_history_is_served_by_the_open_api(peaks_client, peaks_app):
    c = peaks_client
    platform = peaks_app.state.platform
    h = staff("miryang")
    before = c.get("/open/v1/photos", params={"limit": 100}, headers=h)
    stats = seeding.seed_photos(platform, 3000, climbers=500, seed=7)
    assert stats.photos == 3000 and stats.climbers == 500 and "3,000 photos" in stats.describe()
    with platform.db.read_session() as s:
        by_status = Counter(dict(s.execute(select(Photo.status, func.count()).group_by(Photo.status)).all()))
        assert s.scalar(select(func.count()).select_from(Climber)) >= 500
        ids = s.scalars(select(Photo.id).order_by(Photo.created_at, Photo.id)).all()
        # Six photos per climber here: each on a distinct peak (the season has seven).
        per_climber = s.execute(select(Photo.climber_id, Photo.peak_code, func.count())
                                .group_by(Photo.climber_id, Photo.peak_code).having(func.count() > 1)).all()
    assert by_status["approved"] >= 2000 and by_status["needs_review"] > 100 and by_status["rejected"] > 100
    assert len(set(ids)) == len(ids) == 3000
    assert per_climber == []
    # The seeded rows change the ETag, and a full page comes back with clean, reachable images.
    r = c.get("/open/v1/photos", params={"limit": 100}, headers={**h, "if-none-match": before.headers["etag"]})
    assert r.status_code == 200 and len(r.json()["items"]) == 100
    item = r.json()["items"][0]
    assert_no_exif(c.get(urlsplit(item["images"]["display"]).path).content)
    # Walking the whole feed with the cursor visits every public photo exactly once.
    seen, cursor = [], None
    while True:
        body = c.get("/open/v1/photos", params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                     headers=staff("ulju")).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    with platform.db.read_session() as s:
        public = s.scalar(select(func.count()).select_from(Photo).join(Climber, Climber.id == Photo.climber_id)
                          .where(Photo.status == "approved", Climber.gallery_consent.is_(True)))
    assert len(seen) == len(set(seen)) == public
    st = c.get("/open/v1/statistics", headers=h).json()
    assert st["participants"] >= 500 and sum(p["approved"] for p in st["approvals_per_peak"]) == by_status["approved"]


def test_cli_main_seeds_a_database(tmp_path, monkeypatch, db_overrides, capsys):
    env = {"DATABASE_URL": db_overrides["database_url"], "VAR_DIR": str(tmp_path / "var"), "DEMO_MODE": "false",
           "SECRET_KEY": "oVmjBLztxzq4-yR0f_vgxKh2LTSUhLaRwgmSLD9KypM"}
    if db_overrides.get("db_schema"):
        env["DB_SCHEMA"] = db_overrides["db_schema"]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert seeding.main(["--photos", "500", "--climbers", "50"]) == 0
    out = capsys.readouterr().out
    assert "seeded 500 photos" in out and "photos/s" in out
    assert seeding.main(["--photos", "10", "--season", "1999"]) == 2
