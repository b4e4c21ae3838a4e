"""Report intake flow: validate, parse, route, merge duplicates and file the complaint, in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, case, insert, literal_column, select, update
from sqlalchemy.orm import Session

from services.roadkill.domain import dedup, hotspots, incident_columns, incident_states, routing, speech
from services.roadkill.domain.reference import default_species
from services.roadkill.domain.report_result import IntakeResult
from services.roadkill.flows import handoff
from services.roadkill.models import incident, incident_event, report
from services.roadkill.parts import RoadkillPlatform
from services.roadkill.schemas import ReportIn
from shared.db import advisory_locks, insert_row
from shared.errors import field_problem
from shared.ids import keyed_hash, new_id

OFF_NETWORK = "off_network"  # road_class of incidents away from every mapped road


def decide(platform: RoadkillPlatform, *, lat: float, lon: float, heading_deg: float | None = None, speed_kmh: float | None = None,
           road_name: str | None = None) -> routing.JurisdictionDecision:
    """Routing with its errors turned into 422 problems naming the field."""
    try:
        return routing.decide_jurisdiction(platform.parts.network, lat=lat, lon=lon, heading_deg=heading_deg,
                                           speed_kmh=speed_kmh, road_name=road_name,
                                           max_snap_m=platform.settings.max_snap_m)
    except routing.OutsideKoreaError as exc:
        raise field_problem("lat", str(exc), slug="outside-korea") from None
    except routing.OutsideRegionError as exc:
        raise field_problem("lat", str(exc), slug="outside-region") from None
    except ValueError as exc:
        raise field_problem("lat", str(exc)) from None


def _validate(platform: RoadkillPlatform, data: ReportIn) -> None:
    """Checks pydantic cannot express (or a caller building ReportIn by hand could skip)."""
    if data.consent is not True:
        raise field_problem("consent", "must be true: the driver's consent to use personal information is required")
    if not data.transcript.strip():
        raise field_problem("transcript", "must not be empty: send what the driver said")
    now = platform.clock()  # the service clock: reported_at is judged against the time the report is received
    s = platform.settings
    if data.reported_at - now > timedelta(seconds=s.report_future_skew_s):
        raise field_problem("reported_at", f"is in the future ({data.reported_at.isoformat()}); send the time "
                                           "the driver spoke, with its UTC offset")
    if now - data.reported_at > timedelta(hours=s.report_max_age_h):
        raise field_problem("reported_at", f"is more than {s.report_max_age_h:g} h old; such reports cannot "
                                           "warn anyone and are not accepted")


_CELL_SLOTS = 16  # a 250 m radius on 250 m cells touches 9–16 cells


def _candidate_query(on_road: bool, fixed: bool):
    """Built once: statements with bound parameters hit SQLAlchemy's compiled cache on every intake.

    The fixed form has `_CELL_SLOTS` plain parameters (unused slots repeat a cell), so nothing is
    re-rendered per call as an expanding IN would be; the expanding form serves larger settings.
    The open states (constants of the state machine) are rendered inline for the same reason.
    """
    i = incident.c
    cells = [bindparam(f"c{k}") for k in range(_CELL_SLOTS)] if fixed else bindparam("cells", expanding=True)
    q = (select(i.id, i.road_id, i.lat, i.lon, i.carriageway, i.heading_deg, i.last_reported_at)
         .where(i.status.in_([literal_column(f"'{state}'") for state in incident_states.machine().open_states]),
                i.cell.in_(cells), i.last_reported_at >= bindparam("since")))
    return q.where(i.road_id == bindparam("road_id") if on_road else i.road_id.is_(None))


_CANDIDATES = {(on_road, fixed): _candidate_query(on_road, fixed) for on_road in (True, False)
               for fixed in (True, False)}
_INSERT_INCIDENT = insert(incident)


def _candidates(session: Session, data: ReportIn, decision: routing.JurisdictionDecision,
                params: dedup.DedupParams, cells: list[int]) -> list[dedup.IncidentView]:
    args: dict[str, Any] = {"since": data.reported_at - params.window}
    fixed = len(cells) <= _CELL_SLOTS
    if fixed:
        args.update({f"c{k}": cells[min(k, len(cells) - 1)] for k in range(_CELL_SLOTS)})
    else:
        args["cells"] = cells
    if decision.road_id is not None:
        args["road_id"] = decision.road_id
    q = _CANDIDATES[decision.road_id is not None, fixed]
    return [dedup.IncidentView(id=r.id, road_id=r.road_id, lat=r.lat, lon=r.lon, carriageway=r.carriageway,
                               heading_deg=r.heading_deg, is_open=True, last_reported_at=r.last_reported_at)
            for r in session.execute(q, args).all()]


@dataclass(frozen=True, slots=True)
class PreparedReport:
    """A report after the checks that need no database: validated, routed and parsed."""

    data: ReportIn
    decision: routing.JurisdictionDecision
    parsed: speech.ParsedTranscript
    cells: list[int]


def _prepare_report(platform: RoadkillPlatform, data: ReportIn) -> PreparedReport:
    """Validation, routing and transcript parsing: pure, so it runs before any transaction. Raises Problem (422)."""
    _validate(platform, data)
    decision = decide(platform, lat=data.lat, lon=data.lon, heading_deg=data.heading_deg,
                      speed_kmh=data.speed_kmh, road_name=data.road_name)
    parsed = speech.parse_transcript(data.transcript, default_species())
    params = platform.parts.dedup_params
    return PreparedReport(data, decision, parsed, dedup.neighbour_cells(data.lat, data.lon, params.distance_m,
                                                                        params.cell_m))


def _lock_keys(platform: RoadkillPlatform, data: ReportIn) -> list[tuple[str, str]]:
    """Advisory locks serialising intakes that could merge with each other (PostgreSQL; SQLite already
    serialises writers).

    Lock cells are twice the merge radius, so the circle around a report touches at most a 2×2 block
    (occasionally 2×3) of them; any report within the radius owns one of those cells, so two reports
    of one carcass always share a lock. Taken in ascending lock-id order (`advisory_locks`), so intakes never deadlock.
    """
    params = platform.parts.dedup_params
    return [("roadkill-dedup", str(key))
            for key in sorted(dedup.neighbour_cells(data.lat, data.lon, params.distance_m,
                                                    cell_m=2 * params.distance_m))]


async def file_voice_report(platform: RoadkillPlatform, data: ReportIn, *, partner: str) -> IntakeResult:
    """The navigation partner's voice report: checks, routing and parsing first (no database), then the
    store in the service's group-commit writer (`shared.writer`), returned once its transaction committed.
    Raises Problem (422)."""
    prepared = _prepare_report(platform, data)
    locks = _lock_keys(platform, data) if not platform.db.is_sqlite else ()
    return await platform.writer.run(_store_voice, platform, prepared, partner, locks=locks)


def _store_voice(session: Session, platform: RoadkillPlatform, prepared: PreparedReport,
                 partner: str) -> IntakeResult:
    return _store_report(session, platform, prepared, partner=partner, source="voice")


def submit_report(session: Session, platform: RoadkillPlatform, data: ReportIn, *, partner: str, source: str = "voice",
                  personal_hashes: dict[str, Any] | None = None, token: str | None = None) -> IntakeResult:
    """Stores one report: merged into the open incident of the same carcass, or a new incident whose
    civil complaint is queued to ACRC. Runs in the caller's (write) transaction; raises Problem (422)."""
    prepared = _prepare_report(platform, data)
    advisory_locks(session, _lock_keys(platform, data))
    return _store_report(session, platform, prepared, partner=partner, source=source,
                        personal_hashes=personal_hashes, token=token)


def _store_report(session: Session, platform: RoadkillPlatform, prepared: PreparedReport, *, partner: str, source: str = "voice",
                 personal_hashes: dict[str, Any] | None = None, token: str | None = None) -> IntakeResult:
    """The database part of intake (the caller holds the `_lock_keys` locks): merge or new incident."""
    data, decision, parsed = prepared.data, prepared.decision, prepared.parsed
    params = platform.parts.dedup_params
    now = platform.clock()  # when the platform received the report (the service clock)
    view = dedup.ReportView(road_id=decision.road_id, divided=decision.divided, lat=data.lat, lon=data.lon,
                            carriageway=decision.carriageway, heading_deg=data.heading_deg,
                            reported_at=data.reported_at)
    match, reason = dedup.best_candidate(_candidates(session, data, decision, params, prepared.cells), view, params)
    report_id = new_id("rpt")
    if match is not None:
        incident_id = match.id
        later = data.reported_at > match.last_reported_at
        known = parsed.species != "unknown"  # a later driver may have seen what the first one did not
        args: dict[str, Any] = {"incident_id": incident_id, "now": now}
        if later:
            args["reported_at"] = data.reported_at
        if known:
            args["species"] = parsed.species
        row = session.execute(_MERGE[later, known], args).one()
        count, status = row.report_count, row.status
    else:
        incident_id = new_id("inc")
        count, status = 1, incident_states.machine().initial
        inc = _new_incident(platform, incident_id, data, decision, parsed, now)
        session.execute(_INSERT_INCIDENT, inc)
        insert_row(session, incident_event, dict(
            incident_id=incident_id, at=now, actor="chungnam", type="received", from_status=None,
            to_status=status, detail={"report_id": report_id, "routing": decision.explanation}))
    insert_row(session, report, dict(
        id=report_id, incident_id=incident_id, source=source, partner=partner,
        reporter_hash=keyed_hash(platform.settings.secret_key.get_secret_value(), "reporter", f"{partner}:{data.reporter}"),
        personal_hashes=personal_hashes or {}, transcript=data.transcript, description=None,
        species=parsed.species, species_confidence=parsed.species_confidence, lane=parsed.lane, side=parsed.side,
        lat=data.lat, lon=data.lon, accuracy_m=data.accuracy_m, heading_deg=data.heading_deg,
        speed_kmh=data.speed_kmh, road_name=data.road_name, reported_at=data.reported_at, received_at=now,
        token=token, merged=match is not None))
    if match is None:
        handoff.file_complaint(session, platform, inc, transcript=data.transcript, lane=parsed.lane,
                               side=parsed.side)
    return IntakeResult(report_id=report_id, incident_id=incident_id, merged=match is not None,
                        report_count=count, species=parsed.species, species_confidence=parsed.species_confidence,
                        lane=parsed.lane, side=parsed.side, decision=decision, status=status,
                        matched=parsed.matched, merge_reason=reason)


def _merge_statement(later: bool, known_species: bool):
    """The UPDATE merging a report into an incident, built once per variant (compiled-cache hits).

    A known species replaces `unknown` but never overwrites a known one.
    """
    i = incident.c
    values: dict[str, Any] = {"report_count": i.report_count + 1, "updated_at": bindparam("now"),
                              "version": i.version + 1}
    if later:
        values["last_reported_at"] = bindparam("reported_at")
    if known_species:
        values["species"] = case((i.species == "unknown", bindparam("species")), else_=i.species)
    return (update(incident).where(i.id == bindparam("incident_id")).values(**values)
            .returning(i.report_count, i.status))


_MERGE = {(later, known): _merge_statement(later, known) for later in (True, False) for known in (True, False)}


def _new_incident(platform: RoadkillPlatform, incident_id: str, data: ReportIn, decision: routing.JurisdictionDecision,
                  parsed: speech.ParsedTranscript, now) -> dict[str, Any]:
    segment = None
    if decision.road_id is not None and decision.measure_m is not None:
        road = platform.parts.network.roads.get(decision.road_id)
        segment = hotspots.segment_of(decision.measure_m, length_m=road.length_m if road else None)
    return dict(
        id=incident_id, status=incident_states.machine().initial, species=parsed.species, species_confirmed=None,
        road_id=decision.road_id, road_class=decision.road_class or OFF_NETWORK, road_name=decision.road_name,
        carriageway=decision.carriageway, measure_m=decision.measure_m, segment_no=segment,
        cell=dedup.cell_key(data.lat, data.lon, platform.parts.dedup_params.cell_m), lat=data.lat, lon=data.lon, accuracy_m=data.accuracy_m,
        heading_deg=data.heading_deg, agency=decision.agency, routed_agency=decision.agency,
        municipality=decision.municipality, decision=decision.as_dict(), report_count=1,
        first_reported_at=data.reported_at, last_reported_at=data.reported_at, complaint_no=None, outcome=None,
        outcome_note=None, cleared_at=None, created_at=now, updated_at=now, version=1,
        report_month=incident_columns.report_month(data.reported_at), clear_minutes=None)
