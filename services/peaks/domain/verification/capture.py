"""Where and when a summit photo was taken: distance to the summit, altitude, capture time inside the season,
camera and GPS clocks; each check returns Check records with a sentence a climber can act on."""

from __future__ import annotations

import math
from datetime import date, datetime

from services.peaks.domain.exif import PhotoMetadata
from services.peaks.domain.reference import KST, Peak, Season
from services.peaks.domain.verification.verdict import DEFAULT_PARAMS, Check, Result, VerificationParams

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


def fmt_date(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


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
    window = f"{fmt_date(start)} – {fmt_date(end)}" if start else f"before {fmt_date(end)}"
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
