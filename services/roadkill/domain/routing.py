"""Decide which road management agency is responsible for a roadkill report at a position (Road Act rules)."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, fields

from services.roadkill.domain import geo
from services.roadkill.domain.areas import URBAN_KIND, Area
from services.roadkill.domain.reference import Agencies, default_agencies
from services.roadkill.domain.road_index import RoadHit, RoadNetwork

# Rough bounding box of the Republic of Korea including Jeju and the outer islands.
KOREA_LAT = (33.0, 38.7)
KOREA_LON = (124.5, 131.0)
# A partner's road-name hint may pick a road that is at most this much farther than the nearest
# one: two roads 15 m apart at a junction are indistinguishable with phone GPS, 100 m apart are not.
HINT_TIE_MARGIN_M = 40.0
# GPS heading is noise below walking speed, so a stopped car's heading says nothing about direction.
MIN_SPEED_FOR_HEADING_KMH = 5.0
# Headings within this band of perpendicular do not tell which carriageway the driver was on.
PERPENDICULAR_BAND_DEG = 15.0

CLASS_LABEL = {
    "expressway": "expressway",
    "national": "national highway",
    "provincial": "provincial road",
    "local": "city/county road",
}
CLASS_LABEL_KO = {
    "expressway": "고속국도",
    "national": "일반국도",
    "provincial": "지방도",
    "local": "시·군도",
}


class OutsideRegionError(ValueError):
    """The position is outside Chungcheongnam-do, so no agency of this platform is responsible."""


class OutsideKoreaError(OutsideRegionError):
    """The position is not in Korea at all: most likely swapped or corrupt coordinates."""


@dataclass(frozen=True, slots=True)
class JurisdictionDecision:
    road_id: str | None
    road_name: str | None
    road_name_ko: str | None
    road_class: str | None  # expressway | national | provincial | local, None when off the mapped network
    agency: str  # agency code (agencies.json)
    agency_name: str
    agency_name_ko: str
    distance_m: float | None  # from the report to the snapped road point
    measure_m: float | None  # position along the road from its first vertex
    snapped_lat: float | None
    snapped_lon: float | None
    road_bearing_deg: float | None  # bearing of the road at the snapped point (digitised direction)
    carriageway: str | None  # "forward" | "backward" (vs digitised direction) on divided roads, else None
    divided: bool
    municipality: str  # code of the city/county containing the (snapped) point
    urban: bool  # inside an urban (dong) district of a city
    explanation: str
    explanation_ko: str

    def as_dict(self) -> dict:
        """The fields as a plain dict (all scalars, so a shallow copy: `dataclasses.asdict` deep-copies,
        ~10× slower on the intake path)."""
        return {name: getattr(self, name) for name in _DECISION_FIELDS}


_DECISION_FIELDS = tuple(f.name for f in fields(JurisdictionDecision))


def check_coordinates(*, lat: float, lon: float) -> None:
    """Raise ValueError for impossible numbers, OutsideKoreaError for positions nowhere near Korea."""
    if not (isinstance(lat, int | float) and isinstance(lon, int | float)) or not (
        math.isfinite(lat) and math.isfinite(lon)
    ):
        raise ValueError(f"lat and lon must be finite numbers, got lat={lat!r}, lon={lon!r}")
    in_korea = KOREA_LAT[0] <= lat <= KOREA_LAT[1] and KOREA_LON[0] <= lon <= KOREA_LON[1]
    swapped = KOREA_LAT[0] <= lon <= KOREA_LAT[1] and KOREA_LON[0] <= lat <= KOREA_LON[1]
    if not swapped and not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"lat must be in [-90, 90] and lon in [-180, 180], got lat={lat}, lon={lon}")
    if not in_korea:
        hint = " (lat and lon look swapped)" if swapped else ""
        raise OutsideKoreaError(
            f"position lat={lat}, lon={lon} is outside Korea (lat {KOREA_LAT[0]}–{KOREA_LAT[1]}, "
            f"lon {KOREA_LON[0]}–{KOREA_LON[1]}){hint}"
        )


def carriageway_for(
    *, divided: bool, road_bearing_deg: float, heading_deg: float | None, speed_kmh: float | None = None
) -> str | None:
    """Which carriageway a driver heading `heading_deg` is on, relative to the digitised direction.

    Only divided roads have carriageways that matter: on them a carcass on the other side is a
    different incident, reached from a different interchange. Undivided roads return None.
    """
    if not divided or heading_deg is None or not math.isfinite(heading_deg):
        return None
    if speed_kmh is not None and speed_kmh < MIN_SPEED_FOR_HEADING_KMH:
        return None
    diff = geo.bearing_difference_deg(heading_deg % 360.0, road_bearing_deg)
    if abs(diff - 90.0) <= PERPENDICULAR_BAND_DEG:
        return None
    return "forward" if diff < 90.0 else "backward"


def _norm(text: str) -> str:
    return re.sub(r"[\s\-–—_()·.,]+", "", unicodedata.normalize("NFKC", text).casefold())


def _hint_matches(hit: RoadHit, hint: str) -> bool:
    """Does the partner's road name name this road? ("경부고속도로", "route 21", "국도21호선", "21")."""
    h = _norm(hint)
    road = hit.road
    if not h:
        return False
    names = [_norm(road.name), _norm(road.name_ko)]
    if any((len(h) >= 2 and h in n) or (len(n) >= 2 and n in h) for n in names):
        return True
    digits = re.findall(r"\d+", h)
    return road.route_no is not None and road.route_no in digits


def _choose(hits: list[RoadHit], road_name: str | None) -> tuple[RoadHit | None, bool]:
    """The nearest road, unless the hint names another road nearly as close. Returns (hit, by_hint)."""
    if not hits:
        return None, False
    nearest = hits[0]
    if road_name:
        for h in hits:
            if h.distance_m > nearest.distance_m + HINT_TIE_MARGIN_M:
                break
            if _hint_matches(h, road_name):
                return h, h is not nearest
    return nearest, False


def _municipality(network: RoadNetwork, *, lat: float, lon: float) -> Area:
    area = network.areas.municipality_at(lat=lat, lon=lon)
    # Shared boundaries are exact, but a float can still land on a sliver of a replaced dataset.
    return area or network.areas.nearest_seat(lat=lat, lon=lon)


def _outside(network: RoadNetwork, *, lat: float, lon: float) -> OutsideRegionError:
    enclave = network.areas.enclave_at(lat=lat, lon=lon)
    where = (
        f" (it is in {enclave.name}, {enclave.name_ko}, a metropolitan government of its own inside the "
        "province's outline)"
        if enclave is not None
        else ""
    )
    return OutsideRegionError(
        f"position lat={lat}, lon={lon} is outside Chungcheongnam-do{where}; this platform routes reports "
        "only for its 15 cities and counties"
    )


def decide_jurisdiction(
    network: RoadNetwork,
    *,
    lat: float,
    lon: float,
    heading_deg: float | None = None,
    speed_kmh: float | None = None,
    road_name: str | None = None,
    max_snap_m: float = 150.0,
    agencies: Agencies | None = None,
) -> JurisdictionDecision:
    """Apply the Road Act table: expressway → KEC; national → Daejeon ROLM, provincial → the province's
    road office, except urban (dong) sections which go to the city; city/county roads and positions off
    the mapped network → the containing city or county.

    Raises OutsideKoreaError / OutsideRegionError when no agency of Chungnam can be responsible.
    """
    check_coordinates(lat=lat, lon=lon)
    if not (max_snap_m >= 0.0 and math.isfinite(max_snap_m)):
        raise ValueError(f"max_snap_m must be a non-negative number, got {max_snap_m!r}")
    agencies = agencies or default_agencies()
    hits = network.nearest_roads(lat=lat, lon=lon, radius_m=max_snap_m)
    chosen, by_hint = _choose(hits, road_name)
    # Decide areas at the snapped point: a report a few metres off a road near the province edge
    # (GPS error, approximate outline) belongs to the road it was made from.
    at_lat, at_lon = (chosen.hit.lat, chosen.hit.lon) if chosen else (lat, lon)
    if not network.areas.in_province(lat=at_lat, lon=at_lon):
        # A road may cut a corner of the coarse outline between two vertices; the report itself counts.
        at_lat, at_lon = lat, lon
    if not network.areas.in_province(lat=at_lat, lon=at_lon):
        raise _outside(network, lat=lat, lon=lon)
    municipality = _municipality(network, lat=at_lat, lon=at_lon)
    district = network.areas.district_at(lat=at_lat, lon=at_lon)  # its eup, myeon or dong, if the areas have them
    urban_area = district if district is not None and district.kind == URBAN_KIND else None
    urban = urban_area is not None

    if chosen is None:
        agency_code = municipality.code
        why = (
            f"No mapped road within {max_snap_m:.0f} m, so the report is treated as a city/county road "
            f"in {municipality.name}" + (f" ({district.name})" if district is not None else "")
        )
        why_ko = (f"{max_snap_m:.0f} m 이내에 지도상 도로가 없어 {municipality.name_ko}"
                  + (f" {district.name_ko}" if district is not None else "") + " 관리 도로로 봅니다")
        road = None
    else:
        road = chosen.road
        label, label_ko = CLASS_LABEL[road.road_class], CLASS_LABEL_KO[road.road_class]
        if road.road_class == "expressway":
            agency_code = "kec"
            rule = "expressways are managed by Korea Expressway Corporation (Road Act, delegated by MOLIT)"
            rule_ko = "고속국도는 한국도로공사가 관리합니다 (도로법, 국토교통부 위임)"
        elif road.road_class in ("national", "provincial") and urban_area is not None:
            agency_code = urban_area.municipality or municipality.code
            rule = (
                f"{label} sections inside the urban (dong) districts of a city are managed by that city "
                f"(Road Act), here {agencies.get(agency_code).name_en} ({urban_area.name} is one of its dong)"
            )
            rule_ko = (
                f"시의 동 지역 구간은 해당 시가 관리합니다 (도로법): {agencies.get(agency_code).name_ko} "
                f"{urban_area.name_ko}"
            )
        elif road.road_class == "national":
            agency_code = "daejeon-rolm"
            rule = (
                "national highways outside urban districts are managed by the Daejeon Regional Office of "
                "Land and Infrastructure Management (MOLIT)"
            )
            rule_ko = "동 지역 밖의 일반국도는 대전지방국토관리청이 관리합니다"
        elif road.road_class == "provincial":
            agency_code = "chungnam-road"
            rule = (
                "provincial roads outside urban districts are managed by the Chungcheongnam-do Road "
                "Management Office"
            )
            rule_ko = "동 지역 밖의 지방도는 충청남도 도로관리사업소가 관리합니다"
        else:
            agency_code = municipality.code
            rule = f"city/county roads are managed by the city or county, here {municipality.name}"
            rule_ko = f"시·군도는 해당 시·군이 관리합니다: {municipality.name_ko}"
        picked = " (chosen over a nearer road because the partner named it)" if by_hint else ""
        why = f"Nearest mapped road is {road.name} ({label}) {chosen.distance_m:.0f} m away{picked}; {rule}"
        why_ko = f"가장 가까운 도로는 {road.name_ko}({label_ko}), {chosen.distance_m:.0f} m 거리; {rule_ko}"

    agency = agencies.get(agency_code)
    hit = chosen.hit if chosen else None
    carriageway = (
        carriageway_for(
            divided=road.divided,
            road_bearing_deg=hit.bearing_deg,
            heading_deg=heading_deg,
            speed_kmh=speed_kmh,
        )
        if road is not None and hit is not None
        else None
    )
    if agency.name_en not in why:
        why += f". Responsible agency: {agency.name_en}"
    return JurisdictionDecision(
        road_id=road.id if road else None,
        road_name=road.name if road else None,
        road_name_ko=road.name_ko if road else None,
        road_class=road.road_class if road else None,
        agency=agency.code,
        agency_name=agency.name_en,
        agency_name_ko=agency.name_ko,
        distance_m=round(hit.distance_m, 1) if hit else None,
        measure_m=round(hit.measure_m, 1) if hit else None,
        snapped_lat=hit.lat if hit else None,
        snapped_lon=hit.lon if hit else None,
        road_bearing_deg=round(hit.bearing_deg, 1) if hit else None,
        carriageway=carriageway,
        divided=road.divided if road else False,
        municipality=municipality.code,
        urban=urban,
        explanation=why + ".",
        explanation_ko=why_ko + ".",
    )
