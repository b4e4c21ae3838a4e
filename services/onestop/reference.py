"""Loaders and typed views of the onestop reference data: the versioned-file reader and the agency directory."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

SECTORS = frozenset({"public", "private", "local government", "central government"})
FIELDS = frozenset({"finance", "employment", "welfare"})
# HSDS 3.0 service.status enum.
SERVICE_STATUSES = frozenset({"active", "inactive", "defunct", "temporarily closed"})


class ReferenceDataError(ValueError):
    """A reference data file is missing, malformed or inconsistent; the message names file and path."""


def read_data_file(name: str, data_dir: Path | None = None) -> dict[str, Any]:
    """Read `data/<name>` as a JSON object that carries a `version` string."""
    path = (data_dir or DATA_DIR) / name
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(doc, dict):
        raise ReferenceDataError(f"{path}: expected a JSON object at the top level")
    if not isinstance(doc.get("version") or doc.get("rules_version"), str):
        raise ReferenceDataError(f"{path}: missing a `version` string (reference data must be versioned)")
    return doc


def req(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return `obj[key]`, raising ReferenceDataError that says where and what type was expected."""
    if key not in obj:
        raise ReferenceDataError(f"{where}: missing `{key}`")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        names = "/".join(k.__name__ for k in _as_tuple(kind))
        raise ReferenceDataError(f"{where}.{key}: expected {names}, got {type(value).__name__} {value!r}")
    return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _uuid(obj: Mapping[str, Any], where: str) -> str:
    raw = req(obj, "id", str, where)
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise ReferenceDataError(f"{where}.id: not a UUID: {raw!r}") from exc


def _datetime(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    raw = req(obj, key, str, where)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ReferenceDataError(f"{where}.{key}: not an ISO 8601 date-time: {raw!r}") from exc
    if value.tzinfo is None:
        raise ReferenceDataError(f"{where}.{key}: needs a UTC offset (e.g. +09:00): {raw!r}")
    return value


# --------------------------------------------------------------------------- directory


@dataclass(frozen=True, slots=True)
class Phone:
    number: str
    type: str
    description: str
    approximate: bool


@dataclass(frozen=True, slots=True)
class Contact:
    department: str
    title: str
    phones: tuple[Phone, ...]


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly opening hours; `byday` uses iCalendar day codes as HSDS schedules do."""

    byday: str
    opens_at: str
    closes_at: str
    description: str
    approximate: bool


@dataclass(frozen=True, slots=True)
class Location:
    key: str
    id: str
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
    latitude: float
    longitude: float
    approximate: bool


@dataclass(frozen=True, slots=True)
class TaxonomyTerm:
    code: str
    id: str
    name: str
    description: str
    parent: str | None


@dataclass(frozen=True, slots=True)
class Service:
    key: str
    id: str
    agency: str
    name_en: str
    name_ko: str
    description: str
    eligibility_description: str
    minimum_age: int | None
    maximum_age: int | None
    taxonomy: tuple[str, ...]
    status: str
    data_categories: tuple[str, ...]
    locations: tuple[str, ...]
    last_modified: datetime
    url: str | None


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    id: str
    name_en: str
    name_ko: str
    sector: str
    fields: tuple[str, ...]
    role: str
    description: str
    location: str
    phones: tuple[Phone, ...]
    contacts: tuple[Contact, ...]
    hours: tuple[Schedule, ...]
    services: tuple[Service, ...]
    last_modified: datetime
    website: str | None


@dataclass(frozen=True, slots=True)
class Taxonomy:
    key: str
    id: str
    name: str
    description: str
    version: str


@dataclass(frozen=True)
class Directory:
    """All agencies and services; look-ups by party code, service key or UUID."""

    version: str
    namespace: uuid.UUID
    operator: str
    taxonomy: Taxonomy
    terms: dict[str, TaxonomyTerm]
    locations: dict[str, Location]
    agencies: dict[str, Agency]

    def agency(self, code: str) -> Agency:
        try:
            return self.agencies[code]
        except KeyError:
            raise KeyError(f"unknown agency {code!r}; known: {', '.join(self.agencies)}") from None

    def services(self) -> list[Service]:
        return [s for a in self.agencies.values() for s in a.services]

    def service(self, key_or_id: str) -> Service:
        """A service by its key (`ccrs-debt-adjustment`) or its UUID."""
        for svc in self.services():
            if key_or_id in (svc.key, svc.id):
                return svc
        raise KeyError(f"unknown service {key_or_id!r}")

    def agency_by_id(self, agency_id: str) -> Agency:
        for agency in self.agencies.values():
            if agency.id == agency_id:
                return agency
        raise KeyError(f"unknown organization id {agency_id!r}")

    def expected_id(self, kind: str, key: str) -> str:
        """The UUID the id scheme gives `<kind>:<key>`, so ids can be re-derived and checked."""
        return str(uuid.uuid5(self.namespace, f"{kind}:{key}"))


def _phones(raw: list[Any], where: str) -> tuple[Phone, ...]:
    return tuple(
        Phone(
            number=req(p, "number", str, f"{where}[{i}]"),
            type=p.get("type", "voice"),
            description=p.get("description", ""),
            approximate=bool(p.get("approximate", False)),
        )
        for i, p in enumerate(raw)
    )


def _service(raw: Mapping[str, Any], agency: str, where: str) -> Service:
    status = req(raw, "status", str, where)
    if status not in SERVICE_STATUSES:
        raise ReferenceDataError(f"{where}.status: {status!r} is not one of {sorted(SERVICE_STATUSES)}")
    min_age, max_age = raw.get("minimum_age"), raw.get("maximum_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ReferenceDataError(f"{where}: minimum_age {min_age} > maximum_age {max_age}")
    return Service(
        key=req(raw, "key", str, where),
        id=_uuid(raw, where),
        agency=agency,
        name_en=req(raw, "name_en", str, where),
        name_ko=req(raw, "name_ko", str, where),
        description=req(raw, "description", str, where),
        eligibility_description=req(raw, "eligibility_description", str, where),
        minimum_age=min_age,
        maximum_age=max_age,
        taxonomy=tuple(req(raw, "taxonomy", list, where)),
        status=status,
        data_categories=tuple(req(raw, "data_categories", list, where)),
        locations=tuple(req(raw, "locations", list, where)),
        last_modified=_datetime(raw, "last_modified", where),
        url=raw.get("url"),
    )


def _agency(raw: Mapping[str, Any], where: str) -> Agency:
    code = req(raw, "code", str, where)
    sector = req(raw, "sector", str, where)
    if sector not in SECTORS:
        raise ReferenceDataError(f"{where}.sector: {sector!r} is not one of {sorted(SECTORS)}")
    fields = tuple(req(raw, "fields", list, where))
    if not fields or not set(fields) <= FIELDS:
        raise ReferenceDataError(
            f"{where}.fields: {list(fields)} must be a non-empty subset of {sorted(FIELDS)}"
        )
    services = req(raw, "services", list, where)
    if not 1 <= len(services) <= 3:
        raise ReferenceDataError(f"{where}.services: an agency lists 1-3 services, found {len(services)}")
    return Agency(
        code=code,
        id=_uuid(raw, where),
        name_en=req(raw, "name_en", str, where),
        name_ko=req(raw, "name_ko", str, where),
        sector=sector,
        fields=fields,
        role=req(raw, "role", str, where),
        description=req(raw, "description", str, where),
        location=req(raw, "location", str, where),
        phones=_phones(req(raw, "phones", list, where), f"{where}.phones"),
        contacts=tuple(
            Contact(
                department=req(c, "department", str, f"{where}.contacts[{i}]"),
                title=c.get("title", ""),
                phones=_phones(c.get("phones", []), f"{where}.contacts[{i}].phones"),
            )
            for i, c in enumerate(req(raw, "contacts", list, where))
        ),
        hours=tuple(
            Schedule(
                byday=req(h, "byday", str, f"{where}.hours[{i}]"),
                opens_at=req(h, "opens_at", str, f"{where}.hours[{i}]"),
                closes_at=req(h, "closes_at", str, f"{where}.hours[{i}]"),
                description=h.get("description", ""),
                approximate=bool(h.get("approximate", False)),
            )
            for i, h in enumerate(req(raw, "hours", list, where))
        ),
        services=tuple(_service(s, code, f"{where}.services[{i}]") for i, s in enumerate(services)),
        last_modified=_datetime(raw, "last_modified", where),
        website=raw.get("website"),
    )


def parse_directory(doc: Mapping[str, Any], where: str = "directory.json") -> Directory:
    """Build a Directory from the parsed JSON document and check its cross-references."""
    scheme = req(doc, "id_scheme", dict, where)
    tax = req(doc, "taxonomy", dict, where)
    terms = {
        t["code"]: TaxonomyTerm(
            code=req(t, "code", str, f"{where}.taxonomy_terms[{i}]"),
            id=_uuid(t, f"{where}.taxonomy_terms[{i}]"),
            name=req(t, "name", str, f"{where}.taxonomy_terms[{i}]"),
            description=req(t, "description", str, f"{where}.taxonomy_terms[{i}]"),
            parent=t.get("parent"),
        )
        for i, t in enumerate(req(doc, "taxonomy_terms", list, where))
    }
    locations = {}
    for i, loc in enumerate(req(doc, "locations", list, where)):
        w = f"{where}.locations[{i}]"
        locations[loc["key"]] = Location(
            id=_uuid(loc, w),
            latitude=float(req(loc, "latitude", (int, float), w)),
            longitude=float(req(loc, "longitude", (int, float), w)),
            approximate=bool(loc.get("approximate", False)),
            **{
                k: req(loc, k, str, w)
                for k in (
                    "key",
                    "name_en",
                    "name_ko",
                    "description",
                    "address_1",
                    "address_ko",
                    "city",
                    "region",
                    "state_province",
                    "postal_code",
                    "country",
                )
            },
        )
    agencies = {}
    for i, raw in enumerate(req(doc, "agencies", list, where)):
        agency = _agency(raw, f"{where}.agencies[{i}]")
        if agency.code in agencies:
            raise ReferenceDataError(f"{where}.agencies[{i}]: duplicate agency code {agency.code!r}")
        agencies[agency.code] = agency
    directory = Directory(
        version=req(doc, "version", str, where),
        namespace=uuid.UUID(req(scheme, "namespace", str, f"{where}.id_scheme")),
        operator=req(doc, "operator", str, where),
        taxonomy=Taxonomy(
            id=_uuid(tax, f"{where}.taxonomy"),
            **{k: req(tax, k, str, f"{where}.taxonomy") for k in ("key", "name", "description", "version")},
        ),
        terms=terms,
        locations=locations,
        agencies=agencies,
    )
    _check_directory(directory, where)
    return directory


def _check_directory(d: Directory, where: str) -> None:
    if d.operator not in d.agencies:
        raise ReferenceDataError(f"{where}.operator: {d.operator!r} is not an agency code")
    seen: set[str] = set()
    for term in d.terms.values():
        if term.parent is not None and term.parent not in d.terms:
            raise ReferenceDataError(
                f"{where}: taxonomy term {term.code!r} has unknown parent {term.parent!r}"
            )
    for agency in d.agencies.values():
        if agency.location not in d.locations:
            raise ReferenceDataError(
                f"{where}: agency {agency.code!r} has unknown location {agency.location!r}"
            )
        for svc in agency.services:
            if svc.key in seen:
                raise ReferenceDataError(f"{where}: duplicate service key {svc.key!r}")
            seen.add(svc.key)
            for code in svc.taxonomy:
                if code not in d.terms:
                    raise ReferenceDataError(
                        f"{where}: service {svc.key!r} uses unknown taxonomy term {code!r}"
                    )
            for key in svc.locations:
                if key not in d.locations:
                    raise ReferenceDataError(f"{where}: service {svc.key!r} uses unknown location {key!r}")


@cache
def directory() -> Directory:
    """The shipped directory, parsed once."""
    return parse_directory(read_data_file("directory.json"))
