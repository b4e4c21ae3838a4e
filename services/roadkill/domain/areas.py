"""Which area contains a point: the province, its cities and counties, their eup/myeon/dong, and the
metropolitan cities inside its outline (Daejeon, Sejong), indexed for fast point lookups.

The shipped areas are Statistics Korea's 2018 census boundaries (data/README.md). Each area keeps its
rings for drawing and a prepared shapely geometry for lookups. Each layer answers through a grid of
small cells filled on first use (`_Layer`): a cell inside one area answers at once, a cell on a border
tests its few candidates' prepared geometries, which take microseconds whatever their number of
vertices. A point on a shared border belongs to both neighbours; the first in file order is returned,
so the answer is stable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import shapely

from services.roadkill.domain import geo
from services.roadkill.domain.reference import ReferenceDataError

MUNICIPAL_KINDS = frozenset({"city", "county"})
# Sub-municipal areas: a dong (동) is an urban district of a city; eup (읍) and myeon (면) are not urban.
DISTRICT_KINDS = frozenset({"dong", "eup", "myeon"})
URBAN_KIND = "dong"
# Metropolitan cities inside the province's outline (Daejeon, Sejong): not the province's territory.
ENCLAVE_KIND = "enclave"
AREA_KINDS = frozenset({"province", ENCLAVE_KIND}) | MUNICIPAL_KINDS | DISTRICT_KINDS
CELL_DEG = 0.01  # lookup grid: about 0.9 km × 1.1 km in Korea, small beside a myeon

Polygons = tuple[tuple[tuple[geo.LonLat, ...], ...], ...]  # MultiPolygon coordinates


class NetworkDataError(ReferenceDataError):
    """The roads or areas GeoJSON is malformed; the message names the file, feature and field."""


@dataclass(frozen=True, slots=True, eq=False)
class Area:
    code: str
    name: str
    name_ko: str
    kind: str  # one of AREA_KINDS
    municipality: str | None  # for an eup/myeon/dong: the code of its city or county
    seat: geo.LonLat | None  # city/county hall: the map's label, and a fallback on a boundary sliver
    polygons: Polygons
    bbox: tuple[float, float, float, float]
    approximate: bool
    source: str
    geometry: shapely.Geometry = field(repr=False)  # prepared for point lookups

    @classmethod
    def of(cls, *, polygons: Polygons, **props: object) -> Area:
        geometry = shapely.multipolygons([shapely.polygons(shapely.linearrings(p[0]),
                                                           holes=[shapely.linearrings(h) for h in p[1:]] or None)
                                          for p in polygons])
        if not shapely.is_valid(geometry):
            raise NetworkDataError(f"area {props.get('code')!r}: {shapely.is_valid_reason(geometry)}")
        shapely.prepare(geometry)
        return cls(polygons=polygons, geometry=geometry, bbox=tuple(shapely.bounds(geometry)), **props)  # type: ignore[arg-type]

    def contains(self, *, lat: float, lon: float) -> bool:
        """Inside the area or on its border."""
        return bool(shapely.intersects_xy(self.geometry, lon, lat))


class _Layer:
    """Areas of one layer (they do not overlap), answered through a grid of CELL_DEG cells.

    Each cell is filled on its first query: the areas whose bounding box meets it (STRtree), narrowed
    to the one area that covers the whole cell when there is one. Most points then need one dict
    lookup; only cells on a border test the prepared geometries of their few candidates.
    """

    def __init__(self, areas: Sequence[Area]) -> None:
        self.areas = tuple(areas)
        self._tree = shapely.STRtree([a.geometry for a in self.areas])
        # Only cells inside the layer's bounds are kept, so the public jurisdiction endpoint cannot grow
        # the grid past (bounds / CELL_DEG²) cells whatever positions it is asked about.
        self.bounds = tuple(shapely.total_bounds([a.geometry for a in self.areas])) if self.areas else None
        self._cells: dict[tuple[int, int], Area | tuple[Area, ...]] = {}

    @property
    def cells(self) -> int:
        """How many grid cells have been filled."""
        return len(self._cells)

    def _cell(self, key: tuple[int, int]) -> Area | tuple[Area, ...]:
        x, y = key
        box = shapely.box(x * CELL_DEG, y * CELL_DEG, (x + 1) * CELL_DEG, (y + 1) * CELL_DEG)
        candidates = tuple(self.areas[i] for i in sorted(self._tree.query(box, predicate="intersects")))
        whole = [a for a in candidates if a.geometry.covers(box)]
        return whole[0] if len(whole) == 1 and len(candidates) == 1 else candidates

    def at(self, *, lat: float, lon: float) -> Area | None:
        if self.bounds is None or not (self.bounds[0] <= lon <= self.bounds[2] and self.bounds[1] <= lat <= self.bounds[3]):
            return None
        key = (math.floor(lon / CELL_DEG), math.floor(lat / CELL_DEG))
        cell = self._cells.get(key)
        if cell is None:
            # Filled once per cell; two threads filling the same cell store equal answers.
            cell = self._cells[key] = self._cell(key)
        if isinstance(cell, Area):
            return cell
        return next((a for a in cell if a.contains(lat=lat, lon=lon)), None)


class AreaIndex:
    """Whether a point is in the province, and which city or county, eup/myeon/dong or enclave holds it."""

    def __init__(self, areas: Sequence[Area], *, attribution: str = "") -> None:
        provinces = [a for a in areas if a.kind == "province"]
        if len(provinces) != 1:
            raise NetworkDataError(
                f"areas: expected exactly one feature of kind 'province', found {len(provinces)}"
            )
        self.province: Area = provinces[0]
        self.attribution = attribution
        self.municipalities: tuple[Area, ...] = tuple(a for a in areas if a.kind in MUNICIPAL_KINDS)
        self.districts: tuple[Area, ...] = tuple(a for a in areas if a.kind in DISTRICT_KINDS)
        self.urban: tuple[Area, ...] = tuple(a for a in self.districts if a.kind == URBAN_KIND)
        self.enclaves: tuple[Area, ...] = tuple(a for a in areas if a.kind == ENCLAVE_KIND)
        self.by_code: dict[str, Area] = {a.code: a for a in areas}
        self._municipal = _Layer(self.municipalities)
        self._districts = _Layer(self.districts)
        self._enclaves = _Layer(self.enclaves)
        self._province = _Layer([self.province])
        self.layers = (self._province, self._municipal, self._districts, self._enclaves)

    def in_province(self, *, lat: float, lon: float) -> bool:
        return self._province.at(lat=lat, lon=lon) is not None and self.enclave_at(lat=lat, lon=lon) is None

    def municipality_at(self, *, lat: float, lon: float) -> Area | None:
        """The city or county whose area holds the point (the areas tile the province)."""
        return self._municipal.at(lat=lat, lon=lon)

    def district_at(self, *, lat: float, lon: float) -> Area | None:
        """The eup, myeon or dong holding the point, if the areas have them."""
        return self._districts.at(lat=lat, lon=lon)

    def urban_area_at(self, *, lat: float, lon: float) -> Area | None:
        """The urban dong holding the point, if any; its city manages national and provincial roads there."""
        district = self.district_at(lat=lat, lon=lon)
        return district if district is not None and district.kind == URBAN_KIND else None

    def enclave_at(self, *, lat: float, lon: float) -> Area | None:
        """Daejeon or Sejong, when the point is in one: inside the outline, but not the province's."""
        return self._enclaves.at(lat=lat, lon=lon)

    def nearest_seat(self, *, lat: float, lon: float) -> Area:
        """The municipality whose hall is nearest: a fallback for points on a boundary sliver."""
        return min(
            (a for a in self.municipalities if a.seat is not None),
            key=lambda a: geo.haversine_m(lat, lon, a.seat[1], a.seat[0]),  # type: ignore[index]
        )
