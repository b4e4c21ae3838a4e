"""Autopilot of the simulated parties: ACRC, MLIT (code molit), the road agencies, ME and the navigation partner."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from services.roadkill.domain.reference import DATA_DIR, read_json
from shared.sim import Action, AutopilotPolicy, InboxItem

ROAD_AGENCY_KINDS = frozenset({"incident.assigned"})


@lru_cache(maxsize=1)
def behaviour() -> dict[str, Any]:
    """data/autopilot.json: delays per party, how often nothing is found, where the map is wrong."""
    return read_json(DATA_DIR / "autopilot.json")


def _bucket(incident_id: str, n: int) -> int:
    return int(hashlib.sha256(incident_id.encode()).hexdigest()[:8], 16) % n


def complaint_number(incident_id: str) -> str:
    """A deterministic ACRC-style number (the real one comes from ACRC's complaint system)."""
    digest = int(hashlib.sha256(f"acrc:{incident_id}".encode()).hexdigest()[:12], 16)
    return f"1AA-{digest % 10**10:010d}"


def ground_truth_agency(location: dict[str, Any]) -> tuple[str, str] | None:
    """(agency really in charge, reason) when the incident lies on a section the shipped map gets wrong."""
    road_id, measure = location.get("road_id"), location.get("measure_m")
    if road_id is None or measure is None:
        return None
    for zone in behaviour()["ground_truth"]:
        if zone["road_id"] == road_id and zone["from_m"] <= measure <= zone["to_m"]:
            return zone["agency"], zone["reason"]
    return None


def outcome_for(incident_id: str) -> str:
    """Mostly removed; every n-th incident (by a hash of its id, so tests can predict it) not found."""
    return "not_found" if _bucket(incident_id, int(behaviour()["not_found_every"])) == 0 else "removed"


class RoadkillPolicy(AutopilotPolicy):
    """What each simulated party does with a webhook, after `base_delay_s` × its factor (÷ AUTOPILOT_SPEED)."""

    def __init__(self, base_delay_s: float = 3.0):
        self.base_delay_s = base_delay_s

    def delay_s(self, party: str, kind: str, payload: dict[str, Any]) -> float:
        factors = behaviour()["delay_factors"]
        key = "road_agency" if kind in ROAD_AGENCY_KINDS else party
        return self.base_delay_s * float(factors.get(key, 1.0))

    def actions(self, item: InboxItem) -> list[Action]:
        p = item.payload
        incident_id = p.get("incident_id")
        if not incident_id:
            return []
        path = f"/v1/agency/incidents/{incident_id}/events"
        if item.kind == "complaint.filed" and item.receiver == "acrc":
            return [Action("POST", path, json={"type": "complaint_registered",
                                               "complaint_no": complaint_number(incident_id)})]
        if item.kind == "complaint.forwarded" and item.receiver == "molit":
            # MOLIT follows the platform's routing decision (a trainer playing MOLIT may not).
            return [Action("POST", path, json={"type": "assigned", "agency": p.get("routing", {}).get("agency")})]
        if item.kind == "incident.assigned":
            return self._road_agency(item.receiver, incident_id, p, path)
        # molit (outcome.record), me (processing.record), tmap (incident.status): the 2xx receipt is all they need.
        return []

    def _road_agency(self, party: str, incident_id: str, p: dict[str, Any], path: str) -> list[Action]:
        truth = ground_truth_agency(p.get("location") or {})
        if truth is not None and truth[0] != party:
            return [Action("POST", path, json={"type": "transferred", "to_agency": truth[0], "reason": truth[1]})]
        outcome = outcome_for(incident_id)
        species = p.get("species") if outcome == "removed" else None
        if species == "unknown":
            species = None  # the crew reports what it saw; the simulation does not invent a species
        closed = {"type": "closed", "outcome": outcome, "species_confirmed": species,
                  "note": "carcass removed and disposed of" if outcome == "removed" else "nothing found on site"}
        return [Action("POST", path, json={"type": "acknowledged"}),
                Action("POST", path, json={"type": "dispatched"}),
                Action("POST", path, json=closed)]
