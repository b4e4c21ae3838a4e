"""Synthetic photo history for benchmarks and tests: `cpa seed peaks --photos 100000`.

What it writes: `climber` rows (display names, placeholder contacts, ~85 % gallery consent) and
`photo` METADATA rows spread over the season from its start to now (or its end), each climber's
photos on distinct peaks where the season has enough, ~82 % approved, ~10 % waiting for review,
~8 % rejected. The image files are NOT one per photo: a handful of synthetic summit photos are
processed once (original + EXIF-free display + thumbnail in the content-addressed store) and every
row points at one of them, so the gallery and the open API serve real, clean JPEGs.

Rows are inserted in creation order (time-ordered ULIDs) in batches: SQLite through the driver's
`executemany`, PostgreSQL through `COPY`. No outbox rows, no certificates: a history, not traffic.
Ids, hashes and tokens are random; no token exists for a seeded climber (nobody can log in as one).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert

from services.peaks.domain import reference, sample_photos
from services.peaks.domain.derivatives import process
from services.peaks.domain.reference import KST, Season
from services.peaks.models import Climber, Photo
from services.peaks.photo_store import storage_of
from tools.seeding.common import copy_rows, ulid

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

IMAGE_SEEDS = (101, 103, 105, 107, 109, 111)  # synth seeds; tests use lower ones, the demo 119-125
SURNAMES = ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh")
GIVEN = ("Minjun", "Seoyeon", "Jiho", "Hayoon", "Dohyun", "Jiwoo", "Eunwoo", "Suah", "Siwoo", "Jimin")
STATUS_MIX = (("approved", 0.82), ("needs_review", 0.10), ("rejected", 0.08))
CHECKS = {
    "approved": [{"code": "seeded", "result": "pass", "reason": "Synthetic history (cpa seed peaks).", "details": {}}],
    "needs_review": [{"code": "gps_present", "result": "warn",
                      "reason": "Synthetic history: no GPS position, a person must look at it.", "details": {}}],
    "rejected": [{"code": "distance", "result": "fail",
                  "reason": "Synthetic history: taken 4.8 km from the summit.", "details": {}}],
}
PHOTO_COLUMNS = ("id", "climber_id", "peak_code", "season_id", "status", "score", "checks", "sha256", "phash",
                 "phash_mirror", "format", "width", "height", "size_bytes", "storage_key", "derivative_key",
                 "thumb_key", "lat", "lon", "altitude_m", "taken_at", "capture_day", "reviewed_by", "review_reason",
                 "reviewed_at", "created_at", "updated_at", "version")
CLIMBER_COLUMNS = ("id", "display_name", "contact", "birth_year", "gallery_consent", "token_hash",
                   "shipping_address", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class SeedStats:
    photos: int
    climbers: int
    approved: int
    season: str
    images_s: float
    insert_s: float

    def describe(self) -> str:
        total = self.images_s + self.insert_s
        rate = self.photos / self.insert_s if self.insert_s else 0.0
        return (f"seeded {self.photos:,} photos ({self.approved:,} approved) of {self.climbers:,} climbers in season "
                f"{self.season}: images {self.images_s:.1f} s, rows {self.insert_s:.1f} s ({rate:,.0f} photos/s), "
                f"total {total:.1f} s")


@dataclass(frozen=True, slots=True)
class _Image:
    original: str
    display: str
    thumb: str
    width: int
    height: int
    size_bytes: int


def _images(platform: PeaksPlatform, season: Season) -> list[_Image]:
    """A few real summit photos, processed once; every seeded row points at one of them."""
    st = platform.settings
    store = storage_of(platform)
    peaks = reference.peaks()
    out = []
    for i, seed in enumerate(IMAGE_SEEDS):
        peak = peaks[season.peaks[i % len(season.peaks)]]
        data = sample_photos.make_photo(lat=peak.lat, lon=peak.lon, alt=peak.elevation_m - 3, seed=seed, hpos_error=5,
                                taken_at=datetime(season.year, 5, 5, 11, 0, tzinfo=KST))
        facts, d = process(data, display_side=st.display_side, thumb_side=st.thumb_side)
        out.append(_Image(store.put(data), store.put(d.display), store.put(d.thumb), facts.width, facts.height,
                          len(data)))
    return out


def _season_for(now: datetime, season_id: str | None) -> Season:
    if season_id:
        return reference.season(season_id)
    started = [s for s in reference.seasons() if s.start_date <= now.astimezone(KST).date()]
    return reference.current_season(now) or (started[-1] if started else reference.seasons()[-1])


def _rows(n: int, n_climbers: int, season: Season, images: list[_Image], now: datetime,
          rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    start = datetime.combine(season.start_date, datetime.min.time(), KST).astimezone(UTC)
    end = min(now, datetime.combine(season.finish_deadline, datetime.max.time(), KST).astimezone(UTC))
    span = max((end - start).total_seconds(), 3600.0)
    peaks = reference.peaks()
    climbers = []
    for i in range(n_climbers):
        joined = start + timedelta(seconds=span * (i / max(n_climbers, 1)) * 0.9)
        cid = f"clm_{ulid(int(joined.timestamp() * 1000), rng)}"
        climbers.append({
            "id": cid, "display_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)} {i % 1000:03d}",
            "contact": f"seed-{i}@example.invalid", "birth_year": rng.randint(1950, 2008),
            "gallery_consent": rng.random() < 0.85, "token_hash": hashlib.sha256(rng.randbytes(32)).hexdigest(),
            "shipping_address": None, "created_at": joined, "updated_at": joined})
    # Each climber's photos go to distinct peaks (a shuffled round of the season's peaks).
    rounds: dict[int, list[str]] = {}
    stamps = sorted(rng.random() for _ in range(n))
    cum = []
    acc = 0.0
    for status, share in STATUS_MIX:
        acc += share
        cum.append((acc, status))
    photos = []
    approved = 0
    # Photos shared out evenly (n / climbers each, ± 1), in random order over the season.
    owners = [k % n_climbers for k in range(n)]
    rng.shuffle(owners)
    for k, u in enumerate(stamps):
        ci = owners[k]
        climber = climbers[ci]
        queue = rounds.get(ci)
        if not queue:
            queue = rounds[ci] = rng.sample(list(season.peaks), len(season.peaks))
        code = queue.pop()
        peak = peaks[code]
        created = max(start + timedelta(seconds=span * u), climber["created_at"] + timedelta(seconds=1))
        created = min(created, end)
        r = rng.random()
        status = next(s for edge, s in cum if r <= edge) if r <= cum[-1][0] else "approved"
        taken = created - timedelta(hours=rng.uniform(1, 72))
        reviewed = status != "approved" or rng.random() < 0.05
        reviewed_at = created + timedelta(hours=rng.uniform(1, 30)) if reviewed and status != "needs_review" else None
        if reviewed_at is not None and reviewed_at > end:
            reviewed_at = end
        img = images[k % len(images)]
        approved += status == "approved"
        gps = status != "needs_review"
        photos.append({
            "id": f"pho_{ulid(int(created.timestamp() * 1000), rng)}", "climber_id": climber["id"],
            "peak_code": code, "season_id": season.id, "status": status,
            "score": {"approved": rng.randint(85, 100), "needs_review": rng.randint(60, 84),
                      "rejected": rng.randint(0, 40)}[status],
            "checks": CHECKS[status], "sha256": f"{rng.getrandbits(256):064x}",
            "phash": f"{rng.getrandbits(64):016x}",
            "phash_mirror": f"{rng.getrandbits(64):016x}", "format": "jpeg",
            "width": img.width, "height": img.height, "size_bytes": img.size_bytes, "storage_key": img.original,
            "derivative_key": img.display, "thumb_key": img.thumb,
            "lat": peak.lat + rng.uniform(-3e-4, 3e-4) if gps else None,
            "lon": peak.lon + rng.uniform(-3e-4, 3e-4) if gps else None,
            "altitude_m": float(peak.elevation_m - rng.randint(0, 15)) if gps else None,
            "taken_at": taken, "capture_day": taken.astimezone(KST).date(),
            "reviewed_by": ("ulju" if reviewed_at else None),
            "review_reason": ("Checked by a reviewer (synthetic)." if reviewed_at else None),
            "reviewed_at": reviewed_at, "created_at": created, "updated_at": reviewed_at or created, "version": 1})
    return climbers, photos, approved


def _write(conn, table, columns: tuple[str, ...], rows: list[dict[str, Any]], batch: int) -> None:
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table.name, columns, ([json.dumps(r[c]) if c == "checks" else r[c] for c in columns]
                                              for r in rows))
        return
    stmt = insert(table)
    for i in range(0, len(rows), batch):
        conn.execute(stmt, rows[i:i + batch])


def seed_photos(platform: PeaksPlatform, n: int, *, climbers: int | None = None, season: str | None = None, seed: int = 1,
                batch: int = 10_000, now: datetime | None = None,
                progress: Callable[[str], None] | None = None) -> SeedStats:
    """Adds `n` synthetic photos (and their climbers) to the platform's database. Call after migrations."""
    rng = random.Random(seed)
    now = now or platform.clock()
    se = _season_for(now, season)
    n_climbers = max(1, climbers if climbers is not None else n // 6)
    t0 = time.perf_counter()
    images = _images(platform, se)
    t1 = time.perf_counter()
    if progress:
        progress(f"{len(images)} shared images processed ({t1 - t0:.1f} s)")
    climber_rows, photo_rows, approved = _rows(n, n_climbers, se, images, now, rng)
    with platform.db.engine.begin() as conn:
        _write(conn, Climber.__table__, CLIMBER_COLUMNS, climber_rows, batch)
        if progress:
            progress(f"{len(climber_rows):,} climbers written ({time.perf_counter() - t1:.1f} s)")
        for i in range(0, len(photo_rows), batch * 5):
            _write(conn, Photo.__table__, PHOTO_COLUMNS, photo_rows[i:i + batch * 5], batch)
            if progress:
                progress(f"{min(i + batch * 5, n):,} / {n:,} photos ({time.perf_counter() - t1:.1f} s)")
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    feed = platform.parts.feed_if_built()
    if feed is not None:
        feed.invalidate()
    return SeedStats(photos=n, climbers=n_climbers, approved=approved, season=se.id, images_s=t1 - t0,
                     insert_s=time.perf_counter() - t1)


def main(argv: list[str] | None = None) -> int:
    """`cpa seed peaks --photos 100000 [--climbers N] [--season 2026] [--seed S]`."""
    parser = argparse.ArgumentParser(prog="cpa seed peaks", description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=100_000, help="how many photos (default 100000)")
    parser.add_argument("--climbers", type=int, help="how many climbers (default photos / 6)")
    parser.add_argument("--season", help="season id (default: the current season, else the latest started)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per insert batch (SQLite)")
    args = parser.parse_args(argv)
    if args.photos < 0 or (args.climbers is not None and args.climbers < 1):
        parser.error("--photos must be >= 0 and --climbers >= 1")

    from services.peaks.app import SPEC
    from services.peaks.config import Settings
    from shared.platform import Platform

    platform = Platform(SPEC, Settings())
    try:
        t0 = time.perf_counter()
        platform.prepare()  # migrations to head + reference rows (and demo rows in demo mode)
        print(f"database ready ({time.perf_counter() - t0:.1f} s)", flush=True)
        stats = seed_photos(platform, args.photos, climbers=args.climbers, season=args.season, seed=args.seed,
                            batch=args.batch, progress=lambda m: print("  " + m, flush=True))
        print(stats.describe(), flush=True)
    except (KeyError, ValueError) as exc:
        print(f"cpa seed peaks: {exc}", file=sys.stderr)
        return 2
    finally:
        platform.db.dispose()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
