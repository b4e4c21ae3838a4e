"""The Open Referral HSDS 3.0 API over the directory: the root document, page objects, in-memory pagination
and every filter of the HSDS 3.0 API reference (its openapi.json) for services, service_at_locations,
organizations, taxonomies and taxonomy terms (pure, no HTTP).

Each `*_items` function returns every matching object (for `format=ndjson`, which streams them all);
`page` cuts one page from them. `modified_after` is inclusive (the reference: "on or after").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from services.onestop.domain.hsds import (
    last_modified,
    organization_full,
    organization_list_item,
    service_at_location_full,
    service_at_location_item,
    service_full,
    service_list_item,
    taxonomy,
    taxonomy_term,
)
from services.onestop.domain.reference import Agency, Directory, Service, TaxonomyTerm, directory

HSDS_VERSION = "3.0"
DEFAULT_PROFILE = "https://docs.openreferral.org/en/3.0/"
T = TypeVar("T")

def root(*, openapi_url: str, profile: str = DEFAULT_PROFILE) -> dict[str, str]:
    """Body of `GET /`: the HSDS version, the profile URL and where the OpenAPI document lives."""
    return {"version": HSDS_VERSION, "profile": profile, "openapi_url": openapi_url}


def page(contents: Sequence[Any], total_items: int, page_number: int, per_page: int) -> dict[str, Any]:
    """An HSDS page object; `size` is the number of items on this page (the openapi's 'size of current page')."""
    if page_number < 1 or per_page < 1:
        raise ValueError(f"page must be >= 1 and per_page >= 1, got page={page_number}, per_page={per_page}")
    total_pages = math.ceil(total_items / per_page)
    return {
        "total_items": total_items,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": len(contents) == 0,
        "contents": list(contents),
    }


def paginate(items: Sequence[T], page_number: int, per_page: int) -> tuple[list[T], int]:
    """The slice of `items` for a 1-based page, and the total count (for in-memory lists)."""
    if page_number < 1 or per_page < 1:
        raise ValueError(f"page must be >= 1 and per_page >= 1, got page={page_number}, per_page={per_page}")
    start = (page_number - 1) * per_page
    return list(items[start : start + per_page]), len(items)



def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    return 2 * 6_371_008.8 * math.asin(math.sqrt(math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2))


def _matches(needle: str | None, *texts: str | None) -> bool:
    return not needle or any(needle in t.casefold() for t in texts if t)


def filter_services(
    services: Iterable[Service],
    *,
    search: str | None = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: datetime | None = None,
    d: Directory | None = None,
) -> list[Service]:
    """Services matching the HSDS API query parameters (all given filters must hold)."""
    d = d or directory()
    needle = search.casefold().strip() if search else None
    if modified_after is not None and modified_after.tzinfo is None:
        raise ValueError("modified_after needs a UTC offset, e.g. 2024-01-01T00:00:00+09:00")
    out = []
    for svc in services:
        org = d.agency(svc.agency)
        if not _matches(needle, svc.name_en, svc.name_ko, svc.description, svc.eligibility_description,
                        org.name_en, org.name_ko):
            continue
        if taxonomy_term_id and taxonomy_term_id not in {d.terms[c].id for c in svc.taxonomy}:
            continue
        # The directory has one taxonomy: every service carrying a term of it matches its id.
        if taxonomy_id and not (taxonomy_id == d.taxonomy.id and svc.taxonomy):
            continue
        if organization_id and organization_id != org.id:
            continue
        if modified_after and last_modified(svc, d=d) < modified_after:
            continue
        out.append(svc)
    return out


def service_items(*, full: bool = False, minimal: bool = False, d: Directory | None = None,
                  **filters: Any) -> list[dict[str, Any]]:
    """`GET /services` contents: one-to-one fields, fully nested (`full`) or only id and last_modified
    (`minimal`)."""
    d = d or directory()
    found = filter_services(d.services(), d=d, **filters)
    if minimal:
        return [{"id": s.id, "last_modified": service_list_item(s, d=d)["last_modified"]} for s in found]
    return [service_full(s, d=d) if full else service_list_item(s, d=d) for s in found]


def services_page(page_number: int, per_page: int, *, d: Directory | None = None, **filters: Any) -> dict[str, Any]:
    """`GET /services` as one HSDS page (with `minimal`, every match on the one page: the reference asks
    for all services in one call)."""
    items = service_items(d=d, **filters)
    if filters.get("minimal"):
        return page(items, len(items), 1, max(len(items), 1))
    contents, total = paginate(items, page_number, per_page)
    return page(contents, total, page_number, per_page)


def service_at_location_items(*, full: bool = False, postcode: str | None = None, proximity: float | None = None,
                              d: Directory | None = None, **filters: Any) -> list[dict[str, Any]]:
    """`GET /service_at_locations` contents: the service filters, then the location's postcode (and, with
    `proximity`, every location within that many metres of the centroid of the locations at the postcode:
    the directory holds no postcode gazetteer)."""
    d = d or directory()
    pairs = [(s, key) for s in filter_services(d.services(), d=d, **filters) for key in s.locations]
    if postcode is not None:
        at = [loc for loc in d.locations.values() if loc.postal_code == postcode.strip()]
        if proximity is None:
            pairs = [(s, k) for s, k in pairs if d.locations[k].postal_code == postcode.strip()]
        elif not at:
            pairs = []
        else:
            lat, lon = sum(x.latitude for x in at) / len(at), sum(x.longitude for x in at) / len(at)
            pairs = [(s, k) for s, k in pairs
                     if _metres(lat, lon, d.locations[k].latitude, d.locations[k].longitude) <= proximity]
    build = service_at_location_full if full else service_at_location_item
    return [build(s, k, d=d) for s, k in pairs]


def service_at_location_by_id(sal_id: str, *, d: Directory | None = None) -> dict[str, Any] | None:
    d = d or directory()
    for s in d.services():
        for key in s.locations:
            if service_at_location_item(s, key, d=d)["id"] == sal_id:
                return service_at_location_full(s, key, d=d)
    return None


def _org_services_text(org: Agency) -> tuple[str, ...]:
    return tuple(t for s in org.services for t in (s.name_en, s.name_ko))


def organization_items(*, search: str | None = None, full: bool = False, full_service: bool = False,
                       d: Directory | None = None) -> list[dict[str, Any]]:
    """`GET /organizations` contents: one-to-one fields, or fully nested (`full`; with `full_service` its
    services fully nested too). `search` reads the organization's and its services' names."""
    d = d or directory()
    needle = search.casefold().strip() if search else None
    found = [o for o in d.agencies.values()
             if _matches(needle, o.name_en, o.name_ko, o.description, *_org_services_text(o))]
    if full or full_service:
        return [organization_full(o, d=d, full_service=full_service) for o in found]
    return [organization_list_item(o) for o in found]


def taxonomy_items(*, search: str | None = None, d: Directory | None = None) -> list[dict[str, Any]]:
    d = d or directory()
    t = d.taxonomy
    return [taxonomy(d=d)] if _matches(search.casefold().strip() if search else None, t.name, t.description) else []


def _term_ok(term: TaxonomyTerm, d: Directory, *, needle: str | None, taxonomy_id: str | None, top_only: bool,
             parent_id: str | None) -> bool:
    parent = d.terms[term.parent].id if term.parent else None
    return (_matches(needle, term.name, term.code, term.description)
            and (taxonomy_id is None or taxonomy_id == d.taxonomy.id)
            and not (top_only and parent is not None)
            and (parent_id is None or parent == parent_id))


def taxonomy_term_items(*, search: str | None = None, taxonomy_id: str | None = None, top_only: bool = False,
                        parent_id: str | None = None, d: Directory | None = None) -> list[dict[str, Any]]:
    d = d or directory()
    needle = search.casefold().strip() if search else None
    return [taxonomy_term(t, d=d) for t in d.terms.values()
            if _term_ok(t, d, needle=needle, taxonomy_id=taxonomy_id, top_only=top_only, parent_id=parent_id)]


def one_page(items: Sequence[Any], page_number: int, per_page: int) -> dict[str, Any]:
    contents, total = paginate(items, page_number, per_page)
    return page(contents, total, page_number, per_page)


def organizations_page(page_number: int, per_page: int, *, d: Directory | None = None) -> dict[str, Any]:
    """`GET /organizations`: the agencies and the centre as one HSDS page."""
    return one_page(organization_items(d=d), page_number, per_page)
