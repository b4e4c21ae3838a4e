"""What the onestop trainer pages show: each function builds a template context from the flows the API uses.

Who may see what follows the API: per-resident and per-referral views need the counsellors' key
(bukgu-hub), an agency's inbox needs that agency's key and shows exactly what the agency API returns.
The pages themselves are public shells; their regions are fetched by the browser with the acting
party's key, so a page opened without a key shows no personal data at all.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import func, select

from services.onestop.domain import referral_states
from services.onestop.domain.consent_policy import consent_policy
from services.onestop.domain.reference import directory, read_data_file
from services.onestop.flows import cases, meetings, referrals, residents, stats
from services.onestop.flows.common import HUB, KST, get_or_404, iso
from services.onestop.models import (
    AccessLog,
    AgendaItem,
    Case,
    Consent,
    Meeting,
    Referral,
    ReferralEvent,
    Resident,
)
from services.onestop.parts import OnestopPlatform
from services.onestop.routes.deps import DEFAULT_PURPOSE
from shared.auth import Principal
from shared.errors import Problem

UI_PURPOSE = DEFAULT_PURPOSE + " (counsellor page)"
BOARD_MAX = 60  # cards per status column
EMPLOYMENT = [("unemployed", "Unemployed · 실업"), ("employed", "Employed · 취업"),
              ("self-employed", "Self-employed · 자영업"), ("not-in-labour-force", "Not in the labour force · 비경제활동")]
CRISIS = [("eviction-risk", "Eviction risk · 퇴거 위기"), ("utilities-cut", "Utilities cut · 단전·단수"),
          ("food-insecurity", "Food insecurity · 식생활 위기"), ("medical-emergency", "Medical emergency · 의료 위기"),
          ("domestic-violence", "Domestic violence · 가정폭력"), ("suicide-risk", "Suicide risk · 자살 위험"),
          ("homelessness", "Homelessness · 노숙")]
VERDICTS = {"eligible": ("Eligible", "대상"), "maybe": ("Maybe", "확인 필요"), "not_eligible": ("Not eligible", "비대상")}
GROUPS_KO = {"disability": "장애인", "career-interrupted": "경력단절", "marriage-immigrant": "결혼이민자",
             "caregiver": "가족돌봄", "basic-livelihood": "기초생활수급", "near-poor": "차상위",
             "unemployed": "실업", "middle-aged": "중장년", "youth": "청년", "older": "노인"}
DECISIONS = [("refer", "Refer to another service · 연계"), ("task", "Create a task · 과제"),
             ("monitor", "Monitor · 모니터링"), ("close", "Close the case · 종결")]


# ---- who is asking ------------------------------------------------------------------------------------

def acting(p: OnestopPlatform, request: Request) -> Principal | None:
    """The party whose key the region's request carries (the pages send it from the browser)."""
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else (request.headers.get("x-api-key") or "").strip()
    return p.keys.resolve(key) if key else None


def gate(p: OnestopPlatform, request: Request, *, agency: bool = False) -> dict[str, Any]:
    """{"who", "allowed", "need"}: counsellor views need bukgu-hub, the inbox an agency."""
    who = acting(p, request)
    if agency:
        allowed = who is not None and "agency" in who.roles
    else:
        allowed = who is not None and who.party == HUB
    return {"who": who, "allowed": allowed, "need": "agency" if agency else HUB}


# ---- labels (English with Korean beside it) -------------------------------------------------------------

def party(p: OnestopPlatform, code: str) -> dict[str, str]:
    if code in p.parties:
        got = p.parties.get(code)
        return {"code": code, "en": got.name, "ko": got.name_ko}
    return {"code": code, "en": code, "ko": ""}


def state(code: str | None) -> dict[str, str]:
    meta = referral_states.table().states.get(code or "", {})
    return {"code": code or "", "en": meta.get("label", code or ""), "ko": meta.get("label_ko", "")}


def service(key: str) -> dict[str, str]:
    try:
        s = directory().service(key)
    except KeyError:
        return {"key": key, "en": key, "ko": "", "agency": ""}
    return {"key": s.key, "en": s.name_en, "ko": s.name_ko, "agency": s.agency}


def agencies(p: OnestopPlatform) -> list[dict[str, str]]:
    d = directory()
    return [party(p, code) for code in d.agencies if code != d.operator]


def category_options() -> list[dict[str, Any]]:
    return [{"code": c.code, "en": c.label_en, "ko": c.label_ko, "fields": sorted(c.all_fields),
             "sensitive": c.sensitive} for c in consent_policy().categories.values()]


def local(value: str | None) -> str:
    """'2026-11-29T17:03:12.5+09:00' -> '2026-11-29 17:03' (times are already Korean time)."""
    return (value or "")[:16].replace("T", " ")


# ---- live-update versions (polled once a second per open stream; see UIKit(versions=...)) --------------

def referrals_version(platform: OnestopPlatform) -> tuple[Any, ...]:
    """Changes on any referral change, consent given or withdrawn, meeting or decision."""
    q = select(
        select(func.max(ReferralEvent.id)).scalar_subquery(),
        select(func.count()).select_from(Consent).scalar_subquery(),
        select(func.count(Consent.withdrawn_at)).scalar_subquery(),
        select(func.count()).select_from(Meeting).scalar_subquery(),
        select(func.count(AgendaItem.decided_at)).scalar_subquery(),
        select(func.count()).select_from(Case).scalar_subquery(),
    )
    with platform.db.read_session() as s:
        return tuple(int(v or 0) for v in s.execute(q).one())


def access_version(platform: OnestopPlatform) -> int:
    """Changes whenever someone reads a resident's personal data (the access log grows)."""
    with platform.db.read_session() as s:
        return int(s.scalar(select(func.max(AccessLog.id))) or 0)


# ---- intake and the case --------------------------------------------------------------------------------

def intake(p: OnestopPlatform, request: Request, resident_id: str) -> dict[str, Any]:
    known = False
    if resident_id:
        with p.db.read_session() as s:
            known = s.get(Resident, resident_id) is not None
    return {"resident_id": resident_id, "resident_known": known, "employment": EMPLOYMENT, "crisis": CRISIS}


def case_shell(p: OnestopPlatform, request: Request, case_id: str) -> dict[str, Any]:
    """Ids only (no personal data): enough to build the page around the case's regions."""
    with p.db.read_session() as s:
        case = get_or_404(s, Case, case_id, "case")
        return {"case_id": case.id, "resident_id": case.resident_id}


def case_detail(p: OnestopPlatform, request: Request, case_id: str) -> dict[str, Any]:
    """Assessment and recommendations (both reads are logged in the resident's access log)."""
    g = gate(p, request)
    ctx: dict[str, Any] = {**g, "case_id": case_id}
    if not g["allowed"]:
        return ctx
    with p.db.session() as s:
        case = cases.read(s, case_id=case_id, who=g["who"], purpose=UI_PURPOSE)
        recs = cases.recommendations(s, case_id=case_id, who=g["who"], purpose=UI_PURPOSE)
        consented = {c.agency for c in s.scalars(select(Consent).where(
            Consent.resident_id == case["resident_id"], Consent.withdrawn_at.is_(None),
            Consent.superseded_at.is_(None)))}
        resident = get_or_404(s, Resident, case["resident_id"], "resident")
        ref_ref = resident.pseudonym
    order = {"eligible": 0, "maybe": 1, "not_eligible": 2}
    rows = sorted(recs["recommendations"], key=lambda r: (order.get(r["status"], 3), r["agency"]))
    for r in rows:
        r["verdict"] = VERDICTS.get(r["status"], (r["status"], ""))
        r["service_l"] = service(r["service_key"])
        r["agency_l"] = party(p, r["agency"])
        r["consented"] = r["agency"] in consented
    a = case["assessment"]
    ctx.update(case=case, assessment=a, resident_ref=ref_ref, recs=rows, rules_version=recs["rules_version"],
               rules_effective=recs["rules_effective_date"],
               employment_l=dict(EMPLOYMENT).get(a.get("employment_status"), a.get("employment_status")),
               crisis_l=[dict(CRISIS).get(c, c) for c in a.get("crisis_flags", [])])
    return ctx


def case_referrals(p: OnestopPlatform, request: Request, case_id: str) -> dict[str, Any]:
    """The case's referrals and consents: statuses only, no personal data (not an audited read)."""
    g = gate(p, request)
    ctx: dict[str, Any] = {**g, "case_id": case_id, "rows": [], "consents": []}
    if not g["allowed"]:
        return ctx
    with p.db.read_session() as s:
        case = get_or_404(s, Case, case_id, "case")
        rows = s.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.created_at)).all()
        cons = s.scalars(select(Consent).where(Consent.resident_id == case.resident_id)
                         .order_by(Consent.taken_at)).all()
        ctx["rows"] = [{**referrals.public(r), "agency_l": party(p, r.agency), "service_l": service(r.service_key),
                         "state_l": state(r.status)} for r in rows]
        ctx["consents"] = [{"id": c.id, "agency_l": party(p, c.agency), "categories": c.categories,
                            "sensitive": c.sensitive_categories, "taken_by": c.taken_by, "taken_at": iso(c.taken_at),
                            "active": c.withdrawn_at is None and c.superseded_at is None,
                            "withdrawn": c.withdrawn_at is not None, "superseded": c.superseded_at is not None}
                           for c in cons]
    return ctx


# ---- consent ---------------------------------------------------------------------------------------------

def consent_form(p: OnestopPlatform, request: Request, case_id: str, agency: str) -> dict[str, Any]:
    ctx = case_shell(p, request, case_id)
    policy = consent_policy()
    d = directory()
    options = []
    for a in agencies(p):
        purpose = policy.agencies[a["code"]]
        org = d.agency(a["code"])
        needed = sorted({c for s in org.services for c in s.data_categories})
        options.append({**a, "purpose_en": purpose.purpose_en, "purpose_ko": purpose.purpose_ko,
                        "retention_en": purpose.retention_en, "retention_ko": purpose.retention_ko,
                        "refusal_en": refusal_text(a["code"], "en"), "refusal_ko": refusal_text(a["code"], "ko"),
                        "needed": needed})
    chosen = next((o for o in options if o["code"] == agency), None)
    ctx.update(agency=chosen["code"] if chosen else "", chosen=chosen, options=options,
               categories=category_options(), policy_version=policy.version,
               articles={i.code: i.article for i in policy.notice_items})
    return ctx


def refusal_text(agency: str, language: str) -> str:
    item = consent_policy().notice_items[-1]
    org = directory().agency(agency)
    text = item.text_ko if language == "ko" else item.text_en
    return text.format(recipient=org.name_ko if language == "ko" else org.name_en)


def check_five_items(recipient: str, purpose: str, retention: str, refusal_explained: bool) -> list[dict[str, str]]:
    """What is wrong with the five PIPA Art. 17(2) items as the form sent them (empty list: all fine).

    Purpose and retention must be the ones registered for the recipient (consent.json): a consent to
    any other purpose would be a use the agency's agreement does not cover (PIPA Art. 18).
    """
    errors = []
    registered = consent_policy().agencies.get(recipient)
    if registered is None:
        return [{"field": "recipient", "message": "choose one of the agencies in the list"}]
    if purpose.strip() not in (registered.purpose_en, registered.purpose_ko):
        errors.append({"field": "purpose", "message": f"must be the purpose registered for {recipient}: "
                                                      f"“{registered.purpose_en}” or “{registered.purpose_ko}”"})
    if retention.strip() not in (registered.retention_en, registered.retention_ko):
        errors.append({"field": "retention", "message": f"must be the retention period registered for {recipient}: "
                                                        f"“{registered.retention_en}” or “{registered.retention_ko}”"})
    if not refusal_explained:
        errors.append({"field": "refusal_explained",
                       "message": "tell the resident they may refuse and what refusing means (PIPA Art. 17(2)5), "
                                  "then tick this box"})
    return errors


# ---- referrals -------------------------------------------------------------------------------------------

def referral_detail(p: OnestopPlatform, request: Request, referral_id: str) -> dict[str, Any]:
    g = gate(p, request)
    ctx: dict[str, Any] = {**g, "referral_id": referral_id}
    if not g["allowed"]:
        return ctx
    with p.db.read_session() as s:
        ref = referrals.read_as_hub(s, referral_id=referral_id)
        events = referrals.trace_of(s, tables=p.tables, referral_ids=[referral_id])
    received: dict[str, set[str]] = defaultdict(set)
    for e in events:
        received[e["to"]].update(e["fields"])
    ctx.update(ref=ref, events=events, registry=p.parties, agency_l=party(p, ref["agency"]),
               service_l=service(ref["service_key"]), state_l=state(ref["status"]),
               history=[{**h, "party_l": party(p, h["party"]), "to_l": state(h["to"]),
                         "from_l": state(h["from"]) if h["from"] else None} for h in ref["history"]],
               hops=[{**e, "from_l": party(p, e["from"]), "to_l": party(p, e["to"]), "at_l": local(_kst(e["at"]))}
                     for e in events],
               received=[{"party_l": party(p, code), "fields": sorted(f)} for code, f in received.items()])
    return ctx


def _kst(at: str) -> str:
    try:
        return datetime.fromisoformat(at).astimezone(KST).isoformat()
    except ValueError:
        return at


def board(p: OnestopPlatform, request: Request) -> dict[str, Any]:
    g = gate(p, request)
    t = referral_states.table()
    ctx: dict[str, Any] = {**g, "columns": [], "total": 0}
    if not g["allowed"]:
        return ctx
    with p.db.read_session() as s:
        counts = dict(s.execute(select(Referral.status, func.count()).group_by(Referral.status)).all())
        cols = []
        for code in t.states:
            rows = s.scalars(select(Referral).where(Referral.status == code)
                             .order_by(Referral.status_changed_at.desc(), Referral.id).limit(BOARD_MAX)).all()
            cols.append({"state_l": state(code), "terminal": code in t.terminal, "count": counts.get(code, 0),
                         "rows": [{"id": r.id, "agency_l": party(p, r.agency), "service_l": service(r.service_key),
                                    "reason": r.reason, "outcome": r.outcome,
                                    "changed": local(iso(r.status_changed_at))} for r in rows]})
    ctx.update(columns=cols, total=sum(counts.values()))
    return ctx


# ---- the agency inbox ------------------------------------------------------------------------------------

def inbox(p: OnestopPlatform, request: Request, referral_id: str, *, with_data: bool = False) -> dict[str, Any]:
    """Exactly what the agency API gives the calling agency: its own referrals, its consented fields.

    The list and the status part carry no personal data and follow every change live; the resident's
    data (`with_data`) is the agency API's audited read, made once when the agency opens the referral,
    so the access log shows real openings, not every live refresh.
    """
    g = gate(p, request, agency=True)
    ctx: dict[str, Any] = {**g, "rows": [], "selected": None, "data": None, "missing": "", "revoked": ""}
    if not g["allowed"]:
        return ctx
    who = g["who"]
    ctx["who_l"] = party(p, who.party)
    with p.db.read_session() as s:
        listing = referrals.list_for_agency(s, who=who, status=None, cursor=None, limit=100)
        ref = s.get(Referral, referral_id) if referral_id else None
        # Another agency's referral is treated like a missing one, as the agency API does (404).
        own = referrals.public(ref) if ref is not None and ref.agency == who.party else None
    ctx["rows"] = [{**r, "service_l": service(r["service_key"]), "state_l": state(r["status"])}
                   for r in listing["items"]]
    if referral_id and own is None:
        ctx["missing"] = referral_id
        return ctx
    if own is None:
        return ctx
    t = referral_states.table()
    ctx["selected"] = {
        **{k: v for k, v in own.items() if k not in ("case_id", "agenda_item_id")},
        "service_l": service(own["service_key"]), "state_l": state(own["status"]),
        "allowed_next": referral_states.allowed_from(own["status"], "agency"),
    }
    ctx["selected"]["moves"] = [
        {"to": st, "to_l": state(st), "reasons": list(t.reasons.get(st, ())),
         "reason_options": [(code, f"{code} — {t.outcome_codes.get(code, '')}") for code in t.reasons.get(st, ())],
         "outcome": st == t.completion_state} for st in ctx["selected"]["allowed_next"]]
    ctx["outcomes"] = list(_outcome_labels().items())
    if with_data:
        try:
            with p.db.session() as s:  # the agency API's read: logged in the resident's access log
                read = referrals.read_as_agency(s, referral_id=referral_id, who=who)
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

def access_log(p: OnestopPlatform, request: Request, resident_id: str) -> dict[str, Any]:
    g = gate(p, request)
    ctx: dict[str, Any] = {**g, "resident_id": resident_id, "rows": [], "residents": []}
    if not g["allowed"]:
        return ctx
    with p.db.read_session() as s:
        # Pseudonyms and ids only: picking a resident is not a read of their personal data.
        ctx["residents"] = [{"id": r.id, "ref": r.pseudonym, "created": local(iso(r.created_at))}
                            for r in s.scalars(select(Resident).order_by(Resident.created_at.desc()).limit(30))]
        if resident_id:
            log = residents.access_log(s, resident_id=resident_id)
            ctx["rows"] = [{**e, "party_l": party(p, e["party"]), "at_l": local(e["at"])} for e in log["items"]]
            ctx["resident_ref"] = s.get(Resident, resident_id).pseudonym
    return ctx


# ---- meetings --------------------------------------------------------------------------------------------

def meeting_list(p: OnestopPlatform, request: Request) -> dict[str, Any]:
    g = gate(p, request)
    ctx: dict[str, Any] = {**g, "rows": []}
    if g["allowed"]:
        with p.db.read_session() as s:
            ctx["rows"] = meetings.list_meetings(s)["items"]
            counts = dict(s.execute(select(AgendaItem.meeting_id, func.count())
                                    .group_by(AgendaItem.meeting_id)).all())
        for m in ctx["rows"]:
            m["item_count"] = counts.get(m["id"], 0)
    return ctx


def meeting_detail(p: OnestopPlatform, request: Request, meeting_id: str) -> dict[str, Any]:
    g = gate(p, request)
    ctx: dict[str, Any] = {**g, "meeting_id": meeting_id}
    if not g["allowed"]:
        return ctx
    with p.db.read_session() as s:
        m = meetings.view(s, meeting_id=meeting_id)
    m["agenda"] = m["items"]
    for item in m["agenda"]:
        c = item["case"]
        c["groups_l"] = [f"{grp} · {GROUPS_KO.get(grp, '')}" for grp in c["groups"]]
        for r in c["referrals"]:
            r["agency_l"], r["state_l"], r["service_l"] = party(p, r["agency"]), state(r["status"]), service(r["service_key"])
        if item["referral"]:
            r = item["referral"]
            r["agency_l"], r["state_l"], r["service_l"] = party(p, r["agency"]), state(r["status"]), service(r["service_key"])
    services = [(s.key, f"{s.name_en} · {s.name_ko} ({s.agency})") for s in directory().services()
                if s.agency != directory().operator and s.status == "active"]
    ctx.update(m=m, services=services, decisions=DECISIONS)
    return ctx


# ---- linkage ---------------------------------------------------------------------------------------------

def linkage(p: OnestopPlatform, request: Request) -> dict[str, Any]:
    g = gate(p, request)
    ctx: dict[str, Any] = {**g}
    if not g["allowed"]:
        return ctx
    with p.db.read_session() as s:
        data = stats.linkage(s)
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
    ctx.update(rows=rows, charts=charts, groups=groups, detail=data["agencies"], small=stats.SMALL_COUNT,
               group_series=[(f"{grp['group']} · {grp['ko']}", grp["cases"]) for grp in groups if not grp["suppressed"]],
               suppressed=[grp for grp in groups if grp["suppressed"]])
    return ctx

