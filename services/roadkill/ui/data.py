"""View models of the trainer pages: labels and cards over the read models of `flows.pages`."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.roadkill.domain import hotspots, incident_states, presenters
from services.roadkill.domain.reference import default_species
from services.roadkill.flows import pages, queries
from services.roadkill.parts import RoadkillPlatform

HOTSPOT_MIN_COUNT = 2  # with few incidents Malo's limit is 0: one carcass is not yet a hotspot to show
BOARD_MAX = 100


# ---- labels: English with the Korean name beside it -------------------------------------------

def species_label(code: str | None) -> dict[str, str]:
    sp = default_species().by_code.get(code or "")
    if sp is None:
        return {"code": code or "", "en": code or "—", "ko": ""}
    return {"code": sp.code, "en": sp.name_en, "ko": sp.name_ko, "protected": sp.protected}


def party_label(platform: RoadkillPlatform, code: str | None) -> dict[str, str]:
    if code and code in platform.parties:
        p = platform.parties.get(code)
        return {"code": code, "en": p.name, "ko": p.name_ko}
    return {"code": code or "", "en": code or "—", "ko": ""}


def road_label(platform: RoadkillPlatform, road_id: str | None, road_name: str | None, road_class: str | None) -> dict[str, str]:
    road = platform.parts.network.roads.get(road_id or "")
    if road is not None:
        return {"en": road.name, "ko": road.name_ko, "class": road.road_class}
    return {"en": road_name or "off the mapped roads", "ko": "" if road_name else "도로망 밖",
            "class": road_class or ""}


def state_label(code: str) -> dict[str, str]:
    st = next((s for s in incident_states.machine().states if s["code"] == code), None)
    return {"code": code, "en": st["label"] if st else code, "ko": st.get("label_ko", "") if st else ""}


def card(platform: RoadkillPlatform, row: Any) -> dict[str, Any]:
    """An incident as the board, map and console show it (no report content)."""
    out = presenters.incident_summary(row)
    out.update(species_l=species_label(row.species_confirmed or row.species),
               road_l=road_label(platform, row.road_id, row.road_name, row.road_class),
               agency_l=party_label(platform, row.agency), state_l=state_label(row.status),
               municipality_l=_area_label(platform, row.municipality))
    return out


def _area_label(platform: RoadkillPlatform, code: str | None) -> dict[str, str]:
    a = platform.parts.network.areas.by_code.get(code or "")
    return {"en": a.name, "ko": a.name_ko} if a else {"en": code or "—", "ko": ""}


# ---- board, map ------------------------------------------------------------------------------

def board(platform: RoadkillPlatform, *, status: str | None, agency: str | None) -> list[dict[str, Any]]:
    f = queries.IncidentFilter(status=status or None, agency=agency or None)
    rows, _next = queries.list_incidents(platform, f, None, BOARD_MAX)
    return [card(platform, r) for r in rows]


def open_incidents(platform: RoadkillPlatform) -> list[dict[str, Any]]:
    return [card(platform, r) for r in pages.open_incidents(platform)]


def hotspot_segments(platform: RoadkillPlatform) -> list[dict[str, Any]]:
    """Malo hotspots on 500 m segments: counts per (road, segment) in SQL, the test in hotspots.py."""
    net = platform.parts.network
    segments = hotspots.segments_per_road(net)
    counts = {(road_id, seg): n for road_id, seg, n in pages.segment_counts(platform)
              if road_id in segments and 0 <= seg < segments[road_id]}  # ignore rows of a replaced map
    if not counts:
        return []
    result = hotspots.malo_hotspots(counts, segments)
    out = []
    for f in hotspots.hotspot_features(net, result):
        p = f["properties"]
        if p["count"] < HOTSPOT_MIN_COUNT:
            continue
        out.append({"coordinates": f["geometry"]["coordinates"], "road_name": p["road_name"],
                    "road_name_ko": p["road_name_ko"], "count": p["count"], "upper_limit": p["upper_limit"],
                    "start_m": p["start_m"], "end_m": p["end_m"],
                    "label": f"Hotspot #{p['rank']}: {p['road_name']} ({p['road_name_ko']}) "
                             f"{p['start_m'] / 1000:.1f}–{p['end_m'] / 1000:.1f} km, {p['count']} incidents "
                             f"(Poisson 95% upper limit {p['upper_limit']})"})
    return out


# ---- one incident ------------------------------------------------------------------------------

def incident_page(platform: RoadkillPlatform, incident_id: str) -> dict[str, Any]:
    read = pages.incident_page(platform, incident_id)  # 404 problem when unknown
    row, reports, events, hops, payloads = (read[k] for k in ("row", "reports", "events", "hops", "payloads"))
    demo = bool(platform.settings.demo_mode)
    received = []
    for h in hops:
        received.append({**h, "from_l": party_label(platform, h["from"]), "to_l": party_label(platform, h["to"]),
                         # payload values only in demo mode: these pages are public
                         "payload": payloads.get(h["message_id"]) if demo and h["message_id"] else None})
    # The reporter hash and personal hashes never reach this page; the words said only in demo mode.
    shown = []
    for r in reports:
        v = presenters.report_view(r, "acrc")
        if not demo:
            v.pop("transcript", None)
            v.pop("description", None)
        v["species_l"] = species_label(r.species)
        v["partner_l"] = party_label(platform, r.partner)
        shown.append(v)
    history = [{**presenters.event_view(e), "actor_l": party_label(platform, e.actor),
                "to_l": state_label(e.to_status)} for e in events]
    return {"inc": card(platform, row), "decision": row.decision or {}, "reports": shown, "history": history,
            "hops": hops, "received": received, "demo": demo}


# ---- agency console -----------------------------------------------------------------------------

def console_items(platform: RoadkillPlatform, party: str) -> list[dict[str, Any]]:
    rows, _next = queries.inbox(platform, party, None, 50)
    out = []
    for r in rows:
        c = card(platform, r)
        c["allowed_next"] = incident_states.machine().allowed(r.status)
        c["explanation"] = (r.decision or {}).get("explanation")
        out.append(c)
    return out


def me_records(platform: RoadkillPlatform, limit: int = 20) -> list[dict[str, Any]]:
    """What the Ministry of Environment received: the processing records of the latest closed incidents."""
    out = []
    for p, delivery in pages.me_records(platform, limit):
        p["delivery"] = delivery
        p["species_l"] = species_label(p.get("species_confirmed") or p.get("species_reported"))
        p["agency_l"] = party_label(platform, p.get("agency"))
        out.append(p)
    return out


# ---- analytics (aggregates in SQL) -------------------------------------------------------------

def analytics(platform: RoadkillPlatform) -> dict[str, Any]:
    counts = pages.analytics_counts(platform)
    by_species, by_month, cleared_by_month = counts["by_species"], counts["by_month"], counts["cleared_by_month"]
    by_status, by_class, outcomes = counts["by_status"], counts["by_class"], counts["outcomes"]
    ttc = sorted(counts["time_to_clear"].items(), key=lambda kv: (-(kv[1]["p50_minutes"] or 0), kv[0]))

    def sp_name(code: str) -> str:
        lab = species_label(code)
        return f"{lab['en']} {lab['ko']}".strip()

    def agency_name(code: str) -> str:
        lab = party_label(platform, code)
        return f"{lab['code']} · {lab['ko']}" if lab["ko"] else lab["code"]

    months = sorted(set(by_month) | set(cleared_by_month))
    return {
        "total": sum(by_status.values()),
        "by_status": [(state_label(k), by_status.get(k, 0)) for k in incident_states.machine().codes],
        "species_series": [(sp_name(code), n) for code, n in by_species],
        "month_series": {"reported": [(m, by_month.get(m, 0)) for m in months],
                         "cleared": [(m, cleared_by_month.get(m, 0)) for m in months]},
        "ttc_series": [(agency_name(a), v["p50_minutes"] or 0) for a, v in ttc],
        "ttc_rows": [{"agency_l": party_label(platform, a), "count": v["count"], "p50_min": v["p50_minutes"],
                      "p90_min": v["p90_minutes"]} for a, v in ttc],
        "class_series": [(_class_name(c), n) for c, n in by_class],
        "outcomes": outcomes,
    }


CLASS_NAMES = {"expressway": "Expressway 고속국도", "national": "National route 일반국도",
               "provincial": "Provincial road 지방도", "local": "City/county road 시·군도",
               "off_network": "Off the mapped roads 도로망 밖"}


def _class_name(code: str) -> str:
    return CLASS_NAMES.get(code, code)


def filters(platform: RoadkillPlatform) -> dict[str, Any]:
    """Options (value, label) of the board's filters."""
    states = [(c, f"{lab['en']} · {lab['ko']}") for c in incident_states.machine().codes for lab in [state_label(c)]]
    return {"states": states, "agencies": agency_options(platform)}


def agency_options(platform: RoadkillPlatform) -> list[tuple[str, str]]:
    return [(c, f"{lab['en']} · {lab['ko']}" if lab["ko"] else lab["en"])
            for c in platform.parties.with_role("road_agency") for lab in [party_label(platform, c)]]


def species_options() -> list[tuple[str, str]]:
    return [(sp.code, f"{sp.name_en} · {sp.name_ko}") for sp in default_species().by_code.values()]


def outcome_options() -> list[tuple[str, str]]:
    doc = incident_states.machine()
    labels = {"removed": "Carcass removed · 사체 수거", "not_found": "Nothing found on site · 현장 미발견",
              "duplicate": "Duplicate of another incident · 중복 신고"}
    return [(o, labels.get(o, o)) for o in doc.outcomes]


def iso_local(value: str | datetime | None) -> str:
    """'2026-11-29 18:04' in Korea time for display (the <time> element carries the ISO value)."""
    if value is None:
        return "—"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d %H:%M")
