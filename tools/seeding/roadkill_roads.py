"""The road network flattened for `cpa seed roadkill`: fast sampling along all roads, and the agency
routing gives each 500 m segment (decided once per segment, not per incident)."""
from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

from services.roadkill.domain import geo, hotspots, routing
from services.roadkill.domain.network import RoadNetwork
from services.roadkill.domain.reference import default_agencies

SEGMENT_M = hotspots.DEFAULT_SEGMENT_M


@dataclass(frozen=True, slots=True)
class _Segment:
    road_index: int
    index: int
    agency: str
    municipality: str | None


class Roads:
    """The network flattened for fast sampling: cumulative road starts, per-road vertex data, segment agencies."""

    def __init__(self, network: RoadNetwork):
        self.roads = [network.roads[k] for k in sorted(network.roads)]
        self.starts: list[float] = []
        total = 0.0
        for r in self.roads:
            self.starts.append(total)
            total += r.length_m
        self.total_m = total
        self.bearings = [[geo.initial_bearing_deg(a[1], a[0], b[1], b[0]) for a, b in zip(r.coords, r.coords[1:],
                                                                                         strict=False)]
                         for r in self.roads]
        self.segments: dict[tuple[int, int], _Segment] = {}
        agencies = default_agencies()
        for ri, road in enumerate(self.roads):
            for si in range(hotspots.segments_on_road(road.length_m, SEGMENT_M)):
                mid = min(road.length_m, si * SEGMENT_M + SEGMENT_M / 2)
                lon, lat = geo.point_at_measure(road.coords, road.cum_m, mid)
                self.segments[(ri, si)] = _segment_agency(network, road, ri, si, lat=lat, lon=lon,
                                                          known=agencies.by_code)
        self.decisions = {}  # (road_index, segment, carriageway) -> decision JSON text (shared by its rows)

    def locate(self, pos: float) -> tuple[int, float]:
        ri = max(0, bisect.bisect_right(self.starts, pos) - 1)
        return ri, min(max(0.0, pos - self.starts[ri]), self.roads[ri].length_m)

    def point(self, ri: int, measure: float) -> tuple[float, float, float]:
        """(lat, lon, bearing of the road there) at a measure along road `ri`."""
        road = self.roads[ri]
        cum = road.cum_m
        i = min(max(0, bisect.bisect_right(cum, measure) - 1), len(cum) - 2)
        lon, lat = geo.point_at_measure(road.coords[i:i + 2], (0.0, cum[i + 1] - cum[i]), measure - cum[i])
        return lat, lon, self.bearings[ri][i]

    def decision(self, ri: int, si: int, carriageway: str | None, bearing: float) -> str:
        key = (ri, si, carriageway)
        text = self.decisions.get(key)
        if text is None:
            road, seg = self.roads[ri], self.segments[(ri, si)]
            agency = default_agencies().by_code[seg.agency]
            text = json.dumps({
                "road_id": road.id, "road_name": road.name, "road_name_ko": road.name_ko,
                "road_class": road.road_class, "agency": agency.code, "agency_name": agency.name_en,
                "agency_name_ko": agency.name_ko, "carriageway": carriageway, "divided": road.divided,
                "road_bearing_deg": round(bearing, 1), "municipality": seg.municipality,
                "explanation": f"Synthetic history (cpa seed): {road.name}, segment {si}; responsible agency "
                               f"{agency.name_en}.",
                "synthetic": True}, ensure_ascii=False)
            self.decisions[key] = text
        return text


def _segment_agency(network: RoadNetwork, road, ri: int, si: int, *, lat: float, lon: float, known) -> _Segment:
    """The agency routing assigns at the segment's midpoint (the road named, so crossings do not confuse it)."""
    try:
        d = routing.decide_jurisdiction(network, lat=lat, lon=lon, road_name=road.name, max_snap_m=150.0)
        if d.road_id == road.id:
            return _Segment(ri, si, d.agency, d.municipality)
        municipality = d.municipality
    except routing.OutsideRegionError:
        municipality = network.areas.nearest_seat(lat=lat, lon=lon).code
    by_class = {"expressway": "kec", "national": "daejeon-rolm", "provincial": "chungnam-road"}
    agency = by_class.get(road.road_class, municipality)
    return _Segment(ri, si, agency if agency in known else "chungnam-road", municipality)
