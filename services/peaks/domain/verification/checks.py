"""The summit-photo checks of the file and of the programme's rules (where and when: `capture`); each returns
Check records with a sentence a climber can act on."""

from __future__ import annotations

from datetime import date, datetime

from services.peaks.domain.imaging import FileTooLarge, ImageError, ImageFacts, UnsupportedFormat
from services.peaks.domain.reference import KST, Peak, Season
from services.peaks.domain.verification.capture import fmt_date
from services.peaks.domain.verification.verdict import (
    Check,
    History,
    Result,
    VerificationParams,
)


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
                f"The {season.id} season accepts submissions until {fmt_date(season.finish_deadline)}.",
            )
        )
    else:
        out.append(
            Check(
                "season_open",
                "fail",
                f"The {season.id} season accepts submissions from {fmt_date(season.start_date)} "
                f"to {fmt_date(season.finish_deadline)}; today is {fmt_date(today)}.",
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
