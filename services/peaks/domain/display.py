"""How the trainer pages show the programme: check labels, Korean time, peaks and municipalities,
a photo's verdict and a climber's ridge of peaks. Pure: rows and reference data in, plain dicts out.

Everything returned here may be shown on a public page unless a function says otherwise (`verdict`
and `ridge` are for the climber or staff, behind their routes' auth). Public views carry display
names only: never contact, birth year, address or GPS position.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from services.peaks.domain import reference
from services.peaks.domain.reference import KST

CHECK_LABELS = {
    "format": "Accepted format and size", "decodable": "Decodable, not a decompression bomb",
    "exif_present": "EXIF metadata present", "gps_present": "GPS position present",
    "distance": "Distance to the summit", "altitude": "Altitude plausible",
    "capture_in_season": "Taken inside the season", "capture_not_future": "Not taken in the future",
    "time_consistent": "Camera time agrees with GPS time", "peak_active": "Peak counts this season",
    "exact_duplicate": "Not an exact duplicate", "near_duplicate": "Not a near-duplicate of another climber's photo",
    "daily_limit": "Per-day limit", "monthly_limit": "Per-month limit", "min_age": "Minimum age",
    "peak_not_yet_certified": "Peak not certified yet", "season_open": "Season open",
    "sign_visible": "Certification sign visible",
}
RESULT_WORDS = {"pass": "passed", "fail": "failed", "warn": "needs a person", "skip": "not checked"}
RESULT_ICONS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "–"}
VERDICT_WORDS = {"approved": "Approved", "needs_review": "Needs review", "rejected": "Rejected"}


def local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp in Korea Standard Time (how the programme counts days)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.astimezone(KST).strftime(fmt) + " KST"


def peak_view(p: reference.Peak, season: reference.Season | None = None) -> dict[str, Any]:
    return {"code": p.code, "en": p.name_en, "ko": p.name_ko, "elevation_m": p.elevation_m,
            "radius_m": p.radius_m, "approximate": p.approximate,
            "municipalities": [municipality_view(m) for m in p.municipalities],
            "active": bool(season and season.is_active(p.code))}


def municipality_view(code: str) -> dict[str, str]:
    m = reference.municipalities().get(code)
    if m is None:
        return {"code": code, "en": code, "ko": "", "role": ""}
    return {"code": m.code, "en": m.name_en, "ko": m.name_ko, "role": m.role,
            "province_en": m.province_en, "province_ko": m.province_ko}


def all_peaks(season: reference.Season | None) -> list[dict[str, Any]]:
    return [peak_view(p, season) for p in reference.peaks().values()]


def peak_label(code: str) -> dict[str, str]:
    p = reference.peaks().get(code)
    return {"code": code, "en": p.name_en if p else code, "ko": p.name_ko if p else ""}


def verdict(photo: Any) -> dict[str, Any]:
    """A photo's verdict (a `models.Photo` row) as its climber or a reviewer sees it: every check with its reason."""
    checks = [{"code": c.get("code", ""), "label": CHECK_LABELS.get(c.get("code", ""), c.get("code", "")),
               "result": c.get("result", ""), "word": RESULT_WORDS.get(c.get("result", ""), c.get("result", "")),
               "icon": RESULT_ICONS.get(c.get("result", ""), ""), "reason": c.get("reason", "")}
              for c in (photo.checks or [])]
    return {"id": photo.id, "peak": peak_label(photo.peak_code), "season": photo.season_id,
            "verdict": photo.status, "verdict_word": VERDICT_WORDS.get(photo.status, photo.status),
            "score": photo.score, "checks": checks,
            "counts": {r: sum(1 for c in checks if c["result"] == r) for r in ("pass", "warn", "fail", "skip")},
            "taken_at": local(photo.taken_at), "submitted_at": local(photo.created_at),
            "reviewed_by": photo.reviewed_by, "review_reason": photo.review_reason,
            "reviewed_at": local(photo.reviewed_at), "image_url": f"/v1/photos/{photo.id}/image?size=thumb",
            "size": f"{photo.width}×{photo.height}", "format": photo.format.upper()}


RIDGE_W, RIDGE_H, RIDGE_BASE = 900, 230, 200


def ridge(climber_id: str, display_name: str, season: reference.Season, data: dict[str, Any]) -> dict[str, Any]:
    """The climber's state on each of the nine peaks (`data`: `flows.progress.progress`), laid out as a
    ridge (west → east by longitude)."""
    done, pending = set(data["done"]), set(data["pending"])
    ordered = sorted(reference.peaks().values(), key=lambda p: p.lon)
    lo = min(p.elevation_m for p in ordered) - 300
    hi = max(p.elevation_m for p in ordered)
    step = RIDGE_W / len(ordered)
    items = []
    for i, p in enumerate(ordered):
        state = ("done" if p.code in done else "pending" if p.code in pending
                 else "remaining" if season.is_active(p.code) else "inactive")
        x = step * (i + 0.5)
        top = RIDGE_BASE - (p.elevation_m - lo) / (hi - lo) * 150
        items.append({**peak_view(p, season), "state": state, "x": round(x, 1), "top": round(top, 1),
                      "left": round(x - step * 0.48, 1), "right": round(x + step * 0.48, 1)})
    cert = data["certificate"]
    return {"climber": {"id": climber_id, "display_name": display_name}, "season": season.id,
            "peaks": items, "done": len(done), "pending": len(pending), "total": data["peaks_total"],
            "remaining": len(data["remaining"]), "complete": data["complete"], "certificate": cert,
            "width": RIDGE_W, "height": RIDGE_H, "base": RIDGE_BASE,
            "issued_at": local(cert["issued_at"]) if cert else ""}


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (segno), scaled by CSS; dark modules on white for any scanner."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                  omitsize=True, title=f"QR code: {url}")
