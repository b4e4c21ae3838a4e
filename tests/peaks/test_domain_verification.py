"""The verdict: place, time, duplicates, programme limits and age, aggregated as documented in verification.py."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from PIL import ExifTags

from services.peaks.domain import imaging, reference, sample_photos
from services.peaks.domain.exif import read_photo_metadata
from services.peaks.domain.reference import KST
from services.peaks.domain.verification import (
    DEFAULT_PARAMS,
    History,
    Verdict,
    VerificationParams,
    capture_day,
    distance_m,
    verify,
)
from tests.peaks import hostile_files

from .conftest import NOW, TAKEN

METRES_PER_DEG_LAT = 111_195.0


def judge(
    data: bytes,
    *,
    peak: reference.Peak | str = "gajisan",
    season: str = "2026",
    birth_year: int | None = 1990,
    now: datetime = NOW,
    history: History | None = None,
    params: VerificationParams = DEFAULT_PARAMS,
) -> Verdict:
    try:
        facts: imaging.ImageFacts | imaging.ImageError = imaging.inspect(data)
    except imaging.ImageError as exc:
        facts = exc
    pk = reference.peaks()[peak] if isinstance(peak, str) else peak
    return verify(
        facts=facts,
        meta=read_photo_metadata(data),
        peak=pk,
        season=reference.season(season),
        climber_birth_year=birth_year,
        now=now,
        history=history or History(),
        params=params,
    )


def at(peak: str, *, north_m: float = 0.0, **kw) -> bytes:
    p = reference.peaks()[peak]
    kw.setdefault("taken_at", TAKEN)
    kw.setdefault("alt", p.elevation_m - 5)
    return sample_photos.make_photo(lat=p.lat + north_m / METRES_PER_DEG_LAT, lon=p.lon, **kw)


@pytest.mark.parametrize("season", ["2022", "2026"])
def test_photos_at_every_active_summit_are_approved(season):
    s = reference.season(season)
    taken = datetime(s.year, 6, 1, 11, tzinfo=KST)
    for i, code in enumerate(s.peaks):
        v = judge(at(code, taken_at=taken, seed=i), peak=code, season=season, now=taken + timedelta(hours=2))
        assert v.verdict == "approved", (code, [c for c in v.checks if c.result in ("fail", "warn")])
        assert v.score >= 80 and v.by_code("distance").details["distance_m"] < 1


def test_five_km_away_is_rejected_with_the_distance(gajisan):
    data = at("gajisan", north_m=5_000, hpos_error=8)
    v = judge(data)
    d = distance_m(read_photo_metadata(data).lat, gajisan.lon, gajisan.lat, gajisan.lon)
    check = v.by_code("distance")
    assert v.verdict == "rejected" and v.score <= 40 and check.result == "fail"
    assert (
        check.reason
        == f"Photo taken {d:,.0f} m from the summit of Gajisan; must be within 100 m (+ 8 m stated GPS error)."
    )
    assert "5,0" in check.reason


def test_stated_gps_error_helps_but_is_capped():
    assert judge(at("gajisan", north_m=130, hpos_error=40)).by_code("distance").result == "pass"
    capped = judge(at("gajisan", north_m=200, hpos_error=5_000)).by_code("distance")
    assert capped.result == "fail" and capped.details["gps_error_allowance_m"] == 50


def test_near_an_approximate_summit_goes_to_review_not_rejection():
    v = judge(at("goheonsan", north_m=600), peak="goheonsan")
    assert v.verdict == "needs_review" and v.by_code("distance").result == "warn"
    assert "only known to within 1,000 m" in v.by_code("distance").reason


def test_no_gps_needs_review():
    v = judge(sample_photos.make_photo(taken_at=TAKEN))
    assert v.verdict == "needs_review"
    assert v.by_code("gps_present").result == "warn" and v.by_code("distance").result == "skip"


def test_no_exif_at_all_needs_review():
    v = judge(sample_photos.encode(sample_photos.picture((640, 480))))
    assert v.verdict == "needs_review" and v.by_code("exif_present").result == "warn"


# Last season's photo (the summit kiosk that took a beach photo from the previous summer), and a future one.
@pytest.mark.parametrize(
    "taken, code",
    [
        (datetime(2025, 11, 20, 12, tzinfo=KST), "capture_in_season"),
        (NOW + timedelta(hours=2), "capture_not_future"),
    ],
)
def test_time_outside_season_or_in_future_is_rejected(taken, code):
    v = judge(at("gajisan", taken_at=taken))
    assert v.verdict == "rejected" and v.by_code(code).result == "fail"


def test_small_clock_drift_is_tolerated():
    v = judge(at("gajisan", taken_at=NOW + timedelta(minutes=5)))
    assert v.by_code("capture_not_future").result == "pass"


def test_missing_offset_is_read_as_kst():
    v = judge(at("gajisan", offset=None))
    assert v.by_code("time_consistent").result == "pass"
    assert "read as KST" in v.by_code("capture_in_season").reason and v.verdict == "approved"


def test_camera_and_gps_clocks_that_disagree_need_review():
    # GPS fix at 10:30 KST, camera clock two hours later: an edited or borrowed photo, or a broken clock.
    g = reference.peaks()["gajisan"]
    exif = sample_photos.build_exif(lat=g.lat, lon=g.lon, alt=1236, taken_at=TAKEN)
    exif[ExifTags.IFD.Exif] = {**exif[ExifTags.IFD.Exif], 36867: "2026:05:02 12:30:00"}
    v = judge(sample_photos.encode(sample_photos.picture((640, 480)), exif=exif))
    assert (
        v.by_code("time_consistent").result == "warn"
        and "differ by 120 minutes" in v.by_code("time_consistent").reason
    )
    assert v.verdict == "needs_review"


def test_valley_altitude_is_a_doubt():
    v = judge(at("gajisan", alt=400))
    assert v.by_code("altitude").result == "warn" and v.verdict == "needs_review"


def test_exact_duplicate_is_rejected(summit_jpeg):
    first, second = imaging.inspect(summit_jpeg), imaging.inspect(bytes(summit_jpeg))
    assert first.sha256 == second.sha256  # the caller finds the earlier row by this digest
    v = judge(summit_jpeg, history=History(exact_duplicate=True))
    assert v.verdict == "rejected" and v.by_code("exact_duplicate").result == "fail"


def test_near_duplicate_of_another_climber_is_flagged():
    review = judge(at("gajisan"), history=History(nearest_distance=3, nearest_mirrored=True))
    assert (
        review.verdict == "needs_review" and "3 bits once mirrored" in review.by_code("near_duplicate").reason
    )
    strict = dataclasses.replace(DEFAULT_PARAMS, near_duplicate_action="reject")
    assert judge(at("gajisan"), history=History(nearest_distance=3), params=strict).verdict == "rejected"
    assert (
        judge(at("gajisan"), history=History(nearest_distance=30)).by_code("near_duplicate").result == "pass"
    )


def test_munboksan_counts_only_before_its_entry_ban():
    v = judge(at("munboksan"), peak="munboksan")
    assert v.verdict == "rejected" and "not part of the 2026 season" in v.by_code("peak_active").reason
    old = datetime(2022, 5, 1, 10, tzinfo=KST)
    assert (
        judge(
            at("munboksan", taken_at=old), peak="munboksan", season="2022", now=old + timedelta(hours=1)
        ).verdict
        == "approved"
    )


@pytest.mark.parametrize(
    "season, history, code",
    [
        ("2024", History(approved_today=3), "daily_limit"),
        ("2026", History(approved_this_month=2), "monthly_limit"),
        ("2026", History(peak_already_approved=True), "peak_not_yet_certified"),
    ],
)
def test_programme_limits(season, history, code):
    s = reference.season(season)
    taken = datetime(s.year, 5, 2, 10, 30, tzinfo=KST)
    v = judge(at("gajisan", taken_at=taken), season=season, now=taken + timedelta(hours=1), history=history)
    assert v.verdict == "rejected" and v.by_code(code).result == "fail"
    assert "at most" in v.by_code(code).reason or "already certified" in v.by_code(code).reason


def test_limits_count_the_capture_day():
    meta = read_photo_metadata(at("gajisan", taken_at=datetime(2026, 5, 31, 23, 50, tzinfo=KST)))
    assert capture_day(meta, NOW).isoformat() == "2026-05-31"


@pytest.mark.parametrize("birth_year, result", [(2012, "pass"), (2013, "fail"), (None, "warn")])
def test_minimum_age(birth_year, result):
    assert judge(at("gajisan"), birth_year=birth_year).by_code("min_age").result == result


def test_submission_after_the_finish_deadline_is_rejected():
    v = judge(at("gajisan"), now=datetime(2026, 12, 2, 9, tzinfo=KST))
    assert v.by_code("season_open").result == "fail" and v.verdict == "rejected"


def test_sign_era_photos_always_need_a_person():
    taken = datetime(2020, 6, 1, 11, tzinfo=KST)
    v = judge(at("gajisan", taken_at=taken), season="2020", now=taken + timedelta(hours=1), birth_year=None)
    assert v.verdict == "needs_review" and v.by_code("sign_visible").result == "warn"
    assert v.by_code("min_age").result == "skip"


@pytest.mark.parametrize(
    "data, code, error",
    [
        (hostile_files.make_png_bomb(), "decodable", "image_too_large"),
        (hostile_files.make_text_file(), "format", "unsupported_format"),
    ],
)
def test_refused_files_are_rejected_with_the_reason(data, code, error):
    v = judge(data)
    assert v.verdict == "rejected" and v.by_code(code).details["error"] == error
    assert v.by_code("near_duplicate").result == "skip"


def test_truncated_upload_is_rejected(summit_jpeg):
    v = judge(hostile_files.truncate(summit_jpeg, 0.6))
    assert v.verdict == "rejected" and "truncated" in v.by_code("decodable").reason


def test_tiny_photos_are_refused():
    v = judge(at("gajisan", size=(200, 150)))
    assert v.by_code("format").result == "fail" and "at least 320 px" in v.by_code("format").reason


def test_big_phone_photo_is_approved(big_jpeg):
    assert judge(big_jpeg).verdict == "approved"


def test_every_check_has_a_sentence_and_the_verdict_needs_an_aware_clock(summit_jpeg):
    v = judge(summit_jpeg)
    assert all(c.reason.endswith(".") and c.result in {"pass", "warn", "fail", "skip"} for c in v.checks)
    assert len({c.code for c in v.checks}) == len(v.checks)
    with pytest.raises(ValueError, match="aware"):
        judge(summit_jpeg, now=datetime(2026, 11, 29, 12))
