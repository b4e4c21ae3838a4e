"""The Open Referral HSDS 3.0 API's envelope over the directory: the root document, page objects,
in-memory pagination and the standard's service filters (pure, no HTTP)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from services.onestop.domain.hsds import last_modified, organization_list_item, service_list_item
from services.onestop.domain.reference import Directory, Service, directory

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



def filter_services(
    services: Iterable[Service],
    *,
    search: str | None = None,
    taxonomy_term_id: str | None = None,
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
        if needle and not any(
            needle in text.casefold()
            for text in (
                svc.name_en,
                svc.name_ko,
                svc.description,
                svc.eligibility_description,
                org.name_en,
                org.name_ko,
            )
        ):
            continue
        if taxonomy_term_id and taxonomy_term_id not in {d.terms[c].id for c in svc.taxonomy}:
            continue
        if organization_id and organization_id != org.id:
            continue
        if modified_after and not last_modified(svc, d=d) > modified_after:
            continue
        out.append(svc)
    return out


def services_page(page_number: int, per_page: int, *, d: Directory | None = None, **filters: Any) -> dict[str, Any]:
    """`GET /services`: the services matching `filters` (those of `filter_services`) as one HSDS page."""
    d = d or directory()
    items, total = paginate(filter_services(d.services(), d=d, **filters), page_number, per_page)
    return page([service_list_item(s, d=d) for s in items], total, page_number, per_page)


def organizations_page(page_number: int, per_page: int, *, d: Directory | None = None) -> dict[str, Any]:
    """`GET /organizations`: the agencies and the centre as one HSDS page."""
    d = d or directory()
    items, total = paginate(list(d.agencies.values()), page_number, per_page)
    return page([organization_list_item(o) for o in items], total, page_number, per_page)
