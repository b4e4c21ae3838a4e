"""`cpa demo` end to end: the three services on real HTTP (relay and autopilot on), the small scenario, and
each service then holds what a trainer needs to show.

"Today" is a December day (no certification season is open) through the peaks app's real-time source,
whatever the machine's date: the demo must find the service's training clock on its own and certify
climbers inside the latest season."""
from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from shared import testing
from tools import demo

KST = timezone(timedelta(hours=9))
DECEMBER = datetime(2026, 12, 3, 10, 0, tzinfo=KST)


def running_from(start: datetime):
    """A real-time source that reads `start` now and advances with the machine's clock."""
    t0 = datetime.now(UTC)
    return lambda: start + (datetime.now(UTC) - t0)


def _app(name: str, tmp, schemas: list, app_kwargs: dict | None = None, **overrides):
    from services.registry import SERVICES

    module = SERVICES[name].load()
    db = testing.database_overrides(tmp, name)
    schemas.append(db.get("db_schema"))
    port = testing.free_port()
    settings = module.Settings(**db, var_dir=tmp / "var", public_base_url=f"http://127.0.0.1:{port}",
                               relay_enabled=True, relay_poll_interval_s=0.05, autopilot_enabled=True,
                               autopilot_poll_interval_s=0.05, log_level="WARNING", **overrides)
    return module.create_app(settings, **(app_kwargs or {})), port


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    schemas: list = []
    # Fast simulated parties, yet not instant: drivers reporting one carcass a few ms apart must find its
    # incident still open (AUTOPILOT_SPEED 10: the chain takes about two seconds instead of twenty).
    apps = {"roadkill": _app("roadkill", tmp_path_factory.mktemp("roadkill"), schemas, autopilot_speed=10.0),
            "peaks": _app("peaks", tmp_path_factory.mktemp("peaks"), schemas, {"real_now": running_from(DECEMBER)},
                          autopilot_speed=10.0),
            "onestop": _app("onestop", tmp_path_factory.mktemp("onestop"), schemas, autopilot_speed=10.0)}
    try:
        with contextlib.ExitStack() as stack:
            urls = {n: stack.enter_context(testing.live_server(app, port)).url for n, (app, port) in apps.items()}
            argv = ["--size", "small", "--speed", "0", "--seed", "7", "--quiet"]
            for n, url in urls.items():
                argv += [f"--{n}-url", url]
            rc = demo.main(argv)
            yield {"rc": rc, "urls": urls}
    finally:
        for schema in schemas:
            testing.drop_schema(schema)


def _get(url: str, path: str, party: str, **params):
    r = httpx.get(url + path, params=params, headers={"authorization": f"Bearer demo-{party}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_demo_exits_zero(demo_run):
    assert demo_run["rc"] == 0


def test_roadkill_has_merged_and_transferred_incidents(demo_run):
    items = _get(demo_run["urls"]["roadkill"], "/v1/incidents", "chungnam", limit=200)["items"]
    assert len(items) >= 10
    assert max(i["report_count"] for i in items) > 1  # several drivers, one carcass
    transferred = [i for i in items if i["agency"] != i["routed_agency"]]
    assert transferred and transferred[0]["routed_agency"] == "daejeon-rolm" and transferred[0]["agency"] == "asan"
    roads = {i["road_class"] for i in items}
    assert {"expressway", "national"} <= roads


def test_peaks_in_december_certifies_on_the_training_clock(demo_run):
    url = demo_run["urls"]["peaks"]
    clock = httpx.get(url + "/v1/about", timeout=10).json()["clock"]
    assert clock["mode"] == "training" and clock["real_date"] == "2026-12-03", clock
    assert clock["service_date"] == "2026-11-16" and clock["season_open"] == "2026", clock
    season = httpx.get(url + "/v1/seasons/current", timeout=10)
    assert season.status_code == 200 and season.headers["service-clock"].startswith("training;")
    assert season.json()["completions"] >= 1  # at least one climber finished every active peak
    assert season.json()["medals_remaining"] < 30_000  # and got a medal
    assert _get(url, "/v1/review", "ulju")["items"] == []  # the demo decided every doubtful photo


def test_onestop_has_referrals_in_several_states_and_a_meeting(demo_run):
    url = demo_run["urls"]["onestop"]
    refs = _get(url, "/v1/referrals", "bukgu-hub", limit=200)["items"]
    statuses = Counter(r["status"] for r in refs)
    assert {"rejected", "on-hold"} <= set(statuses) and len(statuses) >= 3, statuses
    assert statuses["completed"] + statuses["accepted"] + statuses["in-progress"] >= 1, statuses
    [meeting] = _get(url, "/v1/meetings", "bukgu-hub")["items"]
    agenda = _get(url, f"/v1/meetings/{meeting['id']}", "bukgu-hub")
    assert agenda["items"], agenda
    assert "reroute" in {i["kind"] for i in agenda["items"]}


def test_unreachable_service_is_a_clear_error(capsys):
    url = f"http://127.0.0.1:{testing.free_port()}"
    assert demo.main(["--only", "roadkill", "--roadkill-url", url]) == 1
    out = capsys.readouterr().out
    assert "roadkill is not reachable" in out and "make run" in out
