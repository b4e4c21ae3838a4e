"""A read-only FHIR R4-shaped view of a referral: ServiceRequest + Task (SDOH Clinical Care), no personal data."""
from __future__ import annotations

from typing import Any

# Our referral statuses are FHIR Task statuses already; ServiceRequest has its own, coarser set.
_SR_STATUS = {"requested": "active", "accepted": "active", "in-progress": "active", "on-hold": "on-hold",
              "completed": "completed", "rejected": "revoked", "failed": "revoked", "cancelled": "revoked",
              "entered-in-error": "entered-in-error"}
_SYSTEM = "urn:cpa:onestop"


def bundle(ref: Any, history: list[dict[str, Any]]) -> dict[str, Any]:
    """`ref` is a referral row (attributes as in models.Referral); `history` its events, oldest first."""
    sr_id, task_id = f"sr-{ref.id}", f"task-{ref.id}"
    service_request = {
        "resourceType": "ServiceRequest", "id": sr_id,
        "identifier": [{"system": f"{_SYSTEM}/referral", "value": ref.id}],
        "status": _SR_STATUS[ref.status], "intent": "order",
        "category": [{"coding": [{"system": "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes",
                                  "code": "sdoh-category-unspecified"}]}],
        "code": {"coding": [{"system": f"{_SYSTEM}/service", "code": ref.service_key}]},
        "subject": {"identifier": {"system": f"{_SYSTEM}/resident-ref", "value": "pseudonymised"}},
        "authoredOn": ref.created_at.isoformat(),
        "requester": {"identifier": {"system": f"{_SYSTEM}/party", "value": "bukgu-hub"}},
        "performer": [{"identifier": {"system": f"{_SYSTEM}/party", "value": ref.agency}}],
    }
    task: dict[str, Any] = {
        "resourceType": "Task", "id": task_id, "status": ref.status, "intent": "order",
        "focus": {"reference": f"ServiceRequest/{sr_id}"},
        "authoredOn": ref.created_at.isoformat(), "lastModified": ref.status_changed_at.isoformat(),
        "requester": {"identifier": {"system": f"{_SYSTEM}/party", "value": "bukgu-hub"}},
        "owner": {"identifier": {"system": f"{_SYSTEM}/party", "value": ref.agency}},
        "meta": {"versionId": str(ref.version)},
        "extension": [{"url": f"{_SYSTEM}/history", "valueString": " → ".join(h["to"] for h in history)}],
    }
    if ref.reason:
        task["statusReason"] = {"coding": [{"system": f"{_SYSTEM}/outcome-codes", "code": ref.reason}]}
    if ref.outcome:
        out: dict[str, Any] = {"type": {"coding": [{"system": f"{_SYSTEM}/completion", "code": ref.outcome}]},
                               "valueString": ref.outcome}
        if ref.amount_krw:
            out["valueMoney"] = {"value": ref.amount_krw, "currency": "KRW"}
            out.pop("valueString")
        task["output"] = [out]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": service_request}, {"resource": task}]}
