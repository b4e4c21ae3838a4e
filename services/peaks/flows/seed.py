"""Seed data: a counter row per season (ranks, medal stock) and, in demo mode, a few demo climbers.

Idempotent: safe at every start. Demo photos are synthetic (sample_photos.make_photo) and inserted as
already approved, so the gallery and the open API are never empty in a demo; they use sample_photos
seeds 119–125, which tests avoid, so they never look like near-duplicates of test photos.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from services.peaks.domain import exif, reference, sample_photos
from services.peaks.domain.derivatives import process
from services.peaks.domain.reference import KST
from services.peaks.domain.tokens import hash_token, new_token
from services.peaks.flows.certification import ensure_counter
from services.peaks.models import Climber, Photo
from services.peaks.photo_store import storage_of
from shared.ids import new_id

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

log = logging.getLogger("services.peaks.flows.seed")

DEMO_CLIMBERS = (("Jiwoo (demo)", 3), ("Minseo (demo)", 2), ("Hyunwoo (demo)", 2))
DEMO_SEEDS = range(119, 126)


def seed(platform: PeaksPlatform) -> None:
    now = platform.clock()
    with platform.db.session() as s:
        for season in reference.seasons():
            ensure_counter(s, season, now)
    if platform.settings.demo_mode:
        _demo(platform, now)


def _demo_season(now: datetime) -> reference.Season:
    started = [x for x in reference.seasons() if x.start_date <= now.astimezone(KST).date()]
    return reference.current_season(now) or (started[-1] if started else reference.seasons()[0])


def _demo(platform: PeaksPlatform, now: datetime) -> None:
    with platform.db.session() as s:
        if s.scalar(select(func.count()).select_from(Climber)):
            return
        season = _demo_season(now)
        store = storage_of(platform)
        st = platform.settings
        seeds = iter(DEMO_SEEDS)
        peaks = list(season.peaks)
        for n, (name, count) in enumerate(DEMO_CLIMBERS):
            climber = Climber(id=new_id("clm"), display_name=name, contact="demo@example.invalid",
                              birth_year=1990, gallery_consent=True, token_hash=hash_token(new_token()),
                              created_at=now, updated_at=now)
            s.add(climber)
            for i in range(count):
                peak = reference.peaks()[peaks[(n * 2 + i) % len(peaks)]]
                taken = datetime(season.year, 5 + i, 3 + n, 10, 30, tzinfo=KST)
                data = sample_photos.make_photo(lat=peak.lat, lon=peak.lon, alt=peak.elevation_m - 4, taken_at=taken,
                                        seed=next(seeds), hpos_error=5)
                facts, d = process(data, display_side=st.display_side, thumb_side=st.thumb_side)
                meta = exif.read_photo_metadata(data)
                when = min(now, taken.astimezone(now.tzinfo) + timedelta(hours=2))
                s.add(Photo(
                    id=new_id("pho"), climber_id=climber.id, peak_code=peak.code, season_id=season.id,
                    status="approved", score=100,
                    checks=[{"code": "demo", "result": "pass", "reason": "Demo photo created by the seeder.",
                             "details": {}}],
                    sha256=facts.sha256, phash=facts.phash, phash_mirror=facts.phash_mirror, format=facts.format,
                    width=facts.width, height=facts.height, size_bytes=facts.size_bytes,
                    storage_key=store.put(data), derivative_key=store.put(d.display), thumb_key=store.put(d.thumb),
                    lat=meta.lat, lon=meta.lon, altitude_m=meta.altitude_m, taken_at=taken,
                    capture_day=taken.date(), reviewed_by=None, created_at=when, updated_at=when, version=1))
    log.info("demo climbers seeded", extra={"climbers": len(DEMO_CLIMBERS)})
