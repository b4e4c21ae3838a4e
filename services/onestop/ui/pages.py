"""What the onestop trainer pages show: each function builds a template context from the flows the API uses.

Who may see what follows the API: per-resident and per-referral views need the counsellors' key
(bukgu-hub), an agency's inbox needs that agency's key and shows exactly what the agency API returns.
The functions taking `who` build a region for a caller its `Gate` let through (`Gate.show`); the
pages themselves are public shells, so a page opened without a key shows no personal data at all.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from services.onestop.domain import referral_states
from services.onestop.domain.reference import directory, read_data_file
from services.onestop.flows import agency_list, cases, meetings, queries, referrals, stats
from services.onestop.flows.common import KST
from services.onestop.parts import OnestopPlatform
from services.onestop.routes.deps import DEFAULT_PURPOSE
from services.onestop.ui.labels import (
    CRISIS,
    DECISIONS,
    EMPLOYMENT,
    GROUPS_KO,
    VERDICTS,
    local,
    party,
    service,
    state,
)
from shared.auth import Principal
from shared.errors import Problem

UI_PURPOSE = DEFAULT_PURPOSE + " (counsellor page)"
BOARD_MAX = 60  # cards per status column
INBOX_MAX = 100  # referrals in an agency's inbox


# ---- intake and the case --------------------------------------------------------------------------------

def intake(p: OnestopPlatform, resident_id: str) -> dict[str, Any]:
    known = bool(resident_id) and queries.resident_known(p, resident_id)
    return {"resident_id": resident_id, "resident_known": known, "employment": EMPLOYMENT, "crisis": CRISIS}


def case_detail(p: OnestopPlatform, who: Principal, case_id: str) -> dict[str, Any]:
    """Assessment and recommendations (both reads are logged in the resident's access log)."""
    view = cases.assessment_view(p, case_id=case_id, who=who, purpose=UI_PURPOSE)
    case, recs = view["case"], view["recommendations"]
    order = {"eligible": 0, "maybe": 1, "not_eligible": 2}
    rows = sorted(recs["recommendations"], key=lambda r: (order.get(r["status"], 3), r["agency"]))
    for r in rows:
        r["verdict"] = VERDICTS.get(r["status"], (r["status"], ""))
        r["service_l"] = service(r["service_key"])
        r["agency_l"] = party(p, r["agency"])
        r["consented"] = r["agency"] in view["consented_agencies"]
    a = case["assessment"]
    return {"case_id": case_id, "case": case, "assessment": a, "resident_ref": view["resident_ref"], "recs": rows,
            "rules_version": recs["rules_version"], "rules_effective": recs["rules_effective_date"],
            "employment_l": dict(EMPLOYMENT).get(a.get("employment_status"), a.get("employment_status")),
            "crisis_l": [dict(CRISIS).get(c, c) for c in a.get("crisis_flags", [])]}


def case_referrals(p: OnestopPlatform, who: Principal, case_id: str) -> dict[str, Any]:
    """The case's referrals and consents: statuses only, no personal data (not an audited read)."""
    links = queries.case_links(p, case_id)
    return {"case_id": case_id,
            "rows": [{**r, "agency_l": party(p, r["agency"]), "service_l": service(r["service_key"]),
                      "state_l": state(r["status"])} for r in links["referrals"]],
            "consents": [{**c, "agency_l": party(p, c["agency"])} for c in links["consents"]]}


# ---- referrals -------------------------------------------------------------------------------------------

def referral_detail(p: OnestopPlatform, who: Principal, referral_id: str) -> dict[str, Any]:
    ref = referrals.read_as_hub(p, referral_id=referral_id)
    events = referrals.referral_trace(p, referral_id=referral_id)
    received: dict[str, set[str]] = defaultdict(set)
    for e in events:
        received[e["to"]].update(e["fields"])
    return {"referral_id": referral_id, "ref": ref, "events": events, "registry": p.parties,
            "agency_l": party(p, ref["agency"]), "service_l": service(ref["service_key"]),
            "state_l": state(ref["status"]),
            "history": [{**h, "party_l": party(p, h["party"]), "to_l": state(h["to"]),
                         "from_l": state(h["from"]) if h["from"] else None} for h in ref["history"]],
            "hops": [{**e, "from_l": party(p, e["from"]), "to_l": party(p, e["to"]), "at_l": local(_kst(e["at"]))}
                     for e in events],
            "received": [{"party_l": party(p, code), "fields": sorted(f)} for code, f in received.items()]}


def _kst(at: str) -> str:
    try:
        return datetime.fromisoformat(at).astimezone(KST).isoformat()
    except ValueError:
        return at


def board(p: OnestopPlatform, who: Principal) -> dict[str, Any]:
    t = referral_states.table()
    b = queries.board(p, BOARD_MAX)
    cols = [{"state_l": state(code), "terminal": code in t.terminal, "count": b["counts"].get(code, 0),
             "rows": [{"id": r["id"], "agency_l": party(p, r["agency"]), "service_l": service(r["service_key"]),
                       "reason": r["reason"], "outcome": r["outcome"], "changed": local(r["status_changed_at"])}
                      for r in b["columns"][code]]}
            for code in t.states]
    return {"columns": cols, "total": sum(b["counts"].values())}


# ---- the agency inbox ------------------------------------------------------------------------------------

def inbox(p: OnestopPlatform, who: Principal, referral_id: str, *, with_data: bool = False) -> dict[str, Any]:
    """Exactly what the agency API gives the calling agency: its own referrals, its consented fields.

    The list and the status part carry no personal data and follow every change live; the resident's
    data (`with_data`) is the agency API's audited read, made once when the agency opens the referral,
    so the access log shows real openings, not every live refresh.
    """
    listing = agency_list.read_page(p, who=who, limit=INBOX_MAX)
    ctx: dict[str, Any] = {"selected": None, "data": None, "missing": "", "revoked": "", "who_l": party(p, who.party),
                           "rows": [{**r, "service_l": service(r["service_key"]), "state_l": state(r["status"])}
                                    for r in listing["items"]]}
    own = queries.agency_referral(p, referral_id, who) if referral_id else None
    if own is None:
        ctx["missing"] = referral_id
        return ctx
    t = referral_states.table()
    allowed_next = referral_states.allowed_from(own["status"], "agency")
    ctx["selected"] = {
        **{k: v for k, v in own.items() if k not in referrals.HUB_ONLY},
        "service_l": service(own["service_key"]), "state_l": state(own["status"]), "allowed_next": allowed_next,
        "moves": [{"to": st, "to_l": state(st), "reasons": list(t.reasons.get(st, ())),
                   "reason_options": [(code, f"{code} — {t.outcome_codes.get(code, '')}")
                                      for code in t.reasons.get(st, ())],
                   "outcome": st == t.completion_state} for st in allowed_next]}
    ctx["outcomes"] = list(_outcome_labels().items())
    if with_data:
        try:  # the agency API's read: logged in the resident's access log
            read = referrals.read_as_agency(p, referral_id=referral_id, who=who)
            ctx["data"], ctx["resident_ref"] = read["data"], read["resident_ref"]
        except Problem as exc:
            if exc.status != 410:
                raise
            ctx["revoked"] = referral_id
    return ctx


def _outcome_labels() -> dict[str, str]:
    raw = read_data_file("referral_transitions.json")["completion"]["outcomes"]
    return {code: meta["label"] + (" (give the amount)" if meta["requires_amount"] else "") for code, meta in raw.items()}


# ---- access log ------------------------------------------------------------------------------------------

def access_log(p: OnestopPlatform, who: Principal, resident_id: str) -> dict[str, Any]:
    view = queries.access_log_view(p, resident_id)
    ctx: dict[str, Any] = {"resident_id": resident_id, "rows": [],
                           "residents": [{"id": r["id"], "ref": r["ref"], "created": local(r["created_at"])}
                                         for r in view["residents"]]}
    if view["log"] is not None:
        ctx["rows"] = [{**e, "party_l": party(p, e["party"]), "at_l": local(e["at"])} for e in view["log"]["items"]]
        ctx["resident_ref"] = view["resident_ref"]
    return ctx


# ---- meetings --------------------------------------------------------------------------------------------

def meeting_list(p: OnestopPlatform, who: Principal) -> dict[str, Any]:
    return {"rows": queries.meeting_list(p)}


def meeting_detail(p: OnestopPlatform, who: Principal, meeting_id: str) -> dict[str, Any]:
    m = meetings.view(p, meeting_id=meeting_id)
    m["agenda"] = m["items"]
    for item in m["agenda"]:
        c = item["case"]
        c["groups_l"] = [f"{grp} · {GROUPS_KO.get(grp, '')}" for grp in c["groups"]]
        for r in c["referrals"] + ([item["referral"]] if item["referral"] else []):
            r["agency_l"], r["state_l"], r["service_l"] = party(p, r["agency"]), state(r["status"]), service(r["service_key"])
    d = directory()
    services = [(s.key, f"{s.name_en} · {s.name_ko} ({s.agency})") for s in d.services()
                if s.agency != d.operator and s.status == "active"]
    return {"meeting_id": meeting_id, "m": m, "services": services, "decisions": DECISIONS}


# ---- linkage ---------------------------------------------------------------------------------------------

def linkage(p: OnestopPlatform, who: Principal) -> dict[str, Any]:
    data = stats.linkage(p)
    per: dict[str, dict[str, Any]] = {}
    for row in data["agencies"]:
        a = per.setdefault(row["agency"], {"agency_l": party(p, row["agency"]), "sent": 0, "accepted": 0,
                                           "completed": 0, "rejected": 0, "fields": []})
        for k in ("sent", "accepted", "completed", "rejected"):
            a[k] += row[k]
        a["fields"].append(row["field"])
    rows = sorted(per.values(), key=lambda a: (-a["sent"], a["agency_l"]["code"]))

    def label(a: dict[str, Any]) -> str:
        return f"{a['agency_l']['code']} · {a['agency_l']['ko']}"

    charts = [{"measure": m, "title": f"{title} per agency", "series": [(label(a), a[m]) for a in rows]}
              for m, title in (("sent", "Referrals sent · 의뢰"), ("accepted", "Accepted · 접수"),
                               ("completed", "Completed · 완료"), ("rejected", "Rejected · 반려"))]
    groups = [{**grp, "ko": GROUPS_KO.get(grp["group"], ""),
               "shown": f"<{stats.SMALL_COUNT}" if grp["suppressed"] else str(grp["cases"])}
              for grp in data["vulnerable_groups"]]
    return {"rows": rows, "charts": charts, "groups": groups, "detail": data["agencies"], "small": stats.SMALL_COUNT,
            "group_series": [(f"{grp['group']} · {grp['ko']}", grp["cases"]) for grp in groups if not grp["suppressed"]],
            "suppressed": [grp for grp in groups if grp["suppressed"]]}
