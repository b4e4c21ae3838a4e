"""Models and accessors of the onestop reference data: the versioned-file reader and the agency directory."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from shared.reference import Frozen, Items, Versioned, load, read_versioned, unique_by, validate
from shared.reference import (
    ReferenceDataError as ReferenceDataError,  # re-exported for the rule and policy readers
)
from shared.reference import req as req  # re-exported: hand-validated files not yet described by models

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

Sector = Literal["public", "private", "local government", "central government"]
FieldCode = Literal["finance", "employment", "welfare"]
ServiceStatus = Literal["active", "inactive", "defunct", "temporarily closed"]  # HSDS 3.0 service.status enum
SECTORS = frozenset(get_args(Sector))
FIELDS = frozenset(get_args(FieldCode))
SERVICE_STATUSES = frozenset(get_args(ServiceStatus))


def read_data_file(name: str, data_dir: Path | None = None) -> dict[str, Any]:
    """Read `data/<name>` as a JSON object that carries a `version` (or `rules_version`) string."""
    return read_versioned((data_dir or DATA_DIR) / name, ("version", "rules_version"))


def _canonical_uuid(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise ValueError(f"not a UUID: {raw!r}") from None


UuidStr = Annotated[str, AfterValidator(_canonical_uuid)]  # kept as its canonical string form
Age = Annotated[int, Field(ge=0)] | None


# --------------------------------------------------------------------------- directory


class Phone(Frozen):
    number: str
    type: str = "voice"
    description: str = ""
    approximate: bool = False


class Contact(Frozen):
    department: str
    title: str = ""
    phones: Items[Phone] = ()


class Schedule(Frozen):
    """Weekly opening hours; `byday` uses iCalendar day codes as HSDS schedules do."""

    byday: str
    opens_at: str
    closes_at: str
    description: str = ""
    approximate: bool = False


class Location(Frozen):
    key: str
    id: UuidStr
    name_en: str
    name_ko: str
    description: str
    address_1: str
    address_ko: str
    city: str
    region: str
    state_province: str
    postal_code: str
    country: str
    latitude: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    longitude: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    approximate: bool = False


class TaxonomyTerm(Frozen):
    code: str
    id: UuidStr
    name: str
    description: str
    parent: str | None = None


class Service(Frozen):
    key: str
    id: UuidStr
    agency: str = ""  # the code of the agency listing it (set from the enclosing agency)
    name_en: str
    name_ko: str
    description: str
    eligibility_description: str
    minimum_age: Age = None
    maximum_age: Age = None
    taxonomy: Items[str]
    status: ServiceStatus
    data_categories: Items[str]
    locations: Items[str]
    last_modified: AwareDatetime
    url: str | None = None

    @model_validator(mode="after")
    def _age_range(self) -> Service:
        if self.minimum_age is not None and self.maximum_age is not None and self.minimum_age > self.maximum_age:
            raise ValueError(f"minimum_age {self.minimum_age} > maximum_age {self.maximum_age}")
        return self


class Agency(Frozen):
    code: str
    id: UuidStr
    name_en: str
    name_ko: str
    sector: Sector
    fields: Annotated[Items[FieldCode], Field(min_length=1)]
    role: str
    description: str
    location: str
    phones: Items[Phone]
    contacts: Items[Contact]
    hours: Items[Schedule]
    services: Annotated[Items[Service], Field(min_length=1, max_length=3)]  # an agency lists 1-3 services
    last_modified: AwareDatetime
    website: str | None = None

    @field_validator("services")
    @classmethod
    def _owned(cls, services: tuple[Service, ...], info: ValidationInfo) -> tuple[Service, ...]:
        code = info.data.get("code", "")
        return tuple(s.model_copy(update={"agency": code}) for s in services)


class Taxonomy(Frozen):
    key: str
    id: UuidStr
    name: str
    description: str
    version: str


class IdScheme(Frozen):
    namespace: uuid.UUID


class Directory(Versioned):
    """directory.json: all agencies and services; look-ups by party code, service key or UUID."""

    id_scheme: IdScheme
    operator: str
    taxonomy: Taxonomy
    taxonomy_terms: Items[TaxonomyTerm]
    location_list: Items[Location] = Field(alias="locations")
    agency_list: Items[Agency] = Field(alias="agencies")

    @cached_property
    def namespace(self) -> uuid.UUID:
        return self.id_scheme.namespace

    @cached_property
    def terms(self) -> dict[str, TaxonomyTerm]:
        return {t.code: t for t in self.taxonomy_terms}

    @cached_property
    def locations(self) -> dict[str, Location]:
        return {loc.key: loc for loc in self.location_list}

    @cached_property
    def agencies(self) -> dict[str, Agency]:
        return {a.code: a for a in self.agency_list}

    @model_validator(mode="after")
    def _cross_references(self) -> Directory:
        for key, items, attr in (
            ("taxonomy_terms", self.taxonomy_terms, "code"),
            ("locations", self.location_list, "key"),
            ("agencies", self.agency_list, "code"),
        ):
            unique_by(items, key, attr)
        if self.operator not in self.agencies:
            raise ValueError(f"operator: {self.operator!r} is not an agency code")
        for term in self.taxonomy_terms:
            if term.parent is not None and term.parent not in self.terms:
                raise ValueError(f"taxonomy term {term.code!r} has unknown parent {term.parent!r}")
        services: set[str] = set()
        for agency in self.agency_list:
            if agency.location not in self.locations:
                raise ValueError(f"agency {agency.code!r} has unknown location {agency.location!r}")
            for svc in agency.services:
                if svc.key in services:
                    raise ValueError(f"duplicate service key {svc.key!r}")
                services.add(svc.key)
                for code in svc.taxonomy:
                    if code not in self.terms:
                        raise ValueError(f"service {svc.key!r} uses unknown taxonomy term {code!r}")
                for key in svc.locations:
                    if key not in self.locations:
                        raise ValueError(f"service {svc.key!r} uses unknown location {key!r}")
        return self

    def agency(self, code: str) -> Agency:
        try:
            return self.agencies[code]
        except KeyError:
            raise KeyError(f"unknown agency {code!r}; known: {', '.join(self.agencies)}") from None

    def services(self) -> list[Service]:
        return [s for a in self.agency_list for s in a.services]

    def service(self, key_or_id: str) -> Service:
        """A service by its key (`ccrs-debt-adjustment`) or its UUID."""
        for svc in self.services():
            if key_or_id in (svc.key, svc.id):
                return svc
        raise KeyError(f"unknown service {key_or_id!r}")

    def agency_by_id(self, agency_id: str) -> Agency:
        for agency in self.agency_list:
            if agency.id == agency_id:
                return agency
        raise KeyError(f"unknown organization id {agency_id!r}")

    def expected_id(self, kind: str, key: str) -> str:
        """The UUID the id scheme gives `<kind>:<key>`, so ids can be re-derived and checked."""
        return str(uuid.uuid5(self.namespace, f"{kind}:{key}"))


def parse_directory(doc: Mapping[str, Any], where: str = "directory.json") -> Directory:
    """Validate a parsed directory document (as read from the file) and its cross-references."""
    return validate(doc, Directory, where)


@cache
def directory() -> Directory:
    """The shipped directory, parsed once."""
    return load(DATA_DIR / "directory.json", Directory)
