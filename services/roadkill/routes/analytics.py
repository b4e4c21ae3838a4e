"""Prevention data: analytics (summary, Malo hotspots) and exports (Darwin Core CSV and Archive, incidents GeoJSON).

Who may read (need-to-know; none of this contains personal data):
- analytics (aggregates): the Ministry of Environment (`me`, whose prevention programme they serve), the
  operator (`chungnam`), MOLIT and the road agencies — the agencies build the fences and eco-bridges on
  their roads, so they get the same hotspot map. ACRC and the navigation partner have no use for it.
- exports (one row per incident): `me` and `chungnam` only; publishing them as open data (e.g. to GBIF)
  is the Ministry's decision.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response, StreamingResponse

from services.roadkill.answers import Summary
from services.roadkill.domain.prevention import Filters
from services.roadkill.domain.reference import default_species
from services.roadkill.flows import analytics, exports
from services.roadkill.routes.deps import AnalyticsReader, ExportReader, PlatformDep
from shared.answers import binary_answer, geojson_answer, text_answer
from shared.errors import field_problem
from shared.query import IsoDateTime

router = APIRouter(prefix="/v1", tags=["analytics"])
GEOJSON = "application/geo+json"


def _filters(since: datetime | None, until: datetime | None, species: str | None) -> Filters:
    if since is not None and until is not None and until <= since:
        raise field_problem("until", "must be after since")
    if species is not None and species not in default_species().by_code:
        raise field_problem("species", f"must be one of {', '.join(default_species().by_code)}")
    return Filters(since=since, until=until, species=species)


@router.get("/analytics/summary")
def summary(platform: PlatformDep, who: AnalyticsReader,
            since: IsoDateTime | None = Query(default=None, description="first reported at or after (with offset)"),
            until: IsoDateTime | None = Query(default=None, description="first reported before (with offset)"),
            species: str | None = Query(default=None, max_length=32)) -> Summary:
    """Counts by species, month (Korean time), road class and agency, with each agency's outcomes and its
    median and 90th-percentile time to clear (minutes, incidents closed as removed). Duplicates excluded."""
    f = _filters(since, until, species)
    return analytics.summary(platform, f)


@router.get("/analytics/hotspots", response_class=Response,
            responses=geojson_answer("Road segments as GeoJSON features; the test's figures as foreign members"))
def hotspots(platform: PlatformDep, who: AnalyticsReader,
             method: Literal["malo"] = Query(default="malo", description="Malo et al. (2004) Poisson test"),
             segment_m: float = Query(default=500.0, ge=100.0, le=10_000.0, allow_inf_nan=False,
                                      description="segment length along each road"),
             confidence: float = Query(default=0.95, ge=0.5, le=0.999, allow_inf_nan=False),
             all_segments: bool = Query(default=False, description="also return every non-hotspot segment"),
             since: IsoDateTime | None = Query(default=None), until: IsoDateTime | None = Query(default=None),
             species: str | None = Query(default=None, max_length=32)) -> Any:
    """Malo hotspots along the mapped roads as a GeoJSON FeatureCollection of segments: a segment is a
    hotspot when its count exceeds the upper confidence limit of a Poisson with the mean count per segment
    (empty segments included). The test's figures are foreign members of the collection."""
    f = _filters(since, until, species)
    doc = analytics.malo(platform, segment_m=segment_m, confidence=confidence,
                         filters=f, all_segments=all_segments)
    return JSONResponse(doc, media_type=GEOJSON)


@router.get("/exports/darwin-core.csv", response_class=StreamingResponse,
            responses=text_answer("text/csv", "Darwin Core occurrences, one header line"))
def darwin_core(platform: PlatformDep, who: ExportReader,
                since: IsoDateTime | None = Query(default=None, description="created at or after"),
                until: IsoDateTime | None = Query(default=None, description="created before")) -> StreamingResponse:
    """One Darwin Core occurrence per incident (duplicates left out), streamed: occurrenceID, eventDate,
    decimalLatitude/Longitude, coordinateUncertaintyInMeters, scientificName, vernacularName, individualCount,
    basisOfRecord, identificationVerificationStatus and more."""
    f = _filters(since, until, None)
    return StreamingResponse(exports.darwin_core_csv(platform, since=f.since, until=f.until),
                             media_type="text/csv; charset=utf-8",
                             headers={"content-disposition": 'attachment; filename="roadkill-darwin-core.csv"'})


@router.get("/exports/darwin-core.zip", response_class=StreamingResponse,
            responses=binary_answer("application/zip", "Darwin Core Archive: occurrence.txt, meta.xml, eml.xml"))
def darwin_core_archive(platform: PlatformDep, who: ExportReader,
                        since: IsoDateTime | None = Query(default=None, description="created at or after"),
                        until: IsoDateTime | None = Query(default=None, description="created before")
                        ) -> StreamingResponse:
    """The Darwin Core occurrences as a Darwin Core Archive for GBIF and other biodiversity tools: the rows
    of the CSV (with `vitality=dead`, `license`, `rightsHolder`, `geodeticDatum`) in `occurrence.txt`, the
    column terms in `meta.xml`, and `eml.xml` with the title, publisher, licence (CC BY 4.0) and the
    geographic and temporal coverage of the rows."""
    f = _filters(since, until, None)
    return StreamingResponse(exports.darwin_core_archive(platform, since=f.since, until=f.until),
                             media_type="application/zip",
                             headers={"content-disposition": 'attachment; filename="roadkill-darwin-core.zip"'})


@router.get("/exports/incidents.geojson", response_class=StreamingResponse,
            responses=geojson_answer("Every incident as a Point feature"))
def incidents_geojson(platform: PlatformDep, who: ExportReader,
                      since: IsoDateTime | None = Query(default=None, description="created at or after"),
                      until: IsoDateTime | None = Query(default=None, description="created before")
                      ) -> StreamingResponse:
    """Every incident (no report content) as a GeoJSON Point feature, streamed."""
    f = _filters(since, until, None)
    return StreamingResponse(exports.incidents_geojson(platform, since=f.since, until=f.until), media_type=GEOJSON,
                             headers={"content-disposition": 'attachment; filename="roadkill-incidents.geojson"'})
