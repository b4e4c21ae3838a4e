"""Rules of the certification programme that need no database: which peak a name means this season,
who reviews which peak, how certificates are numbered and named, and what a medal bears."""
from __future__ import annotations

import re
import secrets

from services.peaks.domain import reference
from services.peaks.domain.errors import InputError
from services.peaks.domain.reference import Peak, Season


def resolve_peak(name: str, season: Season | None) -> Peak:
    """The peak named by code, name or alias, active in `season`; InputError naming `peak` otherwise."""
    peak = reference.find_peak(name or "")
    if peak is None:
        known = ", ".join(reference.peaks())
        raise InputError("peak", f"unknown peak {name!r}; use one of: {known} (or a name or alias)")
    if season is None:
        raise InputError("peak", "no certification season is open today; photos cannot be submitted",
                              status=409, code="season-closed")
    if not season.is_active(peak.code):
        raise InputError(
            "peak", f"{peak.name_en} ({peak.code}) is not part of the {season.id} season; "
                    f"active peaks: {', '.join(season.peaks)}", code="peak-inactive")
    return peak


def can_review(party: str, peak_code: str, operator: str) -> bool:
    """Ulju-gun reviews every peak; a partner only the peaks in its territory."""
    peak = reference.peaks().get(peak_code)
    return party == operator or (peak is not None and party in peak.municipalities)


def review_territory(party: str, operator: str) -> list[str]:
    """Peak codes a party reviews (all for the operator)."""
    return [c for c in reference.peaks() if can_review(party, c, operator)]


def certificate_number(season_id: str, rank: int) -> str:
    return f"YA-{season_id}-{rank:06d}"


# Public certificate ids: 128 random bits, URL-safe (22 characters), so one certificate's address says nothing
# about any other's (the completion number `YA-2026-000123` is printed on it, but never used to look it up).
CERTIFICATE_ID_PATTERN = r"^crt_[A-Za-z0-9_-]{22}$"


def new_certificate_id() -> str:
    return "crt_" + secrets.token_urlsafe(16)


def is_certificate_id(value: str) -> bool:
    return re.match(CERTIFICATE_ID_PATTERN, value) is not None


def medal_inscription() -> list[dict[str, str]]:
    """The names a medal bears: the five sponsoring municipalities, the managing one (Ulju-gun) first — as
    the certificate names them (handbook, Chapter 3, Yeongnam Alps case: certificates and medals carry the
    names of the five sponsoring local governments)."""
    ms = sorted(reference.municipalities().values(), key=lambda m: m.role != "managing")
    return [{"code": m.code, "name_ko": m.name_ko, "name_en": m.name_en} for m in ms]
