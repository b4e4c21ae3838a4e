"""Cases: one structured assessment per case, its vulnerability score, and recommendations with reasons."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.onestop.domain import eligibility, vulnerability
from services.onestop.domain.reference import directory
from services.onestop.flows.common import get_or_404, iso, log_access, resident_data, today_kst
from services.onestop.models import Case, Consent, Resident
from services.onestop.parts import OnestopPlatform
from services.onestop.schemas import CaseCreate
from shared.auth import Principal
from shared.errors import Problem
from shared.ids import new_id

# Vulnerable groups the consultative body's statistics count (assessment flag -> group code).
GROUP_FLAGS = {"disability_registered": "disability", "career_interrupted": "career-interrupted",
               "marriage_immigrant": "marriage-immigrant", "caregiver": "caregiver",
               "basic_livelihood": "basic-livelihood", "near_poor": "near-poor"}


def groups_of(facts: dict[str, Any]) -> list[str]:
    out = [group for flag, group in GROUP_FLAGS.items() if facts.get(flag)]
    if facts.get("employment_status") == "unemployed":
        out.append("unemployed")
    age = facts.get("age")
    if age is not None and 40 <= age < 65:
        out.append("middle-aged")
    if age is not None and 19 <= age <= 34:
        out.append("youth")
    if age is not None and age >= 65:
        out.append("older")
    return out


def create(platform: OnestopPlatform, *, body: CaseCreate, who: Principal) -> dict[str, Any]:
    """Opens a case with one structured assessment and scores its vulnerability."""
    with platform.db.session() as s:
        return open_case(s, body=body, who=who, now=platform.clock())


def open_case(session: Session, *, body: CaseCreate, who: Principal, now: datetime) -> dict[str, Any]:
    """`create` inside the caller's transaction (the start-up seed); `now` is the service clock's time."""
    resident = session.get(Resident, body.resident_id)
    if resident is None:
        raise Problem(422, "unknown-resident", f"resident_id: no resident {body.resident_id!r}; register "
                      "the resident first (POST /v1/residents).",
                      errors=[{"field": "resident_id", "message": "unknown resident"}])
    assessment = body.assessment.facts()
    crisis = list(dict.fromkeys(body.assessment.crisis_flags))
    facts = eligibility.derive_facts(eligibility.rules(), {
        **assessment, "birth_date": resident.birth_date, "gender": resident.gender,
        "address_district": resident.address_district}, reference_date=today_kst(now))
    scored = vulnerability.score(facts, reference_date=today_kst(now))
    urgent = scored.urgent_flags + [f"crisis:{c}" for c in crisis]
    case = Case(id=new_id("case"), resident_id=resident.id, assessment={**assessment, "crisis_flags": crisis},
                age=facts["age"], employment_status=assessment["employment_status"],
                debt_total_krw=assessment["debt_total_krw"], annual_income_krw=assessment["annual_income_krw"],
                groups=groups_of(facts), vulnerability_score=scored.score, flags=scored.flags,
                urgent_flags=urgent, urgent_flag_count=len(urgent), status="open", created_by=who.party,
                created_at=now)
    session.add(case)
    session.flush()
    out = public(case)
    out["vulnerability"]["reasons"] = scored.reasons
    return out


def public(c: Case) -> dict[str, Any]:
    return {"id": c.id, "resident_id": c.resident_id, "status": c.status, "age": c.age,
            "assessment": c.assessment,
            "vulnerability": {"score": c.vulnerability_score, "flags": c.flags, "urgent_flags": c.urgent_flags,
                              "version": vulnerability.model().version},
            "created_by": c.created_by, "created_at": iso(c.created_at)}


def read(platform: OnestopPlatform, *, case_id: str, who: Principal, purpose: str) -> dict[str, Any]:
    """The case and its assessment (logged in the resident's access log)."""
    with platform.db.session() as s:
        return _read(s, case_id=case_id, who=who, purpose=purpose, now=platform.clock())


def _read(session: Session, *, case_id: str, who: Principal, purpose: str, now: datetime) -> dict[str, Any]:
    case = get_or_404(session, Case, case_id, "case")
    log_access(session, resident_id=case.resident_id, who=who, resource=f"case:{case_id}",
               fields=["assessment"], purpose=purpose, at=now)
    return public(case)


def recommendations(platform: OnestopPlatform, *, case_id: str, who: Principal, purpose: str) -> dict[str, Any]:
    """Every service: eligible / maybe / not eligible with reasons in words and the rules version."""
    with platform.db.session() as s:
        return _recommendations(s, case_id=case_id, who=who, purpose=purpose, now=platform.clock())


def assessment_view(platform: OnestopPlatform, *, case_id: str, who: Principal, purpose: str) -> dict[str, Any]:
    """What the counsellor's case page shows in one transaction: the case, its recommendations (both
    reads logged), the agencies the resident consents to now and the resident's pseudonym."""
    with platform.db.session() as s:
        now = platform.clock()
        case = _read(s, case_id=case_id, who=who, purpose=purpose, now=now)
        recs = _recommendations(s, case_id=case_id, who=who, purpose=purpose, now=now)
        consented = set(s.scalars(select(Consent.agency).where(
            Consent.resident_id == case["resident_id"], Consent.withdrawn_at.is_(None),
            Consent.superseded_at.is_(None))))
        resident = get_or_404(s, Resident, case["resident_id"], "resident")
        return {"case": case, "recommendations": recs, "consented_agencies": consented,
                "resident_ref": resident.pseudonym}


def _recommendations(session: Session, *, case_id: str, who: Principal, purpose: str,
                     now: datetime) -> dict[str, Any]:
    case = get_or_404(session, Case, case_id, "case")
    resident = session.get(Resident, case.resident_id)
    data = resident_data(resident, case, today=today_kst(now))
    log_access(session, resident_id=resident.id, who=who, resource=f"case:{case_id}/recommendations",
               fields=["birth_date", "gender", "address_district", "assessment"], purpose=purpose, at=now)
    ruleset = eligibility.rules()
    d = directory()
    recs = eligibility.evaluate(ruleset, data, reference_date=today_kst(now))
    return {
        "case_id": case_id, "rules_version": ruleset.version,
        "rules_effective_date": ruleset.effective_date.isoformat(),
        "recommendations": [{
            "service_id": r.service_id, "service_key": r.service_key,
            "service_name": d.service(r.service_key).name_en, "agency": r.agency,
            "agency_name": d.agency(r.agency).name_en, "status": r.status, "reasons": r.reasons,
            "max_amount_krw": r.max_amount_krw, "rules_version": r.rules_version,
            "sources": [{"id": s, "title": ruleset.sources[s].title, "url": ruleset.sources[s].url,
                         "approximate": ruleset.sources[s].approximate} for s in r.sources],
        } for r in recs if r.agency != d.operator],
    }
