"""Jurisdiction decisions and the shipped road network / municipal areas (public: no personal data)."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.roadkill.domain.network import DEFAULT_AREAS, DEFAULT_ROADS
from services.roadkill.flows import intake
from services.roadkill.routes.deps import PlatformDep
from services.roadkill.schemas import DecisionOut
from shared.answers import geojson_answer
from shared.auth import PUBLIC

router = APIRouter(prefix="/v1", tags=["routing"])
GEOJSON = "application/geo+json"


@router.get("/jurisdiction", response_model=DecisionOut, dependencies=[PUBLIC])
def jurisdiction(p: PlatformDep, lat: float = Query(ge=-90, le=90, allow_inf_nan=False),
                 lon: float = Query(ge=-180, le=180, allow_inf_nan=False),
                 heading_deg: float | None = Query(default=None, ge=0, le=360, allow_inf_nan=False),
                 speed_kmh: float | None = Query(default=None, ge=0, le=400, allow_inf_nan=False),
                 road_name: str | None = Query(default=None, max_length=200)) -> DecisionOut:
    """Which road and which agency a report at this position goes to, with the reason (Road Act table)."""
    d = intake.decide(p, lat=lat, lon=lon, heading_deg=heading_deg,
                      speed_kmh=speed_kmh, road_name=road_name)
    return DecisionOut(**d.as_dict())


@lru_cache(maxsize=4)
def _file(path: Path) -> tuple[bytes, str]:
    body = path.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _serve(request: Request, path: Path) -> Response:
    body, etag = _file(path)
    headers = {"etag": etag, "cache-control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=GEOJSON, headers=headers)


@router.get("/roads.geojson", dependencies=[PUBLIC], response_class=Response,
            responses=geojson_answer("The road network (LineString features)"))
def roads(request: Request) -> Response:
    """The approximate road network used for routing (GeoJSON; replaceable by official data)."""
    return _serve(request, DEFAULT_ROADS)


@router.get("/areas.geojson", dependencies=[PUBLIC], response_class=Response,
            responses=geojson_answer("The municipal and urban-district areas (Polygon features)"))
def areas(request: Request) -> Response:
    """The census areas used for routing: cities, counties, eup/myeon/dong, Daejeon and Sejong (GeoJSON;
    Statistics Korea 2018, KOGL Type 1, attribution in `metadata.attribution`)."""
    return _serve(request, DEFAULT_AREAS)
