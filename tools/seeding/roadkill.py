"""Synthetic multi-year roadkill history for benchmarks and analytics tests: `cpa seed roadkill --incidents N`.

What it writes (incidents only: no reports, no state history, no outbox rows — a history, not live traffic):

- every incident lies exactly ON a mapped road (roads weighted by length, `geo.point_at_measure`), with its
  500 m Malo segment, grid cell, carriageway and the agency routing gives that segment;
- the background is spread *jittered-stratified* along the whole network: one incident per equal stretch
  of road, at a random place inside it. Uniform in expectation like a random pick, but without chance
  clusters, so the only segments Malo's test can flag are the `hotspots` segments that get a deliberate
  excess (Poisson scatter would flag ~5 % of segments by chance, which makes a test of the detector
  meaningless);
- species mix after national roadkill records (cats and water deer dominate) with seasonal shifts (water deer in May–June
  and the November rut, amphibians and snakes in the warm months), more incidents at dawn and dusk, and
  a seasonal curve over the year;
- incidents older than two days are closed (removed / not found / duplicate) with `cleared_at` drawn
  from a log-normal time to clear per agency; recent ones are spread over the open states.

Rows are written in creation order (time-ordered ids) in batches: SQLite through the driver's
`executemany`, PostgreSQL through `COPY`. A million incidents take about a minute.
"""
from __future__ import annotations

import argparse
import bisect
import math
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from services.roadkill.domain import dedup, hotspots, incident_columns
from services.roadkill.domain.network import RoadNetwork, default_network
from services.roadkill.models import incident
from tools.seeding.common import (
    add_database_arguments,
    migrated_platform,
    progress_printer,
    refresh_statistics,
    ulid,
)
from tools.seeding.roadkill_mix import (
    CLEAR_MEDIAN_MIN,
    CLEAR_MEDIAN_MUNICIPAL,
    CLEAR_SIGMA,
    CLOSED_AFTER,
    HOUR_WEIGHT,
    KST,
    MONTH_WEIGHT,
    OPEN_STATES,
    OUTCOMES,
    SPECIES_MIX,
    SPECIES_SEASON,
)
from tools.seeding.roadkill_roads import SEGMENT_M, Roads
from tools.seeding.roadkill_rows import bind_connection, write_incidents


@dataclass
class SeedSummary:
    incidents: int
    background: int
    hotspot_segments: list[tuple[str, int]]  # (road_id, 500 m segment index) seeded with an excess
    hotspot_extra: int  # incidents added on each of them on top of the background
    # The breakdowns leave out incidents closed as duplicate, like the analytics do.
    by_species: dict[str, int]  # confirmed species where the crew confirmed one, else the reported one
    by_agency: dict[str, int]
    by_road_class: dict[str, int]
    by_month: dict[str, int]  # "YYYY-MM" in Korean time
    by_outcome: dict[str, int]
    closed: int
    start: datetime
    end: datetime
    seconds: float
    clear_minutes: dict[str, list[float]] = field(default_factory=dict, repr=False)  # removed, by agency (tests)

    def describe(self) -> str:
        spots = ", ".join(f"{r}#{i}" for r, i in self.hotspot_segments) or "none"
        rate = self.incidents / self.seconds if self.seconds else 0.0
        return (f"seeded {self.incidents:,} incidents ({self.closed:,} closed) from {self.start:%Y-%m-%d} to "
                f"{self.end:%Y-%m-%d} in {self.seconds:.1f} s ({rate:,.0f}/s); hotspot segments (+{self.hotspot_extra} "
                f"each): {spots}")


def _cum(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def seed_history(bind: Engine | Connection | Session, n: int, *, hotspots_n: int = 5,
                 rng: random.Random | None = None, years: float = 3.0, end: datetime | None = None,
                 network: RoadNetwork | None = None, batch: int = 20_000, progress=None) -> SeedSummary:
    """Insert `n` synthetic incidents ending at `end` (default: now); returns what was seeded.

    With an Engine, every batch is committed on its own; with a Connection or Session, the caller's
    transaction holds everything (and the caller commits).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    started = time.perf_counter()
    rng = rng or random.Random(1)
    roads = Roads(network or default_network())
    end = (end or datetime.now(UTC)).astimezone(UTC)
    start = end - timedelta(days=365.25 * years)
    total_segments = len(roads.segments)

    # Hotspots: full-length segments on distinct roads, each with an excess far above Malo's limit.
    full = [k for k in roads.segments if (k[1] + 1) * SEGMENT_M <= roads.roads[k[0]].length_m]
    spots: list[tuple[int, int]] = []
    by_road = {}
    for k in rng.sample(full, len(full)):
        if len(spots) >= hotspots_n:
            break
        if k[0] not in by_road or len(by_road) >= len(roads.roads):
            by_road[k[0]] = k
            spots.append(k)
    lam = n / total_segments if total_segments else 0.0
    extra = math.ceil(lam + 5 * math.sqrt(lam) + 8) if spots else 0
    while spots and len(spots) * extra > n:  # tiny histories: fewer hotspots rather than none at all
        spots.pop()
    background = n - len(spots) * extra

    # Positions along the concatenated network: one per equal stretch (jittered stratification).
    step = roads.total_m / background if background else 0.0
    positions = [(k + rng.random()) * step for k in range(background)]
    for ri, si in spots:
        seg_start = roads.starts[ri] + si * SEGMENT_M
        positions.extend(seg_start + rng.random() * SEGMENT_M for _ in range(extra))
    rng.shuffle(positions)

    # Days with seasonal weights; then each day's incidents at dawn/dusk-weighted hours, in time order.
    # Whole local (KST) days from the one holding `start`; times are clamped into [start, end).
    local_start = start + KST
    first_day = (datetime(local_start.year, local_start.month, local_start.day, tzinfo=UTC) - KST).timestamp()
    lo, hi = start.timestamp(), end.timestamp() - 1.0
    days = max(1, math.ceil((hi - first_day) / 86400))
    day_weights = [MONTH_WEIGHT[datetime.fromtimestamp(first_day + d * 86400 + 43200 + 9 * 3600, UTC).month - 1]
                   for d in range(days)]
    per_day = Counter(rng.choices(range(days), cum_weights=_cum(day_weights), k=n))
    hour_cum = _cum(HOUR_WEIGHT)
    hour_total = hour_cum[-1]
    codes = list(SPECIES_MIX)
    species_cum = [_cum([SPECIES_MIX[c] * SPECIES_SEASON.get(c, (1.0,) * 12)[m] for c in codes]) for m in range(12)]
    confirmable = [c for c in codes if c != "unknown"]
    confirm_cum = _cum([SPECIES_MIX[c] for c in confirmable])
    outcome_codes = [o for o, _ in OUTCOMES]
    outcome_cum = _cum([w for _, w in OUTCOMES])
    spot_keys = {(roads.roads[ri].id, si) for ri, si in spots}

    # Ids are unique even when the same seed runs twice on one database (the history is appended to).
    id_rng = random.Random(os.urandom(16))
    conn, own = bind_connection(bind)
    dialect = conn.dialect.name
    counts: dict[str, Counter] = {k: Counter() for k in ("species", "agency", "road_class", "month", "outcome")}
    clear_minutes: dict[str, list[float]] = {}
    closed = 0
    rows: list[tuple[Any, ...]] = []
    written = 0
    now_cut = end - CLOSED_AFTER
    cell_m = dedup.DedupParams().cell_m
    pos_iter = iter(positions)
    if dialect == "sqlite" and own:  # before the first statement: pragmas cannot change inside a transaction
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA cache_size=-262144")  # 256 MB page cache for the index inserts
        raw.execute("PRAGMA synchronous=OFF")  # a bulk load: a crash means running it again

    def flush() -> None:
        nonlocal rows, written
        if not rows:
            return
        if not conn.in_transaction():  # COPY runs on the driver connection: open the transaction here
            conn.begin()
        write_incidents(conn, dialect, rows)
        written += len(rows)
        rows = []
        if own:
            conn.commit()
        if progress:
            progress(written, n)

    try:
        for day in range(days):
            k = per_day.get(day, 0)
            if not k:
                continue
            day0 = first_day + day * 86400.0
            day_lo, day_hi = max(day0, lo), min(day0 + 86400.0, hi)
            stamps = []
            for _ in range(k):
                ts = day0 + (bisect.bisect_left(hour_cum, rng.random() * hour_total) + rng.random()) * 3600.0
                if not day_lo <= ts <= day_hi:  # the partial first and last day: uniform in what is left
                    ts = day_lo + rng.random() * (day_hi - day_lo)
                stamps.append(ts)
            stamps.sort()
            for ts in stamps:
                reported = datetime.fromtimestamp(ts, UTC)
                local = reported + KST
                ri, measure = roads.locate(next(pos_iter))
                road = roads.roads[ri]
                si = hotspots.segment_of(measure, SEGMENT_M, road.length_m)
                seg = roads.segments[(ri, si)]
                lat, lon, bearing = roads.point(ri, measure)
                carriageway = (("forward" if rng.random() < 0.5 else "backward") if road.divided else None)
                heading = bearing if carriageway != "backward" else (bearing + 180.0) % 360.0
                species = codes[bisect.bisect_left(species_cum[local.month - 1],
                                                   rng.random() * species_cum[local.month - 1][-1])]
                count = 1 if rng.random() < 0.8 else rng.randint(2, 5)
                last = reported + timedelta(minutes=rng.random() * 20) if count > 1 else reported
                created = reported + timedelta(seconds=1 + rng.random() * 4)
                status, outcome, cleared, confirmed, complaint = "received", None, None, None, None
                if reported < now_cut or rng.random() < 0.5:
                    status = "closed"
                    outcome = outcome_codes[bisect.bisect_left(outcome_cum, rng.random() * outcome_cum[-1])]
                    median = CLEAR_MEDIAN_MIN.get(seg.agency, CLEAR_MEDIAN_MUNICIPAL)
                    minutes = min(7 * 1440.0, median * math.exp(rng.gauss(0.0, CLEAR_SIGMA)))
                    cleared = reported + timedelta(minutes=minutes)
                    if cleared > end:
                        status, outcome, cleared = "dispatched", None, None
                    else:
                        if outcome == "removed":
                            confirmed = species if species != "unknown" else confirmable[
                                bisect.bisect_left(confirm_cum, rng.random() * confirm_cum[-1])]
                            clear_minutes.setdefault(seg.agency, []).append(
                                (cleared - reported).total_seconds() / 60.0)
                        closed += 1
                else:
                    status = OPEN_STATES[rng.randrange(len(OPEN_STATES))]
                if status != "received":
                    complaint = f"1AA-{local:%y%m}-{rng.randrange(10**7):07d}"
                counts["outcome"][outcome or "open"] += 1
                if outcome != "duplicate":  # as the analytics count: a duplicate is not another carcass
                    counts["species"][confirmed or species] += 1
                    counts["agency"][seg.agency] += 1
                    counts["road_class"][road.road_class] += 1
                    counts["month"][f"{local:%Y-%m}"] += 1
                updated = cleared or created
                rows.append((
                    "inc_" + ulid(int(created.timestamp() * 1000), id_rng), status, species, confirmed, road.id,
                    road.road_class, road.name, carriageway, round(measure, 1), si,
                    dedup.cell_key(lat, lon, cell_m), lat, lon, float(rng.choice((5, 8, 10, 15, 30))),
                    round(heading, 1), seg.agency, seg.agency, seg.municipality,
                    roads.decision(ri, si, carriageway, bearing), count, reported, last, complaint, outcome,
                    None, cleared, created, updated, 1, local.year * 100 + local.month,
                    incident_columns.clear_minutes(reported, cleared)))
                if len(rows) >= batch:
                    flush()
        flush()
    finally:
        if own:
            conn.close()
    return SeedSummary(
        incidents=n, background=background, hotspot_segments=sorted(spot_keys), hotspot_extra=extra,
        by_species=dict(counts["species"]), by_agency=dict(counts["agency"]),
        by_road_class=dict(counts["road_class"]), by_month=dict(counts["month"]),
        by_outcome=dict(counts["outcome"]), closed=closed, start=start, end=end,
        seconds=time.perf_counter() - started, clear_minutes=clear_minutes)


def main(argv: list[str] | None = None) -> int:
    """`cpa seed roadkill --incidents 1000000 [--hotspots N] [--seed S] [--years Y] [--database-url URL]`."""
    parser = argparse.ArgumentParser(prog="cpa seed roadkill", description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000, help="how many incidents (default 100000)")
    parser.add_argument("--hotspots", type=int, default=5, help="segments seeded with an excess (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--years", type=float, default=3.0, help="length of the history (default 3 years)")
    parser.add_argument("--batch", type=int, default=20_000, help="rows per insert batch")
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.incidents < 0 or args.hotspots < 0:
        parser.error("--incidents and --hotspots must not be negative")

    from services.roadkill.app import SPEC
    from services.roadkill.config import Settings

    with migrated_platform(SPEC, Settings, args) as platform:
        summary = seed_history(platform.db.engine, args.incidents, hotspots_n=args.hotspots,
                               rng=random.Random(args.seed), years=args.years, batch=args.batch,
                               progress=progress_printer("incidents", 10 * args.batch))
        print(summary.describe(), flush=True)
        total, seconds = refresh_statistics(platform, incident)
        print(f"statistics refreshed ({seconds:.1f} s); {total:,} incidents stored in total; "
              f"top species: " + ", ".join(f"{k} {v:,}" for k, v in Counter(summary.by_species).most_common(4)),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
