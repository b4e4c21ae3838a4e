"""Streamed exports for the Ministry of Environment: Darwin Core occurrences (CSV, and a Darwin Core Archive)
and incidents (GeoJSON).

Rows are read in creation order through the (created_at, id) index with a server-side cursor in chunks
(`yield_per`) and written out as they come, so memory stays flat whatever the history's size. Neither
export carries personal data (no reports, no reporter hashes, no transcripts).
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from services.roadkill.domain import darwin_core, incident_states
from services.roadkill.domain.georeport import kst
from services.roadkill.domain.reference import default_agencies, default_species
from services.roadkill.models import incident
from services.roadkill.parts import RoadkillPlatform

CHUNK_ROWS = 2000

DWC_TERMS = darwin_core.TERMS
OCCURRENCE_PREFIX = "urn:chungnam:roadkill:"
_RANKS = {"Serpentes": "suborder", "Anura": "order", "Animalia": "kingdom"}
_COLUMNS = [incident.c[k] for k in ("id", "species", "species_confirmed", "lat", "lon", "accuracy_m", "road_name",
                                     "road_class", "carriageway", "segment_no", "municipality", "agency", "status",
                                     "outcome", "report_count", "first_reported_at", "cleared_at", "created_at")]


def _rows(platform: RoadkillPlatform, *, since: datetime | None, until: datetime | None, include_duplicates: bool) -> Iterator[Any]:
    c = incident.c
    q = select(*_COLUMNS)
    if since is not None:
        q = q.where(c.created_at >= since)
    if until is not None:
        q = q.where(c.created_at < until)
    if not include_duplicates:
        q = q.where(or_(c.outcome.is_(None), c.outcome != "duplicate"))
    q = q.order_by(c.created_at, c.id).execution_options(yield_per=CHUNK_ROWS)
    with platform.db.read_session() as s:
        yield from s.execute(q)


def darwin_core_row(r) -> list[Any]:
    species = default_species().by_code
    code = r.species_confirmed or r.species
    sp = species.get(code)
    scientific = sp.scientific_name if sp else "Animalia"
    local = datetime.fromisoformat(kst(r.first_reported_at))  # type: ignore[arg-type]
    municipality = default_agencies().by_code.get(r.municipality or "")
    locality = r.road_name or "off the mapped road network"
    if r.segment_no is not None:
        locality += f", {r.segment_no * 0.5:g}–{(r.segment_no + 1) * 0.5:g} km from the road's start"
    if r.carriageway:
        locality += f", {r.carriageway} carriageway"
    remarks = f"Roadkill reported by {r.report_count} driver(s); status {r.status}"
    if r.outcome:
        remarks += f", outcome {r.outcome}"
    return [
        OCCURRENCE_PREFIX + r.id, "HumanObservation", local.isoformat(timespec="seconds"), local.year, local.month,
        local.day, round(r.lat, 6), round(r.lon, 6), "WGS84",
        "" if r.accuracy_m is None else round(r.accuracy_m, 1), scientific,
        f"{sp.name_en} | {sp.name_ko}" if sp else code, _RANKS.get(scientific, "species"), "Animalia", 1,
        "present", "dead", "verified by road crew on site" if r.species_confirmed else "unverified (driver's report)",
        "Republic of Korea", "KR", "Chungcheongnam-do",
        municipality.name_en if municipality else (r.municipality or ""), locality, "Chungcheongnam-do",
        darwin_core.TITLE, remarks, darwin_core.LICENSE, darwin_core.RIGHTS_HOLDER,
    ]


def darwin_core_csv(platform: RoadkillPlatform, *, since: datetime | None = None, until: datetime | None = None) -> Iterator[bytes]:
    """One occurrence per incident (duplicates left out: the same carcass is one occurrence)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(DWC_TERMS)
    n = 0
    for r in _rows(platform, since=since, until=until, include_duplicates=False):
        writer.writerow(darwin_core_row(r))
        n += 1
        if n % CHUNK_ROWS == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def darwin_core_archive(platform: RoadkillPlatform, *, since: datetime | None = None,
                        until: datetime | None = None) -> Iterator[bytes]:
    """The same occurrences as a Darwin Core Archive (zip: occurrence.txt, meta.xml, eml.xml), built in a
    spooled temporary file (memory-bounded) and streamed; eml.xml's coverage is what the rows cover."""
    coverage = darwin_core.Coverage()
    with tempfile.SpooledTemporaryFile(max_size=8_000_000) as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as z:
            with z.open("occurrence.txt", "w", force_zip64=True) as out:
                out.write(("\t".join(DWC_TERMS) + "\n").encode())
                for r in _rows(platform, since=since, until=until, include_duplicates=False):
                    row = darwin_core_row(r)
                    coverage.add(row[6], row[7], datetime.fromisoformat(row[2]).date())
                    out.write(("\t".join(darwin_core.clean(v) for v in row) + "\n").encode())
            z.writestr("meta.xml", darwin_core.meta_xml())
            z.writestr("eml.xml", darwin_core.eml_xml(
                coverage, published=platform.clock().date(), package_id=f"urn:chungnam:roadkill:dwca:{platform.clock():%Y%m%d%H%M%S}",
                province_bbox=platform.parts.network.areas.province.bbox))
        spool.seek(0)
        while chunk := spool.read(1 << 16):
            yield chunk


def feature(r) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": r.id,
        "geometry": {"type": "Point", "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
        "properties": {
            "id": r.id, "status": r.status, "open311_status": incident_states.open311_status(r.status),
            "species": r.species, "species_confirmed": r.species_confirmed, "road_name": r.road_name,
            "road_class": r.road_class, "carriageway": r.carriageway, "segment_no": r.segment_no,
            "municipality": r.municipality, "agency": r.agency, "outcome": r.outcome, "report_count": r.report_count,
            "accuracy_m": r.accuracy_m, "first_reported_at": kst(r.first_reported_at), "cleared_at": kst(r.cleared_at),
        },
    }


def incidents_geojson(platform: RoadkillPlatform, *, since: datetime | None = None, until: datetime | None = None) -> Iterator[bytes]:
    """A FeatureCollection of every incident (duplicates included, with their outcome), streamed."""
    yield b'{"type":"FeatureCollection","name":"chungnam-roadkill-incidents","features":['
    parts: list[str] = []
    first = True
    for r in _rows(platform, since=since, until=until, include_duplicates=True):
        parts.append(("" if first else ",") + json.dumps(feature(r), ensure_ascii=False, separators=(",", ":")))
        first = False
        if len(parts) >= CHUNK_ROWS:
            yield "".join(parts).encode()
            parts = []
    yield ("".join(parts) + "]}").encode()
