"""The trainer's web pages of the roadkill service (issue 6), on the shared UI kit.

Pages (all public, server-rendered; a page acts as a party only by sending that party's key):
  /ui/                 the case, its parties and the six considerations (kit)
  /ui/incidents        incident board with filters, live
  /ui/map              SVG map of Chungnam: areas, roads by class, open incidents, hotspots, live
  /ui/incidents/{id}   one incident: reports, history, the handoff chain as an SVG sequence diagram, live
  /ui/console          agency console: act as ACRC, MOLIT, a road agency or ME and take the next step
  /ui/analytics        charts: incidents by species and month, time to clear by agency
  /ui/report           a voice report sent as the navigation partner (tmap)

Live updates: topic `incidents` (polled version: the newest history row and report, both primary keys)
and the kit's `trace` topic; both are polled once a second per open stream, so changes made by the
autopilot or another process reach the pages too. No publish hooks in the flows are needed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.roadkill.domain import incident_states, svgmap
from services.roadkill.flows import pages
from services.roadkill.parties.autopilot import complaint_number
from services.roadkill.parts import RoadkillPlatform
from services.roadkill.routes.deps import PlatformDep
from services.roadkill.ui import data
from shared.auth import PUBLIC, Principal
from shared.errors import field_problem
from shared.ui import DEFAULT_VERSIONS, NavItem, UIKit

HERE = Path(__file__).parent
LIVE_TOPICS = "incidents trace"
STATUS_Q = Query(default="", max_length=16)
AGENCY_Q = Query(default="", max_length=40)

kit = UIKit(
    pages=[NavItem("Incidents", "/ui/incidents", "Every incident and its state, updated live"),
           NavItem("Map", "/ui/map", "Roads by class, open incidents and hotspots in Chungnam"),
           NavItem("Agency console", "/ui/console", "Act as ACRC, MOLIT, a road agency or ME"),
           NavItem("Analytics", "/ui/analytics", "Incidents by species and month, time to clear by agency"),
           NavItem("Report", "/ui/report", "File a voice report as the navigation partner (T-map)")],
    templates_dirs=[HERE / "templates"], static_dirs=[HERE / "static"], assets=["roadkill.css", "roadkill.js"],
    versions={**DEFAULT_VERSIONS, "incidents": pages.incidents_version})
kit.templates.env.globals.update(local_time=data.iso_local, suggest_complaint_no=complaint_number,
                                 pretty_json=lambda v: json.dumps(v, ensure_ascii=False, indent=2, sort_keys=True))

pages = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False, dependencies=[PUBLIC])


def _check_filters(status: str, agency: str, platform: RoadkillPlatform) -> None:
    if status and status not in incident_states.machine().codes:
        raise field_problem("status", f"must be one of {', '.join(incident_states.machine().codes)}")
    if agency and agency not in platform.parties:
        raise field_problem("agency", "is not a party code of this service")


# ---- incident board ------------------------------------------------------------------------------

def _board_ctx(p: RoadkillPlatform, status: str, agency: str) -> dict[str, Any]:
    _check_filters(status, agency, p)
    items = data.board(p, status=status, agency=agency)
    query = "&".join(f"{k}={v}" for k, v in (("status", status), ("agency", agency)) if v)
    return {"items": items, "status": status, "agency": agency, "filters": data.filters(p),
            "board_src": "/ui/partials/board" + (f"?{query}" if query else ""), "limit": data.BOARD_MAX}


@pages.get("/incidents", response_class=HTMLResponse, name="rk_board")
def board_page(request: Request, p: PlatformDep, status: str = STATUS_Q, agency: str = AGENCY_Q) -> HTMLResponse:
    return kit.render(request, "rk_board.html", _board_ctx(p, status, agency), page_title="Incident board")


@pages.get("/partials/board", response_class=HTMLResponse, name="rk_board_partial")
def board_partial(request: Request, p: PlatformDep, status: str = STATUS_Q, agency: str = AGENCY_Q) -> HTMLResponse:
    return kit.render(request, "rk_board_rows.html", _board_ctx(p, status, agency))


# ---- map -------------------------------------------------------------------------------------------

def _map_ctx(p: RoadkillPlatform) -> dict[str, Any]:
    net = p.parts.network
    base = p.parts.map_base
    items = data.open_incidents(p)
    spots = data.hotspot_segments(p)
    markers = [{"id": c["id"], "lat": c["lat"], "lon": c["lon"], "status": c["status"],
                "label": f"{c['species_l']['en']} ({c['species_l']['ko']}) on {c['road_l']['en']} "
                         f"({c['road_l']['ko']}) — {c['state_l']['en']}, {c['agency']}; open incident {c['id']}"}
               for c in items]
    return {"svg": svgmap.render_map(net, base.projection, base.layers, markers, spots), "items": items, "hotspots": spots,
            "road_styles": svgmap.ROAD_STYLES, "marker_fill": svgmap.MARKER_FILL,
            "hotspot_stroke": svgmap.HOTSPOT_STROKE, "network_version": net.version,
            "attribution": net.areas.attribution}


kit.live_page(pages, "/map", name="rk_map", page="rk_map.html", body="rk_map_body.html",
              title="Map of Chungcheongnam-do", context=_map_ctx)


# ---- one incident ----------------------------------------------------------------------------------

def _incident_ctx(p: RoadkillPlatform, incident_id: str) -> dict[str, Any]:
    ctx = data.incident_page(p, incident_id)
    ctx["registry"] = p.parties
    ctx["src"] = f"/ui/partials/incidents/{incident_id}"
    return ctx


@pages.get("/incidents/{incident_id}", response_class=HTMLResponse, name="rk_incident")
def incident_page(request: Request, p: PlatformDep, incident_id: str) -> HTMLResponse:
    ctx = _incident_ctx(p, incident_id)
    return kit.render(request, "rk_incident.html", ctx, page_title=f"Incident {incident_id}")


@pages.get("/partials/incidents/{incident_id}", response_class=HTMLResponse, name="rk_incident_partial")
def incident_partial(request: Request, p: PlatformDep, incident_id: str) -> HTMLResponse:
    return kit.render(request, "rk_incident_body.html", _incident_ctx(p, incident_id))


# ---- agency console ---------------------------------------------------------------------------------

def _acting(p: RoadkillPlatform, request: Request) -> Principal | None:
    """The party whose key the page sent (the console partial is public; its content needs a valid key)."""
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else (request.headers.get("x-api-key") or "").strip()
    if not key:
        return None
    return p.keys.resolve(key)


QUICK_NAMES = {"acrc": "ACRC", "molit": "MLIT", "kec": "KEC", "daejeon-rolm": "Daejeon ROLM",
               "chungnam-road": "Chungnam road office", "me": "ME"}


def _console_ctx(p: RoadkillPlatform, request: Request) -> dict[str, Any]:
    who = _acting(p, request)
    ctx: dict[str, Any] = {"who": who, "items": [], "records": [], "kind": "none",
                           "agency_options": data.agency_options(p), "species_options": data.species_options(),
                           "outcome_options": data.outcome_options(), "now": p.clock()}
    if who is None:
        return ctx
    ctx["who_l"] = data.party_label(p, who.party)
    if who.party == "me":
        ctx["kind"] = "me"
        ctx["records"] = data.me_records(p)
    elif who.party in ("acrc", "molit") or "road_agency" in who.roles:
        ctx["kind"] = who.party if who.party in ("acrc", "molit") else "road_agency"
        ctx["items"] = data.console_items(p, who.party)
    else:
        ctx["kind"] = "other"
    return ctx


@pages.get("/console", response_class=HTMLResponse, name="rk_console")
def console_page(request: Request, p: PlatformDep) -> HTMLResponse:
    ctx = _console_ctx(p, request)
    ctx["quick"] = [{**data.party_label(p, c), "short": QUICK_NAMES.get(c, c)}
                    for c in ("acrc", "molit", *p.parties.with_role("road_agency")[:3], "me") if c in p.parties]
    return kit.render(request, "rk_console.html", ctx, act_as=True, page_title="Agency console")


@pages.get("/partials/console", response_class=HTMLResponse, name="rk_console_partial")
def console_partial(request: Request, p: PlatformDep, party: str = Query(default="", max_length=40)) -> HTMLResponse:
    # `party` only makes the URL differ per party; what is shown follows the key the request carries.
    return kit.render(request, "rk_console_body.html", _console_ctx(p, request))


# ---- analytics --------------------------------------------------------------------------------------

kit.live_page(pages, "/analytics", name="rk_analytics", page="rk_analytics.html", body="rk_analytics_body.html",
              title="Analytics", context=lambda p: {"a": data.analytics(p)})


# ---- voice report as the navigation partner -------------------------------------------------------------

@pages.get("/report", response_class=HTMLResponse, name="rk_report")
def report_page(request: Request, p: PlatformDep) -> HTMLResponse:
    now = p.clock().astimezone(data.ZoneInfo("Asia/Seoul")).replace(microsecond=0)
    return kit.render(request, "rk_report.html", {"now_iso": now.isoformat()}, page_title="File a voice report")


router = APIRouter()
router.include_router(kit.router)
router.include_router(pages)

__all__ = ["kit", "router"]
