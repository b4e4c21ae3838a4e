"""Synthetic voice reports: random points along the mapped roads, so routing and dedup do real work."""
from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta, timezone

from bench.server import ROOT

KST = timezone(timedelta(hours=9))
ROADS = ROOT / "services" / "roadkill" / "data" / "roads.geojson"
SPECIES = ROOT / "services" / "roadkill" / "data" / "species.json"
_KO = ["{a} 로드킬 있어요", "{a} 죽어 있어요 {lane}", "{side}에 {a} 치였어요", "로드킬 신고 {a}", "도로에 {a} 사체"]
_EN = ["there is a dead {a} on the road", "roadkill {a} in the {lane_en}", "{a} hit by a car on the {side_en}",
       "dead animal, looks like a {a}"]
_LANES = ["1차로", "2차로", "갓길", ""]
_SIDES = ["오른쪽", "왼쪽", "중앙분리대"]


def _metres(lat: float) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(lat)), 110_540.0


def _segments() -> list[tuple[float, tuple[float, float], tuple[float, float], str]]:
    """(length_m, a, b, road name) for every straight piece of every mapped road."""
    out = []
    for f in json.loads(ROADS.read_text(encoding="utf-8"))["features"]:
        coords = f["geometry"]["coordinates"]
        name = f["properties"].get("name_ko") or f["properties"].get("name")
        for a, b in zip(coords, coords[1:], strict=False):
            mx, my = _metres(a[1])
            out.append((math.hypot((b[0] - a[0]) * mx, (b[1] - a[1]) * my), tuple(a), tuple(b), name))
    return out


def _aliases() -> tuple[list[str], list[str]]:
    data = json.loads(SPECIES.read_text(encoding="utf-8"))
    ko = [a for s in data["species"] for a in s.get("aliases_ko", [])[:3]]
    en = [a for s in data["species"] for a in s.get("aliases_en", [])[:2]]
    return ko, en


def report(rng: random.Random, segs, aliases, *, when: datetime | None = None) -> dict:
    length, a, b, name = rng.choices(segs, weights=[s[0] for s in segs])[0]
    t = rng.random()
    lon, lat = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
    mx, my = _metres(lat)
    bearing = math.degrees(math.atan2((b[0] - a[0]) * mx, (b[1] - a[1]) * my)) % 360
    if rng.random() < 0.5:
        bearing = (bearing + 180) % 360
    off = rng.uniform(-12, 12)  # metres across the road: either carriageway, some GPS error
    perp = math.radians(bearing + 90)
    lat += off * math.cos(perp) / my
    lon += off * math.sin(perp) / mx
    if rng.random() < 0.05:  # a few well away from any mapped road: routed by municipal area
        lat += rng.uniform(0.01, 0.02) * rng.choice((-1, 1))
    ko, en = aliases
    if rng.random() < 0.7:
        text = rng.choice(_KO).format(a=rng.choice(ko), lane=rng.choice(_LANES), side=rng.choice(_SIDES))
    else:
        text = rng.choice(_EN).format(a=rng.choice(en), lane_en=rng.choice(["first lane", "second lane", "shoulder"]),
                                      side_en=rng.choice(["right side", "left side"]))
    when = (when or datetime.now(KST)) - timedelta(seconds=rng.uniform(0, 120))
    body = {"reporter": f"sub-{rng.getrandbits(40):010x}", "consent": True, "transcript": text.strip(),
            "lat": round(lat, 6), "lon": round(lon, 6), "accuracy_m": round(rng.uniform(3, 25), 1),
            "heading_deg": round((bearing + rng.uniform(-15, 15)) % 360, 1), "speed_kmh": round(rng.uniform(30, 110), 1),
            "reported_at": when.isoformat(timespec="seconds")}
    if rng.random() < 0.6:
        body["road_name"] = name
    return body


def bodies(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    segs, aliases = _segments(), _aliases()
    now = datetime.now(KST)
    return [json.dumps(report(rng, segs, aliases, when=now), ensure_ascii=False, separators=(",", ":"))
            for _ in range(n)]
