"""The synthetic-history seeder: rows on the mapped roads, sane mix and states, hotspots, the CLI entry."""
from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.roadkill.domain import hotspots
from services.roadkill.domain.network import default_network
from services.roadkill.domain.reference import default_agencies
from services.roadkill.models import incident
from tools.seeding import roadkill as seeding

SERVICE_NAME = "roadkill"


def test_seed_history_is_sane(client, platform):
    end = datetime(2026, 6, 30, 12, tzinfo=UTC)
    s = seeding.seed_history(platform.db.engine, 3000, hotspots_n=2, rng=random.Random(11), years=2, end=end)
    assert s.incidents == 3000 and len(s.hotspot_segments) == 2 and s.hotspot_extra > 0
    assert s.background == 3000 - 2 * s.hotspot_extra
    assert sum(s.by_outcome.values()) == 3000 and "seeded 3,000 incidents" in s.describe()
    net = default_network()
    with platform.db.read_session() as db:
        rows = db.execute(select(incident)).all()
        per_segment = Counter(db.execute(select(incident.c.road_id, incident.c.segment_no)).all())
        assert db.scalar(select(func.count()).select_from(incident)) == 3000
    assert len({r.id for r in rows}) == 3000
    by_created = sorted(rows, key=lambda r: (r.created_at, r.id))
    assert [r.id for r in by_created] == sorted(r.id for r in rows)  # ids are time-ordered
    agencies = default_agencies().by_code
    for r in rows[::25]:
        road = net.road(r.road_id)
        hit = net.nearest_roads(lat=r.lat, lon=r.lon, radius_m=5)
        assert r.road_id in {h.road.id for h in hit}, "every incident lies on its mapped road"
        assert r.segment_no == hotspots.segment_of(r.measure_m, length_m=road.length_m)
        assert r.road_class == road.road_class and r.agency in agencies
        assert end - timedelta(days=731) <= r.first_reported_at <= end
        if r.status == "closed":
            assert r.outcome in {"removed", "not_found", "duplicate"} and r.cleared_at > r.first_reported_at
        else:
            assert r.outcome is None and r.cleared_at is None and end - r.first_reported_at < timedelta(hours=48)
    species = Counter(r.species_confirmed or r.species for r in rows if r.outcome != "duplicate")
    assert [k for k, _ in species.most_common(2)] == ["cat", "water_deer"]
    assert species == Counter(s.by_species)
    months = Counter((r.first_reported_at + timedelta(hours=9)).month for r in rows)
    assert months[6] > months[1]  # the seasons show
    for key in s.hotspot_segments:
        assert per_segment[key] >= s.hotspot_extra
    background_max = max(n for k, n in per_segment.items() if k not in s.hotspot_segments)
    assert background_max < min(per_segment[k] for k in s.hotspot_segments) / 2


def test_cli_main_migrates_seeds_and_reports(db_overrides, capsys):
    argv = ["--incidents", "400", "--hotspots", "1", "--seed", "3", "--database-url", db_overrides["database_url"]]
    if db_overrides.get("db_schema"):
        argv += ["--db-schema", db_overrides["db_schema"]]
    assert seeding.main(argv) == 0
    out = capsys.readouterr().out
    assert "migrations at head" in out and "seeded 400 incidents" in out and "400 incidents stored in total" in out
    assert seeding.main(argv) == 0  # appends to the history
    assert "800 incidents stored in total" in capsys.readouterr().out
