"""Map the onestop directory to Open Referral HSDS 3.0 objects (pure, no HTTP).

Sub-objects that HSDS needs ids for (phones, contacts, schedules, addresses, attributes,
service_at_locations) get uuid5 ids from the directory's namespace, so they are stable
across restarts and replicas without being written into directory.json.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from services.onestop.domain.reference import (
    Agency,
    Contact,
    Directory,
    Location,
    Phone,
    Schedule,
    Service,
    TaxonomyTerm,
    directory,
)

KST_OFFSET_HOURS = 9  # HSDS schedule.timezone is a UTC offset in hours; Korea has no DST
_KST = timezone(timedelta(hours=KST_OFFSET_HOURS))


def _iso(value: datetime) -> str:
    return value.astimezone(_KST).isoformat(timespec="milliseconds")


def _phone(d: Directory, p: Phone, scope: str, **links: str) -> dict[str, Any]:
    note = " (approximate: check before publishing)" if p.approximate else ""
    return {
        "id": d.expected_id("phone", f"{scope}:{p.number}"),
        **links,
        "number": p.number,
        "type": p.type,
        "description": p.description + note,
        "languages": [
            {"id": d.expected_id("language", f"phone:{scope}:{p.number}:ko"), "name": "Korean", "code": "ko"}
        ],
    }


def _contact(d: Directory, c: Contact, scope: str, **links: str) -> dict[str, Any]:
    cid = d.expected_id("contact", f"{scope}:{c.department}")
    return {
        "id": cid,
        **links,
        "name": c.department,
        "title": c.title,
        "department": c.department,
        "phones": [_phone(d, p, f"{scope}:contact:{c.department}", contact_id=cid) for p in c.phones],
    }


def _schedule(d: Directory, h: Schedule, scope: str, **links: str) -> dict[str, Any]:
    note = " (approximate)" if h.approximate else ""
    return {
        "id": d.expected_id("schedule", f"{scope}:{h.byday}:{h.opens_at}"),
        **links,
        "freq": "WEEKLY",
        "wkst": "MO",
        "interval": 1,
        "byday": h.byday,
        "opens_at": h.opens_at,
        "closes_at": h.closes_at,
        "timezone": KST_OFFSET_HOURS,
        "description": h.description + note,
    }


def location_full(loc: Location, *, d: Directory | None = None) -> dict[str, Any]:
    """HSDS location with its physical address (Korean address kept in address_2)."""
    d = d or directory()
    return {
        "id": loc.id,
        "location_type": "physical",
        "name": loc.name_en,
        "alternate_name": loc.name_ko,
        "description": loc.description + (" Coordinates are approximate." if loc.approximate else ""),
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "addresses": [
            {
                "id": d.expected_id("address", loc.key),
                "location_id": loc.id,
                "address_1": loc.address_1,
                "address_2": loc.address_ko,
                "city": loc.city,
                "region": loc.region,
                "state_province": loc.state_province,
                "postal_code": loc.postal_code,
                "country": loc.country,
                "address_type": "physical",
            }
        ],
        "languages": [
            {"id": d.expected_id("language", f"location:{loc.key}:ko"), "name": "Korean", "code": "ko"}
        ],
    }


def taxonomy(*, d: Directory | None = None) -> dict[str, Any]:
    """The HSDS taxonomy object of the centre's own small taxonomy."""
    t = (d or directory()).taxonomy
    return {"id": t.id, "name": t.name, "description": t.description, "version": t.version}


def taxonomy_term(term: TaxonomyTerm, *, d: Directory | None = None) -> dict[str, Any]:
    d = d or directory()
    out: dict[str, Any] = {
        "id": term.id,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "taxonomy": d.taxonomy.name,
        "taxonomy_id": d.taxonomy.id,
        "taxonomy_detail": taxonomy(d=d),
        "language": "en",
    }
    if term.parent:
        out["parent_id"] = d.terms[term.parent].id
    return out


def taxonomy_terms(*, d: Directory | None = None) -> list[dict[str, Any]]:
    d = d or directory()
    return [taxonomy_term(t, d=d) for t in d.terms.values()]


def organization_list_item(org: Agency) -> dict[str, Any]:
    """One-to-one organization fields (HSDS compiled organization_list)."""
    out: dict[str, Any] = {
        "id": org.id,
        "name": org.name_en,
        "alternate_name": org.name_ko,
        "description": f"{org.description} Role in the one-stop centre: {org.role}.",
        # HSDS has no sector field; the handbook's sector (public/private/...) fits legal_status.
        "legal_status": org.sector,
    }
    if org.website:
        out["website"] = org.website
    return out


def _organization(org: Agency, d: Directory) -> dict[str, Any]:
    return {
        **organization_list_item(org),
        "phones": [_phone(d, p, f"org:{org.code}", organization_id=org.id) for p in org.phones],
        "contacts": [_contact(d, c, f"org:{org.code}", organization_id=org.id) for c in org.contacts],
        "locations": [{**location_full(d.locations[org.location], d=d), "organization_id": org.id}],
    }


def service_list_item(service: Service, *, d: Directory | None = None) -> dict[str, Any]:
    """One-to-one service fields plus its organization (HSDS compiled service_list)."""
    d = d or directory()
    org = d.agency(service.agency)
    out: dict[str, Any] = {
        "id": service.id,
        "organization_id": org.id,
        "name": service.name_en,
        "alternate_name": service.name_ko,
        "description": service.description,
        "status": service.status,
        "eligibility_description": service.eligibility_description,
        "last_modified": _iso(last_modified(service, d=d)),
        "organization": organization_list_item(org),
    }
    if service.url:
        out["url"] = service.url
    # HSDS ages are numbers; omit rather than send null for services without an age limit.
    if service.minimum_age is not None:
        out["minimum_age"] = service.minimum_age
    if service.maximum_age is not None:
        out["maximum_age"] = service.maximum_age
    return out


def _service_nested(service: Service, d: Directory) -> dict[str, Any]:
    org = d.agency(service.agency)
    scope = f"service:{service.key}"
    item = service_list_item(service, d=d)
    item.pop("organization")
    return {
        **item,
        "phones": [_phone(d, p, scope, service_id=service.id) for p in org.phones],
        "contacts": [_contact(d, c, scope, service_id=service.id) for c in org.contacts],
        "schedules": [_schedule(d, h, scope, service_id=service.id) for h in org.hours],
        "languages": [
            {
                "id": d.expected_id("language", f"{scope}:ko"),
                "service_id": service.id,
                "name": "Korean",
                "code": "ko",
            }
        ],
        "service_at_locations": [
            {**service_at_location_item(service, key, d=d), "location": location_full(d.locations[key], d=d)}
            for key in service.locations
        ],
        "attributes": [
            {
                "id": d.expected_id("attribute", f"{service.key}:{code}"),
                "link_id": service.id,
                "link_type": "taxonomy",
                "link_entity": "service",
                "taxonomy_term_id": d.terms[code].id,
                "taxonomy_term": taxonomy_term(d.terms[code], d=d),
            }
            for code in service.taxonomy
        ],
    }


def service_at_location_item(service: Service, location_key: str, *, d: Directory | None = None) -> dict[str, Any]:
    """One-to-one service_at_location fields: where a service is delivered."""
    d = d or directory()
    loc = d.locations[location_key]
    return {
        "id": d.expected_id("service_at_location", f"{service.key}:{location_key}"),
        "service_id": service.id,
        "location_id": loc.id,
        "description": f"{service.name_en} at {loc.name_en}",
    }


def service_at_location_full(service: Service, location_key: str, *, d: Directory | None = None) -> dict[str, Any]:
    """Fully nested service_at_location: its location, the phones, contacts and hours there, the taxonomy
    attributes and the service (one-to-one fields with its organization)."""
    d = d or directory()
    nested = _service_nested(service, d)
    return {
        **service_at_location_item(service, location_key, d=d),
        "phones": nested["phones"], "contacts": nested["contacts"], "schedules": nested["schedules"],
        "attributes": nested["attributes"],
        "location": location_full(d.locations[location_key], d=d),
        "service": service_list_item(service, d=d),
    }


def service_full(service: Service, *, d: Directory | None = None) -> dict[str, Any]:
    """Fully nested HSDS service: organization, phones, contacts, schedules, locations, taxonomy."""
    d = d or directory()
    return {**_service_nested(service, d), "organization": _organization(d.agency(service.agency), d)}


def organization_full(org: Agency, *, d: Directory | None = None, full_service: bool = True) -> dict[str, Any]:
    """Fully nested HSDS organization with its services: fully nested (as in the HSDS organization_full
    example) or, with `full_service=False`, their one-to-one fields only."""
    d = d or directory()
    services = ([_service_nested(s, d) for s in org.services] if full_service else
                [{k: v for k, v in service_list_item(s, d=d).items() if k != "organization"} for s in org.services])
    return {**_organization(org, d), "services": services}


def last_modified(service: Service, *, d: Directory | None = None) -> datetime:
    """When the service or its organization last changed (HSDS: 'or any related information')."""
    d = d or directory()
    return max(service.last_modified, d.agency(service.agency).last_modified)
