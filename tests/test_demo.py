"""`cpa demo` end to end: the three services on real HTTP (relay and autopilot on), the small scenario, and
each service then holds what a trainer needs to show."""
from __future__ import annotations

import contextlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from services import demo
from shared import testing

PEAKS_ROUTES = {("POST", "/v1/climbers"), ("POST", "/v1/photos"), ("POST", "/v1/photos/{photo_id}/review"),
                ("GET", "/v1/climbers/{climber_id}/progress"), ("GET", "/v1/review"), ("GET", "/v1/seasons/current")}


KST = timezone(timedelta(hours=9))
PEAKS_NOW = datetime(2026, 11, 29, 12, 0, tzinfo=KST)


def _app(name: str, tmp, schemas: list, **overrides):
    from services.registry import SERVICES

    module = SERVICES[name].load()
    db = testing.database_overrides(tmp, name)
    schemas.append(db.get("db_schema"))
    port = testing.free_port()
    settings = module.Settings(**db, var_dir=tmp / "var", public_base_url=f"http://127.0.0.1:{port}",
                               relay_enabled=True, relay_poll_interval_s=0.05, autopilot_enabled=True,
                               autopilot_poll_interval_s=0.05, log_level="WARNING", **overrides)
    return module.create_app(settings), port


def _missing_peaks_routes(url: str) -> set[tuple[str, str]]:
    paths = httpx.get(url + "/openapi.json", timeout=30).json()["paths"]
    return PEAKS_ROUTES - {(m.upper(), p) for p, ops in paths.items() for m in ops}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    schemas: list = []
    # Fast simulated parties, yet not instant: drivers reporting one carcass a few ms apart must find its
    # incident still open (AUTOPILOT_SPEED 10: the chain takes about two seconds instead of twenty).
    apps = {"roadkill": _app("roadkill", tmp_path_factory.mktemp("roadkill"), schemas, autopilot_speed=10.0),
            "peaks": _app("peaks", tmp_path_factory.mktemp("peaks"), schemas, autopilot_speed=10.0),
            "onestop": _app("onestop", tmp_path_factory.mktemp("onestop"), schemas, autopilot_speed=10.0)}
    # The peaks service's clock is pinned inside the 2026 season (it runs 1 Jan–30 Nov): with the real
    # clock the scenario would depend on the date the suite runs (no season in December, too young a
    # season for anyone to finish early in the year). The demo plans capture dates up to that day.
    apps["peaks"][0].state.platform.state["clock"] = lambda: PEAKS_NOW
    try:
        with contextlib.ExitStack() as stack:
            urls = {n: stack.enter_context(testing.live_server(app, port)).url for n, (app, port) in apps.items()}
            missing = _missing_peaks_routes(urls["peaks"])
            only = ["roadkill", "onestop"] if missing else ["roadkill", "peaks", "onestop"]
            argv = ["--size", "small", "--speed", "0", "--seed", "7", "--quiet", "--only", ",".join(only),
                    "--today", PEAKS_NOW.astimezone(KST).date().isoformat()]
            for n, url in urls.items():
                argv += [f"--{n}-url", url]
            rc = demo.main(argv)
            yield {"rc": rc, "urls": urls, "missing_peaks": missing}
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


def test_peaks_has_a_certificate_and_every_verdict(demo_run):
    if demo_run["missing_peaks"]:
        pytest.skip(f"peaks API incomplete (missing {sorted(demo_run['missing_peaks'])}); the demo ran without it")
    url = demo_run["urls"]["peaks"]
    season = httpx.get(url + "/v1/seasons/current", timeout=10)
    if season.status_code == 404:
        pytest.skip("no peaks season is open today, so no photo can be certified")
    assert season.json()["completions"] >= 1  # at least one climber finished every active peak
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
