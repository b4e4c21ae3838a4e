"""Open Referral HSDS 3.0 API over the service directory (open to anyone, read-only)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.onestop.domain import hsds, hsds_api
from services.onestop.domain.reference import directory
from shared.auth import PUBLIC
from shared.errors import Problem

router = APIRouter(prefix="/hsds", tags=["hsds"], dependencies=[PUBLIC])


@router.get("/")
def root(request: Request) -> dict[str, str]:
    """HSDS API root: version, profile and where the OpenAPI document lives."""
    return hsds_api.root(openapi_url=str(request.base_url).rstrip("/") + "/openapi.json")


@router.get("/services")
def list_services(
    search: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    organization_id: Annotated[str | None, Query(max_length=36)] = None,
    taxonomy_term_id: Annotated[str | None, Query(max_length=36)] = None,
    modified_after: Annotated[datetime | None, Query(description="ISO 8601 with a UTC offset")] = None,
) -> dict[str, Any]:
    """Services as an HSDS page, filtered by the standard's query parameters."""
    if modified_after is not None and modified_after.tzinfo is None:
        raise Problem(422, "validation-error", "modified_after: needs a UTC offset, e.g. 2024-01-01T00:00:00+09:00",
                      errors=[{"field": "modified_after", "message": "needs a UTC offset"}])
    return hsds_api.services_page(page, per_page, search=search, organization_id=organization_id,
                                  taxonomy_term_id=taxonomy_term_id, modified_after=modified_after)


@router.get("/services/{service_id}")
def get_service(service_id: str) -> dict[str, Any]:
    """One service, fully nested (organization, phones, schedules, locations, taxonomy)."""
    d = directory()
    svc = next((s for s in d.services() if s.id == service_id), None)
    if svc is None:
        raise Problem(404, "not-found", f"No service with id {service_id!r}.")
    return hsds.service_full(svc)


@router.get("/organizations")
def list_organizations(page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                       per_page: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
    """Organizations (the agencies and the centre) as an HSDS page."""
    return hsds_api.organizations_page(page, per_page)


@router.get("/organizations/{organization_id}")
def get_organization(organization_id: str) -> dict[str, Any]:
    """One organization, fully nested with its services."""
    try:
        org = directory().agency_by_id(organization_id)
    except KeyError:
        raise Problem(404, "not-found", f"No organization with id {organization_id!r}.") from None
    return hsds.organization_full(org)
