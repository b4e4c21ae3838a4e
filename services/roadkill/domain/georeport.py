"""Open311 GeoReport v2: documents (services, definitions, requests), their XML and JSON forms, and errors.

One service request is one *incident* (one carcass): a report merged into an open incident of the same
carcass answers with that incident's id, so every client sees one request per carcass with its real
status. Public reads show no personal data: the description is generated from species and road (the
driver's own words stay with the operator and ACRC), the position is the point on the road.

XML is the specification's mandatory format; it is built with xml.etree (escaped; characters XML 1.0
forbids are dropped) from the same dicts as the JSON, so both always carry the same fields.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree as ET

from services.roadkill.domain import incident_states, speech
from services.roadkill.domain.reference import default_agencies, default_species
from shared.problems import Problem

KST = timezone(timedelta(hours=9), "KST")
SERVICE_CODE = "roadkill"
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+09:00"  # when the service list / definitions last changed
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")
MAX_RANGE = timedelta(days=90)

# Lane attribute: Open311 keys → the lane labels the speech parser and the agencies use.
LANES = {
    "lane_1": ("1st lane", "1st lane (fast lane) / 1차로"),
    "lane_2": ("2nd lane", "2nd lane / 2차로"),
    "lane_3": ("3rd lane", "3rd lane / 3차로"),
    "lane_4": ("4th lane", "4th lane / 4차로"),
    "shoulder": ("shoulder", "Shoulder or roadside / 갓길"),
    "median": ("median", "Median or guard rail / 중앙분리대"),
    "center": ("center", "Centre line, middle of the road / 도로 중앙"),
}


# --------------------------------------------------------------------------- serialisation

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Containers and the tag of each of their items (the specification's XML layout).
_ITEM_TAGS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_BAD.sub("", str(value))


def _fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        el = ET.SubElement(parent, key)
        if isinstance(value, list):
            tag = _ITEM_TAGS.get(key, "item")
            for item in value:
                child = ET.SubElement(el, tag)
                if isinstance(item, dict):
                    _fill(child, item)
                else:
                    child.text = _text(item)
        elif isinstance(value, dict):
            _fill(el, value)
        else:
            el.text = _text(value)


def to_xml(root: str, item: str | None, data: dict[str, Any] | Sequence[dict[str, Any]]) -> bytes:
    """`<root><item>…</item>…</root>` for lists, `<root>…</root>` for one document."""
    top = ET.Element(root)
    if item is None:
        _fill(top, data)  # type: ignore[arg-type]
    else:
        for entry in data:
            _fill(ET.SubElement(top, item), entry)  # type: ignore[arg-type]
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def error(status: int, description: str) -> Problem:
    return Problem(status, None, description)


# --------------------------------------------------------------------------- documents


def discovery(base_url: str, demo: bool) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "Chungcheongnam-do roadkill platform operator (chungnam); GET /v1/about for details",
        "key_service": "API keys are issued by the platform operator to partners (navigation apps, call centres); "
                       "`cpa keys create` on the platform. Reading is open; POST requests needs api_key.",
        "endpoints": [{"specification": SPEC_URL, "url": f"{base_url.rstrip('/')}/open311/v2",
                       "changeset": CHANGESET, "type": "test" if demo else "production",
                       "formats": ["text/xml", "application/json"]}],
    }


def services() -> list[dict[str, Any]]:
    return [{
        "service_code": SERVICE_CODE,
        "service_name": "Roadkill (animal carcass on the road)",
        "description": "Report a dead or injured animal on a road in Chungcheongnam-do. The report is routed to the "
                       "road management agency in charge (Road Act), filed as a civil complaint with ACRC, and "
                       "nearby drivers are warned until the carcass is removed.",
        "metadata": True,
        "type": "realtime",
        "keywords": "roadkill, 로드킬, animal, carcass, wildlife, water deer, 고라니",
        "group": "road safety",
    }]


def service_definition() -> dict[str, Any]:
    species = default_species().by_code
    return {"service_code": SERVICE_CODE, "attributes": [
        {"variable": True, "code": "species", "datatype": "singlevaluelist", "required": False,
         "datatype_description": "One of the listed keys; leave it out and describe the animal in `description`.",
         "order": 1, "description": "Which animal? / 어떤 동물인가요?",
         "values": [{"key": s.code, "name": f"{s.name_en} / {s.name_ko}"} for s in species.values()]},
        {"variable": True, "code": "lane", "datatype": "singlevaluelist", "required": False,
         "datatype_description": "One of the listed keys.", "order": 2,
         "description": "Where on the road is it? / 도로 어디에 있나요?",
         "values": [{"key": k, "name": name} for k, (_label, name) in LANES.items()]},
    ]}


def kst(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(KST).isoformat(timespec="seconds")


def _agency_name(code: str) -> str:
    a = default_agencies().by_code.get(code)
    return f"{a.name_en} ({a.name_ko})" if a else code


def _status_notes(row) -> str:
    agency = _agency_name(row.agency)
    notes = {
        "received": f"Received and routed to {agency}; the civil complaint is being filed with ACRC.",
        "filed": f"Civil complaint {row.complaint_no or ''} registered with ACRC; MOLIT is assigning the road agency.",
        "assigned": f"Assigned to {agency}; waiting for the agency to acknowledge.",
        "acknowledged": f"{agency} has accepted the report.",
        "dispatched": f"A crew of {agency} is on its way; drivers nearby are being warned.",
    }
    if row.status == "closed":
        text = {"removed": "Closed: the carcass was removed.",
                "not_found": "Closed: the crew found nothing on site.",
                "duplicate": "Closed: a duplicate of another report of the same carcass."}.get(
            row.outcome or "", "Closed.")
    else:
        text = notes.get(row.status, incident_states.machine().label(row.status))
    if row.report_count and row.report_count > 1:
        text += f" {row.report_count} drivers reported this carcass."
    return text.replace("  ", " ")


def request_doc(row) -> dict[str, Any]:
    """One incident as an Open311 service request (public: no personal data)."""
    species_code = row.species_confirmed or row.species
    sp = default_species().by_code.get(species_code)
    what = f"{sp.name_en} ({sp.name_ko})" if sp else species_code
    decision = row.decision or {}
    where = row.road_name or "a road off the mapped network"
    if row.carriageway:
        where += f", {row.carriageway} carriageway"
    municipality = default_agencies().by_code.get(row.municipality or "")
    address = ", ".join(x for x in (row.road_name, municipality.name_en if municipality else row.municipality,
                                    "Chungcheongnam-do") if x)
    lat = decision.get("snapped_lat") or row.lat
    lon = decision.get("snapped_lon") or row.lon
    closed = row.status == "closed"
    return {
        "service_request_id": str(row.id),
        "status": incident_states.open311_status(row.status),
        "status_notes": _status_notes(row),
        "service_name": "Roadkill",
        "service_code": SERVICE_CODE,
        "description": f"{what} on {where}" + (" (species confirmed on site)" if row.species_confirmed else ""),
        "agency_responsible": _agency_name(row.agency),
        "service_notice": decision.get("explanation"),
        "requested_datetime": kst(row.created_at),
        "updated_datetime": kst(row.cleared_at if closed and row.cleared_at else row.updated_at),
        "expected_datetime": None,
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": round(float(lat), 6),
        "long": round(float(lon), 6),
        "media_url": None,
    }


def parse_when(name: str, value: str) -> datetime:
    """W3C datetime (with offset; a bare date or a time without offset is Korean time) or a 400 naming the field."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise error(400, f"{name}: {value[:40]!r} is not a W3C datetime such as 2026-05-01T00:00:00+09:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=KST)


def date_range(start_date: str | None, end_date: str | None, now: datetime) -> tuple[datetime, datetime]:
    start = parse_when("start_date", start_date) if start_date else None
    end = parse_when("end_date", end_date) if end_date else None
    if start is None and end is None:
        return now - MAX_RANGE, now
    if start is None:
        return end - MAX_RANGE, end  # type: ignore[operator]
    if end is None:
        return start, start + MAX_RANGE
    if end < start:
        raise error(400, "end_date is before start_date")
    if end - start > MAX_RANGE:
        raise error(400, "start_date to end_date may not span more than 90 days")
    return start, end


def transcript_of(species: str | None, lane: str | None, description: str) -> str:
    """What the speech parser reads: the chosen attributes first, then the reporter's words if they agree."""
    if species is None:
        text = description
        if lane is not None:
            text = f"{LANES[lane][0]}. {text}"
        return text[:2000]
    ref = default_species().by_code[species]
    structured = ref.name_en if species != "unknown" else "an animal"
    if lane is not None:
        structured += f", {LANES[lane][0]}"
    if not description:
        return structured
    combined = f"{structured}. {description}"[:2000]
    parsed = speech.parse_transcript(combined)
    return combined if parsed.species == species else structured
