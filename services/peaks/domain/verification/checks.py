"""The individual summit-photo checks; each returns Check records with a sentence a climber can act on."""

from __future__ import annotations

import math
from datetime import date, datetime

from services.peaks.domain.exif import PhotoMetadata
from services.peaks.domain.imaging import FileTooLarge, ImageError, ImageFacts, UnsupportedFormat
from services.peaks.domain.reference import KST, Peak, Season
from services.peaks.domain.verification.verdict import (
    DEFAULT_PARAMS,
    Check,
    History,
    Result,
    VerificationParams,
)

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius; haversine error is far below the 100 m radius


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def capture_instant(meta: PhotoMetadata, params: VerificationParams = DEFAULT_PARAMS) -> datetime | None:
    """When the photo was taken: DateTimeOriginal (+ its offset, else KST), else the GPS time."""
    return meta.taken_at(params.default_offset) or meta.gps_time


def capture_day(meta: PhotoMetadata, now: datetime, params: VerificationParams = DEFAULT_PARAMS) -> date:
    """The KST date the per-day/per-month limits count against (capture day, else submission day)."""
    return (capture_instant(meta, params) or now).astimezone(KST).date()


def _fmt_date(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def image_checks(facts: ImageFacts | ImageError, p: VerificationParams) -> list[Check]:
    if isinstance(facts, UnsupportedFormat | FileTooLarge):
        return [
            Check("format", "fail", str(facts), {"error": facts.code}),
            Check("decodable", "skip", "Not decoded: the file was refused before decoding."),
        ]
    if isinstance(facts, ImageError):
        return [
            Check("format", "pass", "The file is a supported image type."),
            Check("decodable", "fail", str(facts), {"error": facts.code}),
        ]
    details = {
        "format": facts.format,
        "width": facts.width,
        "height": facts.height,
        "size_bytes": facts.size_bytes,
    }
    if facts.format not in p.allowed_formats:
        fmt = Check(
            "format",
            "fail",
            f"{facts.format.upper()} photos are not accepted; send one of "
            f"{', '.join(sorted(f.upper() for f in p.allowed_formats))}.",
            details,
        )
    elif facts.size_bytes > p.max_bytes:
        fmt = Check(
            "format",
            "fail",
            f"The file is {facts.size_bytes:,} bytes; at most {p.max_bytes:,} are accepted.",
            details,
        )
    elif min(facts.width, facts.height) < p.min_side_px:
        fmt = Check(
            "format",
            "fail",
            f"The photo is {facts.width}x{facts.height} px; its short side must be at least "
            f"{p.min_side_px} px to show the summit.",
            details,
        )
    else:
        fmt = Check(
            "format",
            "pass",
            f"{facts.format.upper()} photo, {facts.width}x{facts.height} px, {facts.size_bytes:,} bytes.",
            details,
        )
    return [
        fmt,
        Check("decodable", "pass", f"The photo decodes completely ({facts.pixels:,} pixels declared)."),
    ]


def position_checks(meta: PhotoMetadata, peak: Peak, season: Season, p: VerificationParams) -> list[Check]:
    out: list[Check] = []
    if not meta.has_exif:
        out.append(
            Check(
                "exif_present",
                "warn",
                "The photo carries no EXIF metadata (messaging apps often strip it); "
                "a reviewer must confirm it.",
            )
        )
    elif meta.problems:
        out.append(
            Check(
                "exif_present",
                "warn",
                f"The EXIF metadata is partly malformed: {meta.problems[0]}",
                {"problems": list(meta.problems)},
            )
        )
    else:
        out.append(Check("exif_present", "pass", "The photo carries readable EXIF metadata."))
    if meta.lat is None or meta.lon is None:
        why = next((x for x in meta.problems if x.startswith("GPS")), None)
        what = f"No usable GPS position ({why.rstrip('.')})" if why else "The photo has no GPS position"
        rule = (
            f"the {season.id} rules certify by GPS within {peak.radius_m:g} m of the summit stone"
            if season.gps_required
            else f"the {season.id} rules certify by photo review"
        )
        out.append(Check("gps_present", "warn", f"{what}; {rule}, so a reviewer must decide."))
        out.append(Check("distance", "skip", "No GPS position to measure."))
        out.append(Check("altitude", "skip", "No GPS position, altitude not checked."))
        return out
    out.append(Check("gps_present", "pass", f"GPS position {meta.lat:.5f}, {meta.lon:.5f}."))
    d = distance_m(meta.lat, meta.lon, peak.lat, peak.lon)
    allowance = min(meta.hpos_error_m or 0.0, p.hpos_error_cap_m)
    limit = peak.radius_m + allowance
    extra = f" (+ {allowance:,.0f} m stated GPS error)" if allowance else ""
    details = {
        "distance_m": round(d, 1),
        "radius_m": peak.radius_m,
        "gps_error_allowance_m": round(allowance, 1),
        "summit_approximate": peak.approximate,
        "coordinate_uncertainty_m": peak.coordinate_uncertainty_m,
    }
    msg = f"Photo taken {d:,.0f} m from the summit of {peak.name_en}; must be within {peak.radius_m:,.0f} m{extra}."
    if d <= limit:
        out.append(Check("distance", "pass", msg, details))
    elif d <= limit + peak.coordinate_uncertainty_m:
        # Our summit coordinates are approximate for most peaks: close misses go to a person, not to the bin.
        out.append(
            Check(
                "distance",
                "warn",
                msg + f" The recorded summit position is only known to within "
                f"{peak.coordinate_uncertainty_m:,.0f} m, so a reviewer must confirm.",
                details,
            )
        )
    else:
        out.append(Check("distance", "fail", msg, details))
    if meta.altitude_m is None:
        out.append(Check("altitude", "skip", "The photo records no altitude."))
    else:
        gap = meta.altitude_m - peak.elevation_m
        result: Result = "pass" if abs(gap) <= p.altitude_tolerance_m else "warn"
        out.append(
            Check(
                "altitude",
                result,
                f"Recorded altitude {meta.altitude_m:,.0f} m against a summit of "
                f"{peak.elevation_m:,} m ({gap:+,.0f} m; tolerance ±{p.altitude_tolerance_m:,.0f} m).",
                {"altitude_m": meta.altitude_m, "elevation_m": peak.elevation_m},
            )
        )
    return out


def time_checks(meta: PhotoMetadata, season: Season, now: datetime, p: VerificationParams) -> list[Check]:
    taken = capture_instant(meta, p)
    if taken is None:
        return [
            Check(
                "capture_in_season",
                "warn",
                "The photo records no capture time; a reviewer must confirm when it was taken.",
            ),
            Check("capture_not_future", "skip", "No capture time."),
            Check("time_consistent", "skip", "No capture time."),
        ]
    local = taken.astimezone(KST)
    source = (
        "GPS time"
        if meta.taken_local is None
        else ("camera time" + (" (no offset recorded; read as KST +09:00)" if meta.offset is None else ""))
    )
    details = {"taken_at": local.isoformat(), "source": source}
    out: list[Check] = []
    start, end = season.capture_window()
    window = f"{_fmt_date(start)} – {_fmt_date(end)}" if start else f"before {_fmt_date(end)}"
    if (start is None or start <= local.date()) and local.date() <= end:
        out.append(
            Check(
                "capture_in_season",
                "pass",
                f"Taken {local:%Y-%m-%d %H:%M} KST ({source}), inside the {season.id} season ({window}).",
                details,
            )
        )
    else:
        out.append(
            Check(
                "capture_in_season",
                "fail",
                f"Taken {local:%Y-%m-%d %H:%M} KST ({source}), outside the {season.id} season ({window}).",
                details,
            )
        )
    ahead = taken - now
    if ahead > p.clock_skew:
        out.append(
            Check(
                "capture_not_future",
                "fail",
                f"The capture time is {ahead.total_seconds() / 60:,.0f} minutes in the "
                f"future; at most {p.clock_skew.total_seconds() / 60:,.0f} minutes of clock drift are tolerated.",
                details,
            )
        )
    else:
        out.append(Check("capture_not_future", "pass", "The capture time is not in the future."))
    camera = meta.taken_at(p.default_offset)
    if camera is None or meta.gps_time is None:
        out.append(Check("time_consistent", "skip", "Only one clock recorded; nothing to compare."))
    else:
        gap_min = abs((camera - meta.gps_time).total_seconds()) / 60
        tol = p.time_consistency.total_seconds() / 60
        result: Result = "pass" if gap_min <= tol else "warn"
        out.append(
            Check(
                "time_consistent",
                result,
                f"Camera time and GPS time differ by {gap_min:,.0f} minutes (tolerance {tol:,.0f}).",
                {"gap_minutes": round(gap_min, 1)},
            )
        )
    return out


def programme_checks(
    *,
    facts: ImageFacts | ImageError,
    peak: Peak,
    season: Season,
    birth_year: int | None,
    now: datetime,
    history: History,
    day: date,
    p: VerificationParams,
) -> list[Check]:
    out: list[Check] = []
    today = now.astimezone(KST).date()
    if season.covers(today):
        out.append(
            Check(
                "season_open",
                "pass",
                f"The {season.id} season accepts submissions until {_fmt_date(season.finish_deadline)}.",
            )
        )
    else:
        out.append(
            Check(
                "season_open",
                "fail",
                f"The {season.id} season accepts submissions from {_fmt_date(season.start_date)} "
                f"to {_fmt_date(season.finish_deadline)}; today is {_fmt_date(today)}.",
            )
        )
    if season.is_active(peak.code):
        out.append(Check("peak_active", "pass", f"{peak.name_en} counts in the {season.id} season."))
    else:
        out.append(
            Check(
                "peak_active",
                "fail",
                f"{peak.name_en} is not part of the {season.id} season "
                f"({len(season.peaks)} peaks: {', '.join(season.peaks)}).",
                {"season_peaks": list(season.peaks)},
            )
        )
    if history.peak_already_approved:
        out.append(
            Check(
                "peak_not_yet_certified",
                "fail",
                f"{peak.name_en} is already certified for you in the {season.id} season.",
            )
        )
    else:
        out.append(
            Check(
                "peak_not_yet_certified", "pass", f"{peak.name_en} is not yet certified for you this season."
            )
        )
    for code, limit, used, span in (
        ("daily_limit", season.per_day_limit, history.approved_today, f"on {day.isoformat()}"),
        ("monthly_limit", season.per_month_limit, history.approved_this_month, f"in {day:%B %Y}"),
    ):
        per = "a day" if code == "daily_limit" else "a month"
        if limit is None:
            out.append(Check(code, "skip", f"The {season.id} rules set no limit {per}."))
        elif used >= limit:
            out.append(
                Check(
                    code,
                    "fail",
                    f"You already have {used} peak(s) certified {span}; the {season.id} rules allow "
                    f"at most {limit} {per}.",
                    {"used": used, "limit": limit},
                )
            )
        else:
            out.append(
                Check(
                    code,
                    "pass",
                    f"{used} of {limit} peaks {per} used {span}.",
                    {"used": used, "limit": limit},
                )
            )
    if season.min_age is None:
        out.append(Check("min_age", "skip", f"The {season.id} rules set no minimum age."))
    elif birth_year is None:
        out.append(
            Check(
                "min_age",
                "warn",
                f"Birth year unknown; the {season.id} rules require climbers aged {season.min_age}+.",
            )
        )
    else:
        # Year-based age (season year minus birth year), the way Korean youth rules usually count.
        age = season.year - birth_year
        result: Result = "pass" if age >= season.min_age else "fail"
        out.append(
            Check(
                "min_age",
                result,
                f"Climber turns {age} in {season.year}; the {season.id} rules require {season.min_age}+.",
                {"age": age, "min_age": season.min_age},
            )
        )
    if season.sign_required:
        out.append(
            Check(
                "sign_visible",
                "warn",
                f"The {season.id} rules require the special certification sign in the "
                "photo; a reviewer must confirm it.",
            )
        )
    if history.exact_duplicate:
        out.append(Check("exact_duplicate", "fail", "This exact file has already been submitted."))
    else:
        out.append(Check("exact_duplicate", "pass", "No earlier submission of this exact file."))
    d, thr = history.nearest_distance, p.near_duplicate_threshold
    if isinstance(facts, ImageError):
        out.append(Check("near_duplicate", "skip", "Not hashed: the image was refused."))
    elif d is not None and d <= thr:
        how = " once mirrored" if history.nearest_mirrored else ""
        result = "fail" if p.near_duplicate_action == "reject" else "warn"
        out.append(
            Check(
                "near_duplicate",
                result,
                f"The photo is {d} bits{how} from another climber's photo; {thr} or fewer "
                "means the same picture re-saved, resized or flipped.",
                {"distance": d, "mirrored": history.nearest_mirrored, "threshold": thr},
            )
        )
    else:
        near = f"nearest is {d} bits away" if d is not None else "no other photos to compare"
        out.append(
            Check(
                "near_duplicate",
                "pass",
                f"Not a copy of another climber's photo ({near}; threshold {thr}).",
                {"distance": d, "threshold": thr},
            )
        )
    return out
