"""Helpers of the peaks API tests: climbers, summit photos with distinct perceptual hashes, uploads."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from services.peaks.domain import reference, sample_photos
from services.peaks.domain.reference import KST

SERVICE_NAME = "peaks"
METRES_PER_DEG_LAT = 111_195.0
# sample_photos.picture pairs seeds whose pHashes are mirror images of each other (1↔2, 3↔4 … 63↔64,
# then 64↔65 … 124↔125), and the seeder uses 119-125: these seeds never collide.
SAFE_SEEDS = tuple(range(1, 64, 2)) + tuple(range(66, 117, 2))
ACTIVE = reference.season("2026").peaks  # the seven peaks of the 2026 season


@cache
def photo(peak: str, *, seed: int, month: int = 5, day: int = 2, north_m: float = 0.0, gps: bool = True,
          taken_at: datetime | None = None, size: tuple[int, int] = (640, 480)) -> bytes:
    """A synthetic summit photo of `peak` taken in 2026 (KST), optionally `north_m` off the summit."""
    p = reference.peaks()[peak]
    when = taken_at or datetime(2026, month, day, 10, 30, tzinfo=KST)
    if not gps:
        return sample_photos.make_photo(taken_at=when, seed=seed, size=size)
    return sample_photos.make_photo(lat=p.lat + north_m / METRES_PER_DEG_LAT, lon=p.lon, alt=p.elevation_m - 5,
                            taken_at=when, hpos_error=5, seed=seed, size=size)


def month_of(i: int) -> int:
    """Spread a climber's peaks over the months: at most two a month (the 2026 rule)."""
    return 4 + i // 2


def register(c, name: str = "Climber", *, birth_year: int = 1990, consent: bool = True) -> tuple[str, dict]:
    r = c.post("/v1/climbers", json={"display_name": name, "contact": f"{name.lower()}@example.org",
                                     "birth_year": birth_year, "gallery_consent": consent})
    assert r.status_code == 201, r.text
    body = r.json()
    return body["id"], {"authorization": f"Bearer {body['token']}"}


def upload(c, headers: dict, peak: str, data: bytes, *, filename: str = "summit.jpg", **extra_headers):
    return c.post("/v1/photos", data={"peak": peak}, files={"file": (filename, data, "image/jpeg")},
                  headers={**headers, **extra_headers})


def staff(party: str) -> dict:
    return {"authorization": f"Bearer demo-{party}"}


def check(body: dict, code: str) -> dict:
    return next(c for c in body["checks"] if c["code"] == code)


# An ordinary climber's phone: what a real phone writes besides GPS and times (make, model, a maker note and
# an embedded thumbnail). With it, a GPS fix a few metres off the catalogue's summit point, capture times to
# the second and uploads on the day of each climb, a completed set shows no sign of forgery or scripting.
PHONE = ("samsung", "SM-S918N", b"SAMSUNG\x00\x07\x00" + bytes(range(40)))


def ordinary_photo(peak: str, *, seed: int, taken_at: datetime) -> bytes:
    p = reference.peaks()[peak]
    return sample_photos.make_photo(lat=p.lat + 17.0 / METRES_PER_DEG_LAT, lon=p.lon + 0.00009,
                                    alt=p.elevation_m - 3, taken_at=taken_at, hpos_error=6, seed=seed,
                                    camera=PHONE)


def climb_day(i: int, year: int = 2026) -> datetime:
    """When an ordinary climber reaches the i-th active peak: two a month from April, to the second."""
    return datetime(year, month_of(i), 3 + 11 * (i % 2), 10, 31, 7 + i, tzinfo=KST)


def finish_ordinarily(c, app, name: str, seeds, *, consent: bool = True, peaks=ACTIVE,
                      year: int = 2026) -> tuple[str, dict]:
    """An ordinary climber completes the season: registers, then uploads each summit photo two hours after
    taking it (the service clock is pinned at each upload, then given back)."""
    platform = app.state.platform
    real = platform.clock
    try:
        platform.clock = lambda: climb_day(0, year) - timedelta(days=1)
        cid, auth = register(c, name, consent=consent)
        for i, code in enumerate(peaks):
            taken = climb_day(i, year)
            platform.clock = lambda t=taken: t + timedelta(hours=2)
            body = upload(c, auth, code, ordinary_photo(code, seed=next(seeds), taken_at=taken)).json()
            assert body["verdict"] == "approved", [x for x in body["checks"] if x["result"] != "pass"]
    finally:
        platform.clock = real
    return cid, auth
