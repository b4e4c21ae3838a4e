"""Roadkill: drivers' voice reports over Chungnam — hotspots, one carcass reported by several drivers, a transfer."""
from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from services.roadkill.domain import geo, network, routing
from services.roadkill.domain.reference import DATA_DIR, read_json
from tools.demo.common import DemoError, Part

# What drivers say (species code, Korean, English); dedup ignores species, so one carcass may be named twice.
SAYINGS = {
    "water_deer": ("고라니가 차에 치여 2차로에 누워 있어요", "there's a dead water deer in the second lane"),
    "raccoon_dog": ("너구리 로드킬이요, 갓길 쪽이에요", "a raccoon dog was hit, it's on the shoulder"),
    "cat": ("길고양이가 1차로에 죽어 있어요", "a stray cat was run over in the first lane"),
    "wild_boar": ("멧돼지가 치여서 도로를 막고 있어요", "a wild boar is lying across the road"),
    "leopard_cat": ("삵 같은데 차에 치였어요", "I think a leopard cat got hit"),
    "pheasant": ("꿩이 죽어 있어요", "dead pheasant on the road"),
    "badger": ("오소리가 죽어 있어요 갓길이요", "an asian badger on the shoulder"),
    "unknown": ("동물 사체가 있어요", "some dead animal on the road"),
}
COMMON = ["water_deer"] * 5 + ["raccoon_dog"] * 3 + ["cat"] * 3 + ["wild_boar", "leopard_cat", "pheasant",
                                                                    "badger", "unknown"]
HOTSPOT_ROADS = ("exp-30-dangjin-yeongdeok", "nat-21", "exp-15-seohaean", "nat-32")
SEGMENT_M = 500.0  # the Malo segment length the analytics use by default


class Roads:
    """The service's own road network (the same GeoJSON it routes with): points ON mapped roads."""

    def __init__(self) -> None:
        self.net = network.default_network()
        self.divided = [r for r in self.net.roads.values() if r.divided]

    def point(self, road, measure: float, backward: bool, rng) -> tuple[float, float, float] | None:
        """(lat, lon, heading) a few metres off the road at `measure`, routed to that very road, else None."""
        measure = min(max(measure, 30.0), road.length_m - 30.0)
        lon, lat = geo.point_at_measure(road.coords, road.cum_m, measure)
        lon2, lat2 = geo.point_at_measure(road.coords, road.cum_m, measure + 25.0)
        heading = geo.initial_bearing_deg(lat, lon, lat2, lon2)
        heading = (heading + (180.0 if backward else 0.0) + rng.uniform(-8, 8)) % 360.0
        lat, lon = lat + rng.uniform(-4e-5, 4e-5), lon + rng.uniform(-4e-5, 4e-5)
        try:
            d = routing.decide_jurisdiction(self.net, lat=lat, lon=lon, heading_deg=heading)
        except routing.OutsideRegionError:
            return None
        return (round(lat, 6), round(lon, 6), round(heading, 1)) if d.road_id == road.id else None

    def anywhere(self, rng, *, backward: bool | None = None, tries: int = 50):
        for _ in range(tries):
            road = rng.choice(list(self.net.roads.values()))
            got = self.point(road, rng.uniform(0, road.length_m), rng.random() < 0.5 if backward is None
                             else backward, rng)
            if got:
                return road, got
        raise DemoError("could not place a report on the road network")

    def off_network(self, rng, tries: int = 200):
        """A point in a city or county, away from every mapped road (routed to that city/county)."""
        x0, y0, x1, y1 = self.net.areas.province.bbox
        for _ in range(tries):
            lat, lon = rng.uniform(y0, y1), rng.uniform(x0, x1)
            if self.net.areas.municipality_at(lat=lat, lon=lon) and not self.net.nearest_roads(
                    lat=lat, lon=lon, radius_m=400.0):
                return round(lat, 6), round(lon, 6)
        return None


def plan(n: int) -> dict[str, int]:
    clusters = max(2, n // 15)
    hotspots = 2 if n < 30 else 3
    per_hotspot = min(16, max(3, n // 10))
    scattered = max(2, n - clusters * 4 - hotspots * per_hotspot - 1)
    return {"clusters": clusters, "hotspots": hotspots, "per_hotspot": per_hotspot, "scattered": scattered}


def steps(n: int) -> int:
    p = plan(n)
    return p["clusters"] * 5 + p["hotspots"] * p["per_hotspot"] + p["scattered"] + 1 + 1


def run(part: Part, n: int) -> None:
    api, rng, roads = part.api, part.rng, Roads()
    p = plan(n)
    now = datetime.now(UTC)
    created = part.created.setdefault("incidents", [])

    def report(lat, lon, heading, species, reported_at, *, english=None, road_name=None) -> dict[str, Any]:
        ko, en = SAYINGS[species]
        body = {"reporter": f"tmap-sub-{rng.getrandbits(40):010x}", "consent": True,
                "transcript": en if (english if english is not None else rng.random() < 0.3) else ko,
                "lat": lat, "lon": lon, "accuracy_m": round(rng.uniform(4, 15), 1), "heading_deg": heading,
                "speed_kmh": round(rng.uniform(50, 105)) if heading is not None else None, "road_name": road_name,
                "reported_at": reported_at.isoformat()}
        out = api.post("/v1/voice-reports", party="tmap", json=body)
        created.append(out["incident_id"])
        return out

    # 1. Several drivers pass the same carcass within minutes: one incident with a report count.
    part.describe("roadkill: drivers report the same carcass")
    for c in range(p["clusters"]):
        road = rng.choice(roads.divided)
        base_m, backward = rng.uniform(0, road.length_m), rng.random() < 0.5
        species = rng.choice(COMMON[:11])
        when = now - timedelta(minutes=rng.uniform(5, 40))
        drivers = 3 + c % 3
        first = merged = None
        for i in range(drivers):
            got = roads.point(road, base_m + rng.uniform(-40, 40), backward, rng)
            if got is None:
                break
            # Drivers name the same animal differently; the incident keeps the first driver's species.
            said = species if i != drivers - 1 else "unknown"
            merged = report(*got, said, when + timedelta(seconds=40 * i), english=i % 2 == 1)
            first = first or merged
            part.advance(1)
        if merged:
            part.say(f"roadkill: {merged['report_count']} drivers reported one {first['species']['name_en'].lower()}"
                     f" on {merged['decision']['road_name']} → incident {merged['incident_id']}")
        part.step(5 - drivers)

    # 2. A report on a section the approximate map gives to the wrong agency: it will be transferred.
    zone = read_json(DATA_DIR / "autopilot.json")["ground_truth"][0]
    road = roads.net.road(zone["road_id"])
    got = None
    for _ in range(40):
        got = roads.point(road, rng.uniform(zone["from_m"] + 200, zone["to_m"] - 200), rng.random() < 0.5, rng)
        if got and routing.decide_jurisdiction(roads.net, lat=got[0], lon=got[1]).agency != zone["agency"]:
            break
        got = None
    if got is None:
        raise DemoError(f"could not place a report in the transfer zone of {zone['road_id']}")
    wrong = report(*got, "raccoon_dog", now - timedelta(minutes=3))
    part.created["transfer"] = {"incident": wrong["incident_id"], "to": zone["agency"], "reason": zone["reason"],
                                "sent": time.monotonic()}
    part.say(f"roadkill: a raccoon dog on {road.name} routed to {wrong['decision']['agency']} — "
             f"really {zone['agency']}'s section; watch the transfer on incident {wrong['incident_id']}")
    part.step()

    # 3. True hotspots: many distinct carcasses along one 500 m section over the last three days.
    part.describe("roadkill: hotspots")
    hot = [roads.net.roads[r] for r in HOTSPOT_ROADS if r in roads.net.roads][: p["hotspots"]]
    for road in hot:
        start = None
        for frac in (0.45, 0.3, 0.6, 0.2, 0.7):
            s0 = math.floor(road.length_m * frac / SEGMENT_M) * SEGMENT_M
            if roads.point(road, s0 + 250, False, rng):
                start = s0
                break
        if start is None:
            continue
        sent = 0
        for j in range(p["per_hotspot"]):
            backward, slot = j % 2 == 1, j // 2  # each carriageway: one carcass every 7 h, so none merge
            got = roads.point(road, start + rng.uniform(40, SEGMENT_M - 40), backward, rng)
            if got:
                report(*got, rng.choice(COMMON[:8]), now - timedelta(hours=1 + 7 * slot, minutes=rng.uniform(0, 50)))
                sent += 1
            part.step()
        part.say(f"roadkill: hotspot — {sent} carcasses on {road.name} near km {start / 1000:.1f}")

    # 4. Everyday reports spread over the province, a few away from any mapped road.
    part.describe("roadkill: reports across Chungnam")
    for k in range(p["scattered"]):
        when = now - timedelta(hours=rng.uniform(0.2, 70))
        spot = roads.off_network(rng) if k % 6 == 5 else None
        if spot:
            report(*spot, None, rng.choice(COMMON), when)
        else:
            _road, got = roads.anywhere(rng)
            report(*got, rng.choice(COMMON), when)
        part.step()

    part.describe("roadkill: waiting for the transfer")
    transfer(part)
    part.advance(1)


def transfer(part: Part, patience_s: float = 10.0, timeout_s: float = 90.0) -> None:
    """Waits for the autopilot to play ACRC → MOLIT → the wrong agency's transfer; if a step does not come
    within `patience_s` (autopilot off or slow), plays that party itself through the agency API."""
    api, t = part.api, part.created["transfer"]
    inc, last, changed = t["incident"], None, time.monotonic()
    deadline = changed + timeout_s
    while time.monotonic() < deadline and not part.stop.is_set():
        d = api.get(f"/v1/incidents/{inc}", party="chungnam")
        if any(h["type"] == "transferred" for h in d["history"]):
            who = next(h["actor"] for h in d["history"] if h["type"] == "transferred")
            part.say(f"roadkill: {who} transferred incident {inc} to {d['agency']}")
            return
        if d["status"] == "closed":
            raise DemoError(f"incident {inc} was closed by {d['agency']} without a transfer")
        if d["status"] != last:
            last, changed = d["status"], time.monotonic()
        if time.monotonic() - changed < patience_s:
            time.sleep(0.3)
            continue
        path = f"/v1/agency/incidents/{inc}/events"
        if d["status"] == "received":
            party, body = "acrc", {"type": "complaint_registered", "complaint_no": f"1AA-{inc[-10:]}"}
        elif d["status"] == "filed":
            party, body = "molit", {"type": "assigned"}
        else:
            party, body = d["agency"], {"type": "transferred", "to_agency": t["to"], "reason": t["reason"]}
        api.request("POST", path, party=party, json=body, ok=(200, 409))  # 409: the autopilot was first
        changed = time.monotonic() - patience_s  # act on the next step right away
    raise DemoError(f"incident {inc} was not transferred within {timeout_s:.0f} s")


def summary(api, started: datetime, ids: list[str]) -> dict[str, Any]:
    """Figures read back from the service: this run's incidents (created since it started)."""
    mine = set(ids)
    rows = [r for r in api.pages("/v1/incidents", party="chungnam", params={"since": started.isoformat()})
            if r["id"] in mine]
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    out = {"reports sent": len(ids), "incidents": len(rows),
           "reports in them": sum(r["report_count"] for r in rows),
           "merged (incidents with >1 report)": sum(r["report_count"] > 1 for r in rows),
           "transferred to another agency": sum(r["agency"] != r["routed_agency"] for r in rows),
           **{f"status {k}": v for k, v in sorted(by_status.items())}}
    resp = api.request("GET", "/v1/analytics/hotspots", party="me", ok=(200, 404),
                       params={"method": "malo", "segment_m": int(SEGMENT_M)})
    if resp.status_code == 200:  # the analytics module is optional in the service
        top = [f["properties"] for f in resp.json().get("features", []) if f["properties"].get("hotspot")][:3]
        out["top Malo hotspots (all data)"] = "; ".join(
            f"{h['road_name']} km {h['start_m'] / 1000:.1f}: {h['count']}" for h in top) or "none"
    return out
