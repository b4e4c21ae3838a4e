"""Fallback bulk insert of photo metadata for the open-API scenario, used only while `cpa seed peaks`
does not exist: `python -m bench.peaks_seed N` (DATABASE_URL / DB_SCHEMA from the environment).

Climbers (most consenting to the gallery) and N photos of the active peaks, 80 % approved, with
plausible checks, hashes and derivative keys; no image files (the open API lists metadata and URLs).
"""
from __future__ import annotations

import hashlib
import random
import sys
from datetime import UTC, datetime, timedelta


def bulk_insert(n: int) -> None:
    from sqlalchemy import insert

    from services.peaks.app import SPEC
    from services.peaks.config import Settings
    from services.peaks.domain import reference
    from services.peaks.models import Climber, Photo
    from shared import migrations
    from shared.ids import new_id
    from shared.platform import Platform

    platform = Platform(SPEC, Settings())
    migrations.upgrade(platform.db, SPEC.migrations_dir)
    rng = random.Random(5)
    now = datetime.now(UTC)
    season = reference.current_season(now) or reference.seasons()[-1]
    peaks = list(season.peaks)
    climbers, photos = [], []
    n_climbers = max(1, n // 20)
    for i in range(n_climbers):
        at = now - timedelta(days=300) + timedelta(seconds=i * 60)
        climbers.append(dict(id=new_id("clm"), display_name=f"Climber {i}", contact=f"c{i}@example.org",
                             birth_year=1950 + i % 55, gallery_consent=rng.random() < 0.9,
                             token_hash=hashlib.sha256(f"bench-{i}".encode()).hexdigest(), shipping_address=None,
                             created_at=at, updated_at=at))
    checks = [{"code": "gps_distance", "result": "pass", "reason": "within the radius", "details": {}}]
    for i in range(n):
        at = now - timedelta(days=280) + timedelta(seconds=i * 200 + rng.randint(0, 150))
        digest = hashlib.sha256(f"photo-{i}".encode()).hexdigest()
        status = "approved" if rng.random() < 0.8 else rng.choice(["needs_review", "rejected"])
        photos.append(dict(id=new_id("pho"), climber_id=climbers[i % n_climbers]["id"], peak_code=rng.choice(peaks),
                           season_id=season.id, status=status, score=90 if status == "approved" else 40,
                           checks=checks, sha256=digest, phash=digest[:16], phash_mirror=digest[16:32], format="jpeg",
                           width=4000, height=3000, size_bytes=3_000_000, storage_key=digest,
                           derivative_key=digest[::-1], thumb_key=digest[1:] + "0", lat=None, lon=None,
                           altitude_m=None, taken_at=at, capture_day=(at + timedelta(hours=9)).date(),
                           reviewed_by=None, review_reason=None, reviewed_at=None, created_at=at, updated_at=at,
                           version=1))
    with platform.db.engine.begin() as conn:
        for model, rows in ((Climber, climbers), (Photo, photos)):
            for j in range(0, len(rows), 10_000):
                conn.execute(insert(model.__table__), rows[j:j + 10_000])
        if not platform.db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
    platform.db.dispose()
    print(f"inserted {len(photos)} photos for {len(climbers)} climbers")


if __name__ == "__main__":
    bulk_insert(int(sys.argv[1]))
