"""Answers of the Open Referral HSDS 3.0 API (`/hsds/`): the objects' main members as the official schemas
name them (tests/standards/hsds-3.0 validates the real answers); HSDS allows more, and they are passed on."""
from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import Field

from shared.answers import Answer, Timestamp

T = TypeVar("T")
Uuid = Annotated[str, Field(json_schema_extra={"format": "uuid"}, examples=["ddb0be61-d0d2-5573-8146-23cf54cba222"])]


class HsdsRoot(Answer):
    version: str = Field(examples=["3.0"])
    profile: str = Field(examples=["https://docs.openreferral.org/en/3.0/"])
    openapi_url: str


class HsdsPage(Answer, Generic[T]):
    """The HSDS Page object (openapi.json `components.schemas.Page`): `size` is this page's item count."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[T]


class HsdsTaxonomy(Answer):
    id: Uuid
    name: str
    description: str
    version: str | None = None


class HsdsTaxonomyTerm(Answer):
    id: Uuid
    code: str | None = None
    name: str
    description: str
    parent_id: str | None = None
    taxonomy: str | None = None
    taxonomy_id: str | None = None
    taxonomy_detail: HsdsTaxonomy | None = None
    language: str | None = None


class HsdsAddress(Answer):
    id: Uuid
    location_id: str | None = None
    address_1: str
    address_2: str | None = Field(default=None, description="The Korean address")
    city: str
    region: str | None = None
    state_province: str
    postal_code: str
    country: str
    address_type: str


class HsdsLocation(Answer):
    id: Uuid
    location_type: str
    name: str | None = None
    alternate_name: str | None = None
    description: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    addresses: list[HsdsAddress] = []


class HsdsOrganizationItem(Answer):
    """One-to-one organization fields (compiled organization_list)."""

    id: Uuid
    name: str
    alternate_name: str | None = None
    description: str
    legal_status: str | None = Field(default=None, description="The handbook's sector (public, private…)")
    website: str | None = None


class HsdsServiceMinimal(Answer):
    """`minimal=true`: the id and when the service last changed."""

    id: Uuid
    last_modified: Timestamp


class HsdsServiceItem(HsdsServiceMinimal):
    """One-to-one service fields with the organization (compiled service_list)."""

    organization_id: str | None = None
    name: str
    alternate_name: str | None = None
    description: str | None = None
    status: str = Field(examples=["active"])
    eligibility_description: str | None = None
    url: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    organization: HsdsOrganizationItem | None = None


class HsdsServiceAtLocationItem(Answer):
    """One-to-one service_at_location fields: a service delivered at a location."""

    id: Uuid
    service_id: str
    location_id: str
    description: str | None = None


class HsdsServiceAtLocation(HsdsServiceAtLocationItem):
    """Fully nested service_at_location (`full=true`, or by id)."""

    location: HsdsLocation
    service: HsdsServiceItem | None = None
    phones: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    schedules: list[dict[str, Any]] = []
    attributes: list[dict[str, Any]] = []


class HsdsService(HsdsServiceItem):
    """Fully nested service: phones, contacts, schedules, languages, locations, taxonomy attributes."""

    phones: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    schedules: list[dict[str, Any]]
    languages: list[dict[str, Any]]
    service_at_locations: list[HsdsServiceAtLocationItem]
    attributes: list[dict[str, Any]]


class HsdsOrganization(HsdsOrganizationItem):
    """Fully nested organization with its services (one-to-one fields, or fully nested with
    `full_service=true`)."""

    phones: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    locations: list[HsdsLocation]
    services: list[HsdsService | HsdsServiceItem] = []
