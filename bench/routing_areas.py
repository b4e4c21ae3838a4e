"""Routing over the census areas, in process: `python -m bench.routing_areas [--points N] [--rounds R]`.

On the same points in the same run (synthetic reports along the mapped roads from `bench.reports`, a
few well off the network), the median per call of:
- a whole jurisdiction decision (`routing.decide_jurisdiction`: nearest road, areas, the Road Act table);
- each area question through the index of `roadkill.domain.areas` (per-layer grid over prepared shapely
  geometries), against the baseline of the pure-Python crossing-number test over the same polygons
  (`geo.point_in_multipolygon` on every area whose bounding box holds the point: what the hand-drawn
  areas were looked up with).
The first round fills the index's grid cells and is not counted. Results go to stdout only.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from bench import reports
from services.roadkill.domain import geo, routing
from services.roadkill.domain.areas import Area
from services.roadkill.domain.network import default_network


def _median_us(fn: Callable[[float, float], object], points: list[tuple[float, float]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for lat, lon in points:
            fn(lat, lon)
        times.append((time.perf_counter() - start) / len(points) * 1e6)
    return statistics.median(times)


def _scan(areas: tuple[Area, ...]) -> Callable[[float, float], Area | None]:
    def at(lat: float, lon: float) -> Area | None:
        for a in areas:
            x0, y0, x1, y1 = a.bbox
            if x0 <= lon <= x1 and y0 <= lat <= y1 and geo.point_in_multipolygon(lon, lat, a.polygons):
                return a
        return None

    return at


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_areas", description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    net = default_network()
    rng = random.Random(7)
    segs, aliases = reports._segments(), reports._aliases()
    points = [(r["lat"], r["lon"]) for r in (reports.report(rng, segs, aliases) for _ in range(args.points))]
    areas = net.areas

    def decide(lat: float, lon: float) -> None:
        try:
            routing.decide_jurisdiction(net, lat=lat, lon=lon)
        except routing.OutsideRegionError:
            pass

    rows = [
        ("decide_jurisdiction (whole decision)", decide, None),
        ("in the province", lambda lat, lon: areas.in_province(lat=lat, lon=lon), (areas.province,)),
        ("city or county", lambda lat, lon: areas.municipality_at(lat=lat, lon=lon), areas.municipalities),
        ("eup, myeon or dong", lambda lat, lon: areas.district_at(lat=lat, lon=lon), areas.districts),
    ]
    for lat, lon in points:  # warm: fills the grid cells the points fall in
        decide(lat, lon)
    print(f"{len(points)} points, median of {args.rounds} rounds, µs per call")
    for label, fn, layer in rows:
        fn_us = _median_us(fn, points, args.rounds)
        if layer is None:
            print(f"  {label:38s} {fn_us:9.1f}")
            continue
        base_us = _median_us(_scan(tuple(layer)), points, max(1, args.rounds // 2))
        print(f"  {label:38s} {fn_us:9.1f}   pure-Python scan {base_us:9.1f}   ratio {fn_us / base_us:.3f}")


if __name__ == "__main__":
    main()
