"""Open Referral HSDS 3.0 API over the service directory (open to anyone, read-only).

Every path, parameter and operationId of the HSDS 3.0 API reference (its openapi.json, vendored in
tests/standards/hsds-3.0): the reference swaps the operationIds of `/taxonomy_terms` and
`/taxonomy_terms/{id}`; they are kept as it names them, so a client generated from it finds them.
`format=ndjson` streams every match, one object per line, without pagination.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from services.onestop.answers.hsds import (
    HsdsOrganization,
    HsdsOrganizationItem,
    HsdsPage,
    HsdsRoot,
    HsdsService,
    HsdsServiceAtLocation,
    HsdsServiceAtLocationItem,
    HsdsServiceItem,
    HsdsServiceMinimal,
    HsdsTaxonomy,
    HsdsTaxonomyTerm,
)
from services.onestop.domain import hsds, hsds_api
from services.onestop.domain.reference import directory
from shared.answers import text_answer
from shared.auth import PUBLIC
from shared.errors import Problem
from shared.query import NotANumber

router = APIRouter(prefix="/hsds", tags=["hsds"], dependencies=[PUBLIC])
NDJSON = "application/x-ndjson"
ND = text_answer(NDJSON, "With `format=ndjson`: every match, one JSON object per line, no pagination")

Search = Annotated[str | None, Query(max_length=100, description="Full text search.")]
PageNo = Annotated[int, Query(ge=1, le=10_000, description="Page number of paginated result.")]
PerPage = Annotated[int, Query(ge=1, le=100, description="Number of results requested in a single page.")]
Format = Annotated[Literal["json", "ndjson"], Query(
    description="`json` (default, paginated) or `ndjson` (every result, one per line, not paginated).")]
Full = Annotated[bool, Query(description="Return fully nested objects.")]
TermId = Annotated[str | None, Query(max_length=36, description="Search for services with this taxonomy_term.")]
TaxonomyId = Annotated[str | None, Query(max_length=36, description="Services with any term of this taxonomy.")]
OrgId = Annotated[str | None, Query(max_length=36, description="Services this organization provides.")]
ModifiedAfter = Annotated[datetime | None, NotANumber, Query(
    description="Results modified on or after this datetime (ISO 8601 with a UTC offset).")]
FullService = Annotated[bool, Query(description="Nest each of the organization's services fully.")]


def _answer(items: list[dict[str, Any]], fmt: str, page: int, per_page: int) -> Any:
    if fmt == "ndjson":
        return StreamingResponse(_lines(items), media_type=NDJSON)
    return hsds_api.one_page(items, page, per_page)


def _lines(items: Iterable[dict[str, Any]]) -> Iterable[bytes]:
    for item in items:
        yield (json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _aware(modified_after: datetime | None) -> datetime | None:
    if modified_after is not None and modified_after.tzinfo is None:
        raise Problem(422, "validation-error", "modified_after: needs a UTC offset, e.g. 2024-01-01T00:00:00+09:00",
                      errors=[{"field": "modified_after", "message": "needs a UTC offset"}])
    return modified_after


def _not_found(kind: str, ident: str) -> Problem:
    return Problem(404, "not-found", f"No {kind} with id {ident[:60]!r}.")


def _one(items: list[dict[str, Any]], ident: str, kind: str) -> dict[str, Any]:
    found = next((x for x in items if x["id"] == ident), None)
    if found is None:
        raise _not_found(kind, ident)
    return found


@router.get("/", operation_id="getAPIMetaInformation", response_model=HsdsRoot)
def root(request: Request):
    """HSDS API root: version, profile and where the OpenAPI document lives."""
    return hsds_api.root(openapi_url=str(request.base_url).rstrip("/") + "/openapi.json")


@router.get("/services", operation_id="getPaginatedListOfServices", responses=ND,
            response_model=HsdsPage[HsdsService | HsdsServiceItem | HsdsServiceMinimal])
def list_services(search: Search = None, page: PageNo = 1, per_page: PerPage = 20, format: Format = "json",
                  taxonomy_term_id: TermId = None, taxonomy_id: TaxonomyId = None, organization_id: OrgId = None,
                  modified_after: ModifiedAfter = None,
                  minimal: Annotated[bool, Query(description="Only each service's id and last_modified, every "
                                                             "match on one page.")] = False,
                  full: Full = False):
    """Services (one-to-one fields; fully nested with `full`; id and last_modified with `minimal`)."""
    filters = {"search": search, "taxonomy_term_id": taxonomy_term_id, "taxonomy_id": taxonomy_id,
               "organization_id": organization_id, "modified_after": _aware(modified_after)}
    if format == "ndjson":
        return _answer(hsds_api.service_items(full=full, minimal=minimal, **filters), format, 1, 1)
    return hsds_api.services_page(page, per_page, full=full, minimal=minimal, **filters)


@router.get("/services/{id}", operation_id="getFullyNestedServiceById", response_model=HsdsService)
def get_service(id: str):
    """One service, fully nested (organization, phones, schedules, locations, taxonomy)."""
    svc = next((s for s in directory().services() if s.id == id), None)
    if svc is None:
        raise _not_found("service", id)
    return hsds.service_full(svc)


@router.get("/service_at_locations", operation_id="getPaginatedListOfServiceAtLocation", responses=ND,
            response_model=HsdsPage[HsdsServiceAtLocation | HsdsServiceAtLocationItem])
def list_service_at_locations(
        search: Search = None, taxonomy_term_id: TermId = None, taxonomy_id: TaxonomyId = None,
        organization_id: OrgId = None, modified_after: ModifiedAfter = None, full: Full = False,
        page: PageNo = 1, per_page: PerPage = 20, format: Format = "json",
        postcode: Annotated[str | None, Query(max_length=20, description="Only locations at this postcode.")] = None,
        proximity: Annotated[float | None, Query(ge=0, le=1_000_000, description=(
            "With postcode: locations within this many metres of the centroid of the directory's locations at "
            "the postcode (no postcode gazetteer is held).")), ] = None):
    """Where each service is delivered (one-to-one fields; fully nested with `full`)."""
    if proximity is not None and postcode is None:
        raise Problem(422, "validation-error", "proximity: needs a postcode to measure from",
                      errors=[{"field": "proximity", "message": "needs a postcode"}])
    items = hsds_api.service_at_location_items(
        full=full, postcode=postcode, proximity=proximity, search=search, taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id, organization_id=organization_id, modified_after=_aware(modified_after))
    return _answer(items, format, page, per_page)


@router.get("/service_at_locations/{id}", operation_id="getServiceAtLocationWithNestedDataById",
            response_model=HsdsServiceAtLocation)
def get_service_at_location(id: str):
    """One service_at_location, fully nested: the location, the service, phones, contacts and hours."""
    found = hsds_api.service_at_location_by_id(id)
    if found is None:
        raise _not_found("service_at_location", id)
    return found


@router.get("/organizations", operation_id="getPaginatedListOfOrganizations", responses=ND,
            response_model=HsdsPage[HsdsOrganization | HsdsOrganizationItem])
def list_organizations(search: Search = None, full_service: FullService = False, full: Full = False,
                       page: PageNo = 1, per_page: PerPage = 20, format: Format = "json"):
    """Organizations (the agencies and the centre): one-to-one fields, or fully nested with `full`."""
    items = hsds_api.organization_items(search=search, full=full, full_service=full_service)
    return _answer(items, format, page, per_page)


@router.get("/organizations/{id}", operation_id="getOrganizationById", response_model=HsdsOrganization)
def get_organization(id: str, full_service: FullService = False):
    """One organization, fully nested; its services' one-to-one fields, or fully nested with `full_service`."""
    try:
        org = directory().agency_by_id(id)
    except KeyError:
        raise _not_found("organization", id) from None
    return hsds.organization_full(org, full_service=full_service)


@router.get("/taxonomies", operation_id="getPaginatedListOfTaxonomies", responses=ND,
            response_model=HsdsPage[HsdsTaxonomy])
def list_taxonomies(search: Search = None, page: PageNo = 1, per_page: PerPage = 20, format: Format = "json"):
    """The taxonomies the directory's terms come from."""
    return _answer(hsds_api.taxonomy_items(search=search), format, page, per_page)


@router.get("/taxonomies/{id}", operation_id="getTaxonomyById", response_model=HsdsTaxonomy)
def get_taxonomy(id: str):
    """One taxonomy."""
    return _one(hsds_api.taxonomy_items(), id, "taxonomy")


@router.get("/taxonomy_terms", operation_id="getTaxonomyTermById", responses=ND,
            response_model=HsdsPage[HsdsTaxonomyTerm])
def list_taxonomy_terms(search: Search = None, page: PageNo = 1, per_page: PerPage = 20, format: Format = "json",
                        taxonomy_id: TaxonomyId = None,
                        top_only: Annotated[bool, Query(description="Only terms without a parent.")] = False,
                        parent_id: Annotated[str | None, Query(max_length=36,
                                                               description="Only the children of this term.")] = None):
    """Taxonomy terms (operationId as the reference names it)."""
    items = hsds_api.taxonomy_term_items(search=search, taxonomy_id=taxonomy_id, top_only=top_only,
                                         parent_id=parent_id)
    return _answer(items, format, page, per_page)


@router.get("/taxonomy_terms/{id}", operation_id="getPaginatedListOfTaxonomyTerms", response_model=HsdsTaxonomyTerm)
def get_taxonomy_term(id: str):
    """One taxonomy term (operationId as the reference names it)."""
    return _one(hsds_api.taxonomy_term_items(), id, "taxonomy_term")
