"""Rules of the certification programme that need no database: which peak a name means this season,
who reviews which peak, and how certificates are numbered."""
from __future__ import annotations

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
