"""What each party sees of incidents and reports (need-to-know), as plain dicts for the API."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from services.roadkill.domain import incident_states
from services.roadkill.domain.reference import default_species

OPERATOR = "chungnam"
# Who sees the words the driver said: the operator and ACRC (it is the civil complaint's content).
TRANSCRIPT_READERS = frozenset({OPERATOR, "acrc"})
# Overseers see every incident; road agencies only those they are or were responsible for.
OVERSEERS = frozenset({OPERATOR, "acrc", "molit", "me"})


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def direction_deg(row) -> float | None:
    """Direction of travel on the incident's carriageway (what a warning needs), else the reporter's heading."""
    bearing = (row.decision or {}).get("road_bearing_deg")
    if row.carriageway == "forward" and bearing is not None:
        return bearing
    if row.carriageway == "backward" and bearing is not None:
        return round((bearing + 180.0) % 360.0, 1)
    return row.heading_deg


def incident_summary(row) -> dict[str, Any]:
    """An incident without any report content: safe for every party allowed to list incidents."""
    return {
        "id": row.id, "status": row.status, "open311_status": incident_states.open311_status(row.status),
        "species": row.species, "species_confirmed": row.species_confirmed,
        "road_id": row.road_id, "road_name": row.road_name, "road_class": row.road_class,
        "carriageway": row.carriageway, "direction_deg": direction_deg(row), "segment_no": row.segment_no,
        "lat": row.lat, "lon": row.lon, "accuracy_m": row.accuracy_m,
        "agency": row.agency, "routed_agency": row.routed_agency, "municipality": row.municipality,
        "report_count": row.report_count, "complaint_no": row.complaint_no,
        "outcome": row.outcome, "outcome_note": row.outcome_note,
        "first_reported_at": iso(row.first_reported_at), "last_reported_at": iso(row.last_reported_at),
        "cleared_at": iso(row.cleared_at), "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        "version": row.version,
    }


def report_view(row, party: str) -> dict[str, Any]:
    """A report as `party` may see it: the reporter hash and personal hashes only for the operator."""
    out: dict[str, Any] = {
        "id": row.id, "source": row.source, "partner": row.partner, "merged": row.merged,
        "species": row.species, "species_confidence": row.species_confidence, "lane": row.lane, "side": row.side,
        "lat": row.lat, "lon": row.lon, "accuracy_m": row.accuracy_m, "heading_deg": row.heading_deg,
        "speed_kmh": row.speed_kmh, "road_name": row.road_name,
        "reported_at": iso(row.reported_at), "received_at": iso(row.received_at),
    }
    if party in TRANSCRIPT_READERS:
        out["transcript"] = row.transcript
        out["description"] = row.description
    if party == OPERATOR:
        out["reporter_hash"] = row.reporter_hash
        out["personal_hashes"] = row.personal_hashes or {}
    return out


def event_view(row) -> dict[str, Any]:
    return {"at": iso(row.at), "actor": row.actor, "type": row.type, "from_status": row.from_status,
            "to_status": row.to_status, "detail": row.detail or {}}


def incident_detail(row, reports, events, party: str) -> dict[str, Any]:
    out = incident_summary(row)
    out["decision"] = row.decision
    out["allowed_next"] = incident_states.machine().allowed(row.status)
    # The Ministry of Environment gets no personal data at all: no reports, only the incident.
    out["reports"] = [] if party == "me" else [report_view(r, party) for r in reports]
    out["history"] = [event_view(e) for e in events]
    return out


def inbox_item(row) -> dict[str, Any]:
    """What an agency needs to act: where, what, which step is next — never who reported it."""
    return {
        "id": row.id, "status": row.status, "version": row.version, "allowed_next": incident_states.machine()
        .allowed(row.status), "complaint_no": row.complaint_no, "species": row.species,
        "road_id": row.road_id, "road_name": row.road_name, "road_class": row.road_class,
        "carriageway": row.carriageway, "measure_m": row.measure_m, "lat": row.lat, "lon": row.lon,
        "accuracy_m": row.accuracy_m, "agency": row.agency, "municipality": row.municipality,
        "report_count": row.report_count, "first_reported_at": iso(row.first_reported_at),
        "explanation": (row.decision or {}).get("explanation"),
    }


def hazard(row, now: datetime) -> dict[str, Any]:
    """A warning for drivers approaching an uncleared carcass."""
    return {
        "incident_id": row.id, "lat": row.lat, "lon": row.lon, "road_id": row.road_id, "road_name": row.road_name,
        "road_class": row.road_class, "carriageway": row.carriageway, "direction_deg": direction_deg(row),
        "species": row.species, "status": row.status, "report_count": row.report_count,
        "first_reported_at": iso(row.first_reported_at),
        "age_s": max(0, round((now - row.first_reported_at).total_seconds())),
    }


# -- what the parties of the handoff chain receive (payloads built by flows/handoff.py) -------------

def _species(code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    sp = default_species().by_code.get(code)
    if sp is None:
        return {"code": code}
    return {"code": sp.code, "name_en": sp.name_en, "name_ko": sp.name_ko, "scientific_name": sp.scientific_name,
            "protected": sp.protected}


def location(inc) -> dict[str, Any]:
    """Where an incident is, as every handoff payload carries it (a row or the new incident's dict)."""
    g = inc.get if isinstance(inc, dict) else lambda k: getattr(inc, k)
    return {"lat": g("lat"), "lon": g("lon"), "accuracy_m": g("accuracy_m"), "road_id": g("road_id"),
            "road_name": g("road_name"), "road_class": g("road_class"), "carriageway": g("carriageway"),
            "measure_m": g("measure_m"), "municipality": g("municipality")}


def processing_record(inc) -> dict[str, Any]:
    """The Ministry of Environment's record for the prevention database: no personal data at all."""
    cleared = inc.cleared_at
    return {
        "subject_id": inc.id, "incident_id": inc.id,
        "species_reported": inc.species, "species_confirmed": inc.species_confirmed,
        "taxon": _species(inc.species_confirmed or inc.species),
        "event_date": iso(inc.first_reported_at), "cleared_at": iso(cleared), "outcome": inc.outcome,
        "lat": round(inc.lat, 5), "lon": round(inc.lon, 5), "coordinate_uncertainty_m": inc.accuracy_m,
        "road_id": inc.road_id, "road_class": inc.road_class, "segment_no": inc.segment_no,
        "agency": inc.agency, "municipality": inc.municipality, "report_count": inc.report_count,
        "time_to_clear_s": round((cleared - inc.first_reported_at).total_seconds()) if cleared else None,
    }
